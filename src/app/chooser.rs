//! A built-in file chooser, used when the desktop portal shows no dialog
//! (for example a plain X session without xdg-desktop-portal).
//!
//! Depends only on egui and std. Draw it every frame with [`Chooser::ui`]
//! until that returns an [`Outcome`].

use std::io;
use std::path::{Path, PathBuf};

use egui::{Align, Button, Id, Key, Layout, Modifiers, RichText, ScrollArea, TextEdit, Ui};

/// Names the "Heap dumps only" filter keeps (compared in lower case).
const DUMP_SUFFIXES: [&str; 4] = [".hprof", ".hprof.gz", ".bin", ".gz"];

/// How the chooser ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// The user chose this file.
    Picked(PathBuf),
    /// The user closed the chooser without choosing.
    Cancelled,
}

#[derive(Debug, Clone)]
struct Entry {
    name: String,
    is_dir: bool,
    /// `None` when the size could not be read (e.g. a broken symlink).
    size: Option<u64>,
}

/// State of the chooser; keep it alive while it is shown.
pub struct Chooser {
    title: String,
    dir: PathBuf,
    path_text: String,
    /// Directories first, then files; each group sorted by name; no hidden names.
    entries: Vec<Entry>,
    dumps_only: bool,
    error: Option<String>,
    focus_requested: bool,
}

enum Action {
    Enter(PathBuf),
    Select(PathBuf),
    Submit,
    Pick(PathBuf),
    Cancel,
}

impl Chooser {
    /// A chooser titled `title` that lists `start_dir`.
    pub fn new(title: impl Into<String>, start_dir: PathBuf) -> Chooser {
        let mut chooser = Chooser {
            title: title.into(),
            dir: PathBuf::new(),
            path_text: String::new(),
            entries: Vec::new(),
            dumps_only: true,
            error: None,
            focus_requested: false,
        };
        chooser.enter_dir(start_dir);
        chooser
    }

    /// The directory being listed.
    pub fn current_dir(&self) -> &Path {
        &self.dir
    }

    /// Draws the chooser as a modal window; returns `Some` once the user
    /// picked a file or cancelled.
    pub fn ui(&mut self, ctx: &egui::Context) -> Option<Outcome> {
        let screen = ctx.content_rect();
        let width = (screen.width() * 0.8).clamp(200.0, 760.0);
        let height = (screen.height() * 0.8).clamp(200.0, 620.0);
        let modal = egui::Modal::new(Id::unique("heapscope_file_chooser"))
            .show(ctx, |ui| self.contents(ui, width, height));
        let action = modal.inner.or_else(|| {
            let escape = modal.is_top_modal
                && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Escape));
            escape.then_some(Action::Cancel)
        });
        match action? {
            Action::Enter(dir) => self.enter_dir(dir),
            Action::Select(path) => {
                self.path_text = path.display().to_string();
                self.error = None;
            }
            Action::Submit => return self.submit(),
            Action::Pick(path) => return Some(Outcome::Picked(path)),
            Action::Cancel => return Some(Outcome::Cancelled),
        }
        None
    }

    fn contents(&mut self, ui: &mut Ui, width: f32, height: f32) -> Option<Action> {
        ui.set_width(width);
        ui.set_max_height(height);
        let mut action = None;
        ui.heading(&self.title);
        ui.add_space(4.0);

        ui.horizontal(|ui| {
            let label = ui.label("Path:");
            let up = ui
                .add_enabled(self.dir.parent().is_some(), Button::new("Up"))
                .on_hover_text("Parent folder");
            if up.clicked() {
                action = self.dir.parent().map(|p| Action::Enter(p.to_path_buf()));
            }
            let field = ui
                .add(
                    TextEdit::singleline(&mut self.path_text)
                        .id(Id::unique("heapscope_file_chooser_path"))
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
            if !self.focus_requested {
                field.request_focus();
                self.focus_requested = true;
            }
            if field.lost_focus() && ui.input(|i| i.key_pressed(Key::Enter)) {
                action = Some(Action::Submit);
            }
        });

        if let Some(error) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, error);
        }
        ui.checkbox(&mut self.dumps_only, "Heap dumps only");
        ui.separator();

        let dumps_only = self.dumps_only;
        let shown: Vec<&Entry> = self
            .entries
            .iter()
            .filter(|e| e.is_dir || !dumps_only || is_heap_dump(&e.name))
            .collect();
        let row_height = ui.spacing().interact_size.y;
        // Room for the heading, path row, checkbox and buttons around the list.
        let list_height = (height - 150.0).max(row_height * 3.0);
        ScrollArea::vertical()
            .max_height(list_height)
            .auto_shrink([false, false])
            .show_rows(ui, row_height, shown.len(), |ui, rows| {
                if shown.is_empty() {
                    ui.weak("(empty)");
                }
                for entry in &shown[rows] {
                    let path = self.dir.join(&entry.name);
                    let (text, size) = if entry.is_dir {
                        (format!("{}/", entry.name), String::new())
                    } else {
                        (
                            entry.name.clone(),
                            entry.size.map(crate::units::bytes).unwrap_or_default(),
                        )
                    };
                    let selected = !entry.is_dir && Path::new(self.path_text.trim()) == path;
                    let button = Button::selectable(selected, text)
                        .truncate()
                        .right_text(RichText::new(size).weak())
                        .min_size(egui::vec2(ui.available_width(), row_height));
                    let row = ui.add(button);
                    if entry.is_dir && row.clicked() {
                        action = Some(Action::Enter(path));
                    } else if row.double_clicked() {
                        action = Some(Action::Pick(path));
                    } else if row.clicked() {
                        action = Some(Action::Select(path));
                    }
                }
            });

        ui.separator();
        ui.with_layout(Layout::right_to_left(Align::Center), |ui| {
            if ui.button("Cancel").clicked() {
                action = Some(Action::Cancel);
            }
            if ui.button("Open").clicked() {
                action = Some(Action::Submit);
            }
            ui.with_layout(Layout::left_to_right(Align::Center), |ui| {
                ui.add(
                    egui::Label::new(RichText::new(self.dir.display().to_string()).weak())
                        .truncate(),
                );
            });
        });
        action
    }

    /// Acts on the text of the path field: a file is picked, a directory listed.
    fn submit(&mut self) -> Option<Outcome> {
        let typed = self.path_text.trim();
        if typed.is_empty() {
            return None;
        }
        let path = self.resolve(typed);
        match std::fs::metadata(&path) {
            Ok(meta) if meta.is_dir() => self.enter_dir(path),
            Ok(_) => return Some(Outcome::Picked(path)),
            Err(err) if err.kind() == io::ErrorKind::NotFound => {
                self.error = Some(format!("no such file: {}", path.display()));
            }
            Err(err) => self.error = Some(format!("cannot open {}: {err}", path.display())),
        }
        // Keep typing in the field after Enter.
        self.focus_requested = false;
        None
    }

    /// `~` is the home folder; relative paths are relative to the listed folder.
    fn resolve(&self, typed: &str) -> PathBuf {
        let home = std::env::var_os("HOME").map(PathBuf::from);
        match (typed.strip_prefix('~'), home) {
            (Some(""), Some(home)) => home,
            (Some(rest), Some(home)) if rest.starts_with('/') => home.join(&rest[1..]),
            _ => self.dir.join(typed),
        }
    }

    fn enter_dir(&mut self, dir: PathBuf) {
        // Make "a/../b" and "." look tidy; keep the path as given if that fails.
        let dir = std::fs::canonicalize(&dir).unwrap_or(dir);
        self.error = None;
        self.entries = match list_dir(&dir) {
            Ok(entries) => entries,
            Err(err) => {
                self.error = Some(format!("cannot read {}: {err}", dir.display()));
                Vec::new()
            }
        };
        let mut text = dir.display().to_string();
        if !text.ends_with(std::path::MAIN_SEPARATOR) {
            text.push(std::path::MAIN_SEPARATOR);
        }
        self.path_text = text;
        self.dir = dir;
        self.focus_requested = false;
    }
}

/// The visible entries of `dir`: directories first, then files, each sorted.
fn list_dir(dir: &Path) -> io::Result<Vec<Entry>> {
    let mut entries = Vec::new();
    for item in std::fs::read_dir(dir)? {
        let Ok(item) = item else { continue };
        let name = item.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Follow symlinks, so a link to a folder can be entered.
        let (is_dir, size) = match std::fs::metadata(item.path()) {
            Ok(meta) => (meta.is_dir(), meta.is_file().then_some(meta.len())),
            Err(_) => (false, None),
        };
        entries.push(Entry { name, is_dir, size });
    }
    entries.sort_by(|a, b| {
        b.is_dir
            .cmp(&a.is_dir)
            .then_with(|| a.name.to_lowercase().cmp(&b.name.to_lowercase()))
            .then_with(|| a.name.cmp(&b.name))
    });
    Ok(entries)
}

fn is_heap_dump(name: &str) -> bool {
    let name = name.to_ascii_lowercase();
    DUMP_SUFFIXES.iter().any(|suffix| name.ends_with(suffix))
}

/// What the desktop's file dialog answered.
pub enum Portal {
    Picked(PathBuf),
    Cancelled,
    /// No dialog could be shown (no portal): the built-in chooser opens.
    Unavailable,
}

/// Asks the desktop portal for a file (blocks until the dialog closes).
/// rfd answers `None` both to a cancel and when no dialog could be shown,
/// so the portal is asked first whether it has a file chooser.
pub fn portal_pick(title: &str) -> Portal {
    if let Err(why) = file_chooser_portal(std::time::Duration::from_secs(5)) {
        log_once(&why);
        return Portal::Unavailable;
    }
    let started = std::time::Instant::now();
    let picked = rfd::FileDialog::new()
        .set_title(title)
        .add_filter("Heap dumps", &["hprof", "gz", "bin"])
        .add_filter("All files", &["*"])
        .pick_file();
    match picked {
        Some(p) => Portal::Picked(p),
        // Faster than anyone closes a dialog: the portal showed none.
        None if started.elapsed() < std::time::Duration::from_millis(400) => Portal::Unavailable,
        None => Portal::Cancelled,
    }
}

fn log_once(why: &str) {
    static SAID: std::sync::Once = std::sync::Once::new();
    SAID.call_once(|| {
        eprintln!("heapscope: no desktop file dialog ({why}); using the built-in chooser")
    });
}

const PORTAL: &str = "org.freedesktop.portal.Desktop";

/// The version of the portal's FileChooser, asked on the session bus (which
/// starts the portal if it is installed, as rfd's own call would); gives up
/// after `timeout`.
fn file_chooser_portal(timeout: std::time::Duration) -> Result<u32, String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("heapscope-portal-check".into())
        .spawn(move || {
            let _ = tx.send(block_on(portal_version(timeout)));
        })
        .map_err(|e| e.to_string())?;
    rx.recv_timeout(timeout)
        .unwrap_or_else(|_| Err(format!("no answer from {PORTAL} in {timeout:?}")))
}

async fn portal_version(timeout: std::time::Duration) -> Result<u32, String> {
    let conn = zbus::conn::Builder::session()
        .map_err(|e| format!("no session bus: {e}"))?
        .method_timeout(timeout)
        .build()
        .await
        .map_err(|e| format!("no session bus: {e}"))?;
    let reply = conn
        .call_method(
            Some(PORTAL),
            "/org/freedesktop/portal/desktop",
            Some("org.freedesktop.DBus.Properties"),
            "Get",
            &("org.freedesktop.portal.FileChooser", "version"),
        )
        .await
        .map_err(|e| format!("{PORTAL} has no FileChooser: {e}"))?;
    let value: zbus::zvariant::OwnedValue = reply
        .body()
        .deserialize()
        .map_err(|e| format!("bad reply from {PORTAL}: {e}"))?;
    u32::try_from(value).map_err(|e| format!("bad FileChooser version: {e}"))
}

/// Runs a future on this thread (zbus with async-io drives its I/O on
/// threads of its own: parking until woken is enough).
fn block_on<F: std::future::Future>(future: F) -> F::Output {
    use std::task::{Context, Poll, Wake, Waker};
    struct Unpark(std::thread::Thread);
    impl Wake for Unpark {
        fn wake(self: std::sync::Arc<Self>) {
            self.0.unpark();
        }
    }
    let waker = Waker::from(std::sync::Arc::new(Unpark(std::thread::current())));
    let mut cx = Context::from_waker(&waker);
    let mut future = std::pin::pin!(future);
    loop {
        match future.as_mut().poll(&mut cx) {
            Poll::Ready(output) => return output,
            Poll::Pending => std::thread::park(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dump_names() {
        for name in ["a.hprof", "A.HPROF", "b.hprof.gz", "c.bin", "d.gz"] {
            assert!(is_heap_dump(name), "{name}");
        }
        for name in ["notes.txt", "hprof", "x.hprofx"] {
            assert!(!is_heap_dump(name), "{name}");
        }
    }
}

//! The menu bar and the keyboard shortcuts.

use std::path::PathBuf;

use egui::{Key, KeyboardShortcut, Modifiers};

use super::command::{Command, Purpose, View};
use super::document::Document;

pub const OPEN: KeyboardShortcut = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
pub const BACK: KeyboardShortcut = KeyboardShortcut::new(Modifiers::ALT, Key::ArrowLeft);
pub const FORWARD: KeyboardShortcut = KeyboardShortcut::new(Modifiers::ALT, Key::ArrowRight);

/// What the menus show.
pub struct MenuContext<'a> {
    pub shown: Option<&'a Document>,
    pub other: Option<&'a Document>,
    pub recent: &'a [PathBuf],
    pub view: View,
}

pub fn shortcuts(ctx: &egui::Context, out: &mut Vec<Command>) {
    ctx.input_mut(|i| {
        if i.consume_shortcut(&OPEN) {
            out.push(Command::Choose(Purpose::Open));
        }
        if i.consume_shortcut(&BACK) {
            out.push(Command::Back);
        }
        if i.consume_shortcut(&FORWARD) {
            out.push(Command::Forward);
        }
        for v in View::ALL {
            if i.consume_shortcut(&v.shortcut()) {
                out.push(Command::Show(v));
            }
        }
    });
}

fn item(ui: &mut egui::Ui, text: &str, shortcut: Option<&KeyboardShortcut>) -> bool {
    let mut b = egui::Button::new(text);
    if let Some(s) = shortcut {
        b = b.shortcut_text(ui.ctx().format_shortcut(s));
    }
    let clicked = ui.add(b).clicked();
    if clicked {
        ui.close();
    }
    clicked
}

pub fn menu_ui(ui: &mut egui::Ui, m: &MenuContext, out: &mut Vec<Command>) {
    egui::MenuBar::new().ui(ui, |ui| {
        ui.menu_button("File", |ui| file_menu(ui, m, out));
        ui.menu_button("View", |ui| {
            for v in View::ALL {
                let button = egui::Button::selectable(m.view == v, v.title())
                    .shortcut_text(ui.ctx().format_shortcut(&v.shortcut()));
                if ui.add(button).clicked() {
                    out.push(Command::Show(v));
                    ui.close();
                }
            }
            ui.separator();
            theme_ui(ui);
        });
        ui.menu_button("Go", |ui| {
            if item(ui, "Back", Some(&BACK)) {
                out.push(Command::Back);
            }
            if item(ui, "Forward", Some(&FORWARD)) {
                out.push(Command::Forward);
            }
        });
    });
}

fn file_menu(ui: &mut egui::Ui, m: &MenuContext, out: &mut Vec<Command>) {
    if item(ui, "Open...", Some(&OPEN)) {
        out.push(Command::Choose(Purpose::Open));
    }
    if item(ui, "Open demo dump", None) {
        out.push(Command::OpenDemo);
    }
    ui.add_enabled_ui(m.shown.is_some(), |ui| {
        ui.menu_button("Compare with...", |ui| compare_menu_ui(ui, m, out));
    });
    let delete = ui
        .add_enabled(m.shown.is_some(), egui::Button::new("Delete index"))
        .on_hover_text(
            "Delete the index file (DUMP.hsidx) that makes reopening this dump instant; \
             the next open parses the dump again and rewrites it",
        );
    if delete.clicked() {
        out.push(Command::DeleteIndex);
        ui.close();
    }
    if let Some(other) = m.other {
        let close = ui
            .button(format!("Close {}", other.label()))
            .on_hover_text("The dump open beside the one shown");
        if close.clicked() {
            out.push(Command::CloseOther);
            ui.close();
        }
    }
    ui.menu_button("Open recent", |ui| {
        if m.recent.is_empty() {
            ui.label("No recent files");
        }
        for p in m.recent {
            if item(ui, &p.display().to_string(), None) {
                out.push(Command::Open(p.clone()));
            }
        }
    });
    ui.separator();
    if ui.button("Quit").clicked() {
        ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
    }
}

/// Baselines to compare the shown dump with: a file, the other open
/// dump, recent files.
fn compare_menu_ui(ui: &mut egui::Ui, m: &MenuContext, out: &mut Vec<Command>) {
    if item(ui, "Choose a file...", None) {
        out.push(Command::Choose(Purpose::Baseline));
    }
    if let Some(other) = m.other {
        ui.separator();
        if item(ui, &format!("{} (open)", other.label()), None) {
            out.push(Command::CompareWith(other.path.clone()));
        }
    }
    let current = m.shown.map(|d| d.path.as_path());
    let recent: Vec<&PathBuf> = m
        .recent
        .iter()
        .filter(|p| Some(p.as_path()) != current && m.other.is_none_or(|o| &o.path != *p))
        .collect();
    if !recent.is_empty() {
        ui.separator();
    }
    for p in recent {
        if item(ui, &p.display().to_string(), None) {
            out.push(Command::CompareWith(p.clone()));
        }
    }
}

/// Light, dark or the system's, in words (egui's own switcher draws
/// symbols the default fonts may lack).
fn theme_ui(ui: &mut egui::Ui) {
    ui.label("Theme:");
    let current = ui.ctx().options(|o| o.theme_preference);
    for (pref, label) in [
        (egui::ThemePreference::Light, "Light"),
        (egui::ThemePreference::Dark, "Dark"),
        (egui::ThemePreference::System, "Follow the system"),
    ] {
        if ui
            .add(egui::Button::selectable(current == pref, label))
            .clicked()
        {
            ui.ctx().set_theme(pref);
        }
    }
}

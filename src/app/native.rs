//! The native window (eframe): its options, icon and persistence; and
//! loading a document in this thread for screenshots and tests.

use std::path::{Path, PathBuf};

use super::command::DumpId;
use super::document::Document;
use super::task::Waker;
use super::{APP_ID, HeapscopeApp, RECENT_KEY, SQL_HISTORY_KEY, load};

impl eframe::App for HeapscopeApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.window_ui(ui);
    }

    fn on_exit(&mut self) {
        if std::env::var_os("HEAPSCOPE_FRAME_STATS").is_some() {
            eprintln!("frames: {}", self.frame_stats.report());
        }
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        if let Ok(s) = serde_json::to_string(&self.recent) {
            storage.set_string(RECENT_KEY, s);
        }
        if let Ok(s) = serde_json::to_string(&self.sql_history) {
            storage.set_string(SQL_HISTORY_KEY, s);
        }
    }
}

/// The window icon (assets/icons, drawn for heapscope).
const ICON: &[u8] =
    include_bytes!("../../assets/icons/hicolor/256x256/apps/io.github.heapscope.Heapscope.png");

/// Opens the window: on `path` if given (its heap dump `heap_dump`, or
/// the last), on the built-in demo dump if `demo`, else on the start page.
pub fn run(path: Option<PathBuf>, demo: bool, heap_dump: Option<usize>) -> Result<(), String> {
    let started = std::time::Instant::now();
    let options = eframe::NativeOptions {
        viewport: egui::ViewportBuilder::default()
            .with_title("heapscope")
            .with_app_id(APP_ID)
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([640.0, 400.0])
            .with_drag_and_drop(true)
            .with_icon(eframe::icon_data::from_png_bytes(ICON).unwrap_or_default()),
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        "heapscope",
        options,
        Box::new(move |cc| {
            let mut app = HeapscopeApp::new(cc.storage);
            // Frame timings count from the start of `run`, window creation included.
            app.frame_stats.started = Some(started);
            app.waker = Waker::of(&cc.egui_ctx);
            if let Some(p) = path {
                app.open_heap_dump(p, heap_dump);
            } else if demo {
                app.open_demo();
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| e.to_string())
}

/// Loads a dump completely in this thread (for screenshots and tests).
pub fn load_document(path: &Path) -> Result<Document, String> {
    load_heap_dump(path, None)
}

/// [`load_document`] of heap dump `heap_dump` (or the last) of the file.
pub fn load_heap_dump(path: &Path, heap_dump: Option<usize>) -> Result<Document, String> {
    let results = load::load_now(path, heap_dump);
    let mut doc = Document::from_results(DumpId(0), path.to_path_buf(), results);
    doc.heap_dump = heap_dump;
    match doc.error.take() {
        Some(e) => Err(e),
        None => Ok(doc),
    }
}

//! The window driven by egui_kittest: a harness on a fresh app, waiting
//! for its background tasks, the demo dump opened from the start page.

use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use heapscope::app::HeapscopeApp;

pub type Window = Harness<'static, HeapscopeApp>;

/// A `w` x `h` window on the start page.
pub fn harness(w: f32, h: f32) -> Window {
    Harness::builder()
        .with_size(egui::vec2(w, h))
        // A frame a 60th of a second (kittest's default of 0.25 s is too
        // slow for a double-click).
        .with_step_dt(1.0 / 60.0)
        .build_ui_state(
            |ui, app: &mut HeapscopeApp| app.window_ui(ui),
            HeapscopeApp::new(None),
        )
}

/// Steps the app until `done` holds (background tasks report in between).
pub fn wait_for(h: &mut Window, what: &str, done: impl Fn(&Window) -> bool) {
    let start = Instant::now();
    while !done(h) {
        assert!(
            start.elapsed() < Duration::from_secs(90),
            "timed out waiting for {what}"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run_steps(2);
}

/// Opens the built-in demo dump from the start page and waits for it.
pub fn open_demo(h: &mut Window) {
    h.run_steps(2);
    h.get_by_label("Open demo dump").click();
    wait_for(h, "the demo dump to load", |h| {
        h.state().doc().is_some_and(|d| !d.is_loading())
    });
    let doc = h.state().doc().unwrap();
    assert!(doc.error.is_none(), "{:?}", doc.error);
}

//! Frame times of the window while scrolling big tables: the app driven by
//! egui_kittest on a big dump (no GPU rendering: the time is the UI's own
//! work per frame, layout and tessellation included).
//!
//! `cargo bench --bench ui -- DUMP` (default: target/bench/big2g.hprof).

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use heapscope::app::{HeapscopeApp, View, load_document};

fn step_times(
    h: &mut Harness<'_, HeapscopeApp>,
    frames: usize,
    event: impl Fn() -> egui::Event,
) -> Vec<f64> {
    (0..frames)
        .map(|_| {
            h.event(event());
            let t = Instant::now();
            h.step();
            t.elapsed().as_secs_f64() * 1000.0
        })
        .collect()
}

fn summary(label: &str, mut times: Vec<f64>) {
    times.sort_by(f64::total_cmp);
    println!(
        "{label}: {} frames, median {:.2} ms, 99th percentile {:.2} ms, longest {:.2} ms",
        times.len(),
        times[times.len() / 2],
        times[times.len() * 99 / 100],
        times[times.len() - 1]
    );
}

fn main() {
    let dump = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/target/bench/big2g.hprof"
            ))
        });
    let t = Instant::now();
    let doc = load_document(&dump).expect("load");
    println!(
        "{}: loaded in {:.1} s",
        dump.display(),
        t.elapsed().as_secs_f64()
    );
    let heap = doc.heap.clone().expect("heap");
    // The class with the most instances: its instance table has millions of rows.
    let rows = doc.histogram.clone().expect("histogram");
    let biggest = rows.iter().max_by_key(|r| r.instances).expect("a class");
    let (class, count) = (biggest.class, biggest.instances);
    let mut app = HeapscopeApp::with_document(doc, View::Histogram);
    let views = app.views_mut().expect("views");
    views
        .histogram
        .show_instances(heapscope::heap::ClassIx(class));
    let mut h = Harness::builder()
        .with_size(egui::vec2(1280.0, 800.0))
        .build_ui_state(|ui, app: &mut HeapscopeApp| app.window_ui(ui), app);
    let start = Instant::now();
    while !h
        .state()
        .views()
        .is_some_and(|v| v.histogram.instances_listed())
    {
        assert!(
            start.elapsed() < Duration::from_secs(60),
            "instances never listed"
        );
        h.step();
        std::thread::sleep(Duration::from_millis(20));
    }
    println!(
        "instances of {} ({count}) listed in {:.2} s",
        heap.class(class).name,
        start.elapsed().as_secs_f64()
    );
    // Point at the instance table (lower half) and scroll down.
    h.event(egui::Event::PointerMoved(egui::pos2(300.0, 650.0)));
    h.step();
    let wheel = || egui::Event::MouseWheel {
        unit: egui::MouseWheelUnit::Line,
        delta: egui::vec2(0.0, -40.0),
        phase: egui::TouchPhase::Move,
        source: egui::MouseWheelSource::Wheel,
        modifiers: egui::Modifiers::NONE,
    };
    summary(
        &format!("scrolling {count} instance rows"),
        step_times(&mut h, 300, wheel),
    );
    // The dominator tree with 100,000 top-level rows shown.
    let views = h.state_mut().views_mut().expect("views");
    views.dominators.show_top(100_000);
    h.state_mut().view = View::Dominators;
    h.event(egui::Event::PointerMoved(egui::pos2(300.0, 400.0)));
    h.step();
    summary(
        "scrolling the dominator tree (100,000 rows shown)",
        step_times(&mut h, 300, wheel),
    );
}

//! The desktop app driven through egui_kittest on the built-in demo dump
//! (a real JDK 17 dump of assets/demo/TimerLeakDemo.java): no window, no
//! file dialog.

#![cfg(feature = "gui")]

mod common;

use common::window::{Window, harness, open_demo, wait_for};
mod jdk;

use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use heapscope::app::{HeapscopeApp, HistogramCol as Col, Retention, Sort, View};

/// The walk of the motivating case: Overview's finalizer headline, the
/// class whose finalizers dominate, one of its objects, and in the "why
/// alive" panel its path through the timer's TaskQueue to the timer thread.
#[test]
fn from_the_finalizer_headline_to_the_timer_thread() {
    let mut h = harness(1400.0, 900.0);
    open_demo(&mut h);
    assert_eq!(h.state().view, View::Overview);
    // 1: the headline.
    h.get_by_label_contains("finalizers; 1,000 pending; finalizer thread stuck in TimerLeakDemo$PgConnection.finalize()")
        .click();
    h.run_steps(2);
    assert_eq!(h.state().view, View::Finalizers);
    // 2: the class with the most finalizers.
    h.get_by_label("TimerLeakDemo$PgPreparedStatement").click();
    h.run_steps(2);
    // Only the registered ones (the pending ones have no strong path).
    h.get_by_label("registered only").click();
    h.run_steps(2);
    // 3: one of its objects.
    let referent = h
        .get_all_by_label_contains("TimerLeakDemo$PgPreparedStatement 0x")
        .next()
        .expect("a referent")
        .accesskit_node()
        .label()
        .unwrap_or_default();
    h.get_all_by_label_contains("TimerLeakDemo$PgPreparedStatement 0x")
        .next()
        .unwrap()
        .click();
    wait_for(&mut h, "the paths to GC roots", |h| {
        let app = h.state();
        let doc = app.doc().unwrap();
        let selected = doc.selection().map(|o| (doc.id, o));
        selected.is_some() && app.why_alive.shown() == selected && !app.why_alive.is_running()
    });
    // The panel shows the chain and the timer thread's frame.
    h.get_by_label_contains(
        "GC root: java frame of \"PgCancelTimer\" in java.util.TimerThread.mainLoop",
    );
    assert!(
        h.query_all_by_label_contains("java.util.TaskQueue 0x")
            .count()
            >= 1
    );
    assert!(
        h.query_all_by_label_contains("java.util.TimerTask[] 0x")
            .count()
            >= 1
    );
    let doc = h.state().doc().unwrap();
    let heap = doc.heap.as_ref().unwrap();
    let selected = doc.selection().unwrap();
    assert_eq!(
        heapscope::units::hex_id(heap.id(selected.0)),
        referent.rsplit(' ').next().unwrap()
    );
}

#[test]
fn histogram_sorts_and_filters() {
    let mut h = harness(1400.0, 900.0);
    open_demo(&mut h);
    h.get_by_label("Histogram").click();
    h.run_steps(2);
    assert_eq!(h.state().view, View::Histogram);
    // Largest shallow size first: byte[].
    assert!(h.query_by_label("byte[]").is_some());
    // Filter by a regular expression.
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Filter:")
        .focus();
    h.run_steps(1);
    h.get_by_role_and_label(egui::accesskit::Role::TextInput, "Filter:")
        .type_text("TimerLeakDemo\\$(Cancel|PgPrepared)");
    h.run_steps(3);
    assert_eq!(
        h.state().views().unwrap().histogram.filter(),
        "TimerLeakDemo\\$(Cancel|PgPrepared)"
    );
    assert!(
        h.query_by_label("TimerLeakDemo$PgPreparedStatement")
            .is_some()
    );
    assert!(h.query_by_label("TimerLeakDemo$CancelTimerTask").is_some());
    assert!(h.query_by_label("byte[]").is_none());
    assert!(h.query_by_label("java.lang.String").is_none());
    // Sort by instances, then the other way.
    h.get_by_label("Instances").click();
    h.run_steps(2);
    let sort = |h: &Harness<'static, HeapscopeApp>| h.state().views().unwrap().histogram.sort();
    assert_eq!(
        sort(&h),
        Sort {
            column: Col::Instances,
            ascending: false
        }
    );
    h.get_by_label_contains("Instances").click();
    h.run_steps(2);
    assert_eq!(
        sort(&h),
        Sort {
            column: Col::Instances,
            ascending: true
        }
    );
    // Retained sizes are filled in.
    assert!(h.state().doc().unwrap().tree(Retention::All).is_some());
}

#[test]
fn every_view_draws_the_loaded_dump() {
    let mut h = harness(1400.0, 900.0);
    open_demo(&mut h);
    for (tab, expect) in [
        ("Dominators", "reachable objects"),
        ("Suspects", "Big holder"),
        ("Threads", "PgCancelTimer"),
        ("Inspector", "Inspect the biggest object"),
        ("Overview", "Biggest objects"),
    ] {
        h.get_by_label(tab).click();
        h.run_steps(3);
        if tab == "Suspects" {
            wait_for(&mut h, "the leak suspects", |h| {
                h.state().doc().is_some_and(|d| d.leaks().is_some())
            });
        }
        assert!(
            h.query_all_by_label_contains(expect).count() > 0,
            "{tab}: no '{expect}'"
        );
    }
    // Inspect the biggest object: its fields and paths show.
    h.get_by_label("Inspector").click();
    h.run_steps(2);
    h.get_by_label("Inspect the biggest object").click();
    h.run_steps(3);
    assert!(
        h.query_by_label_contains("Static fields").is_some()
            || h.query_by_label_contains("Fields (").is_some()
    );
    // Back and forward through the selection history.
    assert!(h.state().doc().unwrap().selection().is_some());
}

/// The window's app id names the .desktop file, its StartupWMClass, the
/// icon and the AppStream id.
#[test]
fn packaging_uses_one_app_id() {
    let id = heapscope::app::APP_ID;
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
    let desktop = std::fs::read_to_string(root.join(format!("packaging/{id}.desktop")))
        .expect("the .desktop file");
    assert!(desktop.lines().any(|l| l == format!("StartupWMClass={id}")));
    assert!(desktop.lines().any(|l| l == format!("Icon={id}")));
    let metainfo = std::fs::read_to_string(root.join(format!("packaging/{id}.metainfo.xml")))
        .expect("metainfo");
    assert!(metainfo.contains(&format!("<id>{id}</id>")));
    assert!(metainfo.contains(&format!(
        "<launchable type=\"desktop-id\">{id}.desktop</launchable>"
    )));
    assert!(root.join(format!("assets/icons/{id}.svg")).exists());
    for size in [32, 48, 64, 128, 256] {
        let png = root.join(format!("assets/icons/hicolor/{size}x{size}/apps/{id}.png"));
        let image = image::open(&png).unwrap_or_else(|e| panic!("{}: {e}", png.display()));
        assert_eq!((image.width(), image.height()), (size, size));
    }
}

/// The dominator tree's top level filters by class and sorts, each list
/// made once for its order and filter.
#[test]
fn dominator_tree_filters_and_sorts_its_top_level() {
    let mut h = harness(1400.0, 900.0);
    open_demo(&mut h);
    h.get_by_label("Dominators").click();
    h.run_steps(2);
    let filter = || (egui::accesskit::Role::TextInput, "Filter top level:");
    h.get_by_role_and_label(filter().0, filter().1).focus();
    h.run_steps(1);
    h.get_by_role_and_label(filter().0, filter().1)
        .type_text("TaskQueue");
    h.run_steps(3);
    let shown = |h: &Harness<'static, HeapscopeApp>| {
        h.query_all_by_label_contains(" 0x")
            .map(|n| n.accesskit_node().label().unwrap_or_default())
            .collect::<Vec<_>>()
    };
    let rows = shown(&h);
    assert!(!rows.is_empty());
    assert!(rows.iter().all(|r| r.contains("TaskQueue")), "{rows:?}");
    // Sorting the filtered list keeps the filter.
    h.get_by_label_contains("Shallow").click();
    h.run_steps(2);
    assert!(shown(&h).iter().all(|r| r.contains("TaskQueue")));
    // One cached top level, for the filter in use.
    let tops = h.state().views().unwrap().dominators.cached_top_filters();
    assert_eq!(tops, ["TaskQueue"]);
}

/// `heapscope screenshot` renders a view offscreen (a software rasterizer:
/// .ci/run installs Mesa's lavapipe).
#[test]
fn screenshot_renders_a_view() {
    let dir = tempfile::tempdir().unwrap();
    // A copy of its own: the screenshot writes an index beside it.
    let demo = &dir.path().join("demo.hprof.gz");
    std::fs::write(demo, heapscope::demo::DEMO_DUMP).unwrap();
    let out = dir.path().join("finalizers.png");
    let status = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args([
            "screenshot",
            demo.to_str().unwrap(),
            "--view",
            "finalizers",
            "--out",
            out.to_str().unwrap(),
            "--size",
            "1000x700",
        ])
        .status()
        .expect("run heapscope screenshot");
    assert!(status.success());
    let image = image::open(&out).expect("a PNG").to_rgba8();
    assert_eq!((image.width(), image.height()), (1000, 700));
    // Not a blank picture: many distinct colours (text, links, bars).
    let mut colours: Vec<[u8; 4]> = image.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 50, "only {} colours", colours.len());
    let bad = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args([
            "screenshot",
            demo.to_str().unwrap(),
            "--view",
            "nowhere",
            "--out",
            out.to_str().unwrap(),
        ])
        .status()
        .unwrap();
    assert_eq!(bad.code(), Some(2));
}

/// Two dumps of DiffSubject (tests/java), which grows by 20,000 Items in a
/// static ArrayList between them: open both, compare the current with the
/// other open one, and walk from the owners table into the current dump.
#[test]
fn compare_two_dumps_and_open_the_owner_of_the_growth() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = jdk::dump_twice(&jdk::system_jdk(), dir.path());

    let mut h = harness(1400.0, 900.0);
    h.run_steps(2);
    for path in [&before, &after] {
        h.state_mut().open(path.clone());
        wait_for(&mut h, "a dump to load", |h| {
            let app = h.state();
            app.doc().is_some_and(|d| !d.is_loading())
        });
    }
    assert_eq!(h.state().other().unwrap().path, before);

    // The Compare tab offers the other open dump as the baseline.
    h.get_by_label("Compare").click();
    h.run_steps(2);
    assert_eq!(h.state().view, View::Compare);
    h.get_by_label("Compare with before.hprof (open)").click();
    wait_for(&mut h, "the comparison", |h| {
        let app = h.state();
        app.comparison.as_ref().is_some_and(|c| c.is_done())
    });
    let app = h.state();
    let c = app.comparison.as_ref().unwrap();
    assert!(c.error.is_none(), "{:?}", c.error);
    assert_eq!(
        (c.baseline, c.current),
        (app.other().unwrap().id, app.doc().unwrap().id)
    );

    // Classes: growth first, the Items with their exact delta.
    h.get_by_label("DiffSubject$Item");
    assert!(h.query_all_by_label("+20,000").count() >= 2);
    // The filter keeps matching classes only.
    h.get_by_label("Filter:").focus();
    h.run_steps(1);
    h.get_by_label("Filter:").type_text("Doomed");
    h.run_steps(2);
    assert!(h.query_by_label("DiffSubject$Item").is_none());
    h.get_by_label("DiffSubject$Doomed");
    assert!(h.query_by_label("+300").is_some());

    // Owners: the registry's array first; open it in the current dump.
    h.get_by_label("Owners of the growth").click();
    h.run_steps(2);
    // In the headline and first in the table.
    assert_eq!(
        h.get_all_by_label("class DiffSubject > ArrayList > Object[]")
            .count(),
        2
    );
    let example = h
        .state()
        .comparison
        .as_ref()
        .unwrap()
        .diff
        .as_ref()
        .unwrap()
        .owners
        .as_ref()
        .unwrap()[0]
        .example_after
        .unwrap()
        .0;
    h.get_all_by_label("current").next().unwrap().click();
    h.run_steps(3);
    let app = h.state();
    assert_eq!(app.view, View::Inspector);
    let doc = app.doc().unwrap();
    assert_eq!(doc.path, after);
    assert_eq!(doc.selection(), Some(heapscope::heap::ObjectIx(example)));
    let heap = doc.heap.as_ref().unwrap();
    assert_eq!(
        heap.class(heap.class_of(example)).name,
        "java.lang.Object[]"
    );

    // Switch to the baseline dump: the comparison stays.
    h.get_by_label("before.hprof").click();
    h.run_steps(2);
    assert_eq!(h.state().doc().unwrap().path, before);
    h.get_by_label("Compare").click();
    h.run_steps(2);
    h.get_by_label("Finalizer states").click();
    h.run_steps(2);
    h.get_by_label("DiffSubject$Doomed");
    h.get_by_label("100 -> 400");
}

/// A file holding two heap dumps (as the old hprof agent writes): the
/// Overview shows the last with a combo box of both; picking #0 reloads the
/// file on that snapshot, with its own objects.
#[test]
fn overview_picks_another_heap_dump_of_the_file() {
    use egui::accesskit::Role;
    use egui_kittest::kittest::by;
    let f = common::temp_file(&common::two_heap_dumps(common::Snapshots::Agent));
    let mut h = harness(1400.0, 900.0);
    h.run_steps(2);
    h.state_mut().open(f.path().to_path_buf());
    let loaded = |h: &Window| h.state().doc().is_some_and(|d| !d.is_loading());
    wait_for(&mut h, "the file to load", loaded);
    let heap = h.state().doc().unwrap().heap.clone().unwrap();
    assert_eq!(heap.census().records.heap_dump, Some(1));
    assert_eq!(heap.object_count(), 9);
    // The default's warning shows with the others.
    h.get_by_label_contains("this file holds 2 heap dumps");

    h.get(
        by().role(Role::ComboBox)
            .value("#1 of 2 (taken 2026-11-24 21:03:58.796 UTC)"),
    )
    .click();
    h.run_steps(2);
    h.get_by_label("#0 of 2 (taken 2026-11-24 21:03:56.296 UTC)")
        .click();
    h.run_steps(1);
    wait_for(&mut h, "heap dump #0 to load", loaded);
    let app = h.state();
    assert_eq!(app.view, View::Overview);
    let doc = app.doc().unwrap();
    assert!(doc.error.is_none(), "{:?}", doc.error);
    assert_eq!(doc.path, f.path());
    assert_eq!(doc.heap_dump, Some(0));
    let name = f.path().file_name().unwrap().to_str().unwrap();
    assert_eq!(doc.label(), format!("{name} #0"));
    assert!(app.other().is_none());
    let heap = doc.heap.clone().unwrap();
    assert_eq!(heap.census().records.heap_dump, Some(0));
    assert_eq!(heap.object_count(), 5);
    assert!(heap.classes().find("Pear").is_none());
    // Picked, so no warning; the combo box names the snapshot shown.
    assert!(
        h.query_by_label_contains("this file holds 2 heap dumps")
            .is_none()
    );
    h.get(
        by().role(Role::ComboBox)
            .value("#0 of 2 (taken 2026-11-24 21:03:56.296 UTC)"),
    );
}

/// A dump opened twice comes the second time from the index the first
/// open wrote, and File > Delete index deletes it.
#[test]
fn the_index_is_written_reopened_and_deleted_from_the_file_menu() {
    let dir = tempfile::tempdir().unwrap();
    let (_, dump) = jdk::dump_twice(&jdk::system_jdk(), dir.path());
    let index = heapscope::index::locate(&dump, "").beside;
    let mut h = harness(1400.0, 900.0);
    h.run_steps(2);
    let mut notes = Vec::new();
    for _ in 0..2 {
        h.state_mut().open(dump.clone());
        wait_for(&mut h, "the dump to load", |h| {
            let app = h.state();
            app.doc().is_some_and(|d| !d.is_loading())
        });
        notes.push(h.state().doc().unwrap().index_notes.join(" "));
    }
    assert!(notes[0].starts_with("wrote the index"), "{notes:?}");
    assert!(notes[1].starts_with("opened from the index"), "{notes:?}");
    // The Overview says so.
    h.get_by_label_contains("opened from the index");
    assert!(index.exists());
    // The menu's "File", not the Overview's row of that name.
    h.get_all_by_label("File").next().unwrap().click();
    h.run_steps(2);
    h.get_by_label("Delete index").click();
    h.run_steps(2);
    assert!(!index.exists(), "the index is still there");
    h.get_by_label_contains("deleted");
}

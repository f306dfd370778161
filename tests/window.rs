//! The window's rough edges a new user hit (issue 11), each driven through
//! egui_kittest on the built-in demo dump (a real JDK 17 dump of
//! assets/demo/TimerLeakDemo.java), and the actions on objects and classes.

#![cfg(feature = "gui")]

use common::window::{Window, harness, open_demo, wait_for};
use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::{NodeT, Queryable};
use heapscope::app::{HeapscopeApp, Purpose, Retention, View};

mod common;

fn demo(w: f32, h: f32) -> Window {
    let mut h = harness(w, h);
    open_demo(&mut h);
    h
}

fn show(h: &mut Harness<'static, HeapscopeApp>, view: View) {
    // The navigation bar's tab: the first of that name (the Overview has
    // rows called Threads and Finalizers).
    h.get_all_by_label(view.tab()).next().unwrap().click();
    h.run_steps(2);
    assert_eq!(h.state().view, view);
}

fn has(h: &Harness<'static, HeapscopeApp>, text: &str) -> bool {
    h.query_all_by_label_contains(text).count() > 0
}

fn double_click(h: &mut Harness<'static, HeapscopeApp>, label: &str) {
    // Apart from the last click (three within 0.3 s make a triple click).
    h.run_steps(30);
    for _ in 0..2 {
        h.get_by_label(label).click();
        h.step();
    }
    h.run_steps(2);
}

/// Every label and value shown, for failure messages.
fn texts(h: &Harness<'static, HeapscopeApp>) -> String {
    let mut out = Vec::new();
    for n in h.root().children_recursive() {
        let a = n.accesskit_node();
        out.extend(a.label().into_iter().chain(a.value()));
    }
    out.join(" | ")
}

fn type_into(h: &mut Harness<'static, HeapscopeApp>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::TextInput, label).focus();
    h.run_steps(1);
    h.get_by_role_and_label(Role::TextInput, label)
        .type_text(text);
    h.run_steps(3);
}

/// 1: the built-in chooser (what File > Open shows without a desktop
/// portal) has the focus in its path field and opens a typed path.
#[test]
fn the_built_in_chooser_opens_a_typed_path() {
    let dir = tempfile::tempdir().unwrap();
    let dump = dir.path().join("typed.hprof.gz");
    std::fs::write(&dump, heapscope::demo::DEMO_DUMP).unwrap();
    let mut h = harness(1024.0, 700.0);
    h.run_steps(2);
    h.state_mut().show_chooser(Purpose::Open);
    h.run_steps(3);
    let field = h.get_by_role_and_label(Role::TextInput, "Path:");
    assert!(field.is_focused(), "the path field has no focus");
    // A path that is not there says so and opens nothing.
    field.type_text("/no/such/file.hprof");
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    assert!(has(&h, "no such file"), "no error for a missing path");
    assert!(h.state().doc().is_none());
    let field = h.get_by_role_and_label(Role::TextInput, "Path:");
    field.focus();
    h.run_steps(1);
    h.key_press_modifiers(egui::Modifiers::COMMAND, egui::Key::A);
    h.get_by_role_and_label(Role::TextInput, "Path:")
        .type_text(dump.to_str().unwrap());
    h.run_steps(1);
    h.key_press(egui::Key::Enter);
    h.run_steps(3);
    wait_for(&mut h, "the typed dump to load", |h| {
        h.state().doc().is_some_and(|d| !d.is_loading())
    });
    let doc = h.state().doc().unwrap();
    assert_eq!(doc.path, dump);
    assert!(doc.error.is_none(), "{:?}", doc.error);
    assert!(h.state().chooser.is_none());
}

/// 2, 3: a double-click on a class name lists its instances; grouped by
/// package, primitive arrays have their own row, a package expands into
/// its classes and its retained size is the set's (never above the heap).
#[test]
fn histogram_names_double_click_and_packages_group() {
    let mut h = demo(1400.0, 900.0);
    show(&mut h, View::Histogram);
    double_click(&mut h, "java.lang.String");
    assert!(
        has(&h, "Instances of java.lang.String"),
        "double-clicking the name listed nothing: {}",
        texts(&h)
    );

    h.get_by_label("package").click();
    h.run_steps(3);
    wait_for(&mut h, "package retained sizes", |h| !has(h, "..."));
    assert!(has(&h, "(primitive arrays)"));
    assert!(
        has(&h, " packages shown"),
        "the caption does not count packages"
    );
    // The package's retained size as a set is at most the heap's.
    let doc = h.state().doc().unwrap();
    let tree = doc.tree(Retention::All).unwrap();
    let reachable = tree.doms.reachable_bytes();
    let sizes: Vec<u64> = h
        .query_all_by_label_contains("bytes")
        .filter_map(|n| n.accesskit_node().label())
        .filter_map(|l| l.split(" bytes").next().map(|n| n.replace(',', "")))
        .filter_map(|n| n.parse().ok())
        .collect();
    assert!(
        sizes.iter().all(|&s| s <= reachable),
        "{sizes:?} > {reachable}"
    );
    // Expanding java.util shows its classes.
    assert!(!has(&h, "java.util.ArrayList"));
    double_click(&mut h, "java.util");
    assert!(has(&h, "java.util.ArrayList"), "java.util did not expand");
}

/// 4, 5: retained sizes say what they count, and the status bar switches
/// every view to strong references; a bad regular expression says so.
#[test]
fn retained_sizes_switch_and_bad_filters_say_so() {
    let mut h = demo(1400.0, 900.0);
    show(&mut h, View::Histogram);
    assert!(has(&h, "retained sizes over all references"));
    h.get_by_label("strong only").click();
    h.run_steps(2);
    assert_eq!(h.state().retention, Retention::Strong);
    wait_for(&mut h, "the strong tree", |h| {
        h.state().doc().unwrap().tree(Retention::Strong).is_some()
    });
    assert!(has(&h, "retained sizes over strong references"));
    show(&mut h, View::Dominators);
    assert!(has(&h, "Over strong references"));

    show(&mut h, View::Histogram);
    type_into(&mut h, "Filter:", "(unclosed");
    assert!(
        has(&h, "invalid regular expression"),
        "no message for a bad regex"
    );
    assert!(
        !has(&h, "java.lang.String"),
        "a bad regex shows every class"
    );
}

/// 6, 12: at 1024x700 the navigation stays in the window on one line; headers show
/// their text on hover; the demo's title is its name, not the temp file's.
#[test]
fn small_window_keeps_its_toolbar_and_the_demo_its_name() {
    let mut h = demo(1024.0, 700.0);
    let field = h.get_by_role_and_label(Role::TextInput, "Go to:");
    assert!(
        field.rect().right() <= 1024.0,
        "Go to id leaves the window: {:?}",
        field.rect()
    );
    // On the tabs' line: eleven tabs and the field fit in 1024 px.
    let tab = h.get_all_by_label("Overview").next().unwrap().rect();
    assert!(
        (field.rect().center().y - tab.center().y).abs() < 8.0,
        "the Go-to field wrapped under the tabs: {:?} against {tab:?}",
        field.rect()
    );
    let doc = h.state().doc().unwrap();
    assert_eq!(doc.label(), "demo.hprof.gz");
    assert_eq!(h.state().title(), "heapscope - demo.hprof.gz");
    h.get_by_role_and_label(Role::Label, "demo.hprof.gz");
    show(&mut h, View::Compare);
    show(&mut h, View::Threads);
    assert!(!has(&h, "1 objects"), "'1 objects' in the threads view");
}

/// 7, 8: the theme switcher is in words; Copy id reaches the clipboard
/// (egui's copy command, which eframe's clipboard feature carries out).
#[test]
fn theme_in_words_and_copy_reaches_the_clipboard() {
    let mut h = demo(1400.0, 900.0);
    h.get_by_label("View").click();
    h.run_steps(2);
    assert!(has(&h, "Dark"), "{}", texts(&h));
    h.get_by_label("Dark").click();
    h.run_steps(2);
    assert_eq!(
        h.ctx.options(|o| o.theme_preference),
        egui::ThemePreference::Dark
    );
    // The menu closed with the click; the others are there when it opens.
    h.get_by_label("View").click();
    h.run_steps(2);
    h.get_by_label("Light");
    h.get_by_label("Follow the system");
    h.key_press(egui::Key::Escape);
    h.run_steps(2);
    show(&mut h, View::Overview);
    // The suspects come in above the links once computed: wait for them,
    // or the link found may move before it is clicked.
    wait_for(&mut h, "the leak suspects", |h| {
        h.state().doc().is_some_and(|d| d.leaks().is_some())
    });
    let link = h.get_all_by_label_contains(" 0x").next().unwrap();
    let label = link.accesskit_node().label().unwrap_or_default();
    link.click_secondary();
    h.run_steps(2);
    h.get_by_label("Copy id").click();
    h.step();
    let copied: Vec<String> = h
        .output()
        .platform_output
        .commands
        .iter()
        .filter_map(|c| match c {
            egui::OutputCommand::CopyText(t) => Some(t.clone()),
            _ => None,
        })
        .collect();
    let id = label.rsplit(' ').next().unwrap().to_string();
    assert_eq!(copied, vec![id]);
}

/// 9, 10: a pending object's panel says it waits for the finalizer; with
/// "final" followed, the Finalizer chain folds; the Inspector names the
/// class of a shadowed field.
#[test]
fn why_alive_explains_pending_objects_and_folds_chains() {
    let mut h = demo(1400.0, 900.0);
    show(&mut h, View::Finalizers);
    h.get_by_label("TimerLeakDemo$PgPreparedStatement").click();
    h.run_steps(2);
    h.get_by_label("pending only").click();
    h.run_steps(2);
    h.get_all_by_label_contains("TimerLeakDemo$PgPreparedStatement 0x")
        .next()
        .unwrap()
        .click();
    let searched = |h: &Harness<'static, HeapscopeApp>| {
        let doc = h.state().doc().unwrap();
        let selected = doc.selection().map(|o| (doc.id, o));
        selected.is_some()
            && h.state().why_alive.shown() == selected
            && !h.state().why_alive.is_running()
    };
    wait_for(&mut h, "the paths", searched);
    assert!(
        has(&h, "pending (in Finalizer.queue)"),
        "the panel does not say it is pending"
    );
    h.get_by_label("final").click();
    h.run_steps(2);
    wait_for(&mut h, "the paths through finalizers", searched);
    assert!(
        has(&h, "more java.lang.ref.Finalizer via"),
        "the Finalizer chain is not folded"
    );
    // A Finalizer: `next` is declared by Finalizer and by Reference.
    h.get_all_by_label_contains("java.lang.ref.Finalizer 0x")
        .next()
        .unwrap()
        .click();
    h.run_steps(2);
    show(&mut h, View::Inspector);
    assert!(
        has(&h, "Finalizer.next") && has(&h, "Reference.next"),
        "shadowed fields without their class"
    );
}

/// 11: threads in a table with state, filtered by name; the finalizer
/// view leaves room for its object list.
#[test]
fn threads_table_filters_and_finalizers_list_their_objects() {
    let mut h = demo(1024.0, 700.0);
    show(&mut h, View::Threads);
    h.get_by_label("Held retained v");
    type_into(&mut h, "Filter:", "Timer");
    assert!(has(&h, "PgCancelTimer"));
    assert!(
        !has(&h, "Reference Handler"),
        "the filter keeps other threads"
    );
    assert!(has(&h, "WAITING"), "no thread state");
    show(&mut h, View::Finalizers);
    h.get_by_label("TimerLeakDemo$PgPreparedStatement").click();
    h.run_steps(3);
    let rows = h
        .query_all_by_label_contains("TimerLeakDemo$PgPreparedStatement 0x")
        .count();
    assert!(rows >= 8, "only {rows} objects listed at 1024x700");
    // 6: a header cut at this width shows its whole title on hover.
    h.get_by_label_contains("Kept only by").hover();
    // egui waits half a second before showing a tooltip.
    h.run_steps(60);
    assert!(
        has(&h, "Kept only by finalization: the retained size"),
        "no tooltip on the cut header"
    );
}

/// The actions of the context menu: paths with an exclusion preset,
/// merged paths of a class, the retained set, immediate dominators, the
/// dominator tree.
#[test]
fn actions_on_objects_and_classes() {
    let mut h = demo(1400.0, 900.0);
    let right_click = |h: &mut Harness<'static, HeapscopeApp>, label: &str| {
        // A view shown for the first time lays its table out twice.
        h.run_steps(3);
        h.get_all_by_label_contains(label)
            .next()
            .unwrap()
            .click_secondary();
        h.run_steps(2);
    };
    let query_done = |h: &Harness<'static, HeapscopeApp>| {
        h.state().view == View::Query && !has(h, "Computing...")
    };
    // An object: paths excluding weak references.
    right_click(&mut h, "java.util.TaskQueue 0x");
    h.get_by_label("Paths to GC roots").click();
    h.run_steps(2);
    h.get_by_label("excluding weak references").click();
    h.run_steps(2);
    assert_eq!(h.state().view, View::Query);
    wait_for(&mut h, "the paths", query_done);
    assert!(has(&h, "Paths to GC roots excluding weak references"));
    assert!(
        has(&h, "GC root: java frame of \"PgCancelTimer\""),
        "no path to the timer thread"
    );
    // A class: merged paths, retained set, immediate dominators.
    show(&mut h, View::Histogram);
    right_click(&mut h, "TimerLeakDemo$PgPreparedStatement");
    h.get_by_label("Merged paths to GC roots").click();
    h.run_steps(2);
    h.get_by_label("excluding weak, soft, phantom and finalizer references")
        .click();
    h.run_steps(2);
    wait_for(&mut h, "the merged paths", query_done);
    assert!(has(&h, " paths"), "no merged paths: {}", texts(&h));
    show(&mut h, View::Histogram);
    right_click(&mut h, "TimerLeakDemo$PgPreparedStatement");
    h.get_by_label("Retained set (as a histogram)").click();
    h.run_steps(2);
    wait_for(&mut h, "the retained set", query_done);
    assert!(has(&h, "in the retained set"));
    assert!(has(&h, "TimerLeakDemo$PgPreparedStatement"));
    show(&mut h, View::Histogram);
    right_click(&mut h, "TimerLeakDemo$PgPreparedStatement");
    h.get_by_label("Immediate dominators (by class)").click();
    h.run_steps(2);
    wait_for(&mut h, "the immediate dominators", query_done);
    assert!(has(&h, "Dominator class"));
    // Show an object in the dominator tree: it is selected there.
    show(&mut h, View::Overview);
    right_click(&mut h, "java.util.TaskQueue 0x");
    h.get_by_label("Show in the dominator tree").click();
    h.run_steps(4);
    assert_eq!(h.state().view, View::Dominators);
    let doc = h.state().doc().unwrap();
    let heap = doc.heap.as_ref().unwrap();
    let o = doc.selection().expect("selected");
    assert_eq!(heap.class(heap.class_of(o.0)).name, "java.util.TaskQueue");
    let label = heapscope::report::object_label(heap, o.0);
    assert!(
        h.query_all_by_label(&label).count() >= 1,
        "{label} is not in the tree"
    );
}

/// Replaces the text of the field labelled `label` (select all, type).
fn replace_text(h: &mut Harness<'static, HeapscopeApp>, label: &str, text: &str) {
    h.get_by_role_and_label(Role::MultilineTextInput, label)
        .focus();
    h.run_steps(1);
    h.key_combination_modifiers(egui::Modifiers::COMMAND, &[egui::Key::A]);
    h.run_steps(1);
    h.get_by_role_and_label(Role::MultilineTextInput, label)
        .type_text(text);
    h.run_steps(2);
}

/// 13: the SQL view lists its tables, runs a typed query whose answer is
/// the model's, makes its ids links to the Inspector, shows an error with
/// its position, offers examples and the history, and cancels a query.
#[test]
fn sql_view_answers_links_ids_and_cancels() {
    let mut h = demo(1024.0, 700.0);
    show(&mut h, View::Sql);
    // The whole model first: the view's lines change when the strong tree
    // and the finalizers arrive, and would move the rows clicked below.
    wait_for(&mut h, "the strong tree and the finalizers", |h| {
        h.state()
            .doc()
            .is_some_and(|d| d.tree(Retention::Strong).is_some() && d.finalizers.is_some())
    });
    for table in heapscope::sql::GLOBAL_TABLES {
        assert!(
            h.query_all_by_label(table).count() > 0,
            "the table {table} is not listed"
        );
    }
    let class = "TimerLeakDemo$PgPreparedStatement";
    type_into(&mut h, "Class:", "PgPrepared");
    assert!(has(&h, class), "its class table is not listed");
    let answered = |h: &Harness<'static, HeapscopeApp>| !has(h, "Running...");
    replace_text(
        &mut h,
        "SQL query",
        &format!("SELECT id, class, shallow FROM \"{class}\" ORDER BY id"),
    );
    h.get_by_label("Run").click();
    h.run_steps(2);
    wait_for(&mut h, "the answer", answered);
    let (ids, first) = {
        let heap = h.state().doc().unwrap().heap.clone().unwrap();
        let c = heap.classes().find(class).unwrap();
        let mut ids: Vec<u64> = heap.instances_of(c).iter().map(|&o| heap.id(o)).collect();
        ids.sort();
        (ids.clone(), heap.find(ids[0]).unwrap())
    };
    assert!(ids.len() > 1);
    assert!(
        has(
            &h,
            &format!("{} rows (", heapscope::units::thousands(ids.len() as u64))
        ),
        "not {} rows: {}",
        ids.len(),
        texts(&h)
    );
    // The first id is a link: a double click inspects that object.
    double_click(&mut h, &format!("{:#x}", ids[0]));
    assert_eq!(h.state().view, View::Inspector);
    assert_eq!(
        h.state().doc().unwrap().selection().map(|o| o.0),
        Some(first)
    );
    // An error names its position.
    show(&mut h, View::Sql);
    replace_text(&mut h, "SQL query", "SELECT nosuch FROM objects");
    h.get_by_label("Run").click();
    h.run_steps(2);
    wait_for(&mut h, "the error", answered);
    assert!(has(&h, "The query failed"), "{}", texts(&h));
    assert!(has(&h, "line 1, column 8"), "no position: {}", texts(&h));
    // An example, then the history holds both queries run.
    h.get_by_label("Examples").click();
    h.run_steps(2);
    h.get_by_label("Finalizable objects by class and state")
        .click();
    h.run_steps(2);
    h.get_by_label("Run").click();
    h.run_steps(2);
    wait_for(&mut h, "the example's answer", answered);
    // The class as the answer's text, beside its name in the tables list.
    assert!(
        h.query_all_by_label(class).count() >= 2,
        "the finalizers example: {}",
        texts(&h)
    );
    assert!(has(&h, "state"), "{}", texts(&h));
    assert!(has(&h, "History (3)"), "{}", texts(&h));
    // A query over 10^10 pairs of references, cancelled.
    replace_text(
        &mut h,
        "SQL query",
        "SELECT count(*) FROM refs a, refs b WHERE a.src + b.dst = 7",
    );
    h.get_by_label("Run").click();
    h.run_steps(10);
    assert!(has(&h, "Running..."), "{}", texts(&h));
    h.get_by_label("Cancel").click();
    wait_for(&mut h, "the cancellation", answered);
    assert!(has(&h, "Cancelled."), "{}", texts(&h));
}

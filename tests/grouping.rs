//! Grouping and threads (issue 12): the dominator tree grouped by class,
//! the histogram grouped by class loader and by superclass, the Threads
//! table with daemon flags and thread locals, all driven through
//! egui_kittest on the built-in demo dump and checked against the model;
//! and `heapscope threads --json` on a real JVM's dump, checked against
//! the program's constants (tests/java/LeakPatterns.java).

mod common;
mod jdk;

#[cfg(feature = "gui")]
mod window {
    use super::common::window::{Window, harness, open_demo, wait_for};
    use egui::accesskit::Role;
    use egui_kittest::kittest::{NodeT, Queryable};
    use heapscope::analysis::groups::loader_name;
    use heapscope::app::{Retention, View};
    use heapscope::units::thousands;

    fn demo() -> Window {
        let mut h = harness(1400.0, 900.0);
        open_demo(&mut h);
        h
    }

    fn show(h: &mut Window, view: View) {
        h.get_all_by_label(view.tab()).next().unwrap().click();
        h.run_steps(3);
        assert_eq!(h.state().view, view);
    }

    fn has(h: &Window, text: &str) -> bool {
        h.query_all_by_label_contains(text).count() > 0
    }

    /// Every label and value shown, for failure messages.
    fn texts(h: &Window) -> String {
        let mut out = Vec::new();
        for n in h.root().children_recursive() {
            let a = n.accesskit_node();
            out.extend(a.label().into_iter().chain(a.value()));
        }
        out.join(" | ")
    }

    /// The tooltip of the widget labelled `label`.
    fn hover(h: &mut Window, label: &str) {
        h.get_by_label(label).hover();
        // egui waits half a second before showing a tooltip.
        h.run_steps(60);
    }

    #[test]
    fn dominator_tree_grouped_by_class() {
        let mut h = demo();
        show(&mut h, View::Dominators);
        h.get_by_label("class").click();
        h.run_steps(3);
        wait_for(&mut h, "the top level grouped", |h| !has(h, "grouping "));
        // The class of the biggest top-level object that is not a class
        // object (those are listed as `class X 0x...`), and how many
        // top-level objects it has.
        let (name, count) = {
            let doc = h.state().doc().unwrap();
            let heap = doc.heap.as_ref().unwrap();
            let tree = doc.tree(Retention::All).unwrap();
            let top = tree.children.roots();
            let first = top.iter().find(|&&o| heap.as_class(o).is_none()).unwrap();
            let c = heap.class_of(*first);
            let count = top.iter().filter(|&&o| heap.class_of(o) == c).count();
            (heap.class(c).name.clone(), count)
        };
        assert!(count > 1, "{name}: one object only, a weak test");
        // Its objects, each a link (the table draws the rows in view, some
        // 30 of the first page of 100).
        let prefix = format!("{name} 0x");
        let shown = |h: &Window| {
            h.root()
                .children_recursive()
                .filter(|n| {
                    let a = n.accesskit_node();
                    a.label()
                        .into_iter()
                        .chain(a.value())
                        .any(|t| t.starts_with(&prefix))
                })
                .count()
        };
        // Its label opens and closes it (the first group may open by
        // itself once the level is grouped).
        wait_for(&mut h, "the background work", |h| !has(h, "computing"));
        h.run_steps(30);
        let open = shown(&h) > 0;
        for k in 0..2 {
            h.get_by_label(&name).click();
            h.run_steps(3);
            let now_open = (k % 2 == 0) != open;
            if now_open {
                assert!(shown(&h) >= count.min(20), "open: {}", texts(&h));
            } else {
                assert_eq!(shown(&h), 0, "closed: {}", texts(&h));
            }
            h.run_steps(30);
        }
        hover(&mut h, &name);
        let objects = format!(
            "{} objects of class {name} at this level",
            thousands(count as u64)
        );
        assert!(has(&h, &objects), "no '{objects}': {}", texts(&h));
        assert!(has(&h, "a group's retained size is the plain sum"));
        // A link selects its object.
        if shown(&h) == 0 {
            h.get_by_label(&name).click();
            h.run_steps(30);
        }
        h.get_all_by_label_contains(&prefix).last().unwrap().click();
        h.run_steps(2);
        let doc = h.state().doc().unwrap();
        let heap = doc.heap.as_ref().unwrap();
        let o = doc.selection().expect("an object selected");
        assert_eq!(heap.class(heap.class_of(o.0)).name, name);
    }

    #[test]
    fn histogram_grouped_by_loader_and_by_superclass() {
        let mut h = demo();
        show(&mut h, View::Histogram);
        // The demo's own classes are the application loader's.
        let (loader, loader_instances, superclass, super_instances) = {
            let doc = h.state().doc().unwrap();
            let heap = doc.heap.as_ref().unwrap();
            let census = heap.census();
            let instances = |c: u32| census.counts[c as usize].instances;
            let demo = heap.classes().find("TimerLeakDemo").unwrap();
            let id = heap.class(demo).loader_id;
            assert_ne!(id, 0);
            let of_loader: u64 = heap
                .classes()
                .iter()
                .filter(|(_, c)| c.loader_id == id)
                .map(|(i, _)| instances(i))
                .sum();
            let task = heap.classes().find("java.util.TimerTask").unwrap();
            let direct: u64 = heap
                .classes()
                .iter()
                .filter(|(_, c)| c.super_class == Some(task))
                .map(|(i, _)| instances(i))
                .sum();
            assert!(direct > 0, "no TimerTask subclass has instances");
            (
                loader_name(heap, id),
                of_loader,
                "java.util.TimerTask".to_string(),
                direct + instances(task),
            )
        };
        h.get_by_label("class loader").click();
        h.run_steps(3);
        wait_for(&mut h, "loader retained sizes", |h| !has(h, "..."));
        assert!(has(&h, "<bootstrap>"), "{}", texts(&h));
        assert!(has(&h, " class loaders shown"), "{}", texts(&h));
        hover(&mut h, &loader);
        let want = format!("{} instances", thousands(loader_instances));
        assert!(has(&h, &want), "no '{want}' for {loader}: {}", texts(&h));
        // Expanded (double-click), the loader lists the demo's classes.
        h.run_steps(30);
        for _ in 0..2 {
            h.get_by_label(&loader).click();
            h.step();
        }
        h.run_steps(3);
        assert!(
            has(&h, "TimerLeakDemo$PgPreparedStatement"),
            "{}",
            texts(&h)
        );

        h.get_by_label("superclass").click();
        h.run_steps(3);
        wait_for(&mut h, "superclass retained sizes", |h| !has(h, "..."));
        let filter = h.get_by_role_and_label(Role::TextInput, "Filter:");
        filter.focus();
        h.run_steps(1);
        h.get_by_role_and_label(Role::TextInput, "Filter:")
            .type_text("TimerTask");
        h.run_steps(3);
        hover(&mut h, &superclass);
        let want = format!("{} instances", thousands(super_instances));
        assert!(
            has(&h, &format!("{superclass} and its direct subclasses")) && has(&h, &want),
            "no '{want}' for {superclass}: {}",
            texts(&h)
        );
    }

    #[test]
    fn threads_table_shows_daemons_and_thread_locals() {
        let mut h = demo();
        show(&mut h, View::Threads);
        wait_for(&mut h, "thread retained sizes", |h| !has(h, "..."));
        let threads: Vec<(String, Option<bool>, usize, usize)> = {
            let doc = h.state().doc().unwrap();
            let heap = doc.heap.as_ref().unwrap();
            heap.threads()
                .iter()
                .map(|t| {
                    let o = t.object.unwrap();
                    let locals = heap.thread_locals(o);
                    let values = locals.iter().filter(|l| l.value.is_some()).count();
                    (
                        t.name.clone().unwrap(),
                        heap.thread_daemon(o),
                        locals.len(),
                        values,
                    )
                })
                .collect()
        };
        for (name, ..) in &threads {
            assert!(has(&h, name), "{name} is not listed: {}", texts(&h));
        }
        assert!(
            threads.iter().any(|t| t.1 == Some(true)),
            "no daemon thread"
        );
        assert!(
            threads.iter().any(|t| t.1 == Some(false)),
            "no other thread"
        );
        // The thread with most thread locals (the demo's threads have
        // none: LeakPatterns' have, see the command-line test below),
        // alone after the filter.
        let (name, daemon, locals, values) = threads.iter().max_by_key(|t| t.2).unwrap().clone();
        h.get_by_role_and_label(Role::TextInput, "Filter:").focus();
        h.run_steps(1);
        h.get_by_role_and_label(Role::TextInput, "Filter:")
            .type_text(&format!("^{}$", regex::escape(&name)));
        h.run_steps(3);
        let daemon = if daemon == Some(true) { "yes" } else { "no" };
        assert!(h.query_all_by_label(daemon).count() == 1, "{}", texts(&h));
        assert!(
            h.query_all_by_label(&thousands(locals as u64)).count() >= 1,
            "no count {locals}: {}",
            texts(&h)
        );
        // Chosen: its stack and its thread-local values, one link each.
        h.get_by_label(&name).click();
        h.run_steps(3);
        if values > 0 {
            assert!(has(&h, "Thread-local values"), "{}", texts(&h));
        }
        let shown =
            h.query_all_by_label("value").count() + h.query_all_by_label("inheritable").count();
        assert_eq!(shown, values, "{}", texts(&h));
        // Double-click on the thread object's link: the Inspector.
        let link = {
            let doc = h.state().doc().unwrap();
            let heap = doc.heap.as_ref().unwrap();
            let t = heap
                .threads()
                .iter()
                .find(|t| t.name.as_deref() == Some(&name));
            heapscope::report::object_label(heap, t.unwrap().object.unwrap())
        };
        h.run_steps(30);
        for _ in 0..2 {
            h.get_all_by_label(&link).next().unwrap().click();
            h.step();
        }
        h.run_steps(3);
        assert_eq!(h.state().view, View::Inspector);
    }
}

/// `heapscope threads --json` on a live dump of LeakPatterns: its POOL
/// daemon threads each hold a ThreadLocal value Big with a
/// byte[LOCAL_BYTES]; the first also the Plugin instance.
#[test]
fn threads_json_lists_the_pool_threads_thread_locals() {
    const POOL: usize = 3;
    const LOCAL_BYTES: u64 = 200_000;
    let jdk = jdk::system_jdk();
    let jvm = jdk::Jvm::start(&jdk, "LeakPatterns", &[]);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("leak.hprof");
    jvm.dump(&path, &[]);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(["threads", "--json"])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let threads = json["threads"].as_array().unwrap();
    let heap = jdk::load(&path);
    assert_eq!(threads.len(), heap.threads().len());
    let pool: Vec<&serde_json::Value> = threads
        .iter()
        .filter(|t| {
            t["name"]
                .as_str()
                .is_some_and(|n| n.starts_with("leak-pool-"))
        })
        .collect();
    assert_eq!(pool.len(), POOL, "{pool:?}");
    let mut with_plugin = 0;
    for t in &pool {
        assert_eq!(t["daemon"], true, "{}", t["name"]);
        let values = t["thread_local_values"].as_array().unwrap();
        assert_eq!(t["thread_locals"].as_u64(), Some(values.len() as u64));
        let classes: Vec<&str> = values
            .iter()
            .filter_map(|v| v["value"]["class"].as_str())
            .collect();
        let bigs = classes.iter().filter(|c| **c == "LeakPatterns$Big").count();
        assert_eq!(bigs, 1, "{}: {classes:?}", t["name"]);
        let plugins = classes
            .iter()
            .filter(|c| **c == "LeakPatterns$Plugin")
            .count();
        with_plugin += plugins;
        // The Big value retains its byte[LOCAL_BYTES] (and more than it).
        let big = values
            .iter()
            .find(|v| v["value"]["class"] == "LeakPatterns$Big")
            .unwrap();
        let retained = big["value"]["retained_bytes"].as_u64().unwrap();
        assert!(retained > LOCAL_BYTES, "{retained}");
        let set = t["thread_locals_retained_bytes"].as_u64().unwrap();
        assert!(set >= retained, "{set} < {retained}");
        // The thread object retains its thread locals map, values included.
        assert!(t["retained_bytes"].as_u64().unwrap() >= set);
    }
    assert_eq!(
        with_plugin, 1,
        "the Plugin value is the first pool thread's"
    );
    // The stack: each frame's objects with their classes and retained sizes.
    let held: u64 = threads
        .iter()
        .map(|t| t["objects_held"].as_u64().unwrap())
        .sum();
    let listed: usize = threads
        .iter()
        .flat_map(|t| t["stack"].as_array().unwrap())
        .map(|f| f["holds"].as_array().unwrap().len())
        .sum();
    assert_eq!(held, listed as u64);
    assert!(held > 0);
    // And as text: the table and the stacks.
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .arg("threads")
        .arg(&path)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("\"leak-pool-1\" daemon=yes"), "{text}");
    assert!(text.contains("thread-local LeakPatterns$Big 0x"), "{text}");
}

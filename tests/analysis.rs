//! Dominators, retained sizes, paths to GC roots and finalizers on dumps of
//! real JVMs whose programs guarantee the answers.

mod jdk;

use std::collections::HashMap;
use std::path::Path;

use heapscope::analysis::diff;
use heapscope::analysis::dominators::{Dominators, Idom};
use heapscope::analysis::finalizers::{self, FinalizerReport, State};
use heapscope::analysis::graph::{HeapGraph, Referents};
use heapscope::analysis::paths::{self, ExcludedField, PathOptions, ShortestPaths};
use heapscope::analysis::semi_nca::Graph;
use heapscope::heap::{Heap, LoadOptions};
use heapscope::hprof::{RootKind, Value};
use heapscope::progress::Progress;
use jdk::{Jdk, Jvm, load};

fn dominators(heap: &Heap, referents: Referents) -> Dominators {
    Dominators::compute(heap, referents, &Progress::new()).expect("not cancelled")
}

fn static_object(heap: &Heap, class: &str, name: &str) -> u32 {
    let c = heap
        .classes()
        .find(class)
        .unwrap_or_else(|| panic!("class {class}"));
    let s = heap
        .class(c)
        .statics
        .iter()
        .find(|s| s.name == name)
        .unwrap_or_else(|| panic!("static {name}"));
    heap.find(s.value.as_object().expect("reference"))
        .expect("object")
}

fn instances(heap: &Heap, class: &str) -> Vec<u32> {
    let c = heap
        .classes()
        .find(class)
        .unwrap_or_else(|| panic!("class {class}"));
    heap.instances_of(c)
}

/// Dumps `main` on `jdk`: first with -all, then live (the live dump's GC
/// changes what the -all dump shows). Returns (all, live).
fn dump_both(jdk: &Jdk, main: &str, dir: &Path) -> (Heap, Heap) {
    let jvm = Jvm::start(jdk, main, &[]);
    let all = dir.join("all.hprof");
    let live = dir.join("live.hprof");
    jvm.dump(&all, &["-all"]);
    jvm.dump(&live, &[]);
    drop(jvm);
    (load(&all), load(&live))
}

/// By definition: what becomes unreachable from the roots when `x` is
/// removed, over the same graph the dominator tree uses.
fn freed_without(heap: &Heap, graph: &HeapGraph<'_>, reachable: &[bool], x: u32) -> u64 {
    let n = heap.object_count() as usize;
    let mut seen = vec![false; n + 1];
    let root = graph.root();
    seen[root as usize] = true;
    let mut stack = vec![root];
    while let Some(v) = stack.pop() {
        for k in 0..graph.degree(v) {
            if let Some(w) = graph.successor(v, k) {
                if w != x && !seen[w as usize] {
                    seen[w as usize] = true;
                    stack.push(w);
                }
            }
        }
    }
    (0..n)
        .filter(|&o| reachable[o] && !seen[o])
        .map(|o| heap.shallow_size(o as u32))
        .sum()
}

#[test]
fn retained_sizes_match_the_program_and_the_definition() {
    let dir = tempfile::tempdir().unwrap();
    let (all, live) = dump_both(&jdk::system_jdk(), "HeapSubject", dir.path());
    let heap = &live;
    let doms = dominators(heap, Referents::ALL);
    let layout = heap.census().layout.layout;

    // 100 chunks, each owning a long[1000], all held by one array.
    let chunks = static_object(heap, "HeapSubject", "chunks");
    let chunk_class = heap.classes().find("HeapSubject$Chunk").unwrap();
    let expected = layout.array_size(layout.reference, 100)
        + 100 * (heap.census().instance_sizes[chunk_class as usize] + layout.array_size(8, 1000));
    assert_eq!(doms.retained(chunks), expected);

    // A chain of 12,345 nodes owned by its head; Node retained per class
    // counts the head only once.
    let head = static_object(heap, "HeapSubject", "chain");
    let node_class = heap.classes().find("HeapSubject$Node").unwrap();
    let node_size = heap.census().instance_sizes[node_class as usize];
    assert_eq!(doms.retained(head), 12_345 * node_size);
    let per_class = doms.class_retained(heap, &doms.children());
    assert_eq!(per_class[node_class as usize], 12_345 * node_size);
    let second = heap.field_object(head, "next").unwrap();
    assert_eq!(doms.idom(second), Idom::Object(head));

    // The definition, on the biggest objects and a spread of others.
    let graph = HeapGraph::new(heap, Referents::ALL);
    let reachable: Vec<bool> = (0..heap.object_count())
        .map(|o| doms.idom(o) != Idom::Unreachable)
        .collect();
    let mut sample = doms.biggest(8);
    let n = heap.object_count();
    sample.extend(
        (0..40)
            .map(|i| (i * 7919 * 13) % n)
            .filter(|&o| reachable[o as usize]),
    );
    sample.extend([chunks, head, second]);
    for x in sample {
        assert_eq!(
            doms.retained(x),
            freed_without(heap, &graph, &reachable, x),
            "retained size of {} {:#x}",
            heap.class(heap.class_of(x)).name,
            heap.id(x)
        );
    }
    // Retained sizes of the top level add up to the reachable heap.
    let reachable_shallow: u64 = (0..n)
        .filter(|&o| reachable[o as usize])
        .map(|o| heap.shallow_size(o))
        .sum();
    assert_eq!(doms.reachable_bytes(), reachable_shallow);

    // The -all dump keeps unreachable garbage out of the tree.
    let doms_all = dominators(&all, Referents::ALL);
    let garbage = instances(&all, "HeapSubject$Garbage");
    assert_eq!(garbage.len(), 777);
    assert!(
        garbage
            .iter()
            .all(|&g| doms_all.idom(g) == Idom::Unreachable)
    );
    assert!(garbage.iter().all(|&g| doms_all.retained(g) == 0));
    assert!(doms_all.unreachable() >= 777, "{}", doms_all.unreachable());
}

fn by_class(heap: &Heap, report: &FinalizerReport) -> HashMap<String, (u64, u64, u64, u64)> {
    report
        .by_class
        .iter()
        .map(|c| {
            (
                heap.class(c.class).name.clone(),
                (c.finalizers, c.registered, c.pending, c.in_processing),
            )
        })
        .collect()
}

fn check_finalizer_states(jdk: &Jdk) {
    let dir = tempfile::tempdir().unwrap();
    let (all, live) = dump_both(jdk, "FinalizerStates", dir.path());
    for (heap, late_state) in [(&all, State::Unreachable), (&live, State::VmPending)] {
        let label = format!(
            "{} {}",
            jdk.name,
            if late_state == State::Unreachable {
                "-all"
            } else {
                "live"
            }
        );
        let doms = dominators(heap, Referents::ALL);
        let report = finalizers::analyze(heap, Some(&doms), &Progress::new()).unwrap();
        let rows = by_class(heap, &report);
        assert_eq!(
            rows["FinalizerStates$Reachable"],
            (1000, 1000, 0, 0),
            "{label}"
        );
        assert_eq!(rows["FinalizerStates$Doomed"], (500, 0, 500, 0), "{label}");
        assert_eq!(
            rows["FinalizerStates$LateDoomed"],
            (200, 0, 200, 0),
            "{label}"
        );
        assert_eq!(rows["FinalizerStates$Blocker"], (1, 0, 0, 1), "{label}");
        assert!(
            !rows.contains_key("FinalizerStates$EmptyFinalize"),
            "{label}: empty finalize() is not registered"
        );
        assert_eq!(report.queue_length, Some(500), "{label}");
        assert_eq!(report.queued, 500, "{label}");
        let state_of = |class: &str| -> Vec<State> {
            let c = heap.classes().find(class).unwrap();
            let mut states: Vec<State> = report
                .entries
                .iter()
                .filter(|e| e.referent.is_some_and(|r| heap.class_of(r) == c))
                .map(|e| e.state)
                .collect();
            states.dedup();
            states
        };
        assert_eq!(
            state_of("FinalizerStates$Doomed"),
            vec![State::Queued],
            "{label}"
        );
        assert_eq!(
            state_of("FinalizerStates$LateDoomed"),
            vec![late_state],
            "{label}"
        );
        assert_eq!(
            state_of("FinalizerStates$Blocker"),
            vec![State::InProcessing],
            "{label}"
        );
        // The finalizer thread, stuck in Blocker.finalize().
        let stuck: Vec<_> = report
            .threads
            .iter()
            .filter_map(|t| t.in_finalize_of.as_deref())
            .collect();
        assert_eq!(stuck, vec!["FinalizerStates$Blocker"], "{label}");
        // Memory only finalization keeps: the unreachable referents'.
        let doomed_class = heap.classes().find("FinalizerStates$Doomed").unwrap();
        let doomed = report
            .by_class
            .iter()
            .find(|c| c.class == doomed_class)
            .unwrap();
        assert_eq!(
            doomed.retained,
            500 * heap.census().instance_sizes[doomed_class as usize],
            "{label}"
        );
        let reachable_class = heap.classes().find("FinalizerStates$Reachable").unwrap();
        let reachable = report
            .by_class
            .iter()
            .find(|c| c.class == reachable_class)
            .unwrap();
        assert_eq!(
            reachable.retained, 0,
            "{label}: strongly held, not kept by finalization"
        );

        // Strong references only: pending referents drop out of the tree.
        let strong = dominators(heap, Referents::NONE);
        for o in instances(heap, "FinalizerStates$Doomed") {
            assert_eq!(strong.idom(o), Idom::Unreachable, "{label}");
            assert_ne!(doms.idom(o), Idom::Unreachable, "{label}");
        }
        for o in instances(heap, "FinalizerStates$Reachable") {
            assert_ne!(strong.idom(o), Idom::Unreachable, "{label}");
        }
        // And no strong path to them, but one through their Finalizer.
        let doomed_one = instances(heap, "FinalizerStates$Doomed")[0];
        assert!(
            paths::paths_to_roots(heap, doomed_one, &PathOptions::default())
                .paths
                .is_empty(),
            "{label}"
        );
        let with_final = PathOptions {
            referents: Referents::NONE.with(heapscope::analysis::graph::RefKind::Final),
            ..PathOptions::default()
        };
        let found = paths::paths_to_roots(heap, doomed_one, &with_final).paths;
        assert!(!found.is_empty(), "{label}");
        let second = found[0].steps[1].object;
        assert_eq!(
            heap.class(heap.class_of(second)).name,
            "java.lang.ref.Finalizer",
            "{label}"
        );
        assert_eq!(
            found[0].steps[1].field.as_deref(),
            Some("referent"),
            "{label}"
        );
    }
}

#[test]
fn finalizer_states_jdk17() {
    check_finalizer_states(&jdk::system_jdk());
}

#[test]
fn finalizer_states_jdk25() {
    let Some(jdk) = jdk::temurin_25() else {
        eprintln!("no Temurin 25 under /usr/lib/jvm: skipped");
        return;
    };
    check_finalizer_states(&jdk);
}

/// The motivating case: cancelled timer tasks keep finalizable statements.
#[test]
fn timer_queue_leak() {
    let dir = tempfile::tempdir().unwrap();
    let jvm = Jvm::start(&jdk::system_jdk(), "TimerLeakDemo", &[]);
    let path = dir.path().join("leak.hprof.gz");
    jvm.dump(&path, &["-gz=1"]);
    drop(jvm);
    let heap = load(&path);

    // One leaked statement: its shortest strong path runs through its task,
    // the task array and the TaskQueue, to the timer thread's frame.
    let task = instances(&heap, "TimerLeakDemo$CancelTimerTask")[17];
    let statement = heap.field_object(task, "statement").unwrap();
    let search = paths::paths_to_roots(&heap, statement, &PathOptions::default());
    assert!(search.complete);
    let found = search.paths;
    assert!(!found.is_empty());
    let path = &found[0];
    let classes: Vec<&str> = path
        .steps
        .iter()
        .map(|s| heap.class(heap.class_of(s.object)).name.as_str())
        .collect();
    assert_eq!(
        classes,
        vec![
            "TimerLeakDemo$PgPreparedStatement",
            "TimerLeakDemo$CancelTimerTask",
            "java.util.TimerTask[]",
            "java.util.TaskQueue"
        ]
    );
    let fields: Vec<Option<&str>> = path.steps.iter().map(|s| s.field.as_deref()).collect();
    assert_eq!(fields[1], Some("statement"));
    assert!(fields[2].unwrap().starts_with('['));
    assert_eq!(fields[3], Some("queue"));
    assert!(path.root_kinds.contains(&RootKind::JavaFrame));
    assert!(
        path.roots
            .iter()
            .any(|r| r.contains("\"PgCancelTimer\"") && r.contains("TimerThread.mainLoop")),
        "{:?}",
        path.roots
    );
    // Excluding TaskQueue.queue leaves only longer or no paths.
    let without = PathOptions {
        exclude: vec![ExcludedField::parse("java.util.TaskQueue:queue").unwrap()],
        ..PathOptions::default()
    };
    for p in paths::paths_to_roots(&heap, statement, &without).paths {
        assert!(
            p.steps
                .iter()
                .all(|s| heap.class(heap.class_of(s.object)).name != "java.util.TaskQueue")
        );
    }

    // All statements merged: the TaskQueue holds 5,000 of them (all but
    // the running one's task head, reached first from its own frame root).
    let statements = instances(&heap, "TimerLeakDemo$PgPreparedStatement");
    assert_eq!(statements.len(), 6001);
    let filter = paths::Filter::new(&heap, Referents::NONE, &[]);
    let shortest = ShortestPaths::compute(&filter, &Progress::new()).unwrap();
    let merged = paths::merge_paths(&shortest, &statements);
    assert_eq!(
        merged.unreachable, 1000,
        "the dropped statements only their Finalizers hold"
    );
    let top = &merged.nodes[merged.roots[0]];
    assert_eq!(
        heap.class(heap.class_of(top.object)).name,
        "java.util.TaskQueue"
    );
    assert!(top.count >= 5000, "{}", top.count);

    // The finalizer picture.
    let doms = dominators(&heap, Referents::ALL);
    let report = finalizers::analyze(&heap, Some(&doms), &Progress::new()).unwrap();
    let rows = by_class(&heap, &report);
    assert_eq!(
        rows["TimerLeakDemo$PgPreparedStatement"],
        (6001, 5001, 1000, 0)
    );
    assert_eq!(rows["TimerLeakDemo$PgConnection"].3, 1);
    let stuck: Vec<_> = report
        .threads
        .iter()
        .filter_map(|t| t.in_finalize_of.as_deref())
        .collect();
    assert_eq!(stuck, vec!["TimerLeakDemo$PgConnection"]);
    // A registered statement's referent edge counts in the full tree only.
    let fin = report
        .entries
        .iter()
        .find(|e| e.referent == Some(statement))
        .unwrap();
    assert_eq!(fin.state, State::Registered);
    assert_eq!(
        heap.field(fin.finalizer, "referent"),
        Some(Value::Object(heap.id(statement)))
    );
}

fn snapshot(path: &Path) -> diff::Snapshot {
    diff::snapshot_file(path, &LoadOptions::default(), true, &Progress::new(), || {})
        .unwrap_or_else(|e| panic!("{e}"))
}

/// DiffSubject's known growth: 20,000 more Items, each with a byte[100],
/// in one ArrayList held by a static field, and 300 more objects pending
/// finalization behind a stuck finalizer thread.
fn check_diff(jdk: &Jdk) {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = jdk::dump_twice(jdk, dir.path());
    let result = diff::compare(&snapshot(&before), &snapshot(&after));
    assert!(result.warnings.is_empty(), "{:?}", result.warnings);

    // Class level: exact instance deltas; each Item retains itself and its
    // payload, the same amount in both dumps.
    let class = |name: &str| {
        result
            .classes
            .iter()
            .find(|c| c.name == name)
            .unwrap_or_else(|| panic!("{name}"))
    };
    let item = class("DiffSubject$Item");
    assert_eq!(item.instances(), (5_000, 25_000));
    assert_eq!(item.instances_delta(), 20_000);
    let (rb, ra) = item.retained().unwrap();
    assert_eq!(rb % 5_000, 0);
    assert_eq!(ra, rb / 5_000 * 25_000);
    let item_size = item.shallow().1 / 25_000;
    assert!(rb / 5_000 >= item_size + 100, "{rb}");
    assert_eq!(class("DiffSubject$Doomed").instances(), (100, 400));
    assert!(class("byte[]").instances_delta() >= 20_000);
    // Growth first: the payloads, then the Items, lead the table.
    let first: Vec<&str> = result.classes[..2]
        .iter()
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(first, ["byte[]", "DiffSubject$Item"]);

    // Finalizer level: exactly 300 more pending, all Doomed.
    let f = result.finalizers.as_ref().unwrap();
    assert_eq!(f.after.pending - f.before.pending, 300);
    let doomed = f
        .by_class
        .iter()
        .find(|r| r.name == "DiffSubject$Doomed")
        .unwrap();
    assert_eq!((doomed.before.pending, doomed.after.pending), (100, 400));
    assert_eq!(f.by_class[0].name, "DiffSubject$Doomed");
    assert_eq!((f.before.in_processing, f.after.in_processing), (1, 1));

    // Owner level: the registry's array holds the growth, first.
    let owners = result.owners.as_ref().unwrap();
    let top = &owners[0];
    assert!(
        top.path.ends_with(
            &[
                "class DiffSubject",
                "java.util.ArrayList",
                "java.lang.Object[]"
            ]
            .map(String::from)
        ),
        "{:?}",
        top.path
    );
    assert_eq!((top.before.entries, top.after.entries), (1, 1));
    // Items and their payloads: 2 objects per Item.
    assert_eq!(top.objects_delta(), 40_000);
    let grown: HashMap<&str, i64> = top
        .classes
        .iter()
        .map(|(n, o, _)| (n.as_str(), *o))
        .collect();
    assert_eq!(grown["DiffSubject$Item"], 20_000);
    assert_eq!(grown["byte[]"], 20_000);
    assert_eq!(
        top.growth,
        top.retained_delta(),
        "the whole growth of the array's retained size is its own"
    );
    // Pending objects have no strong owner; their Finalizers hang off the
    // Finalizer class's lists.
    let pending = owners
        .iter()
        .find(|o| o.classes.iter().any(|c| c.0 == diff::NOT_STRONG))
        .unwrap();
    assert_eq!(pending.path, Vec::<String>::new(), "the GC roots");
    let finalizers = owners
        .iter()
        .find(|o| o.classes.iter().any(|c| c.0 == "java.lang.ref.Finalizer"))
        .unwrap();
    assert_eq!(finalizers.path[0], "class java.lang.ref.Finalizer");
    assert_eq!(
        finalizers
            .classes
            .iter()
            .find(|c| c.0 == "java.lang.ref.Finalizer")
            .unwrap()
            .1,
        300
    );
    // The example containers are the registry's array in each dump.
    let (o, id) = top.example_after.unwrap();
    assert!(o > 0 && id != 0);

    // The command line says the same in JSON.
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(["diff", "--json", "--top", "3"])
        .args([&before, &after])
        .output()
        .unwrap();
    assert!(out.status.success());
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let row = &json["classes"][1];
    assert_eq!(row["name"], "DiffSubject$Item");
    for (key, want) in [
        ("instances_before", 5_000),
        ("instances_after", 25_000),
        ("instances_delta", 20_000),
        ("retained_before", rb as i64),
        ("retained_after", ra as i64),
        ("retained_delta", (ra - rb) as i64),
    ] {
        assert_eq!(row[key], want, "{key}");
    }
    assert_eq!(json["classes"].as_array().unwrap().len(), 3);
    assert_eq!(json["owners"][0]["path"][2], "java.lang.Object[]");
    assert_eq!(json["owners"][0]["objects_delta"], 40_000);
    assert_eq!(json["owners"][0]["retained_delta"], top.retained_delta());
    assert_eq!(json["finalizers"]["total"]["pending_delta"], 300);

    // Another program compares too, with a warning.
    let demo = dir.path().join("demo.hprof.gz");
    std::fs::write(&demo, heapscope::demo::DEMO_DUMP).unwrap();
    let other = diff::compare(&snapshot(&demo), &snapshot(&after));
    assert!(
        other
            .warnings
            .iter()
            .any(|w| w.contains("different programs")),
        "{:?}",
        other.warnings
    );
    assert_eq!(
        other
            .classes
            .iter()
            .find(|c| c.name == "DiffSubject$Item")
            .unwrap()
            .presence(),
        heapscope::analysis::diff::Presence::New
    );
}

#[test]
fn diff_finds_the_known_growth_jdk17() {
    check_diff(&jdk::system_jdk());
}

#[test]
fn diff_finds_the_known_growth_jdk25() {
    let Some(jdk) = jdk::temurin_25() else {
        eprintln!("no Temurin 25 under /usr/lib/jvm: skipped");
        return;
    };
    check_diff(&jdk);
}

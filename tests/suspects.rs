//! Leak suspects on a real dump of tests/java/LeakPatterns.java, whose
//! program guarantees the answers: the big holders, their accumulation
//! points, the sentence, the class groups, and the command line.

mod jdk;

use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use heapscope::analysis::dominators::{Children, Dominators};
use heapscope::analysis::graph::Referents;
use heapscope::analysis::suspects::{self, Held, Severity, Suspects};
use heapscope::heap::Heap;
use heapscope::progress::Progress;
use jdk::{Jvm, load, system_jdk};

const SESSIONS: u64 = 20_000;
const CHAIN: u64 = 50_000;

/// One live dump of LeakPatterns per test process.
fn dump() -> &'static Path {
    static DUMP: OnceLock<(tempfile::TempDir, PathBuf)> = OnceLock::new();
    let (_, path) = DUMP.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("leaks.hprof");
        let jvm = Jvm::start(&system_jdk(), "LeakPatterns", &[]);
        jvm.dump(&path, &[]);
        (dir, path)
    });
    path
}

struct Loaded {
    heap: Heap,
    doms: Dominators,
    children: Children,
}

fn loaded() -> Loaded {
    let heap = load(dump());
    let doms = Dominators::compute(&heap, Referents::NONE, &Progress::new()).expect("computed");
    let children = doms.children_unsorted();
    Loaded {
        heap,
        doms,
        children,
    }
}

fn find(l: &Loaded, threshold: f64) -> Suspects {
    suspects::find(&l.heap, &l.doms, &l.children, threshold, &Progress::new()).expect("found")
}

fn static_object(heap: &Heap, class: &str, name: &str) -> u32 {
    let c = heap.classes().find(class).expect("class");
    let s = heap
        .class(c)
        .statics
        .iter()
        .find(|s| s.name == name)
        .expect("static");
    heap.object(s.value).expect("object")
}

fn class_name(heap: &Heap, c: u32) -> &str {
    &heap.class(c).name
}

#[test]
fn the_sessions_list_is_the_biggest_holder_and_its_array_the_accumulation_point() {
    let l = loaded();
    let heap = &l.heap;
    let found = find(&l, 0.10);
    let list = static_object(heap, "LeakPatterns$Registry", "SESSIONS");
    let array = heap.field_object(list, "elementData").expect("elementData");
    let first = &found.holders[0];
    assert_eq!(first.holder, list);
    let registry = heap.classes().find("LeakPatterns$Registry").unwrap();
    assert_eq!(
        first.held,
        Held::Static {
            class: registry,
            field: "SESSIONS".into()
        }
    );
    let a = &first.accumulation;
    assert_eq!(
        a.point(),
        array,
        "the accumulation point is the backing array"
    );
    assert_eq!(a.children, SESSIONS);
    assert_eq!(class_name(heap, a.content[0].class), "LeakPatterns$Session");
    assert_eq!(a.content[0].objects, SESSIONS);
    assert_eq!(a.run, 0);
    // Its retained size is exactly the list, the array, and per session the
    // session, its byte[], its id String and the String's array.
    let elements = heap.array(array).unwrap();
    let sessions: Vec<u32> = (0..SESSIONS as u32)
        .map(|k| heap.object(elements.get(k).unwrap()).unwrap())
        .collect();
    let mut expected = heap.shallow_size(list) + heap.shallow_size(array);
    for &s in &sessions {
        let data = heap.field_object(s, "data").unwrap();
        let id = heap.field_object(s, "id").unwrap();
        let value = heap.field_object(id, "value").unwrap();
        expected += [s, data, id, value]
            .iter()
            .map(|&o| heap.shallow_size(o))
            .sum::<u64>();
    }
    assert_eq!(first.retained, expected);
    assert_eq!(first.severity, Severity::High);
    assert!((first.share - first.retained as f64 / found.reachable_bytes as f64).abs() < 1e-12);
    // The retained set's classes, as the program made them.
    let count = |name: &str| {
        a.top_classes
            .iter()
            .find(|r| class_name(heap, r.class) == name)
            .map(|r| r.objects)
    };
    assert_eq!(count("byte[]"), Some(2 * SESSIONS));
    assert_eq!(count("java.lang.String"), Some(SESSIONS));
    assert_eq!(count("LeakPatterns$Session"), Some(SESSIONS));
    // The shortest strong path of the array goes through the static field.
    let path = a.path.as_ref().expect("a path");
    assert_eq!(path.steps[0].object, array);
    assert_eq!(path.steps[1].object, list);
    assert_eq!(path.steps[1].field.as_deref(), Some("elementData"));
    assert_eq!(path.steps[2].field.as_deref(), Some("static SESSIONS"));
    assert!(!path.roots.is_empty());
    assert_eq!(
        first.sentence(heap),
        format!(
            "One instance of `java.util.ArrayList` held by the static field `SESSIONS` of `LeakPatterns$Registry` retains {} ({:.1}%); the memory is in 20,000 `LeakPatterns$Session` held by one `java.lang.Object[]`.",
            heapscope::units::bytes(expected),
            first.share * 100.0
        )
    );
}

#[test]
fn a_singly_linked_queue_accumulates_along_its_chain() {
    let l = loaded();
    let heap = &l.heap;
    let found = find(&l, 0.10);
    let queue = static_object(heap, "LeakPatterns", "chain");
    let h = found
        .holders
        .iter()
        .find(|h| h.holder == queue)
        .expect("the queue is a big holder");
    let lp = heap.classes().find("LeakPatterns").unwrap();
    assert_eq!(
        h.held,
        Held::Static {
            class: lp,
            field: "chain".into()
        }
    );
    let head = heap.field_object(queue, "head").unwrap();
    assert_eq!(h.accumulation.point(), head);
    // The head (a dummy node) and every node but the last, which the
    // queue's `last` field also holds.
    assert_eq!(h.accumulation.run, CHAIN);
    assert!(h.sentence(heap).ends_with(
        "the memory is along a chain of 50,000 `java.util.concurrent.LinkedBlockingQueue$Node`."
    ));
    // No node of the chain is a suspect of its own.
    let node = heap
        .classes()
        .find("java.util.concurrent.LinkedBlockingQueue$Node")
        .unwrap();
    assert!(
        found
            .holders
            .iter()
            .all(|h| heap.class_of(h.holder) != node)
    );
}

#[test]
fn threads_retaining_little_each_make_a_class_group() {
    let l = loaded();
    let heap = &l.heap;
    let found = find(&l, 0.01);
    let thread = heap.classes().find("java.lang.Thread").unwrap();
    let top: Vec<u32> = l
        .children
        .roots()
        .iter()
        .copied()
        .filter(|&o| heap.class_of(o) == thread)
        .collect();
    let g = found
        .groups
        .iter()
        .find(|g| g.class == thread)
        .expect("a java.lang.Thread group");
    assert_eq!(g.objects, top.len() as u64);
    assert_eq!(
        g.retained,
        top.iter().map(|&o| l.doms.retained(o)).sum::<u64>()
    );
    // The pool threads' thread-local values alone.
    assert!(g.retained >= 3 * 200_000);
    assert_eq!(g.biggest_retained, l.doms.retained(g.biggest[0]));
    assert!(g.biggest_retained < (0.01 * found.reachable_bytes as f64) as u64);
}

fn heapscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(args)
        .arg("--no-index")
        .output()
        .expect("run heapscope")
}

#[test]
fn the_command_line_prints_text_json_markdown_and_html() {
    let path = dump().to_str().unwrap().to_string();
    let out = heapscope(&["suspects", &path, "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let first = &v["findings"][0];
    assert_eq!(first["kind"], "big_holder");
    assert_eq!(first["focus"]["class"], "java.util.ArrayList");
    assert_eq!(
        first["accumulation"]["point"]["class"],
        "java.lang.Object[]"
    );
    assert_eq!(first["accumulation"]["children"], SESSIONS);

    let text = heapscope(&["suspects", &path]);
    let text = String::from_utf8(text.stdout).unwrap();
    assert!(text.contains("held by the static field `SESSIONS` of `LeakPatterns$Registry`"));

    let dir = tempfile::tempdir().unwrap();
    let html = dir.path().join("report.html");
    let out = heapscope(&["suspects", &path, "--html", html.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let page = std::fs::read_to_string(&html).unwrap();
    assert!(page.starts_with("<!DOCTYPE html>"));
    assert!(page.contains(
        "held by the static field <code>SESSIONS</code> of <code>LeakPatterns$Registry</code>"
    ));
    assert!(!page.contains("<script"), "self-contained, nothing to run");

    let md = heapscope(&["suspects", &path, "--markdown"]);
    let md = String::from_utf8(md.stdout).unwrap();
    assert!(md.starts_with("# "));
    assert!(md.contains("`LeakPatterns$Registry`"));

    let bad = heapscope(&["suspects", &path, "--threshold", "150"]);
    assert_eq!(bad.status.code(), Some(2));
}

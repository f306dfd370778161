//! Files that hold several heap dumps (the old `-agentlib:hprof` agent
//! writes one per dump request): each is a snapshot of its own, loaded
//! alone, the last one by default.

mod common;

use common::{
    BasicType, Body, ClassDef, Hprof, SNAPSHOT_TIMES_US, Snapshots, Value, temp_file,
    two_heap_dumps,
};
use heapscope::analysis::histogram::{SortBy, histogram};
use heapscope::heap::{Heap, LoadOptions};
use heapscope::hprof::{RecordIndex, RootKind, is_missing_heap_dump};
use heapscope::progress::Progress;

/// The fixtures' header time, ms since the epoch.
const HEADER_MS: u64 = 0x0000_01a2_0f5f_53a0;

fn open(path: &std::path::Path, heap_dump: Option<usize>) -> Heap {
    let options = LoadOptions {
        heap_dump,
        ..LoadOptions::default()
    };
    Heap::open(path, &options, &Progress::new()).unwrap_or_else(|e| panic!("loads: {e}"))
}

/// (class name, instances) of every class with instances, by name.
fn counts(heap: &Heap) -> Vec<(String, u64)> {
    let mut v: Vec<(String, u64)> = histogram(heap.census(), SortBy::Shallow)
        .into_iter()
        .filter(|r| r.instances > 0)
        .map(|r| (r.name, r.instances))
        .collect();
    v.sort();
    v
}

fn ids(heap: &Heap) -> Vec<u64> {
    (0..heap.object_count()).map(|o| heap.id(o)).collect()
}

fn multi_warnings(heap: &Heap) -> Vec<&String> {
    heap.warnings()
        .iter()
        .filter(|w| w.contains("heap dumps"))
        .collect()
}

/// Each snapshot's model holds exactly its own objects, classes, counts,
/// field values and roots; the default is the last, with a warning.
fn check_two_snapshots(kind: Snapshots) {
    let bytes = two_heap_dumps(kind);
    let f = temp_file(&bytes);

    let index = RecordIndex::scan(&bytes, &Progress::new()).unwrap();
    assert_eq!(index.heap_dumps.len(), 2);
    let segments: Vec<usize> = index.heap_dumps.iter().map(|d| d.segments.len()).collect();
    let want_segments = match kind {
        Snapshots::Agent => vec![1, 1],
        Snapshots::Segments => vec![2, 1],
    };
    assert_eq!(segments, want_segments);
    let times: Vec<u64> = index.heap_dumps.iter().map(|d| d.timestamp_ms).collect();
    assert_eq!(
        times,
        SNAPSHOT_TIMES_US.map(|t| HEADER_MS + t as u64 / 1000)
    );
    assert!(index.heap_dumps.iter().all(|d| d.complete));
    assert!(index.warnings.is_empty(), "{:?}", index.warnings);

    let first = open(f.path(), Some(0));
    assert_eq!(ids(&first), vec![0x100, 0x200, 0x1000, 0x1010, 0x1020]);
    assert_eq!(
        counts(&first),
        vec![("Apple".to_string(), 3), ("java.lang.Class".to_string(), 2)]
    );
    assert!(first.classes().find("Pear").is_none());
    let apple = first.find(0x1000).unwrap();
    assert_eq!(first.field(apple, "n"), Some(Value::Int(7)));
    let roots: Vec<(RootKind, u64)> = first.roots().iter().map(|r| (r.kind, r.id)).collect();
    assert_eq!(
        roots,
        vec![
            (RootKind::StickyClass, 0x100),
            (RootKind::JniGlobal, 0x1000)
        ]
    );
    assert!(multi_warnings(&first).is_empty(), "{:?}", first.warnings());
    assert_eq!(first.census().records.heap_dump, Some(0));

    let second = open(f.path(), Some(1));
    assert_eq!(
        ids(&second),
        vec![
            0x100, 0x200, 0x300, 0x1000, 0x2000, 0x2010, 0x2020, 0x2030, 0x3000
        ]
    );
    assert_eq!(
        counts(&second),
        vec![
            ("Apple".to_string(), 1),
            ("Pear".to_string(), 4),
            ("int[]".to_string(), 1),
            ("java.lang.Class".to_string(), 3),
        ]
    );
    let apple = second.find(0x1000).unwrap();
    assert_eq!(second.field(apple, "n"), Some(Value::Int(8)));
    // Each Pear refers to the Apple of its own snapshot.
    let pear = second.find(0x2030).unwrap();
    assert_eq!(second.field_object(pear, "apple"), Some(apple));
    assert_eq!(second.incoming(apple).len(), 4);
    assert_eq!(second.roots().len(), 3);
    assert!(second.dangling().is_empty());
    assert!(
        multi_warnings(&second).is_empty(),
        "{:?}",
        second.warnings()
    );

    // By default the last, with a warning naming both.
    let default = open(f.path(), None);
    assert_eq!(ids(&default), ids(&second));
    assert_eq!(default.census().records.heap_dump, Some(1));
    assert_eq!(
        multi_warnings(&default),
        vec![
            "this file holds 2 heap dumps (#0 at 2026-11-24 21:03:56.296 UTC, #1 at 2026-11-24 21:03:58.796 UTC); showing #1; pick one with --heap-dump N"
        ]
    );

    // Out of range: an error that says how many there are.
    let options = LoadOptions {
        heap_dump: Some(2),
        ..LoadOptions::default()
    };
    let e = Heap::open(f.path(), &options, &Progress::new())
        .err()
        .expect("no heap dump #2");
    assert!(is_missing_heap_dump(&e), "{e}");
    assert!(
        e.to_string()
            .ends_with("there is no heap dump #2: the file holds 2 heap dumps, #0 to #1"),
        "{e}"
    );
}

#[test]
fn two_heap_dump_records_with_4_byte_ids() {
    check_two_snapshots(Snapshots::Agent);
}

#[test]
fn two_runs_of_segments_each_ended() {
    check_two_snapshots(Snapshots::Segments);
}

/// A single HEAP DUMP record: one heap dump, no warning; only #0 exists.
#[test]
fn one_heap_dump_needs_no_choice() {
    let mut w = Hprof::new("1.0.1", 4);
    w.string(1, "java/lang/Object").load_class(1, 0x100, 1);
    let mut b = Body::new(4);
    b.class_dump(&ClassDef::new(0x100, 0))
        .instance(0x1000, 0x100, &[])
        .primitive_array(0x1010, BasicType::Byte, &[Value::Byte(1)]);
    w.heap_dump(&b);
    let f = temp_file(w.bytes());
    let heap = open(f.path(), None);
    assert_eq!(heap.object_count(), 3);
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
    let records = &heap.census().records;
    assert_eq!(records.heap_dumps.len(), 1);
    assert_eq!(records.heap_dump, Some(0));
    assert!(!records.heap_dump_defaulted);
    assert_eq!(open(f.path(), Some(0)).object_count(), 3);
    let options = LoadOptions {
        heap_dump: Some(1),
        ..LoadOptions::default()
    };
    let e = Heap::open(f.path(), &options, &Progress::new())
        .err()
        .unwrap();
    assert!(e.message.ends_with("the file holds 1 heap dump, #0"), "{e}");
}

/// A zero-length segment after HEAP DUMP END (seen in real files) starts
/// no heap dump of its own.
#[test]
fn empty_segment_after_the_end_is_no_heap_dump() {
    let mut w = Hprof::new("1.0.2", 8);
    w.string(1, "java/lang/Object").load_class(1, 0x100, 1);
    let mut b = Body::new(8);
    b.class_dump(&ClassDef::new(0x100, 0))
        .instance(0x1000, 0x100, &[]);
    w.segment(&b)
        .heap_dump_end()
        .segment_bytes(&[])
        .heap_dump_end();
    let f = temp_file(w.bytes());
    let heap = open(f.path(), None);
    assert_eq!(heap.census().records.heap_dumps.len(), 1);
    assert_eq!(heap.object_count(), 2);
    assert!(heap.warnings().is_empty(), "{:?}", heap.warnings());
}

// ---------------------------------------------------------------------------
// The command line.

fn heapscope(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(args)
        .output()
        .expect("run heapscope")
}

fn json_of(args: &[&str]) -> serde_json::Value {
    let out = heapscope(args);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("JSON on stdout")
}

fn holds_two(w: &serde_json::Value) -> bool {
    w.as_str().is_some_and(|w| w.contains("holds 2 heap dumps"))
}

#[test]
fn command_line_picks_a_heap_dump() {
    let f = temp_file(&two_heap_dumps(Snapshots::Agent));
    let path = f.path().to_str().unwrap();

    // summary: every heap dump with its figures; the last shown, with a warning.
    let default = json_of(&["summary", "--json", path]);
    assert_eq!(default["heap_dump"], 1);
    assert_eq!(default["objects"], 9);
    let list = default["heap_dumps"].as_array().unwrap();
    assert_eq!(list.len(), 2);
    let keys: Vec<&str> = list[0]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    assert_eq!(keys, ["index", "objects", "shallow_bytes", "timestamp_ms"]);
    assert_eq!(list[0]["index"], 0);
    assert_eq!(list[1]["index"], 1);
    assert_eq!(list[0]["objects"], 5);
    assert_eq!(list[1]["objects"], 9);
    assert_eq!(list[0]["timestamp_ms"], HEADER_MS + 1000);
    assert_eq!(list[1]["timestamp_ms"], HEADER_MS + 3500);
    assert_eq!(list[1]["shallow_bytes"], default["shallow_bytes"]);
    let warnings = default["warnings"].as_array().unwrap();
    assert_eq!(warnings.iter().filter(|w| holds_two(w)).count(), 1);

    // --heap-dump 0: the first, as the list said, without the warning.
    let first = json_of(&["summary", "--json", "--heap-dump", "0", path]);
    assert_eq!(first["heap_dump"], 0);
    assert_eq!(first["objects"], list[0]["objects"]);
    assert_eq!(first["shallow_bytes"], list[0]["shallow_bytes"]);
    assert_eq!(first["gc_roots"], 2);
    assert_eq!(first["heap_dumps"], default["heap_dumps"]);
    assert!(!first["warnings"].as_array().unwrap().iter().any(holds_two));
    assert_ne!(first["shallow_bytes"], default["shallow_bytes"]);

    // The text summary lists them.
    let out = heapscope(&["summary", path]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        text.contains("heap dumps           2; showing #1"),
        "{text}"
    );
    assert!(
        text.contains("#0                 2026-11-24 21:03:56.296 UTC, 5 objects"),
        "{text}"
    );

    // histogram, paths and dominators read the heap dump asked for.
    let hist = json_of(&["histogram", "--json", "--heap-dump", "0", path]);
    let names: Vec<&str> = hist["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert!(
        names.contains(&"Apple") && !names.contains(&"Pear"),
        "{names:?}"
    );
    let out = heapscope(&["histogram", path]);
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("showing #1; pick one with --heap-dump N")
    );
    let paths = json_of(&["paths", "--json", "--heap-dump", "0", path, "0x1010"]);
    assert_eq!(paths["class"], "Apple");
    // 0x1010 is only in #0: an id not in the heap dump shown is a usage
    // error (issue 9).
    assert_eq!(heapscope(&["paths", path, "0x1010"]).status.code(), Some(2));
    for (k, objects) in [("0", 5), ("1", 9)] {
        let doms = json_of(&["dominators", "--json", "--heap-dump", k, path]);
        let (r, u) = (&doms["reachable_objects"], &doms["unreachable_objects"]);
        assert_eq!(r.as_u64().unwrap() + u.as_u64().unwrap(), objects, "#{k}");
    }
    assert_eq!(
        json_of(&["finalizers", "--json", "--heap-dump", "0", path])["finalizers"],
        0
    );

    // Out of range: a usage error naming how many there are.
    for args in [
        vec!["summary", "--heap-dump", "2", path],
        vec!["histogram", "--heap-dump", "7", path],
        vec!["diff", "--baseline-heap-dump", "2", path, path],
    ] {
        let out = heapscope(&args);
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            stderr.contains("the file holds 2 heap dumps, #0 to #1"),
            "{stderr}"
        );
    }
}

/// Two heap dumps of one file compare like two files.
#[test]
fn diff_compares_two_heap_dumps_of_one_file() {
    let f = temp_file(&two_heap_dumps(Snapshots::Segments));
    let path = f.path().to_str().unwrap();
    let name = f.path().file_name().unwrap().to_str().unwrap();
    // The fixture's few ids suggest different layouts to each snapshot.
    let diff = json_of(&[
        "diff",
        "--json",
        "--layout",
        "compressed",
        "--baseline-heap-dump",
        "0",
        "--heap-dump",
        "1",
        path,
        path,
    ]);
    assert_eq!(diff["baseline"]["file"], format!("{name} #0"));
    assert_eq!(diff["current"]["file"], format!("{name} #1"));
    assert_eq!(diff["baseline"]["objects"], 5);
    assert_eq!(diff["current"]["objects"], 9);
    assert_eq!(
        diff["current"]["timestamp_ms"].as_u64().unwrap()
            - diff["baseline"]["timestamp_ms"].as_u64().unwrap(),
        2500
    );
    assert_eq!(diff["warnings"], serde_json::json!([]));
    let class = |n: &str| {
        diff["classes"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == n)
            .cloned()
            .unwrap_or_else(|| panic!("no {n}"))
    };
    assert_eq!(class("Apple")["instances_before"], 3);
    assert_eq!(class("Apple")["instances_after"], 1);
    assert_eq!(class("Pear")["status"], "new");
    assert_eq!(class("Pear")["instances_after"], 4);

    // Without the choice both sides are the last one, and it says so.
    let same = json_of(&["diff", "--json", "--classes-only", path, path]);
    let warnings: Vec<&str> = same["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_str())
        .collect();
    assert!(
        warnings.contains(&format!(
            "the baseline file holds 2 heap dumps: comparing its last, {name} #1; pick one with --baseline-heap-dump N"
        )
        .as_str()),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.starts_with("the current file holds 2 heap dumps")
                && w.ends_with("--heap-dump N")),
        "{warnings:?}"
    );
}

/// A normal file: one entry, index 0, no warning.
#[test]
fn summary_of_a_single_heap_dump() {
    let mut w = Hprof::new("1.0.2", 8);
    w.string(1, "java/lang/Object").load_class(1, 0x100, 1);
    let mut b = Body::new(8);
    b.class_dump(&ClassDef::new(0x100, 0))
        .instance(0x1000, 0x100, &[]);
    w.segment(&b).heap_dump_end();
    let f = temp_file(w.bytes());
    let path = f.path().to_str().unwrap();
    let json = json_of(&["summary", "--json", path]);
    assert_eq!(json["heap_dump"], 0);
    assert_eq!(
        json["heap_dumps"],
        serde_json::json!([{"index": 0, "objects": 2, "shallow_bytes": json["shallow_bytes"], "timestamp_ms": HEADER_MS}])
    );
    assert_eq!(json["warnings"], serde_json::json!([]));
    let text = String::from_utf8_lossy(&heapscope(&["summary", path]).stdout).into_owned();
    assert!(!text.contains("heap dumps"), "{text}");
}

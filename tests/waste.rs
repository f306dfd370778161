//! The waste analysis on a real dump of LeakPatterns, whose figures the
//! program guarantees (its constants) or the JVM counts (its histogram).

mod jdk;

use std::path::PathBuf;
use std::sync::OnceLock;

use heapscope::analysis::dominators::Dominators;
use heapscope::analysis::graph::Referents;
use heapscope::analysis::waste::{self, CollectionKind, WasteReport};
use heapscope::heap::Heap;
use heapscope::progress::Progress;
use jdk::{Jvm, JvmHistogram, load};

// LeakPatterns's constants.
const DUPES: u64 = 5_000;
const DUPE_LENGTH: usize = 40;
const DUPES2: u64 = 300;
const DUPE2_LENGTH: usize = 200;
const SPARSE: u64 = 1_000;
const SPARSE_CAPACITY: u64 = 256;
const SPARSE_SIZE: u64 = 2;
const EMPTY_LISTS: u64 = 500;
const EMPTY_LIST_CAPACITY: u64 = 100;
const ZEROS: u64 = 200;
const ZERO_LENGTH: u64 = 777;
const BOXED: u64 = 10_000;

struct Fixture {
    path: PathBuf,
    heap: Heap,
    report: WasteReport,
    /// The JVM's histograms just before and just after the dump.
    histograms: [JvmHistogram; 2],
    _dir: tempfile::TempDir,
}

fn fixture() -> &'static Fixture {
    static F: OnceLock<Fixture> = OnceLock::new();
    F.get_or_init(|| {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("leak.hprof");
        let jvm = Jvm::start(&jdk::system_jdk(), "LeakPatterns", &[]);
        let before = jvm.histogram(false);
        jvm.dump(&path, &[]);
        let after = jvm.histogram(false);
        drop(jvm);
        let heap = load(&path);
        let strong =
            Dominators::compute(&heap, Referents::NONE, &Progress::new()).expect("not cancelled");
        let report = waste::analyze(&heap, &strong, &Progress::new()).expect("not cancelled");
        Fixture {
            path,
            heap,
            report,
            histograms: [before, after],
            _dir: dir,
        }
    })
}

impl Fixture {
    /// The JVM's count of class `name`, when the attach mechanism did not
    /// change it while the dump was taken (the same before and after).
    fn jvm_count(&self, name: &str) -> Option<u64> {
        let [before, after] = &self.histograms;
        (before.get(name) == after.get(name)).then(|| before.get(name).0)
    }
}

fn class_name(heap: &Heap, c: u32) -> &str {
    &heap.class(c).name
}

#[test]
fn duplicate_strings_match_the_program() {
    let f = fixture();
    let heap = &f.heap;
    let string = heap.classes().find("java.lang.String").unwrap();
    for (ch, len, count) in [('d', DUPE_LENGTH, DUPES), ('e', DUPE2_LENGTH, DUPES2)] {
        let full: String = std::iter::repeat_n(ch, len).collect();
        let value = f
            .report
            .strings
            .values
            .iter()
            .find(|v| v.length == len as u64 && v.preview.starts_with(&full[..len.min(100)]))
            .unwrap_or_else(|| panic!("no duplicate value of {len} '{ch}'s"));
        assert_eq!(value.count, count, "'{ch}' copies");
        assert_eq!(value.objects.len() as u64, count);
        for &o in &value.objects {
            assert_eq!(heap.class_of(o), string);
            assert_eq!(heap.string(o).as_deref(), Some(full.as_str()));
        }
        // Each copy has its own array, all of one size.
        assert_eq!(value.arrays, count);
        let s = heap.shallow_size(value.objects[0]);
        let a = heap.shallow_size(heap.field_object(value.objects[0], "value").unwrap());
        assert_eq!(value.shallow, count * (s + a));
        assert_eq!(value.wasted, (count - 1) * (s + a));
        // The copies are the elements of LeakPatterns.duplicates.
        let holders = value.holders.as_ref().expect("holders of a top value");
        assert_eq!(holders.len(), 1, "{holders:?}");
        assert_eq!(class_name(heap, holders[0].class), "java.lang.String[]");
        assert_eq!(holders[0].field, None);
        assert_eq!(holders[0].count, count);
        assert_eq!(
            waste::string_holders(heap, &value.objects)[0].count,
            count,
            "asked apart"
        );
    }
    // The biggest waste is the 'd' value: 5,000 copies.
    assert_eq!(f.report.strings.values[0].count, DUPES);
    // Its copies beyond the first belong to LeakPatterns.duplicates.
    let row = f
        .report
        .strings
        .by_owner
        .iter()
        .find(|r| r.owner.label(heap) == "LeakPatterns.duplicates")
        .expect("owner LeakPatterns.duplicates");
    assert!(row.owner.is_static);
    assert_eq!(row.count, DUPES - 1 + DUPES2 - 1);
    // Totals add up.
    let s = &f.report.strings;
    assert_eq!(s.wasted, s.values.iter().map(|v| v.wasted).sum::<u64>());
    if let Some(strings) = f.jvm_count("java.lang.String") {
        assert_eq!(s.strings, strings, "Strings read = the JVM's count");
    }
}

#[test]
fn sparse_maps_and_empty_lists_match_the_program() {
    let f = fixture();
    let heap = &f.heap;
    let c = &f.report.collections;
    let class = |name: &str| {
        c.classes
            .iter()
            .find(|k| class_name(heap, k.class) == name)
            .unwrap_or_else(|| panic!("no row for {name}"))
    };
    let maps = class("java.util.HashMap");
    assert_eq!(maps.kind, CollectionKind::HashMap);
    let sparse = maps
        .shapes
        .iter()
        .find(|s| s.capacity == SPARSE_CAPACITY && s.size == SPARSE_SIZE)
        .expect("the sparse maps' shape");
    assert_eq!(sparse.count, SPARSE);
    let reference = heap.census().layout.layout.reference as u64;
    assert_eq!(
        sparse.wasted,
        SPARSE * (SPARSE_CAPACITY - SPARSE_SIZE) * reference
    );
    // Their owner: past the ArrayList and its Object[] (collection
    // insides) to the static field LeakPatterns.sparse.
    let owner = c
        .by_owner
        .iter()
        .find(|r| {
            class_name(heap, r.class) == "java.util.HashMap"
                && r.owner.label(heap) == "LeakPatterns.sparse"
        })
        .expect("owner LeakPatterns.sparse");
    assert!(owner.owner.is_static);
    assert_eq!(owner.count, SPARSE);
    assert_eq!(owner.wasted, sparse.wasted);
    assert_eq!(
        owner.owner_example.and_then(|o| heap.as_class(o)),
        heap.classes().find("LeakPatterns")
    );

    let lists = class("java.util.ArrayList");
    let empty = lists
        .shapes
        .iter()
        .find(|s| s.capacity == EMPTY_LIST_CAPACITY && s.size == 0)
        .expect("the empty lists' shape");
    assert_eq!(empty.count, EMPTY_LISTS);
    let array = waste::collection_figures(heap, empty.example)
        .unwrap()
        .array
        .unwrap();
    assert_eq!(empty.wasted, EMPTY_LISTS * heap.shallow_size(array));
    assert!(lists.empty >= EMPTY_LISTS);
    assert!(lists.fill[0] >= EMPTY_LISTS);
    // Every collection class's counts are its JVM histogram's, but for
    // HashMaps that back a HashSet (the set's row counts them).
    for k in &c.classes {
        let name = class_name(heap, k.class);
        assert_eq!(k.fill.iter().sum::<u64>(), k.count, "{name}");
        if !matches!(k.kind, CollectionKind::HashMap) {
            if let Some(n) = f.jvm_count(name) {
                assert_eq!(k.count, n, "{name}");
            }
        }
    }
    assert_eq!(c.skipped, 0);
}

#[test]
fn zero_arrays_and_boxes_match_the_program() {
    let f = fixture();
    let heap = &f.heap;
    let z = &f.report.zero_arrays;
    let longs = z
        .classes
        .iter()
        .find(|k| class_name(heap, k.class) == "long[]")
        .expect("all-zero long[]");
    let row = longs
        .lengths
        .iter()
        .find(|l| l.length == ZERO_LENGTH)
        .expect("long[777]");
    assert_eq!(row.count, ZEROS);
    assert_eq!(row.wasted, ZEROS * heap.shallow_size(row.example));
    let owner = z
        .by_owner
        .iter()
        .find(|r| r.owner.label(heap) == "LeakPatterns.zeros")
        .expect("owner LeakPatterns.zeros");
    assert_eq!(owner.count, ZEROS);

    let doubles = f
        .report
        .boxed
        .classes
        .iter()
        .find(|k| class_name(heap, k.class) == "java.lang.Double")
        .expect("Doubles");
    assert_eq!(
        Some(doubles.count),
        f.jvm_count("java.lang.Double"),
        "the JVM's count, unchanged around the dump"
    );
    assert!(doubles.count >= BOXED);
    // i + 0.5 for each i: no two alike.
    assert!(doubles.distinct >= BOXED);
    assert_eq!(
        doubles.wasted,
        (doubles.count - doubles.distinct)
            * heap.shallow_size(
                doubles
                    .values
                    .first()
                    .map_or_else(|| heap.instances_of(doubles.class)[0], |v| v.example)
            )
    );
    let r = &f.report;
    assert_eq!(
        r.wasted,
        r.strings.wasted + r.collections.wasted + r.zero_arrays.wasted + r.boxed.wasted
    );
}

#[test]
fn the_command_line_prints_the_figures() {
    let f = fixture();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(["waste", "--json", "--top", "5", "--no-index"])
        .arg(&f.path)
        .output()
        .expect("run heapscope");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    assert_eq!(v["strings"]["values"][0]["count"], DUPES);
    assert_eq!(v["strings"]["values"].as_array().unwrap().len(), 5);
    assert_eq!(v["wasted_bytes"], f.report.wasted);
    let owners = v["collections"]["by_owner"].as_array().unwrap();
    assert!(
        owners
            .iter()
            .any(|o| o["owner"] == "LeakPatterns.sparse" && o["count"] == SPARSE),
        "{owners:?}"
    );
    assert!(v["warnings"].is_array());
    // The text names the sections.
    let text = std::process::Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(["waste", "--no-index"])
        .arg(&f.path)
        .output()
        .expect("run heapscope");
    let text = String::from_utf8_lossy(&text.stdout);
    assert!(text.contains("== Duplicate strings"), "{text}");
    assert!(text.contains("LeakPatterns.sparse"), "{text}");
}

/// A damaged dump: the analysis reads what it can and does not panic.
#[test]
fn a_truncated_dump_gives_an_answer() {
    let f = fixture();
    let bytes = std::fs::read(&f.path).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let cut = dir.path().join("cut.hprof");
    std::fs::write(&cut, &bytes[..bytes.len() * 2 / 3]).unwrap();
    let Ok(heap) = Heap::open(
        &cut,
        &heapscope::heap::LoadOptions::default(),
        &Progress::new(),
    ) else {
        return;
    };
    let strong = Dominators::compute(&heap, Referents::NONE, &Progress::new()).unwrap();
    let report = waste::analyze(&heap, &strong, &Progress::new()).unwrap();
    assert!(report.strings.strings <= f.report.strings.strings);
}

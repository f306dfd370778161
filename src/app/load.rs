//! Loading a dump for the window: the model (from the index when there is
//! one), then its analyses, each sent to the UI as soon as it is ready.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::Instant;

use super::command::Retention;
use super::document::Tree;
use super::task::{Reporter, Task, Waker};
use crate::analysis::dominators::Dominators;
use crate::analysis::finalizers::{self, FinalizerReport};
use crate::analysis::graph::Referents;
use crate::analysis::histogram::{self, Row, SortBy};
use crate::heap::{Heap, LoadOptions};
use crate::hprof::Dump;
use crate::index as index_file;
use crate::progress::Progress;

/// What a load job reports, in order.
pub enum Loaded {
    /// The census is done: the class histogram can show.
    Histogram(Vec<Row>, Vec<String>),
    Heap(Arc<Heap>),
    /// A dominator tree, with its children and per-class retained sizes.
    Tree(Retention, Arc<Tree>),
    Finalizers(Arc<FinalizerReport>),
    /// Where the model came from or went: the index read or written.
    Index(Vec<String>),
    /// A warning about this load rather than the dump (memory short).
    Warning(String),
    /// Everything is loaded; how long each step took.
    Done(Vec<(&'static str, f64)>),
    Failed(String),
}

/// Starts loading `path` (its heap dump `heap_dump`, or the last),
/// reading and writing its index if `index`.
pub fn start(path: PathBuf, heap_dump: Option<usize>, index: bool, waker: Waker) -> Task<Loaded> {
    Task::spawn("load", waker, move |p, r| {
        if let Err(e) = load(&path, heap_dump, index, p, r) {
            r.send(Loaded::Failed(e));
        }
    })
}

/// Runs every step of loading, sending each result as soon as it is ready.
/// Loads a dump for the window, reading and writing its index if `index`.
pub fn load(
    path: &std::path::Path,
    heap_dump: Option<usize>,
    index: bool,
    p: &Progress,
    r: &Reporter<Loaded>,
) -> Result<(), String> {
    let send = |msg| r.send(msg);
    let mut times = Vec::new();
    let t = Instant::now();
    let options = LoadOptions {
        heap_dump,
        ..LoadOptions::default()
    };
    if let Some(model) = index
        .then(|| index_file::reopen_existing(path, &options, p))
        .flatten()
    {
        times.push(("index", t.elapsed().as_secs_f64()));
        let index_file::Model {
            heap,
            doms: [all, strong],
            class_retained: [all_retained, strong_retained],
            finalizers,
            origin,
        } = model;
        let heap = Arc::new(heap);
        send(Loaded::Histogram(
            histogram::histogram(heap.census(), SortBy::Shallow),
            heap.warnings().to_vec(),
        ));
        send(Loaded::Index(origin.notes()));
        send(Loaded::Heap(heap.clone()));
        send(Loaded::Finalizers(Arc::new(finalizers)));
        let t = Instant::now();
        let all = Tree::new(all, Some(all_retained), &heap);
        send(Loaded::Tree(Retention::All, Arc::new(all)));
        let strong = Tree::new(strong, Some(strong_retained), &heap);
        send(Loaded::Tree(Retention::Strong, Arc::new(strong)));
        times.push(("dominator trees", t.elapsed().as_secs_f64()));
        // The index holds no incoming references: build them here rather
        // than on the UI thread's first look at an object's referrers.
        let t = Instant::now();
        if heap.object_count() > 0 {
            let _ = heap.incoming(0);
        }
        times.push(("incoming", t.elapsed().as_secs_f64()));
        send(Loaded::Done(times));
        return Ok(());
    }
    index_file::prepare_scratch(path, &options);
    let dump = Dump::open(path, p).map_err(|e| e.to_string())?;
    let census = Heap::take_census(&dump, &options, p).map_err(|e| e.to_string())?;
    times.push(("census", t.elapsed().as_secs_f64()));
    send(Loaded::Histogram(
        histogram::histogram(&census, SortBy::Shallow),
        census.warnings.clone(),
    ));
    // The working set of a build: the mapped dump and the model's arrays
    // (about 90 bytes an object on the bench dumps, both trees included).
    let need = dump.bytes().len() as u64 + census.objects * 90;
    if let Some(available) = memory_available().filter(|&a| a < need) {
        send(Loaded::Warning(format!(
            "this machine has {} of memory available and building the model of this dump \
             at full speed takes about {}: the model is built in scratch files the system \
             pages to disk, so loading will be slower",
            crate::units::bytes(available),
            crate::units::bytes(need)
        )));
    }
    let t = Instant::now();
    let heap = Arc::new(Heap::from_census(dump, census, p).map_err(|e| e.to_string())?);
    times.push(("model", t.elapsed().as_secs_f64()));
    send(Loaded::Heap(heap.clone()));
    let t = Instant::now();
    let doms =
        Dominators::compute(&heap, Referents::ALL, p).map_err(|_| "cancelled".to_string())?;
    let tree = Arc::new(Tree::new(doms, None, &heap));
    times.push(("dominators", t.elapsed().as_secs_f64()));
    send(Loaded::Tree(Retention::All, tree.clone()));
    let t = Instant::now();
    let report =
        finalizers::analyze(&heap, Some(&tree.doms), p).map_err(|_| "cancelled".to_string())?;
    times.push(("finalizers", t.elapsed().as_secs_f64()));
    let report = Arc::new(report);
    send(Loaded::Finalizers(report.clone()));
    // The views are complete; the index (which adds the strong-only tree)
    // is written behind them, with its progress shown.
    if index {
        let t = Instant::now();
        let (notes, strong) = index_file::write_after(
            path,
            &options,
            &heap,
            &tree.doms,
            &tree.class_retained,
            &report,
            p,
        )
        .map_err(|_| "cancelled".to_string())?;
        times.push(("index", t.elapsed().as_secs_f64()));
        send(Loaded::Index(notes));
        if let Some((strong, retained)) = strong {
            let strong = Tree::new(strong, Some(retained), &heap);
            send(Loaded::Tree(Retention::Strong, Arc::new(strong)));
        }
    }
    send(Loaded::Done(times));
    Ok(())
}

/// `MemAvailable` of /proc/meminfo, in bytes.
fn memory_available() -> Option<u64> {
    let info = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = info.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

/// Loads a dump completely, waiting here (for screenshots and tests).
pub fn load_now(path: &std::path::Path, heap_dump: Option<usize>) -> Vec<Loaded> {
    let mut task = start(path.to_path_buf(), heap_dump, true, Waker::new(|| {}));
    let mut results = Vec::new();
    while !task.is_finished() {
        match task.poll() {
            Some(r) => results.push(r),
            None => std::thread::sleep(std::time::Duration::from_millis(2)),
        }
    }
    results
}

//! Background work: loading a dump and the analyses after it, and paths
//! to GC roots for the selection. The UI thread only polls results.

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::mpsc::{Receiver, Sender, channel};
use std::time::Instant;

use crate::analysis::diff::{self, Diff, Snapshot};
use crate::analysis::dominators::{Children, Dominators};
use crate::analysis::finalizers::{self, FinalizerReport};
use crate::analysis::graph::Referents;
use crate::analysis::histogram::{self, Row, SortBy};
use crate::analysis::paths::{self, PathOptions, PathSearch};
use crate::heap::{Heap, LoadOptions};
use crate::hprof::Dump;
use crate::index as index_file;
use crate::progress::Progress;

/// What a load job reports, in order.
pub enum Loaded {
    /// The census is done: the class histogram can show.
    Histogram(Vec<Row>, Vec<String>),
    Heap(Arc<Heap>),
    Dominators {
        doms: Arc<Dominators>,
        children: Arc<Children>,
        class_retained: Arc<Vec<u64>>,
    },
    Finalizers(Arc<FinalizerReport>),
    /// Where the model came from or went: the index read or written.
    Index(Vec<String>),
    /// A warning about this load rather than the dump (memory short).
    Warning(String),
    /// Everything is loaded; how long each step took.
    Done(Vec<(&'static str, f64)>),
    Failed(String),
}

/// A dump loading in the background.
pub struct LoadJob {
    pub progress: Arc<Progress>,
    /// The phase the status bar last saw and when it began, for its rate.
    pub phase_started: (crate::progress::Phase, Instant),
    pub results: Receiver<Loaded>,
}

impl LoadJob {
    /// Starts loading `path` (its heap dump `heap_dump`, or the last);
    /// `wake` is called after each result.
    pub fn start(
        path: PathBuf,
        heap_dump: Option<usize>,
        index: bool,
        wake: impl Fn() + Send + 'static,
    ) -> LoadJob {
        let progress = Arc::new(Progress::new());
        let (tx, rx) = channel();
        let p = progress.clone();
        std::thread::Builder::new()
            .name("heapscope-load".into())
            .spawn(move || {
                if let Err(e) = load(&path, heap_dump, index, &p, &tx, &wake) {
                    let _ = tx.send(Loaded::Failed(e));
                }
                wake();
            })
            .expect("spawn the load thread");
        LoadJob {
            progress,
            phase_started: (crate::progress::Phase::Idle, Instant::now()),
            results: rx,
        }
    }
}

/// Runs every step of loading, sending each result as soon as it is ready.
/// Loads a dump for the window, reading and writing its index if `index`.
pub fn load(
    path: &std::path::Path,
    heap_dump: Option<usize>,
    index: bool,
    p: &Progress,
    tx: &Sender<Loaded>,
    wake: &dyn Fn(),
) -> Result<(), String> {
    let send = |msg| {
        let _ = tx.send(msg);
        wake();
    };
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
            doms: [all, _strong],
            class_retained: [class_retained, _],
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
        let children = all.children();
        times.push(("dominator tree", t.elapsed().as_secs_f64()));
        send(Loaded::Dominators {
            doms: Arc::new(all),
            children: Arc::new(children),
            class_retained: Arc::new(class_retained),
        });
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
    let children = doms.children();
    let class_retained = doms.class_retained(&heap, &children);
    times.push(("dominators", t.elapsed().as_secs_f64()));
    let doms = Arc::new(doms);
    let class_retained = Arc::new(class_retained);
    send(Loaded::Dominators {
        doms: doms.clone(),
        children: Arc::new(children),
        class_retained: class_retained.clone(),
    });
    let t = Instant::now();
    let report = finalizers::analyze(&heap, Some(&doms), p).map_err(|_| "cancelled".to_string())?;
    times.push(("finalizers", t.elapsed().as_secs_f64()));
    let report = Arc::new(report);
    send(Loaded::Finalizers(report.clone()));
    // The views are complete; the index (which adds the strong-only tree)
    // is written behind them, with its progress shown.
    if index {
        let t = Instant::now();
        let notes =
            index_file::write_after(path, &options, &heap, &doms, &class_retained, &report, p)
                .map_err(|_| "cancelled".to_string())?;
        times.push(("index", t.elapsed().as_secs_f64()));
        send(Loaded::Index(notes));
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

pub fn run<T: Send + 'static>(
    name: &str,
    wake: impl Fn() + Send + 'static,
    work: impl FnOnce() -> T + Send + 'static,
) -> Receiver<T> {
    let (tx, rx) = channel();
    std::thread::Builder::new()
        .name(format!("heapscope-{name}"))
        .spawn(move || {
            let _ = tx.send(work());
            wake();
        })
        .unwrap_or_else(|e| panic!("cannot start the {name} thread: {e}"));
    rx
}

/// The paths the "why alive" panel shows for an object: up to 5, also
/// through the `referents` chosen.
pub fn why_alive_paths(heap: &Heap, object: u32, referents: Referents) -> PathSearch {
    let options = PathOptions {
        max: 5,
        referents,
        ..PathOptions::default()
    };
    paths::paths_to_roots(heap, object, &options)
}

/// [`why_alive_paths`] for one object, computed off the UI thread.
pub struct PathJob {
    pub object: u32,
    pub referents: Referents,
    pub result: Receiver<PathSearch>,
}

impl PathJob {
    pub fn start(
        heap: Arc<Heap>,
        object: u32,
        referents: Referents,
        wake: impl Fn() + Send + 'static,
    ) -> PathJob {
        let result = run("paths", wake, move || {
            why_alive_paths(&heap, object, referents)
        });
        PathJob {
            object,
            referents,
            result,
        }
    }
}

/// A comparison of two loaded dumps, computed off the UI thread.
pub struct CompareJob {
    pub progress: Arc<Progress>,
    pub result: Receiver<Result<Diff, String>>,
}

impl CompareJob {
    /// Reduces both dumps to snapshots (a strong dominator tree each), at
    /// once, then compares them. `progress` follows the baseline.
    pub fn start(
        baseline: (Arc<Heap>, String),
        current: (Arc<Heap>, String),
        wake: impl Fn() + Send + 'static,
    ) -> CompareJob {
        let progress = Arc::new(Progress::new());
        let p = progress.clone();
        let result = run("compare", wake, move || {
            // Both at once: their models are loaded already.
            let other = Progress::new();
            let snapshot = |(heap, name): &(Arc<Heap>, String), p: &Progress| {
                Snapshot::of_model(heap, name, p).map_err(|_| "cancelled".to_string())
            };
            let (b, a) = rayon::join(|| snapshot(&baseline, &p), || snapshot(&current, &other));
            b.and_then(|b| Ok(diff::compare(&b, &a?)))
        });
        CompareJob { progress, result }
    }
}

impl Drop for CompareJob {
    /// A comparison closed or replaced stops computing (its baseline half;
    /// the other half finishes on its own).
    fn drop(&mut self) {
        self.progress.cancel();
    }
}

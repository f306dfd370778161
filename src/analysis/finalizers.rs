//! Objects waiting for finalization, from heap data alone (HPROF.md §6):
//! every `java.lang.ref.Finalizer` and its referent, which of them are
//! registered, pending or being finalized, and what the finalizer thread
//! is doing.

use rustc_hash::{FxHashMap, FxHashSet};

use super::dominators::Dominators;
use super::graph::Referents;
use super::paths::{Filter, ShortestPaths};
use crate::heap::{Heap, Thread};
use crate::hprof::{RootKind, Value};
use crate::progress::{Cancelled, Progress};

/// Where a Finalizer is in its life.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize,
)]
pub enum State {
    /// On the `unfinalized` list, referent still strongly reachable.
    Registered,
    /// Waiting for the finalizer thread: on `Finalizer.queue`.
    Queued,
    /// Discovered by the GC, on the VM's pending list (live dumps).
    VmPending,
    /// Registered, but no strong path reaches the referent any more: the
    /// next GC will discover it (`-all` dumps).
    Unreachable,
    /// Its `finalize()` is running now.
    InProcessing,
    /// Off every list with no referent: finalized, waiting to be collected.
    Done,
}

impl State {
    pub fn is_pending(self) -> bool {
        matches!(self, State::Queued | State::VmPending | State::Unreachable)
    }

    pub fn label(self) -> &'static str {
        match self {
            State::Registered => "registered",
            State::Queued => "pending (in Finalizer.queue)",
            State::VmPending => "pending (discovered by the GC)",
            State::Unreachable => "pending (no longer strongly reachable)",
            State::InProcessing => "in processing",
            State::Done => "finalized",
        }
    }
}

/// One Finalizer.
#[derive(Clone, Copy, Debug, serde::Serialize, serde::Deserialize)]
pub struct Entry {
    pub finalizer: u32,
    pub referent: Option<u32>,
    pub state: State,
}

/// Finalizer counts for one referent class.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ClassFinalizers {
    pub class: u32,
    pub finalizers: u64,
    pub registered: u64,
    pub pending: u64,
    pub in_processing: u64,
    /// Retained bytes of the referents no strong path reaches: the memory
    /// only finalization keeps (needs the all-references dominator tree).
    pub retained: u64,
}

/// A thread that runs finalizers and where it is.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct FinalizerThread {
    /// Index into `heap.threads()`.
    pub thread: usize,
    /// The class whose `finalize()` is on its stack, innermost first.
    pub in_finalize_of: Option<String>,
}

#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct FinalizerReport {
    pub entries: Vec<Entry>,
    pub registered: u64,
    pub pending: u64,
    pub in_processing: u64,
    /// `Finalizer.queue.queueLength`, as the JVM counted.
    pub queue_length: Option<i64>,
    /// Entries found walking `Finalizer.queue` from its head.
    pub queued: u64,
    /// Entries on the VM's pending-reference list.
    pub vm_pending: u64,
    /// Registered entries whose referent no strong path reaches.
    pub unreachable: u64,
    pub by_class: Vec<ClassFinalizers>,
    pub threads: Vec<FinalizerThread>,
}

/// Walks a singly linked list from `head` through `next(o)`, stopping at
/// null, at an entry that points to itself, or at a repeat.
fn walk(head: Option<u32>, mut next: impl FnMut(u32) -> Option<u32>) -> Vec<u32> {
    let mut seen = FxHashSet::default();
    let mut out = Vec::new();
    let mut cur = head;
    while let Some(o) = cur {
        if !seen.insert(o) {
            break;
        }
        out.push(o);
        cur = next(o).filter(|&n| n != o);
    }
    out
}

/// The finalizer picture of a heap. `doms`, when given, must count all
/// references; it supplies retained sizes per class.
pub fn analyze(
    heap: &Heap,
    doms: Option<&Dominators>,
    progress: &Progress,
) -> Result<FinalizerReport, Cancelled> {
    let filter = Filter::new(heap, Referents::NONE, &[]);
    let strong = ShortestPaths::compute(&filter, progress)?;
    analyze_with(heap, doms, &|o| strong.reachable(o), progress)
}

/// [`analyze`] with strong reachability already known (from a strong-only
/// dominator tree, say).
pub fn analyze_with(
    heap: &Heap,
    doms: Option<&Dominators>,
    strongly_reachable: &dyn Fn(u32) -> bool,
    progress: &Progress,
) -> Result<FinalizerReport, Cancelled> {
    let classes = heap.classes();
    let Some(finalizer_class) = classes.find("java.lang.ref.Finalizer") else {
        return Ok(FinalizerReport::default());
    };
    let finalizers = heap.instances_of(finalizer_class);
    let is_finalizer = |o: u32| heap.class_of(o) == finalizer_class;
    let statics = &classes.get(finalizer_class).statics;
    let static_object = |name: &str| {
        statics
            .iter()
            .find(|s| s.name == name)
            .and_then(|s| heap.object(s.value))
    };
    let fin_next = |o: u32| {
        heap.field_of(o, "java.lang.ref.Finalizer", "next")
            .and_then(|v| heap.object(v))
    };
    let ref_next = |o: u32| {
        heap.field_of(o, "java.lang.ref.Reference", "next")
            .and_then(|v| heap.object(v))
    };
    let referent = |o: u32| {
        heap.field_of(o, "java.lang.ref.Reference", "referent")
            .and_then(|v| heap.object(v))
    };

    // Registered: the unfinalized list.
    let unfinalized: FxHashSet<u32> = walk(static_object("unfinalized"), fin_next)
        .into_iter()
        .collect();
    // Queued: Finalizer.queue from its head.
    let queue = static_object("queue");
    let queue_length = queue
        .and_then(|q| heap.field(q, "queueLength"))
        .and_then(Value::as_i64);
    let queued: FxHashSet<u32> = walk(queue.and_then(|q| heap.field_object(q, "head")), ref_next)
        .into_iter()
        .filter(|&o| is_finalizer(o))
        .collect();
    // The VM pending list: a JNI global holding a Reference chained
    // through `discovered` (live dumps).
    let mut vm_pending: FxHashSet<u32> = FxHashSet::default();
    for r in heap
        .roots()
        .iter()
        .filter(|r| r.kind == RootKind::JniGlobal)
    {
        let Some(head) = r.object else { continue };
        if heap
            .field_of(head, "java.lang.ref.Reference", "discovered")
            .is_none()
        {
            continue;
        }
        let chain = walk(Some(head), |o| {
            heap.field_of(o, "java.lang.ref.Reference", "discovered")
                .and_then(|v| heap.object(v))
        });
        vm_pending.extend(chain.into_iter().filter(|&o| is_finalizer(o)));
    }
    progress.check()?;

    let mut report = FinalizerReport {
        queue_length,
        queued: queued.len() as u64,
        vm_pending: vm_pending.len() as u64,
        ..FinalizerReport::default()
    };
    let mut by_class: FxHashMap<u32, ClassFinalizers> = FxHashMap::default();
    for &f in &finalizers {
        let target = referent(f);
        let unlinked = fin_next(f).is_none_or(|x| x == f) && !unfinalized.contains(&f);
        let state = if queued.contains(&f) {
            State::Queued
        } else if vm_pending.contains(&f) {
            State::VmPending
        } else if unfinalized.contains(&f) {
            match target {
                Some(t) if !strongly_reachable(t) => State::Unreachable,
                _ => State::Registered,
            }
        } else if target.is_some() && unlinked {
            State::InProcessing
        } else {
            State::Done
        };
        report.entries.push(Entry {
            finalizer: f,
            referent: target,
            state,
        });
        let Some(t) = target else { continue };
        let row = by_class
            .entry(heap.class_of(t))
            .or_insert_with(|| ClassFinalizers {
                class: heap.class_of(t),
                ..ClassFinalizers::default()
            });
        row.finalizers += 1;
        match state {
            State::Registered => row.registered += 1,
            s if s.is_pending() => row.pending += 1,
            State::InProcessing => row.in_processing += 1,
            _ => {}
        }
        if let Some(d) = doms {
            if !strongly_reachable(t) {
                row.retained += d.retained(t);
            }
        }
    }
    for e in &report.entries {
        match e.state {
            State::Registered => report.registered += 1,
            s if s.is_pending() => {
                report.pending += 1;
                if s == State::Unreachable {
                    report.unreachable += 1;
                }
            }
            State::InProcessing => report.in_processing += 1,
            _ => {}
        }
    }
    let mut rows: Vec<ClassFinalizers> = by_class.into_values().collect();
    rows.sort_by(|a, b| {
        (b.pending + b.registered, b.finalizers, b.retained)
            .cmp(&(a.pending + a.registered, a.finalizers, a.retained))
            .then(a.class.cmp(&b.class))
    });
    report.by_class = rows;
    report.threads = finalizer_threads(heap);
    Ok(report)
}

/// Threads that run finalizers: `Finalizer$FinalizerThread` objects, or
/// named "Finalizer" / "Secondary finalizer".
fn finalizer_threads(heap: &Heap) -> Vec<FinalizerThread> {
    let classes = heap.classes();
    let thread_class = classes.find("java.lang.ref.Finalizer$FinalizerThread");
    heap.threads()
        .iter()
        .enumerate()
        .filter(|(_, t)| {
            let by_class = t
                .object
                .zip(thread_class)
                .is_some_and(|(o, c)| classes.is_subclass(heap.class_of(o), c));
            let by_name = matches!(t.name.as_deref(), Some("Finalizer" | "Secondary finalizer"));
            by_class || by_name
        })
        .map(|(i, t)| FinalizerThread {
            thread: i,
            in_finalize_of: in_finalize(t),
        })
        .collect()
}

/// The class of the innermost `finalize()` frame of a thread.
pub fn in_finalize(t: &Thread) -> Option<String> {
    t.frames
        .iter()
        .find(|f| f.method == "finalize" && f.signature == "()V")
        .map(|f| f.class_name.clone())
}

//! What each thread holds: the objects its frames hold as GC roots and
//! their retained size as a set, the retained size of the thread object,
//! and its `ThreadLocal` values with theirs. Figures for the Threads view
//! and `heapscope threads`.

use super::dominators::Dominators;
use super::sets::set_retained;
use crate::heap::{Heap, Thread, ThreadLocalValue, ThreadState};

/// One thread's figures (the thread is `heap.threads()[thread]`).
#[derive(Clone, Debug)]
pub struct ThreadSummary {
    pub thread: usize,
    /// From the thread object; `None` when the dump does not say.
    pub daemon: Option<bool>,
    pub state: Option<ThreadState>,
    /// Objects its frames hold (JAVA FRAME and JNI LOCAL roots), repeats
    /// included.
    pub held: usize,
    /// The retained size of those objects as one set.
    pub held_retained: u64,
    /// The retained size of the thread object (0 without one).
    pub retained: u64,
    /// Its `ThreadLocal` values (entries of `threadLocals` and
    /// `inheritableThreadLocals`).
    pub locals: Vec<ThreadLocalValue>,
    /// The retained size of the non-null values as one set.
    pub locals_retained: u64,
}

/// Every object a thread's frames hold, innermost frame first.
pub fn held_objects(t: &Thread) -> Vec<u32> {
    t.frames
        .iter()
        .flat_map(|f| f.locals.iter().copied())
        .collect()
}

/// The figures of one thread, without retained sizes when `doms` is
/// `None`.
pub fn summarize_one(heap: &Heap, doms: Option<&Dominators>, i: usize) -> Option<ThreadSummary> {
    let t = heap.threads().get(i)?;
    let held = held_objects(t);
    let locals = t.object.map(|o| heap.thread_locals(o)).unwrap_or_default();
    let values: Vec<u32> = locals.iter().filter_map(|l| l.value).collect();
    Some(ThreadSummary {
        thread: i,
        daemon: t.object.and_then(|o| heap.thread_daemon(o)),
        state: heap.thread_state(t),
        held: held.len(),
        held_retained: doms.map_or(0, |d| set_retained(d, &held)),
        retained: match (doms, t.object) {
            (Some(d), Some(o)) => d.retained(o),
            _ => 0,
        },
        locals_retained: doms.map_or(0, |d| set_retained(d, &values)),
        locals,
    })
}

/// The figures of every thread, in the heap's thread order.
pub fn summarize(heap: &Heap, doms: Option<&Dominators>) -> Vec<ThreadSummary> {
    (0..heap.threads().len())
        .filter_map(|i| summarize_one(heap, doms, i))
        .collect()
}

//! Known leak patterns, found by what the JDK's own classes hold (issue
//! 12's "Leak Suspects"): cancelled `TimerTask`s still in a
//! `java.util.Timer`'s queue, `ThreadLocal` values held by pool threads,
//! class loaders kept alive only by their own objects, the native memory
//! of direct byte buffers, and the finalizer backlog.
//!
//! Every retained size is over the strong-only dominator tree (the one a
//! GC would keep). Objects are model numbers (`u32`) and classes class
//! indexes, so a report can link them; each result says itself in one
//! sentence with [`TimerQueue::sentence`] and the like.

use std::collections::VecDeque;

use rayon::prelude::*;
use rustc_hash::FxHashMap;

use super::dominators::{Children, Dominators, Idom};
use super::finalizers::FinalizerReport;
use super::graph::{HeapGraph, Referents};
use super::semi_nca::{Graph, NONE};
use super::sets::{retained_histogram, set_retained};
use crate::heap::Heap;
use crate::progress::{Cancelled, Phase, Progress};
use crate::units::{bytes, count_of, thousands};

/// How many of the biggest classes of a retained set a result keeps.
const HELD_CLASSES: usize = 10;
/// How many example objects a result keeps of a possibly long list.
const EXAMPLES: usize = 20;

/// Every pattern found in one heap.
#[derive(Clone, Debug, Default, serde::Serialize)]
pub struct Patterns {
    /// Every reachable `java.util.TaskQueue`, most retained by its
    /// cancelled tasks first.
    pub timers: Vec<TimerQueue>,
    pub thread_locals: ThreadLocals,
    /// Class loaders that only their own objects keep alive.
    pub loaders: Vec<LeakedLoader>,
    pub direct_buffers: DirectBuffers,
    pub finalizers: FinalizerBacklog,
}

/// The known patterns of `heap`. `strong` is the strong-only dominator
/// tree (`Referents::NONE`) and `children` its child lists; `finalizers`
/// the finalizer picture of the model. One scan of every object's class,
/// then work in proportion to what it finds; a breadth-first search of the
/// whole graph only when a class loader outside the JDK defined classes
/// that have instances.
pub fn analyze(
    heap: &Heap,
    strong: &Dominators,
    children: &Children,
    finalizers: &FinalizerReport,
    progress: &Progress,
) -> Result<Patterns, Cancelled> {
    let found = Found::scan(heap);
    progress.check()?;
    let timers = timers(heap, strong, children, &found);
    progress.check()?;
    let thread_locals = thread_locals(heap, strong, &found);
    progress.check()?;
    let direct_buffers = direct_buffers(heap, strong, &found);
    let loaders = leaked_loaders(heap, strong, &found, progress)?;
    Ok(Patterns {
        timers,
        thread_locals,
        loaders,
        direct_buffers,
        finalizers: FinalizerBacklog::of(finalizers),
    })
}

/// The instances of the JDK classes the patterns start from.
#[derive(Default)]
struct Found {
    task_queues: Vec<u32>,
    timers: Vec<u32>,
    timer_threads: Vec<u32>,
    workers: Vec<u32>,
    loaders: Vec<u32>,
    direct_buffers: Vec<u32>,
}

const TASK_QUEUE: u8 = 1;
const TIMER: u8 = 2;
const TIMER_THREAD: u8 = 3;
const WORKER: u8 = 4;
const LOADER: u8 = 5;
const DIRECT_BUFFER: u8 = 6;

impl Found {
    /// One parallel pass over every object's class.
    fn scan(heap: &Heap) -> Found {
        let classes = heap.classes();
        let mut kind = vec![0u8; classes.len()];
        let wanted = [
            ("java.util.TaskQueue", TASK_QUEUE),
            ("java.util.Timer", TIMER),
            ("java.util.TimerThread", TIMER_THREAD),
            ("java.util.concurrent.ThreadPoolExecutor$Worker", WORKER),
            ("java.lang.ClassLoader", LOADER),
            ("java.nio.DirectByteBuffer", DIRECT_BUFFER),
        ];
        let mut any = false;
        for (name, k) in wanted {
            let Some(base) = classes.find(name) else {
                continue;
            };
            for (c, class) in classes.iter() {
                if classes.is_subclass(c, base) && !(k == LOADER && is_jdk_loader(&class.name)) {
                    kind[c as usize] = k;
                    any = true;
                }
            }
        }
        let mut found = Found::default();
        if !any {
            return found;
        }
        let hits: Vec<(u8, u32)> = (0..heap.object_count())
            .into_par_iter()
            .with_min_len(1 << 14)
            .filter_map(|o| match kind[heap.class_of(o) as usize] {
                0 => None,
                k => Some((k, o)),
            })
            .collect();
        for (k, o) in hits {
            // Class objects are of class java.lang.Class, never one of these.
            match k {
                TASK_QUEUE => found.task_queues.push(o),
                TIMER => found.timers.push(o),
                TIMER_THREAD => found.timer_threads.push(o),
                WORKER => found.workers.push(o),
                LOADER => found.loaders.push(o),
                _ => found.direct_buffers.push(o),
            }
        }
        found
    }
}

/// Whether a class loader class is one of the JDK's own: the boot,
/// platform and application loaders, reflection's delegating loaders.
fn is_jdk_loader(name: &str) -> bool {
    name.starts_with("jdk.") || name.starts_with("sun.")
}

/// A class's name.
fn class_name(heap: &Heap, c: u32) -> &str {
    &heap.class(c).name
}

/// A thread object's name: from the dump's threads, else its `name` field.
fn thread_name(heap: &Heap, thread_object: u32) -> Option<String> {
    heap.threads()
        .iter()
        .find(|t| t.object == Some(thread_object))
        .and_then(|t| t.name.clone())
        .or_else(|| heap.string(heap.field_object(thread_object, "name")?))
}

/// One class's objects in a set.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ClassTally {
    /// Class index.
    pub class: u32,
    pub objects: u64,
    /// Summed shallow bytes.
    pub shallow: u64,
}

/// A `java.util.TimerTask`'s `state`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum TaskState {
    Virgin,
    Scheduled,
    Executed,
    Cancelled,
}

impl TaskState {
    /// From the field's value (`TimerTask.VIRGIN` ... `CANCELLED`).
    pub fn of(value: i64) -> Option<TaskState> {
        Some(match value {
            0 => TaskState::Virgin,
            1 => TaskState::Scheduled,
            2 => TaskState::Executed,
            3 => TaskState::Cancelled,
            _ => return None,
        })
    }
}

/// The tasks in one `java.util.TaskQueue`, the queue of a `Timer`.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct TimerQueue {
    /// The `java.util.TaskQueue`.
    pub queue: u32,
    /// The `java.util.Timer` whose queue it is, if still there.
    pub timer: Option<u32>,
    /// The `java.util.TimerThread` that runs it.
    pub thread: Option<u32>,
    pub thread_name: Option<String>,
    /// `TaskQueue.size`: the tasks in `queue[1..=size]`.
    pub tasks: u64,
    /// Tasks by state: virgin, scheduled, executed, cancelled.
    pub by_state: [u64; 4],
    /// Tasks with no state a JDK writes.
    pub unknown_state: u64,
    /// Retained bytes of the cancelled tasks as a set.
    pub cancelled_retained: u64,
    /// The classes of the cancelled tasks, most first.
    pub cancelled_classes: Vec<ClassTally>,
    /// The biggest classes of the cancelled tasks' retained set (task
    /// classes included), largest shallow first.
    pub held: Vec<ClassTally>,
    /// Some of the cancelled tasks.
    pub cancelled_examples: Vec<u32>,
}

impl TimerQueue {
    /// Cancelled tasks (still in the queue, so still held).
    pub fn cancelled(&self) -> u64 {
        self.by_state[TaskState::Cancelled as usize]
    }

    /// Scheduled tasks.
    pub fn scheduled(&self) -> u64 {
        self.by_state[TaskState::Scheduled as usize]
    }

    /// E.g. "2,990 cancelled `LeakPatterns$CancelTask` wait in the queue of
    /// `java.util.Timer` thread "LeakTimer" (beside 5 scheduled tasks) and
    /// retain 1.6 MiB (3,000 `LeakPatterns$Statement`)".
    pub fn sentence(&self, heap: &Heap) -> String {
        let timer_class = self
            .timer
            .map(|t| class_name(heap, heap.class_of(t)))
            .unwrap_or("java.util.Timer");
        let owner = match &self.thread_name {
            Some(name) => format!("`{timer_class}` thread \"{name}\""),
            None if self.thread.is_some() => format!("`{timer_class}` thread"),
            None => format!("a `{timer_class}` without a thread"),
        };
        let cancelled = self.cancelled();
        if cancelled == 0 {
            return format!(
                "The queue of {owner} holds {}, none cancelled.",
                count_of(self.tasks, "task")
            );
        }
        let what = match self.cancelled_classes.as_slice() {
            [only] => format!(
                "{} cancelled `{}`",
                thousands(cancelled),
                class_name(heap, only.class)
            ),
            [first, ..] => format!(
                "{} cancelled timer tasks (mostly `{}`)",
                thousands(cancelled),
                class_name(heap, first.class)
            ),
            [] => format!("{} cancelled timer tasks", thousands(cancelled)),
        };
        let verb = if cancelled == 1 { "waits" } else { "wait" };
        let others = self.tasks.saturating_sub(cancelled);
        let beside = if others > 0 {
            format!(" (beside {})", count_of(others, "other task"))
        } else {
            String::new()
        };
        let retain = if cancelled == 1 { "retains" } else { "retain" };
        let held = self
            .held_class(heap)
            .map(|t| {
                format!(
                    " ({} `{}`)",
                    thousands(t.objects),
                    class_name(heap, t.class)
                )
            })
            .unwrap_or_default();
        format!(
            "{what} {verb} in the queue of {owner}{beside} and {retain} {}{held}.",
            bytes(self.cancelled_retained)
        )
    }

    /// The biggest class of what the cancelled tasks hold that is neither
    /// a task class nor an array.
    fn held_class(&self, heap: &Heap) -> Option<ClassTally> {
        self.held
            .iter()
            .find(|t| {
                !self.cancelled_classes.iter().any(|c| c.class == t.class)
                    && heap.class(t.class).kind == crate::heap::ClassKind::Instance
            })
            .copied()
    }
}

/// A class histogram of a few objects (a small map: these are pattern
/// hits, not whole-heap passes), most objects first.
fn tally(heap: &Heap, objects: &[u32]) -> Vec<ClassTally> {
    let mut by: FxHashMap<u32, ClassTally> = FxHashMap::default();
    for &o in objects {
        let c = heap.class_of(o);
        let t = by.entry(c).or_insert(ClassTally {
            class: c,
            objects: 0,
            shallow: 0,
        });
        t.objects += 1;
        t.shallow += heap.shallow_size(o);
    }
    let mut rows: Vec<ClassTally> = by.into_values().collect();
    rows.sort_by(|a, b| {
        (b.objects, b.shallow)
            .cmp(&(a.objects, a.shallow))
            .then(a.class.cmp(&b.class))
    });
    rows
}

fn timers(heap: &Heap, strong: &Dominators, children: &Children, found: &Found) -> Vec<TimerQueue> {
    // (queue, timer) and (queue, thread), sorted for lookups.
    let by_queue = |owners: &[u32]| {
        let mut v: Vec<(u32, u32)> = owners
            .iter()
            .filter_map(|&t| Some((heap.field_object(t, "queue")?, t)))
            .collect();
        v.sort_unstable();
        v
    };
    let timer_of = by_queue(&found.timers);
    let thread_of = by_queue(&found.timer_threads);
    let lookup = |v: &[(u32, u32)], q: u32| {
        let at = v.partition_point(|&(x, _)| x < q);
        v.get(at).filter(|&&(x, _)| x == q).map(|&(_, t)| t)
    };
    let mut out = Vec::new();
    for &q in &found.task_queues {
        if strong.idom(q) == Idom::Unreachable {
            continue; // garbage of an -all dump
        }
        let timer = lookup(&timer_of, q);
        let thread = timer
            .and_then(|t| heap.field_object(t, "thread"))
            .or_else(|| lookup(&thread_of, q));
        let size = heap
            .field(q, "size")
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
            .max(0) as u64;
        let mut result = TimerQueue {
            queue: q,
            timer,
            thread,
            thread_name: thread.and_then(|t| thread_name(heap, t)),
            ..TimerQueue::default()
        };
        let mut cancelled = Vec::new();
        if let Some(array) = heap.field_object(q, "queue").and_then(|a| heap.array(a)) {
            // A 1-based binary heap: slots 1..=size.
            let last = size.min(array.len.saturating_sub(1) as u64) as u32;
            for k in 1..=last {
                let Some(task) = array.get(k).and_then(|v| heap.object(v)) else {
                    continue;
                };
                result.tasks += 1;
                let state = heap
                    .field_of(task, "java.util.TimerTask", "state")
                    .and_then(|v| v.as_i64())
                    .and_then(TaskState::of);
                match state {
                    Some(s) => result.by_state[s as usize] += 1,
                    None => result.unknown_state += 1,
                }
                if state == Some(TaskState::Cancelled) {
                    cancelled.push(task);
                }
            }
        }
        if !cancelled.is_empty() {
            let held = retained_histogram(heap, strong, children, &cancelled);
            // The shallow sizes of a retained set add up to its retained size.
            result.cancelled_retained = held.iter().map(|r| r.shallow).sum();
            result.cancelled_classes = tally(heap, &cancelled);
            result.held = held
                .into_iter()
                .take(HELD_CLASSES)
                .map(|r| ClassTally {
                    class: r.class,
                    objects: r.objects,
                    shallow: r.shallow,
                })
                .collect();
            cancelled.truncate(EXAMPLES);
            result.cancelled_examples = cancelled;
        }
        out.push(result);
    }
    out.sort_by(|a, b| {
        (b.cancelled_retained, b.cancelled(), b.tasks)
            .cmp(&(a.cancelled_retained, a.cancelled(), a.tasks))
            .then(a.queue.cmp(&b.queue))
    });
    out
}

/// What makes a thread a pool thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub enum Pool {
    /// A `ThreadPoolExecutor$Worker`'s `thread`.
    Executor,
    /// A `java.util.concurrent.ForkJoinWorkerThread`.
    ForkJoin,
}

/// One value of a thread's `ThreadLocal`s.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LocalValue {
    /// The `ThreadLocal$ThreadLocalMap$Entry`.
    pub entry: u32,
    /// The `ThreadLocal`; `None` once collected (a stale entry).
    pub key: Option<u32>,
    pub value: u32,
    /// The value's class index.
    pub class: u32,
    /// The value's retained bytes.
    pub retained: u64,
    /// From `inheritableThreadLocals`.
    pub inheritable: bool,
}

/// The `ThreadLocal` values of one thread that has any.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct ThreadValues {
    /// The `java.lang.Thread`.
    pub thread: u32,
    pub name: Option<String>,
    /// Whether and how it is a pool thread.
    pub pool: Option<Pool>,
    /// Largest retained first.
    pub values: Vec<LocalValue>,
    /// Retained bytes of the values as a set.
    pub retained: u64,
}

impl ThreadValues {
    /// E.g. "Pool thread "leak-pool-1" holds 2 ThreadLocal values that
    /// retain 204 KiB, the biggest a `LeakPatterns$Big` of 195 KiB."
    pub fn sentence(&self, heap: &Heap) -> String {
        let who = match (&self.pool, &self.name) {
            (Some(_), Some(n)) => format!("Pool thread \"{n}\""),
            (Some(_), None) => "A pool thread".to_string(),
            (None, Some(n)) => format!("Thread \"{n}\""),
            (None, None) => "A thread".to_string(),
        };
        let n = self.values.len() as u64;
        let verb = if n == 1 {
            "value that retains"
        } else {
            "values that retain"
        };
        let mut s = format!(
            "{who} holds {} ThreadLocal {verb} {}",
            thousands(n),
            bytes(self.retained)
        );
        if let Some(v) = self.values.first() {
            s.push_str(&format!(
                ", the biggest a `{}` of {}",
                class_name(heap, v.class),
                bytes(v.retained)
            ));
        }
        s.push('.');
        s
    }
}

/// The `ThreadLocal` values of every thread, and the pool threads' share:
/// the suspect, as a pool thread lives (and keeps its values) for as long
/// as the pool.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct ThreadLocals {
    /// Threads with at least one non-null value, most retained first.
    pub threads: Vec<ThreadValues>,
    /// Pool threads among them.
    pub pool_threads: u64,
    /// Their values.
    pub pool_values: u64,
    /// Retained bytes of all their values as one set.
    pub pool_retained: u64,
    /// The classes of their values, most first.
    pub pool_classes: Vec<ClassTally>,
}

impl ThreadLocals {
    /// E.g. "3 pool threads hold 4 ThreadLocal values that retain 589 KiB
    /// (3 `LeakPatterns$Big`, 1 `LeakPatterns$Plugin`)."
    pub fn sentence(&self, heap: &Heap) -> String {
        if self.pool_values == 0 {
            return "No pool thread holds a ThreadLocal value.".to_string();
        }
        let threads = count_of(self.pool_threads, "pool thread");
        let verb = if self.pool_threads == 1 {
            "holds"
        } else {
            "hold"
        };
        let retain = if self.pool_values == 1 {
            "value that retains"
        } else {
            "values that retain"
        };
        let classes: Vec<String> = self
            .pool_classes
            .iter()
            .take(3)
            .map(|t| format!("{} `{}`", thousands(t.objects), class_name(heap, t.class)))
            .collect();
        let more = if self.pool_classes.len() > 3 {
            ", ..."
        } else {
            ""
        };
        format!(
            "{threads} {verb} {} ThreadLocal {retain} {} ({}{more}).",
            thousands(self.pool_values),
            bytes(self.pool_retained),
            classes.join(", ")
        )
    }
}

fn thread_locals(heap: &Heap, strong: &Dominators, found: &Found) -> ThreadLocals {
    let mut worker_threads: Vec<u32> = found
        .workers
        .iter()
        .filter_map(|&w| heap.field_object(w, "thread"))
        .collect();
    worker_threads.sort_unstable();
    let classes = heap.classes();
    let fork_join = classes.find("java.util.concurrent.ForkJoinWorkerThread");
    let mut out = ThreadLocals::default();
    let mut pool_values = Vec::new();
    let mut seen: Vec<u32> = Vec::new();
    for t in heap.threads() {
        let Some(object) = t.object else { continue };
        if seen.contains(&object) {
            continue; // a thread object rooted twice
        }
        seen.push(object);
        let values: Vec<LocalValue> = heap
            .thread_locals(object)
            .into_iter()
            .filter_map(|v| {
                let value = v.value?;
                Some(LocalValue {
                    entry: v.entry,
                    key: v.key,
                    value,
                    class: heap.class_of(value),
                    retained: strong.retained(value),
                    inheritable: v.inheritable,
                })
            })
            .collect();
        if values.is_empty() {
            continue;
        }
        let pool = if worker_threads.binary_search(&object).is_ok() {
            Some(Pool::Executor)
        } else if fork_join.is_some_and(|f| classes.is_subclass(heap.class_of(object), f)) {
            Some(Pool::ForkJoin)
        } else {
            None
        };
        let objects: Vec<u32> = values.iter().map(|v| v.value).collect();
        let mut values = values;
        values.sort_by(|a, b| b.retained.cmp(&a.retained).then(a.value.cmp(&b.value)));
        if pool.is_some() {
            out.pool_threads += 1;
            out.pool_values += values.len() as u64;
            pool_values.extend_from_slice(&objects);
        }
        out.threads.push(ThreadValues {
            thread: object,
            name: t.name.clone(),
            pool,
            retained: set_retained(strong, &objects),
            values,
        });
    }
    out.pool_retained = set_retained(strong, &pool_values);
    pool_values.sort_unstable();
    pool_values.dedup();
    out.pool_classes = tally(heap, &pool_values);
    out.threads.sort_by(|a, b| {
        (b.pool.is_some(), b.retained)
            .cmp(&(a.pool.is_some(), a.retained))
            .then(a.thread.cmp(&b.thread))
    });
    out
}

/// A class loader that only its own objects keep alive: its shortest
/// strong path from a GC root passes through an instance of a class it
/// defined (MAT's class loader leak).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct LeakedLoader {
    /// The loader object.
    pub loader: u32,
    /// Its class index.
    pub class: u32,
    /// Classes it defined.
    pub classes: u64,
    /// Instances of those classes.
    pub instances: u64,
    /// The instance of one of its classes nearest the GC root on the path.
    pub holder: u32,
    /// The holder's retained bytes.
    pub holder_retained: u64,
    /// The loader's retained bytes.
    pub loader_retained: u64,
    /// The shortest strong path, from the GC root object (first) to the
    /// loader (last); each object refers to the next (an instance to its
    /// class, a class to its loader).
    pub path: Vec<u32>,
}

impl LeakedLoader {
    /// E.g. "Class loader `LeakPatterns$PluginLoader` (1 class, 1
    /// instance) is held only through its own `LeakPatterns$Plugin`,
    /// reached from thread "leak-pool-1", which retains 22 KiB."
    pub fn sentence(&self, heap: &Heap) -> String {
        let root =
            self.path.first().map(
                |&r| match heap.threads().iter().find(|t| t.object == Some(r)) {
                    Some(t) => match &t.name {
                        Some(n) => format!("thread \"{n}\""),
                        None => "a thread".to_string(),
                    },
                    None => heap
                        .roots_of(r)
                        .next()
                        .map(|root| format!("a {}", heap.describe_root(root)))
                        .unwrap_or_else(|| "a GC root".to_string()),
                },
            );
        let reached = root
            .map(|r| format!(", reached from {r}"))
            .unwrap_or_default();
        format!(
            "Class loader `{}` ({}, {}) is held only through its own `{}`{reached}, which retains {}.",
            class_name(heap, self.class),
            count_of(self.classes, "class"),
            count_of(self.instances, "instance"),
            class_name(heap, heap.class_of(self.holder)),
            bytes(self.holder_retained)
        )
    }
}

fn leaked_loaders(
    heap: &Heap,
    strong: &Dominators,
    found: &Found,
    progress: &Progress,
) -> Result<Vec<LeakedLoader>, Cancelled> {
    if found.loaders.is_empty() {
        return Ok(Vec::new());
    }
    // Classes defined by each loader id, per class (not per object).
    let mut defined: FxHashMap<u64, (u64, u64)> = FxHashMap::default();
    let counts = &heap.census().counts;
    for (c, class) in heap.classes().iter() {
        if class.loader_id != 0 {
            let e = defined.entry(class.loader_id).or_default();
            e.0 += 1;
            e.1 += counts.get(c as usize).map_or(0, |n| n.instances);
        }
    }
    // Candidates: reachable loaders whose classes have instances.
    let candidates: Vec<(u32, u64, u64)> = found
        .loaders
        .iter()
        .filter(|&&l| strong.idom(l) != Idom::Unreachable)
        .filter_map(|&l| {
            let &(classes, instances) = defined.get(&heap.id(l))?;
            (instances > 0).then_some((l, classes, instances))
        })
        .collect();
    if candidates.is_empty() {
        return Ok(Vec::new());
    }
    let paths = StrongPaths::compute(heap, progress)?;
    let mut out = Vec::new();
    for (loader, classes, instances) in candidates {
        let id = heap.id(loader);
        let mut path = paths.chain(loader);
        path.reverse();
        let own = |o: u32| {
            o != loader
                && heap.as_class(o).is_none()
                && heap.class(heap.class_of(o)).loader_id == id
        };
        let Some(&holder) = path.iter().find(|&&o| own(o)) else {
            continue;
        };
        out.push(LeakedLoader {
            loader,
            class: heap.class_of(loader),
            classes,
            instances,
            holder,
            holder_retained: strong.retained(holder),
            loader_retained: strong.retained(loader),
            path,
        });
    }
    out.sort_by(|a, b| {
        b.holder_retained
            .cmp(&a.holder_retained)
            .then(a.loader.cmp(&b.loader))
    });
    Ok(out)
}

/// Shortest strong paths from the GC roots over the dominator tree's graph
/// ([`HeapGraph`]): besides the model's references, an instance refers to
/// its class object, which is how a loader's own objects hold it (the
/// model's references alone, as [`super::paths::ShortestPaths`] follows
/// them, never lead from an instance to its class).
struct StrongPaths {
    parent: Vec<u32>,
}

/// The parent of a root object.
const ROOT_MARK: u32 = u32::MAX - 1;

impl StrongPaths {
    fn compute(heap: &Heap, progress: &Progress) -> Result<StrongPaths, Cancelled> {
        let graph = HeapGraph::new(heap, Referents::NONE);
        let n = heap.object_count() as usize;
        progress.start(Phase::Paths, n as u64);
        let mut parent = vec![NONE; n];
        let mut queue = VecDeque::new();
        let root = graph.root();
        for k in 0..graph.degree(root) {
            if let Some(r) = graph.successor(root, k) {
                if parent[r as usize] == NONE {
                    parent[r as usize] = ROOT_MARK;
                    queue.push_back(r);
                }
            }
        }
        let mut reached = 0u64;
        while let Some(x) = queue.pop_front() {
            reached += 1;
            if reached % (1 << 20) == 0 {
                progress.set(reached);
                progress.check()?;
            }
            for k in 0..graph.degree(x) {
                if let Some(w) = graph.successor(x, k) {
                    if parent[w as usize] == NONE {
                        parent[w as usize] = x;
                        queue.push_back(w);
                    }
                }
            }
        }
        progress.set(n as u64);
        Ok(StrongPaths { parent })
    }

    /// `o`, the object before it on a shortest path, ... up to a root
    /// object; empty when no root reaches it.
    fn chain(&self, o: u32) -> Vec<u32> {
        let mut chain = Vec::new();
        let mut cur = o;
        while chain.len() < self.parent.len() {
            match self.parent[cur as usize] {
                NONE => return Vec::new(),
                ROOT_MARK => {
                    chain.push(cur);
                    break;
                }
                p => {
                    chain.push(cur);
                    cur = p;
                }
            }
        }
        chain
    }
}

/// A `java.nio.DirectByteBuffer`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct DirectBuffer {
    pub buffer: u32,
    /// `java.nio.Buffer.capacity`.
    pub capacity: u64,
    /// Whether it owns its memory (a `cleaner`); a slice or duplicate
    /// (`att` set) only views another's.
    pub owns: bool,
}

/// What holds direct buffers: the class of their strong immediate
/// dominator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize)]
pub enum Holder {
    /// Dominated by an object of this class index.
    Class(u32),
    /// Held by several GC roots, or a root itself.
    Roots,
    /// No strong path reaches it: memory waiting for its cleaner.
    Unreachable,
}

/// The direct buffers of one holder class.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct BufferGroup {
    pub holder: Holder,
    pub buffers: u64,
    pub owning: u64,
    /// Summed capacity of the owning buffers.
    pub owned_capacity: u64,
}

/// Native memory of direct byte buffers: what no retained size counts.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct DirectBuffers {
    pub buffers: u64,
    /// Buffers that own their memory.
    pub owning: u64,
    /// Their summed capacity.
    pub owned_capacity: u64,
    /// Views (slices, duplicates) of other buffers' memory.
    pub views: u64,
    /// By holder, most owned capacity first.
    pub groups: Vec<BufferGroup>,
    /// The biggest buffers, owning ones first, largest capacity first.
    pub biggest: Vec<DirectBuffer>,
}

impl DirectBuffers {
    /// E.g. "6 direct byte buffers own 7.07 MiB of native memory that no
    /// retained size counts, 6 of them held by `java.nio.ByteBuffer[]`
    /// (7.07 MiB); 2 more are views of other buffers."
    pub fn sentence(&self, heap: &Heap) -> String {
        if self.buffers == 0 {
            return "No direct byte buffer.".to_string();
        }
        let mut s = if self.owning == 0 {
            "No direct byte buffer owns native memory".to_string()
        } else {
            let verb = if self.owning == 1 { "owns" } else { "own" };
            format!(
                "{} {verb} {} of native memory that no retained size counts",
                count_of(self.owning, "direct byte buffer"),
                bytes(self.owned_capacity)
            )
        };
        if let Some(g) = self.groups.first().filter(|g| g.owning > 0) {
            let holder = match g.holder {
                Holder::Class(c) => format!("held by `{}`", class_name(heap, c)),
                Holder::Roots => "held by GC roots".to_string(),
                Holder::Unreachable => "unreachable, waiting for their cleaner".to_string(),
            };
            let them = if self.owning == 1 { "it" } else { "of them" };
            let count = if g.owning == self.owning && self.owning > 1 {
                "all".to_string()
            } else {
                thousands(g.owning)
            };
            s.push_str(&format!(
                ", {count} {them} {holder} ({})",
                bytes(g.owned_capacity)
            ));
        }
        if self.views > 0 {
            let verb = if self.views == 1 {
                "is a view"
            } else {
                "are views"
            };
            s.push_str(&format!(
                "; {} more {verb} of other buffers",
                thousands(self.views)
            ));
        }
        s.push('.');
        s
    }
}

fn direct_buffers(heap: &Heap, strong: &Dominators, found: &Found) -> DirectBuffers {
    let mut out = DirectBuffers::default();
    let mut groups: FxHashMap<Holder, BufferGroup> = FxHashMap::default();
    let mut all: Vec<DirectBuffer> = Vec::with_capacity(found.direct_buffers.len());
    for &b in &found.direct_buffers {
        let capacity = heap
            .field_of(b, "java.nio.Buffer", "capacity")
            .and_then(|v| v.as_i64())
            .unwrap_or(0)
            .max(0) as u64;
        let owns = heap.field_object(b, "cleaner").is_some();
        let holder = match strong.idom(b) {
            Idom::Object(d) => Holder::Class(heap.class_of(d)),
            Idom::Root => Holder::Roots,
            Idom::Unreachable => Holder::Unreachable,
        };
        let g = groups.entry(holder).or_insert(BufferGroup {
            holder,
            buffers: 0,
            owning: 0,
            owned_capacity: 0,
        });
        g.buffers += 1;
        out.buffers += 1;
        if owns {
            g.owning += 1;
            g.owned_capacity += capacity;
            out.owning += 1;
            out.owned_capacity += capacity;
        } else {
            out.views += 1;
        }
        all.push(DirectBuffer {
            buffer: b,
            capacity,
            owns,
        });
    }
    let key = |d: &DirectBuffer| (std::cmp::Reverse((d.owns, d.capacity)), d.buffer);
    if all.len() > EXAMPLES {
        all.select_nth_unstable_by_key(EXAMPLES, key);
        all.truncate(EXAMPLES);
    }
    all.sort_by_key(key);
    out.biggest = all;
    let mut groups: Vec<BufferGroup> = groups.into_values().collect();
    groups.sort_by(|a, b| {
        (b.owned_capacity, b.buffers)
            .cmp(&(a.owned_capacity, a.buffers))
            .then(a.holder.cmp(&b.holder))
    });
    out.groups = groups;
    out
}

/// A referent class and how many of its objects wait for finalization.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
pub struct PendingClass {
    /// Class index.
    pub class: u32,
    pub pending: u64,
}

/// The finalizer backlog, from the model's [`FinalizerReport`].
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct FinalizerBacklog {
    /// Objects waiting for their `finalize()`.
    pub pending: u64,
    /// The referent class with the most pending.
    pub top_class: Option<PendingClass>,
    /// Retained bytes of the pending referents, as the report has them
    /// (over the all-references tree; 0 when it was computed without one).
    pub retained: u64,
    /// A finalizer thread inside a `finalize()`: index into
    /// `heap.threads()`.
    pub stuck_thread: Option<usize>,
    /// The class whose `finalize()` it is in.
    pub stuck_in: Option<String>,
}

impl FinalizerBacklog {
    /// The backlog of `report`.
    pub fn of(report: &FinalizerReport) -> FinalizerBacklog {
        let top = report
            .by_class
            .iter()
            .filter(|c| c.pending > 0)
            .max_by(|a, b| a.pending.cmp(&b.pending).then(b.class.cmp(&a.class)));
        let stuck = report.threads.iter().find(|t| t.in_finalize_of.is_some());
        FinalizerBacklog {
            pending: report.pending,
            top_class: top.map(|c| PendingClass {
                class: c.class,
                pending: c.pending,
            }),
            retained: report.by_class.iter().map(|c| c.retained).sum(),
            stuck_thread: stuck.map(|t| t.thread),
            stuck_in: stuck.and_then(|t| t.in_finalize_of.clone()),
        }
    }

    /// E.g. "400 objects wait for finalization (400 `LeakPatterns$Doomed`)
    /// and retain 12.5 KiB; the finalizer thread "Finalizer" is stuck in
    /// `LeakPatterns$Blocker.finalize()`."
    pub fn sentence(&self, heap: &Heap) -> String {
        let mut s = if self.pending == 0 {
            "No object waits for finalization".to_string()
        } else {
            let verb = if self.pending == 1 { "waits" } else { "wait" };
            let mut s = format!(
                "{} {verb} for finalization",
                count_of(self.pending, "object")
            );
            if let Some(t) = self.top_class {
                let mostly = if t.pending == self.pending {
                    ""
                } else {
                    "mostly "
                };
                s.push_str(&format!(
                    " ({mostly}{} `{}`)",
                    thousands(t.pending),
                    class_name(heap, t.class)
                ));
            }
            if self.retained > 0 {
                let retain = if self.pending == 1 {
                    "retains"
                } else {
                    "retain"
                };
                s.push_str(&format!(" and {retain} {}", bytes(self.retained)));
            }
            s
        };
        if let Some(class) = &self.stuck_in {
            let name = self
                .stuck_thread
                .and_then(|t| heap.threads().get(t))
                .and_then(|t| t.name.as_deref());
            let thread = match name {
                Some(n) => format!("the finalizer thread \"{n}\""),
                None => "the finalizer thread".to_string(),
            };
            s.push_str(&format!("; {thread} is stuck in `{class}.finalize()`"));
        }
        s.push('.');
        s
    }
}

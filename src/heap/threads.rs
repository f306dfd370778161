//! Threads with their stack traces and the objects their frames hold.

use rustc_hash::FxHashMap;

use super::Heap;
use super::strings::decode_modified_utf8;
use crate::hprof::RootKind;

/// A stack frame, with the objects its locals and operand stack hold.
#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Frame {
    pub class_name: String,
    pub method: String,
    pub signature: String,
    pub source_file: String,
    /// >0 line number, -1 unknown, -2 compiled, -3 native.
    pub line: i32,
    /// Objects rooted by this frame (JAVA FRAME and JNI LOCAL roots).
    pub locals: Vec<u32>,
}

impl Frame {
    /// `java.lang.Thread.sleep(Thread.java:337)` style.
    pub fn display(&self) -> String {
        let place = match self.line {
            n if n > 0 => format!("{}:{n}", self.source_file),
            -2 => "compiled method".to_string(),
            -3 => "Native Method".to_string(),
            _ if !self.source_file.is_empty() => self.source_file.clone(),
            _ => "Unknown Source".to_string(),
        };
        format!("{}.{}({place})", self.class_name, self.method)
    }
}

#[derive(Clone, Debug, serde::Serialize, serde::Deserialize)]
pub struct Thread {
    pub serial: u32,
    pub object_id: u64,
    /// The `java.lang.Thread` object.
    pub object: Option<u32>,
    /// From the thread object's `name` field.
    pub name: Option<String>,
    /// Innermost first.
    pub frames: Vec<Frame>,
}

pub(super) fn build(heap: &Heap) -> Vec<Thread> {
    let census = heap.census();
    let records = &census.records;
    let data = heap.dump().bytes();
    let text = |id: u64| {
        records
            .string_bytes(data, id)
            .map(decode_modified_utf8)
            .unwrap_or_default()
    };
    let frames: FxHashMap<u64, _> = records.frames.iter().map(|f| (f.id, f)).collect();
    let traces: FxHashMap<u32, _> = records.traces.iter().map(|t| (t.serial, t)).collect();
    // Thread objects: from ROOT THREAD OBJECT, else old START THREAD records.
    let mut found: Vec<(u32, u64, Option<u32>)> = census
        .roots
        .iter()
        .filter(|r| r.kind == RootKind::ThreadObject)
        .filter_map(|r| Some((r.thread_serial?, r.id, r.extra)))
        .collect();
    if found.is_empty() {
        found = records
            .thread_starts
            .iter()
            .map(|t| (t.thread_serial, t.thread_id, Some(t.trace_serial)))
            .collect();
    }
    let mut threads: Vec<Thread> = found
        .into_iter()
        .map(|(serial, object_id, trace_serial)| {
            let object = heap.find(object_id);
            let name = object.and_then(|o| {
                let n = heap.field_object(o, "name")?;
                heap.string(n).or_else(|| {
                    // JDK 8 and older: a char[] name.
                    let a = heap.array(n)?;
                    Some(super::strings::decode_utf16(a.bytes()?, true))
                })
            });
            let trace = trace_serial.and_then(|s| traces.get(&s));
            let frames = trace
                .map(|t| {
                    t.frame_ids
                        .iter()
                        .map(|fid| match frames.get(fid) {
                            Some(f) => Frame {
                                class_name: census
                                    .classes
                                    .id_of_serial(f.class_serial)
                                    .and_then(|id| census.classes.by_id(id))
                                    .map(|c| census.classes.get(c).name.clone())
                                    .unwrap_or_else(|| {
                                        format!("<class serial {}>", f.class_serial)
                                    }),
                                method: text(f.method_name_id),
                                signature: text(f.signature_id),
                                source_file: text(f.source_file_id),
                                line: f.line,
                                locals: Vec::new(),
                            },
                            None => Frame {
                                class_name: String::new(),
                                method: format!("<missing frame {fid:#x}>"),
                                signature: String::new(),
                                source_file: String::new(),
                                line: -1,
                                locals: Vec::new(),
                            },
                        })
                        .collect()
                })
                .unwrap_or_default();
            Thread {
                serial,
                object_id,
                object,
                name,
                frames,
            }
        })
        .collect();
    threads.sort_by_key(|t| t.serial);
    for root in heap.roots() {
        if !matches!(root.kind, RootKind::JavaFrame | RootKind::JniLocal) {
            continue;
        }
        let (Some(serial), Some(frame), Some(object)) =
            (root.thread_serial, root.frame_index, root.object)
        else {
            continue;
        };
        if let Ok(t) = threads.binary_search_by_key(&serial, |t| t.serial) {
            if let Some(f) = threads[t].frames.get_mut(frame as usize) {
                f.locals.push(object);
            }
        }
    }
    threads
}

/// `java.lang.Thread.State`, from the thread object's `threadStatus`
/// (JDK 19 and later keep it in `holder`, a `Thread$FieldHolder`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ThreadState {
    New,
    Runnable,
    Blocked,
    Waiting,
    TimedWaiting,
    Terminated,
}

impl ThreadState {
    /// As `jdk.internal.misc.VM.toThreadState` maps JVMTI status bits.
    pub fn of_status(status: i32) -> ThreadState {
        const ALIVE: i32 = 0x1;
        const TERMINATED: i32 = 0x2;
        const RUNNABLE: i32 = 0x4;
        const WAITING_INDEFINITELY: i32 = 0x10;
        const WAITING_WITH_TIMEOUT: i32 = 0x20;
        const BLOCKED_ON_MONITOR_ENTER: i32 = 0x400;
        if status & RUNNABLE != 0 {
            ThreadState::Runnable
        } else if status & BLOCKED_ON_MONITOR_ENTER != 0 {
            ThreadState::Blocked
        } else if status & WAITING_INDEFINITELY != 0 {
            ThreadState::Waiting
        } else if status & WAITING_WITH_TIMEOUT != 0 {
            ThreadState::TimedWaiting
        } else if status & TERMINATED != 0 {
            ThreadState::Terminated
        } else if status & ALIVE == 0 {
            ThreadState::New
        } else {
            ThreadState::Runnable
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ThreadState::New => "NEW",
            ThreadState::Runnable => "RUNNABLE",
            ThreadState::Blocked => "BLOCKED",
            ThreadState::Waiting => "WAITING",
            ThreadState::TimedWaiting => "TIMED_WAITING",
            ThreadState::Terminated => "TERMINATED",
        }
    }
}

/// One value of a thread's `ThreadLocal`s: an entry of its
/// `threadLocals` or `inheritableThreadLocals` map.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ThreadLocalValue {
    /// The `ThreadLocal$ThreadLocalMap$Entry`.
    pub entry: u32,
    /// The `ThreadLocal` (the entry's weak referent), `None` once cleared.
    pub key: Option<u32>,
    /// The value; `None` for a null value.
    pub value: Option<u32>,
    pub inheritable: bool,
}

impl Heap {
    /// The state of a thread, when its object says (`None`: no thread
    /// object, or a dump without the field).
    pub fn thread_state(&self, thread: &Thread) -> Option<ThreadState> {
        match self.thread_field(thread.object?, "threadStatus")? {
            crate::hprof::Value::Int(s) => Some(ThreadState::of_status(s)),
            _ => None,
        }
    }

    /// Whether a thread object is a daemon thread (`None`: the dump does
    /// not say).
    pub fn thread_daemon(&self, thread_object: u32) -> Option<bool> {
        match self.thread_field(thread_object, "daemon")? {
            crate::hprof::Value::Boolean(b) => Some(b),
            _ => None,
        }
    }

    /// A field of a `java.lang.Thread`, from the object itself or, JDK 19
    /// and later, from its `holder` (a `Thread$FieldHolder`).
    fn thread_field(&self, o: u32, name: &str) -> Option<crate::hprof::Value> {
        self.field(o, name).or_else(|| {
            let holder = self.field_object(o, "holder")?;
            self.field(holder, name)
        })
    }

    /// The values of a thread object's `ThreadLocal`s, in table order.
    pub fn thread_locals(&self, thread_object: u32) -> Vec<ThreadLocalValue> {
        let mut out = Vec::new();
        for (name, inheritable) in [("threadLocals", false), ("inheritableThreadLocals", true)] {
            let Some(map) = self.field_object(thread_object, name) else {
                continue;
            };
            let Some(table) = self.field_object(map, "table") else {
                continue;
            };
            let Some(array) = self.array(table) else {
                continue;
            };
            for k in 0..array.len {
                let Some(entry) = array.get(k).and_then(|v| self.object(v)) else {
                    continue;
                };
                let key = self
                    .field_of(entry, "java.lang.ref.Reference", "referent")
                    .and_then(|v| self.object(v));
                let value = self.field_object(entry, "value");
                out.push(ThreadLocalValue {
                    entry,
                    key,
                    value,
                    inheritable,
                });
            }
        }
        out
    }
}

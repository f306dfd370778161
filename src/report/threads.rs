//! `heapscope threads`: every thread with its daemon flag, state, frames,
//! the objects its frames hold and their retained size, the retained size
//! of the thread object and its `ThreadLocal` values; then each thread's
//! stack with the objects each frame holds.

use serde_json::{Value, json};

use super::{object_json, object_label};
use crate::analysis::dominators::Dominators;
use crate::analysis::threads::ThreadSummary;
use crate::heap::{Heap, ThreadState};
use crate::units::{bytes, thousands};

/// The summaries in the report's order: the retained size of what their
/// frames hold, largest first, then the dump's order.
pub fn ordered(summaries: &[ThreadSummary]) -> Vec<&ThreadSummary> {
    let mut rows: Vec<&ThreadSummary> = summaries.iter().collect();
    rows.sort_by_key(|s| (std::cmp::Reverse(s.held_retained), s.thread));
    rows
}

fn name(heap: &Heap, s: &ThreadSummary) -> String {
    heap.threads()[s.thread]
        .name
        .clone()
        .unwrap_or_else(|| "(unnamed)".into())
}

fn object_with_retained(heap: &Heap, doms: &Dominators, o: u32) -> Value {
    let mut v = object_json(heap, o);
    v["retained_bytes"] = json!(doms.retained(o));
    v
}

/// `{"threads": [{"name", "serial", "object", "daemon", "state",
/// "frames", "objects_held", "held_retained_bytes", "retained_bytes",
/// "thread_locals", "thread_locals_retained_bytes", "stack": [{"frame",
/// "holds": [...]}], "thread_local_values": [...]}]}`.
pub fn json(heap: &Heap, doms: &Dominators, summaries: &[ThreadSummary]) -> Value {
    let threads: Vec<Value> = ordered(summaries)
        .into_iter()
        .map(|s| {
            let t = &heap.threads()[s.thread];
            json!({
                "name": t.name,
                "serial": t.serial,
                "object": t.object.map(|o| object_json(heap, o)),
                "daemon": s.daemon,
                "state": s.state.map(ThreadState::name),
                "frames": t.frames.len(),
                "objects_held": s.held,
                "held_retained_bytes": s.held_retained,
                "retained_bytes": s.retained,
                "thread_locals": s.locals.len(),
                "thread_locals_retained_bytes": s.locals_retained,
                "stack": t.frames.iter().map(|f| json!({
                    "frame": f.display(),
                    "holds": f.locals.iter().map(|&o| object_with_retained(heap, doms, o)).collect::<Vec<_>>(),
                })).collect::<Vec<_>>(),
                "thread_local_values": s.locals.iter().map(|l| json!({
                    "value": l.value.map(|o| object_with_retained(heap, doms, o)),
                    "thread_local": l.key.map(|k| object_json(heap, k)),
                    "inheritable": l.inheritable,
                })).collect::<Vec<_>>(),
            })
        })
        .collect();
    json!({ "threads": threads })
}

fn yes_no(b: Option<bool>) -> &'static str {
    match b {
        Some(true) => "yes",
        Some(false) => "no",
        None => "?",
    }
}

/// The table, then each thread's stack with what its frames hold and its
/// thread-local values.
pub fn text(heap: &Heap, doms: &Dominators, summaries: &[ThreadSummary]) -> String {
    let rows = ordered(summaries);
    let body: Vec<Vec<String>> = rows
        .iter()
        .map(|s| {
            vec![
                name(heap, s),
                yes_no(s.daemon).to_string(),
                s.state.map_or("?", ThreadState::name).to_string(),
                thousands(heap.threads()[s.thread].frames.len() as u64),
                thousands(s.held as u64),
                bytes(s.held_retained),
                bytes(s.retained),
                thousands(s.locals.len() as u64),
                bytes(s.locals_retained),
            ]
        })
        .collect();
    let mut out = format!("{} threads\n", thousands(rows.len() as u64));
    out.push_str(&super::table(
        &[
            "thread",
            "daemon",
            "state",
            "frames",
            "objects held",
            "held retain",
            "thread retains",
            "thread locals",
            "locals retain",
        ],
        &[false, false, false, true, true, true, true, true, true],
        &body,
    ));
    out.push_str(
        "\nheld retain: what the objects its frames hold retain, as a set; thread retains: the thread object's retained size; locals retain: its ThreadLocal values', as a set\n",
    );
    for s in rows {
        let t = &heap.threads()[s.thread];
        out.push_str(&format!(
            "\n\"{}\" daemon={} {}\n",
            name(heap, s),
            yes_no(s.daemon),
            s.state.map_or("?", ThreadState::name)
        ));
        for f in &t.frames {
            out.push_str(&format!("    at {}\n", f.display()));
            for &o in &f.locals {
                out.push_str(&format!(
                    "        holds {} (retains {})\n",
                    object_label(heap, o),
                    bytes(doms.retained(o))
                ));
            }
        }
        for l in &s.locals {
            let Some(v) = l.value else { continue };
            out.push_str(&format!(
                "    thread-local{} {} (retains {})\n",
                if l.inheritable { " (inheritable)" } else { "" },
                object_label(heap, v),
                bytes(doms.retained(v))
            ));
        }
    }
    out
}

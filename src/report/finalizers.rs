use serde_json::{Value, json};

use crate::analysis::finalizers::FinalizerReport;
use crate::heap::Heap;
use crate::units::{bytes, thousands};

/// `{"finalizers", "registered", "pending", "in_processing", "queue_length",
/// "by_class": [...], "threads": [...]}`.
pub fn json(heap: &Heap, r: &FinalizerReport) -> Value {
    json!({
        "finalizers": r.entries.len(),
        "registered": r.registered,
        "pending": r.pending,
        "in_processing": r.in_processing,
        "queue_length": r.queue_length,
        "queued": r.queued,
        "vm_pending": r.vm_pending,
        "by_class": r.by_class.iter().map(|c| json!({
            "class": heap.class(c.class).name,
            "finalizers": c.finalizers,
            "registered": c.registered,
            "pending": c.pending,
            "in_processing": c.in_processing,
            "retained_bytes": c.retained,
        })).collect::<Vec<_>>(),
        "threads": r.threads.iter().map(|t| {
            let thread = &heap.threads()[t.thread];
            json!({
                "name": thread.name,
                "in_finalize_of": t.in_finalize_of,
                "stack": thread.frames.iter().map(|f| f.display()).collect::<Vec<_>>(),
            })
        }).collect::<Vec<_>>(),
    })
}

pub fn text(heap: &Heap, r: &FinalizerReport) -> String {
    let mut out = format!(
        "{} finalizers: {} registered, {} pending, {} in processing\n",
        thousands(r.entries.len() as u64),
        thousands(r.registered),
        thousands(r.pending),
        thousands(r.in_processing)
    );
    out.push_str(&format!(
        "pending: {} in Finalizer.queue (queueLength {}), {} on the VM pending list, {} no longer strongly reachable\n",
        thousands(r.queued),
        r.queue_length.map(|n| n.to_string()).unwrap_or_else(|| "unknown".into()),
        thousands(r.vm_pending),
        thousands(r.unreachable),
    ));
    for t in &r.threads {
        let thread = &heap.threads()[t.thread];
        out.push_str(&format!(
            "thread \"{}\"{}\n",
            thread.name.as_deref().unwrap_or("?"),
            match &t.in_finalize_of {
                Some(c) => format!(" is running {c}.finalize()"),
                None => " is idle".to_string(),
            }
        ));
        for f in thread.frames.iter().take(12) {
            out.push_str(&format!("    at {}\n", f.display()));
        }
    }
    out.push('\n');
    let body: Vec<Vec<String>> = r
        .by_class
        .iter()
        .map(|c| {
            vec![
                thousands(c.finalizers),
                thousands(c.registered),
                thousands(c.pending),
                thousands(c.in_processing),
                bytes(c.retained),
                heap.class(c.class).name.clone(),
            ]
        })
        .collect();
    out.push_str(&super::table(
        &[
            "finalizers",
            "registered",
            "pending",
            "in processing",
            "retained",
            "referent class",
        ],
        &[true, true, true, true, true, false],
        &body,
    ));
    out
}

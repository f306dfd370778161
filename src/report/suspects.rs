//! The Leak Suspects report: text and JSON of the findings, and the whole
//! heap report (suspects, biggest classes, finalizers, threads) as
//! Markdown or HTML.

use serde_json::{Value, json};

use super::document::Block;
use super::{object_json, object_label};
use crate::analysis::dominators::Dominators;
use crate::analysis::finalizers::FinalizerReport;
use crate::analysis::histogram::{SortBy, histogram_with};
use crate::analysis::paths::RootPath;
use crate::analysis::sets::{SetRow, set_retained};
use crate::analysis::suspects::{Accumulation, Finding, LeakReport};
use crate::heap::Heap;
use crate::units::{bytes, children, hex_id, thousands};

fn path_json(heap: &Heap, p: &RootPath) -> Value {
    json!({
        "steps": p.steps.iter().map(|s| {
            let mut v = object_json(heap, s.object);
            if let Some(f) = &s.field {
                v["field"] = json!(f);
            }
            v
        }).collect::<Vec<_>>(),
        "roots": p.roots,
    })
}

fn classes_json(heap: &Heap, rows: &[SetRow]) -> Value {
    json!(
        rows.iter()
            .map(|r| json!({
                "class": heap.class(r.class).name,
                "objects": r.objects,
                "shallow_bytes": r.shallow,
            }))
            .collect::<Vec<_>>()
    )
}

fn accumulation_json(heap: &Heap, a: &Accumulation) -> Value {
    json!({
        "point": object_json(heap, a.point()),
        "chain": a.chain.iter().map(|&o| hex_id(heap.id(o))).collect::<Vec<_>>(),
        "run": a.run,
        "children": a.children,
        "content": a.content.iter().map(|s| json!({
            "class": heap.class(s.class).name,
            "objects": s.objects,
            "retained_bytes": s.retained,
        })).collect::<Vec<_>>(),
        "path": a.path.as_ref().map(|p| path_json(heap, p)),
        "retained_set_classes": classes_json(heap, &a.top_classes),
    })
}

fn finding_json(heap: &Heap, f: &Finding) -> Value {
    json!({
        "kind": f.kind,
        "severity": f.severity.label(),
        "sentence": f.sentence,
        "retained_bytes": f.retained,
        "share": f.share,
        "focus": f.focus.map(|o| object_json(heap, o)),
        "class": f.class.map(|c| heap.class(c).name.clone()),
        "accumulation": f.accumulation.as_ref().map(|a| accumulation_json(heap, a)),
    })
}

/// `{"threshold", "reachable_bytes", "references", "findings": [...]}`.
pub fn json(heap: &Heap, r: &LeakReport) -> Value {
    json!({
        "threshold": r.threshold,
        "reachable_bytes": r.reachable_bytes,
        "references": "strong",
        "findings": r.findings.iter().map(|f| finding_json(heap, f)).collect::<Vec<_>>(),
    })
}

fn path_lines(heap: &Heap, p: &RootPath) -> String {
    let mut out = String::new();
    for s in &p.steps {
        match &s.field {
            None => out.push_str(&format!("   {}\n", object_label(heap, s.object))),
            Some(f) => out.push_str(&format!("<- {f}  {}\n", object_label(heap, s.object))),
        }
    }
    for r in &p.roots {
        out.push_str(&format!("   GC root: {r}\n"));
    }
    out
}

fn headline(r: &LeakReport) -> String {
    format!(
        "{} reachable over strong references (what a GC keeps); a big holder retains at least {:.0}% of it ({})",
        bytes(r.reachable_bytes),
        r.threshold * 100.0,
        bytes((r.threshold * r.reachable_bytes as f64) as u64),
    )
}

/// The findings for people.
pub fn text(heap: &Heap, r: &LeakReport) -> String {
    let mut out = format!("Leak suspects: {}\n", headline(r));
    for (k, f) in r.findings.iter().enumerate() {
        out.push_str(&format!(
            "\n{}. [{}] {}: {}\n",
            k + 1,
            f.severity.label(),
            f.kind.title(),
            f.sentence
        ));
        if let Some(o) = f.focus {
            out.push_str(&format!("   object: {}\n", object_label(heap, o)));
        }
        let Some(a) = &f.accumulation else {
            continue;
        };
        out.push_str(&format!(
            "   accumulation point: {} ({})\n",
            object_label(heap, a.point()),
            children(a.children)
        ));
        if let Some(p) = &a.path {
            out.push_str("   shortest strong path to a GC root:\n");
            for line in path_lines(heap, p).lines() {
                out.push_str(&format!("     {line}\n"));
            }
        }
        if !a.top_classes.is_empty() {
            out.push_str("   biggest classes of its retained set:\n");
            for row in &a.top_classes {
                out.push_str(&format!(
                    "     {:>12} objects  {:>10}  {}\n",
                    thousands(row.objects),
                    bytes(row.shallow),
                    heap.class(row.class).name
                ));
            }
        }
    }
    if r.findings.is_empty() {
        out.push_str(
            "\nno object or class retains that much, and no known leak pattern was found\n",
        );
    }
    out
}

/// What the heap report shows besides the findings.
pub struct Context<'a> {
    /// The dump's file name.
    pub name: &'a str,
    /// The strong dominator tree the findings come from.
    pub doms: &'a Dominators,
    /// Per class, the retained size of its instances over `doms`.
    pub class_retained: &'a [u64],
    pub finalizers: &'a FinalizerReport,
}

fn table(header: &[&str], numeric: &[bool], rows: Vec<Vec<String>>) -> Block {
    Block::Table {
        header: header.iter().map(|h| h.to_string()).collect(),
        numeric: numeric.to_vec(),
        rows,
    }
}

/// The heap report: the findings, the biggest classes, the finalizers and
/// the threads, as blocks for [`super::document::markdown`] or
/// [`super::document::html`].
pub fn document(heap: &Heap, r: &LeakReport, c: &Context) -> Vec<Block> {
    let census = heap.census();
    let mut out = vec![
        Block::Heading(1, format!("Heap report: {}", c.name)),
        Block::Paragraph(format!(
            "{} objects in {} classes, {} shallow; {}. Made by heapscope.",
            thousands(heap.object_count() as u64),
            thousands(census.counts.iter().filter(|k| k.instances > 0).count() as u64),
            bytes(census.shallow_total()),
            headline(r)
        )),
        Block::Heading(2, "Leak suspects".into()),
    ];
    if r.findings.is_empty() {
        out.push(Block::Paragraph(
            "No object or class retains that much, and no known leak pattern was found.".into(),
        ));
    }
    for (k, f) in r.findings.iter().enumerate() {
        out.push(Block::Heading(
            3,
            format!(
                "{}. {}: {} ({} severity)",
                k + 1,
                f.kind.title(),
                bytes(f.retained),
                f.severity.label()
            ),
        ));
        out.push(Block::Paragraph(f.sentence.clone()));
        let mut facts = Vec::new();
        if let Some(o) = f.focus {
            facts.push(format!("object: `{}`", object_label(heap, o)));
        }
        if let Some(a) = &f.accumulation {
            facts.push(format!(
                "accumulation point: `{}`, {}",
                object_label(heap, a.point()),
                children(a.children)
            ));
        }
        if !facts.is_empty() {
            out.push(Block::List(facts));
        }
        if let Some(a) = &f.accumulation {
            if let Some(p) = &a.path {
                out.push(Block::Paragraph(
                    "Shortest strong path to a GC root:".into(),
                ));
                out.push(Block::Code(path_lines(heap, p)));
            }
            if !a.top_classes.is_empty() {
                out.push(table(
                    &["objects", "shallow", "class in its retained set"],
                    &[true, true, false],
                    a.top_classes
                        .iter()
                        .map(|row| {
                            vec![
                                thousands(row.objects),
                                bytes(row.shallow),
                                format!("`{}`", heap.class(row.class).name),
                            ]
                        })
                        .collect(),
                ));
            }
        }
    }

    out.push(Block::Heading(2, "Biggest classes by retained size".into()));
    let rows = histogram_with(census, Some(c.class_retained), SortBy::Retained);
    out.push(table(
        &["instances", "shallow", "retained (strong)", "class"],
        &[true, true, true, false],
        rows.iter()
            .take(20)
            .map(|row| {
                vec![
                    thousands(row.instances),
                    bytes(row.shallow),
                    bytes(row.retained.unwrap_or(0)),
                    format!("`{}`", row.name),
                ]
            })
            .collect(),
    ));

    out.push(Block::Heading(2, "Finalizers".into()));
    let f = c.finalizers;
    let stuck = f
        .threads
        .iter()
        .find_map(|t| t.in_finalize_of.clone())
        .map(|class| format!("; the finalizer thread is stuck in `{class}.finalize()`"))
        .unwrap_or_default();
    out.push(Block::Paragraph(format!(
        "{} finalizers: {} registered, {} pending, {} in processing{stuck}.",
        thousands(f.entries.len() as u64),
        thousands(f.registered),
        thousands(f.pending),
        thousands(f.in_processing)
    )));
    if !f.by_class.is_empty() {
        out.push(table(
            &[
                "registered",
                "pending",
                "in processing",
                "kept only by finalization",
                "referent class",
            ],
            &[true, true, true, true, false],
            f.by_class
                .iter()
                .take(20)
                .map(|row| {
                    vec![
                        thousands(row.registered),
                        thousands(row.pending),
                        thousands(row.in_processing),
                        bytes(row.retained),
                        format!("`{}`", heap.class(row.class).name),
                    ]
                })
                .collect(),
        ));
    }

    out.push(Block::Heading(2, "Threads".into()));
    let mut threads: Vec<(u64, &crate::heap::Thread)> = heap
        .threads()
        .iter()
        .map(|t| {
            let locals: Vec<u32> = t
                .frames
                .iter()
                .flat_map(|f| f.locals.iter().copied())
                .collect();
            let mut held = locals;
            held.extend(t.object);
            (set_retained(c.doms, &held), t)
        })
        .collect();
    threads.sort_by_key(|&(r, t)| (std::cmp::Reverse(r), t.serial));
    out.push(table(
        &[
            "retained (thread and locals)",
            "frames",
            "state",
            "thread",
            "top frame",
        ],
        &[true, true, false, false, false],
        threads
            .iter()
            .take(30)
            .map(|&(retained, t)| {
                vec![
                    bytes(retained),
                    thousands(t.frames.len() as u64),
                    heap.thread_state(t).map_or("?", |s| s.name()).to_string(),
                    t.name.clone().unwrap_or_else(|| "(unnamed)".into()),
                    t.frames
                        .first()
                        .map(|f| format!("`{}`", f.display()))
                        .unwrap_or_default(),
                ]
            })
            .collect(),
    ));
    out
}

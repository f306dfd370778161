use serde_json::{Value, json};

use crate::analysis::dominators::{Children, Dominators};
use crate::heap::Heap;
use crate::units::{bytes, thousands};

fn object_json(heap: &Heap, doms: &Dominators, o: u32) -> Value {
    let mut v = super::object_json(heap, o);
    v["shallow_bytes"] = json!(heap.shallow_size(o));
    v["retained_bytes"] = json!(doms.retained(o));
    v
}

/// `{"references", "reachable_objects", ..., "objects": [{"id", "class",
/// "shallow_bytes", "retained_bytes", "children"?}]}`.
pub fn json(
    heap: &Heap,
    doms: &Dominators,
    top: &[u32],
    children: Option<(&Children, usize)>,
) -> Value {
    json!({
        "references": doms.referents.describe(),
        "reachable_objects": doms.reachable,
        "unreachable_objects": doms.unreachable(),
        "reachable_bytes": doms.reachable_bytes(),
        "objects": top.iter().map(|&o| {
            let mut v = object_json(heap, doms, o);
            if let Some((c, n)) = children {
                let kids = c.of(o);
                v["children"] = json!(kids.iter().take(n).map(|&k| object_json(heap, doms, k)).collect::<Vec<_>>());
                v["children_total"] = json!(kids.len());
            }
            v
        }).collect::<Vec<_>>(),
    })
}

pub fn text(
    heap: &Heap,
    doms: &Dominators,
    top: &[u32],
    children: Option<(&Children, usize)>,
) -> String {
    let total = doms.reachable_bytes();
    let row = |rank: String, o: u32, indent: &str| {
        vec![
            rank,
            thousands(doms.retained(o)),
            bytes(doms.retained(o)),
            format!(
                "{:.1}%",
                100.0 * doms.retained(o) as f64 / total.max(1) as f64
            ),
            thousands(heap.shallow_size(o)),
            format!("{indent}{}", super::object_label(heap, o)),
        ]
    };
    let mut body = Vec::new();
    for (i, &o) in top.iter().enumerate() {
        body.push(row(format!("{}", i + 1), o, ""));
        if let Some((c, n)) = children {
            let kids = c.of(o);
            for &k in kids.iter().take(n) {
                body.push(row(String::new(), k, "  "));
            }
            if kids.len() > n {
                body.push(vec![
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    String::new(),
                    format!("  ... {} more", thousands((kids.len() - n) as u64)),
                ]);
            }
        }
    }
    let mut out = super::table(
        &["#", "retained bytes", "", "heap", "shallow", "object"],
        &[true, true, true, true, true, false],
        &body,
    );
    out.push_str(&format!(
        "{}: {} objects reachable ({}), {} unreachable\n",
        doms.referents.describe(),
        thousands(doms.reachable),
        bytes(total),
        thousands(doms.unreachable())
    ));
    out
}

use serde_json::{Value, json};

use crate::analysis::paths::{MergedPaths, PathSearch};
use crate::heap::Heap;
use crate::units::{hex_id, thousands};

use super::{object_json as step_json, object_label as describe};

/// `{"object", "class", "references", "paths": [[{"id", "class", "field"},
/// ..., {"id", "class", "field", "root_kinds"}]]}`, object first.
pub fn json(heap: &Heap, target: u32, references: &str, search: &PathSearch) -> Value {
    let paths = &search.paths;
    json!({
        "object": hex_id(heap.id(target)),
        "class": heap.class(heap.class_of(target)).name,
        "references": references,
        "complete": search.complete,
        "paths": paths.iter().map(|p| {
            let last = p.steps.len() - 1;
            p.steps.iter().enumerate().map(|(i, s)| {
                let mut v = step_json(heap, s.object);
                if let Some(f) = &s.field {
                    v["field"] = json!(f);
                }
                if i == last {
                    v["root_kinds"] = json!(p.root_kinds.iter().map(|k| k.label()).collect::<Vec<_>>());
                    v["roots"] = json!(p.roots);
                }
                v
            }).collect::<Vec<_>>()
        }).collect::<Vec<_>>(),
    })
}

pub fn text(heap: &Heap, target: u32, references: &str, search: &PathSearch) -> String {
    let paths = &search.paths;
    let mut out = format!("{} ({references})\n", describe(heap, target));
    if paths.is_empty() {
        out.push_str("no GC root reaches it by these references\n");
    }
    for (i, p) in paths.iter().enumerate() {
        out.push_str(&format!(
            "\npath {} ({} references):\n",
            i + 1,
            p.steps.len() - 1
        ));
        let width = p
            .steps
            .iter()
            .filter_map(|s| s.field.as_ref())
            .map(|f| f.chars().count())
            .max()
            .unwrap_or(0);
        for s in &p.steps {
            match &s.field {
                None => out.push_str(&format!("  {}\n", describe(heap, s.object))),
                Some(f) => {
                    out.push_str(&format!("  <- {f:<width$}  {}\n", describe(heap, s.object)))
                }
            }
        }
        for r in &p.roots {
            out.push_str(&format!("     GC root: {r}\n"));
        }
    }
    if !search.complete {
        out.push_str(&format!(
            "\n(the search stopped after {} objects: more roots may reach it by longer paths)\n",
            thousands(search.visited as u64)
        ));
    }
    out
}

/// The merged tree, from the roots down, as JSON.
pub fn merged_json(heap: &Heap, merged: &MergedPaths, targets: usize) -> Value {
    fn node(heap: &Heap, m: &MergedPaths, k: usize) -> Value {
        let n = &m.nodes[k];
        let mut v = step_json(heap, n.object);
        v["count"] = json!(n.count);
        if n.targets > 0 {
            v["targets"] = json!(n.targets);
        }
        if !n.children.is_empty() {
            v["children"] = json!(
                n.children
                    .iter()
                    .map(|&c| node(heap, m, c))
                    .collect::<Vec<_>>()
            );
        }
        v
    }
    json!({
        "targets": targets,
        "unreachable": merged.unreachable,
        "roots": merged.roots.iter().map(|&k| {
            let mut v = node(heap, merged, k);
            let kinds: Vec<&str> = heap.roots_of(merged.nodes[k].object).map(|r| r.kind.label()).collect();
            v["root_kinds"] = json!(kinds);
            v
        }).collect::<Vec<_>>(),
    })
}

/// The merged tree as indented text, `limit` children per node.
pub fn merged_text(heap: &Heap, merged: &MergedPaths, targets: usize, limit: usize) -> String {
    let mut out = format!(
        "shortest paths of {} objects, merged ({} not reachable by these references)\n",
        thousands(targets as u64),
        thousands(merged.unreachable)
    );
    enum Line {
        Node(usize, usize),
        More(usize, usize),
    }
    let mut stack = Vec::new();
    if merged.roots.len() > limit {
        stack.push(Line::More(merged.roots.len() - limit, 0));
    }
    stack.extend(
        merged
            .roots
            .iter()
            .take(limit)
            .rev()
            .map(|&k| Line::Node(k, 0)),
    );
    while let Some(line) = stack.pop() {
        match line {
            Line::More(n, depth) => {
                out.push_str(&format!("{}            ... {n} more\n", "  ".repeat(depth)));
            }
            Line::Node(k, depth) => {
                let n = &merged.nodes[k];
                let mut text = format!(
                    "{}{:>10}  {}",
                    "  ".repeat(depth),
                    thousands(n.count),
                    describe(heap, n.object)
                );
                if n.targets > 0 {
                    text.push_str(" (target)");
                }
                if depth == 0 {
                    let roots: Vec<String> = heap
                        .roots_of(n.object)
                        .map(|r| heap.describe_root(r))
                        .collect();
                    text.push_str(&format!("  [GC root: {}]", roots.join("; ")));
                }
                out.push_str(&text);
                out.push('\n');
                if n.children.len() > limit {
                    stack.push(Line::More(n.children.len() - limit, depth + 1));
                }
                stack.extend(
                    n.children
                        .iter()
                        .take(limit)
                        .rev()
                        .map(|&c| Line::Node(c, depth + 1)),
                );
            }
        }
    }
    out
}

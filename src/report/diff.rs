//! `heapscope diff`: the comparison of two dumps as text and JSON.

use serde_json::{Value, json};

use crate::analysis::diff::{
    ClassDelta, Diff, Facts, FinalizerCounts, FinalizerDiff, OwnerDelta, Presence, ROOTS, delta,
};
use crate::units::{bytes, hex_id, signed, signed_bytes, thousands};

fn facts_json(f: &Facts) -> Value {
    json!({
        "file": f.file,
        "objects": f.objects,
        "shallow_bytes": f.shallow,
        "classes": f.classes,
        "timestamp_ms": f.timestamp_ms,
        "id_size": f.id_size,
        "layout": f.layout,
        "truncated": f.truncated,
        "warnings": f.warnings,
    })
}

pub fn class_json(c: &ClassDelta) -> Value {
    let (ib, ia) = c.instances();
    let (sb, sa) = c.shallow();
    let mut row = json!({
        "name": c.name,
        "status": c.presence().label(),
        "instances_before": ib,
        "instances_after": ia,
        "instances_delta": c.instances_delta(),
        "shallow_before": sb,
        "shallow_after": sa,
        "shallow_delta": c.shallow_delta(),
        "change_percent": c.change_percent(),
    });
    if let Some((rb, ra)) = c.retained() {
        row["retained_before"] = json!(rb);
        row["retained_after"] = json!(ra);
        row["retained_delta"] = json!(delta(rb, ra));
    }
    row
}

fn counts_json(c: &FinalizerCounts) -> Value {
    json!({
        "finalizers": c.finalizers,
        "registered": c.registered,
        "pending": c.pending,
        "in_processing": c.in_processing,
    })
}

fn finalizers_json(f: &FinalizerDiff, top: usize) -> Value {
    let pairs = |b: &FinalizerCounts, a: &FinalizerCounts| {
        json!({
            "finalizers_before": b.finalizers, "finalizers_after": a.finalizers,
            "finalizers_delta": delta(b.finalizers, a.finalizers),
            "registered_before": b.registered, "registered_after": a.registered,
            "registered_delta": delta(b.registered, a.registered),
            "pending_before": b.pending, "pending_after": a.pending,
            "pending_delta": delta(b.pending, a.pending),
            "in_processing_before": b.in_processing, "in_processing_after": a.in_processing,
            "in_processing_delta": delta(b.in_processing, a.in_processing),
        })
    };
    json!({
        "before": counts_json(&f.before),
        "after": counts_json(&f.after),
        "total": pairs(&f.before, &f.after),
        "queue_length_before": f.queue_length.0,
        "queue_length_after": f.queue_length.1,
        "by_class": f.by_class.iter().take(top).map(|r| {
            let mut v = pairs(&r.before, &r.after);
            v["class"] = json!(r.name);
            v
        }).collect::<Vec<_>>(),
    })
}

pub fn owner_json(o: &OwnerDelta) -> Value {
    json!({
        "path": o.path,
        "growth_bytes": o.growth,
        "retained_before": o.before.retained,
        "retained_after": o.after.retained,
        "retained_delta": o.retained_delta(),
        "objects_before": o.before.retained_objects,
        "objects_after": o.after.retained_objects,
        "objects_delta": o.objects_delta(),
        "containers_before": o.before.entries,
        "containers_after": o.after.entries,
        "new_objects": o.new_objects(),
        "classes": o.classes.iter().map(|(name, objects, shallow)| json!({
            "name": name, "objects_delta": objects, "shallow_delta": shallow,
        })).collect::<Vec<_>>(),
        "object_before": o.example_before.map(|(_, id)| hex_id(id)),
        "object_after": o.example_after.map(|(_, id)| hex_id(id)),
    })
}

/// `{"baseline", "current", "warnings", "classes": [...], "finalizers",
/// "owners": [...]}`; `classes` are those given (filtered, sorted, cut),
/// the totals cover every class.
pub fn json(diff: &Diff, classes: &[&ClassDelta], top: usize) -> Value {
    json!({
        "baseline": facts_json(&diff.before),
        "current": facts_json(&diff.after),
        "warnings": diff.warnings,
        "classes": classes.iter().map(|c| class_json(c)).collect::<Vec<_>>(),
        "total_classes": diff.classes.len(),
        "new_classes": diff.classes_with(Presence::New),
        "gone_classes": diff.classes_with(Presence::Gone),
        "finalizers": diff.finalizers.as_ref().map(|f| finalizers_json(f, top)),
        "owners": diff.owners.as_ref().map(|o| o.iter().take(top).map(owner_json).collect::<Vec<_>>()),
    })
}

/// A path for people: `class Registry > java.util.ArrayList > java.lang.Object[]`.
pub fn path_text(path: &[String]) -> String {
    if path.is_empty() {
        ROOTS.to_string()
    } else {
        path.join(" > ")
    }
}

/// The change from `before` to `after` in percent, or "new".
pub fn percent(before: u64, after: u64) -> String {
    if before == 0 {
        return "new".into();
    }
    format!(
        "{:+.1}%",
        100.0 * (after as f64 - before as f64) / before as f64
    )
}

/// The comparison for people: the two dumps, warnings, the classes given,
/// the finalizers and the first `top` owners.
pub fn text(diff: &Diff, classes: &[&ClassDelta], top: usize) -> String {
    let (b, a) = (&diff.before, &diff.after);
    let mut out = String::new();
    for (label, f) in [("baseline", b), ("current ", a)] {
        out.push_str(&format!(
            "{label}  {}: {} objects, {} in {} classes\n",
            f.file,
            thousands(f.objects),
            bytes(f.shallow),
            thousands(f.classes)
        ));
    }
    let seconds = (a.timestamp_ms as f64 - b.timestamp_ms as f64) / 1000.0;
    out.push_str(&format!(
        "change    {} objects ({}), {} ({}); {} classes new, {} gone; written {:.1} s apart\n",
        signed(delta(b.objects, a.objects)),
        percent(b.objects, a.objects),
        signed_bytes(delta(b.shallow, a.shallow)),
        percent(b.shallow, a.shallow),
        diff.classes_with(Presence::New),
        diff.classes_with(Presence::Gone),
        seconds
    ));
    for w in &diff.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push('\n');
    let with_retained = classes.iter().any(|c| c.retained().is_some());
    let body: Vec<Vec<String>> = classes
        .iter()
        .map(|c| {
            let (ib, ia) = c.instances();
            let (sb, sa) = c.shallow();
            let mut row = vec![
                thousands(ib),
                thousands(ia),
                signed(c.instances_delta()),
                bytes(sb),
                bytes(sa),
                signed_bytes(c.shallow_delta()),
                match c.presence() {
                    Presence::Both => percent(sb, sa),
                    p => p.label().to_string(),
                },
            ];
            if with_retained {
                row.push(c.retained_delta().map(signed_bytes).unwrap_or_default());
            }
            row.push(c.name.clone());
            row
        })
        .collect();
    let mut header = vec![
        "instances",
        "after",
        "delta",
        "shallow",
        "after",
        "delta",
        "change",
    ];
    let mut numeric = vec![true; header.len()];
    if with_retained {
        header.push("retained delta");
        numeric.push(true);
    }
    header.push("class");
    numeric.push(false);
    out.push_str(&format!(
        "Classes that changed, growth first ({} of {} classes):\n",
        classes.len(),
        diff.classes.len()
    ));
    out.push_str(&super::table(&header, &numeric, &body));
    if let Some(owners) = &diff.owners {
        out.push_str(&format!(
            "\nOwners of the growth, by dominator path ({} of {}):\n",
            owners.len().min(top),
            owners.len()
        ));
        for (i, o) in owners.iter().take(top).enumerate() {
            out.push_str(&format!(
                "{:>3}. {} held: retained {} -> {} ({}), {} objects; {} container{} {}\n     {}\n",
                i + 1,
                signed_bytes(o.growth),
                bytes(o.before.retained),
                bytes(o.after.retained),
                signed_bytes(o.retained_delta()),
                signed(o.objects_delta()),
                thousands(o.after.entries),
                if o.after.entries == 1 { "" } else { "s" },
                o.example_after
                    .map(|(_, id)| format!("(biggest {})", hex_id(id)))
                    .unwrap_or_default(),
                path_text(&o.path),
            ));
            let parts: Vec<String> = o
                .classes
                .iter()
                .take(4)
                .map(|(name, objects, shallow)| {
                    format!("{} {name} ({})", signed(*objects), signed_bytes(*shallow))
                })
                .collect();
            if !parts.is_empty() {
                out.push_str(&format!("     growth: {}\n", parts.join(", ")));
            }
        }
    }
    if let Some(f) = &diff.finalizers {
        out.push_str("\nFinalizers:\n");
        let row = |label: &str, c: &FinalizerCounts, q: Option<i64>| {
            vec![
                label.to_string(),
                thousands(c.finalizers),
                thousands(c.registered),
                thousands(c.pending),
                thousands(c.in_processing),
                q.map(|n| n.to_string()).unwrap_or_else(|| "?".into()),
            ]
        };
        let d = |x: fn(&FinalizerCounts) -> u64| signed(delta(x(&f.before), x(&f.after)));
        let rows = vec![
            row("baseline", &f.before, f.queue_length.0),
            row("current", &f.after, f.queue_length.1),
            vec![
                "delta".to_string(),
                d(|c| c.finalizers),
                d(|c| c.registered),
                d(|c| c.pending),
                d(|c| c.in_processing),
                match f.queue_length {
                    (Some(x), Some(y)) => signed(y - x),
                    _ => String::new(),
                },
            ],
        ];
        out.push_str(&super::table(
            &[
                "",
                "finalizers",
                "registered",
                "pending",
                "in processing",
                "queueLength",
            ],
            &[false, true, true, true, true, true],
            &rows,
        ));
        let body: Vec<Vec<String>> = f
            .by_class
            .iter()
            .take(top)
            .map(|r| {
                let pair = |x: u64, y: u64| format!("{} -> {}", thousands(x), thousands(y));
                vec![
                    pair(r.before.registered, r.after.registered),
                    signed(delta(r.before.registered, r.after.registered)),
                    pair(r.before.pending, r.after.pending),
                    signed(delta(r.before.pending, r.after.pending)),
                    pair(r.before.in_processing, r.after.in_processing),
                    r.name.clone(),
                ]
            })
            .collect();
        if !body.is_empty() {
            out.push('\n');
            out.push_str(&super::table(
                &[
                    "registered",
                    "delta",
                    "pending",
                    "delta",
                    "in processing",
                    "referent class",
                ],
                &[true, true, true, true, true, false],
                &body,
            ));
        }
    }
    out
}

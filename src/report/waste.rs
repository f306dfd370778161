use serde_json::{Value, json};

use super::{object_json, object_label, table};
use crate::analysis::waste::{FILL_BUCKETS, Holder, OwnerRow, WasteReport};
use crate::heap::Heap;
use crate::units::{bytes, thousands};

fn owners_json(heap: &Heap, rows: &[OwnerRow], top: usize) -> Value {
    json!(
        rows.iter()
            .take(top)
            .map(|r| json!({
                "owner": r.owner.label(heap),
                "owner_class": r.owner.class.map(|c| heap.class(c).name.clone()),
                "field": r.owner.field,
                "static": r.owner.is_static,
                "owner_example": r.owner_example.map(|o| object_json(heap, o)),
                "class": heap.class(r.class).name,
                "count": r.count,
                "wasted_bytes": r.wasted,
                "example": object_json(heap, r.example),
            }))
            .collect::<Vec<_>>()
    )
}

fn holder_label(heap: &Heap, h: &Holder) -> String {
    let class = &heap.class(h.class).name;
    match (&h.field, h.is_static) {
        (Some(f), _) => format!("{class}.{f}"),
        (None, true) => format!("class {class}"),
        (None, false) if class.ends_with("[]") => format!("{class} (elements)"),
        (None, false) => format!("{class} (other reference)"),
    }
}

/// `{"wasted_bytes", "strings", "collections", "zero_arrays", "boxed"}`,
/// each section with its totals and its first `top` rows per list.
pub fn json(heap: &Heap, r: &WasteReport, top: usize) -> Value {
    let s = &r.strings;
    let c = &r.collections;
    let z = &r.zero_arrays;
    let b = &r.boxed;
    json!({
        "wasted_bytes": r.wasted,
        "strings": {
            "strings": s.strings,
            "duplicates": s.duplicates,
            "duplicated_values": s.values.len(),
            "wasted_bytes": s.wasted,
            "values": s.values.iter().take(top).map(|v| json!({
                "preview": v.preview,
                "length": v.length,
                "count": v.count,
                "arrays": v.arrays,
                "shallow_bytes": v.shallow,
                "wasted_bytes": v.wasted,
                "example": object_json(heap, v.objects[0]),
                "holders": v.holders.as_ref().map(|hs| hs.iter().take(top).map(|h| json!({
                    "holder": holder_label(heap, h),
                    "class": heap.class(h.class).name,
                    "field": h.field,
                    "static": h.is_static,
                    "count": h.count,
                    "example": object_json(heap, h.example),
                })).collect::<Vec<_>>()),
            })).collect::<Vec<_>>(),
            "by_owner": owners_json(heap, &s.by_owner, top),
        },
        "collections": {
            "collections": c.collections,
            "empty": c.empty,
            "skipped": c.skipped,
            "wasted_bytes": c.wasted,
            "classes": c.classes.iter().take(top).map(|k| json!({
                "class": heap.class(k.class).name,
                "kind": format!("{:?}", k.kind),
                "count": k.count,
                "empty": k.empty,
                "fill": FILL_BUCKETS.iter().zip(k.fill).map(|(l, n)| json!({"fill": l, "count": n})).collect::<Vec<_>>(),
                "size": k.size,
                "capacity": k.capacity,
                "wasted_bytes": k.wasted,
                "example": object_json(heap, k.example),
                "shapes": k.shapes.iter().take(top).map(|s| json!({
                    "capacity": s.capacity,
                    "size": s.size,
                    "count": s.count,
                    "wasted_bytes": s.wasted,
                    "example": object_json(heap, s.example),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "by_owner": owners_json(heap, &c.by_owner, top),
        },
        "zero_arrays": {
            "arrays": z.arrays,
            "wasted_bytes": z.wasted,
            "classes": z.classes.iter().take(top).map(|k| json!({
                "class": heap.class(k.class).name,
                "count": k.count,
                "wasted_bytes": k.wasted,
                "example": object_json(heap, k.example),
                "lengths": k.lengths.iter().take(top).map(|l| json!({
                    "length": l.length,
                    "count": l.count,
                    "wasted_bytes": l.wasted,
                    "example": object_json(heap, l.example),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "by_owner": owners_json(heap, &z.by_owner, top),
        },
        "boxed": {
            "objects": b.objects,
            "wasted_bytes": b.wasted,
            "classes": b.classes.iter().take(top).map(|k| json!({
                "class": heap.class(k.class).name,
                "count": k.count,
                "shallow_bytes": k.shallow,
                "distinct": k.distinct,
                "wasted_bytes": k.wasted,
                "values": k.values.iter().take(top).map(|v| json!({
                    "value": v.value,
                    "count": v.count,
                    "example": object_json(heap, v.example),
                })).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
            "by_owner": owners_json(heap, &b.by_owner, top),
        },
    })
}

fn owners_text(heap: &Heap, rows: &[OwnerRow], top: usize) -> String {
    if rows.is_empty() {
        return String::new();
    }
    let body: Vec<Vec<String>> = rows
        .iter()
        .take(top)
        .map(|r| {
            vec![
                bytes(r.wasted),
                thousands(r.count),
                heap.class(r.class).name.clone(),
                r.owner.label(heap),
            ]
        })
        .collect();
    let mut out = String::from("by owner:\n");
    out.push_str(&table(
        &["wasted", "objects", "class", "owner"],
        &[true, true, false, false],
        &body,
    ));
    out.push_str(&more(rows.len(), top));
    out
}

fn more(len: usize, top: usize) -> String {
    if len > top {
        format!("({} more)\n", thousands((len - top) as u64))
    } else {
        String::new()
    }
}

/// The four sections as tables, the first `top` rows of each list.
pub fn text(heap: &Heap, r: &WasteReport, top: usize) -> String {
    let mut out = format!(
        "{} could be saved: duplicate strings {}, collections {}, all-zero arrays {}, boxed duplicates {}\n",
        bytes(r.wasted),
        bytes(r.strings.wasted),
        bytes(r.collections.wasted),
        bytes(r.zero_arrays.wasted),
        bytes(r.boxed.wasted),
    );

    let s = &r.strings;
    out.push_str(&format!(
        "\n== Duplicate strings: {} of {} strings hold {} values held more than once; {} wasted\n",
        thousands(s.duplicates),
        thousands(s.strings),
        thousands(s.values.len() as u64),
        bytes(s.wasted),
    ));
    if !s.values.is_empty() {
        let body: Vec<Vec<String>> = s
            .values
            .iter()
            .take(top)
            .map(|v| {
                vec![
                    bytes(v.wasted),
                    thousands(v.count),
                    thousands(v.length),
                    format!("\"{}\"", v.preview),
                ]
            })
            .collect();
        out.push_str(&table(
            &["wasted", "copies", "length", "value"],
            &[true, true, true, false],
            &body,
        ));
        out.push_str(&more(s.values.len(), top));
        for v in s.values.iter().take(top.min(5)) {
            let Some(holders) = &v.holders else { continue };
            out.push_str(&format!(
                "held: \"{}\" ({} copies, e.g. {})\n",
                crate::analysis::waste::one_line(&v.preview, 40),
                thousands(v.count),
                object_label(heap, v.objects[0])
            ));
            for h in holders.iter().take(5) {
                out.push_str(&format!(
                    "    {:>10}  {}\n",
                    thousands(h.count),
                    holder_label(heap, h)
                ));
            }
        }
    }
    out.push_str(&owners_text(heap, &s.by_owner, top));

    let c = &r.collections;
    out.push_str(&format!(
        "\n== Collections: {} read, {} empty, {} wasted in unused slots{}\n",
        thousands(c.collections),
        thousands(c.empty),
        bytes(c.wasted),
        if c.skipped > 0 {
            format!(" ({} skipped: fields unreadable)", thousands(c.skipped))
        } else {
            String::new()
        }
    ));
    if !c.classes.is_empty() {
        let body: Vec<Vec<String>> = c
            .classes
            .iter()
            .take(top)
            .map(|k| {
                let mut row = vec![
                    bytes(k.wasted),
                    thousands(k.count),
                    thousands(k.empty),
                    format!("{:.0}%", 100.0 * k.size as f64 / k.capacity.max(1) as f64),
                ];
                row.extend(k.fill[1..].iter().map(|&n| thousands(n)));
                row.push(heap.class(k.class).name.clone());
                row
            })
            .collect();
        let mut header = vec!["wasted", "count", "empty", "fill"];
        header.extend(&FILL_BUCKETS[1..]);
        header.push("class");
        let mut numeric = vec![true; header.len()];
        *numeric.last_mut().expect("class") = false;
        out.push_str(&table(&header, &numeric, &body));
        out.push_str(&more(c.classes.len(), top));
    }
    out.push_str(&owners_text(heap, &c.by_owner, top));

    let z = &r.zero_arrays;
    out.push_str(&format!(
        "\n== All-zero primitive arrays: {}, {}\n",
        thousands(z.arrays),
        bytes(z.wasted)
    ));
    if !z.classes.is_empty() {
        let body: Vec<Vec<String>> = z
            .classes
            .iter()
            .take(top)
            .map(|k| {
                let l = &k.lengths[0];
                vec![
                    bytes(k.wasted),
                    thousands(k.count),
                    heap.class(k.class).name.clone(),
                    format!("{} of length {}", thousands(l.count), thousands(l.length)),
                ]
            })
            .collect();
        out.push_str(&table(
            &["bytes", "arrays", "class", "most bytes at"],
            &[true, true, false, false],
            &body,
        ));
        out.push_str(&more(z.classes.len(), top));
    }
    out.push_str(&owners_text(heap, &z.by_owner, top));

    let b = &r.boxed;
    out.push_str(&format!(
        "\n== Boxed primitives: {}, {} in duplicate values\n",
        thousands(b.objects),
        bytes(b.wasted)
    ));
    if !b.classes.is_empty() {
        let body: Vec<Vec<String>> = b
            .classes
            .iter()
            .take(top)
            .map(|k| {
                vec![
                    bytes(k.wasted),
                    thousands(k.count),
                    thousands(k.distinct),
                    bytes(k.shallow),
                    heap.class(k.class).name.clone(),
                    k.values
                        .iter()
                        .take(3)
                        .map(|v| format!("{} x{}", v.value, thousands(v.count)))
                        .collect::<Vec<_>>()
                        .join(", "),
                ]
            })
            .collect();
        out.push_str(&table(
            &[
                "wasted",
                "count",
                "distinct",
                "shallow",
                "class",
                "most repeated",
            ],
            &[true, true, true, true, false, false],
            &body,
        ));
    }
    out.push_str(&owners_text(heap, &b.by_owner, top));
    out
}

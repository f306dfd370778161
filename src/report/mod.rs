//! Headless output of the model and analyses, as text for people and JSON
//! for machines.

pub mod diff;
pub mod document;
pub mod dominators;
pub mod finalizers;
pub mod histogram;
pub mod paths;
pub mod summary;
pub mod suspects;
pub mod threads;
pub mod waste;

use crate::heap::Heap;
use crate::units::hex_id;

/// An object for people: `java.util.TaskQueue 0xfc0581c8`, or for a class
/// object `class java.util.TaskQueue 0xfc0581c8`.
pub fn object_label(heap: &Heap, o: u32) -> String {
    match heap.as_class(o) {
        Some(c) => format!("class {} {}", heap.class(c).name, hex_id(heap.id(o))),
        None => format!(
            "{} {}",
            heap.class(heap.class_of(o)).name,
            hex_id(heap.id(o))
        ),
    }
}

/// JSON of an object: id and class, and for a class object which class.
pub(crate) fn object_json(heap: &Heap, o: u32) -> serde_json::Value {
    let mut v =
        serde_json::json!({"id": hex_id(heap.id(o)), "class": heap.class(heap.class_of(o)).name});
    if let Some(c) = heap.as_class(o) {
        v["class_object_of"] = serde_json::json!(heap.class(c).name);
    }
    v
}

/// `value` (a JSON object) with the dump's warnings added as a top-level
/// `"warnings"` array, as every JSON report carries them.
pub fn with_warnings(mut value: serde_json::Value, warnings: &[String]) -> serde_json::Value {
    if let Some(map) = value.as_object_mut() {
        map.insert("warnings".to_string(), serde_json::json!(warnings));
    }
    value
}

/// The dump's warnings as `warning: ...` lines, for stderr.
pub fn warnings_text(warnings: &[String]) -> String {
    warnings.iter().map(|w| format!("warning: {w}\n")).collect()
}

/// A left-aligned text table with right-aligned number columns.
pub(crate) fn table(header: &[&str], numeric: &[bool], rows: &[Vec<String>]) -> String {
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for row in rows {
        for (w, cell) in widths.iter_mut().zip(row) {
            *w = (*w).max(cell.chars().count());
        }
    }
    let line = |cells: &mut dyn Iterator<Item = &str>| {
        let mut s = String::new();
        for (i, cell) in cells.enumerate() {
            let pad = widths[i] - cell.chars().count();
            if i > 0 {
                s.push_str("  ");
            }
            if numeric[i] {
                s.push_str(&" ".repeat(pad));
                s.push_str(cell);
            } else {
                s.push_str(cell);
                if i + 1 < widths.len() {
                    s.push_str(&" ".repeat(pad));
                }
            }
        }
        s.push('\n');
        s
    };
    let mut out = line(&mut header.iter().copied());
    for row in rows {
        out.push_str(&line(&mut row.iter().map(String::as_str)));
    }
    out
}

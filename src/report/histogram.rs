use serde_json::{Value, json};

use crate::analysis::histogram::Row;
use crate::units::{bytes, hex_id, thousands};

/// `{"classes": [{"name", "class_id", "instances", "shallow_bytes"}], ...}`.
/// `rows` are what is shown; the totals cover `all`.
pub fn json(rows: &[Row], all: &[Row]) -> Value {
    json!({
        "classes": rows.iter().map(|r| json!({
            "name": r.name,
            "class_id": hex_id(r.class_id),
            "instances": r.instances,
            "shallow_bytes": r.shallow,
        })).collect::<Vec<_>>(),
        "total_classes": all.len(),
        "total_instances": all.iter().map(|r| r.instances).sum::<u64>(),
        "total_shallow_bytes": all.iter().map(|r| r.shallow).sum::<u64>(),
    })
}

/// A table like `jcmd GC.class_histogram`, with a share-of-heap column.
pub fn text(rows: &[Row], all: &[Row]) -> String {
    let total: u64 = all.iter().map(|r| r.shallow).sum();
    let body: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            vec![
                format!("{}", i + 1),
                thousands(r.instances),
                thousands(r.shallow),
                bytes(r.shallow),
                format!("{:.1}%", 100.0 * r.shallow as f64 / total.max(1) as f64),
                r.name.clone(),
            ]
        })
        .collect();
    let mut out = super::table(
        &["#", "instances", "shallow bytes", "", "heap", "class"],
        &[true, true, true, true, true, false],
        &body,
    );
    let shown = rows.len();
    out.push_str(&format!(
        "{} classes, {} instances, {} ({} bytes){}\n",
        thousands(all.len() as u64),
        thousands(all.iter().map(|r| r.instances).sum()),
        bytes(total),
        thousands(total),
        if shown < all.len() {
            format!("; {} shown", thousands(shown as u64))
        } else {
            String::new()
        }
    ));
    out
}

use serde_json::{Value, json};

use crate::analysis::histogram::Row;
use crate::units::{bytes, hex_id, thousands};

/// `{"classes": [{"name", "class_id", "instances", "shallow_bytes"}], ...}`.
/// `rows` are what is shown; the totals cover `all`.
pub fn json(rows: &[Row], all: &[Row]) -> Value {
    json!({
        "classes": rows.iter().map(|r| {
            let mut row = json!({
                "name": r.name,
                "class_id": hex_id(r.class_id),
                "instances": r.instances,
                "shallow_bytes": r.shallow,
            });
            if let Some(retained) = r.retained {
                row["retained_bytes"] = json!(retained);
            }
            row
        }).collect::<Vec<_>>(),
        "total_classes": all.len(),
        "total_instances": all.iter().map(|r| r.instances).sum::<u64>(),
        "total_shallow_bytes": all.iter().map(|r| r.shallow).sum::<u64>(),
    })
}

/// A table like `jcmd GC.class_histogram`, with a share-of-heap column.
pub fn text(rows: &[Row], all: &[Row]) -> String {
    let total: u64 = all.iter().map(|r| r.shallow).sum();
    let with_retained = rows.iter().any(|r| r.retained.is_some());
    let body: Vec<Vec<String>> = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            let mut row = vec![
                format!("{}", i + 1),
                thousands(r.instances),
                thousands(r.shallow),
                bytes(r.shallow),
                format!("{:.1}%", 100.0 * r.shallow as f64 / total.max(1) as f64),
            ];
            if with_retained {
                row.push(r.retained.map(thousands).unwrap_or_default());
                row.push(r.retained.map(bytes).unwrap_or_default());
            }
            row.push(r.name.clone());
            row
        })
        .collect();
    let mut header = vec!["#", "instances", "shallow bytes", "", "heap"];
    let mut numeric = vec![true; 5];
    if with_retained {
        header.extend(["retained bytes", ""]);
        numeric.extend([true, true]);
    }
    header.push("class");
    numeric.push(false);
    let mut out = super::table(&header, &numeric, &body);
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

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::heap::{Heap, LayoutSource};
use crate::hprof::Compression;
use crate::units::{bytes, thousands};

/// GC roots per kind label.
fn root_kinds(heap: &Heap) -> BTreeMap<&'static str, u64> {
    let mut kinds = BTreeMap::new();
    for r in heap.roots() {
        *kinds.entry(r.kind.label()).or_default() += 1;
    }
    kinds
}

/// The summary as JSON (see the README for the fields).
pub fn json(heap: &Heap) -> Value {
    let census = heap.census();
    let header = &census.records.header;
    let layout = &census.layout;
    let l = &layout.layout;
    let (source, gaps) = match &layout.source {
        LayoutSource::Override => ("override", None),
        LayoutSource::Assumed(_) => ("assumed", None),
        LayoutSource::Inferred { gaps, .. } => ("inferred", Some(*gaps)),
    };
    json!({
        "file": heap.dump().path().display().to_string(),
        "format": header.version.magic(),
        "id_size": header.id_size,
        "timestamp_ms": header.timestamp_ms,
        "compression": match heap.dump().compression() {
            Compression::None => Value::Null,
            Compression::Gzip { compressed_bytes, block_size } => json!({
                "kind": "gzip",
                "compressed_bytes": compressed_bytes,
                "block_size": block_size,
            }),
        },
        "dump_bytes": heap.dump().bytes().len(),
        "objects": heap.object_count(),
        "classes": census.classes.len(),
        "shallow_bytes": census.shallow_total(),
        "gc_roots": heap.roots().len(),
        "gc_root_kinds": root_kinds(heap),
        "references": heap.reference_count(),
        "dangling_references": heap.dangling().len(),
        "threads": heap.threads().len(),
        "layout": {
            "name": l.name(),
            "compressed_oops": l.compressed_oops,
            "compressed_class_pointers": l.compressed_class_pointers,
            "header_bytes": l.header,
            "reference_bytes": l.reference,
            "array_header_bytes": l.array_header,
            "alignment": l.align,
            "source": source,
            "gaps_checked": gaps,
            "confidence": layout.confidence(),
            "description": layout.describe(),
        },
        "truncated": census.records.truncated_at.is_some(),
        "model_bytes": heap.memory_bytes(),
        "warnings": heap.warnings(),
    })
}

/// The GC roots for people: `646 (25 java frame, 44 jni global)`, or
/// `none`.
pub fn gc_roots_text(heap: &Heap) -> String {
    if heap.roots().is_empty() {
        return "none".to_string();
    }
    let kinds: Vec<String> = root_kinds(heap)
        .iter()
        .map(|(k, n)| format!("{} {k}", thousands(*n)))
        .collect();
    format!(
        "{} ({})",
        thousands(heap.roots().len() as u64),
        kinds.join(", ")
    )
}

/// The summary for people.
pub fn text(heap: &Heap) -> String {
    let census = heap.census();
    let header = &census.records.header;
    let mut out = String::new();
    let mut line = |k: &str, v: String| out.push_str(&format!("{k:<20} {v}\n"));
    line("file", heap.dump().path().display().to_string());
    let compression = match heap.dump().compression() {
        Compression::None => String::new(),
        Compression::Gzip {
            compressed_bytes,
            block_size,
        } => format!(
            ", gzip{} ({} compressed)",
            if block_size.is_some() { " by jcmd" } else { "" },
            bytes(*compressed_bytes)
        ),
    };
    line(
        "format",
        format!(
            "{}, {}-byte ids, {}{compression}",
            header.version.magic(),
            header.id_size,
            bytes(heap.dump().bytes().len() as u64)
        ),
    );
    line("layout", census.layout.describe());
    line("objects", thousands(heap.object_count() as u64));
    line("classes", thousands(census.classes.len() as u64));
    line(
        "shallow size",
        format!(
            "{} ({} bytes)",
            bytes(census.shallow_total()),
            thousands(census.shallow_total())
        ),
    );
    line(
        "references",
        format!(
            "{} ({} to ids with no record)",
            thousands(heap.reference_count()),
            thousands(heap.dangling().len() as u64)
        ),
    );
    line("gc roots", gc_roots_text(heap));
    line("threads", thousands(heap.threads().len() as u64));
    line("model memory", bytes(heap.memory_bytes()));
    if heap.warnings().is_empty() {
        line("warnings", "none".to_string());
    } else {
        out.push_str("warnings:\n");
        for w in heap.warnings() {
            out.push_str(&format!("  - {w}\n"));
        }
    }
    out
}

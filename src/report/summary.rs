use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::heap::shapes::FieldOrder;
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
        "jvm": {
            "version": census.jvm.version,
            "feature": census.jvm.feature,
            "vendor": census.jvm.vendor,
            "vm_name": census.jvm.vm_name,
            "os_arch": census.jvm.os_arch,
            "data_model": census.jvm.data_model,
            "source": census.jvm.source,
        },
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
            "field_order": match layout.rules.order {
                FieldOrder::Legacy => "jdk6-14",
                FieldOrder::Packed => "jdk15+",
            },
            "rules_feature": layout.rules.feature,
            "rules_from": layout.rules_from,
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
    line("jvm", census.jvm.describe());
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

// ---------------------------------------------------------------------------
// Several heap dumps in one file (issue 9).

/// The heap dumps of the file as JSON: `[{"index", "objects",
/// "shallow_bytes", "timestamp_ms"}, ...]`.
pub fn heap_dumps_json(figures: &[crate::heap::HeapDumpFigures]) -> Value {
    figures
        .iter()
        .map(|d| {
            json!({
                "index": d.index,
                "objects": d.objects,
                "shallow_bytes": d.shallow_bytes,
                "timestamp_ms": d.timestamp_ms,
            })
        })
        .collect()
}

/// The summary's JSON with `"heap_dump"` (the index shown) and
/// `"heap_dumps"` added.
pub fn json_with_heap_dumps(heap: &Heap, figures: &[crate::heap::HeapDumpFigures]) -> Value {
    let mut v = json(heap);
    v["heap_dump"] = json!(heap.census().records.heap_dump);
    v["heap_dumps"] = heap_dumps_json(figures);
    v
}

/// The heap dumps of the file for people, one line each, the one shown
/// marked; nothing for a file of one heap dump:
///
/// ```text
/// heap dumps           2; showing #1
///   #0                 2026-11-24 21:03:55 UTC, 3 objects, 64 B
/// ```
pub fn heap_dumps_text(heap: &Heap, figures: &[crate::heap::HeapDumpFigures]) -> String {
    if figures.len() < 2 {
        return String::new();
    }
    let shown = heap.census().records.heap_dump;
    let mut out = format!(
        "{:<20} {}{}\n",
        "heap dumps",
        figures.len(),
        shown.map(|k| format!("; showing #{k}")).unwrap_or_default()
    );
    for d in figures {
        let mark = if Some(d.index) == shown {
            " (shown)"
        } else {
            ""
        };
        out.push_str(&format!(
            "  {:<18} {}, {} objects, {} ({} bytes){mark}\n",
            format!("#{}", d.index),
            crate::units::utc_time(d.timestamp_ms),
            thousands(d.objects),
            bytes(d.shallow_bytes),
            thousands(d.shallow_bytes),
        ));
    }
    out
}

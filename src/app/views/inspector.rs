//! The object inspector: the selection's fields with values, array
//! elements, outgoing and incoming references as trees that expand on
//! demand, and its paths to GC roots.

use egui::RichText;

use crate::analysis::dominators::Idom;
use crate::analysis::paths::describe_reference;
use crate::app::widgets::{object_link, object_text, show_more, size_label};
use crate::app::{Command, Document};
use crate::heap::{Heap, strings};
use crate::hprof::{BasicType, Value};
use crate::units::{hex_id, thousands};

const PAGE: usize = 100;

/// A value for people: strings as text, references as links.
fn value_ui(ui: &mut egui::Ui, heap: &Heap, value: Value, out: &mut Vec<Command>) {
    match value {
        Value::Object(0) => {
            ui.label(RichText::new("null").weak());
        }
        Value::Object(id) => match heap.find(id) {
            Some(o) => {
                object_link(ui, heap, o, out);
                if let Some(text) = heap.string(o) {
                    let shown: String = text.chars().take(80).collect();
                    let more = if text.chars().count() > 80 { "..." } else { "" };
                    ui.label(RichText::new(format!("\"{shown}{more}\"")).italics())
                        .on_hover_text(text.clone())
                        .context_menu(|ui| {
                            if ui.button("Copy text").clicked() {
                                ui.ctx().copy_text(text.clone());
                                ui.close();
                            }
                        });
                }
            }
            None => {
                ui.label(format!("{} (no record in the dump)", hex_id(id)));
            }
        },
        v => {
            let text = v.to_string();
            ui.label(RichText::new(&text).monospace())
                .context_menu(|ui| {
                    if ui.button("Copy value").clicked() {
                        ui.ctx().copy_text(text.clone());
                        ui.close();
                    }
                });
        }
    }
}

/// A tree of references from (outgoing) or to (incoming) `o`, lazily.
fn refs_tree(
    ui: &mut egui::Ui,
    doc: &mut Document,
    heap: &Heap,
    o: u32,
    outgoing: bool,
    depth: usize,
    out: &mut Vec<Command>,
) {
    let list = if outgoing {
        heap.outgoing(o)
    } else {
        heap.incoming(o)
    };
    if list.is_empty() {
        ui.label(
            RichText::new(if outgoing {
                "no references"
            } else {
                "nothing refers to it"
            })
            .weak(),
        );
        return;
    }
    let key = (outgoing, o);
    let shown = doc
        .ui
        .inspector_open
        .get(&key)
        .copied()
        .unwrap_or(PAGE)
        .min(list.len());
    for &k in &list[..shown] {
        let how = if outgoing {
            describe_reference(heap, o, k)
        } else {
            describe_reference(heap, k, o)
        };
        let id = ui.make_persistent_id((outgoing, o, k, depth));
        egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
            .show_header(ui, |ui| {
                let arrow = if outgoing {
                    format!("{how} ->")
                } else {
                    format!("<- {how} of")
                };
                ui.label(RichText::new(arrow).weak());
                object_link(ui, heap, k, out);
                if let Some(d) = &doc.doms {
                    size_label(ui, d.retained(k)).on_hover_text("retained size");
                }
            })
            .body(|ui| refs_tree(ui, doc, heap, k, outgoing, depth + 1, out));
    }
    let next = show_more(ui, shown, list.len(), PAGE);
    if next != shown {
        doc.ui.inspector_open.insert(key, next);
    }
}

pub fn ui(ui: &mut egui::Ui, doc: &mut Document, out: &mut Vec<Command>) {
    let Some(heap) = doc.heap.clone() else {
        super::waiting(ui, "Reading the dump");
        return;
    };
    let Some(o) = doc.selection else {
        ui.add_space(16.0);
        ui.label("Select an object anywhere (a link in any view) to inspect it here, or type its id above.");
        if let Some(children) = &doc.children {
            if let Some(&big) = children.roots().first() {
                if ui.button("Inspect the biggest object").clicked() {
                    out.push(Command::Select(big));
                }
            }
        }
        return;
    };
    egui::ScrollArea::vertical()
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.heading(object_text(&heap, o));
            egui::Grid::new("inspector_header")
                .num_columns(2)
                .spacing([24.0, 4.0])
                .show(ui, |ui| {
                    ui.label("Class");
                    ui.label(&heap.class(heap.class_of(o)).name);
                    ui.end_row();
                    ui.label("Shallow size");
                    size_label(ui, heap.shallow_size(o));
                    ui.end_row();
                    if let Some(d) = &doc.doms {
                        ui.label("Retained size");
                        size_label(ui, d.retained(o));
                        ui.end_row();
                        ui.label("Dominated by");
                        match d.idom(o) {
                            Idom::Object(x) => {
                                object_link(ui, &heap, x, out);
                            }
                            Idom::Root => {
                                ui.label("the GC roots (no single object)");
                            }
                            Idom::Unreachable => {
                                ui.label("nothing: no GC root reaches it");
                            }
                        };
                        ui.end_row();
                    }
                    let roots: Vec<String> =
                        heap.roots_of(o).map(|r| heap.describe_root(r)).collect();
                    if !roots.is_empty() {
                        ui.label("GC root");
                        ui.label(roots.join("; "));
                        ui.end_row();
                    }
                });
            ui.add_space(8.0);
            if let Some(c) = heap.as_class(o) {
                let class = heap.class(c);
                egui::CollapsingHeader::new(
                    RichText::new(format!("Static fields ({})", class.statics.len())).strong(),
                )
                .default_open(true)
                .show(ui, |ui| {
                    egui::Grid::new("statics")
                        .num_columns(3)
                        .striped(true)
                        .show(ui, |ui| {
                            for s in &class.statics {
                                ui.label(&s.name);
                                ui.label(RichText::new(s.ty.java_name()).weak());
                                value_ui(ui, &heap, s.value, out);
                                ui.end_row();
                            }
                        });
                });
            }
            let fields = heap.fields(o);
            if !fields.is_empty() {
                egui::CollapsingHeader::new(
                    RichText::new(format!("Fields ({})", fields.len())).strong(),
                )
                .default_open(true)
                .show(ui, |ui| {
                    egui::Grid::new("fields")
                        .num_columns(3)
                        .striped(true)
                        .show(ui, |ui| {
                            for f in &fields {
                                ui.label(f.name).on_hover_text(format!(
                                    "declared by {}",
                                    heap.class(f.declared_by).name
                                ));
                                ui.label(RichText::new(f.ty.java_name()).weak());
                                value_ui(ui, &heap, f.value, out);
                                ui.end_row();
                            }
                        });
                });
            }
            if let Some(array) = heap.array(o) {
                let title = format!(
                    "Elements ({} {})",
                    thousands(array.len as u64),
                    array.elem.java_name()
                );
                egui::CollapsingHeader::new(RichText::new(title).strong())
                    .default_open(true)
                    .show(ui, |ui| {
                        if array.bytes().is_none() {
                            ui.label("the dump has no contents for this array");
                            return;
                        }
                        let text = match (array.elem, array.bytes()) {
                            (BasicType::Char, Some(b)) => {
                                Some(strings::decode_utf16(&b[..b.len().min(400)], true))
                            }
                            (BasicType::Byte, Some(b))
                                if b.iter()
                                    .take(200)
                                    .all(|c| c.is_ascii_graphic() || *c == b' ') =>
                            {
                                Some(strings::decode_latin1(&b[..b.len().min(200)]))
                            }
                            _ => None,
                        };
                        if let Some(text) = text {
                            ui.label(RichText::new(format!("as text: \"{text}\"")).italics());
                        }
                        let shown = doc.ui.array_shown.max(PAGE).min(array.len as usize);
                        egui::Grid::new("elements")
                            .num_columns(2)
                            .striped(true)
                            .show(ui, |ui| {
                                for k in 0..shown as u32 {
                                    ui.label(RichText::new(format!("[{k}]")).weak());
                                    if let Some(v) = array.get(k) {
                                        value_ui(ui, &heap, v, out);
                                    }
                                    ui.end_row();
                                }
                            });
                        doc.ui.array_shown = show_more(ui, shown, array.len as usize, PAGE);
                    });
            }
            egui::CollapsingHeader::new(
                RichText::new(format!(
                    "Outgoing references ({})",
                    thousands(heap.outgoing(o).len() as u64)
                ))
                .strong(),
            )
            .id_salt(("outgoing", o))
            .show(ui, |ui| refs_tree(ui, doc, &heap, o, true, 0, out));
            egui::CollapsingHeader::new(
                RichText::new(format!(
                    "Incoming references ({})",
                    thousands(heap.incoming(o).len() as u64)
                ))
                .strong(),
            )
            .id_salt(("incoming", o))
            .default_open(true)
            .show(ui, |ui| refs_tree(ui, doc, &heap, o, false, 0, out));
            egui::CollapsingHeader::new(RichText::new("Paths to GC roots").strong())
                .id_salt(("paths", o))
                .default_open(true)
                .show(ui, |ui| match &doc.why_alive {
                    Some((x, _, search)) if *x == o => {
                        super::why_alive::paths_ui(ui, &heap, search, out)
                    }
                    _ => super::waiting(ui, "Searching"),
                });
        });
}

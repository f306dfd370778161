//! The object inspector: the selection's fields with values, array
//! elements, outgoing and incoming references as trees that expand on
//! demand, and its paths to GC roots.

use egui::RichText;

use std::collections::HashMap;

use super::ViewContext;
use crate::analysis::dominators::Idom;
use crate::analysis::paths::describe_reference;
use crate::app::actions;
use crate::app::command::{Command, DumpId};
use crate::app::widgets::{object_link, object_text, show_more, size_label};
use crate::heap::{Heap, ObjectIx, strings};
use crate::hprof::{BasicType, Value};
use crate::units::{hex_id, thousands};

const PAGE: usize = 100;

/// A value for people: strings as text, references as links.
fn value_ui(ui: &mut egui::Ui, heap: &Heap, dump: DumpId, value: Value, out: &mut Vec<Command>) {
    match value {
        Value::Object(0) => {
            ui.label(RichText::new("null").weak());
        }
        Value::Object(id) => match heap.find(id) {
            Some(o) => {
                object_link(ui, heap, dump, ObjectIx(o), out);
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

/// The inspector's state: how many references each expanded list shows,
/// how many array elements.
#[derive(Default)]
pub struct InspectorView {
    shown: HashMap<(bool, ObjectIx), usize>,
    elements: Option<(ObjectIx, usize)>,
}

impl InspectorView {
    /// A tree of references from (outgoing) or to (incoming) `o`, lazily.
    fn refs_tree(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &ViewContext,
        heap: &Heap,
        o: ObjectIx,
        outgoing: bool,
        out: &mut Vec<Command>,
    ) {
        let list = if outgoing {
            heap.outgoing(o.0)
        } else {
            heap.incoming(o.0)
        };
        if list.is_empty() {
            let text = if outgoing {
                "no references"
            } else {
                "nothing refers to it"
            };
            ui.label(RichText::new(text).weak());
            return;
        }
        let key = (outgoing, o);
        let shown = self
            .shown
            .get(&key)
            .copied()
            .unwrap_or(PAGE)
            .min(list.len());
        for &k in &list[..shown] {
            let how = if outgoing {
                describe_reference(heap, o.0, k)
            } else {
                describe_reference(heap, k, o.0)
            };
            // Unique per branch: the id of a nested body differs from its parent's.
            let id = ui.make_persistent_id((outgoing, o, k));
            egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
                .show_header(ui, |ui| {
                    let arrow = if outgoing {
                        format!("{how} ->")
                    } else {
                        format!("<- {how} of")
                    };
                    ui.label(RichText::new(arrow).weak());
                    object_link(ui, heap, ctx.dump(), ObjectIx(k), out);
                    if let Some(t) = ctx.tree() {
                        size_label(ui, t.doms.retained(k)).on_hover_text(super::retained_note(ctx));
                    }
                })
                .body(|ui| self.refs_tree(ui, ctx, heap, ObjectIx(k), outgoing, out));
        }
        let next = show_more(ui, shown, list.len(), PAGE);
        if next != shown {
            self.shown.insert(key, next);
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let Some(heap) = ctx.heap().cloned() else {
            super::waiting(ui, "Reading the dump");
            return;
        };
        let dump = ctx.dump();
        let Some(o) = ctx.doc.selection() else {
            ui.add_space(16.0);
            ui.label("Select an object anywhere (a link in any view) to inspect it here, or type its id above.");
            if let Some(&big) = ctx.tree().and_then(|t| t.children.roots().first()) {
                if ui.button("Inspect the biggest object").clicked() {
                    out.push(Command::Select(dump, ObjectIx(big)));
                }
            }
            return;
        };
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                ui.horizontal(|ui| {
                    ui.menu_button("Actions", |ui| {
                        actions::object_menu(ui, &heap, dump, o, out)
                    });
                    ui.add(
                        egui::Label::new(RichText::new(object_text(&heap, o.0)).heading())
                            .truncate(),
                    );
                });
                egui::Grid::new("inspector_header")
                    .num_columns(2)
                    .spacing([24.0, 4.0])
                    .show(ui, |ui| {
                        ui.label("Class");
                        ui.label(&heap.class(heap.class_of(o.0)).name);
                        ui.end_row();
                        ui.label("Shallow size");
                        size_label(ui, heap.shallow_size(o.0));
                        ui.end_row();
                        if let Some(t) = ctx.tree() {
                            ui.label("Retained size");
                            size_label(ui, t.doms.retained(o.0))
                                .on_hover_text(super::retained_note(ctx));
                            ui.end_row();
                            ui.label("Dominated by");
                            match t.doms.idom(o.0) {
                                Idom::Object(x) => {
                                    object_link(ui, &heap, dump, ObjectIx(x), out);
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
                            heap.roots_of(o.0).map(|r| heap.describe_root(r)).collect();
                        if !roots.is_empty() {
                            ui.label("GC root");
                            ui.label(roots.join("; "));
                            ui.end_row();
                        }
                    });
                ui.add_space(8.0);
                if let Some(c) = heap.as_class(o.0) {
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
                                    value_ui(ui, &heap, dump, s.value, out);
                                    ui.end_row();
                                }
                            });
                    });
                }
                let fields = heap.fields(o.0);
                if !fields.is_empty() {
                    // A name declared by a class and again by a subclass shows
                    // its declaring class.
                    let mut count: HashMap<&str, usize> = HashMap::new();
                    for f in &fields {
                        *count.entry(f.name).or_default() += 1;
                    }
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
                                    let declarer = &heap.class(f.declared_by).name;
                                    let name = if count[f.name] > 1 {
                                        let simple =
                                            declarer.rsplit('.').next().unwrap_or(declarer);
                                        format!("{simple}.{}", f.name)
                                    } else {
                                        f.name.to_string()
                                    };
                                    ui.label(name)
                                        .on_hover_text(format!("declared by {declarer}"));
                                    ui.label(RichText::new(f.ty.java_name()).weak());
                                    value_ui(ui, &heap, dump, f.value, out);
                                    ui.end_row();
                                }
                            });
                    });
                }
                if let Some(array) = heap.array(o.0) {
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
                            let shown = match self.elements {
                                Some((x, n)) if x == o => n,
                                _ => PAGE,
                            }
                            .min(array.len as usize);
                            egui::Grid::new("elements")
                                .num_columns(2)
                                .striped(true)
                                .show(ui, |ui| {
                                    for k in 0..shown as u32 {
                                        ui.label(RichText::new(format!("[{k}]")).weak());
                                        if let Some(v) = array.get(k) {
                                            value_ui(ui, &heap, dump, v, out);
                                        }
                                        ui.end_row();
                                    }
                                });
                            self.elements =
                                Some((o, show_more(ui, shown, array.len as usize, PAGE)));
                        });
                }
                egui::CollapsingHeader::new(
                    RichText::new(format!(
                        "Outgoing references ({})",
                        thousands(heap.outgoing(o.0).len() as u64)
                    ))
                    .strong(),
                )
                .id_salt(("outgoing", o))
                .show(ui, |ui| self.refs_tree(ui, ctx, &heap, o, true, out));
                egui::CollapsingHeader::new(
                    RichText::new(format!(
                        "Incoming references ({})",
                        thousands(heap.incoming(o.0).len() as u64)
                    ))
                    .strong(),
                )
                .id_salt(("incoming", o))
                .default_open(true)
                .show(ui, |ui| self.refs_tree(ui, ctx, &heap, o, false, out));
            });
    }
}

//! The actions on an object or a class, one context menu wherever either
//! appears (right-click) and in the Inspector: paths to GC roots with
//! MAT's exclusion presets, the retained set, immediate dominators, the
//! dominator tree, copying.

use egui::Ui;

use super::command::{Command, DumpId, Exclude, Query, Target, View};
use crate::heap::{ClassIx, Heap, ObjectIx};
use crate::units::hex_id;

/// The submenu of paths to GC roots, one entry per exclusion preset.
fn paths_menu(ui: &mut Ui, title: &str, dump: DumpId, target: Target, out: &mut Vec<Command>) {
    ui.menu_button(title, |ui| {
        for preset in Exclude::PRESETS {
            if ui.button(preset.label()).clicked() {
                out.push(Command::Query(dump, Query::Paths(target, preset)));
                ui.close();
            }
        }
    });
}

fn query_buttons(ui: &mut Ui, dump: DumpId, target: Target, out: &mut Vec<Command>) {
    let sets = [
        ("Retained set (as a histogram)", Query::RetainedSet(target)),
        (
            "Immediate dominators (by class)",
            Query::ImmediateDominators(target),
        ),
    ];
    for (label, query) in sets {
        if ui.button(label).clicked() {
            out.push(Command::Query(dump, query));
            ui.close();
        }
    }
}

fn copy_button(ui: &mut Ui, label: &str, text: impl FnOnce() -> String) {
    if ui.button(label).clicked() {
        ui.ctx().copy_text(text());
        ui.close();
    }
}

/// The actions on an object.
pub fn object_menu(ui: &mut Ui, heap: &Heap, dump: DumpId, o: ObjectIx, out: &mut Vec<Command>) {
    if ui.button("Inspect").clicked() {
        out.push(Command::Select(dump, o));
        out.push(Command::Show(View::Inspector));
        ui.close();
    }
    let target = Target::Object(o);
    paths_menu(ui, "Paths to GC roots", dump, target, out);
    query_buttons(ui, dump, target, out);
    if ui.button("Show in the dominator tree").clicked() {
        out.push(Command::ShowInTree(dump, o));
        ui.close();
    }
    ui.separator();
    let class = heap.class_ix(o);
    let name = &heap.class(class.0).name;
    ui.menu_button(format!("Instances of {name}"), |ui| {
        class_items(ui, dump, class, out)
    });
    ui.separator();
    copy_button(ui, "Copy id", || hex_id(heap.id(o.0)));
    if let Some(text) = heap.string(o.0) {
        copy_button(ui, "Copy value", || text);
    }
    copy_button(ui, "Copy class name", || heap.class(class.0).name.clone());
}

/// The actions on a class (its instances).
pub fn class_menu(ui: &mut Ui, heap: &Heap, dump: DumpId, c: ClassIx, out: &mut Vec<Command>) {
    class_items(ui, dump, c, out);
    ui.separator();
    copy_button(ui, "Copy class name", || heap.class(c.0).name.clone());
}

fn class_items(ui: &mut Ui, dump: DumpId, c: ClassIx, out: &mut Vec<Command>) {
    if ui.button("List the instances").clicked() {
        out.push(Command::Instances(dump, c));
        ui.close();
    }
    let target = Target::Class(c);
    paths_menu(ui, "Merged paths to GC roots", dump, target, out);
    query_buttons(ui, dump, target, out);
}

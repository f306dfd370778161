//! Waste: memory a program holds for nothing (duplicate strings,
//! collections with unused capacity, all-zero primitive arrays, repeated
//! boxed primitives), per class or value and per owner, with what each
//! would save; every example a link.

use egui::{RichText, Ui};

use super::{ViewContext, waiting};
use crate::analysis::waste::{FILL_BUCKETS, OwnerRow, WasteReport};
use crate::app::actions;
use crate::app::command::{Command, DumpId};
use crate::app::widgets::{object_link, size_label};
use crate::heap::{ClassIx, Heap, ObjectIx};
use crate::units::{bytes, thousands};

/// The sections of the view.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Section {
    #[default]
    Strings,
    Collections,
    ZeroArrays,
    Boxed,
}

impl Section {
    const ALL: [Section; 4] = [
        Section::Strings,
        Section::Collections,
        Section::ZeroArrays,
        Section::Boxed,
    ];

    fn title(self) -> &'static str {
        match self {
            Section::Strings => "Duplicate strings",
            Section::Collections => "Collections",
            Section::ZeroArrays => "All-zero arrays",
            Section::Boxed => "Boxed primitives",
        }
    }

    fn wasted(self, r: &WasteReport) -> u64 {
        match self {
            Section::Strings => r.strings.wasted,
            Section::Collections => r.collections.wasted,
            Section::ZeroArrays => r.zero_arrays.wasted,
            Section::Boxed => r.boxed.wasted,
        }
    }
}

/// Rows shown of a long list.
const SHOWN: usize = 200;

#[derive(Default)]
pub struct WasteView {
    pub section: Section,
}

impl WasteView {
    pub fn ui(&mut self, ui: &mut Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let (Some(heap), Some(report)) = (ctx.heap(), ctx.doc.waste()) else {
            let what = if ctx.doc.waste_progress().is_some() {
                "Looking for duplicate strings, sparse collections, zero arrays and boxed values"
            } else {
                "Waiting for the strong dominator tree"
            };
            waiting(ui, what);
            return;
        };
        ui.label(
            RichText::new(format!(
                "{} could be saved in all; owners are the first object above each one in the strong dominator tree that is not an array or a java.util collection",
                bytes(report.wasted)
            ))
            .weak(),
        );
        ui.horizontal_wrapped(|ui| {
            for s in Section::ALL {
                let text = format!("{}: {}", s.title(), bytes(s.wasted(report)));
                ui.selectable_value(&mut self.section, s, text);
            }
        });
        ui.separator();
        let dump = ctx.dump();
        egui::ScrollArea::vertical()
            .id_salt(("waste", self.section as u8))
            .auto_shrink([false, false])
            .show(ui, |ui| match self.section {
                Section::Strings => strings_ui(ui, heap, dump, report, out),
                Section::Collections => collections_ui(ui, heap, dump, report, out),
                Section::ZeroArrays => zero_arrays_ui(ui, heap, dump, report, out),
                Section::Boxed => boxed_ui(ui, heap, dump, report, out),
            });
    }
}

fn header(ui: &mut Ui, titles: &[&str]) {
    for t in titles {
        ui.label(RichText::new(*t).strong());
    }
    ui.end_row();
}

fn class_link(ui: &mut Ui, heap: &Heap, dump: DumpId, c: u32, out: &mut Vec<Command>) {
    let c = ClassIx(c);
    let r = ui
        .link(&heap.class(c.0).name)
        .on_hover_text("list its instances; right-click for more");
    if r.clicked() {
        out.push(Command::Instances(dump, c));
    }
    r.context_menu(|ui| actions::class_menu(ui, heap, dump, c, out));
}

fn more_note(ui: &mut Ui, total: usize) {
    if total > SHOWN {
        ui.label(
            RichText::new(format!(
                "the first {SHOWN} of {}; `heapscope waste --top N --json` lists more",
                thousands(total as u64)
            ))
            .weak(),
        );
    }
}

fn owners_ui(
    ui: &mut Ui,
    heap: &Heap,
    dump: DumpId,
    id: &str,
    rows: &[OwnerRow],
    out: &mut Vec<Command>,
) {
    ui.add_space(8.0);
    ui.label(RichText::new("By owner").strong());
    if rows.is_empty() {
        ui.label(RichText::new("nothing").weak());
        return;
    }
    egui::Grid::new(("waste_owners", id))
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            header(ui, &["Wasted", "Objects", "Class", "Owner", "Example"]);
            for r in rows.iter().take(SHOWN) {
                size_label(ui, r.wasted);
                ui.label(thousands(r.count));
                class_link(ui, heap, dump, r.class, out);
                match r.owner_example {
                    Some(o) => {
                        let link = ui
                            .link(r.owner.label(heap))
                            .on_hover_text("select the owner");
                        if link.clicked() {
                            out.push(Command::Select(dump, ObjectIx(o)));
                        }
                        link.context_menu(|ui| {
                            actions::object_menu(ui, heap, dump, ObjectIx(o), out)
                        });
                    }
                    None => {
                        ui.label(r.owner.label(heap));
                    }
                }
                object_link(ui, heap, dump, ObjectIx(r.example), out);
                ui.end_row();
            }
        });
    more_note(ui, rows.len());
}

fn strings_ui(ui: &mut Ui, heap: &Heap, dump: DumpId, r: &WasteReport, out: &mut Vec<Command>) {
    let s = &r.strings;
    ui.label(format!(
        "{} strings, {} of them copies of a value another string holds; sharing one copy of each value would save {}.",
        thousands(s.strings),
        thousands(s.duplicates),
        bytes(s.wasted)
    ));
    egui::Grid::new("waste_strings")
        .striped(true)
        .num_columns(5)
        .show(ui, |ui| {
            header(ui, &["Wasted", "Copies", "Length", "Value", "Held by"]);
            for v in s.values.iter().take(SHOWN) {
                size_label(ui, v.wasted);
                ui.label(thousands(v.count));
                ui.label(thousands(v.length));
                let short: String = v.preview.chars().take(28).collect();
                let short = if short.len() < v.preview.len() {
                    format!("\"{short}\"…")
                } else {
                    format!("\"{short}\"")
                };
                let link = ui
                    .link(RichText::new(short).monospace())
                    .on_hover_text(format!("\"{}\"; click to select the first copy", v.preview));
                if link.clicked() {
                    out.push(Command::Select(dump, ObjectIx(v.objects[0])));
                }
                let held = v
                    .holders
                    .as_ref()
                    .and_then(|h| h.first())
                    .map(|h| {
                        let class = &heap.class(h.class).name;
                        match &h.field {
                            Some(f) => format!("{class}.{f} ({})", thousands(h.count)),
                            None => format!("{class} ({})", thousands(h.count)),
                        }
                    })
                    .unwrap_or_default();
                ui.label(held);
                ui.end_row();
            }
        });
    more_note(ui, s.values.len());
    owners_ui(ui, heap, dump, "strings", &s.by_owner, out);
}

fn collections_ui(ui: &mut Ui, heap: &Heap, dump: DumpId, r: &WasteReport, out: &mut Vec<Command>) {
    let c = &r.collections;
    ui.label(format!(
        "{} collections, {} of them empty; their unused capacity takes {}.",
        thousands(c.collections),
        thousands(c.empty),
        bytes(c.wasted)
    ));
    egui::Grid::new("waste_collections")
        .striped(true)
        .num_columns(7)
        .show(ui, |ui| {
            header(
                ui,
                &[
                    "Wasted", "Count", "Empty", "Size", "Capacity", "Fill", "Class",
                ],
            );
            for k in c.classes.iter().take(SHOWN) {
                size_label(ui, k.wasted);
                ui.label(thousands(k.count));
                ui.label(thousands(k.empty));
                ui.label(thousands(k.size));
                ui.label(thousands(k.capacity));
                let fill: Vec<String> = FILL_BUCKETS
                    .iter()
                    .zip(k.fill)
                    .filter(|(_, n)| *n > 0)
                    .map(|(l, n)| format!("{l} {}", thousands(n)))
                    .collect();
                ui.label(fill.join(", "))
                    .on_hover_text("how many are filled to each share of their capacity");
                class_link(ui, heap, dump, k.class, out);
                ui.end_row();
            }
        });
    more_note(ui, c.classes.len());
    owners_ui(ui, heap, dump, "collections", &c.by_owner, out);
}

fn zero_arrays_ui(ui: &mut Ui, heap: &Heap, dump: DumpId, r: &WasteReport, out: &mut Vec<Command>) {
    let z = &r.zero_arrays;
    ui.label(format!(
        "{} primitive arrays hold only zeros: {}.",
        thousands(z.arrays),
        bytes(z.wasted)
    ));
    egui::Grid::new("waste_zeros")
        .striped(true)
        .num_columns(4)
        .show(ui, |ui| {
            header(ui, &["Wasted", "Arrays", "Class", "Example"]);
            for k in z.classes.iter().take(SHOWN) {
                size_label(ui, k.wasted);
                ui.label(thousands(k.count));
                class_link(ui, heap, dump, k.class, out);
                object_link(ui, heap, dump, ObjectIx(k.example), out);
                ui.end_row();
            }
        });
    owners_ui(ui, heap, dump, "zeros", &z.by_owner, out);
}

fn boxed_ui(ui: &mut Ui, heap: &Heap, dump: DumpId, r: &WasteReport, out: &mut Vec<Command>) {
    let b = &r.boxed;
    ui.label(format!(
        "{} boxed primitives; the copies of values another box holds take {}.",
        thousands(b.objects),
        bytes(b.wasted)
    ));
    egui::Grid::new("waste_boxed")
        .striped(true)
        .num_columns(6)
        .show(ui, |ui| {
            header(
                ui,
                &[
                    "Wasted",
                    "Objects",
                    "Distinct",
                    "Shallow",
                    "Class",
                    "Most repeated",
                ],
            );
            for k in b.classes.iter().take(SHOWN) {
                size_label(ui, k.wasted);
                ui.label(thousands(k.count));
                ui.label(thousands(k.distinct));
                size_label(ui, k.shallow);
                class_link(ui, heap, dump, k.class, out);
                let top: Vec<String> = k
                    .values
                    .iter()
                    .take(3)
                    .map(|v| format!("{} x{}", v.value, thousands(v.count)))
                    .collect();
                ui.label(top.join(", "));
                ui.end_row();
            }
        });
    owners_ui(ui, heap, dump, "boxed", &b.by_owner, out);
}

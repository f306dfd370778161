//! Leak Suspects: the big holders, class groups and known leak patterns of
//! the dump, most severe first, each said in a sentence, with where its
//! memory accumulates, the path that keeps it alive and links into the
//! other views.

use egui::text::LayoutJob;
use egui::{Color32, RichText, TextFormat, Ui};

use super::{ViewContext, waiting};
use crate::analysis::suspects::{Accumulation, Finding, LeakReport, Severity};
use crate::app::actions;
use crate::app::command::{Command, DumpId, Exclude, Query, Target, View};
use crate::app::widgets::{object_link, share_bar, size_label};
use crate::heap::{ClassIx, Heap, ObjectIx};
use crate::units::{bytes, thousands};

/// The colour of a severity badge.
pub fn severity_color(ui: &Ui, s: Severity) -> Color32 {
    match s {
        Severity::High => ui.visuals().error_fg_color,
        Severity::Medium => ui.visuals().warn_fg_color,
        Severity::Low => ui.visuals().weak_text_color(),
    }
}

/// A sentence with its `code` spans in monospace.
pub fn sentence_ui(ui: &mut Ui, text: &str) {
    let style = ui.style();
    let body = egui::TextStyle::Body.resolve(style);
    let mono = egui::TextStyle::Monospace.resolve(style);
    let color = ui.visuals().text_color();
    let mut job = LayoutJob::default();
    for (k, part) in text.split('`').enumerate() {
        let font = if k % 2 == 1 {
            mono.clone()
        } else {
            body.clone()
        };
        job.append(part, 0.0, TextFormat::simple(font, color));
    }
    ui.add(egui::Label::new(job).wrap());
}

/// The headline of the report: its most severe finding, or that none was
/// found (for the Overview).
pub fn headline(report: &LeakReport) -> String {
    match report.findings.first() {
        Some(f) => format!(
            "{} suspect{}; first: {} {} ({})",
            report.findings.len(),
            if report.findings.len() == 1 { "" } else { "s" },
            f.kind.title().to_lowercase(),
            bytes(f.retained),
            f.severity.label()
        ),
        None => format!(
            "no object or class retains {:.0}% of the heap; no known leak pattern",
            report.threshold * 100.0
        ),
    }
}

#[derive(Default)]
pub struct SuspectsView {}

impl SuspectsView {
    pub fn ui(&mut self, ui: &mut Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let (Some(heap), Some(report)) = (ctx.heap(), ctx.doc.leaks()) else {
            let what = if ctx.doc.leaks_progress().is_some() {
                "Looking for leak suspects"
            } else {
                "Waiting for the strong dominator tree"
            };
            waiting(ui, what);
            return;
        };
        ui.label(
            RichText::new(format!(
                "{} found; retained sizes over strong references (what a GC keeps) of {} reachable; a big holder retains at least {:.0}% of it; `heapscope suspects --html` writes this as a report",
                thousands(report.findings.len() as u64),
                bytes(report.reachable_bytes),
                report.threshold * 100.0
            ))
            .weak(),
        );
        ui.add_space(4.0);
        if report.findings.is_empty() {
            ui.label("No object or class retains that much, and no known leak pattern was found.");
            return;
        }
        egui::ScrollArea::vertical()
            .id_salt("suspects")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for (k, f) in report.findings.iter().enumerate() {
                    finding_ui(ui, heap, ctx.dump(), k, f, report.reachable_bytes, out);
                    ui.add_space(6.0);
                }
            });
    }
}

fn finding_ui(
    ui: &mut Ui,
    heap: &Heap,
    dump: DumpId,
    k: usize,
    f: &Finding,
    total: u64,
    out: &mut Vec<Command>,
) {
    egui::Frame::group(ui.style())
        .fill(ui.visuals().faint_bg_color)
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.horizontal(|ui| {
                ui.label(
                    RichText::new(format!("{}. {}", k + 1, f.severity.label().to_uppercase()))
                        .strong()
                        .color(severity_color(ui, f.severity)),
                );
                ui.label(RichText::new(f.kind.title()).strong());
                size_label(ui, f.retained);
                if f.share > 0.0 {
                    share_bar(ui, f.retained, total);
                }
            });
            sentence_ui(ui, &f.sentence);
            ui.horizontal_wrapped(|ui| links_ui(ui, heap, dump, f, out));
            if let Some(a) = &f.accumulation {
                egui::CollapsingHeader::new("Where the memory accumulates, and why it is alive")
                    .id_salt(("suspect", k))
                    .default_open(k == 0)
                    .show(ui, |ui| accumulation_ui(ui, heap, dump, a, out));
            }
        });
}

fn links_ui(ui: &mut Ui, heap: &Heap, dump: DumpId, f: &Finding, out: &mut Vec<Command>) {
    if let Some(o) = f.focus.map(ObjectIx) {
        object_link(ui, heap, dump, o, out);
        if ui.button("Show in dominator tree").clicked() {
            out.push(Command::ShowInTree(dump, o));
        }
        if ui.button("Inspect").clicked() {
            out.push(Command::Select(dump, o));
            out.push(Command::Show(View::Inspector));
        }
        if ui
            .button("Retained set")
            .on_hover_text("the objects it retains, as a class histogram")
            .clicked()
        {
            out.push(Command::Query(dump, Query::RetainedSet(Target::Object(o))));
        }
    }
    if let Some(c) = f.class.map(ClassIx) {
        let name = &heap.class(c.0).name;
        let r = ui
            .button(format!("Instances of {}", short(name)))
            .on_hover_text(format!("list the instances of {name} in the histogram"));
        if r.clicked() {
            out.push(Command::Instances(dump, c));
        }
        r.context_menu(|ui| actions::class_menu(ui, heap, dump, c, out));
    }
}

/// A class name without its package.
fn short(name: &str) -> &str {
    name.rsplit('.').next().unwrap_or(name)
}

fn accumulation_ui(
    ui: &mut Ui,
    heap: &Heap,
    dump: DumpId,
    a: &Accumulation,
    out: &mut Vec<Command>,
) {
    let point = ObjectIx(a.point());
    ui.horizontal_wrapped(|ui| {
        ui.label("Accumulation point:");
        object_link(ui, heap, dump, point, out);
        ui.label(RichText::new(crate::units::children(a.children)).weak());
        if ui.small_button("Paths to GC roots").clicked() {
            out.push(Command::Query(
                dump,
                Query::Paths(Target::Object(point), Exclude::WeakSoftPhantomFinal),
            ));
        }
    });
    if a.chain.len() > 1 {
        ui.label(
            RichText::new(format!(
                "down the dominator tree from the top: {}",
                a.chain
                    .iter()
                    .map(|&o| match heap.as_class(o) {
                        Some(c) => format!("class {}", short(&heap.class(c).name)),
                        None => short(&heap.class(heap.class_of(o)).name).to_string(),
                    })
                    .collect::<Vec<_>>()
                    .join(" > ")
            ))
            .weak(),
        );
    }
    if let Some(p) = &a.path {
        ui.label(RichText::new("Shortest strong path to a GC root").strong());
        for s in &p.steps {
            ui.horizontal(|ui| {
                ui.add_space(12.0);
                if let Some(field) = &s.field {
                    ui.label(RichText::new(format!("<- {field}")).monospace().weak());
                }
                object_link(ui, heap, dump, ObjectIx(s.object), out);
            });
        }
        for r in &p.roots {
            ui.horizontal(|ui| {
                ui.add_space(12.0);
                ui.label(RichText::new(format!("GC root: {r}")).weak());
            });
        }
    }
    if !a.top_classes.is_empty() {
        ui.label(RichText::new("Biggest classes of its retained set").strong());
        egui::Grid::new(("suspect_classes", a.point()))
            .num_columns(3)
            .striped(true)
            .show(ui, |ui| {
                ui.label(RichText::new("Objects").weak());
                ui.label(RichText::new("Shallow").weak());
                ui.label(RichText::new("Class").weak());
                ui.end_row();
                for r in &a.top_classes {
                    ui.label(thousands(r.objects));
                    size_label(ui, r.shallow);
                    let c = ClassIx(r.class);
                    let link = ui.link(&heap.class(r.class).name);
                    if link.clicked() {
                        out.push(Command::Instances(dump, c));
                    }
                    link.context_menu(|ui| actions::class_menu(ui, heap, dump, c, out));
                    ui.end_row();
                }
            });
    }
}

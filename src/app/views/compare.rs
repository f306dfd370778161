//! The comparison of the current dump with a baseline: classes, owners of
//! the growth and finalizers, each row linking into either dump.

use egui::{RichText, Ui};

use super::compare_tables::{self as tables, ClassCol, ClassRowsKey, OwnerCol};
use super::{ViewContext, waiting};
use crate::analysis::diff::{Diff, Presence};
use crate::app::command::{Command, Purpose, View};
use crate::app::comparison::Comparison;
use crate::app::document::Document;
use crate::app::widgets::Sort;
use crate::heap::ObjectIx;
use crate::report::diff::{path_text, percent};
use crate::units::{signed, signed_bytes};

/// The comparison's sections.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Section {
    #[default]
    Classes,
    Owners,
    Finalizers,
}

impl Section {
    pub const ALL: [Section; 3] = [Section::Classes, Section::Owners, Section::Finalizers];

    pub fn title(self) -> &'static str {
        match self {
            Section::Classes => "Classes",
            Section::Owners => "Owners of the growth",
            Section::Finalizers => "Finalizer states",
        }
    }
}

/// The comparison view's state.
pub struct CompareView {
    pub section: Section,
    pub(super) filter: String,
    /// Hide classes whose instances and size did not change.
    pub(super) changed_only: bool,
    pub(super) class_sort: Sort<ClassCol>,
    pub(super) owner_sort: Sort<OwnerCol>,
    /// The class rows shown, as indexes into the diff's classes.
    pub(super) class_rows: Option<(ClassRowsKey, Vec<u32>)>,
}

impl Default for CompareView {
    fn default() -> Self {
        CompareView {
            section: Section::Classes,
            filter: String::new(),
            changed_only: true,
            class_sort: Sort::by(ClassCol::ShallowDelta),
            owner_sort: Sort::by(OwnerCol::Growth),
            class_rows: None,
        }
    }
}

impl CompareView {
    /// A new comparison: its rows are another diff's.
    pub fn forget_rows(&mut self) {
        self.class_rows = None;
    }

    pub fn ui(&mut self, ui: &mut Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let Some(c) = ctx.comparison else {
            choose_ui(ui, ctx, out);
            return;
        };
        let name = |id| {
            ctx.document(id)
                .map(Document::label)
                .unwrap_or_else(|| "(closed)".into())
        };
        // Once compared, the names the comparison gives (with the heap dump
        // of a file holding several: `app.hprof #0`).
        let names = match &c.diff {
            Some(d) => [d.before.file.clone(), d.after.file.clone()],
            None => [name(c.baseline), name(c.current)],
        };
        ui.horizontal_wrapped(|ui| {
            let sides = [("Baseline", c.baseline), ("->  current", c.current)];
            for ((label, id), name) in sides.into_iter().zip(names) {
                ui.label(label);
                if ui
                    .link(RichText::new(name).strong())
                    .on_hover_text("Explore this dump")
                    .clicked()
                {
                    out.push(Command::Activate(id));
                    out.push(Command::Show(View::Overview));
                }
            }
            ui.separator();
            if ui
                .button("Swap")
                .on_hover_text("Make the current dump the baseline")
                .clicked()
            {
                out.push(Command::SwapComparison);
            }
            if ui.button("Compare with another...").clicked() {
                out.push(Command::CloseComparison);
            }
        });
        if let Some(e) = &c.error {
            ui.add_space(12.0);
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("The comparison failed: {e}"),
            );
            return;
        }
        let Some(diff) = c.diff.clone() else {
            progress_ui(ui, ctx, c);
            return;
        };
        self.summary_ui(ui, &diff, c, out);
        ui.add_space(4.0);
        ui.horizontal(|ui| {
            for s in Section::ALL {
                if ui
                    .selectable_label(self.section == s, RichText::new(s.title()).strong())
                    .clicked()
                {
                    self.section = s;
                }
            }
        });
        ui.separator();
        let ids = [c.baseline, c.current];
        // Wide tables scroll sideways in a narrow window.
        egui::ScrollArea::horizontal()
            .id_salt("compare_sideways")
            .show(ui, |ui| match self.section {
                Section::Classes => tables::classes_ui(ui, &diff, self, ids, out),
                Section::Owners => tables::owners_ui(ui, &diff, self, ids, out),
                Section::Finalizers => {
                    super::compare_finalizers::finalizers_ui(ui, &diff, c.current, out)
                }
            });
    }

    /// The two dumps in figures, warnings, and the biggest owner of growth.
    fn summary_ui(&mut self, ui: &mut Ui, diff: &Diff, c: &Comparison, out: &mut Vec<Command>) {
        let (b, a) = (&diff.before, &diff.after);
        let took = c
            .took
            .map(|t| format!("; compared in {t:.1} s"))
            .unwrap_or_default();
        ui.label(format!(
            "{} objects ({}), {} shallow ({}); {} classes new, {} gone; written {:.1} s apart{took}",
            signed(a.objects as i64 - b.objects as i64),
            percent(b.objects, a.objects),
            signed_bytes(a.shallow as i64 - b.shallow as i64),
            percent(b.shallow, a.shallow),
            diff.classes_with(Presence::New),
            diff.classes_with(Presence::Gone),
            (a.timestamp_ms as f64 - b.timestamp_ms as f64) / 1000.0
        ));
        for w in &diff.warnings {
            ui.colored_label(ui.visuals().warn_fg_color, format!("Warning: {w}"));
        }
        if let Some(top) = diff
            .owners
            .as_ref()
            .and_then(|o| o.first())
            .filter(|o| o.growth > 0)
        {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("Most growth is held by").strong());
                if ui
                    .link(RichText::new(tables::short_path(&top.path)).strong())
                    .on_hover_text(path_text(&top.path))
                    .clicked()
                {
                    self.section = Section::Owners;
                }
                ui.label(format!(
                    "{}: {}",
                    signed_bytes(top.growth),
                    tables::growth_text(top, 3)
                ));
                if let Some((o, _)) = top.example_after {
                    if ui.small_button("inspect").clicked() {
                        out.push(Command::Select(c.current, ObjectIx(o)));
                        out.push(Command::Show(View::Inspector));
                    }
                }
            });
        }
    }
}

/// Loading, the strong trees computing, or the comparison itself.
fn progress_ui(ui: &mut Ui, ctx: &ViewContext, c: &Comparison) {
    let docs: Vec<&Document> = [c.baseline, c.current]
        .into_iter()
        .filter_map(|id| ctx.document(id))
        .collect();
    let loading: Vec<String> = docs
        .iter()
        .filter(|d| d.is_loading())
        .map(|d| d.label())
        .collect();
    if !loading.is_empty() {
        waiting(ui, &format!("Loading {}", loading.join(" and ")));
        return;
    }
    ui.add_space(12.0);
    for d in docs {
        if let Some(p) = d.strong_progress() {
            let f = p.fraction();
            ui.add(egui::ProgressBar::new(f).desired_width(320.0).text(format!(
                "{}: {}: {:.0}%",
                d.label(),
                p.phase().label(),
                f * 100.0
            )));
        }
    }
    ui.label(
        RichText::new("Computing each dump's dominator tree over strong references, then matching classes and owners by name").weak(),
    );
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(250));
}

/// No comparison yet: pick a baseline.
fn choose_ui(ui: &mut Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
    ui.add_space(12.0);
    ui.heading("Compare with a baseline");
    ui.add_space(4.0);
    ui.label(format!(
        "Take two dumps of the same process some time apart: heapscope shows what grew per class and per finalizer state, and which owner holds the growth. {} is the current dump; choose the earlier one.",
        ctx.doc.label()
    ));
    ui.add_space(8.0);
    if ui.button("Choose a file...").clicked() {
        out.push(Command::Choose(Purpose::Baseline));
    }
    if let Some(other) = ctx.other {
        ui.add_space(4.0);
        if ui
            .button(format!("Compare with {} (open)", other.label()))
            .clicked()
        {
            out.push(Command::CompareWith(other.path.clone()));
        }
    }
    let recent: Vec<&std::path::PathBuf> = ctx
        .recent
        .iter()
        .filter(|p| **p != ctx.doc.path && ctx.other.is_none_or(|o| o.path != **p))
        .collect();
    if !recent.is_empty() {
        ui.add_space(8.0);
        ui.label(RichText::new("Recent files").strong());
        for p in recent {
            if ui.link(p.display().to_string()).clicked() {
                out.push(Command::CompareWith(p.clone()));
            }
        }
    }
}

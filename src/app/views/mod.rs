//! One file per view. Each view owns its state (filters, orders, caches,
//! its tasks) and draws from a read-only [`ViewContext`], sending
//! [`Command`]s for anything that changes the app.

pub mod compare;
mod compare_finalizers;
mod compare_tables;
mod dominator_groups;
mod dominator_rows;
pub mod dominators;
pub mod finalizers;
pub mod histogram;
pub mod histogram_groups;
pub mod inspector;
mod instances;
pub mod nav;
pub mod overview;
pub mod query;
pub mod sql;
pub mod start;
pub mod suspects;
pub mod threads;
pub mod waste;
pub mod why_alive;

use std::path::PathBuf;
use std::sync::Arc;

use super::command::{Command, DumpId, Retention, View};
use super::comparison::Comparison;
use super::document::{Document, Tree};
use super::task::Waker;
use crate::heap::Heap;

/// What a view reads: the dump shown, the one beside it, the comparison,
/// the app's settings, and how to wake the UI from a task.
pub struct ViewContext<'a> {
    pub doc: &'a Document,
    pub other: Option<&'a Document>,
    pub comparison: Option<&'a Comparison>,
    pub recent: &'a [PathBuf],
    /// The SQL queries run, the last first.
    pub sql_history: &'a [String],
    pub retention: Retention,
    pub waker: Waker,
}

impl ViewContext<'_> {
    pub fn dump(&self) -> DumpId {
        self.doc.id
    }

    pub fn heap(&self) -> Option<&Arc<Heap>> {
        self.doc.heap.as_ref()
    }

    /// The dominator tree over the references chosen.
    pub fn tree(&self) -> Option<&Arc<Tree>> {
        self.doc.tree(self.retention)
    }

    /// An open dump by id.
    pub fn document(&self, id: DumpId) -> Option<&Document> {
        std::iter::once(self.doc)
            .chain(self.other)
            .find(|d| d.id == id)
    }
}

/// The state of every view of one dump; dropped with it, which cancels
/// the views' tasks.
#[derive(Default)]
pub struct Views {
    pub suspects: suspects::SuspectsView,
    pub waste: waste::WasteView,
    pub histogram: histogram::HistogramView,
    pub dominators: dominators::DominatorView,
    pub finalizers: finalizers::FinalizerView,
    pub inspector: inspector::InspectorView,
    pub threads: threads::ThreadsView,
    pub query: query::QueryView,
    pub sql: sql::SqlView,
    pub nav: nav::NavBar,
}

impl Views {
    /// Some view's task is running (for screenshots).
    pub fn is_busy(&self) -> bool {
        self.histogram.is_busy()
            || self.dominators.is_busy()
            || self.threads.is_busy()
            || self.sql.is_busy()
    }

    /// Draws `view` of the document, or why it cannot be shown.
    pub fn ui(&mut self, ui: &mut egui::Ui, view: View, ctx: &ViewContext, out: &mut Vec<Command>) {
        if let Some(e) = &ctx.doc.error {
            ui.add_space(20.0);
            ui.heading("This dump could not be opened");
            ui.add_space(8.0);
            ui.label(egui::RichText::new(e).monospace());
            ui.add_space(12.0);
            if ui.button("Open another file...").clicked() {
                out.push(Command::Choose(super::command::Purpose::Open));
            }
            return;
        }
        match view {
            View::Overview => overview::ui(ui, ctx, out),
            View::Suspects => self.suspects.ui(ui, ctx, out),
            View::Waste => self.waste.ui(ui, ctx, out),
            View::Histogram => self.histogram.ui(ui, ctx, out),
            View::Dominators => self.dominators.ui(ui, ctx, out),
            View::Finalizers => self.finalizers.ui(ui, ctx, out),
            View::Inspector => self.inspector.ui(ui, ctx, out),
            View::Threads => self.threads.ui(ui, ctx, out),
            View::Query => self.query.ui(ui, ctx, out),
            View::Sql => self.sql.ui(ui, ctx, out),
            // Drawn by the app: its state is the app's.
            View::Compare => {}
        }
    }
}

/// A line saying what is still being computed. No animation: redrawing
/// at 60 frames a second would take CPU from the work being waited for
/// (the status bar's progress repaints four times a second; input
/// repaints at once).
pub fn waiting(ui: &mut egui::Ui, what: &str) {
    ui.add_space(16.0);
    ui.label(egui::RichText::new(format!("{what}...")).weak());
    ui.ctx()
        .request_repaint_after(std::time::Duration::from_millis(250));
}

/// What retained sizes count, for captions and hovers.
pub fn retained_note(ctx: &ViewContext) -> String {
    format!(
        "retained sizes over {} (switch in the status bar); unreachable objects retain nothing",
        ctx.retention.label()
    )
}

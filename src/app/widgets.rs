//! Small shared pieces of the views: object links, sizes, paging.

use egui::{Response, RichText, Ui};

use super::Command;
use crate::heap::Heap;
use crate::units::{bytes, hex_id, thousands};

pub use crate::report::object_label as object_text;

/// A clickable object: selects it; right-click copies its id.
pub fn object_link(ui: &mut Ui, heap: &Heap, o: u32, out: &mut Vec<Command>) -> Response {
    let text = object_text(heap, o);
    let response = ui.link(text).on_hover_text(format!(
        "{} bytes shallow; click to inspect",
        thousands(heap.shallow_size(o))
    ));
    if response.clicked() {
        out.push(Command::Select(o));
    }
    response.context_menu(|ui| {
        if ui.button("Copy id").clicked() {
            ui.ctx().copy_text(hex_id(heap.id(o)));
            ui.close();
        }
        if ui.button("Copy class name").clicked() {
            ui.ctx()
                .copy_text(heap.class(heap.class_of(o)).name.clone());
            ui.close();
        }
    });
    response
}

/// A size in binary units with the exact byte count on hover.
pub fn size_label(ui: &mut Ui, n: u64) -> Response {
    ui.label(bytes(n))
        .on_hover_text(format!("{} bytes", thousands(n)))
}

/// A count with thousands separators.
pub fn count_label(ui: &mut Ui, n: u64) -> Response {
    ui.label(thousands(n))
}

/// A share of a total drawn as a thin bar with the percentage.
pub fn share_bar(ui: &mut Ui, part: u64, total: u64) {
    let f = if total == 0 {
        0.0
    } else {
        part as f32 / total as f32
    };
    ui.add(
        egui::ProgressBar::new(f)
            .desired_width(90.0)
            .desired_height(12.0)
            .text(RichText::new(format!("{:.1}%", f * 100.0)).small()),
    );
}

/// "Show N more" under a paged list; returns the new count to show.
pub fn show_more(ui: &mut Ui, shown: usize, total: usize, step: usize) -> usize {
    if shown >= total {
        return shown;
    }
    let next = step.min(total - shown);
    if ui
        .small_button(format!(
            "show {} more of {}",
            thousands(next as u64),
            thousands((total - shown) as u64)
        ))
        .clicked()
    {
        shown + next
    } else {
        shown
    }
}

/// A column header that sorts: click to sort by it (largest first for
/// numbers), again to reverse. `sort` is (column, ascending).
pub fn sort_header(
    ui: &mut Ui,
    title: &str,
    column: usize,
    sort: &mut (usize, bool),
    text_column: bool,
) {
    let arrow = if sort.0 == column {
        if sort.1 { " ^" } else { " v" }
    } else {
        ""
    };
    if ui
        .button(RichText::new(format!("{title}{arrow}")).strong())
        .clicked()
    {
        *sort = if sort.0 == column {
            (column, !sort.1)
        } else {
            (column, text_column)
        };
    }
}

/// `label` and a field for a class name or regular expression; returns
/// the expression, as [`filter_regex`] makes it.
pub fn class_filter(ui: &mut Ui, label: &str, text: &mut String) -> Option<regex::Regex> {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text("class name or regex")
            .desired_width(260.0),
    )
    .labelled_by(label.id);
    filter_regex(text)
}

/// A filter's text as a case-insensitive regular expression; `None` while
/// it does not parse.
pub fn filter_regex(text: &str) -> Option<regex::Regex> {
    regex::RegexBuilder::new(text)
        .case_insensitive(true)
        .build()
        .ok()
}

/// A table's surroundings: its own id, one line per row (rows have a fixed
/// height, so long text is cut), and that row height for `table`.
pub fn table_area<R>(ui: &mut Ui, id: &str, table: impl FnOnce(&mut Ui, f32) -> R) -> R {
    ui.push_id(id, |ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        table(ui, row_height)
    })
    .inner
}

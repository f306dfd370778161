//! Small shared pieces of the views: object links, sizes, sortable
//! headers, filters, tables.

use egui::{Response, RichText, Ui};

use super::actions;
use super::command::{Command, DumpId};
use crate::heap::{Heap, ObjectIx};
use crate::units::{bytes, thousands};

pub use crate::report::object_label as object_text;

/// A clickable object: selects it, double-click inspects it; right-click
/// for the actions on it.
pub fn object_link(
    ui: &mut Ui,
    heap: &Heap,
    dump: DumpId,
    o: ObjectIx,
    out: &mut Vec<Command>,
) -> Response {
    link(ui, heap, dump, o, object_text(heap, o.0), true, out)
}

/// [`object_link`] showing `text` (an id in a SQL answer), the object on
/// hover.
pub fn object_link_as(
    ui: &mut Ui,
    heap: &Heap,
    dump: DumpId,
    o: ObjectIx,
    text: String,
    out: &mut Vec<Command>,
) -> Response {
    link(ui, heap, dump, o, text, false, out)
}

/// `named`: `text` is the object's label already, not repeated on hover.
fn link(
    ui: &mut Ui,
    heap: &Heap,
    dump: DumpId,
    o: ObjectIx,
    text: String,
    named: bool,
    out: &mut Vec<Command>,
) -> Response {
    let response = ui.link(text).on_hover_ui(|ui| {
        if !named {
            ui.label(object_text(heap, o.0));
        }
        ui.label(format!(
            "{} bytes shallow; click to select, double-click to inspect, right-click for more",
            thousands(heap.shallow_size(o.0))
        ));
    });
    if response.clicked() {
        out.push(Command::Select(dump, o));
    }
    if response.double_clicked() {
        out.push(Command::Show(super::command::View::Inspector));
    }
    response.context_menu(|ui| actions::object_menu(ui, heap, dump, o, out));
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

/// The columns of a sortable table.
pub trait Columns: Copy + PartialEq + 'static {
    const ALL: &'static [Self];
    fn title(self) -> &'static str;
    /// What the header says on hover (what the column counts).
    fn hint(self) -> &'static str {
        ""
    }
    /// Text sorts A to Z first; numbers largest first.
    fn is_text(self) -> bool {
        false
    }
}

/// A table's order: a column and a direction.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Sort<C> {
    pub column: C,
    pub ascending: bool,
}

impl<C: Columns> Sort<C> {
    /// Largest first (or A to Z for text).
    pub fn by(column: C) -> Sort<C> {
        Sort {
            column,
            ascending: column.is_text(),
        }
    }

    /// `o` (ascending) in this order's direction.
    pub fn order(self, o: std::cmp::Ordering) -> std::cmp::Ordering {
        if self.ascending { o } else { o.reverse() }
    }
}

/// A column header that sorts: click to sort by it (largest first for
/// numbers), again to reverse. The title shows whole on hover.
pub fn sort_header<C: Columns>(ui: &mut Ui, column: C, sort: &mut Sort<C>) {
    sort_header_as(ui, column, column.title(), sort)
}

/// [`sort_header`] with a title of its own.
pub fn sort_header_as<C: Columns>(ui: &mut Ui, column: C, title: &str, sort: &mut Sort<C>) {
    let arrow = match (sort.column == column, sort.ascending) {
        (false, _) => "",
        (true, true) => " ^",
        (true, false) => " v",
    };
    let hint = match column.hint() {
        "" => format!("{title}: click to sort"),
        h => format!("{title}: {h}; click to sort"),
    };
    if ui
        .button(RichText::new(format!("{title}{arrow}")).strong())
        .on_hover_text(hint)
        .clicked()
    {
        *sort = if sort.column == column {
            Sort {
                column,
                ascending: !sort.ascending,
            }
        } else {
            Sort::by(column)
        };
    }
}

/// A filter's text as a case-insensitive regular expression: `Ok(None)`
/// when empty, `Err` with the parser's message when it does not parse.
pub fn filter_regex(text: &str) -> Result<Option<regex::Regex>, String> {
    if text.is_empty() {
        return Ok(None);
    }
    regex::RegexBuilder::new(text)
        .case_insensitive(true)
        .build()
        .map(Some)
        .map_err(|e| match e {
            regex::Error::Syntax(s) => s.lines().last().unwrap_or_default().trim().to_string(),
            e => e.to_string(),
        })
}

/// `label` and a field for a class name or regular expression; says so
/// beside it when the expression does not parse (and then nothing
/// matches). Returns the expression.
pub fn class_filter(
    ui: &mut Ui,
    label: &str,
    text: &mut String,
) -> Result<Option<regex::Regex>, String> {
    let label = ui.label(label);
    ui.add(
        egui::TextEdit::singleline(text)
            .hint_text("class name or regex")
            .desired_width(220.0),
    )
    .labelled_by(label.id);
    let filter = filter_regex(text);
    if let Err(e) = &filter {
        ui.colored_label(
            ui.visuals().error_fg_color,
            format!("invalid regular expression: {e}"),
        );
    }
    filter
}

/// Whether `name` passes a filter (an invalid one passes nothing).
pub fn passes(filter: &Result<Option<regex::Regex>, String>, name: &str) -> bool {
    match filter {
        Ok(None) => true,
        Ok(Some(f)) => f.is_match(name),
        Err(_) => false,
    }
}

/// A table's surroundings: its own id, one line per row (rows have a fixed
/// height, so long text is cut), labels that do not take clicks from the
/// row, and that row height for `table`.
pub fn table_area<R>(ui: &mut Ui, id: &str, table: impl FnOnce(&mut Ui, f32) -> R) -> R {
    ui.push_id(id, |ui| {
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Truncate);
        ui.style_mut().interaction.selectable_labels = false;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 6.0;
        table(ui, row_height)
    })
    .inner
}

/// The header row of a sortable table.
pub fn sort_headers<C: Columns>(header: &mut egui_extras::TableRow<'_, '_>, sort: &mut Sort<C>) {
    for &c in C::ALL {
        header.col(|ui| sort_header(ui, c, sort));
    }
}

/// A label cut to its cell, whole on hover when cut.
pub fn cell_text(ui: &mut Ui, text: &str) -> Response {
    ui.add(egui::Label::new(text).truncate())
}

/// Lines for a tooltip, at most `max` of them and a last one saying how
/// many more (a tooltip taller than the window shows nothing useful).
pub fn tooltip_lines(lines: &[String], max: usize) -> String {
    let mut text = lines[..lines.len().min(max)].join("\n");
    if lines.len() > max {
        text.push_str(&format!("\n... and {} more", lines.len() - max));
    }
    text
}

//! SQL over the dump shown: an editor with the tables and their columns
//! beside it, example queries, the answer in a table whose object ids are
//! links (select, inspect, the actions menu), and the queries run so far
//! (the app's, remembered between sessions).
//! A query runs off the UI thread and can be cancelled; its engine reads
//! the document's heap and trees in place ([`crate::sql`]).

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use super::{ViewContext, waiting};
use crate::analysis::dominators::Dominators;
use crate::analysis::finalizers::FinalizerReport;
use crate::app::command::{Command, DumpId, Retention};
use crate::app::document::Tree;
use crate::app::task::Task;
use crate::app::widgets::{cell_text, object_link_as, table_area};
use crate::heap::{Heap, ObjectIx};
use crate::sql::{Answer, Cell, Engine, HeapModel, SqlError};
use crate::units::thousands;

/// The rows of an answer the window keeps (the rest are counted).
pub const MAX_ROWS: usize = 10_000;

/// The example `heapscope screenshot --view sql` runs.
pub const SCREENSHOT_EXAMPLE: &str = "Objects held by threads' frames";

/// The queries offered to start from: a title and the query.
pub const EXAMPLES: [(&str, &str); 6] = [
    (
        "Classes by retained size",
        "SELECT name, instances, shallow, retained\nFROM classes\nORDER BY retained DESC\nLIMIT 50",
    ),
    (
        "The biggest HashMaps",
        "SELECT id, class, size, retained\nFROM \"java.util.HashMap\"\nORDER BY retained DESC\nLIMIT 50",
    ),
    (
        "Strings by value, most copies first",
        "SELECT s.value, count(*) AS copies, sum(o.shallow) AS shallow\nFROM strings s JOIN objects o ON o.id = s.id\nGROUP BY s.value\nORDER BY copies DESC\nLIMIT 50",
    ),
    (
        "Objects held by threads' frames",
        "SELECT r.thread_name, r.frame, r.id, class_of(r.id) AS class, o.retained\nFROM roots r JOIN objects o ON o.id = r.id\nWHERE r.kind = 'java frame'\nORDER BY o.retained DESC\nLIMIT 100",
    ),
    (
        "Who holds the most instances of a class",
        "SELECT r.src AS holder, class_of(r.src) AS holder_class, count(*) AS held\nFROM refs r JOIN \"java.lang.String\" t ON r.dst = t.id\nGROUP BY r.src\nORDER BY held DESC\nLIMIT 20",
    ),
    (
        "Finalizable objects by class and state",
        "SELECT class_of(referent) AS class, state, count(*) AS objects\nFROM finalizers\nGROUP BY 1, 2\nORDER BY objects DESC",
    ),
];

/// The window's model as the SQL tables read it: the document's heap and
/// what is computed of it so far.
struct Snapshot {
    heap: Arc<Heap>,
    trees: [Option<Arc<Tree>>; 2],
    finalizers: Option<Arc<FinalizerReport>>,
}

impl HeapModel for Snapshot {
    fn heap(&self) -> &Heap {
        &self.heap
    }
    fn dominators(&self, strong: bool) -> Option<&Dominators> {
        self.trees[usize::from(strong)].as_ref().map(|t| &t.doms)
    }
    fn class_retained(&self, strong: bool) -> Option<&[u64]> {
        self.trees[usize::from(strong)]
            .as_ref()
            .map(|t| t.class_retained.as_slice())
    }
    fn finalizers(&self) -> Option<&FinalizerReport> {
        self.finalizers.as_deref()
    }
}

/// What an engine was made from: a new one is made when more of the
/// model is there (the strong tree, the finalizers). Views are per dump,
/// so the dump is not part of it. A new engine is a new session: views
/// and settings made with SQL (`CREATE VIEW`, `SET`) are gone.
#[derive(Clone, Copy, PartialEq, Eq)]
struct EngineKey {
    trees: [bool; 2],
    finalizers: bool,
}

/// Class tables by instances of their own, the most first.
type ClassTables = Arc<[(u64, String)]>;

/// The engine and what the tables list reads of it, kept across frames.
struct Session {
    key: EngineKey,
    engine: Arc<Engine>,
    /// The columns of the tables folded open.
    columns: HashMap<String, Vec<(String, String)>>,
    /// The class tables matching the filter: (instances, name), the most
    /// first, for this filter text.
    classes: Option<(String, ClassTables)>,
}

/// A query run, or running.
struct Run {
    /// Counts the runs: each answer's table has its own column widths.
    serial: u64,
    query: String,
    started: Instant,
    task: Option<Task<Outcome>>,
    outcome: Option<Outcome>,
}

/// An answer made ready for drawing (in the query's task), or the error.
enum Outcome {
    Answer {
        columns: Vec<String>,
        numeric: Vec<bool>,
        cells: Vec<Vec<Cell>>,
        rows: u64,
        secs: f64,
    },
    Failed(SqlError),
}

impl Outcome {
    fn new(result: Result<Answer, SqlError>) -> Outcome {
        match result {
            Ok(a) => Outcome::Answer {
                columns: a.column_names(),
                numeric: a
                    .schema
                    .fields()
                    .iter()
                    .map(|f| f.data_type().is_numeric() && !crate::sql::is_object_column(f))
                    .collect(),
                cells: a.cells(),
                rows: a.rows,
                secs: a.elapsed.as_secs_f64(),
            },
            Err(e) => Outcome::Failed(e),
        }
    }
}

pub struct SqlView {
    query: String,
    session: Option<Session>,
    run: Option<Run>,
    runs: u64,
    /// The class tables listed: those whose name contains this.
    class_filter: String,
    /// Run the query when next drawn.
    run_pending: bool,
}

impl Default for SqlView {
    fn default() -> Self {
        SqlView {
            query: EXAMPLES[0].1.to_string(),
            session: None,
            run: None,
            runs: 0,
            class_filter: String::new(),
            run_pending: false,
        }
    }
}

impl SqlView {
    /// A query is running (for screenshots).
    pub fn is_busy(&self) -> bool {
        self.run.as_ref().is_some_and(|r| r.task.is_some())
    }

    /// Puts `query` in the editor, to run when the view is next drawn
    /// (screenshots).
    pub fn run_on_show(&mut self, query: &str) {
        self.query = query.to_string();
        self.run_pending = true;
    }

    fn engine(&mut self, ctx: &ViewContext, heap: &Arc<Heap>) -> Arc<Engine> {
        let doc = ctx.doc;
        let trees = Retention::BOTH.map(|r| doc.tree(r).cloned());
        let key = EngineKey {
            trees: [trees[0].is_some(), trees[1].is_some()],
            finalizers: doc.finalizers.is_some(),
        };
        match &self.session {
            Some(s) if s.key == key => s.engine.clone(),
            _ => {
                let model = Snapshot {
                    heap: heap.clone(),
                    trees,
                    finalizers: doc.finalizers.clone(),
                };
                let engine = Arc::new(Engine::new(Arc::new(model)));
                self.session = Some(Session {
                    key,
                    engine: engine.clone(),
                    columns: HashMap::new(),
                    classes: None,
                });
                engine
            }
        }
    }

    fn start(&mut self, ctx: &ViewContext, engine: Arc<Engine>, out: &mut Vec<Command>) {
        let query = self.query.trim().to_string();
        if query.is_empty() {
            return;
        }
        out.push(Command::SqlRan(query.clone()));
        let q = query.clone();
        self.runs += 1;
        let task = Task::compute("sql", ctx.waker.clone(), move |p| {
            Outcome::new(engine.answer(&q, MAX_ROWS, p))
        });
        self.run = Some(Run {
            serial: self.runs,
            query,
            started: Instant::now(),
            task: Some(task),
            outcome: None,
        });
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewContext, out: &mut Vec<Command>) {
        let Some(heap) = ctx.heap().cloned() else {
            waiting(ui, "Reading the dump");
            return;
        };
        if ctx.doc.tree(Retention::All).is_none() {
            waiting(
                ui,
                "Computing the dominator tree (the tables' retained sizes)",
            );
            return;
        }
        let engine = self.engine(ctx, &heap);
        if std::mem::take(&mut self.run_pending) {
            self.start(ctx, engine.clone(), out);
        }
        if let Some(run) = &mut self.run
            && let Some(task) = &mut run.task
        {
            if let Some(outcome) = task.poll() {
                run.outcome = Some(outcome);
                run.task = None;
            } else if task.is_finished() {
                run.task = None;
            }
        }
        egui::Panel::left("sql_tables")
            .resizable(true)
            .default_size(200.0)
            .max_size(320.0)
            .show(ui, |ui| self.tables_ui(ui, &heap));
        self.editor_ui(ui, ctx, &engine, out);
        self.missing_ui(ui);
        ui.separator();
        self.answer_ui(ui, ctx, &heap, out);
    }

    fn editor_ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &ViewContext,
        engine: &Arc<Engine>,
        out: &mut Vec<Command>,
    ) {
        let running = self.is_busy();
        let label = ui.label(RichText::new("SQL query").strong());
        let edit = ui
            .add(
                egui::TextEdit::multiline(&mut self.query)
                    .code_editor()
                    .desired_rows(6)
                    .desired_width(f32::INFINITY)
                    .hint_text(
                        "SELECT class, count(*) FROM objects GROUP BY class ORDER BY 2 DESC",
                    ),
            )
            .labelled_by(label.id);
        let ctrl_enter = edit.has_focus()
            && ui.input_mut(|i| i.consume_key(egui::Modifiers::COMMAND, egui::Key::Enter));
        let mut run = ctrl_enter && !running;
        ui.horizontal(|ui| {
            let shortcut = ui.ctx().format_shortcut(&egui::KeyboardShortcut::new(
                egui::Modifiers::COMMAND,
                egui::Key::Enter,
            ));
            run |= ui
                .add_enabled(!running, egui::Button::new("Run"))
                .on_hover_text(format!("Run the query ({shortcut})"))
                .clicked();
            if running && ui.button("Cancel").clicked() {
                if let Some(task) = self.run.as_ref().and_then(|r| r.task.as_ref()) {
                    task.cancel();
                }
            }
            ui.label(RichText::new(format!("{shortcut} runs it")).weak());
            ui.menu_button("Examples", |ui| {
                for (title, query) in EXAMPLES {
                    if ui.button(title).on_hover_text(query).clicked() {
                        self.query = query.to_string();
                    }
                }
            });
            let history = ctx.sql_history;
            ui.add_enabled_ui(!history.is_empty(), |ui| {
                ui.menu_button(format!("History ({})", history.len()), |ui| {
                    for q in history {
                        let line = q.split_whitespace().collect::<Vec<_>>().join(" ");
                        let mut short: String = line.chars().take(80).collect();
                        if short.len() < line.len() {
                            short.push_str("...");
                        }
                        if ui.button(short).on_hover_text(q).clicked() {
                            self.query = q.clone();
                        }
                    }
                });
            });
        });
        if run {
            self.start(ctx, engine.clone(), out);
        }
    }

    /// What the tables do not have yet: the strong tree and the finalizer
    /// report are still being computed.
    fn missing_ui(&self, ui: &mut egui::Ui) {
        let Some(key) = self.session.as_ref().map(|s| s.key) else {
            return;
        };
        let mut missing = Vec::new();
        if !key.trees[1] {
            missing.push("the strong dominator tree (retained_strong is empty)");
        }
        if !key.finalizers {
            missing.push("the finalizer report (finalizers has no rows)");
        }
        if !missing.is_empty() {
            ui.label(RichText::new(format!("Still computing {}.", missing.join(" and "))).weak());
        }
    }

    fn tables_ui(&mut self, ui: &mut egui::Ui, heap: &Heap) {
        ui.label(RichText::new("Tables").strong())
            .on_hover_text("Click a name to put it in the query");
        egui::ScrollArea::vertical()
            .id_salt("sql_tables_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for table in crate::sql::GLOBAL_TABLES {
                    self.table_ui(ui, table, table);
                }
                ui.add_space(6.0);
                ui.label(RichText::new("One table per class").strong())
                    .on_hover_text(
                        "Named by the Java name in double quotes; the instances of the class \
                         and its subclasses, with every instance field as a column. Listed: \
                         the classes with instances of their own.",
                    );
                let label = ui.label("Class:");
                ui.add(
                    egui::TextEdit::singleline(&mut self.class_filter)
                        .hint_text("part of a class name")
                        .desired_width(f32::INFINITY),
                )
                .labelled_by(label.id);
                let names = self.class_tables(heap);
                for (n, name) in names.iter().take(40) {
                    let quoted = format!("\"{name}\"");
                    self.table_ui(ui, name, &quoted)
                        .on_hover_text(format!("{} instances of its own", thousands(*n)));
                }
                if names.len() > 40 {
                    let more = format!("... and {} more; narrow the filter", names.len() - 40);
                    ui.label(RichText::new(more).weak());
                }
            });
    }

    /// The classes with instances whose name contains the filter, one per
    /// name (classes of other loaders join its table), the most instances
    /// first; computed again only when the filter changes.
    fn class_tables(&mut self, heap: &Heap) -> ClassTables {
        let session = self
            .session
            .as_mut()
            .expect("made before the tables are drawn");
        if let Some((filter, names)) = &session.classes
            && *filter == self.class_filter
        {
            return names.clone();
        }
        let needle = self.class_filter.to_lowercase();
        let counts = &heap.census().counts;
        let mut names: Vec<(u64, String)> = heap
            .classes()
            .iter()
            .filter_map(|(k, c)| {
                let n = counts.get(k as usize).map_or(0, |n| n.instances);
                (n > 0 && c.name.to_lowercase().contains(&needle)).then(|| (n, c.name.clone()))
            })
            .collect();
        names.sort_by(|a, b| a.1.cmp(&b.1));
        names.dedup_by(|a, b| {
            let same = a.1 == b.1;
            if same {
                b.0 += a.0;
            }
            same
        });
        names.sort_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
        let names: ClassTables = names.into();
        session.classes = Some((self.class_filter.clone(), names.clone()));
        names
    }

    /// A table's name (a click puts `sql` in the query) with its columns
    /// folded under it, read from the engine once.
    fn table_ui(&mut self, ui: &mut egui::Ui, table: &str, sql: &str) -> egui::Response {
        let id = ui.make_persistent_id(("sql_table", table));
        let mut picked = None;
        let session = self
            .session
            .as_mut()
            .expect("made before the tables are drawn");
        let (_, header, _) =
            egui::collapsing_header::CollapsingState::load_with_default_open(ui.ctx(), id, false)
                .show_header(ui, |ui| {
                    let name = egui::Label::new(RichText::new(table).monospace())
                        .sense(egui::Sense::click())
                        .truncate();
                    ui.add(name)
                })
                .body(|ui| {
                    let engine = &session.engine;
                    let columns = session
                        .columns
                        .entry(table.to_string())
                        .or_insert_with(|| engine.columns(table).unwrap_or_default());
                    for (name, ty) in columns.iter() {
                        ui.horizontal(|ui| {
                            let label = egui::Label::new(RichText::new(name).monospace())
                                .sense(egui::Sense::click());
                            if ui.add(label).clicked() {
                                picked = Some(quoted(name));
                            }
                            ui.label(RichText::new(ty).weak());
                        });
                    }
                });
        if header.inner.clicked() {
            picked = Some(sql.to_string());
        }
        if let Some(text) = picked {
            self.insert(&text);
        }
        header.inner
    }

    /// Adds `text` to the end of the query, or a whole query on `text`
    /// when the editor is empty.
    fn insert(&mut self, text: &str) {
        if self.query.trim().is_empty() {
            self.query = format!("SELECT *\nFROM {text}\nLIMIT 100");
        } else {
            if !self.query.ends_with(char::is_whitespace) {
                self.query.push(' ');
            }
            self.query.push_str(text);
        }
    }

    fn answer_ui(
        &mut self,
        ui: &mut egui::Ui,
        ctx: &ViewContext,
        heap: &Heap,
        out: &mut Vec<Command>,
    ) {
        let Some(run) = &self.run else {
            ui.label(
                RichText::new(
                    "Run a query or pick an example. Object ids in the answer are links: \
                     click to select, double-click to inspect, right-click for more.",
                )
                .weak(),
            );
            return;
        };
        if run.task.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!(
                    "Running... {:.1} s",
                    run.started.elapsed().as_secs_f64()
                ));
            });
            ui.ctx()
                .request_repaint_after(std::time::Duration::from_millis(250));
            return;
        }
        match &run.outcome {
            None => {
                ui.colored_label(
                    ui.visuals().error_fg_color,
                    "The query stopped without an answer.",
                );
            }
            Some(Outcome::Failed(e)) => {
                let color = ui.visuals().error_fg_color;
                if e.cancelled {
                    ui.colored_label(ui.visuals().warn_fg_color, "Cancelled.");
                } else {
                    ui.colored_label(color, "The query failed:");
                    ui.label(
                        RichText::new(e.explain(&run.query))
                            .monospace()
                            .color(color),
                    );
                }
            }
            Some(Outcome::Answer {
                columns,
                numeric,
                cells,
                rows,
                secs,
            }) => {
                let shown = if (cells.len() as u64) < *rows {
                    format!(", the first {} shown", thousands(cells.len() as u64))
                } else {
                    String::new()
                };
                ui.label(
                    RichText::new(format!(
                        "{}{shown} ({secs:.2} s)",
                        crate::units::count_of(*rows, "row")
                    ))
                    .weak(),
                );
                answer_table(ui, ctx, heap, run.serial, columns, numeric, cells, out);
            }
        }
    }
}

/// A column name as SQL takes it: in double quotes unless it is a plain
/// lower-case word that is not a keyword (`limit`, `position`).
fn quoted(name: &str) -> String {
    let plain = name
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        && !name.starts_with(|c: char| c.is_ascii_digit())
        && !datafusion::sql::sqlparser::keywords::ALL_KEYWORDS
            .contains(&name.to_ascii_uppercase().as_str());
    if plain {
        name.to_string()
    } else {
        format!("\"{name}\"")
    }
}

/// The answer's rows; `serial` gives each answer's table its own column
/// widths (egui keeps a table's widths by its id).
#[allow(clippy::too_many_arguments)]
fn answer_table(
    ui: &mut egui::Ui,
    ctx: &ViewContext,
    heap: &Heap,
    serial: u64,
    columns: &[String],
    numeric: &[bool],
    cells: &[Vec<Cell>],
    out: &mut Vec<Command>,
) {
    if columns.is_empty() {
        return;
    }
    table_area(ui, "sql_answer", |ui, row_height| {
        egui::ScrollArea::horizontal()
            .id_salt("sql_answer_wide")
            .show(ui, |ui| {
                let widths = widths(ui, columns, numeric, cells);
                let mut table = TableBuilder::new(ui)
                    .id_salt(("sql_answer", serial))
                    .striped(true)
                    .resizable(true);
                for w in widths {
                    table = table.column(Column::initial(w).at_least(40.0).clip(true));
                }
                table
                    .header(row_height + 4.0, |mut header| {
                        for c in columns {
                            header.col(|ui| {
                                ui.strong(c);
                            });
                        }
                    })
                    .body(|body| {
                        // The rows of the object selected (clicked here or elsewhere).
                        let selected = ctx.doc.selection().map(|o| heap.id(o.0));
                        body.rows(row_height, cells.len(), |mut row| {
                            let r = &cells[row.index()];
                            row.set_selected(
                                selected.is_some() && r.iter().any(|c| c.object == selected),
                            );
                            for (cell, &numeric) in r.iter().zip(numeric) {
                                row.col(|ui| cell_ui(ui, ctx.dump(), heap, cell, numeric, out));
                            }
                        });
                    });
            });
    });
}

/// Each column's first width: its header's or its longest value's among
/// the first rows, within 60 and 420 points; text columns give up width
/// so that the table fits when it can (ids and numbers stay whole).
fn widths(ui: &egui::Ui, columns: &[String], numeric: &[bool], cells: &[Vec<Cell>]) -> Vec<f32> {
    let font = egui::TextStyle::Body.resolve(ui.style());
    let char_width = ui.ctx().fonts_mut(|f| f.glyph_width(&font, '0'));
    let mut widths: Vec<f32> = (0..columns.len())
        .map(|c| {
            let longest = cells
                .iter()
                .take(200)
                .filter_map(|r| r.get(c))
                .map(|cell| cell.text.chars().count())
                .chain([columns[c].chars().count() + 2])
                .max()
                .unwrap_or(0);
            (longest as f32 * char_width + 12.0).clamp(60.0, 420.0)
        })
        .collect();
    let spacing = ui.spacing().item_spacing.x * columns.len() as f32;
    let excess = widths.iter().sum::<f32>() + spacing - ui.available_width();
    let text: Vec<bool> = (0..columns.len())
        .map(|c| {
            let ids = cells
                .iter()
                .take(200)
                .any(|r| r.get(c).is_some_and(|x| x.object.is_some()));
            !numeric.get(c).copied().unwrap_or(false) && !ids
        })
        .collect();
    let give: f32 = (0..columns.len())
        .filter(|&c| text[c])
        .map(|c| widths[c] - 60.0)
        .sum();
    if excess > 0.0 && give > 0.0 {
        let f = (excess / give).min(1.0);
        for (w, _) in widths.iter_mut().zip(&text).filter(|(_, t)| **t) {
            *w -= (*w - 60.0) * f;
        }
    }
    widths
}

fn cell_ui(
    ui: &mut egui::Ui,
    dump: DumpId,
    heap: &Heap,
    cell: &Cell,
    numeric: bool,
    out: &mut Vec<Command>,
) {
    if let Some(o) = cell.object.and_then(|id| heap.find(id)) {
        object_link_as(ui, heap, dump, ObjectIx(o), cell.text.clone(), out);
    } else if numeric {
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            // Clear of the table's scroll bar when it is the last column.
            ui.add_space(6.0);
            ui.label(&cell.text);
        });
    } else {
        cell_text(ui, &cell.text);
    }
}

//! SQL over the heap, on Apache DataFusion.
//!
//! The tables ([`tables`]) read the model in place, batch by batch:
//! `objects`, `classes`, `refs`, `roots`, `threads`, `strings`,
//! `finalizers`, and one table per class named by its Java name
//! (`"java.util.HashMap"`) with every instance field as a column, the
//! instances of its subclasses included. The functions ([`functions`]):
//! `str(id)`, `class_of(id)`, `path_to_root(id)`, `hex(id)`.
//!
//! Ids in the tables are HPROF ids (`u64`); the answers print them in hex
//! like every other report.

pub mod functions;
pub mod tables;

use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use datafusion::arrow::array::{Array, RecordBatch};
use datafusion::arrow::datatypes::{DataType, SchemaRef};
use datafusion::arrow::util::display::{ArrayFormatter, FormatOptions};
use datafusion::common::{DataFusionError, ScalarValue};
use datafusion::dataframe::DataFrameWriteOptions;
use datafusion::prelude::{SessionConfig, SessionContext};
use futures::StreamExt;

use crate::analysis::dominators::Dominators;
use crate::analysis::finalizers::FinalizerReport;
use crate::heap::Heap;
use crate::index::Model;
use crate::progress::Progress;
use crate::units::hex_id;

pub use tables::{GLOBAL_TABLES, OBJECT_ID};

/// What the tables read: the heap, and the analyses when they exist (a
/// column that needs a missing one is null).
pub trait HeapModel: Send + Sync + 'static {
    fn heap(&self) -> &Heap;
    /// The dominator tree over all references, or over strong ones.
    fn dominators(&self, strong: bool) -> Option<&Dominators>;
    /// Retained bytes per class index, of that tree.
    fn class_retained(&self, strong: bool) -> Option<&[u64]>;
    fn finalizers(&self) -> Option<&FinalizerReport>;
}

impl HeapModel for Model {
    fn heap(&self) -> &Heap {
        &self.heap
    }
    fn dominators(&self, strong: bool) -> Option<&Dominators> {
        Some(&self.doms[usize::from(strong)])
    }
    fn class_retained(&self, strong: bool) -> Option<&[u64]> {
        Some(&self.class_retained[usize::from(strong)])
    }
    fn finalizers(&self) -> Option<&FinalizerReport> {
        Some(&self.finalizers)
    }
}

/// A query that failed: DataFusion's message, and where in the query
/// when it tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SqlError {
    pub message: String,
    /// 1-based line and column in the query.
    pub position: Option<(u64, u64)>,
    pub cancelled: bool,
}

impl SqlError {
    fn new(e: DataFusionError) -> SqlError {
        let span = e.diagnostic().and_then(|d| d.span);
        let message = e.strip_backtrace();
        let position = span
            .map(|s| (s.start.line, s.start.column))
            .or_else(|| position_in(&message))
            .filter(|&(l, c)| l > 0 && c > 0);
        SqlError {
            message,
            position,
            cancelled: false,
        }
    }

    fn cancelled() -> SqlError {
        SqlError {
            message: "the query was cancelled".to_string(),
            position: None,
            cancelled: true,
        }
    }

    /// The message with the query's line and a caret under the position.
    pub fn explain(&self, query: &str) -> String {
        let Some((line, column)) = self.position else {
            return self.to_string();
        };
        let text = query
            .lines()
            .nth(line.saturating_sub(1) as usize)
            .unwrap_or("");
        let pad = " ".repeat(column.saturating_sub(1) as usize);
        format!("{self}\n  {text}\n  {pad}^")
    }
}

/// The "at Line: 1, Column: 8" that the SQL parser writes.
fn position_in(message: &str) -> Option<(u64, u64)> {
    let at = message.rfind("Line: ")?;
    let rest = &message[at + 6..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

impl fmt::Display for SqlError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.position {
            Some((l, c)) => write!(f, "SQL error at line {l}, column {c}: {}", self.message),
            None if self.cancelled => f.write_str(&self.message),
            None => write!(f, "SQL error: {}", self.message),
        }
    }
}

/// Whether to go on reading a query's rows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    More,
    Stop,
}

/// A SQL session over one heap.
pub struct Engine {
    ctx: SessionContext,
    /// Always there; taken only to shut it down without blocking when the
    /// engine is dropped (perhaps inside another runtime, as the MCP
    /// server's).
    runtime: Option<tokio::runtime::Runtime>,
    model: Arc<dyn HeapModel>,
}

impl Drop for Engine {
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}

impl Engine {
    pub fn new(model: Arc<dyn HeapModel>) -> Engine {
        let mut config = SessionConfig::new()
            .with_information_schema(true)
            .with_default_catalog_and_schema("heap", "public");
        config.options_mut().sql_parser.collect_spans = true;
        let ctx = SessionContext::new_with_config(config);
        let catalog = datafusion::catalog::MemoryCatalogProvider::new();
        use datafusion::catalog::CatalogProvider;
        catalog
            .register_schema(
                "public",
                Arc::new(tables::HeapSchema {
                    model: model.clone(),
                }),
            )
            .expect("a memory catalog takes a schema");
        ctx.register_catalog("heap", Arc::new(catalog));
        for f in functions::all(&model) {
            ctx.register_udf(f);
        }
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .thread_name("heapscope-sql")
            .build()
            .expect("a tokio runtime starts");
        Engine {
            ctx,
            runtime: Some(runtime),
            model,
        }
    }

    fn runtime(&self) -> &tokio::runtime::Runtime {
        self.runtime
            .as_ref()
            .expect("the runtime lives as long as the engine")
    }

    pub fn model(&self) -> &Arc<dyn HeapModel> {
        &self.model
    }

    /// Runs `query`, handing each batch of its answer to `each` as it
    /// comes; stops early when `each` says so, with an error once `cancel`
    /// is cancelled. Returns the answer's schema.
    ///
    /// The query runs as a task of the engine's runtime and sends its
    /// batches here; this thread checks `cancel` between them, every few
    /// milliseconds, with no tokio timer: operators that do not yield can
    /// keep every worker busy, and a timer would then never fire.
    pub fn run(
        &self,
        query: &str,
        cancel: &Progress,
        each: &mut dyn FnMut(&RecordBatch) -> Flow,
    ) -> Result<SchemaRef, SqlError> {
        enum Message {
            Schema(SchemaRef),
            Batch(RecordBatch),
        }
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        let (ctx, query) = (self.ctx.clone(), query.to_string());
        let task = self.runtime().spawn(async move {
            let frame = ctx.sql(&query).await.map_err(SqlError::new)?;
            let schema: SchemaRef = Arc::new(frame.schema().as_arrow().clone());
            let mut stream = frame.execute_stream().await.map_err(SqlError::new)?;
            // A closed channel: the caller stopped reading.
            if tx.send(Message::Schema(schema)).await.is_ok() {
                while let Some(batch) = stream.next().await {
                    let batch = batch.map_err(SqlError::new)?;
                    if tx.send(Message::Batch(batch)).await.is_err() {
                        break;
                    }
                }
            }
            Ok(())
        });
        let mut schema = None;
        loop {
            if cancel.is_cancelled() {
                task.abort();
                return Err(SqlError::cancelled());
            }
            match rx.try_recv() {
                Ok(Message::Schema(s)) => schema = Some(s),
                Ok(Message::Batch(b)) => {
                    if each(&b) == Flow::Stop {
                        task.abort();
                        break;
                    }
                }
                Err(tokio::sync::mpsc::error::TryRecvError::Empty) => {
                    std::thread::sleep(Duration::from_millis(2))
                }
                // The task ended, every message taken.
                Err(tokio::sync::mpsc::error::TryRecvError::Disconnected) => {
                    self.join(task)?;
                    break;
                }
            }
        }
        Ok(schema.expect("the schema comes before any batch and before a clean end"))
    }

    /// The result of a task of the engine that has ended (or ends soon).
    fn join<T>(&self, task: tokio::task::JoinHandle<Result<T, SqlError>>) -> Result<T, SqlError> {
        self.runtime().block_on(task).unwrap_or_else(|e| {
            Err(SqlError {
                message: format!("the query failed inside the engine: {e}"),
                position: None,
                cancelled: false,
            })
        })
    }

    /// Runs `query` and keeps the first `max_rows` rows of its answer,
    /// counting the rest.
    pub fn answer(
        &self,
        query: &str,
        max_rows: usize,
        cancel: &Progress,
    ) -> Result<Answer, SqlError> {
        let start = Instant::now();
        let mut batches = Vec::new();
        let (mut kept, mut rows) = (0usize, 0u64);
        let schema = self.run(query, cancel, &mut |b| {
            rows += b.num_rows() as u64;
            if kept < max_rows {
                let take = b.num_rows().min(max_rows - kept);
                batches.push(b.slice(0, take));
                kept += take;
            }
            Flow::More
        })?;
        Ok(Answer {
            schema,
            batches,
            rows,
            elapsed: start.elapsed(),
        })
    }

    /// Writes the whole answer of `query` to `out` as it comes, as CSV
    /// (with a header) or JSON ([`Answer::json`]'s shape, all rows);
    /// returns the rows written. A closed `out` (`| head`) ends it quietly.
    pub fn write(
        &self,
        query: &str,
        csv: bool,
        out: &mut dyn std::io::Write,
        cancel: &Progress,
    ) -> Result<u64, SqlError> {
        let mut rows = 0u64;
        let mut open = true;
        let mut first = true;
        let schema = self.run(query, cancel, &mut |b| {
            let schema = b.schema();
            let mut text = String::new();
            if first {
                first = false;
                text.push_str(&preamble(&schema, csv));
            }
            let columns: Vec<ColumnCells> = (0..b.num_columns())
                .map(|c| ColumnCells::new(b, c, &schema))
                .collect();
            for r in 0..b.num_rows() {
                if csv {
                    let row: Vec<String> =
                        columns.iter().map(|c| csv_field(&c.cell(r).text)).collect();
                    text.push_str(&row.join(","));
                    text.push('\n');
                } else {
                    if rows > 0 {
                        text.push(',');
                    }
                    let row: Vec<serde_json::Value> = (0..b.num_columns())
                        .map(|c| {
                            json_value(b.column(c).as_ref(), r, is_object_column(schema.field(c)))
                        })
                        .collect();
                    text.push_str(&serde_json::Value::Array(row).to_string());
                }
                rows += 1;
            }
            open = out.write_all(text.as_bytes()).is_ok();
            if open { Flow::More } else { Flow::Stop }
        })?;
        if open {
            // No batch came: the header (or the JSON's start) still goes out.
            let mut end = if first {
                preamble(&schema, csv)
            } else {
                String::new()
            };
            if !csv {
                end.push_str(&format!("],\"rows_total\":{rows},\"truncated\":false}}\n"));
            }
            let _ = out.write_all(end.as_bytes());
            let _ = out.flush();
        }
        Ok(rows)
    }

    /// Cancels `progress` on Ctrl+C (for the command line).
    pub fn cancel_on_ctrl_c(&self, progress: &Progress) {
        let p = progress.sharing_cancel();
        self.runtime().spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                p.cancel();
            }
        });
    }

    /// The columns of a table and their types, as Arrow names them
    /// ("object id" for ids).
    pub fn columns(&self, table: &str) -> Option<Vec<(String, String)>> {
        let t = tables::HeapTable::named(&self.model, table)?;
        use datafusion::catalog::TableProvider;
        Some(
            t.schema()
                .fields()
                .iter()
                .map(|f| (f.name().clone(), column_type(f)))
                .collect(),
        )
    }

    /// The tables: the global ones, then one per class with instances.
    pub fn table_names(&self) -> Vec<String> {
        use datafusion::catalog::SchemaProvider;
        tables::HeapSchema {
            model: self.model.clone(),
        }
        .table_names()
    }

    /// Writes each global table to `dir/TABLE.parquet` (zstd); returns the
    /// files with their rows.
    pub fn export_parquet(
        &self,
        dir: &Path,
        cancel: &Progress,
    ) -> Result<Vec<(PathBuf, u64)>, SqlError> {
        std::fs::create_dir_all(dir).map_err(|e| SqlError {
            message: format!("cannot create {}: {e}", dir.display()),
            position: None,
            cancelled: false,
        })?;
        let mut written = Vec::new();
        for table in GLOBAL_TABLES {
            let path = dir.join(format!("{table}.parquet"));
            let (ctx, file) = (self.ctx.clone(), path.to_string_lossy().into_owned());
            let task = self.runtime().spawn(async move {
                let write = async {
                    let frame = ctx.table(table).await?;
                    let options = DataFrameWriteOptions::new().with_single_file_output(true);
                    let counts = frame.write_parquet(&file, options, None).await?;
                    Ok::<u64, DataFusionError>(counts.iter().map(written_rows).sum())
                };
                write.await.map_err(SqlError::new)
            });
            // Checked without a tokio timer, as in `run`.
            while !task.is_finished() {
                if cancel.is_cancelled() {
                    task.abort();
                    return Err(SqlError::cancelled());
                }
                std::thread::sleep(Duration::from_millis(5));
            }
            let rows = self.join(task)?;
            written.push((path, rows));
        }
        Ok(written)
    }
}

/// The rows a write reports in its `count` column.
fn written_rows(batch: &RecordBatch) -> u64 {
    use datafusion::arrow::array::AsArray;
    use datafusion::arrow::datatypes::UInt64Type;
    batch
        .columns()
        .first()
        .and_then(|c| c.as_primitive_opt::<UInt64Type>())
        .map_or(0, |c| c.iter().flatten().sum())
}

/// What [`Engine::write`] puts before the rows: the CSV header line, or
/// the JSON's columns and the opening of its rows.
fn preamble(schema: &SchemaRef, csv: bool) -> String {
    if csv {
        let header: Vec<String> = schema
            .fields()
            .iter()
            .map(|f| csv_field(f.name()))
            .collect();
        header.join(",") + "\n"
    } else {
        format!("{{\"columns\":{},\"rows\":[", columns_json(schema))
    }
}

/// A column's type for people: "object id" for ids, else [`type_name`].
fn column_type(f: &datafusion::arrow::datatypes::Field) -> String {
    if is_object_column(f) {
        "object id".to_string()
    } else {
        type_name(f.data_type())
    }
}

/// A type for people: `UInt64`, `Utf8`, a class name column as `Utf8`.
fn type_name(t: &DataType) -> String {
    match t {
        DataType::Dictionary(_, v) => type_name(v),
        t => t.to_string(),
    }
}

/// The first rows of an answer, and how many it has.
pub struct Answer {
    pub schema: SchemaRef,
    /// At most the rows asked for.
    pub batches: Vec<RecordBatch>,
    /// All rows of the answer.
    pub rows: u64,
    pub elapsed: Duration,
}

/// One value of an answer for people.
#[derive(Clone, Debug, PartialEq)]
pub struct Cell {
    pub text: String,
    /// The object id, in a column of object ids.
    pub object: Option<u64>,
}

impl Answer {
    pub fn kept(&self) -> usize {
        self.batches.iter().map(RecordBatch::num_rows).sum()
    }

    pub fn column_names(&self) -> Vec<String> {
        self.schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The kept rows, each value as text (ids in hex, null empty).
    pub fn cells(&self) -> Vec<Vec<Cell>> {
        let mut out = Vec::with_capacity(self.kept());
        for b in &self.batches {
            let columns: Vec<ColumnCells> = (0..b.num_columns())
                .map(|c| ColumnCells::new(b, c, &self.schema))
                .collect();
            for r in 0..b.num_rows() {
                out.push(columns.iter().map(|c| c.cell(r)).collect());
            }
        }
        out
    }

    /// The answer as a text table under a rule, with the row count after it.
    pub fn text(&self) -> String {
        let names = self.column_names();
        let header: Vec<&str> = names.iter().map(String::as_str).collect();
        let mut rows: Vec<Vec<String>> = self
            .cells()
            .into_iter()
            .map(|row| row.into_iter().map(|c| c.text).collect())
            .collect();
        let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
        for row in &rows {
            for (w, c) in widths.iter_mut().zip(row) {
                *w = (*w).max(c.chars().count());
            }
        }
        rows.insert(0, widths.iter().map(|w| "-".repeat(*w)).collect());
        let numeric: Vec<bool> = self
            .schema
            .fields()
            .iter()
            .map(|f| f.data_type().is_numeric() && !is_object_column(f))
            .collect();
        let mut out = crate::report::table(&header, &numeric, &rows);
        out.push_str(&self.count_line());
        out
    }

    /// "3 rows", or "100 of 45,012 rows shown".
    pub fn count_line(&self) -> String {
        let kept = self.kept() as u64;
        let rows = crate::units::thousands(self.rows);
        let noun = if self.rows == 1 { "row" } else { "rows" };
        if kept < self.rows {
            format!(
                "{} of {rows} {noun} shown ({:.2} s)\n",
                crate::units::thousands(kept),
                self.elapsed.as_secs_f64()
            )
        } else {
            format!("{rows} {noun} ({:.2} s)\n", self.elapsed.as_secs_f64())
        }
    }

    /// `{"columns": [{"name", "type"}], "rows": [[...]], "rows_total",
    /// "truncated"}`; ids as hex text like the other reports.
    pub fn json(&self) -> serde_json::Value {
        let columns = columns_json(&self.schema);
        let mut rows = Vec::with_capacity(self.kept());
        for b in &self.batches {
            for r in 0..b.num_rows() {
                let row: Vec<serde_json::Value> = (0..b.num_columns())
                    .map(|c| {
                        json_value(
                            b.column(c).as_ref(),
                            r,
                            is_object_column(self.schema.field(c)),
                        )
                    })
                    .collect();
                rows.push(serde_json::Value::Array(row));
            }
        }
        serde_json::json!({
            "columns": columns,
            "rows": rows,
            "rows_total": self.rows,
            "truncated": (self.kept() as u64) < self.rows,
        })
    }
}

/// `[{"name", "type"}]` of an answer's columns; id columns are of type
/// "object id".
fn columns_json(schema: &SchemaRef) -> serde_json::Value {
    schema
        .fields()
        .iter()
        .map(|f| serde_json::json!({"name": f.name(), "type": column_type(f)}))
        .collect()
}

/// Whether a column holds object ids (a table's id columns, as selected).
pub fn is_object_column(f: &datafusion::arrow::datatypes::Field) -> bool {
    f.metadata().contains_key(OBJECT_ID) && f.data_type() == &DataType::UInt64
}

/// Text of the values of one column of a batch.
struct ColumnCells<'a> {
    array: &'a dyn Array,
    ids: Option<&'a datafusion::arrow::array::UInt64Array>,
    formatter: Option<ArrayFormatter<'a>>,
}

impl<'a> ColumnCells<'a> {
    fn new(b: &'a RecordBatch, c: usize, schema: &SchemaRef) -> ColumnCells<'a> {
        use datafusion::arrow::array::AsArray;
        let array = b.column(c).as_ref();
        let ids = is_object_column(schema.field(c))
            .then(|| array.as_primitive_opt::<datafusion::arrow::datatypes::UInt64Type>())
            .flatten();
        let formatter = ArrayFormatter::try_new(array, &FormatOptions::default()).ok();
        ColumnCells {
            array,
            ids,
            formatter,
        }
    }

    fn cell(&self, r: usize) -> Cell {
        if self.array.is_null(r) {
            return Cell {
                text: String::new(),
                object: None,
            };
        }
        if let Some(ids) = self.ids {
            let id = ids.value(r);
            return Cell {
                text: hex_id(id),
                object: Some(id),
            };
        }
        Cell {
            text: self
                .formatter
                .as_ref()
                .map(|f| f.value(r).to_string())
                .unwrap_or_default(),
            object: None,
        }
    }
}

/// A value as JSON: numbers, text, booleans, null; ids as hex text.
fn json_value(array: &dyn Array, r: usize, object: bool) -> serde_json::Value {
    use serde_json::Value as J;
    if array.is_null(r) {
        return J::Null;
    }
    let Ok(v) = ScalarValue::try_from_array(array, r) else {
        return J::Null;
    };
    match v {
        ScalarValue::UInt64(Some(id)) if object => J::String(hex_id(id)),
        ScalarValue::Boolean(Some(b)) => J::Bool(b),
        ScalarValue::Int8(Some(x)) => x.into(),
        ScalarValue::Int16(Some(x)) => x.into(),
        ScalarValue::Int32(Some(x)) => x.into(),
        ScalarValue::Int64(Some(x)) => x.into(),
        ScalarValue::UInt8(Some(x)) => x.into(),
        ScalarValue::UInt16(Some(x)) => x.into(),
        ScalarValue::UInt32(Some(x)) => x.into(),
        ScalarValue::UInt64(Some(x)) => x.into(),
        ScalarValue::Float32(Some(x)) => {
            serde_json::Number::from_f64(x as f64).map_or(J::Null, J::Number)
        }
        ScalarValue::Float64(Some(x)) => serde_json::Number::from_f64(x).map_or(J::Null, J::Number),
        ScalarValue::Dictionary(_, inner) => json_value(
            &inner.to_array().expect("a scalar makes an array"),
            0,
            false,
        ),
        other => J::String(other.to_string()),
    }
}

/// CSV text of one value (RFC 4180 quoting).
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_positions_are_read_from_messages() {
        assert_eq!(
            position_in(
                "sql parser error: Expected: end of statement, found: x at Line: 2, Column: 15"
            ),
            Some((2, 15))
        );
        assert_eq!(position_in("no position"), None);
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        assert_eq!(csv_field("a,b"), "\"a,b\"");
        assert_eq!(csv_field("say \"x\""), "\"say \"\"x\"\"\"");
        assert_eq!(csv_field("plain"), "plain");
    }
}

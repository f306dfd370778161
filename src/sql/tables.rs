//! The tables of the heap, read from the model in place: each scan makes
//! its batches one at a time from the model's arrays (and the dump's bytes
//! for fields and strings), so a query's memory is its batches and its
//! operators' state, never a copy of the heap.

use std::fmt;
use std::ops::Range;
use std::sync::Arc;

use async_trait::async_trait;
use datafusion::arrow::array::{
    ArrayRef, BooleanBuilder, DictionaryArray, Float32Builder, Float64Builder, Int8Builder,
    Int16Builder, Int32Builder, Int64Builder, RecordBatch, RecordBatchOptions, StringArray,
    StringBuilder, UInt32Array, UInt64Builder,
};
use datafusion::arrow::datatypes::{DataType, Field, Schema, SchemaRef, UInt32Type};
use datafusion::catalog::{SchemaProvider, Session, TableProvider};
use datafusion::common::{DataFusionError, Result};
use datafusion::datasource::TableType;
use datafusion::execution::{SendableRecordBatchStream, TaskContext};
use datafusion::logical_expr::Expr;
use datafusion::physical_plan::ExecutionPlan;
use datafusion::physical_plan::stream::RecordBatchStreamAdapter;
use datafusion::physical_plan::streaming::{PartitionStream, StreamingTableExec};

use super::HeapModel;
use crate::analysis::dominators::{Dominators, Idom};
use crate::hprof::{BasicType, Value};

/// The tables that are not per class, in the order they are listed.
pub const GLOBAL_TABLES: [&str; 7] = [
    "objects",
    "classes",
    "refs",
    "roots",
    "threads",
    "strings",
    "finalizers",
];

/// Field metadata marking a column of object ids (the window links them).
pub const OBJECT_ID: &str = "heapscope.object";

fn id_field(name: &str, nullable: bool) -> Field {
    Field::new(name, DataType::UInt64, nullable).with_metadata(
        [(OBJECT_ID.to_string(), "true".to_string())]
            .into_iter()
            .collect(),
    )
}

fn class_name_type() -> DataType {
    DataType::Dictionary(Box::new(DataType::UInt32), Box::new(DataType::Utf8))
}

/// What a table's rows are.
#[derive(Clone, Debug)]
enum Kind {
    Objects,
    Classes,
    Refs,
    Roots,
    Threads,
    Strings,
    Finalizers,
    /// Instances of these classes (a class and its subclasses), with the
    /// fields of the first as columns.
    Instances(Arc<ClassColumns>),
}

/// The columns of a class table: its instance fields, inherited ones too,
/// as offsets into the last `block` bytes of an instance's values (an
/// instance of a subclass has its own fields first).
#[derive(Debug)]
struct ClassColumns {
    classes: Vec<bool>,
    array: bool,
    block: usize,
    fields: Vec<(usize, BasicType)>,
}

/// One table of the heap.
pub struct HeapTable {
    model: Arc<dyn HeapModel>,
    kind: Kind,
    schema: SchemaRef,
}

impl fmt::Debug for HeapTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HeapTable({:?})", self.kind)
    }
}

impl HeapTable {
    /// The table called `name`: a global one, or a class by its Java name.
    pub fn named(model: &Arc<dyn HeapModel>, name: &str) -> Option<HeapTable> {
        let (kind, fields) = match name {
            "objects" => (
                Kind::Objects,
                vec![
                    id_field("id", false),
                    Field::new("class", class_name_type(), false),
                    Field::new("shallow", DataType::UInt64, false),
                    Field::new("retained", DataType::UInt64, true),
                    Field::new("retained_strong", DataType::UInt64, true),
                    id_field("dominator", true),
                    Field::new("reachable", DataType::Boolean, true),
                ],
            ),
            "classes" => (
                Kind::Classes,
                vec![
                    id_field("id", true),
                    Field::new("name", DataType::Utf8, false),
                    id_field("loader", true),
                    Field::new("superclass", DataType::Utf8, true),
                    Field::new("instances", DataType::UInt64, false),
                    Field::new("shallow", DataType::UInt64, false),
                    Field::new("retained", DataType::UInt64, true),
                    Field::new("retained_strong", DataType::UInt64, true),
                ],
            ),
            "refs" => (
                Kind::Refs,
                vec![
                    id_field("src", false),
                    id_field("dst", false),
                    Field::new("field", DataType::Utf8, false),
                ],
            ),
            "roots" => (
                Kind::Roots,
                vec![
                    id_field("id", false),
                    Field::new("kind", DataType::Utf8, false),
                    id_field("thread", true),
                    Field::new("thread_name", DataType::Utf8, true),
                    Field::new("frame", DataType::Utf8, true),
                ],
            ),
            "threads" => (
                Kind::Threads,
                vec![
                    id_field("id", true),
                    Field::new("name", DataType::Utf8, true),
                    Field::new("daemon", DataType::Boolean, true),
                    Field::new("state", DataType::Utf8, true),
                    Field::new("frames", DataType::UInt64, false),
                    Field::new("retained", DataType::UInt64, true),
                    Field::new("held", DataType::UInt64, false),
                    Field::new("held_retained", DataType::UInt64, true),
                    Field::new("thread_locals", DataType::UInt64, false),
                    Field::new("thread_locals_retained", DataType::UInt64, true),
                ],
            ),
            "strings" => (
                Kind::Strings,
                vec![
                    id_field("id", false),
                    Field::new("value", DataType::Utf8, true),
                ],
            ),
            "finalizers" => (
                Kind::Finalizers,
                vec![
                    id_field("finalizer", false),
                    id_field("referent", true),
                    Field::new("state", DataType::Utf8, false),
                ],
            ),
            _ => return Self::class_table(model, name),
        };
        Some(HeapTable {
            model: model.clone(),
            kind,
            schema: Arc::new(Schema::new(fields)),
        })
    }

    fn class_table(model: &Arc<dyn HeapModel>, name: &str) -> Option<HeapTable> {
        let heap = model.heap();
        let table = heap.classes();
        let first = table.find(name)?;
        let class = table.get(first);
        let array = name.ends_with("[]");
        let mut fields = vec![
            id_field("id", false),
            Field::new("class", class_name_type(), false),
            Field::new("shallow", DataType::UInt64, false),
            Field::new("retained", DataType::UInt64, true),
        ];
        let mut layout = Vec::new();
        let mut at = 0usize;
        let id_size = heap.id_size();
        if array {
            fields.push(Field::new("length", DataType::UInt64, false));
        } else {
            // Names taken by the built-in columns or a nearer field get
            // their declaring class's simple name: "LinkedList$Node.next".
            let mut taken: Vec<String> = fields.iter().map(|f| f.name().clone()).collect();
            for (_, c) in table.ancestors(first) {
                let simple = c.name.rsplit('.').next().unwrap_or(&c.name);
                for f in &c.fields {
                    let column = if taken.contains(&f.name) {
                        format!("{simple}.{}", f.name)
                    } else {
                        f.name.clone()
                    };
                    let field = match f.ty {
                        BasicType::Object => id_field(&column, true),
                        ty => Field::new(&column, primitive_type(ty), true),
                    };
                    taken.push(column);
                    fields.push(field);
                    layout.push((at, f.ty));
                    at += f.ty.size(id_size) as usize;
                }
            }
        }
        // Every class called `name` (one per loader) with the same fields,
        // and their subclasses.
        let signature = |c: u32| -> Vec<(String, BasicType)> {
            table
                .ancestors(c)
                .flat_map(|(_, k)| k.fields.iter().map(|f| (f.name.clone(), f.ty)))
                .collect()
        };
        let wanted = signature(first);
        let same: Vec<u32> = table
            .iter()
            .filter(|(c, k)| k.name == name && (*c == first || signature(*c) == wanted))
            .map(|(c, _)| c)
            .collect();
        let classes = (0..table.len() as u32)
            .map(|c| same.iter().any(|&s| table.is_subclass(c, s)))
            .collect();
        let columns = ClassColumns {
            classes,
            array,
            block: class.value_bytes as usize,
            fields: layout,
        };
        Some(HeapTable {
            model: model.clone(),
            kind: Kind::Instances(Arc::new(columns)),
            schema: Arc::new(Schema::new(fields)),
        })
    }
}

fn primitive_type(ty: BasicType) -> DataType {
    match ty {
        BasicType::Boolean => DataType::Boolean,
        BasicType::Byte => DataType::Int8,
        BasicType::Char => DataType::Utf8,
        BasicType::Short => DataType::Int16,
        BasicType::Int => DataType::Int32,
        BasicType::Long => DataType::Int64,
        BasicType::Float => DataType::Float32,
        BasicType::Double => DataType::Float64,
        BasicType::Object => DataType::UInt64,
    }
}

#[async_trait]
impl TableProvider for HeapTable {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }

    fn table_type(&self) -> TableType {
        TableType::Base
    }

    async fn scan(
        &self,
        state: &dyn Session,
        projection: Option<&Vec<usize>>,
        _filters: &[Expr],
        limit: Option<usize>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let columns: Vec<usize> = match projection {
            Some(p) => p.clone(),
            None => (0..self.schema.fields().len()).collect(),
        };
        let schema = Arc::new(self.schema.project(&columns)?);
        let rows = Arc::new(Rows::new(self.model.clone(), self.kind.clone()));
        let batch = state.config().batch_size().max(1);
        let parts = state.config().target_partitions().max(1);
        let n = rows.len();
        let step = n.div_ceil(parts).max(1);
        let partitions = (0..parts)
            .map(|k| (k * step).min(n)..((k + 1) * step).min(n))
            .filter(|r| !r.is_empty() || n == 0)
            .take(parts)
            .map(|range| {
                Arc::new(Part {
                    schema: schema.clone(),
                    rows: rows.clone(),
                    columns: columns.clone(),
                    range,
                    batch,
                }) as Arc<dyn PartitionStream>
            })
            .collect::<Vec<_>>();
        let partitions = if partitions.is_empty() {
            vec![Arc::new(Part {
                schema: schema.clone(),
                rows,
                columns,
                range: 0..0,
                batch,
            }) as Arc<dyn PartitionStream>]
        } else {
            partitions
        };
        Ok(Arc::new(StreamingTableExec::try_new(
            schema,
            partitions,
            None,
            [],
            false,
            limit,
        )?))
    }
}

/// One partition of a scan: rows `range`, in batches.
struct Part {
    schema: SchemaRef,
    rows: Arc<Rows>,
    columns: Vec<usize>,
    range: Range<usize>,
    batch: usize,
}

impl fmt::Debug for Part {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Part({:?})", self.range)
    }
}

impl PartitionStream for Part {
    fn schema(&self) -> &SchemaRef {
        &self.schema
    }

    fn execute(&self, _ctx: Arc<TaskContext>) -> SendableRecordBatchStream {
        let (rows, columns, schema) =
            (self.rows.clone(), self.columns.clone(), self.schema.clone());
        let (start, end, step) = (self.range.start, self.range.end, self.batch);
        let batches = (start..end).step_by(step).map(move |lo| {
            let hi = (lo + step).min(end);
            rows.batch(&schema, &columns, lo..hi)
        });
        Box::pin(RecordBatchStreamAdapter::new(
            self.schema.clone(),
            futures::stream::iter(batches),
        ))
    }
}

/// The rows of one scan. For `refs` a row number is a source object (a
/// batch holds every reference of its objects).
struct Rows {
    model: Arc<dyn HeapModel>,
    kind: Kind,
    /// The objects of a class table or of `strings`.
    objects: Vec<u32>,
    class_names: ArrayRef,
}

impl Rows {
    fn new(model: Arc<dyn HeapModel>, kind: Kind) -> Rows {
        let heap = model.heap();
        let objects = match &kind {
            Kind::Instances(c) => heap.objects_of(|k| c.classes[k as usize]),
            Kind::Strings => match heap.classes().find("java.lang.String") {
                Some(s) => heap.instances_of(s),
                None => Vec::new(),
            },
            _ => Vec::new(),
        };
        let class_names: StringArray = heap.classes().iter().map(|(_, c)| Some(&c.name)).collect();
        Rows {
            model,
            kind,
            objects,
            class_names: Arc::new(class_names),
        }
    }

    fn len(&self) -> usize {
        let m = self.model.as_ref();
        let heap = m.heap();
        match &self.kind {
            Kind::Objects | Kind::Refs => heap.object_count() as usize,
            Kind::Classes => heap.classes().len(),
            Kind::Roots => heap.roots().len(),
            Kind::Threads => heap.threads().len(),
            Kind::Finalizers => m.finalizers().map_or(0, |f| f.entries.len()),
            Kind::Strings | Kind::Instances(_) => self.objects.len(),
        }
    }

    fn batch(
        &self,
        schema: &SchemaRef,
        columns: &[usize],
        rows: Range<usize>,
    ) -> Result<RecordBatch> {
        let arrays = match &self.kind {
            Kind::Refs => return self.refs(schema, columns, rows),
            _ => columns
                .iter()
                .map(|&c| self.column(c, rows.clone()))
                .collect::<Vec<ArrayRef>>(),
        };
        let options = RecordBatchOptions::new().with_row_count(Some(rows.len()));
        Ok(RecordBatch::try_new_with_options(
            schema.clone(),
            arrays,
            &options,
        )?)
    }

    fn class_column(&self, classes: impl Iterator<Item = u32>) -> ArrayRef {
        let keys = UInt32Array::from_iter_values(classes);
        Arc::new(
            DictionaryArray::<UInt32Type>::try_new(keys, self.class_names.clone())
                .expect("class indexes are in the class table"),
        )
    }

    fn column(&self, c: usize, rows: Range<usize>) -> ArrayRef {
        let m = self.model.as_ref();
        let heap = m.heap();
        let full = m.dominators(false);
        let strong = m.dominators(true);
        let retained = |d: Option<&Dominators>, o: u32| d.map(|d| d.retained(o));
        let id = |o: u32| heap.id(o);
        match &self.kind {
            Kind::Objects => {
                let objects = rows.start as u32..rows.end as u32;
                match c {
                    0 => u64s(objects.map(|o| Some(id(o)))),
                    1 => self.class_column(objects.map(|o| heap.class_of(o))),
                    2 => u64s(objects.map(|o| Some(heap.shallow_size(o)))),
                    3 => u64s(objects.map(|o| retained(full, o))),
                    4 => u64s(objects.map(|o| retained(strong, o))),
                    5 => u64s(objects.map(|o| match full.map(|d| d.idom(o)) {
                        Some(Idom::Object(p)) => Some(id(p)),
                        _ => None,
                    })),
                    _ => bools(objects.map(|o| full.map(|d| d.idom(o) != Idom::Unreachable))),
                }
            }
            Kind::Classes => {
                let classes = rows.start as u32..rows.end as u32;
                let table = heap.classes();
                let census = heap.census();
                let count = |k: u32| census.counts.get(k as usize);
                let nonzero = |v: u64| (v != 0).then_some(v);
                let per_class = |strong: bool, k: u32| {
                    m.class_retained(strong)
                        .and_then(|r| r.get(k as usize).copied())
                };
                match c {
                    0 => u64s(classes.map(|k| nonzero(table.get(k).id))),
                    1 => strings(classes.map(|k| Some(table.get(k).name.clone()))),
                    2 => u64s(classes.map(|k| nonzero(table.get(k).loader_id))),
                    3 => strings(
                        classes
                            .map(|k| table.get(k).super_class.map(|s| table.get(s).name.clone())),
                    ),
                    4 => u64s(classes.map(|k| Some(count(k).map_or(0, |n| n.instances)))),
                    5 => u64s(classes.map(|k| Some(count(k).map_or(0, |n| n.shallow)))),
                    6 => u64s(classes.map(|k| per_class(false, k))),
                    _ => u64s(classes.map(|k| per_class(true, k))),
                }
            }
            Kind::Roots => {
                let roots = &heap.roots()[rows];
                let thread = |r: &crate::heap::Root| r.thread_serial.and_then(|s| heap.thread(s));
                match c {
                    0 => u64s(roots.iter().map(|r| Some(r.id))),
                    1 => strings(roots.iter().map(|r| Some(r.kind.label().to_string()))),
                    2 => u64s(roots.iter().map(|r| thread(r).map(|t| t.object_id))),
                    3 => strings(roots.iter().map(|r| thread(r).and_then(|t| t.name.clone()))),
                    _ => strings(roots.iter().map(|r| {
                        let t = thread(r)?;
                        t.frames.get(r.frame_index? as usize).map(|f| f.display())
                    })),
                }
            }
            Kind::Threads => {
                let summaries: Vec<_> = rows
                    .clone()
                    .map(|i| crate::analysis::threads::summarize_one(heap, full, i))
                    .collect();
                let threads = &heap.threads()[rows];
                let has_tree = full.is_some();
                let with_tree = |v: u64| has_tree.then_some(v);
                match c {
                    0 => u64s(threads.iter().map(|t| Some(t.object_id))),
                    1 => strings(threads.iter().map(|t| t.name.clone())),
                    2 => bools(summaries.iter().map(|s| s.as_ref().and_then(|s| s.daemon))),
                    3 => strings(summaries.iter().map(|s| {
                        s.as_ref()
                            .and_then(|s| s.state)
                            .map(|st| st.name().to_string())
                    })),
                    4 => u64s(threads.iter().map(|t| Some(t.frames.len() as u64))),
                    5 => u64s(
                        summaries
                            .iter()
                            .map(|s| s.as_ref().and_then(|s| with_tree(s.retained))),
                    ),
                    6 => u64s(
                        summaries
                            .iter()
                            .map(|s| Some(s.as_ref().map_or(0, |s| s.held as u64))),
                    ),
                    7 => u64s(
                        summaries
                            .iter()
                            .map(|s| s.as_ref().and_then(|s| with_tree(s.held_retained))),
                    ),
                    8 => u64s(
                        summaries
                            .iter()
                            .map(|s| Some(s.as_ref().map_or(0, |s| s.locals.len() as u64))),
                    ),
                    _ => u64s(
                        summaries
                            .iter()
                            .map(|s| s.as_ref().and_then(|s| with_tree(s.locals_retained))),
                    ),
                }
            }
            Kind::Strings => {
                let objects = &self.objects[rows];
                match c {
                    0 => u64s(objects.iter().map(|&o| Some(id(o)))),
                    _ => strings(objects.iter().map(|&o| heap.string(o))),
                }
            }
            Kind::Finalizers => {
                let entries = m.finalizers().map_or(&[][..], |f| &f.entries[rows]);
                match c {
                    0 => u64s(entries.iter().map(|e| Some(id(e.finalizer)))),
                    1 => u64s(entries.iter().map(|e| e.referent.map(id))),
                    _ => strings(entries.iter().map(|e| Some(e.state.label().to_string()))),
                }
            }
            Kind::Instances(columns) => {
                let objects = &self.objects[rows];
                match c {
                    0 => u64s(objects.iter().map(|&o| Some(id(o)))),
                    1 => self.class_column(objects.iter().map(|&o| heap.class_of(o))),
                    2 => u64s(objects.iter().map(|&o| Some(heap.shallow_size(o)))),
                    3 => u64s(objects.iter().map(|&o| retained(full, o))),
                    _ if columns.array => {
                        u64s(objects.iter().map(|&o| heap.array(o).map(|a| a.len as u64)))
                    }
                    k => {
                        let (at, ty) = columns.fields[k - 4];
                        let id_size = heap.id_size();
                        let size = ty.size(id_size) as usize;
                        let value = |o: u32| -> Option<Value> {
                            let values = heap.instance_values(o)?;
                            let base = values.len().checked_sub(columns.block)?;
                            let bytes = values.get(base + at..base + at + size)?;
                            Value::decode(ty, bytes, id_size)
                        };
                        values_column(ty, objects.iter().map(|&o| value(o)))
                    }
                }
            }
            Kind::Refs => unreachable!("refs batches are made by Rows::refs"),
        }
    }

    /// The references of objects `rows`, with the field (or element, or
    /// static) each one is.
    fn refs(
        &self,
        schema: &SchemaRef,
        columns: &[usize],
        rows: Range<usize>,
    ) -> Result<RecordBatch> {
        let heap = self.model.heap();
        let named = columns.contains(&2);
        let (mut src, mut dst) = (UInt64Builder::new(), UInt64Builder::new());
        let mut field = StringBuilder::new();
        let mut count = 0usize;
        for u in rows.start as u32..rows.end as u32 {
            let targets = heap.outgoing(u);
            if named {
                // The dump order of the names is the order of `outgoing`;
                // dangling references have a name and no target.
                let names = reference_names(heap, u);
                let mut k = 0;
                for &w in targets {
                    let want = heap.id(w);
                    while k < names.len() && names[k].0 != want {
                        k += 1;
                    }
                    let name = names.get(k).map_or("?", |n| n.1.as_str());
                    k += 1;
                    field.append_value(name);
                }
            }
            for &w in targets {
                src.append_value(heap.id(u));
                dst.append_value(heap.id(w));
            }
            count += targets.len();
        }
        let mut all: Vec<Option<ArrayRef>> = vec![
            Some(Arc::new(src.finish())),
            Some(Arc::new(dst.finish())),
            Some(Arc::new(field.finish())),
        ];
        let arrays = columns
            .iter()
            .map(|&c| all[c].take().expect("a column is projected once"))
            .collect();
        let options = RecordBatchOptions::new().with_row_count(Some(count));
        Ok(RecordBatch::try_new_with_options(
            schema.clone(),
            arrays,
            &options,
        )?)
    }
}

/// The non-null references of object `u` in dump order, with their names:
/// field names, `[k]` for elements, `static NAME` and `<superclass>`-like
/// names for a class object.
fn reference_names(heap: &crate::heap::Heap, u: u32) -> Vec<(u64, String)> {
    if let Some(c) = heap.as_class(u) {
        let class = heap.class(c);
        let mut out: Vec<(u64, String)> = [
            (class.super_id, "<superclass>"),
            (class.loader_id, "<classloader>"),
            (class.signers_id, "<signers>"),
            (class.protection_domain_id, "<protection domain>"),
        ]
        .into_iter()
        .map(|(id, n)| (id, n.to_string()))
        .collect();
        out.extend(
            class
                .statics
                .iter()
                .filter_map(|s| Some((s.value.as_object()?, format!("static {}", s.name)))),
        );
        out.retain(|(id, _)| *id != 0);
        return out;
    }
    if let Some(array) = heap.array(u) {
        if array.elem != BasicType::Object {
            return Vec::new();
        }
        return (0..array.len)
            .filter_map(|k| match array.get(k) {
                Some(Value::Object(id)) if id != 0 => Some((id, format!("[{k}]"))),
                _ => None,
            })
            .collect();
    }
    heap.fields(u)
        .into_iter()
        .filter_map(|f| match f.value {
            Value::Object(id) if id != 0 => Some((id, f.name.to_string())),
            _ => None,
        })
        .collect()
}

fn u64s(values: impl Iterator<Item = Option<u64>>) -> ArrayRef {
    let mut b = UInt64Builder::new();
    b.extend(values);
    Arc::new(b.finish())
}

fn bools(values: impl Iterator<Item = Option<bool>>) -> ArrayRef {
    let mut b = BooleanBuilder::new();
    b.extend(values);
    Arc::new(b.finish())
}

fn strings(values: impl Iterator<Item = Option<String>>) -> ArrayRef {
    Arc::new(values.collect::<StringArray>())
}

/// A column of field values of type `ty`.
fn values_column(ty: BasicType, values: impl Iterator<Item = Option<Value>>) -> ArrayRef {
    macro_rules! typed {
        ($builder:ty, $variant:ident) => {{
            let mut b = <$builder>::new();
            b.extend(values.map(|v| match v {
                Some(Value::$variant(x)) => Some(x),
                _ => None,
            }));
            Arc::new(b.finish())
        }};
    }
    match ty {
        BasicType::Object => u64s(values.map(|v| match v {
            Some(Value::Object(id)) if id != 0 => Some(id),
            _ => None,
        })),
        BasicType::Boolean => typed!(BooleanBuilder, Boolean),
        BasicType::Byte => typed!(Int8Builder, Byte),
        BasicType::Short => typed!(Int16Builder, Short),
        BasicType::Int => typed!(Int32Builder, Int),
        BasicType::Long => typed!(Int64Builder, Long),
        BasicType::Float => typed!(Float32Builder, Float),
        BasicType::Double => typed!(Float64Builder, Double),
        BasicType::Char => strings(values.map(|v| match v {
            Some(Value::Char(c)) => {
                Some(char::from_u32(c as u32).unwrap_or('\u{fffd}').to_string())
            }
            _ => None,
        })),
    }
}

/// The default schema: the global tables and one table per class.
pub struct HeapSchema {
    pub model: Arc<dyn HeapModel>,
}

impl fmt::Debug for HeapSchema {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("HeapSchema")
    }
}

#[async_trait]
impl SchemaProvider for HeapSchema {
    fn table_names(&self) -> Vec<String> {
        let heap = self.model.heap();
        let mut names: Vec<String> = GLOBAL_TABLES.iter().map(|s| s.to_string()).collect();
        let mut classes: Vec<String> = heap
            .classes()
            .iter()
            .filter(|(c, _)| {
                heap.census()
                    .counts
                    .get(*c as usize)
                    .is_some_and(|n| n.instances > 0)
            })
            .map(|(_, c)| c.name.clone())
            .collect();
        classes.sort();
        classes.dedup();
        names.extend(classes);
        names
    }

    async fn table(&self, name: &str) -> Result<Option<Arc<dyn TableProvider>>, DataFusionError> {
        Ok(HeapTable::named(&self.model, name).map(|t| Arc::new(t) as Arc<dyn TableProvider>))
    }

    fn table_exist(&self, name: &str) -> bool {
        GLOBAL_TABLES.contains(&name) || self.model.heap().classes().find(name).is_some()
    }
}

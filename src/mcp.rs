//! `heapscope mcp`: a Model Context Protocol server over stdio (the
//! official Rust SDK, rmcp) for coding agents. Each tool answers with the
//! same JSON as the command line, cut to a size an agent can read (top N,
//! with totals). A dump is opened once per session, from its index when
//! it has one, and kept for the next calls.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use rmcp::handler::server::router::tool::ToolRouter;
use rmcp::handler::server::wrapper::Parameters;
use rmcp::model::{Implementation, ServerCapabilities, ServerConfig};
use rmcp::{ServerHandler, ServiceExt, schemars, tool, tool_handler, tool_router};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::analysis::{diff, histogram, paths, suspects, waste};
use crate::heap::LoadOptions;
use crate::index::{self, Model, Reuse};
use crate::progress::Progress;
use crate::report;
use crate::sql::Engine;
use crate::units::{hex_id, parse_id};

/// One opened dump: its model and a SQL engine over it.
struct Open {
    model: Arc<Model>,
    engine: Engine,
}

#[derive(Clone)]
pub struct Server {
    default_dump: Option<PathBuf>,
    open: Arc<Mutex<HashMap<PathBuf, Arc<Open>>>>,
    #[allow(dead_code, reason = "read by the tool_handler macro")]
    tool_router: ToolRouter<Server>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DumpArgs {
    /// The heap dump (.hprof or .hprof.gz); the one `heapscope mcp` was
    /// started with when left out
    pub dump: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct TopArgs {
    pub dump: Option<String>,
    /// How many rows (default 20)
    pub top: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct HistogramArgs {
    pub dump: Option<String>,
    /// How many classes (default 20)
    pub top: Option<usize>,
    /// Only classes whose name matches this regular expression
    pub filter: Option<String>,
    /// "retained" (default), "shallow" or "instances"
    pub sort: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DominatorArgs {
    pub dump: Option<String>,
    /// How many objects (default 20)
    pub top: Option<usize>,
    /// Count strong references only (what a GC would free)
    pub strong: Option<bool>,
    /// Also list up to this many children of each object
    pub children: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct ObjectArgs {
    pub dump: Option<String>,
    /// The object's id, hex like "0xf0016ab0" or decimal
    pub object: String,
    /// How many paths or references at most (default 5 paths, 50 references)
    pub max: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct DiffArgs {
    /// The earlier dump
    pub baseline: String,
    /// The later dump (default: the one the server was started with)
    pub dump: Option<String>,
    /// How many classes and owners (default 20)
    pub top: Option<usize>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
pub struct SqlArgs {
    pub dump: Option<String>,
    /// The SQL query (Apache DataFusion). Tables: objects(id, class,
    /// shallow, retained, retained_strong, dominator, reachable),
    /// classes(id, name, loader, superclass, instances, shallow, retained,
    /// retained_strong), refs(src, dst, field), roots(id, kind, thread,
    /// thread_name, frame), threads(id, name, daemon, state, frames,
    /// retained, held, held_retained, thread_locals,
    /// thread_locals_retained), strings(id, value), finalizers(finalizer,
    /// referent, state), and one table per class by its Java name in double
    /// quotes ("java.util.HashMap") with id, class, shallow, retained and
    /// its instance fields. Functions: str(id), class_of(id),
    /// path_to_root(id), hex(id)
    pub query: String,
    /// How many rows to return (default 100; all are counted)
    pub max_rows: Option<usize>,
}

type Answer = Result<String, String>;

/// Runs blocking work off the server's runtime (the SQL engine has its own).
async fn blocking(work: impl FnOnce() -> Answer + Send + 'static) -> Answer {
    let (tx, rx) = tokio::sync::oneshot::channel();
    std::thread::spawn(move || {
        let _ = tx.send(work());
    });
    rx.await
        .unwrap_or_else(|_| Err("the tool failed".to_string()))
}

fn text(value: Value) -> Answer {
    Ok(value.to_string())
}

#[tool_router]
impl Server {
    pub fn new(default_dump: Option<PathBuf>) -> Server {
        Server {
            default_dump,
            open: Arc::default(),
            tool_router: Self::tool_router(),
        }
    }

    /// The opened dump `dump`, opening it on first use.
    fn dump(&self, dump: Option<&str>) -> Result<Arc<Open>, String> {
        let path = match dump {
            Some(d) => PathBuf::from(d),
            None => self
                .default_dump
                .clone()
                .ok_or("give the dump's path: the server was started without one")?,
        };
        let key = path.canonicalize().unwrap_or(path.clone());
        let mut open = self.open.lock().map_err(|_| "a tool failed")?;
        if let Some(o) = open.get(&key) {
            return Ok(o.clone());
        }
        let model = Arc::new(
            index::open(
                &path,
                &LoadOptions::default(),
                Reuse::Index,
                &Progress::new(),
            )
            .map_err(|e| e.to_string())?,
        );
        let engine = Engine::new(model.clone());
        let o = Arc::new(Open { model, engine });
        open.insert(key, o.clone());
        Ok(o)
    }

    fn with(
        &self,
        dump: Option<String>,
        f: impl FnOnce(&Open) -> Answer + Send + 'static,
    ) -> impl Future<Output = Answer> + Send {
        let me = self.clone();
        blocking(move || {
            let open = me.dump(dump.as_deref())?;
            f(&open)
        })
    }

    #[tool(
        description = "Figures about a heap dump: JVM, object layout, objects, classes, bytes, GC roots, references, warnings. Start here."
    )]
    async fn summary(&self, Parameters(a): Parameters<DumpArgs>) -> Answer {
        self.with(a.dump, |o| text(report::summary::json(&o.model.heap)))
            .await
    }

    #[tool(
        description = "The class histogram: instances, shallow and retained bytes per class, biggest first, with totals."
    )]
    async fn histogram(&self, Parameters(a): Parameters<HistogramArgs>) -> Answer {
        self.with(a.dump, move |o| {
            let sort = match a.sort.as_deref().unwrap_or("retained") {
                "retained" => histogram::SortBy::Retained,
                "shallow" => histogram::SortBy::Shallow,
                "instances" => histogram::SortBy::Instances,
                s => return Err(format!("sort '{s}': retained, shallow or instances")),
            };
            let filter = match a.filter.as_deref() {
                Some(f) => Some(regex::Regex::new(f).map_err(|e| e.to_string())?),
                None => None,
            };
            let heap = &o.model.heap;
            let all =
                histogram::histogram_with(heap.census(), Some(&o.model.class_retained[0]), sort);
            let rows: Vec<_> = all
                .iter()
                .filter(|r| filter.as_ref().is_none_or(|f| f.is_match(&r.name)))
                .take(a.top.unwrap_or(20))
                .cloned()
                .collect();
            text(report::histogram::json(&rows, &all))
        })
        .await
    }

    #[tool(
        description = "The biggest objects by retained size, from the dominator tree, optionally with their biggest children."
    )]
    async fn dominators(&self, Parameters(a): Parameters<DominatorArgs>) -> Answer {
        self.with(a.dump, move |o| {
            let doms = &o.model.doms[usize::from(a.strong.unwrap_or(false))];
            let top = doms.biggest(a.top.unwrap_or(20));
            let children = a.children.map(|n| (doms.children(), n));
            text(report::dominators::json(
                &o.model.heap,
                doms,
                &top,
                children.as_ref().map(|(c, n)| (c, *n)),
            ))
        })
        .await
    }

    #[tool(
        description = "Why is it alive: the shortest strong paths from GC roots to an object, one per root reached."
    )]
    async fn paths(&self, Parameters(a): Parameters<ObjectArgs>) -> Answer {
        self.with(a.dump, move |o| {
            let heap = &o.model.heap;
            let target = object(heap, &a.object)?;
            let options = paths::PathOptions {
                max: a.max.unwrap_or(5),
                ..paths::PathOptions::default()
            };
            let search = paths::paths_to_roots(heap, target, &options);
            text(report::paths::json(
                heap,
                target,
                "strong references",
                &search,
            ))
        })
        .await
    }

    #[tool(
        description = "Inspect an object: its class, sizes, fields with values, and its outgoing and incoming references."
    )]
    async fn inspect(&self, Parameters(a): Parameters<ObjectArgs>) -> Answer {
        self.with(a.dump, move |o| {
            text(inspect(&o.model, &a.object, a.max.unwrap_or(50))?)
        })
        .await
    }

    #[tool(
        description = "Objects waiting for finalization: registered, pending, in processing, by class, and what the finalizer thread does."
    )]
    async fn finalizers(&self, Parameters(a): Parameters<DumpArgs>) -> Answer {
        self.with(a.dump, |o| {
            text(report::finalizers::json(&o.model.heap, &o.model.finalizers))
        })
        .await
    }

    #[tool(
        description = "Leak suspects: objects and classes retaining much of the heap, where their memory accumulates, its path to a GC root, and known leak patterns (timers, thread locals, class loaders, direct buffers, finalizer backlog)."
    )]
    async fn suspects(&self, Parameters(a): Parameters<DumpArgs>) -> Answer {
        self.with(a.dump, |o| {
            let m = &o.model;
            let doms = &m.doms[1];
            let children = doms.children_unsorted();
            let found = suspects::report(
                &m.heap,
                doms,
                &children,
                &m.finalizers,
                0.10,
                &Progress::new(),
            )
            .map_err(|_| "cancelled".to_string())?;
            text(report::suspects::json(&m.heap, &found))
        })
        .await
    }

    #[tool(
        description = "Memory held for nothing: duplicate strings, collections with unused capacity, all-zero arrays, repeated boxed primitives, per class and per owner."
    )]
    async fn waste(&self, Parameters(a): Parameters<TopArgs>) -> Answer {
        self.with(a.dump, move |o| {
            let m = &o.model;
            let report = waste::analyze(&m.heap, &m.doms[1], &Progress::new())
                .map_err(|_| "cancelled".to_string())?;
            text(report::waste::json(&m.heap, &report, a.top.unwrap_or(20)))
        })
        .await
    }

    #[tool(
        description = "Compare two dumps of one program: what grew per class, per finalizer state, and which owner holds the growth."
    )]
    async fn diff(&self, Parameters(a): Parameters<DiffArgs>) -> Answer {
        let me = self.clone();
        blocking(move || {
            let before = me.dump(Some(&a.baseline))?;
            let after = me.dump(a.dump.as_deref())?;
            let snapshot = |o: &Open, name: &str| {
                diff::Snapshot::of_indexed(
                    &o.model.heap,
                    name,
                    &o.model.doms[1],
                    &o.model.finalizers,
                )
            };
            let result =
                diff::compare(&snapshot(&before, "baseline"), &snapshot(&after, "current"));
            let top = a.top.unwrap_or(20);
            let classes: Vec<_> = result
                .classes
                .iter()
                .filter(|c| c.instances_delta() != 0 || c.shallow_delta() != 0)
                .take(top)
                .collect();
            text(report::diff::json(&result, &classes, top))
        })
        .await
    }

    #[tool(
        description = "Ask the heap in SQL (Apache DataFusion): joins, aggregates, the global tables and one table per class with its fields as columns. See the query parameter for the tables."
    )]
    async fn sql(&self, Parameters(a): Parameters<SqlArgs>) -> Answer {
        self.with(a.dump, move |o| {
            let answer = o
                .engine
                .answer(&a.query, a.max_rows.unwrap_or(100), &Progress::new())
                .map_err(|e| e.explain(&a.query))?;
            text(answer.json())
        })
        .await
    }
}

#[tool_handler]
impl ServerHandler for Server {
    fn get_info(&self) -> ServerConfig {
        ServerConfig::new(ServerCapabilities::builder().enable_tools().build())
            .with_server_info(Implementation::new("heapscope", env!("CARGO_PKG_VERSION")))
            .with_instructions(
                "heapscope analyses Java heap dumps (HPROF). Start with summary, then \
                 suspects or histogram; follow an object with inspect and paths; ask \
                 anything else with sql. Ids are HPROF ids in hex (\"0x...\").",
            )
    }
}

fn object(heap: &crate::heap::Heap, text: &str) -> Result<u32, String> {
    let id = parse_id(text).ok_or_else(|| format!("'{text}' is not an object id"))?;
    heap.find(id)
        .ok_or_else(|| format!("no object has id {}", hex_id(id)))
}

/// An object's class, sizes, fields and references, as JSON.
fn inspect(m: &Model, text: &str, max: usize) -> Result<Value, String> {
    let heap = &m.heap;
    let o = object(heap, text)?;
    let fields: Vec<Value> = heap
        .fields(o)
        .iter()
        .map(|f| {
            let value = match f.value {
                crate::hprof::Value::Object(0) => Value::Null,
                crate::hprof::Value::Object(id) => json!(hex_id(id)),
                v => json!(format!("{v}")),
            };
            json!({"name": f.name, "declared_by": heap.class(f.declared_by).name, "value": value})
        })
        .collect();
    let outgoing = heap.outgoing(o);
    let incoming = heap.references_to(|w| w == o);
    let refs = |list: &mut dyn Iterator<Item = (u32, u32)>| -> Vec<Value> {
        list.take(max)
            .map(|(from, to)| {
                let other = if from == o { to } else { from };
                json!({"object": report::object_json(heap, other), "field": paths::describe_reference(heap, from, to)})
            })
            .collect()
    };
    let mut value = report::object_json(heap, o);
    value["shallow"] = json!(heap.shallow_size(o));
    value["retained"] = json!(m.doms[0].retained(o));
    value["retained_strong"] = json!(m.doms[1].retained(o));
    value["fields"] = json!(fields);
    if let Some(a) = heap.array(o) {
        value["length"] = json!(a.len);
    }
    if let Some(s) = heap.string(o) {
        value["string"] = json!(s);
    }
    value["outgoing_total"] = json!(outgoing.len());
    value["outgoing"] = json!(refs(&mut outgoing.iter().map(|&w| (o, w))));
    value["incoming_total"] = json!(incoming.len());
    value["incoming"] = json!(refs(&mut incoming.iter().copied()));
    value["gc_roots"] = json!(
        heap.roots_of(o)
            .map(|r| heap.describe_root(r))
            .collect::<Vec<_>>()
    );
    Ok(value)
}

/// Serves MCP on stdin and stdout until the client closes them.
pub fn serve(default_dump: Option<&Path>) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let server = Server::new(default_dump.map(Path::to_path_buf));
        let service = server
            .serve(rmcp::transport::stdio())
            .await
            .map_err(|e| e.to_string())?;
        service.waiting().await.map_err(|e| e.to_string())?;
        Ok(())
    })
}

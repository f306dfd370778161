//! The `heapscope` command: parses arguments, then prints a report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use regex::Regex;

use heapscope::analysis::diff as analysis_diff;
use heapscope::analysis::dominators::Dominators;
use heapscope::analysis::finalizers as analysis_finalizers;
use heapscope::analysis::graph::{RefKind, ReferenceClasses, Referents};
use heapscope::analysis::histogram::{self, SortBy};
use heapscope::analysis::paths::{self as analysis_paths, ExcludedField, PathOptions};
use heapscope::analysis::suspects as analysis_suspects;
use heapscope::analysis::waste as analysis_waste;
use heapscope::heap::{self, Heap, Layout, LoadOptions};
use heapscope::hprof::Error;
use heapscope::index::{self, Model, Origin, Reuse};
use heapscope::progress::{Phase, Progress};
use heapscope::report;
use heapscope::units;

/// A fast explorer for Java heap dumps (HPROF, plain or gzip).
///
/// With no command, heapscope opens its window: on DUMP, on the built-in
/// demo dump with --demo, or on its start page.
#[derive(Parser)]
#[command(name = "heapscope", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Heap dump to open (.hprof or .hprof.gz)
    dump: Option<PathBuf>,
    /// Open the built-in demo dump (a finalizer leak held by a timer queue)
    #[arg(long, conflicts_with = "dump")]
    demo: bool,
    /// Print an overview on the terminal instead of opening the window
    #[arg(long)]
    text: bool,
    /// Which heap dump of a file holding several (0-based, as `summary`
    /// lists them); the last one by default
    #[arg(long, value_name = "N")]
    heap_dump: Option<usize>,
    /// Neither read nor write the index file (DUMP.hsidx, see `heapscope
    /// index --help`): parse the dump as if for the first time
    #[arg(long, global = true)]
    no_index: bool,
}

#[derive(Subcommand)]
enum Command {
    /// Figures about a dump: format, JVM layout, objects, classes, sizes,
    /// GC roots, references, warnings
    Summary {
        #[command(flatten)]
        common: Common,
    },
    /// Instances and shallow bytes per class, like `jcmd GC.class_histogram`
    Histogram {
        #[command(flatten)]
        common: Common,
        /// Show only the first N classes
        #[arg(long, value_name = "N")]
        top: Option<usize>,
        /// Show only classes whose name matches this regular expression
        #[arg(long, value_name = "REGEX")]
        filter: Option<String>,
        /// Order, largest first (retained implies --retained)
        #[arg(long, value_enum, default_value_t = Sort::Shallow)]
        sort: Sort,
        /// Add each class's retained size (builds the dominator tree)
        #[arg(long)]
        retained: bool,
        /// With --retained: count strong references only
        #[arg(long)]
        strong: bool,
    },
    /// The biggest objects by retained size, from the dominator tree
    Dominators {
        #[command(flatten)]
        common: Common,
        /// How many objects
        #[arg(long, value_name = "N", default_value_t = 20)]
        top: usize,
        /// Also list up to N objects each one immediately dominates
        #[arg(long, value_name = "N", num_args = 0..=1, default_missing_value = "10")]
        children: Option<usize>,
        /// Count strong references only: skip the referent of every
        /// java.lang.ref.Reference (what a GC would free)
        #[arg(long)]
        strong: bool,
    },
    /// Why is it alive: the shortest paths from GC roots to an object, or
    /// the merged paths of a set of objects
    Paths {
        #[command(flatten)]
        common: Common,
        /// The object's id (hex like 0xf0016ab0, or decimal)
        #[arg(value_name = "OBJECT_ID", required_unless_present_any = ["class", "finalizer_referents"])]
        object: Option<String>,
        /// Merge the paths of every instance of this class instead
        #[arg(long, value_name = "NAME", conflicts_with = "object")]
        class: Option<String>,
        /// Merge the paths of every referent of a java.lang.ref.Finalizer
        #[arg(long, conflicts_with_all = ["object", "class"])]
        finalizer_referents: bool,
        /// How many paths (one per GC root reached)
        #[arg(long, value_name = "N", default_value_t = 10)]
        max: usize,
        /// Also follow the referent of these reference kinds
        #[arg(long, value_name = "KINDS", value_delimiter = ',', value_parser = parse_kind)]
        include: Vec<RefKind>,
        /// Do not follow this field (repeatable), e.g. java.lang.Thread:threadLocals
        #[arg(long, value_name = "CLASS:FIELD", value_parser = ExcludedField::parse)]
        exclude: Vec<ExcludedField>,
    },
    /// Objects waiting for finalization: registered, pending, in
    /// processing, by class, and what the finalizer thread is doing
    Finalizers {
        #[command(flatten)]
        common: Common,
    },
    /// Threads: daemon, state, frames, the objects their frames hold and
    /// what those retain, the thread object's retained size, ThreadLocal
    /// values; then each stack with the objects each frame holds
    Threads {
        #[command(flatten)]
        common: Common,
    },
    /// Leak suspects: the objects and classes that retain much of the
    /// heap, where their memory accumulates, and the known leak patterns
    Suspects {
        #[command(flatten)]
        common: Common,
        /// The share of the heap, in percent, a big holder retains at least
        #[arg(long, value_name = "PERCENT", default_value_t = 10.0)]
        threshold: f64,
        /// Write the heap report (suspects, biggest classes, finalizers,
        /// threads) as one self-contained HTML page
        #[arg(long, value_name = "OUT.html", conflicts_with_all = ["markdown", "json"])]
        html: Option<PathBuf>,
        /// Print the heap report as Markdown (for a pull request)
        #[arg(long, conflicts_with = "json")]
        markdown: bool,
    },
    /// Memory held for nothing: duplicate strings, collections with unused
    /// capacity, all-zero primitive arrays, repeated boxed primitives; per
    /// class and per owner (from the strong dominator tree)
    Waste {
        #[command(flatten)]
        common: Common,
        /// Show the first N rows of each list
        #[arg(long, value_name = "N", default_value_t = 20)]
        top: usize,
    },
    /// Compare two dumps of one program: what grew per class, per
    /// finalizer state, and which owner (dominator path) holds the growth
    Diff {
        /// The earlier dump (.hprof or .hprof.gz)
        baseline: PathBuf,
        /// The later dump (may be BASELINE itself, with another --heap-dump)
        dump: PathBuf,
        /// Which heap dump of DUMP, in a file holding several (0-based);
        /// the last one by default
        #[arg(long, value_name = "N")]
        heap_dump: Option<usize>,
        /// Which heap dump of BASELINE, in a file holding several
        /// (0-based); the last one by default
        #[arg(long, value_name = "N")]
        baseline_heap_dump: Option<usize>,
        /// Print JSON instead of text
        #[arg(long)]
        json: bool,
        /// Show the first N classes, owners and finalizer classes
        #[arg(long, value_name = "N", default_value_t = 20)]
        top: usize,
        /// Show only classes whose name matches this regular expression
        #[arg(long, value_name = "REGEX")]
        filter: Option<String>,
        /// Order of the classes, largest growth first
        #[arg(long, value_enum, default_value_t = Sort::Shallow)]
        sort: Sort,
        /// Compare instances and shallow bytes per class only: no retained
        /// sizes, owners or finalizers, but several times faster
        #[arg(long)]
        classes_only: bool,
        /// Object layout instead of the inferred one (see `summary --help`)
        #[arg(long, value_name = "LAYOUT", value_parser = Layout::parse)]
        layout: Option<Layout>,
        /// Print how long the comparison took and the peak memory, on stderr
        #[arg(long)]
        timings: bool,
    },
    /// Ask the heap in SQL (Apache DataFusion): tables objects, classes,
    /// refs, roots, threads, strings, finalizers, and one per class by its
    /// Java name in double quotes ("java.util.HashMap") with its fields as
    /// columns; functions str(id), class_of(id), path_to_root(id), hex(id).
    ///
    /// Example: heapscope sql app.hprof "SELECT class, count(*), sum(retained)
    /// FROM objects GROUP BY class ORDER BY 3 DESC LIMIT 10"
    #[cfg(feature = "sql")]
    Sql {
        #[command(flatten)]
        common: Common,
        /// The query (`SHOW TABLES` and `DESCRIBE objects` list the tables
        /// and their columns)
        query: String,
        /// Print CSV instead of a table (every row)
        #[arg(long, conflicts_with = "json")]
        csv: bool,
        /// With the text table: show the first N rows (all are counted);
        /// --json and --csv print every row
        #[arg(long, value_name = "N", default_value_t = 100)]
        max_rows: usize,
    },
    /// Write the global SQL tables (objects, classes, refs, roots,
    /// threads, strings, finalizers) as Parquet files, for DuckDB or Spark
    #[cfg(feature = "sql")]
    Export {
        #[command(flatten)]
        common: Common,
        /// The folder to write TABLE.parquet into (made if missing)
        #[arg(long, value_name = "DIR")]
        parquet: PathBuf,
    },
    /// Serve the analyses to a coding agent: a Model Context Protocol
    /// server on stdin and stdout, with the tools summary, histogram,
    /// dominators, paths, inspect, finalizers, suspects, waste, diff and
    /// sql. Register it with an agent as the command `heapscope mcp`.
    #[cfg(feature = "sql")]
    Mcp {
        /// The dump the tools read when a call names none
        dump: Option<PathBuf>,
    },
    /// Build the index of a dump (or tell its state, or delete it) and
    /// print its path as the last line.
    ///
    /// The index holds the whole model of the dump (objects, references,
    /// both dominator trees, retained sizes, the census, threads and
    /// finalizers), so that the next open of the dump by any command or the
    /// window maps it instead of parsing the dump. It is written beside the
    /// dump as DUMP.hsidx, or under $XDG_CACHE_HOME/heapscope (default
    /// ~/.cache) when the dump's folder is not writable. Every command
    /// writes it on first open; --no-index turns that off. An index whose
    /// dump changed, or that is damaged, is rebuilt.
    Index {
        #[command(flatten)]
        common: Common,
        /// Tell whether the dump has a valid index, where, and its size
        #[arg(long, conflicts_with = "delete")]
        status: bool,
        /// Delete the dump's index (beside it and in the cache folder)
        #[arg(long)]
        delete: bool,
    },
    /// Render a view of the window to a PNG, without a window
    #[cfg(feature = "gui")]
    Screenshot {
        /// Heap dump (.hprof or .hprof.gz)
        dump: PathBuf,
        /// overview, suspects, histogram, dominators, finalizers, waste,
        /// inspector, threads, query, sql (the example of objects held by frames run),
        /// or with --baseline compare, compare-owners, compare-finalizers
        #[arg(long, value_name = "NAME")]
        view: String,
        /// Where to write the PNG
        #[arg(long, value_name = "FILE.png")]
        out: PathBuf,
        /// Picture size in points, WIDTHxHEIGHT
        #[arg(long, default_value = "1280x800")]
        size: String,
        /// With --view compare: the baseline dump to compare DUMP with
        #[arg(long, value_name = "DUMP")]
        baseline: Option<PathBuf>,
        /// Which heap dump of DUMP, in a file holding several (0-based);
        /// the last one by default
        #[arg(long, value_name = "N")]
        heap_dump: Option<usize>,
        /// Which heap dump of the baseline, in a file holding several
        #[arg(long, value_name = "N", requires = "baseline")]
        baseline_heap_dump: Option<usize>,
        /// Group the view, its first group expanded: dominators by
        /// class, "class loader" or package; histogram by package,
        /// superclass or "class loader"
        #[arg(long, value_name = "GROUPING")]
        group: Option<String>,
    },
}

fn parse_kind(text: &str) -> Result<RefKind, String> {
    RefKind::parse(text).ok_or_else(|| format!("'{text}': expected weak, soft, phantom or final"))
}

#[derive(Args)]
struct Common {
    /// Heap dump (.hprof or .hprof.gz; gzip is detected by content)
    dump: PathBuf,
    /// Print JSON instead of text
    #[arg(long)]
    json: bool,
    /// Object layout instead of the inferred one: compressed, wide-oops,
    /// wide, wide-packed, compact-headers, 32-bit, or
    /// header=12,ref=4,array=16,align=8
    #[arg(long, value_name = "LAYOUT", value_parser = Layout::parse)]
    layout: Option<Layout>,
    /// Print how long loading took and the peak memory, on stderr
    #[arg(long)]
    timings: bool,
    /// Which heap dump of a file holding several (0-based, as `summary`
    /// lists them; Eclipse MAT's #0, #1); the last one by default, with a
    /// warning
    #[arg(long, value_name = "N")]
    heap_dump: Option<usize>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Sort {
    Instances,
    Shallow,
    Retained,
}

use heapscope::demo::demo_file;

/// `--no-index`, set once from the command line.
static REUSE: std::sync::OnceLock<Reuse> = std::sync::OnceLock::new();

fn reuse() -> Reuse {
    *REUSE.get().unwrap_or(&Reuse::Index)
}

/// The largest anonymous memory seen, sampled every 5 ms with --timings.
static PEAK_ANON: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

fn sample_anonymous_memory() {
    std::thread::spawn(|| {
        loop {
            if let Some(anon) = proc_status_bytes("RssAnon:") {
                PEAK_ANON.fetch_max(anon, std::sync::atomic::Ordering::Relaxed);
            }
            std::thread::sleep(Duration::from_millis(5));
        }
    });
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    if std::env::args().any(|a| a == "--timings") {
        sample_anonymous_memory();
    }
    let _ = REUSE.set(if cli.no_index {
        Reuse::NoIndex
    } else {
        Reuse::Index
    });
    let result = match cli.command {
        Some(Command::Index {
            common,
            status,
            delete,
        }) => index(&common, status, delete),
        Some(Command::Summary { common }) => summary(&common),
        #[cfg(feature = "sql")]
        Some(Command::Sql {
            common,
            query,
            csv,
            max_rows,
        }) => sql(&common, &query, csv, max_rows),
        #[cfg(feature = "sql")]
        Some(Command::Export { common, parquet }) => export(&common, &parquet),
        #[cfg(feature = "sql")]
        Some(Command::Mcp { dump }) => {
            heapscope::mcp::serve(dump.as_deref()).map_err(Failure::Usage)
        }
        Some(Command::Histogram {
            common,
            top,
            filter,
            sort,
            retained,
            strong,
        }) => histogram(
            &common,
            top,
            filter.as_deref(),
            sort,
            retained || sort == Sort::Retained,
            strong,
        ),
        Some(Command::Dominators {
            common,
            top,
            children,
            strong,
        }) => dominators(&common, top, children, strong),
        Some(Command::Paths {
            common,
            object,
            class,
            max,
            include,
            exclude,
            ..
        }) => {
            // Without an id or a class, clap required --finalizer-referents.
            let targets = match (object, class) {
                (Some(id), _) => Targets::Object(id),
                (None, Some(name)) => Targets::Class(name),
                (None, None) => Targets::FinalizerReferents,
            };
            let referents = include.into_iter().fold(Referents::NONE, Referents::with);
            paths(&common, targets, max, referents, exclude)
        }
        Some(Command::Finalizers { common }) => finalizers(&common),
        Some(Command::Threads { common }) => threads(&common),
        Some(Command::Waste { common, top }) => waste(&common, top),
        Some(Command::Suspects {
            common,
            threshold,
            html,
            markdown,
        }) => suspects(
            &common,
            SuspectsOptions {
                threshold,
                html,
                markdown,
            },
        ),
        Some(Command::Diff {
            baseline,
            dump,
            heap_dump,
            baseline_heap_dump,
            json,
            top,
            filter,
            sort,
            classes_only,
            layout,
            timings,
        }) => diff(
            [&baseline, &dump],
            DiffOptions {
                json,
                top,
                filter,
                sort,
                full: !classes_only,
                load: [
                    LoadOptions {
                        layout,
                        heap_dump: baseline_heap_dump,
                    },
                    LoadOptions { layout, heap_dump },
                ],
                timings,
            },
        ),
        #[cfg(feature = "gui")]
        Some(Command::Screenshot {
            dump,
            view,
            out,
            size,
            baseline,
            heap_dump,
            baseline_heap_dump,
            group,
        }) => screenshot(
            &dump,
            baseline.as_deref(),
            [heap_dump, baseline_heap_dump],
            &view,
            group.as_deref(),
            &out,
            &size,
        ),
        None if cli.text || !cfg!(feature = "gui") => overview(cli.dump, cli.heap_dump),
        None => window(cli.dump, cli.demo, cli.heap_dump),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("heapscope: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Dump(e)) => {
            eprintln!("heapscope: {e}");
            ExitCode::from(1)
        }
    }
}

enum Failure {
    Usage(String),
    Dump(Error),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        // `--heap-dump N` beyond the file's heap dumps is bad usage.
        if heapscope::hprof::is_missing_heap_dump(&e) {
            return Failure::Usage(e.to_string());
        }
        Failure::Dump(e)
    }
}

impl From<heapscope::progress::Cancelled> for Failure {
    fn from(c: heapscope::progress::Cancelled) -> Self {
        Failure::Dump(c.into())
    }
}

/// Runs `job` with a progress line on stderr when stderr is a terminal.
fn with_progress<T>(job: impl FnOnce(&Progress) -> T) -> T {
    with_progresses(&[""], |p| job(&p[0]))
}

/// [`with_progress`] for jobs of several parts, each with its own progress
/// and label: the line shows every part that has started.
fn with_progresses<T>(labels: &[&'static str], job: impl FnOnce(&[Progress]) -> T) -> T {
    let progress: Arc<Vec<Progress>> = Arc::new(labels.iter().map(|_| Progress::new()).collect());
    if !std::io::stderr().is_terminal() {
        return job(&progress);
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (progress, done, labels) = (progress.clone(), done.clone(), labels.to_vec());
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(150));
                if start.elapsed() < Duration::from_millis(300) {
                    continue;
                }
                let parts: Vec<String> = progress
                    .iter()
                    .zip(&labels)
                    .filter(|(p, _)| p.phase() != Phase::Idle)
                    .map(|(p, label)| match p.counts() {
                        // A pipe: its size is unknown.
                        (done, 0) if matches!(p.phase(), Phase::Copying | Phase::Decompressing) => {
                            format!("{label}{} {}", p.phase().label(), units::bytes(done))
                        }
                        (_, total) => {
                            let pct = 100.0 * p.fraction();
                            format!("{label}{} {pct:.0}%", p.phase().describe(total))
                        }
                    })
                    .collect();
                eprint!("\r\x1b[K{}", parts.join(" | "));
                let _ = std::io::stderr().flush();
            }
            eprint!("\r\x1b[K");
        })
    };
    let result = job(&progress);
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let _ = watcher.join();
    result
}

/// `--filter`'s regular expression.
fn parse_filter(text: Option<&str>) -> Result<Option<Regex>, Failure> {
    text.map(Regex::new)
        .transpose()
        .map_err(|e| Failure::Usage(format!("bad --filter: {e}")))
}

fn options(common: &Common) -> LoadOptions {
    LoadOptions {
        layout: common.layout,
        heap_dump: common.heap_dump,
    }
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON values serialize")
    );
}

fn summary(common: &Common) -> Result<(), Failure> {
    let heap = load(common)?;
    let heap_dumps = with_progress(|p| {
        heap::heap_dump_figures(heap.dump(), heap.census(), &options(common), p)
    })?;
    if common.json {
        print_json(&report::summary::json_with_heap_dumps(&heap, &heap_dumps));
    } else {
        print!("{}", report::summary::text(&heap));
        print!("{}", report::summary::heap_dumps_text(&heap, &heap_dumps));
    }
    leave(heap);
    Ok(())
}

/// Loads the whole model, from the index when it has one.
fn load_model(common: &Common) -> Result<Model, Failure> {
    load_model_early(common, None)
}

/// [`load_model`], answering from one dominator tree as soon as it is
/// known: on a first open, before the rest of the index is built.
fn load_model_early(common: &Common, early: Option<index::Early<'_>>) -> Result<Model, Failure> {
    let start = Instant::now();
    let answered = std::cell::Cell::new(None);
    let mut timed;
    let early = match early {
        Some((k, f)) => {
            timed = |h: &Heap, d: &Dominators, c: &dyn Fn() -> Vec<u64>| {
                f(h, d, c);
                let _ = std::io::stdout().flush();
                answered.set(Some(start.elapsed()));
            };
            Some((
                k,
                &mut timed as &mut dyn FnMut(&Heap, &Dominators, &dyn Fn() -> Vec<u64>),
            ))
        }
        None => None,
    };
    let model =
        with_progress(|p| index::open_early(&common.dump, &options(common), reuse(), p, early))?;
    for note in model.origin.notes() {
        eprintln!("heapscope: {note}");
    }
    if common.timings {
        let mut phases = model.heap.timings.clone();
        if let Some(t) = answered.get() {
            phases.push(("answer at", t));
        }
        print_timings(&phases, start.elapsed(), Some(model.heap.memory_bytes()));
    }
    Ok(model)
}

/// Loads the heap and one dominator tree, without the index (what
/// `--no-index` does: no second tree, no finalizers, nothing written).
fn load_with_dominators(common: &Common, strong: bool) -> Result<(Heap, Dominators), Failure> {
    let start = Instant::now();
    let referents = if strong {
        Referents::NONE
    } else {
        Referents::ALL
    };
    index::prepare_scratch(&common.dump, &options(common));
    let (mut heap, doms, took) = with_progress(|p| -> Result<_, Error> {
        let heap = Heap::open(&common.dump, &options(common), p)?;
        let t = Instant::now();
        let doms = Dominators::compute(&heap, referents, p)?;
        Ok((heap, doms, t.elapsed()))
    })?;
    heap.timings.push(("dominators", took));
    if common.timings {
        print_timings(&heap.timings, start.elapsed(), Some(heap.memory_bytes()));
    }
    Ok((heap, doms))
}

/// Answers from one dominator tree (with its retained bytes per class):
/// from the index, or as soon as the tree is built on a first open (the
/// rest of the index is built after), or without the index.
fn answer_from_tree(
    common: &Common,
    strong: bool,
    answer: &mut index::Answer<'_>,
) -> Result<(), Failure> {
    if reuse() == Reuse::NoIndex {
        let (heap, doms) = load_with_dominators(common, strong)?;
        let per_class = || doms.class_retained(&heap, &doms.children_unsorted());
        answer(&heap, &doms, &per_class);
        leave((heap, doms));
        return Ok(());
    }
    leave(load_model_early(common, Some((mode(strong), answer)))?);
    Ok(())
}

/// Which of a model's dominator trees.
fn mode(strong: bool) -> usize {
    usize::from(strong)
}

fn histogram(
    common: &Common,
    top: Option<usize>,
    filter: Option<&str>,
    sort: Sort,
    retained: bool,
    strong: bool,
) -> Result<(), Failure> {
    let filter = parse_filter(filter)?;
    let sort = match sort {
        Sort::Instances => SortBy::Instances,
        Sort::Shallow => SortBy::Shallow,
        Sort::Retained => SortBy::Retained,
    };
    let start = Instant::now();
    let print = |census: &heap::Census, per_class: Option<&[u64]>, warnings: &[String]| {
        let all = histogram::histogram_with(census, per_class, sort);
        let rows: Vec<_> = all
            .iter()
            .filter(|r| filter.as_ref().is_none_or(|f| f.is_match(&r.name)))
            .take(top.unwrap_or(usize::MAX))
            .cloned()
            .collect();
        if common.json {
            print_json(&report::with_warnings(
                report::histogram::json(&rows, &all),
                warnings,
            ));
        } else {
            print!("{}", report::histogram::text(&rows, &all));
            eprint!("{}", report::warnings_text(warnings));
        }
    };
    let indexed = (!retained && reuse() == Reuse::Index)
        .then(|| with_progress(|p| index::reopen_existing(&common.dump, &options(common), p)))
        .flatten();
    if retained || indexed.is_some() {
        match indexed {
            Some(model) => {
                print(model.heap.census(), None, model.heap.warnings());
                leave(model);
            }
            None => {
                let mut answer = |heap: &Heap, _: &Dominators, per_class: &dyn Fn() -> Vec<u64>| {
                    print(heap.census(), Some(&per_class()), heap.warnings());
                };
                answer_from_tree(common, strong, &mut answer)?;
            }
        }
    } else {
        let (_dump, census) =
            with_progress(|p| heap::open_census(&common.dump, &options(common), p))?;
        if common.timings {
            print_timings(&[], start.elapsed(), None);
        }
        print(&census, None, &census.warnings);
    }
    Ok(())
}

fn dominators(
    common: &Common,
    top: usize,
    children: Option<usize>,
    strong: bool,
) -> Result<(), Failure> {
    let mut answer = |heap: &Heap, doms: &Dominators, _: &dyn Fn() -> Vec<u64>| {
        let biggest = doms.biggest(top);
        let tree = children.map(|n| (doms.children(), n));
        let kids = tree.as_ref().map(|(c, n)| (c, *n));
        if common.json {
            print_json(&report::with_warnings(
                report::dominators::json(heap, doms, &biggest, kids),
                heap.warnings(),
            ));
        } else {
            print!("{}", report::dominators::text(heap, doms, &biggest, kids));
            eprint!("{}", report::warnings_text(heap.warnings()));
        }
        leave(tree);
    };
    answer_from_tree(common, strong, &mut answer)
}

/// Drops nothing: the process ends right after a report, and the OS
/// reclaims a big heap model faster than freeing it (0.5 s on a 2 GB dump).
fn leave<T>(value: T) {
    std::mem::forget(value);
}

enum Targets {
    Object(String),
    Class(String),
    FinalizerReferents,
}

fn index(common: &Common, status: bool, delete: bool) -> Result<(), Failure> {
    let key = index::key(&options(common));
    if delete {
        for note in index::delete(&common.dump, &options(common))? {
            println!("{note}");
        }
        return Ok(());
    }
    if status {
        match index::status(&common.dump, &key)? {
            index::IndexStatus::Valid(path, bytes) => {
                println!("valid index ({})", units::bytes(bytes));
                println!("{}", path.display());
            }
            index::IndexStatus::Unusable(path, why) => {
                println!("unusable index, rebuilt on next open: {why}");
                println!("{}", path.display());
            }
            index::IndexStatus::Missing => {
                let at = index::locate(&common.dump, &key).beside;
                println!("no index yet; it would be written to");
                println!("{}", at.display());
            }
        }
        return Ok(());
    }
    if reuse() == Reuse::NoIndex {
        return Err(Failure::Usage(
            "`index` with --no-index has nothing to do".into(),
        ));
    }
    let model = load_model(common)?;
    match &model.origin {
        Origin::Reopened(path, _)
        | Origin::Built {
            written: Ok((path, _)),
            ..
        } => {
            println!("{}", path.display());
            leave(model);
            Ok(())
        }
        Origin::Built {
            written: Err(why), ..
        } => Err(Failure::Dump(Error::new(format!(
            "cannot write the index of {}: {why}",
            common.dump.display()
        )))),
        Origin::NoIndex => Err(Failure::Dump(Error::new(format!(
            "{} is not a regular file: it has no index",
            common.dump.display()
        )))),
    }
}

/// The heap, for commands that need no dominator tree: from the index if
/// the dump has one, else parsed (without writing an index, which would
/// make these commands several times slower on a first open).
fn load(common: &Common) -> Result<Heap, Failure> {
    let start = Instant::now();
    if reuse() == Reuse::Index {
        let p = &options(common);
        if let Some(model) =
            with_progress(|progress| index::reopen_existing(&common.dump, p, progress))
        {
            for note in model.origin.notes() {
                eprintln!("heapscope: {note}");
            }
            if common.timings {
                let heap = &model.heap;
                print_timings(&heap.timings, start.elapsed(), Some(heap.memory_bytes()));
            }
            return Ok(model.heap);
        }
    }
    index::prepare_scratch(&common.dump, &options(common));
    let heap = with_progress(|p| Heap::open(&common.dump, &options(common), p))?;
    if common.timings {
        print_timings(&heap.timings, start.elapsed(), Some(heap.memory_bytes()));
    }
    Ok(heap)
}

fn paths(
    common: &Common,
    targets: Targets,
    max: usize,
    referents: Referents,
    exclude: Vec<ExcludedField>,
) -> Result<(), Failure> {
    let heap = load(common)?;
    let options = PathOptions {
        max,
        referents,
        exclude,
        ..PathOptions::default()
    };
    let described = referents.describe();
    let set: Vec<u32> = match targets {
        Targets::Object(text) => {
            let id = units::parse_id(&text).ok_or_else(|| {
                Failure::Usage(format!(
                    "bad object id '{text}': expected hex like 0xf0016ab0"
                ))
            })?;
            let o = heap.find(id).ok_or_else(|| {
                Failure::Usage(format!(
                    "no object with id {text} in {}",
                    common.dump.display()
                ))
            })?;
            let t = Instant::now();
            let found = analysis_paths::paths_to_roots(&heap, o, &options);
            if common.timings {
                eprintln!("time paths      {:>8.3} s", t.elapsed().as_secs_f64());
            }
            if common.json {
                print_json(&report::with_warnings(
                    report::paths::json(&heap, o, &described, &found),
                    heap.warnings(),
                ));
            } else {
                print!("{}", report::paths::text(&heap, o, &described, &found));
                eprint!("{}", report::warnings_text(heap.warnings()));
            }
            return Ok(());
        }
        Targets::Class(name) => {
            let c = heap
                .classes()
                .find(&name)
                .ok_or_else(|| Failure::Usage(format!("no class named {name} in the dump")))?;
            heap.instances_of(c)
        }
        Targets::FinalizerReferents => {
            let refs = ReferenceClasses::new(&heap);
            match heap.classes().find("java.lang.ref.Finalizer") {
                Some(f) => heap
                    .instances_of(f)
                    .into_iter()
                    .filter_map(|o| refs.referent(&heap, o))
                    .collect(),
                None => Vec::new(),
            }
        }
    };
    let filter = analysis_paths::Filter::new(&heap, referents, &options.exclude);
    let shortest = with_progress(|p| analysis_paths::ShortestPaths::compute(&filter, p))?;
    let merged = analysis_paths::merge_paths(&shortest, &set);
    if common.json {
        print_json(&report::with_warnings(
            report::paths::merged_json(&heap, &merged, set.len()),
            heap.warnings(),
        ));
    } else {
        print!(
            "{}",
            report::paths::merged_text(&heap, &merged, set.len(), max)
        );
        eprint!("{}", report::warnings_text(heap.warnings()));
    }
    Ok(())
}

fn finalizers(common: &Common) -> Result<(), Failure> {
    let print = |heap: &Heap, report: &analysis_finalizers::FinalizerReport| {
        if common.json {
            print_json(&report::with_warnings(
                report::finalizers::json(heap, report),
                heap.warnings(),
            ));
        } else {
            print!("{}", report::finalizers::text(heap, report));
            eprint!("{}", report::warnings_text(heap.warnings()));
        }
    };
    if reuse() == Reuse::NoIndex {
        let (heap, doms) = load_with_dominators(common, false)?;
        let report = with_progress(|p| analysis_finalizers::analyze(&heap, Some(&doms), p))?;
        print(&heap, &report);
        leave((heap, doms, report));
    } else {
        let model = load_model(common)?;
        print(&model.heap, &model.finalizers);
        leave(model);
    }
    Ok(())
}

fn threads(common: &Common) -> Result<(), Failure> {
    let print = |heap: &Heap, doms: &Dominators| {
        let t = Instant::now();
        let summaries = heapscope::analysis::threads::summarize(heap, Some(doms));
        if common.timings {
            eprintln!(
                "time {:<10} {:>8.3} s",
                "threads",
                t.elapsed().as_secs_f64()
            );
        }
        if common.json {
            print_json(&report::with_warnings(
                report::threads::json(heap, doms, &summaries),
                heap.warnings(),
            ));
        } else {
            print!("{}", report::threads::text(heap, doms, &summaries));
            eprint!("{}", report::warnings_text(heap.warnings()));
        }
    };
    if reuse() == Reuse::NoIndex {
        let (heap, doms) = load_with_dominators(common, false)?;
        print(&heap, &doms);
        leave((heap, doms));
    } else {
        let model = load_model(common)?;
        print(&model.heap, &model.doms[0]);
        leave(model);
    }
    Ok(())
}

fn waste(common: &Common, top: usize) -> Result<(), Failure> {
    let print = |heap: &Heap, doms: &Dominators| -> Result<(), Failure> {
        let t = Instant::now();
        let report = with_progress(|p| analysis_waste::analyze(heap, doms, p))?;
        if common.timings {
            eprintln!("time waste      {:>8.3} s", t.elapsed().as_secs_f64());
        }
        if common.json {
            print_json(&report::with_warnings(
                report::waste::json(heap, &report, top),
                heap.warnings(),
            ));
        } else {
            print!("{}", report::waste::text(heap, &report, top));
            eprint!("{}", report::warnings_text(heap.warnings()));
        }
        leave(report);
        Ok(())
    };
    if reuse() == Reuse::NoIndex {
        let (heap, doms) = load_with_dominators(common, true)?;
        print(&heap, &doms)?;
        leave((heap, doms));
    } else {
        let model = load_model(common)?;
        print(&model.heap, &model.doms[mode(true)])?;
        leave(model);
    }
    Ok(())
}

struct SuspectsOptions {
    threshold: f64,
    html: Option<PathBuf>,
    markdown: bool,
}

fn suspects(common: &Common, o: SuspectsOptions) -> Result<(), Failure> {
    if !(o.threshold > 0.0 && o.threshold <= 100.0) {
        return Err(Failure::Usage(format!(
            "--threshold {}: give a percentage above 0 and at most 100",
            o.threshold
        )));
    }
    let name = common
        .dump
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let print = |heap: &Heap,
                 doms: &Dominators,
                 finalizers: &analysis_finalizers::FinalizerReport,
                 class_retained: Option<&[u64]>|
     -> Result<(), Failure> {
        let children = doms.children_unsorted();
        let found = with_progress(|p| {
            analysis_suspects::report(heap, doms, &children, finalizers, o.threshold / 100.0, p)
        })?;
        let computed;
        let class_retained = match class_retained {
            Some(c) => c,
            None => {
                computed = doms.class_retained(heap, &children);
                &computed
            }
        };
        let context = report::suspects::Context {
            name: &name,
            doms,
            class_retained,
            finalizers,
        };
        if let Some(out) = &o.html {
            let page = report::document::html(
                &format!("heapscope: {name}"),
                &report::suspects::document(heap, &found, &context),
            );
            std::fs::write(out, page)
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", out.display())))?;
            eprintln!("heapscope: wrote {}", out.display());
        } else if o.markdown {
            print!(
                "{}",
                report::document::markdown(&report::suspects::document(heap, &found, &context))
            );
        } else if common.json {
            // Compact: one line for machines.
            let value =
                report::with_warnings(report::suspects::json(heap, &found), heap.warnings());
            println!("{value}");
        } else {
            print!("{}", report::suspects::text(heap, &found));
        }
        if !common.json {
            eprint!("{}", report::warnings_text(heap.warnings()));
        }
        leave((children, found));
        Ok(())
    };
    if reuse() == Reuse::NoIndex {
        let (heap, doms) = load_with_dominators(common, true)?;
        let finalizers = with_progress(|p| analysis_finalizers::analyze(&heap, Some(&doms), p))?;
        print(&heap, &doms, &finalizers, None)?;
        leave((heap, doms, finalizers));
    } else {
        let model = load_model(common)?;
        let strong = mode(true);
        print(
            &model.heap,
            &model.doms[strong],
            &model.finalizers,
            Some(&model.class_retained[strong]),
        )?;
        leave(model);
    }
    Ok(())
}

/// A SQL engine over the dump's whole model (from its index when it has
/// one).
#[cfg(feature = "sql")]
fn sql_engine(common: &Common) -> Result<heapscope::sql::Engine, Failure> {
    let model = load_model(common)?;
    if !common.json {
        eprint!("{}", report::warnings_text(model.heap.warnings()));
    }
    Ok(heapscope::sql::Engine::new(std::sync::Arc::new(model)))
}

#[cfg(feature = "sql")]
fn sql(common: &Common, query: &str, csv: bool, max_rows: usize) -> Result<(), Failure> {
    let start = Instant::now();
    let engine = sql_engine(common)?;
    let opened = start.elapsed();
    let cancel = Progress::new();
    engine.cancel_on_ctrl_c(&cancel);
    let failed = |e: heapscope::sql::SqlError| Failure::Usage(e.explain(query));
    if csv || common.json {
        let mut out = std::io::stdout().lock();
        engine
            .write(query, csv, &mut out, &cancel)
            .map_err(failed)?;
    } else {
        let answer = engine.answer(query, max_rows, &cancel).map_err(failed)?;
        print!("{}", answer.text());
    }
    if common.timings {
        let phases = [("open", opened), ("query", start.elapsed() - opened)];
        print_timings(
            &phases,
            start.elapsed(),
            Some(engine.model().heap().memory_bytes()),
        );
    }
    leave(engine);
    Ok(())
}

#[cfg(feature = "sql")]
fn export(common: &Common, dir: &Path) -> Result<(), Failure> {
    let engine = sql_engine(common)?;
    let cancel = Progress::new();
    engine.cancel_on_ctrl_c(&cancel);
    let written = engine
        .export_parquet(dir, &cancel)
        .map_err(|e| Failure::Usage(e.to_string()))?;
    for (path, rows) in written {
        println!("{}  {} rows", path.display(), units::thousands(rows));
    }
    leave(engine);
    Ok(())
}

struct DiffOptions {
    json: bool,
    top: usize,
    filter: Option<String>,
    sort: Sort,
    full: bool,
    /// Baseline's and current dump's.
    load: [LoadOptions; 2],
    timings: bool,
}

fn diff(files: [&Path; 2], o: DiffOptions) -> Result<(), Failure> {
    let filter = parse_filter(o.filter.as_deref())?;
    if o.sort == Sort::Retained && !o.full {
        return Err(Failure::Usage(
            "--sort retained needs retained sizes: drop --classes-only".into(),
        ));
    }
    let start = Instant::now();
    let snapshots = with_progresses(&["baseline: ", "current: "], |p| {
        let reopen = |path: &Path, load: &LoadOptions, name: &str, p: &Progress| {
            if reuse() == Reuse::NoIndex {
                return None;
            }
            let model = index::reopen_existing(path, load, p)?;
            eprintln!("heapscope: {}", model.origin.notes().join("; "));
            let snapshot = analysis_diff::Snapshot::of_indexed(
                &model.heap,
                name,
                &model.doms[1],
                &model.finalizers,
            );
            leave(model);
            Some(snapshot)
        };
        analysis_diff::snapshot_pair_with(
            files,
            [&o.load[0], &o.load[1]],
            o.full,
            [&p[0], &p[1]],
            &reopen,
        )
    })?;
    let loaded = start.elapsed();
    let t = Instant::now();
    let result = analysis_diff::compare(&snapshots[0], &snapshots[1]);
    if o.timings {
        let phases = [("snapshots", loaded), ("compare", t.elapsed())];
        print_timings(&phases, start.elapsed(), None);
    }
    let mut classes: Vec<_> = result
        .classes
        .iter()
        .filter(|c| filter.as_ref().is_none_or(|f| f.is_match(&c.name)))
        // The text lists what changed; JSON every class.
        .filter(|c| {
            o.json
                || c.instances_delta() != 0
                || c.shallow_delta() != 0
                || c.retained_delta().is_some_and(|d| d != 0)
        })
        .collect();
    match o.sort {
        Sort::Shallow => {}
        Sort::Instances => classes.sort_by_key(|c| std::cmp::Reverse(c.instances_delta())),
        Sort::Retained => {
            classes.sort_by_key(|c| std::cmp::Reverse(c.retained_delta().unwrap_or(0)))
        }
    }
    classes.truncate(o.top);
    if o.json {
        print_json(&report::diff::json(&result, &classes, o.top));
    } else {
        print!("{}", report::diff::text(&result, &classes, o.top));
    }
    Ok(())
}

#[cfg(feature = "gui")]
fn window(dump: Option<PathBuf>, demo: bool, heap_dump: Option<usize>) -> Result<(), Failure> {
    heapscope::app::run(dump, demo, heap_dump)
        .map_err(|e| Failure::Dump(Error::new(format!("cannot open the window: {e}"))))
}

#[cfg(not(feature = "gui"))]
fn window(dump: Option<PathBuf>, _demo: bool, heap_dump: Option<usize>) -> Result<(), Failure> {
    overview(dump, heap_dump)
}

#[cfg(feature = "gui")]
fn screenshot(
    dump: &Path,
    baseline: Option<&Path>,
    heap_dumps: [Option<usize>; 2],
    view: &str,
    group: Option<&str>,
    out: &Path,
    size: &str,
) -> Result<(), Failure> {
    // compare-owners and compare-finalizers: the comparison's other sections.
    use heapscope::app::Section;
    let (view, section) = match view {
        "compare-owners" => ("compare", Section::Owners),
        "compare-finalizers" => ("compare", Section::Finalizers),
        v => (v, Section::Classes),
    };
    let view = heapscope::app::View::parse(view).ok_or_else(|| {
        Failure::Usage(format!("unknown view '{view}': overview, suspects, histogram, dominators, finalizers, waste, inspector, threads, query, sql or compare"))
    })?;
    let groupings: &[&str] = match view {
        heapscope::app::View::Dominators => &["class", "class loader", "package"],
        heapscope::app::View::Histogram => &["package", "superclass", "class loader"],
        _ => &[],
    };
    if let Some(g) = group.filter(|g| !groupings.contains(g)) {
        return Err(Failure::Usage(match groupings {
            [] => "--group goes with --view dominators or histogram".into(),
            _ => format!("no grouping '{g}' of this view: {}", groupings.join(", ")),
        }));
    }
    if (view == heapscope::app::View::Compare) != baseline.is_some() {
        return Err(Failure::Usage(
            "--view compare and --baseline go together".into(),
        ));
    }
    let (w, h) = size
        .split_once('x')
        .and_then(|(w, h)| Some((w.parse::<f32>().ok()?, h.parse::<f32>().ok()?)))
        .ok_or_else(|| {
            Failure::Usage(format!(
                "bad --size '{size}': expected WIDTHxHEIGHT like 1280x800"
            ))
        })?;
    heapscope::app::screenshot(dump, baseline, heap_dumps, view, section, group, out, w, h)
        .map_err(|e| Failure::from(Error::new(e)))
}

/// Summary and the top of the histogram of DUMP or the demo, as text.
fn overview(dump: Option<PathBuf>, heap_dump: Option<usize>) -> Result<(), Failure> {
    let (path, _temp) = match dump {
        Some(p) => (p, None),
        None => {
            let temp = demo_file().map_err(|e| {
                Failure::Dump(Error::new(format!("cannot unpack the demo dump: {e}")))
            })?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let options = LoadOptions {
        heap_dump,
        ..LoadOptions::default()
    };
    let heap = with_progress(|p| Heap::open(&path, &options, p))?;
    let heap_dumps =
        with_progress(|p| heap::heap_dump_figures(heap.dump(), heap.census(), &options, p))?;
    print!("{}", report::summary::text(&heap));
    print!("{}", report::summary::heap_dumps_text(&heap, &heap_dumps));
    println!();
    let all = histogram::histogram(heap.census(), SortBy::Shallow);
    print!(
        "{}",
        report::histogram::text(&all[..all.len().min(20)], &all)
    );
    Ok(())
}

fn print_timings(phases: &[(&'static str, Duration)], total: Duration, model: Option<u64>) {
    for (name, d) in phases {
        eprintln!("time {name:<10} {:>8.3} s", d.as_secs_f64());
    }
    eprintln!("time {:<10} {:>8.3} s", "total", total.as_secs_f64());
    if let Some(m) = model {
        eprintln!("model memory {m} bytes");
    }
    // Resident memory counts the mapped dump's pages too; the anonymous
    // part is the memory of our own.
    if let Some(hwm) = proc_status_bytes("VmHWM:") {
        eprintln!("peak rss {hwm} bytes");
    }
    if let Some(anon) = proc_status_bytes("RssAnon:") {
        eprintln!("anonymous rss {anon} bytes");
        let peak = PEAK_ANON
            .load(std::sync::atomic::Ordering::Relaxed)
            .max(anon);
        eprintln!("peak anonymous rss {peak} bytes (sampled every 5 ms)");
    }
}

/// A `kB` figure of /proc/self/status, in bytes, if the OS has it.
fn proc_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(Path::new("/proc/self/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

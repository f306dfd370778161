//! The `heapscope` command: parses arguments, then prints a report.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::{Args, Parser, Subcommand, ValueEnum};
use regex::Regex;

use heapscope::analysis::histogram::{self, SortBy};
use heapscope::heap::{self, Heap, Layout, LoadOptions};
use heapscope::hprof::Error;
use heapscope::progress::Progress;
use heapscope::report;

/// A fast explorer for Java heap dumps (HPROF, plain or gzip).
///
/// With no command, heapscope prints an overview of DUMP, or of its
/// built-in demo dump when no file is given.
#[derive(Parser)]
#[command(name = "heapscope", version, about, long_about)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    /// Heap dump to open (.hprof or .hprof.gz)
    dump: Option<PathBuf>,
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
        /// Order, largest first
        #[arg(long, value_enum, default_value_t = Sort::Shallow)]
        sort: Sort,
    },
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
}

#[derive(Clone, Copy, ValueEnum)]
enum Sort {
    Instances,
    Shallow,
}

/// The built-in demo dump: a small gzip dump of `assets/demo/TimerLeakDemo.java`.
const DEMO_DUMP: &[u8] = include_bytes!("../assets/demo.hprof.gz");

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Some(Command::Summary { common }) => summary(&common),
        Some(Command::Histogram {
            common,
            top,
            filter,
            sort,
        }) => histogram(&common, top, filter.as_deref(), sort),
        None => overview(cli.dump),
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
        Failure::Dump(e)
    }
}

/// Runs `job` with a progress line on stderr when stderr is a terminal.
fn with_progress<T>(job: impl FnOnce(&Progress) -> T) -> T {
    let progress = Arc::new(Progress::new());
    if !std::io::stderr().is_terminal() {
        return job(&progress);
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let watcher = {
        let (progress, done) = (progress.clone(), done.clone());
        std::thread::spawn(move || {
            let start = Instant::now();
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                std::thread::sleep(Duration::from_millis(150));
                if start.elapsed() < Duration::from_millis(300) {
                    continue;
                }
                let (d, t) = progress.counts();
                let pct = if t > 0 {
                    100.0 * d as f64 / t as f64
                } else {
                    0.0
                };
                eprint!("\r\x1b[K{} {pct:.0}%", progress.phase().label());
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

fn options(common: &Common) -> LoadOptions {
    LoadOptions {
        layout: common.layout,
    }
}

fn print_json(value: &serde_json::Value) {
    println!(
        "{}",
        serde_json::to_string_pretty(value).expect("JSON values serialize")
    );
}

fn summary(common: &Common) -> Result<(), Failure> {
    let start = Instant::now();
    let heap = with_progress(|p| Heap::open(&common.dump, &options(common), p))?;
    if common.timings {
        print_timings(&heap.timings, start.elapsed(), Some(heap.memory_bytes()));
    }
    if common.json {
        print_json(&report::summary::json(&heap));
    } else {
        print!("{}", report::summary::text(&heap));
    }
    Ok(())
}

fn histogram(
    common: &Common,
    top: Option<usize>,
    filter: Option<&str>,
    sort: Sort,
) -> Result<(), Failure> {
    let filter = filter
        .map(Regex::new)
        .transpose()
        .map_err(|e| Failure::Usage(format!("bad --filter: {e}")))?;
    let sort = match sort {
        Sort::Instances => SortBy::Instances,
        Sort::Shallow => SortBy::Shallow,
    };
    let start = Instant::now();
    let (_dump, census) = with_progress(|p| heap::open_census(&common.dump, &options(common), p))?;
    let all = histogram::histogram(&census, sort, None);
    let mut rows = match &filter {
        Some(f) => all
            .iter()
            .filter(|r| f.is_match(&r.name))
            .cloned()
            .collect(),
        None => all.clone(),
    };
    if let Some(n) = top {
        rows.truncate(n);
    }
    if common.timings {
        print_timings(&[], start.elapsed(), None);
    }
    if common.json {
        print_json(&report::histogram::json(&rows, &all));
    } else {
        print!("{}", report::histogram::text(&rows, &all));
        for w in &census.warnings {
            eprintln!("warning: {w}");
        }
    }
    Ok(())
}

/// No command: summary and the top of the histogram of DUMP or the demo.
fn overview(dump: Option<PathBuf>) -> Result<(), Failure> {
    let (path, _temp) = match dump {
        Some(p) => (p, None),
        None => {
            let temp = demo_file().map_err(|e| {
                Failure::Dump(Error::new(format!("cannot unpack the demo dump: {e}")))
            })?;
            (temp.path().to_path_buf(), Some(temp))
        }
    };
    let heap = with_progress(|p| Heap::open(&path, &LoadOptions::default(), p))?;
    print!("{}", report::summary::text(&heap));
    println!();
    let all = histogram::histogram(heap.census(), SortBy::Shallow, None);
    print!(
        "{}",
        report::histogram::text(&all[..all.len().min(20)], &all)
    );
    Ok(())
}

fn demo_file() -> std::io::Result<tempfile::NamedTempFile> {
    let mut f = tempfile::Builder::new()
        .prefix("heapscope-demo-")
        .suffix(".hprof.gz")
        .tempfile()?;
    f.write_all(DEMO_DUMP)?;
    f.flush()?;
    Ok(f)
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
    }
}

/// A `kB` figure of /proc/self/status, in bytes, if the OS has it.
fn proc_status_bytes(key: &str) -> Option<u64> {
    let status = std::fs::read_to_string(Path::new("/proc/self/status")).ok()?;
    let line = status.lines().find(|l| l.starts_with(key))?;
    let kb: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kb * 1024)
}

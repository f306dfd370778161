//! Loading and analysis benchmark: time and peak memory of `heapscope
//! histogram` (one pass), `heapscope summary` (the full model with
//! references both ways) and `heapscope dominators` (open to retained
//! sizes) on big dumps, side by side with hprof-slurp (histogram) and
//! hprof-analyzer (full analysis with retained sizes) on the same files;
//! then, in process, paths to GC roots for a spread of objects. Last, the
//! comparison of a before/after pair: `heapscope diff` with and without
//! owners beside `hprof-slurp diff`, and opening one of the pair.
//!
//! With `--sql`, only the SQL query over every object (issue 13) runs, on
//! the reopened dumps.
//!
//! Usage: `cargo bench --bench load [-- DUMP... [--pair BEFORE AFTER] [--sql]]`.
//! Without dumps it makes `target/bench/big1g.hprof`,
//! `target/bench/big2g.hprof` and the pair `target/bench/pair-before.hprof`
//! and `pair-after.hprof` (1.10 and 1.20 GB: one JVM dumped, grown by
//! 72 MiB of leaking timer tasks and cache maps, dumped again) with
//! `benches/make-dump.sh` (a JDK is needed, and about 5.6 GB of disk).
//! The peers run when found on PATH or in ~/.cargo/bin (`cargo install
//! hprof-slurp --locked`, `cargo install hprof-analyzer --version 0.2.2
//! --locked`). Each heapscope and hprof-slurp command runs 3 times after the
//! file was read once into the page cache, and the best run is shown;
//! hprof-analyzer, which takes minutes, runs once.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Instant;

const RUNS: usize = 3;

struct Run {
    seconds: f64,
    max_rss: u64,
    stderr: String,
}

/// Runs a command, returning its wall time and peak resident memory.
// The child is reaped with wait4, which also gives its resource usage.
#[allow(clippy::zombie_processes)]
fn run(program: &Path, args: &[&str]) -> Run {
    run_env(program, args, &[])
}

#[allow(clippy::zombie_processes)]
fn run_env(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
        .envs(env.iter().copied())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("run {}: {e}", program.display()));
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: a plain rusage struct filled in by wait4 for our own child.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    let stderr_reader = {
        let mut err = child.stderr.expect("stderr");
        std::thread::spawn(move || {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut err, &mut s).ok();
            s
        })
    };
    // SAFETY: waiting for the child we spawned; the Child handle is not used
    // to wait again.
    let r = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    assert_eq!(r, pid, "wait4");
    let seconds = start.elapsed().as_secs_f64();
    let stderr = stderr_reader.join().unwrap_or_default();
    assert!(
        libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0,
        "{} {args:?} failed: {stderr}",
        program.display()
    );
    Run {
        seconds,
        max_rss: usage.ru_maxrss as u64 * 1024,
        stderr,
    }
}

fn best(program: &Path, args: &[&str]) -> Run {
    best_env(program, args, &[])
}

fn best_env(program: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    (0..RUNS)
        .map(|_| run_env(program, args, env))
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .expect("runs")
}

/// The dump's object count, from `histogram --json` (which `run`, which
/// drops stdout, cannot give).
fn objects_of(path: &str) -> u64 {
    let out = Command::new(env!("CARGO_BIN_EXE_heapscope"))
        .args(["histogram", path, "--json", "--top", "1"])
        .output()
        .expect("heapscope histogram");
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).expect("JSON");
    v["total_instances"].as_u64().unwrap_or(1).max(1)
}

/// Builds the model under a memory cap of 60% of the dump's size, with
/// `benches/capped.sh` (root and cgroup v1 needed), and checks that the
/// dominators are those of an uncapped run.
fn capped_run(heapscope: &Path, dump: &Path, size: u64) {
    let path = dump.to_str().expect("utf-8 path");
    let args = ["dominators", path, "--top", "100", "--json", "--no-index"];
    let free = Command::new(heapscope)
        .args(args)
        .output()
        .expect("heapscope");
    let limit_mb = (size * 6 / 10) >> 20;
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/benches/capped.sh");
    let _ = Command::new("sync").status();
    let _ = std::fs::write("/proc/sys/vm/drop_caches", "1");
    let start = Instant::now();
    let capped = Command::new(script)
        .arg(limit_mb.to_string())
        .arg(heapscope)
        .args(args)
        .output()
        .expect("benches/capped.sh");
    let seconds = start.elapsed().as_secs_f64();
    let report = String::from_utf8_lossy(&capped.stderr);
    let line = report
        .lines()
        .find(|l| l.starts_with("capped:"))
        .unwrap_or("capped: not run (needs root and cgroup v1)");
    let same = capped.status.success() && capped.stdout == free.stdout;
    println!(
        "{:<14}   capped at 60% of the dump ({limit_mb} MiB): {seconds:.1} s from a cold cache; {line}; dominators {}",
        dump.file_name().and_then(|n| n.to_str()).unwrap_or("?"),
        if same {
            "identical to an uncapped run"
        } else {
            "DIFFER or failed"
        }
    );
}

/// A figure heapscope printed with --timings: bytes ("anonymous rss N
/// bytes") or seconds ("time answer at S s").
fn reported<T: std::str::FromStr>(stderr: &str, key: &str) -> Option<T> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// A peer tool on PATH or in ~/.cargo/bin.
fn peer(name: &str) -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin").join(name));
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|p| p.join(name))
        .chain(home)
        .find(|p| p.is_file())
}

/// Paths to GC roots for a spread of objects, in a child process (so that
/// this one stays small: a child's peak RSS starts from its parent's):
/// a line of figures in words.
fn paths_timing(dump: &Path) -> String {
    let out = Command::new(std::env::current_exe().expect("bench binary"))
        .arg("--paths-timing")
        .arg(dump)
        .output()
        .expect("run the paths timing");
    let text = String::from_utf8_lossy(&out.stdout).trim().to_string();
    let w: Vec<&str> = text.split_whitespace().collect();
    assert!(
        w.len() == 7,
        "paths timing failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let ms = |s: &str| s.parse::<f64>().expect("figure");
    format!(
        "{} objects: median {:.2} ms, 95th percentile {:.2} ms, max {:.2} ms ({}, a path of {} references), max {:.2} ms for paths under 10,000 references",
        w[3],
        ms(w[0]),
        ms(w[1]),
        ms(w[2]),
        w[4],
        w[5],
        ms(w[6])
    )
}

/// The child's side of [`paths_timing`]: loads the dump, times 100
/// objects spread over it and prints the figures.
fn paths_timing_child(dump: &Path) {
    use heapscope::analysis::paths::{PathOptions, paths_to_roots};
    use heapscope::heap::{Heap, LoadOptions};
    use heapscope::progress::Progress;
    let heap = Heap::open(dump, &LoadOptions::default(), &Progress::new()).expect("load");
    let n = heap.object_count();
    let mut times: Vec<(f64, u32, usize)> = (0..100u32)
        .map(|i| {
            let o = (i as u64 * 2_654_435_761 % n as u64) as u32;
            let t = Instant::now();
            let found = paths_to_roots(&heap, o, &PathOptions::default());
            let ms = t.elapsed().as_secs_f64() * 1000.0;
            (ms, o, found.paths.first().map_or(0, |p| p.steps.len() - 1))
        })
        .collect();
    times.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (max, slowest, length) = times[times.len() - 1];
    // The slowest when the path itself is short (not deep in a long list).
    let short_max = times
        .iter()
        .filter(|t| t.2 < 10_000)
        .map(|t| t.0)
        .fold(0.0, f64::max);
    println!(
        "{} {} {} {} {} {} {}",
        times[times.len() / 2].0,
        times[times.len() * 95 / 100].0,
        max,
        times.len(),
        heap.class(heap.class_of(slowest)).name,
        length,
        short_max
    );
}

/// `target/bench/NAME` for each name; when one is missing, runs
/// `benches/make-dump.sh` with `args` (the paths given as `{0}`, `{1}`).
fn made(names: &[&str], args: &[&str]) -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let paths: Vec<PathBuf> = names
        .iter()
        .map(|n| root.join("target/bench").join(n))
        .collect();
    if !paths.iter().all(|p| p.exists()) {
        eprintln!("making {} ...", names.join(" and "));
        let args: Vec<String> = args
            .iter()
            .map(|a| match *a {
                "{0}" => paths[0].display().to_string(),
                "{1}" => paths[1].display().to_string(),
                a => a.to_string(),
            })
            .collect();
        let status = Command::new("bash")
            .arg(root.join("benches/make-dump.sh"))
            .args(&args)
            .status()
            .expect("run benches/make-dump.sh");
        assert!(status.success(), "make-dump.sh failed");
    }
    paths
}

fn default_dumps() -> Vec<PathBuf> {
    [("big1g.hprof", "725"), ("big2g.hprof", "1450")]
        .iter()
        .flat_map(|(name, mb)| made(&[name], &[mb, "{0}"]))
        .collect()
}

/// The before/after pair.
fn default_pair() -> [PathBuf; 2] {
    let pair = made(
        &["pair-before.hprof", "pair-after.hprof"],
        &["725", "{0}", "--grow", "72", "{1}"],
    );
    [pair[0].clone(), pair[1].clone()]
}

/// Reads a file once, so that every tool starts from the page cache.
fn warm(path: &Path) {
    std::io::copy(
        &mut std::fs::File::open(path).expect("open"),
        &mut std::io::sink(),
    )
    .expect("read");
}

/// `heapscope diff` (classes only, and full) beside `hprof-slurp diff`,
/// and opening the current dump to retained sizes for reference.
fn bench_diff(heapscope: &Path, slurp: Option<&Path>, pair: &[PathBuf; 2]) {
    for p in pair {
        warm(p);
    }
    let (before, after) = (
        pair[0].to_str().expect("utf-8 path"),
        pair[1].to_str().expect("utf-8 path"),
    );
    println!();
    println!(
        "comparing {} ({:.2} GB) with {} ({:.2} GB)",
        before,
        gb(std::fs::metadata(before).expect("dump").len()),
        after,
        gb(std::fs::metadata(after).expect("dump").len())
    );
    println!("{:<52} {:>8} {:>10}", "command", "seconds", "peak RSS");
    let line = |label: &str, r: &Run| {
        println!("{label:<52} {:>8.2} {:>7.2} GB", r.seconds, gb(r.max_rss));
    };
    let open = best(heapscope, &["histogram", after, "--retained", "--top", "1"]);
    line("heapscope: open one dump to retained sizes", &open);
    let classes = best(heapscope, &["diff", before, after, "--classes-only"]);
    line("heapscope diff --classes-only", &classes);
    if let Some(slurp) = slurp {
        line(
            "hprof-slurp diff (shallow per class)",
            &best(slurp, &["diff", before, after]),
        );
    }
    let full = best(heapscope, &["diff", before, after, "--timings"]);
    line("heapscope diff (classes, owners, finalizers)", &full);
    println!(
        "full comparison / opening one dump: {:.2}",
        full.seconds / open.seconds
    );
}

/// The query of issue 13: every object grouped by class.
const SQL_GROUP_BY: &str =
    "SELECT class, count(*), sum(retained) FROM objects GROUP BY class ORDER BY 3 DESC LIMIT 10";

/// [`SQL_GROUP_BY`] on the reopened dump (its index is written first when
/// missing): the whole command, the query alone, peak memory.
fn bench_sql(heapscope: &Path, dump: &Path) {
    let name = dump.file_name().and_then(|n| n.to_str()).unwrap_or("?");
    let path = dump.to_str().expect("utf-8 path");
    run(heapscope, &["index", path]);
    let r = best(heapscope, &["sql", path, SQL_GROUP_BY, "--timings"]);
    let query = reported::<f64>(&r.stderr, "time query").unwrap_or(f64::NAN);
    let anon = reported::<u64>(&r.stderr, "peak anonymous rss ").unwrap_or(0);
    let objects = objects_of(path);
    println!(
        "{name:<14} heapscope reopen: sql GROUP BY class {:>8.2} s (query {query:.2} s); peak RSS {:.2} GB, peak anonymous {:.2} GB = {:.1} B per object ({objects} objects)",
        r.seconds,
        gb(r.max_rss),
        gb(anon),
        anon as f64 / objects as f64
    );
}

fn gb(bytes: u64) -> f64 {
    bytes as f64 / 1e9
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--paths-timing") {
        paths_timing_child(Path::new(&args[i + 1]));
        return;
    }
    let pair_at = args.iter().position(|a| a == "--pair");
    let given_pair = pair_at.map(|i| {
        assert!(args.len() > i + 2, "--pair BEFORE AFTER");
        [PathBuf::from(&args[i + 1]), PathBuf::from(&args[i + 2])]
    });
    let mut dumps: Vec<PathBuf> = args
        .iter()
        .enumerate()
        .skip(1)
        .filter(|(i, a)| !a.starts_with("--") && pair_at.is_none_or(|p| *i < p || *i > p + 2))
        .map(|(_, a)| PathBuf::from(a))
        .collect();
    let defaulted = dumps.is_empty() && given_pair.is_none();
    if defaulted {
        dumps = default_dumps();
    }
    let heapscope = Path::new(env!("CARGO_BIN_EXE_heapscope"));
    if args.iter().any(|a| a == "--sql") {
        for dump in &dumps {
            warm(dump);
            bench_sql(heapscope, dump);
        }
        return;
    }
    let slurp = peer("hprof-slurp");
    if slurp.is_none() {
        eprintln!(
            "hprof-slurp not found: install it with `cargo install hprof-slurp --locked` to compare"
        );
    }
    // benches/analyzer: a small binary on hprof-analyzer's
    // analyze_to_report_with_progress (see its README).
    let analyzer_bench = std::env::var_os("HPROF_ANALYZER_BENCH")
        .map(PathBuf::from)
        .filter(|p| p.is_file());
    let analyzer = peer("hprof-analyzer");
    if analyzer.is_none() {
        eprintln!(
            "hprof-analyzer not found: `cargo install hprof-analyzer --version 0.2.2 --locked` to compare"
        );
    }
    println!(
        "{:<14} {:<36} {:>8} {:>9} {:>10} {:>10}",
        "dump", "command", "seconds", "GB/s", "peak RSS", "own memory"
    );
    for dump in &dumps {
        let size = std::fs::metadata(dump).expect("dump").len();
        warm(dump);
        let name = dump.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let path = dump.to_str().expect("utf-8 path");
        let line = |label: &str, r: &Run| {
            let own = reported::<u64>(&r.stderr, "anonymous rss ")
                .map(|b| format!("{:.2} GB", gb(b)))
                .unwrap_or_else(|| "-".into());
            println!(
                "{name:<14} {label:<36} {:>8.2} {:>9.2} {:>7.2} GB {:>10}",
                r.seconds,
                gb(size) / r.seconds,
                gb(r.max_rss),
                own
            );
        };
        line(
            "heapscope histogram",
            &best(heapscope, &["histogram", path, "--timings"]),
        );
        let full = best(
            heapscope,
            &["summary", path, "--json", "--timings", "--no-index"],
        );
        line("heapscope summary (full model)", &full);
        let slurp_run = slurp
            .as_ref()
            .map(|slurp| best(slurp, &[path, "--top", "20"]));
        if let Some(r) = &slurp_run {
            line("hprof-slurp (histogram)", r);
        }
        // Today's path before the index: everything in anonymous memory.
        let in_memory = best_env(
            heapscope,
            &["dominators", path, "--top", "10", "--timings", "--no-index"],
            &[("HEAPSCOPE_SCRATCH", "memory")],
        );
        line("heapscope dominators, no index, in memory", &in_memory);
        let index = PathBuf::from(format!("{path}.hsidx"));
        let first = (0..RUNS)
            .map(|_| {
                let _ = std::fs::remove_file(&index);
                run(heapscope, &["dominators", path, "--top", "10", "--timings"])
            })
            .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
            .expect("runs");
        line("heapscope first open (writes the index)", &first);
        let index_bytes = std::fs::metadata(&index).map(|m| m.len()).unwrap_or(0);
        let reopen = best(heapscope, &["dominators", path, "--top", "10", "--timings"]);
        line("heapscope reopen: dominators --top 10", &reopen);
        let reopen_histogram = best(heapscope, &["histogram", path, "--retained", "--timings"]);
        line("heapscope reopen: histogram --retained", &reopen_histogram);
        bench_sql(heapscope, dump);
        if let Some(bench) = &analyzer_bench {
            line(
                "hprof-analyzer 0.2.2 (analyze_to_report)",
                &run(bench, &[path]),
            );
        } else if let Some(analyzer) = &analyzer {
            let out = std::env::temp_dir().join("heapscope-bench-analyzer.json");
            line(
                "hprof-analyzer 0.2.2 (full report)",
                &run(analyzer, &[path, out.to_str().expect("utf-8")]),
            );
            let _ = std::fs::remove_file(out);
        }
        let objects = objects_of(path);
        let per_object = |r: &Run| {
            reported::<u64>(&r.stderr, "peak anonymous rss ")
                .map(|b| format!("{:.1} B", b as f64 / objects as f64))
                .unwrap_or_else(|| "-".into())
        };
        let answer = reported::<f64>(&first.stderr, "time answer at");
        println!(
            "{name:<14}   {objects} objects; index {:.2} GB = {:.0}% of the dump",
            gb(index_bytes),
            100.0 * index_bytes as f64 / size as f64
        );
        println!(
            "{name:<14}   peak anonymous memory per object: building {} (in memory: {}), reopening {}",
            per_object(&first),
            per_object(&in_memory),
            per_object(&reopen)
        );
        println!(
            "{name:<14}   first open: answer at {:.2} s, index complete at {:.2} s; in memory without index {:.2} s",
            answer.unwrap_or(f64::NAN),
            first.seconds,
            in_memory.seconds
        );
        if let Some(slurp) = &slurp_run {
            println!(
                "{name:<14}   reopen / hprof-slurp histogram: {:.2} (dominators), {:.2} (histogram --retained); first answer / hprof-slurp: {:.1}",
                reopen.seconds / slurp.seconds,
                reopen_histogram.seconds / slurp.seconds,
                answer.unwrap_or(f64::NAN) / slurp.seconds
            );
        }
        capped_run(heapscope, dump, size);
        let model = reported::<u64>(&full.stderr, "model memory ");
        let phases: Vec<String> = full
            .stderr
            .lines()
            .filter_map(|l| l.strip_prefix("time "))
            .map(|l| l.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect();
        println!("{name:<14}   full model phases: {}", phases.join(", "));
        if let Some(model) = model {
            println!("{name:<14}   model memory: {:.2} GB", gb(model));
        }
        let dom_time = in_memory
            .stderr
            .lines()
            .find_map(|l| l.strip_prefix("time dominators"))
            .map(|t| t.trim().to_string())
            .unwrap_or_default();
        println!("{name:<14}   dominators and retained sizes alone: {dom_time}");
        println!("{name:<14}   paths to GC roots, {}", paths_timing(dump));
    }
    if let Some(pair) = given_pair.or_else(|| defaulted.then(default_pair)) {
        bench_diff(heapscope, slurp.as_deref(), &pair);
    }
}

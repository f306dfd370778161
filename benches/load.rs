//! Loading benchmark: time and peak memory of `heapscope histogram` (one
//! pass) and `heapscope summary` (the full model with references both
//! ways) on big dumps, side by side with hprof-slurp on the same files.
//!
//! Usage: `cargo bench --bench load [-- DUMP...]`. Without dumps it makes
//! `target/bench/big1g.hprof` and `target/bench/big2g.hprof` with
//! `benches/make-dump.sh` (a JDK is needed, and about 3.3 GB of disk).
//! hprof-slurp is run when found on PATH or in ~/.cargo/bin
//! (`cargo install hprof-slurp --locked`). Each command runs 3 times after
//! the file was read once into the page cache; the best run is shown.

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
    let start = Instant::now();
    let child = Command::new(program)
        .args(args)
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
    (0..RUNS)
        .map(|_| run(program, args))
        .min_by(|a, b| a.seconds.total_cmp(&b.seconds))
        .expect("runs")
}

/// A figure heapscope printed with --timings ("anonymous rss N bytes").
fn reported(stderr: &str, key: &str) -> Option<u64> {
    stderr
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

fn hprof_slurp() -> Option<PathBuf> {
    let home = std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cargo/bin/hprof-slurp"));
    std::env::var_os("PATH")
        .into_iter()
        .flat_map(|p| std::env::split_paths(&p).collect::<Vec<_>>())
        .map(|p| p.join("hprof-slurp"))
        .chain(home)
        .find(|p| p.is_file())
}

fn default_dumps() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let dir = root.join("target/bench");
    [("big1g.hprof", "725"), ("big2g.hprof", "1450")]
        .iter()
        .map(|(name, mb)| {
            let path = dir.join(name);
            if !path.exists() {
                eprintln!("making {} ...", path.display());
                let status = Command::new("bash")
                    .arg(root.join("benches/make-dump.sh"))
                    .arg(mb)
                    .arg(&path)
                    .status()
                    .expect("run benches/make-dump.sh");
                assert!(status.success(), "make-dump.sh failed");
            }
            path
        })
        .collect()
}

fn gb(bytes: u64) -> f64 {
    bytes as f64 / 1e9
}

fn main() {
    let mut dumps: Vec<PathBuf> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .map(PathBuf::from)
        .collect();
    if dumps.is_empty() {
        dumps = default_dumps();
    }
    let heapscope = Path::new(env!("CARGO_BIN_EXE_heapscope"));
    let slurp = hprof_slurp();
    if slurp.is_none() {
        eprintln!(
            "hprof-slurp not found: install it with `cargo install hprof-slurp --locked` to compare"
        );
    }
    println!(
        "{:<14} {:<34} {:>8} {:>9} {:>10} {:>10}",
        "dump", "command", "seconds", "GB/s", "peak RSS", "own memory"
    );
    for dump in &dumps {
        let size = std::fs::metadata(dump).expect("dump").len();
        // Read once so that every tool starts from the page cache.
        std::io::copy(
            &mut std::fs::File::open(dump).expect("open"),
            &mut std::io::sink(),
        )
        .expect("read");
        let name = dump.file_name().and_then(|n| n.to_str()).unwrap_or("?");
        let path = dump.to_str().expect("utf-8 path");
        let line = |label: &str, r: &Run| {
            let own = reported(&r.stderr, "anonymous rss ")
                .map(|b| format!("{:.2} GB", gb(b)))
                .unwrap_or_else(|| "-".into());
            println!(
                "{name:<14} {label:<34} {:>8.2} {:>9.2} {:>7.2} GB {:>10}",
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
        let full = best(heapscope, &["summary", path, "--json", "--timings"]);
        line("heapscope summary (full model)", &full);
        if let Some(slurp) = &slurp {
            line(
                "hprof-slurp (histogram)",
                &best(slurp, &[path, "--top", "20"]),
            );
        }
        let model = reported(&full.stderr, "model memory ");
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
    }
}

//! Runs hprof-analyzer 0.2.2's full analysis (`analyze_to_report_with_progress`,
//! default options) on the dump given as the first argument, then prints the
//! elapsed time, the phases as they are reported, the number of classes and
//! objects, and the top classes and objects by retained size.

use std::time::Instant;

use hprof_analyzer::{AnalyzeOptions, HprofSource};

const TOP: usize = 5;

fn main() {
    let path = match std::env::args().nth(1) {
        Some(path) if std::env::args().len() == 2 => path,
        _ => {
            eprintln!("usage: hprof-analyzer-bench FILE.hprof");
            std::process::exit(2);
        }
    };
    let source = HprofSource::Path(path.clone());
    let opts = AnalyzeOptions::default();
    let start = Instant::now();
    let mut last_phase = String::new();
    let mut progress = |phase: &str, _fraction: f32| {
        if phase != last_phase {
            eprintln!("  {:>7.2} s  {phase}", start.elapsed().as_secs_f64());
            last_phase = phase.to_string();
        }
    };
    let (report, retained) = match hprof_analyzer::analyze_to_report_with_progress(&source, &opts, &mut progress) {
        Ok(result) => result,
        Err(error) => {
            eprintln!("error: {path}: {error}");
            std::process::exit(1);
        }
    };
    let elapsed = start.elapsed().as_secs_f64();

    let overview = &report.overview;
    println!("file:     {path}");
    println!("elapsed:  {elapsed:.2} s");
    println!("objects:  {} ({} with a retained size)", overview.total_objects, retained.len());
    println!("classes:  {} histogram rows", overview.histogram.len());
    println!("shallow:  {} bytes, {} GC roots", overview.total_shallow, overview.gc_roots);

    println!("top {TOP} classes by retained size:");
    let mut classes: Vec<_> = overview.histogram.iter().collect();
    classes.sort_by(|a, b| b.retained.cmp(&a.retained));
    for row in classes.iter().take(TOP) {
        println!("  {:>15} retained {:>11} instances  {}", row.retained, row.instances, row.pretty_class);
    }
    println!("top {TOP} objects by retained size:");
    for row in report.top.biggest_objects.iter().take(TOP) {
        println!(
            "  {:>15} retained {:>11} shallow  {} (object #{})",
            row.retained, row.shallow, row.display_class, row.obj_index_1based
        );
    }
}

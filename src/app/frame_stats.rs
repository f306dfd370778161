//! Frame timings, printed at exit when HEAPSCOPE_FRAME_STATS is set: how
//! long until the first frame, the histogram and the retained sizes showed,
//! and the longest frame while loading and after.

use std::time::Instant;

use super::command::Retention;
use super::document::Document;

#[derive(Default)]
pub struct FrameStats {
    pub started: Option<Instant>,
    pub first_frame: Option<f64>,
    pub histogram: Option<f64>,
    pub retained: Option<f64>,
    pub longest_loading: f64,
    pub longest_loaded: f64,
    pub frames: u64,
    loading: bool,
    last_report: Option<Instant>,
}

impl FrameStats {
    pub fn starting_now() -> FrameStats {
        FrameStats {
            started: Some(Instant::now()),
            ..FrameStats::default()
        }
    }

    /// Counts a frame of `took` seconds showing `doc`; prints the figures
    /// when a load ends (and every 5 s after) if HEAPSCOPE_FRAME_STATS is set.
    pub fn record(&mut self, took: f64, doc: Option<&Document>) {
        let since = self
            .started
            .get_or_insert_with(Instant::now)
            .elapsed()
            .as_secs_f64();
        self.frames += 1;
        self.first_frame.get_or_insert(since);
        let was_loading = self.loading;
        self.loading = doc.is_some_and(Document::is_loading);
        let Some(doc) = doc else { return };
        if doc.histogram.is_some() {
            self.histogram.get_or_insert(since);
        }
        if doc.tree(Retention::All).is_some() {
            self.retained.get_or_insert(since);
        }
        if self.loading {
            self.longest_loading = self.longest_loading.max(took);
        } else {
            self.longest_loaded = self.longest_loaded.max(took);
        }
        let every = self.last_report.is_none_or(|t| t.elapsed().as_secs() >= 5);
        if std::env::var_os("HEAPSCOPE_FRAME_STATS").is_some()
            && !self.loading
            && (was_loading || every)
        {
            self.last_report = Some(Instant::now());
            let steps: Vec<String> = doc
                .timings
                .iter()
                .map(|(n, t)| format!("{n} {t:.2} s"))
                .collect();
            eprintln!("loaded: {}; steps: {}", self.report(), steps.join(", "));
        }
    }

    pub fn report(&self) -> String {
        let ms = |s: Option<f64>| {
            s.map(|s| format!("{:.0} ms", s * 1000.0))
                .unwrap_or_else(|| "-".into())
        };
        format!(
            "first frame {}, histogram {}, retained sizes {}, longest frame {:.1} ms while loading and {:.1} ms after, {} frames",
            ms(self.first_frame),
            ms(self.histogram),
            ms(self.retained),
            self.longest_loading * 1000.0,
            self.longest_loaded * 1000.0,
            self.frames
        )
    }
}

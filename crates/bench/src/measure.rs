//! What every benchmark shares: timing operations into latency percentiles,
//! the median of repeated runs, peak memory and sizes on disk, and the
//! lines that report them.

use std::path::Path;
use std::time::{Duration, Instant};

/// Latencies of one kind of operation, reported as p50, p99 and max.
#[derive(Debug, Default)]
pub struct Latencies(Vec<Duration>);

impl Latencies {
    /// No latencies yet.
    pub fn new() -> Self {
        Latencies::default()
    }

    /// How many operations were timed.
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether nothing was timed.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Records one latency measured elsewhere.
    pub fn push(&mut self, took: Duration) {
        self.0.push(took);
    }

    /// Runs `f`, records how long it took, and returns what it returned.
    pub fn time<T>(&mut self, f: impl FnOnce() -> T) -> T {
        let started = Instant::now();
        let out = f();
        self.0.push(started.elapsed());
        out
    }

    /// Awaits `f`, records how long it took, and returns its output.
    pub async fn time_async<T>(&mut self, f: impl Future<Output = T>) -> T {
        let started = Instant::now();
        let out = f.await;
        self.0.push(started.elapsed());
        out
    }

    /// The latency below which a share `q` (0 to 1) of the operations fell.
    pub fn percentile(&mut self, q: f64) -> Option<Duration> {
        self.0.sort();
        let last = self.0.len().checked_sub(1)?;
        Some(self.0[((self.0.len() as f64 * q) as usize).min(last)])
    }

    /// Prints `WHAT: p50 … ms, p99 … ms, max … ms (N queries)`; nothing
    /// when no operation was timed.
    pub fn report(&mut self, what: &str) {
        let (Some(p50), Some(p99), Some(max)) = (
            self.percentile(0.5),
            self.percentile(0.99),
            self.percentile(1.0),
        ) else {
            return;
        };
        let ms = |d: Duration| d.as_secs_f64() * 1000.0;
        println!(
            "{what}: p50 {:.2} ms, p99 {:.2} ms, max {:.2} ms ({} queries)",
            ms(p50),
            ms(p99),
            ms(max),
            self.0.len()
        );
    }
}

/// The median of `values` (the upper one of an even count), sorting them.
pub fn median(values: &mut [f64]) -> Option<f64> {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied()
}

/// Peak resident set size of this process (VmHWM) as printed in reports:
/// `N MiB`, or `unknown MiB` where the kernel does not say.
pub fn peak_rss() -> String {
    let mib = || -> Option<u64> {
        let status = std::fs::read_to_string("/proc/self/status").ok()?;
        let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
        let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
        Some(kib / 1024)
    };
    format!("{} MiB", mib().map_or("unknown".into(), |m| m.to_string()))
}

/// Bytes in the files below `path` (0 when it cannot be read).
pub fn dir_size(path: &Path) -> u64 {
    let Ok(entries) = std::fs::read_dir(path) else {
        return 0;
    };
    entries
        .flatten()
        .map(|e| match e.metadata() {
            Ok(m) if m.is_dir() => dir_size(&e.path()),
            Ok(m) => m.len(),
            Err(_) => 0,
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_and_medians_pick_the_documented_ranks() {
        let mut l = Latencies::new();
        assert_eq!(l.percentile(0.5), None);
        assert_eq!(l.time(|| 7), 7);
        l.0.clear();
        l.0.extend((1..=100).rev().map(Duration::from_millis));
        let mut ms = |q| l.percentile(q).map(|d: Duration| d.as_millis());
        assert_eq!(ms(0.5), Some(51));
        assert_eq!(ms(0.99), Some(100));
        assert_eq!(ms(1.0), Some(100));
        assert_eq!(ms(0.0), Some(1));

        assert_eq!(median(&mut [3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), Some(3.0));
        assert_eq!(median(&mut []), None);
    }
}

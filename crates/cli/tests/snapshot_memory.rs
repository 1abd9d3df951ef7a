//! A snapshot import streams: the memory it needs does not grow with the file.

use std::process::Command;

use nix::sys::resource::{UsageWho, getrusage};

/// Peak resident memory of all waited-for children so far, in MiB.
fn children_peak_mib() -> i64 {
    getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss() / 1024
}

fn run(args: &[&str]) {
    let status = Command::new(env!("CARGO_BIN_EXE_dailypapers"))
        .args(args)
        .status()
        .unwrap();
    assert!(status.success(), "{args:?}");
}

#[test]
fn importing_four_times_more_records_needs_no_more_memory() {
    let dir = tempfile::tempdir().unwrap();
    let small = dir.path().join("small.jsonl");
    let large = dir.path().join("large.jsonl");
    let d = |p: &std::path::Path| p.to_str().unwrap().to_owned();
    run(&["bench", "gen-snapshot", "20000", &d(&small)]);
    run(&["bench", "gen-snapshot", "80000", &d(&large)]);
    let before = children_peak_mib();

    run(&[
        "--data-dir",
        &d(&dir.path().join("a")),
        "ingest",
        "snapshot",
        &d(&small),
    ]);
    let small_peak = children_peak_mib();
    run(&[
        "--data-dir",
        &d(&dir.path().join("b")),
        "ingest",
        "snapshot",
        &d(&large),
    ]);
    let large_peak = children_peak_mib();

    let size = |p: &std::path::Path| std::fs::metadata(p).unwrap().len() / (1 << 20);
    eprintln!(
        "peak RSS: {small_peak} MiB for {} MiB, {large_peak} MiB for {} MiB",
        size(&small),
        size(&large)
    );
    assert!(
        size(&large) >= 4 * size(&small).max(1) - 4,
        "the large file is about 4x the small one"
    );
    // The large file is ~150 MiB: holding it, or its records, would show; the
    // small one already fills the page caches, which are bounded.
    assert!(
        large_peak <= small_peak.max(before) + 32,
        "peak RSS grew from {small_peak} MiB ({} MiB file) to {large_peak} MiB ({} MiB file)",
        size(&small),
        size(&large)
    );
}

//! Benchmark of the vector index on synthetic embeddings: build time, memory,
//! search latency (p50/p99, k = 10) and recall@10 against exact search.
//!
//! `cargo run --release -p dailypapers-vectors --example bench -- [N] [--queries Q] [--ef 32,64,128] [--rescore R] [--small S]`

use std::time::{Duration, Instant};

use dailypapers_vectors::{IndexOptions, Neighbour, VectorIndex, synthetic};
use rayon::prelude::*;

const DIM: usize = 384;
const K: usize = 10;
const SEED: u64 = 42;

struct Args {
    n: usize,
    queries: usize,
    efs: Vec<usize>,
    rescore: Option<usize>,
    expansion_add: Option<usize>,
    connectivity: Option<usize>,
    small: usize,
}

fn parse_args() -> Args {
    let mut a = Args {
        n: 100_000,
        queries: 1_000,
        efs: Vec::new(),
        rescore: None,
        expansion_add: None,
        connectivity: None,
        small: 10_000,
    };
    let mut it = std::env::args().skip(1);
    while let Some(arg) = it.next() {
        let mut value = || it.next().expect("flag needs a value");
        match arg.as_str() {
            "--queries" => a.queries = value().parse().expect("--queries N"),
            "--ef" => {
                a.efs = value()
                    .split(',')
                    .map(|x| x.parse().expect("--ef a,b,c"))
                    .collect()
            }
            "--rescore" => a.rescore = Some(value().parse().expect("--rescore N")),
            "--ef-add" => a.expansion_add = Some(value().parse().expect("--ef-add N")),
            "--m" => a.connectivity = Some(value().parse().expect("--m N")),
            "--small" => a.small = value().parse().expect("--small N"),
            n => a.n = n.replace('_', "").parse().expect("N must be a number"),
        }
    }
    a
}

fn main() {
    let args = parse_args();
    println!(
        "vector index bench: dim {DIM}, k {K}, {} queries, {} threads",
        args.queries,
        rayon::current_num_threads()
    );
    approximate(&args);
    exact_small(&args);
}

fn build(n: usize, opts: IndexOptions) -> (VectorIndex, Duration, Duration) {
    let index = VectorIndex::new(opts);
    let mut generate = Duration::ZERO;
    let mut insert = Duration::ZERO;
    let mut stream = synthetic::vectors(n, DIM, SEED);
    let mut next_key = 0u64;
    loop {
        let t = Instant::now();
        let chunk: Vec<(u64, Vec<f32>)> = stream
            .by_ref()
            .take(100_000)
            .map(|v| {
                next_key += 1;
                (next_key, v)
            })
            .collect();
        generate += t.elapsed();
        if chunk.is_empty() {
            break;
        }
        let t = Instant::now();
        index.insert_batch(&chunk).expect("insert");
        insert += t.elapsed();
    }
    (index, generate, insert)
}

fn approximate(args: &Args) {
    let rss_before = rss_kib();
    let mut opts = IndexOptions::new(DIM);
    if let Some(r) = args.rescore {
        opts.rescore = r;
    }
    if let Some(e) = args.expansion_add {
        opts.expansion_add = e;
    }
    if let Some(m) = args.connectivity {
        opts.connectivity = m;
    }
    let cpu_before = cpu_seconds();
    let (index, generate, insert) = build(args.n, opts.clone());
    let cpu = cpu_seconds() - cpu_before;
    let mem = index.memory_bytes();
    println!(
        "\n== N = {} ({}) ==\ngenerate {:.1} s, build (insert_batch, {} threads) {:.1} s = {:.0} vectors/s; generate + build CPU {:.0} s",
        args.n,
        if index.is_approximate() {
            "approximate"
        } else {
            "exact"
        },
        generate.as_secs_f64(),
        rayon::current_num_threads(),
        insert.as_secs_f64(),
        args.n as f64 / insert.as_secs_f64(),
        cpu
    );
    println!(
        "memory_bytes {:.1} MiB = {:.0} B/vector; RSS {:.1} MiB (grew {:.1} MiB), peak RSS {:.1} MiB",
        mem as f64 / 1048576.0,
        mem as f64 / args.n as f64,
        rss_kib() as f64 / 1024.0,
        (rss_kib() - rss_before) as f64 / 1024.0,
        peak_rss_kib() as f64 / 1024.0
    );
    println!(
        "options: M {} efConstruction {} efSearch {} rescore {}",
        opts.connectivity, opts.expansion_add, opts.expansion_search, opts.rescore
    );

    let queries: Vec<Vec<f32>> = synthetic::queries(args.queries, args.n, DIM, SEED).collect();
    let t = Instant::now();
    let truth: Vec<Vec<Neighbour>> = queries
        .par_iter()
        .map(|q| index.search_exact(q, K, None))
        .collect();
    println!(
        "ground truth (search_exact, parallel) {:.1} s",
        t.elapsed().as_secs_f64()
    );
    let sample = queries.len().min(100);
    let (lat, _) = timed(&queries[..sample], |q| index.search_exact(q, K, None));
    println!(
        "search_exact (one query at a time, {sample} queries): p50 {:.2} ms  p99 {:.2} ms",
        pct(&lat, 50.0),
        pct(&lat, 99.0)
    );
    let mut near = Vec::new();
    for t in &truth {
        near.push(t.first().map_or(0.0, |n| n.score));
    }
    near.sort_by(f32::total_cmp);
    println!(
        "data: query's best cosine p10 {:.2} p50 {:.2} p90 {:.2}",
        pct_f32(&near, 10.0),
        pct_f32(&near, 50.0),
        pct_f32(&near, 90.0)
    );

    let efs = if args.efs.is_empty() {
        vec![opts.expansion_search]
    } else {
        args.efs.clone()
    };
    for ef in efs {
        index.set_expansion_search(ef);
        for q in queries.iter().take(50) {
            std::hint::black_box(index.search(q, K, None));
        }
        let (lat, results) = timed(&queries, |q| index.search(q, K, None));
        println!(
            "search efSearch {ef:>4}: p50 {:.3} ms  p99 {:.3} ms  mean {:.3} ms  recall@10 {:.4}",
            pct(&lat, 50.0),
            pct(&lat, 99.0),
            lat.iter().sum::<f64>() / lat.len() as f64,
            recall(&results, &truth)
        );
    }

    // A filter keeping one paper in ten, as a date or category filter might.
    let keep = |key: u64| key.is_multiple_of(10);
    let ftruth: Vec<Vec<Neighbour>> = queries
        .par_iter()
        .map(|q| index.search_exact(q, K, Some(&keep)))
        .collect();
    let (lat, results) = timed(&queries, |q| index.search(q, K, Some(&keep)));
    println!(
        "filtered search (10% pass): p50 {:.3} ms  p99 {:.3} ms  recall@10 {:.4}",
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        recall(&results, &ftruth)
    );

    let dir = std::env::temp_dir().join(format!("vectors-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("index.bin");
    let t = Instant::now();
    index.save(&path).expect("save");
    let save = t.elapsed();
    let size = std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0);
    drop(index);
    let t = Instant::now();
    let loaded = VectorIndex::load(&path).expect("load");
    println!(
        "save {:.1} s, load {:.1} s, file {:.1} MiB ({} vectors)",
        save.as_secs_f64(),
        t.elapsed().as_secs_f64(),
        size as f64 / 1048576.0,
        loaded.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}

fn exact_small(args: &Args) {
    let n = args.small;
    let (index, _, insert) = build(n, IndexOptions::new(DIM));
    let queries: Vec<Vec<f32>> = synthetic::queries(args.queries, n, DIM, SEED).collect();
    let truth: Vec<Vec<Neighbour>> = queries
        .iter()
        .map(|q| index.search_exact(q, K, None))
        .collect();
    let (lat, results) = timed(&queries, |q| index.search(q, K, None));
    println!(
        "\n== N = {n} ({}) ==\nbuild {:.2} s; search p50 {:.3} ms  p99 {:.3} ms  recall@10 {:.4}; memory_bytes {:.1} MiB",
        if index.is_approximate() {
            "approximate"
        } else {
            "exact"
        },
        insert.as_secs_f64(),
        pct(&lat, 50.0),
        pct(&lat, 99.0),
        recall(&results, &truth),
        index.memory_bytes() as f64 / 1048576.0
    );
}

/// Runs `f` over the queries one at a time; latencies in ms and results.
fn timed(
    queries: &[Vec<f32>],
    f: impl Fn(&[f32]) -> Vec<Neighbour>,
) -> (Vec<f64>, Vec<Vec<Neighbour>>) {
    let mut lat = Vec::with_capacity(queries.len());
    let mut out = Vec::with_capacity(queries.len());
    for q in queries {
        let t = Instant::now();
        let r = f(q);
        lat.push(t.elapsed().as_secs_f64() * 1000.0);
        out.push(r);
    }
    lat.sort_by(f64::total_cmp);
    (lat, out)
}

fn recall(results: &[Vec<Neighbour>], truth: &[Vec<Neighbour>]) -> f64 {
    let mut hit = 0usize;
    let mut total = 0usize;
    for (r, t) in results.iter().zip(truth) {
        total += t.len();
        hit += t
            .iter()
            .filter(|n| r.iter().any(|m| m.key == n.key))
            .count();
    }
    hit as f64 / total.max(1) as f64
}

fn pct(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p / 100.0).round() as usize]
}

fn pct_f32(sorted: &[f32], p: f64) -> f32 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() - 1) as f64 * p / 100.0).round() as usize]
}

fn status_kib(field: &str) -> i64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|v| v.parse().ok())
        })
        .unwrap_or(0)
}

fn rss_kib() -> i64 {
    status_kib("VmRSS:")
}

fn peak_rss_kib() -> i64 {
    status_kib("VmHWM:")
}

/// User + system CPU seconds of this process so far (from /proc/self/stat).
fn cpu_seconds() -> f64 {
    let Ok(stat) = std::fs::read_to_string("/proc/self/stat") else {
        return 0.0;
    };
    let after = stat.rsplit(')').next().unwrap_or("");
    let f: Vec<&str> = after.split_whitespace().collect();
    let ticks: f64 = [11, 12]
        .iter()
        .filter_map(|&i| f.get(i).and_then(|x| x.parse::<f64>().ok()))
        .sum();
    ticks / 100.0
}

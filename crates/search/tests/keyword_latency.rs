//! Latency trend of the keyword index on synthetic papers (ignored by
//! default; run in release):
//!
//! ```text
//! KEYWORD_BENCH_DOCS=200000 cargo test --release -p dailypapers-search \
//!     --test keyword_latency -- --ignored --nocapture
//! ```
//!
//! Titles and abstracts are drawn from a Zipf-distributed vocabulary, so
//! some query words are in a large share of the papers and others are
//! rare, as in real text. Prints p50/p99/max per kind of query (each query
//! timed as the best of three runs).

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use dailypapers_search::keyword::{Filters, KeywordDoc, KeywordIndex, Sort};
use dailypapers_search::query::{ParseOptions, SearchQuery};

const VOCABULARY: usize = 30_000;

/// A small deterministic generator (xorshift64*).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    /// A Zipf(1)-distributed rank in 0..n, by inverting the harmonic CDF
    /// approximately (rank ≈ n^u).
    fn zipf(&mut self, n: usize) -> usize {
        let u = (self.next() >> 11) as f64 / (1u64 << 53) as f64;
        ((n as f64).powf(u) as usize).saturating_sub(1).min(n - 1)
    }
}

fn word(rank: usize) -> String {
    // Pronounceable, distinct words: base-20 digits spelled with syllables.
    const SYL: [&str; 20] = [
        "ka", "lo", "mi", "nu", "pe", "ra", "si", "to", "vu", "ze", "ba", "de", "fi", "go", "hu",
        "ja", "ke", "li", "mo", "ny",
    ];
    let mut n = rank + 20;
    let mut w = String::new();
    while n > 0 {
        w.push_str(SYL[n % 20]);
        n /= 20;
    }
    w
}

fn text(rng: &mut Rng, words: usize) -> String {
    (0..words)
        .map(|_| word(rng.zipf(VOCABULARY)))
        .collect::<Vec<_>>()
        .join(" ")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 * p) as usize).min(sorted.len() - 1)]
}

#[test]
#[ignore = "benchmark; run in release with --ignored"]
fn keyword_latency_trend() {
    let n: usize = std::env::var("KEYWORD_BENCH_DOCS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200_000);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let index = KeywordIndex::in_ram().unwrap();
    let start = Instant::now();
    let mut w = index.writer().unwrap();
    let cats = [
        "cs.CL", "cs.CV", "cs.LG", "cs.AI", "stat.ML", "cs.RO", "eess.AS", "math.OC",
    ];
    let base = NaiveDate::from_ymd_opt(2015, 1, 1).unwrap();
    for doc in 0..n as u64 {
        let title_len = 6 + rng.below(8);
        let abstract_len = 120 + rng.below(100);
        w.upsert(&KeywordDoc {
            doc,
            arxiv_id: format!("{:04}.{:05}", 1501 + (doc / 99_999) % 12, doc % 99_999 + 1),
            title: text(&mut rng, title_len),
            summary: text(&mut rng, abstract_len),
            authors: vec![text(&mut rng, 2), text(&mut rng, 2)],
            categories: vec![cats[rng.below(cats.len())].into()],
            organization: (rng.below(20) == 0).then(|| format!("Org {}", rng.below(50))),
            published: base.checked_add_days(chrono::Days::new(rng.below(3650) as u64)),
            upvotes: rng.zipf(1000) as u32,
        })
        .unwrap();
    }
    w.commit(1).unwrap();
    drop(w);
    println!(
        "{n} docs indexed in {:.1?}, {} segments",
        start.elapsed(),
        index.num_segments()
    );

    // Query words follow the same Zipf law over the commonest third of
    // the vocabulary. The first HEADS ranks are in nearly every paper, as
    // only stop words are in real text; "typical" queries skip them (a real
    // stop-word list would), "harsh" ones do not.
    const HEADS: usize = 20;
    let mut make_queries = |skip: usize| -> Vec<String> {
        (0..400)
            .map(|_| {
                let len = 1 + rng.below(4);
                (0..len)
                    .map(|_| word(skip + rng.zipf(VOCABULARY / 3)))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect()
    };
    let typical = make_queries(HEADS);
    let harsh = make_queries(0);

    let recent = Filters {
        from: NaiveDate::from_ymd_opt(2023, 1, 1),
        ..Filters::default()
    };
    let category = Filters {
        categories: vec!["cs.CL".into()],
        ..Filters::default()
    };
    let kinds: [(&str, bool, &Filters, Sort); 5] = [
        ("relevance", false, &Filters::default(), Sort::Relevance),
        ("prefix", true, &Filters::default(), Sort::Relevance),
        ("date filter", false, &recent, Sort::Relevance),
        ("category filter", false, &category, Sort::Relevance),
        ("newest", false, &Filters::default(), Sort::Newest),
    ];
    for (label, queries) in [("typical", &typical), ("harsh", &harsh)] {
        println!("{label} queries:");
        for (name, prefix, filters, sort) in kinds {
            let mut times = Vec::with_capacity(queries.len());
            let mut exact = 0;
            for text in queries.iter() {
                let q = SearchQuery::parse(text, ParseOptions { prefix }).unwrap();
                // Best of three: the machine may be shared, and a query that
                // was descheduled says nothing about the index.
                let mut best = Duration::MAX;
                let mut page = None;
                for _ in 0..3 {
                    let t = Instant::now();
                    page = Some(index.search(&q, filters, sort, 0, 10).unwrap());
                    best = best.min(t.elapsed());
                }
                let page = page.unwrap();
                times.push(best);
                exact += usize::from(page.total_is_exact);
            }
            times.sort();
            println!(
                "{name:>16}: p50 {:>8.2?}  p99 {:>8.2?}  max {:>8.2?}  (exact totals {exact}/{})",
                percentile(&times, 0.5),
                percentile(&times, 0.99),
                times[times.len() - 1],
                queries.len()
            );
        }
    }
}

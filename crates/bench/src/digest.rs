//! `dailypapers bench digest`: N personalised digests (100,000 by default)
//! composed and delivered to a real SMTP server (`scripts/bench-digest.sh`
//! starts one on loopback). The store (a temporary SQLite file, or the one
//! given) is filled first, untimed: 2,000 papers on the last week's feed
//! with trending scores, and N confirmed daily subscribers, one in ten with
//! a saved search (one of 50 queries taken from the papers' titles). Then
//! the digest is composed (each message rendered with the subscriber's own
//! unsubscribe link and, for saved searches, their own papers) and
//! delivered by `workers` senders claiming from the outbox; the figures are
//! the time of each phase, messages per second and the peak RSS, which a
//! run with ten times fewer subscribers shows does not grow with N (the
//! composer holds one page of subscribers at a time).

use std::sync::Arc;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{TimeDelta, Utc};
use dailypapers_digest::templates::Site;
use dailypapers_digest::{Composer, DigestOptions, Frequency, Matcher, Templates};
use dailypapers_domain::{FeedEntry, Listing};
use dailypapers_mail::{Sender, SenderOptions, Transport};
use dailypapers_search::{EngineOptions, SearchEngine};
use dailypapers_store::rows::{Value, table};
use dailypapers_store::{Store, StoreUrl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::corpus::Corpus;
use crate::measure::peak_rss;

/// What to run.
pub struct Options {
    pub subscribers: usize,
    /// The SMTP server (`smtp://127.0.0.1:PORT`).
    pub smtp_url: String,
    /// Senders delivering at once.
    pub workers: usize,
    pub seed: u64,
    /// An empty store to fill; a temporary SQLite file when absent.
    pub store: Option<StoreUrl>,
}

const PAPERS: usize = 2_000;
const QUERIES: usize = 50;

pub async fn run(o: Options) -> Result<()> {
    let temp = tempfile::tempdir()?;
    let url = o
        .store
        .clone()
        .unwrap_or_else(|| StoreUrl::in_data_dir(temp.path()));
    let store = dailypapers_store::open(&url)
        .await
        .with_context(|| format!("cannot open the store {}", url.redacted()))?;
    let transport = Transport::smtp(&o.smtp_url).context("--smtp-url")?;
    let clock = Instant::now();
    let engine = Arc::new(SearchEngine::in_memory(
        store.clone(),
        None,
        EngineOptions::default(),
    )?);
    let queries = fill(&*store, &o).await?;
    engine.catch_up_keyword().await?;
    println!(
        "filled {}: {PAPERS} papers, {} subscribers ({} with one of {} saved searches) in {:.1} s",
        store.describe(),
        o.subscribers,
        o.subscribers / 10,
        queries,
        clock.elapsed().as_secs_f64()
    );

    let matcher: Arc<dyn Matcher> = Arc::new(engine.clone());
    let composer = Composer::new(
        store.clone(),
        Some(matcher),
        Arc::new(Templates::load(None)?),
        DigestOptions {
            site: Site {
                name: "Daily Papers".into(),
                url: "https://papers.example.org".into(),
            },
            from: "Daily Papers <papers@example.org>".into(),
            ..DigestOptions::default()
        },
    );
    let start = Instant::now();
    let today = Utc::now().date_naive();
    let report = composer
        .compose(Frequency::Daily, today, Utc::now())
        .await?;
    let composed = start.elapsed();
    println!(
        "composed {}: {} messages queued for {} subscribers in {:.1} s ({:.0} messages/s), peak RSS {}",
        report.name,
        report.queued,
        report.subscribers,
        composed.as_secs_f64(),
        report.queued as f64 / composed.as_secs_f64(),
        peak_rss()
    );

    let sender = Arc::new(Sender::new(
        store.clone(),
        transport,
        SenderOptions {
            from: "Daily Papers <papers@example.org>".into(),
            batch: 200,
            ..SenderOptions::default()
        },
    ));
    let deliver_start = Instant::now();
    let mut tasks = Vec::new();
    for _ in 0..o.workers.max(1) {
        let sender = sender.clone();
        tasks.push(tokio::spawn(async move {
            let mut sent = 0u64;
            loop {
                let round = sender.round().await?;
                sent += round.sent as u64;
                if round.claimed == 0 {
                    return Ok::<u64, anyhow::Error>(sent);
                }
            }
        }));
    }
    let mut sent = 0;
    for t in tasks {
        sent += t.await??;
    }
    let delivered = deliver_start.elapsed();
    let counts = store.outbox_counts(Utc::now()).await?;
    let total = start.elapsed();
    println!(
        "delivered {sent} messages in {:.1} s ({:.0} messages/s) with {} senders; outbox: {} sent, {} pending, {} failed",
        delivered.as_secs_f64(),
        sent as f64 / delivered.as_secs_f64(),
        o.workers.max(1),
        counts.sent,
        counts.pending,
        counts.failed
    );
    println!(
        "digest to {} subscribers composed and delivered in {:.1} s ({:.0} messages/s); peak RSS {}",
        o.subscribers,
        total.as_secs_f64(),
        sent as f64 / total.as_secs_f64(),
        peak_rss()
    );
    store.close().await;
    Ok(())
}

/// Fills the store; answers the number of distinct saved searches.
async fn fill(store: &dyn Store, o: &Options) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut corpus = Corpus::new(o.seed);
    let now = Utc::now();
    let mut batch = Vec::with_capacity(PAPERS);
    let mut queries = Vec::new();
    for i in 0..PAPERS {
        let mut paper = corpus.paper(i);
        let at = now - TimeDelta::minutes(rng.gen_range(10..7 * 24 * 60));
        paper.published_at = Some(at);
        paper.upvotes = Some(rng.gen_range(0..60));
        if queries.len() < QUERIES && i % 7 == 0 {
            let words: Vec<&str> = paper
                .title
                .split_whitespace()
                .filter(|w| w.len() > 4)
                .take(2)
                .collect();
            if words.len() == 2 {
                queries.push(words.join(" "));
            }
        }
        let entry = FeedEntry::submitted(paper.id.clone(), at, at.date_naive());
        batch.push(Listing::new(paper, Some(entry)));
    }
    store.import(batch).await?;
    dailypapers_store::trending::refresh(store, now).await?;
    let subscriptions = table("subscriptions").context("the subscriptions table")?;
    let confirmed = now.timestamp_millis();
    let mut rows = Vec::with_capacity(5_000);
    for i in 0..o.subscribers {
        let query = if i % 10 == 9 && !queries.is_empty() {
            queries[i / 10 % queries.len()].clone()
        } else {
            String::new()
        };
        let email = format!("reader{i}@example.org");
        rows.push(vec![
            Value::Int(i as i64 + 1),
            Value::Text(email.clone()),
            Value::Text(email),
            Value::Text("daily".into()),
            Value::Text(query),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Int(confirmed),
            Value::Text(format!("bench-unsubscribe-{i}-{:016x}", rng.r#gen::<u64>())),
            Value::Null,
            Value::Int(confirmed),
        ]);
        if rows.len() == 5_000 {
            store
                .write_rows(subscriptions, &std::mem::take(&mut rows))
                .await?;
        }
    }
    store.write_rows(subscriptions, &rows).await?;
    Ok(queries.len())
}

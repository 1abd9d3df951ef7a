//! `dailypapers bench trending`: how long a refresh of the trending scores
//! takes when every one of N papers (100,000 by default) is on the feed of
//! the last week with votes, the worst case (a refresh reads only the last
//! week's papers). The store is filled (not timed) with seeded papers of
//! the synthetic corpus, each listed at a time in the last 7 days with
//! imported upvotes, members' votes (a quarter of them in the last day) and
//! some comments of the last day; then refreshes are timed, each split into
//! its read, its computation and its write, and the median is printed.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use chrono::{DateTime, TimeDelta, Utc};
use dailypapers_domain::{CommentBody, FeedEntry, Listing};
use dailypapers_store::community::{NewComment, vote_key};
use dailypapers_store::rows::{Value, table};
use dailypapers_store::trending::{MAX_STORED, PaperActivity, scores};
use dailypapers_store::{Store, StoreUrl};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

use crate::data::corpus::Corpus;
use crate::measure::median;
use crate::votes::bench_member;

/// What to run.
pub struct Options {
    pub papers: usize,
    /// Members who vote (each paper gets votes from some of them).
    pub members: usize,
    /// Timed refreshes (the median is reported).
    pub runs: usize,
    pub seed: u64,
    /// An empty store to fill (e.g. PostgreSQL); a temporary SQLite file when absent.
    pub store: Option<StoreUrl>,
    /// Keep the SQLite store here instead of a temporary directory.
    pub dir: Option<PathBuf>,
}

pub async fn run(o: Options) -> Result<()> {
    let temp = tempfile::tempdir()?;
    let url = match (&o.store, &o.dir) {
        (Some(url), _) => url.clone(),
        (None, Some(dir)) => StoreUrl::in_data_dir(dir),
        (None, None) => StoreUrl::in_data_dir(temp.path()),
    };
    let store = dailypapers_store::open(&url)
        .await
        .with_context(|| format!("cannot open the store {}", url.redacted()))?;
    let now = Utc::now();
    let started = Instant::now();
    let votes = fill(&*store, &o, now).await?;
    println!(
        "filled {}: {} papers on the feed of the last 7 days, {} members, {votes} member votes, in {:.1} s",
        store.describe(),
        o.papers,
        o.members,
        started.elapsed().as_secs_f64()
    );
    let (mut read, mut compute, mut write, mut total) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let mut trending = 0;
    for _ in 0..o.runs.max(1) {
        let now = Utc::now();
        let clock = Instant::now();
        let papers: Vec<PaperActivity> = store
            .trending_activity(
                now - dailypapers_domain::trending::CUTOFF,
                now - dailypapers_domain::trending::RECENT,
            )
            .await?;
        let t_read = clock.elapsed();
        let mut computed = scores(&papers, now);
        trending = computed.len();
        computed.truncate(MAX_STORED);
        let t_compute = clock.elapsed() - t_read;
        store.replace_trending(&computed, now).await?;
        let t_total = clock.elapsed();
        read.push(t_read.as_secs_f64() * 1e3);
        compute.push(t_compute.as_secs_f64() * 1e3);
        write.push((t_total - t_read - t_compute).as_secs_f64() * 1e3);
        total.push(t_total.as_secs_f64() * 1e3);
    }
    let m = |v: &mut Vec<f64>| median(v).unwrap_or(0.0);
    println!(
        "refresh of {} papers ({trending} trending, the {} highest stored), median of {} runs: \
         {:.0} ms (read {:.0} ms, formula {:.0} ms, write {:.0} ms)",
        o.papers,
        trending.min(MAX_STORED),
        o.runs.max(1),
        m(&mut total),
        m(&mut read),
        m(&mut compute),
        m(&mut write)
    );
    store.close().await;
    Ok(())
}

/// Fills the store; answers the number of member votes written.
async fn fill(store: &dyn Store, o: &Options, now: DateTime<Utc>) -> Result<usize> {
    let mut rng = StdRng::seed_from_u64(o.seed);
    let mut corpus = Corpus::new(o.seed);
    let week_ms = dailypapers_domain::trending::CUTOFF.num_milliseconds() - 60_000;
    let mut ids = Vec::with_capacity(o.papers);
    let mut batch = Vec::with_capacity(2_000);
    for i in 0..o.papers {
        let paper = corpus.paper(i);
        let at = now - TimeDelta::milliseconds(rng.gen_range(0..week_ms));
        let entry = FeedEntry::submitted(paper.id.clone(), at, at.date_naive());
        ids.push((paper.id.clone(), at));
        batch.push(Listing::new(paper, Some(entry)));
        if batch.len() == 2_000 {
            store.import(std::mem::take(&mut batch)).await?;
        }
    }
    store.import(batch).await?;
    let community = store.community();
    let mut members = Vec::with_capacity(o.members);
    for i in 0..o.members {
        members.push(bench_member(store, &format!("t{i}")).await?.id);
    }
    // Votes go in as rows (the counts follow by trigger): one to eight per
    // paper, after the paper reached the feed, a quarter in the last day.
    let upvotes = table("upvotes").context("the upvotes table")?;
    let mut rows = Vec::new();
    let mut written = 0;
    for (paper, at) in &ids {
        let n = rng.gen_range(1..=8.min(members.len()));
        let first = rng.gen_range(0..members.len());
        for k in 0..n {
            let member = members[(first + k * 7919) % members.len()];
            let since = (now - *at).num_milliseconds().max(1);
            let age = if rng.gen_bool(0.25) {
                rng.gen_range(0..since.min(86_400_000))
            } else {
                rng.gen_range(0..since)
            };
            rows.push(vec![
                Value::Text(vote_key(member, paper)),
                Value::Int(member as i64),
                Value::Text(paper.as_str().to_string()),
                Value::Int((now - TimeDelta::milliseconds(age)).timestamp_millis()),
            ]);
        }
        if rows.len() >= 5_000 {
            written += rows.len();
            store
                .write_rows(upvotes, &std::mem::take(&mut rows))
                .await?;
        }
    }
    written += rows.len();
    store.write_rows(upvotes, &rows).await?;
    // A comment of the last day on one paper in twenty.
    for (paper, _) in ids.iter().step_by(20) {
        let member = members[rng.gen_range(0..members.len())];
        community
            .add_comment(&NewComment {
                paper: paper.clone(),
                member_id: member,
                parent_id: None,
                body: CommentBody::parse("Interesting.")?,
                now: now - TimeDelta::minutes(rng.gen_range(0..1_400)),
            })
            .await?
            .ok()
            .context("a comment on a stored paper")?;
    }
    Ok(written)
}

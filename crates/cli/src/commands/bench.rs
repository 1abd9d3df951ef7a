//! `dailypapers bench`: the arguments of each benchmark, handed to
//! `dailypapers-bench`, which generates the data, measures and prints.
//!
//! `bench ingest` times the import `dailypapers ingest snapshot` runs
//! (progress bar included), so it measures what users get.

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use dailypapers_bench::{embed, ingest, relevance, search};

use crate::commands::ingest::import_snapshot;
use crate::config::Config;

#[derive(clap::Subcommand, Debug)]
pub enum Bench {
    /// Write a realistic, seeded snapshot file of N records (JSON lines)
    GenSnapshot {
        /// Number of records
        records: u64,
        /// Output file
        file: PathBuf,
        #[arg(long, default_value_t = 42)]
        seed: u64,
    },
    /// Import a snapshot into a fresh store and report records/s and peak RSS
    Ingest(IngestArgs),
    /// Relevance on a BEIR-layout collection: nDCG@10, MAP@100, recall@100 per mode
    Relevance(RelevanceArgs),
    /// Search latency, recall and memory on a seeded synthetic corpus of N papers
    Search(SearchBenchArgs),
    /// Embedding throughput on real abstracts, and cosine against the f32 reference
    Embed(EmbedBenchArgs),
    /// Upvotes per second against running servers on the configured store,
    /// with duplicates and toggle races; fails unless every count is exact
    Votes(VotesArgs),
    /// A login storm against a running server on the configured store, and
    /// the front page's latency during it
    Logins(LoginsArgs),
    /// How long a refresh of the trending scores takes with N papers on the
    /// last week's feed, all with votes
    Trending(TrendingBenchArgs),
    /// N personalised digests composed and delivered to the SMTP server of
    /// --smtp-url (scripts/bench-digest.sh starts one): time, messages/s, peak RSS
    Digest(DigestBenchArgs),
}

/// Options of `bench digest`.
#[derive(clap::Args, Debug)]
pub struct DigestBenchArgs {
    /// Confirmed subscribers (one in ten with a saved search)
    #[arg(long, default_value_t = 100_000)]
    subscribers: usize,
    /// Senders delivering at once
    #[arg(long, default_value_t = 4)]
    workers: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fill this empty store (e.g. postgres://…) instead of a temporary SQLite file
    #[arg(long, value_name = "URL")]
    store: Option<dailypapers_store::StoreUrl>,
}

/// Options of `bench trending`.
#[derive(clap::Args, Debug)]
pub struct TrendingBenchArgs {
    /// Papers on the feed of the last 7 days
    #[arg(long, default_value_t = 100_000)]
    papers: usize,
    /// Members who vote
    #[arg(long, default_value_t = 1_000)]
    members: usize,
    /// Timed refreshes (the median is reported)
    #[arg(long, default_value_t = 5)]
    runs: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Fill this empty store (e.g. postgres://…) instead of a temporary SQLite file
    #[arg(long, value_name = "URL", conflicts_with = "dir")]
    store: Option<dailypapers_store::StoreUrl>,
    /// Keep the SQLite store in this directory
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Options of `bench logins`.
#[derive(clap::Args, Debug)]
pub struct LoginsArgs {
    /// The server (on the configured store), trusting 127.0.0.1 as a proxy
    #[arg(long)]
    server: String,
    /// The server's pid, to print its peak memory
    #[arg(long)]
    pid: Option<u32>,
    /// Logins in flight at once
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    /// Front-page requests in flight at once
    #[arg(long, default_value_t = 16)]
    readers: usize,
    /// Seconds of each phase (idle, then the storm)
    #[arg(long, default_value_t = 10)]
    seconds: u64,
}

/// Options of `bench votes`.
#[derive(clap::Args, Debug)]
pub struct VotesArgs {
    /// A server on the configured store (repeat for several: requests go round them)
    #[arg(long = "server", required = true)]
    servers: Vec<String>,
    #[arg(long, default_value_t = 1_000)]
    members: usize,
    #[arg(long, default_value_t = 100)]
    papers: usize,
    /// Vote requests in all, duplicates included
    #[arg(long, default_value_t = 10_000)]
    requests: usize,
    #[arg(long, default_value_t = 100)]
    concurrency: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
}

/// Options of `bench ingest`.
#[derive(clap::Args, Debug)]
pub struct IngestArgs {
    /// Snapshot to import; generated (not timed) when absent
    #[arg(long)]
    file: Option<PathBuf>,
    /// Records to generate when no file is given
    #[arg(long, default_value_t = 1_000_000)]
    records: u64,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Keep the store here instead of a temporary directory (with
    /// --into-existing: the two stores, in empty/ and existing/)
    #[arg(long)]
    store_dir: Option<PathBuf>,
    /// Also import the --records new records into a store first filled (not
    /// timed) with N other generated records, and print records/s into the
    /// empty and into the filled store, and their ratio
    #[arg(long, value_name = "N", conflicts_with = "file")]
    into_existing: Option<u64>,
    /// Import into this empty store (e.g. postgres://…), then the same file
    /// again; and both into a scratch SQLite store beside them
    #[arg(long, value_name = "URL", conflicts_with_all = ["store_dir", "into_existing"])]
    store: Option<dailypapers_store::StoreUrl>,
}

/// Options of `bench relevance`.
#[derive(clap::Args, Debug)]
pub struct RelevanceArgs {
    /// A BEIR-layout folder: corpus.jsonl, queries.jsonl, qrels/test.tsv
    #[arg(long)]
    beir: PathBuf,
    /// keyword, semantic, hybrid or all
    #[arg(long, default_value = "all")]
    mode: String,
    /// Also print hybrid with other fusion settings (for tuning on dev queries)
    #[arg(long)]
    sweep: bool,
}

/// Options of `bench search`.
#[derive(clap::Args, Debug)]
pub struct SearchBenchArgs {
    /// Papers in the synthetic corpus
    #[arg(long, default_value_t = 100_000)]
    docs: usize,
    /// Queries timed per measurement
    #[arg(long, default_value_t = 1000)]
    queries: usize,
    #[arg(long, default_value_t = 42)]
    seed: u64,
    /// Keep the store and indexes here instead of a temporary directory
    #[arg(long)]
    dir: Option<PathBuf>,
}

/// Options of `bench embed`.
#[derive(clap::Args, Debug)]
pub struct EmbedBenchArgs {
    /// Abstracts to embed per run
    #[arg(long, default_value_t = 64)]
    count: usize,
    /// Timed runs (the median is reported)
    #[arg(long, default_value_t = 3)]
    runs: usize,
}

pub async fn run(config: &Config, bench: Bench) -> Result<ExitCode> {
    let model_dir = config.search.model_dir.clone();
    match bench {
        Bench::GenSnapshot {
            records,
            file,
            seed,
        } => ingest::gen_snapshot(records, &file, seed)?,
        Bench::Ingest(a) => {
            let options = ingest::Options {
                file: a.file,
                records: a.records,
                seed: a.seed,
                store_dir: a.store_dir,
                into_existing: a.into_existing,
                store: a.store,
            };
            ingest::run(options, import_snapshot).await?
        }
        Bench::Relevance(a) => relevance::run(relevance::Options {
            beir: a.beir,
            mode: a.mode,
            sweep: a.sweep,
            model_dir,
        })?,
        Bench::Search(a) => {
            let options = search::Options {
                docs: a.docs,
                queries: a.queries,
                seed: a.seed,
                dir: a.dir,
                model_dir,
                exact_below: config.search.exact_below,
            };
            search::run(options).await?
        }
        Bench::Logins(a) => {
            let store = super::open_store(config).await?;
            let ok = dailypapers_bench::logins::run(
                store.clone(),
                dailypapers_bench::logins::Options {
                    server: a.server,
                    pid: a.pid,
                    concurrency: a.concurrency,
                    duration: std::time::Duration::from_secs(a.seconds),
                    readers: a.readers,
                },
            )
            .await?;
            store.close().await;
            if !ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Bench::Votes(a) => {
            let store = super::open_store(config).await?;
            let ok = dailypapers_bench::votes::run(
                store.clone(),
                dailypapers_bench::votes::Options {
                    servers: a.servers,
                    members: a.members,
                    papers: a.papers,
                    requests: a.requests,
                    concurrency: a.concurrency,
                    seed: a.seed,
                },
            )
            .await?;
            store.close().await;
            if !ok {
                return Ok(ExitCode::FAILURE);
            }
        }
        Bench::Trending(a) => {
            dailypapers_bench::trending::run(dailypapers_bench::trending::Options {
                papers: a.papers,
                members: a.members,
                runs: a.runs,
                seed: a.seed,
                store: a.store,
                dir: a.dir,
            })
            .await?
        }
        Bench::Digest(a) => {
            let smtp_url = config.server.smtp_url.clone().context(
                "bench digest sends to a real SMTP server: give --smtp-url (scripts/bench-digest.sh starts one)",
            )?;
            dailypapers_bench::digest::run(dailypapers_bench::digest::Options {
                subscribers: a.subscribers,
                smtp_url,
                workers: a.workers,
                seed: a.seed,
                store: a.store,
            })
            .await?
        }
        Bench::Embed(a) => embed::run(embed::Options {
            count: a.count,
            runs: a.runs,
            model_dir,
        })?,
    }
    Ok(ExitCode::SUCCESS)
}

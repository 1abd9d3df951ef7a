//! The benchmarks of Daily Papers and the data they run on; `dailypapers
//! bench …` parses its arguments and calls one function here.
//!
//! Layering (each module uses only those above it, never a sibling below):
//!
//! - [`measure`]: what every benchmark shares: latency percentiles, medians,
//!   rates, peak memory, sizes on disk, and the lines they are printed as;
//! - [`data`]: the seeded benchmark data: Kaggle-layout snapshot records
//!   ([`data::snapshot`]) and a synthetic corpus of papers and queries
//!   ([`data::corpus`]);
//! - [`eval`]: BEIR-layout test collections and the relevance metrics
//!   (nDCG@10, MAP@100, recall@100);
//! - one module per benchmark, named after what it measures: [`ingest`]
//!   (records/s of a snapshot import, into an empty or a pre-filled store),
//!   [`relevance`] (the metrics per search mode), [`embed`] (abstracts/s and
//!   agreement with the f32 reference) and [`search`] (latencies, recall and
//!   memory of keyword, vector and hybrid search), [`votes`] (upvotes
//!   per second over HTTP against running servers, and exact counts after),
//!   [`logins`] (a login storm, and the front page's latency meanwhile) and
//!   [`trending`] (a refresh of the trending scores of 100,000 papers).
//!
//! Errors: [`eval`] is a library like any other and returns its own
//! `thiserror` enum, [`eval::EvalError`]. The benchmarks themselves return
//! `anyhow` errors and print their figures to standard output: they are only
//! ever called from the binary's edge, which adds nothing to them but the
//! exit status.

pub mod data;
pub mod digest;
pub mod embed;
pub mod eval;
pub mod ingest;
pub mod logins;
pub mod measure;
pub mod relevance;
pub mod search;
pub mod trending;
pub mod votes;

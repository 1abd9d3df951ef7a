//! Scheduled work inside `serve`: ingestion jobs that run on an interval or
//! at a daily time in the feed's time zone, so an instance fills itself.
//!
//! - [`schedule`]: when a job is due ([`When`]), parsed from the config;
//! - [`record`]: what the last run of a job did, kept in the store so every
//!   process sees it;
//! - [`task`]: what a job does (the ingestion sources, through
//!   `dailypapers_ingest::run`);
//! - [`scheduler`]: the loop that runs due jobs, each under a store lease so
//!   that two processes on one store never run the same job at once, and a
//!   job whose process died is taken over once its lease expires;
//! - [`trending`]: the trending scores, refreshed periodically and soon
//!   after votes, by one server at a time under a store lease.

pub mod record;
pub mod schedule;
pub mod scheduler;
pub mod task;
pub mod trending;

pub use record::{JobRecord, Outcome, Tally};
pub use schedule::When;
pub use scheduler::{Job, JobStatus, Scheduler, SchedulerOptions};
pub use task::{IngestTask, Task};
pub use trending::{TrendingOptions, TrendingRefresher};

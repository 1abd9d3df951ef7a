//! Keeps the stored trending scores fresh inside `serve`: a refresh
//! ([`dailypapers_store::trending::refresh`], every paper of the last week
//! in one batch) runs every [`TrendingOptions::every`], and soon after
//! votes or comments change ([`TrendingRefresher::nudge`], after
//! [`TrendingOptions::after_votes`], so a burst of votes costs one refresh,
//! not one each).
//!
//! With several servers on one store, a refresh runs under the store lease
//! `trending.refresh`, and after taking it a server reads when the scores
//! were last computed: a periodic refresh is skipped when another server
//! made one within the last half period, and a refresh asked for by votes
//! when one started after the first of those votes. A server that finds
//! the lease taken tries again after the same delay, so a vote on any
//! server reaches the scores. (Times are compared across servers, so their
//! clocks should agree to within the delay; the periodic refresh covers
//! what a skew skips.)

use std::sync::Mutex;
use std::time::{Duration, Instant};

use chrono::{DateTime, TimeDelta, Utc};
use dailypapers_store::trending::{Refreshed, refresh};
use dailypapers_store::{Store, StoreError};
use tokio::sync::Notify;

/// The store lease a refresh runs under.
pub const LEASE: &str = "trending.refresh";

/// How the refresher behaves.
#[derive(Clone, Debug)]
pub struct TrendingOptions {
    /// How often the scores are computed again (they decay with time).
    pub every: Duration,
    /// How long after a vote the scores follow it: what comes in meanwhile
    /// goes into the same refresh.
    pub after_votes: Duration,
    /// How long the lease lasts: a server that dies mid-refresh holds it
    /// this long at most.
    pub lease_ttl: Duration,
    /// This process's name in the lease.
    pub holder: String,
}

impl Default for TrendingOptions {
    fn default() -> Self {
        TrendingOptions {
            every: Duration::from_secs(300),
            after_votes: Duration::from_secs(10),
            lease_ttl: Duration::from_secs(120),
            holder: dailypapers_store::process_holder(),
        }
    }
}

/// What one attempt did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attempt {
    /// The scores were computed and stored.
    Refreshed(Refreshed),
    /// Recent enough scores were there already.
    Fresh,
    /// Another server holds the lease.
    Busy,
}

/// The refresher `serve` runs (see the module docs).
pub struct TrendingRefresher {
    store: std::sync::Arc<dyn Store>,
    options: TrendingOptions,
    nudged: Notify,
    /// When the first change not yet in the scores was reported.
    pending: Mutex<Option<DateTime<Utc>>>,
}

impl TrendingRefresher {
    pub fn new(store: std::sync::Arc<dyn Store>, options: TrendingOptions) -> Self {
        TrendingRefresher {
            store,
            options,
            nudged: Notify::new(),
            pending: Mutex::new(None),
        }
    }

    /// Asks for a refresh soon: votes or comments changed. No I/O; any
    /// number of nudges before the refresh starts make one refresh.
    pub fn nudge(&self) {
        self.pending
            .lock()
            .expect("not poisoned")
            .get_or_insert_with(Utc::now);
        self.nudged.notify_one();
    }

    /// Runs [`TrendingRefresher::run`] in a task of its own.
    pub fn start(
        self: &std::sync::Arc<Self>,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> tokio::task::JoinHandle<()> {
        let me = self.clone();
        tokio::spawn(async move { me.run(shutdown).await })
    }

    /// Refreshes at start, then every period and after nudges, until
    /// `shutdown` resolves.
    pub async fn run(&self, shutdown: impl std::future::Future<Output = ()>) {
        tokio::pin!(shutdown);
        let mut next = tokio::time::Instant::now();
        loop {
            let periodic = tokio::select! {
                _ = tokio::time::sleep_until(next) => true,
                _ = self.nudged.notified() => false,
                _ = &mut shutdown => break,
            };
            if !periodic {
                tokio::select! {
                    _ = tokio::time::sleep(self.options.after_votes) => {}
                    _ = &mut shutdown => break,
                }
            }
            let asked = if periodic {
                None
            } else {
                self.pending.lock().expect("not poisoned").take()
            };
            if !periodic && asked.is_none() {
                continue;
            }
            let trigger = if periodic { "periodic" } else { "votes" };
            let outcome = self.attempt(asked).await;
            match &outcome {
                Ok(Attempt::Refreshed(r)) => tracing::debug!(
                    trigger,
                    candidates = r.candidates,
                    trending = r.trending,
                    "trending scores refreshed"
                ),
                Ok(Attempt::Fresh) => {}
                Ok(Attempt::Busy) => tracing::debug!(trigger, "another server refreshes trending"),
                Err(e) => tracing::warn!(trigger, error = %e, "cannot refresh the trending scores"),
            }
            let again = matches!(outcome, Ok(Attempt::Busy) | Err(_));
            if let (Some(asked), true) = (asked, again) {
                // Not done: ask again, from the same first change.
                let mut pending = self.pending.lock().expect("not poisoned");
                *pending = Some(pending.map_or(asked, |p| p.min(asked)));
                drop(pending);
                self.nudged.notify_one();
            }
            if periodic {
                next = tokio::time::Instant::now() + self.options.every;
            }
        }
    }

    /// One attempt under the lease: a periodic one (`asked: None`) unless
    /// the scores are younger than half a period, one asked for by changes
    /// since `asked` unless a refresh started after that.
    pub async fn attempt(&self, asked: Option<DateTime<Utc>>) -> Result<Attempt, StoreError> {
        let holder = &self.options.holder;
        if !self
            .store
            .acquire_lease(LEASE, holder, self.options.lease_ttl)
            .await?
        {
            return Ok(Attempt::Busy);
        }
        let result = self.refresh_if_due(asked).await;
        if let Err(e) = self.store.release_lease(LEASE, holder).await {
            tracing::warn!(error = %e, "cannot give the trending lease back");
        }
        result
    }

    async fn refresh_if_due(&self, asked: Option<DateTime<Utc>>) -> Result<Attempt, StoreError> {
        let last = self.store.trending_computed_at().await?;
        let now = Utc::now();
        let half_period = TimeDelta::from_std(self.options.every / 2).unwrap_or(TimeDelta::MAX);
        let due = match (last, asked) {
            (None, _) => true,
            (Some(last), None) => last <= now - half_period,
            (Some(last), Some(asked)) => last < asked,
        };
        if !due {
            return Ok(Attempt::Fresh);
        }
        let clock = Instant::now();
        let done = refresh(&*self.store, now).await?;
        let trigger = if asked.is_some() { "votes" } else { "periodic" };
        metrics::counter!("dailypapers_trending_refreshes_total", "trigger" => trigger)
            .increment(1);
        metrics::histogram!("dailypapers_trending_refresh_seconds")
            .record(clock.elapsed().as_secs_f64());
        metrics::gauge!("dailypapers_trending_papers").set(done.trending as f64);
        Ok(Attempt::Refreshed(done))
    }
}

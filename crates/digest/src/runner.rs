//! The digest loop inside `serve`: every minute it asks the [`Schedule`]
//! which digests are due, and composes each one not yet composed
//! ([`Composer::compose`], under the store lease [`LEASE`]: with several
//! servers on one store, one composes and the others find it done or
//! taken). After composing, this server's sender is nudged; the senders of
//! every server then deliver from the outbox.

use std::sync::Arc;
use std::time::Duration;

use chrono::Utc;
use tokio::sync::watch;

use crate::{Composer, Schedule};

/// The store lease composing a digest runs under.
pub const LEASE: &str = "digest.compose";

/// The loop (see the module docs).
pub struct DigestRunner {
    composer: Arc<Composer>,
    schedule: Schedule,
    /// How often it looks.
    every: Duration,
    /// Told when messages were queued.
    on_queued: Box<dyn Fn() + Send + Sync>,
}

impl DigestRunner {
    pub fn new(
        composer: Arc<Composer>,
        schedule: Schedule,
        every: Duration,
        on_queued: Box<dyn Fn() + Send + Sync>,
    ) -> Self {
        DigestRunner {
            composer,
            schedule,
            every,
            on_queued,
        }
    }

    /// Looks now and then every [`DigestRunner::new`]'s `every`, until
    /// `stop` turns true.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        loop {
            self.compose_due().await;
            tokio::select! {
                _ = tokio::time::sleep(self.every) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
    }

    /// Composes what is due now; answers how many messages were queued.
    pub async fn compose_due(&self) -> u64 {
        let mut queued = 0;
        for (frequency, date) in self.schedule.due(Utc::now()) {
            match self.composer.compose(frequency, date, Utc::now()).await {
                Ok(r) => queued += r.queued,
                Err(e) => {
                    tracing::error!(%frequency, %date, error = %e, "cannot compose the digest")
                }
            }
        }
        if queued > 0 {
            (self.on_queued)();
        }
        queued
    }
}

//! The outbox sender: delivers what the store queued, on any number of
//! servers at once. Each round claims up to [`SenderOptions::batch`] due
//! rows under a lease ([`dailypapers_store::Outbox::claim_mail`]), sends
//! them one by one at no more than [`SenderOptions::per_second`], and
//! records each outcome at once: sent; deferred to `backoff × 2^(tries−1)`
//! (capped) after a transient failure; failed after a permanent one (the
//! address suspended after [`SenderOptions::suspend_after`] of them) or
//! after [`SenderOptions::max_attempts`] tries. A sender that dies leaves
//! its claims to expire; another sends those rows again with the same
//! bytes and Message-ID.
//!
//! A round sends only while its claim has at least half its lease to run:
//! rows left then go back when the claim lapses, so that a slow round
//! never sends a row another sender has claimed since.
//!
//! Between rounds the sender sleeps [`SenderOptions::poll`], or less when
//! [`Sender::nudge`]d (something was queued).

use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::{TimeDelta, Utc};
use dailypapers_store::outbox::ClaimedMail;
use dailypapers_store::{Store, StoreError};
use tokio::sync::{Notify, watch};

use crate::transport::Transport;

/// How the sender behaves.
#[derive(Clone, Debug)]
pub struct SenderOptions {
    /// The envelope sender (bounces go there).
    pub from: String,
    /// This process's name in claims.
    pub holder: String,
    /// Rows claimed per round.
    pub batch: u32,
    /// How long a claim lasts: a sender that dies delays its rows this long.
    pub lease: Duration,
    /// The first retry's delay; each further one doubles it.
    pub backoff: Duration,
    /// The longest delay between tries.
    pub backoff_cap: Duration,
    /// Tries before a row fails for good.
    pub max_attempts: u32,
    /// Permanent refusals after which an address is suspended.
    pub suspend_after: u32,
    /// Messages per second at most, from this process (0: no limit).
    pub per_second: f64,
    /// How long to wait for work when there is none.
    pub poll: Duration,
}

impl Default for SenderOptions {
    fn default() -> Self {
        SenderOptions {
            from: "Daily Papers <noreply@localhost>".into(),
            holder: dailypapers_store::process_holder(),
            batch: 50,
            lease: Duration::from_secs(120),
            backoff: Duration::from_secs(30),
            backoff_cap: Duration::from_secs(3_600),
            max_attempts: 10,
            suspend_after: 3,
            per_second: 0.0,
            poll: Duration::from_secs(5),
        }
    }
}

/// What one round did.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Round {
    pub claimed: usize,
    pub sent: usize,
    pub deferred: usize,
    pub failed: usize,
    /// Claimed but left unsent, their claim nearly over (sent later).
    pub given_back: usize,
}

/// The sender (see the module docs).
pub struct Sender {
    store: Arc<dyn Store>,
    transport: Transport,
    options: SenderOptions,
    nudged: Notify,
}

impl Sender {
    pub fn new(store: Arc<dyn Store>, transport: Transport, options: SenderOptions) -> Self {
        Sender {
            store,
            transport,
            options,
            nudged: Notify::new(),
        }
    }

    /// Something was queued: look now rather than after the poll.
    pub fn nudge(&self) {
        self.nudged.notify_one();
    }

    /// The delay before try `attempts + 1`, after `attempts` tries.
    pub fn backoff(&self, attempts: u32) -> Duration {
        let doubled = self
            .options
            .backoff
            .saturating_mul(1u32 << attempts.saturating_sub(1).min(20));
        doubled.min(self.options.backoff_cap)
    }

    /// Runs rounds until `stop` turns true; a round that finds work is
    /// followed by another at once.
    pub async fn run(&self, mut stop: watch::Receiver<bool>) {
        loop {
            if *stop.borrow() {
                break;
            }
            let busy = match self.round().await {
                Ok(r) => r.claimed > 0,
                Err(e) => {
                    tracing::warn!(error = %e, "cannot read the outbox");
                    false
                }
            };
            if !busy {
                tokio::select! {
                    _ = tokio::time::sleep(self.options.poll) => {}
                    _ = self.nudged.notified() => {}
                    _ = stop.wait_for(|s| *s) => break,
                }
            }
        }
    }

    /// One round: claims due rows and sends them.
    pub async fn round(&self) -> Result<Round, StoreError> {
        let claimed_at = Instant::now();
        let claimed = self
            .store
            .claim_mail(
                &self.options.holder,
                Utc::now(),
                self.options.lease,
                self.options.batch,
            )
            .await?;
        let mut round = Round {
            claimed: claimed.len(),
            ..Round::default()
        };
        let gap = (self.options.per_second > 0.0)
            .then(|| Duration::from_secs_f64(1.0 / self.options.per_second));
        let mut next = Instant::now();
        // Rows whose claim is about to lapse are left: once it lapses,
        // another sender may claim them, and both would send.
        let give_up = claimed_at + self.options.lease / 2;
        for mail in claimed {
            if Instant::now() >= give_up {
                round.given_back += 1;
                continue;
            }
            if let Some(gap) = gap {
                tokio::time::sleep_until(next.into()).await;
                next = Instant::now() + gap;
            }
            match self.deliver(&mail).await? {
                Outcome::Sent => round.sent += 1,
                Outcome::Deferred => round.deferred += 1,
                Outcome::Failed => round.failed += 1,
            }
        }
        Ok(round)
    }

    async fn deliver(&self, mail: &ClaimedMail) -> Result<Outcome, StoreError> {
        let clock = Instant::now();
        let sent = self
            .transport
            .send(
                &self.options.from,
                &mail.recipient,
                &mail.message_id,
                &mail.message,
            )
            .await;
        metrics::histogram!("dailypapers_mail_send_seconds").record(clock.elapsed().as_secs_f64());
        let now = Utc::now();
        match sent {
            Ok(()) => {
                self.store.mail_sent(mail.id, now).await?;
                metrics::counter!("dailypapers_mail_sent_total").increment(1);
                Ok(Outcome::Sent)
            }
            Err(e) if e.permanent => {
                let suspended = self
                    .store
                    .mail_failed(mail.id, &e.message, true, self.options.suspend_after, now)
                    .await?;
                tracing::warn!(to = %mail.recipient, error = %e, suspended, "mail refused for good");
                metrics::counter!("dailypapers_mail_failed_total", "why" => "refused").increment(1);
                Ok(Outcome::Failed)
            }
            Err(e) if mail.attempts >= self.options.max_attempts => {
                let why = format!("gave up after {} tries: {e}", mail.attempts);
                self.store.mail_failed(mail.id, &why, false, 0, now).await?;
                tracing::warn!(to = %mail.recipient, error = %why, "mail given up");
                metrics::counter!("dailypapers_mail_failed_total", "why" => "gave_up").increment(1);
                Ok(Outcome::Failed)
            }
            Err(e) => {
                let wait = self.backoff(mail.attempts);
                let due = now + TimeDelta::from_std(wait).unwrap_or(TimeDelta::MAX);
                self.store.mail_deferred(mail.id, due, &e.message).await?;
                tracing::info!(to = %mail.recipient, error = %e, retry_in_s = wait.as_secs(), "mail deferred");
                metrics::counter!("dailypapers_mail_deferred_total").increment(1);
                Ok(Outcome::Deferred)
            }
        }
    }
}

enum Outcome {
    Sent,
    Deferred,
    Failed,
}

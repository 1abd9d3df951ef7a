//! Time for the live clients: what "now" is and how to wait.
//!
//! The polite HTTP client spaces its requests and backs off by sleeping on a
//! [`Clock`]. In production that is the [`SystemClock`] (tokio's timer); in
//! tests it is a [`ManualClock`], whose sleeps return at once, advance a
//! virtual time, and are recorded, so a test can assert every wait without
//! waiting.

use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use async_trait::async_trait;

/// A source of time that can also wait.
#[async_trait]
pub trait Clock: Send + Sync + 'static {
    /// The current instant (monotonic).
    fn now(&self) -> Instant;

    /// Waits for `duration`.
    async fn sleep(&self, duration: Duration);
}

/// Real time: [`Instant::now`] and [`tokio::time::sleep`].
#[derive(Clone, Copy, Debug, Default)]
pub struct SystemClock;

#[async_trait]
impl Clock for SystemClock {
    fn now(&self) -> Instant {
        Instant::now()
    }

    async fn sleep(&self, duration: Duration) {
        tokio::time::sleep(duration).await;
    }
}

/// Virtual time for tests: [`Clock::sleep`] returns immediately, moves the
/// virtual time forward by the duration asked for, and records it.
///
/// Share it as `Arc<ManualClock>`: the same clock drives the client and lets
/// the test read [`elapsed`](Self::elapsed) and [`sleeps`](Self::sleeps).
#[derive(Debug)]
pub struct ManualClock {
    origin: Instant,
    state: Mutex<ManualState>,
}

#[derive(Debug, Default)]
struct ManualState {
    elapsed: Duration,
    sleeps: Vec<Duration>,
}

impl ManualClock {
    /// A clock at virtual time zero, with no sleeps recorded.
    pub fn new() -> Arc<Self> {
        Arc::new(ManualClock {
            origin: Instant::now(),
            state: Mutex::new(ManualState::default()),
        })
    }

    /// Virtual time since the clock was made.
    pub fn elapsed(&self) -> Duration {
        self.state().elapsed
    }

    /// Every sleep so far, in order.
    pub fn sleeps(&self) -> Vec<Duration> {
        self.state().sleeps.clone()
    }

    /// Moves virtual time forward without recording a sleep (time spent
    /// elsewhere, e.g. a slow import between two requests).
    pub fn advance(&self, by: Duration) {
        self.state().elapsed += by;
    }

    fn state(&self) -> MutexGuard<'_, ManualState> {
        // The state is plain data, valid even if a holder panicked.
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }
}

#[async_trait]
impl Clock for ManualClock {
    fn now(&self) -> Instant {
        self.origin + self.state().elapsed
    }

    async fn sleep(&self, duration: Duration) {
        {
            let mut state = self.state();
            state.elapsed += duration;
            state.sleeps.push(duration);
        }
        // Let other tasks run, as a real sleep would.
        tokio::task::yield_now().await;
    }
}

//! Rate limits on the hot actions: votes (per member) and searches (per
//! client address: `/search`, `/api/search`, `/api/papers/search` with a
//! query, and similar papers), answered with 429 and `Retry-After`.
//!
//! Searches come by the thousand per second, so a store round trip per
//! search is out of the question; votes are written in batches
//! (`dailypapers_store::batch`) and must not wait for one either. So each
//! process counts hits in memory, in the same fixed windows as the store's
//! limits (aligned on the epoch, `Limit::per` long), and once a second
//! settles: it adds the hits counted since the last settle to the shared
//! counters in one statement (`Moderation::add_rate_hits`) and learns each
//! window's total, everybody's hits included. A hit is refused when the
//! last known total plus the hits counted here since reach the limit.
//!
//! **The bound.** On one server the limit is exact: everything is counted
//! here. With N servers on one store, a server never admits more than the
//! limit L in a window itself, and learns of the others' hits at its next
//! settle (every second, plus the round trip): so the hits admitted in a
//! window are at most L + (N − 1) × min(L, what one client gets through one
//! server in about a second), and never more than N × L. A client spread
//! over three servers at 10 searches a second each gets about L + 20 in a
//! window. If the store does not answer, each server goes on limiting
//! with what it counts itself.
//!
//! IPv6 clients are counted by their /64 (one host controls a whole /64).
//! A request whose address is unknown (a router driven in process, which
//! has no peer) is not counted. Memory is bounded: entries of past windows
//! are dropped at each settle, and past [`MAX_KEYS`] keys in a window new
//! keys are let through uncounted (and counted in the metrics), since
//! whoever has that many addresses is not held back by per-address limits.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use axum::extract::{Request, State};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use dailypapers_store::moderation::RateHits;
use dailypapers_store::{Store, StoreError};

use crate::auth::{Limit, RateLimits};
use crate::forwarded::{client_ip, peer};
use crate::{AppError, AppState};

/// How often counts are settled with the store.
pub const SETTLE_EVERY: Duration = Duration::from_secs(1);

/// The most keys one action counts in memory at once.
pub const MAX_KEYS: usize = 200_000;

/// How often windows long over are removed from the store.
const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// How long a window is kept in the store after it started (longer than
/// any limit's window).
const KEEP_WINDOWS: chrono::TimeDelta = chrono::TimeDelta::days(2);

const SHARDS: usize = 16;

/// Where the time comes from (the system clock, or a test's).
pub type Clock = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// One key's count in the current window.
#[derive(Clone, Copy, Debug)]
struct Tally {
    /// Start of the window, in milliseconds.
    window: i64,
    /// The shared total at the last settle (this process's hits included).
    known: u32,
    /// Hits counted here since.
    pending: u32,
}

/// The counts of one action.
struct Counter {
    action: &'static str,
    limit: Limit,
    shards: Vec<Mutex<HashMap<String, Tally>>>,
}

impl Counter {
    fn new(action: &'static str, limit: Limit) -> Self {
        Counter {
            action,
            limit,
            shards: (0..SHARDS).map(|_| Mutex::default()).collect(),
        }
    }

    fn window_ms(&self) -> i64 {
        i64::try_from(self.limit.per.as_millis())
            .unwrap_or(i64::MAX)
            .max(1)
    }

    fn shard(&self, who: &str) -> &Mutex<HashMap<String, Tally>> {
        use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
        let h = BuildHasherDefault::<DefaultHasher>::default().hash_one(who);
        &self.shards[(h as usize) % SHARDS]
    }

    /// Counts a hit by `who` at `now`: `None` when allowed, else how long
    /// until the window ends.
    fn hit(&self, who: &str, now: DateTime<Utc>) -> Option<Duration> {
        if self.limit.hits == 0 {
            return None;
        }
        let w = self.window_ms();
        let ms = now.timestamp_millis();
        let window = ms.div_euclid(w) * w;
        let mut shard = self.shard(who).lock().unwrap_or_else(|e| e.into_inner());
        if !shard.contains_key(who) && shard.len() >= MAX_KEYS / SHARDS {
            shard.retain(|_, t| t.window >= window);
            if shard.len() >= MAX_KEYS / SHARDS {
                metrics::counter!("dailypapers_rate_limit_uncounted_total", "action" => self.action)
                    .increment(1);
                return None;
            }
        }
        let tally = shard.entry(who.to_string()).or_insert(Tally {
            window,
            known: 0,
            pending: 0,
        });
        if tally.window != window {
            *tally = Tally {
                window,
                known: 0,
                pending: 0,
            };
        }
        if tally.known.saturating_add(tally.pending) >= self.limit.hits {
            let left = (window + w - ms).max(1);
            return Some(Duration::from_millis(left as u64));
        }
        tally.pending += 1;
        None
    }

    /// Takes the hits to settle (their counts move to `known` at once, so a
    /// failed settle still limits locally), dropping past windows.
    fn take(&self, now: DateTime<Utc>, out: &mut Vec<(RateHits, &'static str, String)>) {
        let w = self.window_ms();
        let current = now.timestamp_millis().div_euclid(w) * w;
        for shard in &self.shards {
            let mut shard = shard.lock().unwrap_or_else(|e| e.into_inner());
            shard.retain(|_, t| t.window >= current);
            for (who, t) in shard.iter_mut().filter(|(_, t)| t.pending > 0) {
                out.push((
                    RateHits {
                        key: format!("{}:{who}", self.action),
                        window_start: t.window,
                        hits: t.pending,
                    },
                    self.action,
                    who.clone(),
                ));
                t.known = t.known.saturating_add(t.pending);
                t.pending = 0;
            }
        }
    }

    /// Learns the shared total of `who`'s window.
    fn learn(&self, who: &str, window: i64, total: u32) {
        let mut shard = self.shard(who).lock().unwrap_or_else(|e| e.into_inner());
        if let Some(t) = shard.get_mut(who).filter(|t| t.window == window) {
            t.known = t.known.max(total);
        }
    }
}

/// The vote and search limits of one process (see the module docs).
pub struct Throttle {
    store: Arc<dyn Store>,
    votes: Counter,
    searches: Counter,
    clock: Clock,
}

impl Throttle {
    /// Limits from `limits.vote` and `limits.search` (a limit of 0 hits is
    /// off), on the system clock. Nothing is settled until [`Throttle::start`]
    /// or [`Throttle::settle`].
    pub fn new(store: Arc<dyn Store>, limits: &RateLimits) -> Self {
        Throttle {
            store,
            votes: Counter::new("vote", limits.vote),
            searches: Counter::new("search", limits.search),
            clock: Arc::new(Utc::now),
        }
    }

    /// The same limits on another clock (tests move time by hand).
    pub fn with_clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// Settles every [`SETTLE_EVERY`] (and prunes old windows from the
    /// store now and then) until the throttle is dropped.
    pub fn start(self: &Arc<Self>) -> tokio::task::JoinHandle<()> {
        let me: Weak<Throttle> = Arc::downgrade(self);
        tokio::spawn(async move {
            let mut pruned = tokio::time::Instant::now();
            loop {
                tokio::time::sleep(SETTLE_EVERY).await;
                let Some(throttle) = me.upgrade() else { break };
                if let Err(e) = throttle.settle().await {
                    tracing::warn!(error = %e, "cannot share the rate-limit counts; limiting with this server's");
                }
                if pruned.elapsed() >= PRUNE_EVERY {
                    pruned = tokio::time::Instant::now();
                    let before = (throttle.clock)() - KEEP_WINDOWS;
                    if let Err(e) = throttle.store.prune_rate_limits(before).await {
                        tracing::warn!(error = %e, "cannot remove old rate-limit windows");
                    }
                }
            }
        })
    }

    /// Counts a vote by `member_id`; 429 once their window's votes are spent.
    pub fn vote(&self, member_id: u64) -> Result<(), AppError> {
        match self.votes.hit(&member_id.to_string(), (self.clock)()) {
            None => Ok(()),
            Some(wait) => Err(refused("votes", wait)),
        }
    }

    /// Counts a search from `client`; 429 once its window's searches are
    /// spent. An unknown client is not counted.
    pub fn search(&self, client: Option<IpAddr>) -> Result<(), AppError> {
        let Some(client) = client else {
            return Ok(());
        };
        match self.searches.hit(&client_key(client), (self.clock)()) {
            None => Ok(()),
            Some(wait) => Err(refused("searches", wait)),
        }
    }

    /// Adds the hits counted since the last settle to the shared windows,
    /// in one store call, and learns their totals.
    pub async fn settle(&self) -> Result<(), StoreError> {
        let now = (self.clock)();
        let mut taken = Vec::new();
        self.votes.take(now, &mut taken);
        self.searches.take(now, &mut taken);
        if taken.is_empty() {
            return Ok(());
        }
        let hits: Vec<RateHits> = taken.iter().map(|(h, _, _)| h.clone()).collect();
        let totals = self.store.add_rate_hits(&hits).await?;
        for ((h, action, who), total) in taken.iter().zip(totals) {
            let counter = if *action == self.votes.action {
                &self.votes
            } else {
                &self.searches
            };
            counter.learn(who, h.window_start, total);
        }
        Ok(())
    }
}

/// The key a client address is counted under: IPv4 as it is, IPv6 by its /64.
pub fn client_key(ip: IpAddr) -> String {
    match ip.to_canonical() {
        IpAddr::V4(v4) => v4.to_string(),
        IpAddr::V6(v6) => {
            let s = v6.segments();
            let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
            format!("{net}/64")
        }
    }
}

fn refused(what: &str, wait: Duration) -> AppError {
    let secs = wait.as_millis().div_ceil(1000).max(1) as u64;
    metrics::counter!("dailypapers_rate_limited_total", "action" => what.to_string()).increment(1);
    AppError::TooMany {
        message: format!("too many {what}: try again in {secs} s"),
        retry_after: secs,
    }
}

/// Whether a request is a search the limit counts: a query on the search
/// page or APIs, or a paper's similar papers.
fn is_search(req: &Request) -> bool {
    let path = req.uri().path();
    if path.starts_with("/api/papers/") && path.ends_with("/similar") {
        return true;
    }
    if !matches!(path, "/search" | "/api/search" | "/api/papers/search") {
        return false;
    }
    url::form_urlencoded::parse(req.uri().query().unwrap_or("").as_bytes())
        .any(|(k, v)| k == "q" && !v.trim().is_empty())
}

/// Middleware on the search routes: counts searches by client address.
pub async fn searches(State(state): State<AppState>, req: Request, next: Next) -> Response {
    if let Some(throttle) = &state.ops.throttle
        && matches!(
            *req.method(),
            axum::http::Method::GET | axum::http::Method::HEAD
        )
        && is_search(&req)
    {
        let client = client_ip(&state.config, req.headers(), peer(req.extensions()));
        if let Err(e) = throttle.search(client) {
            return e.into_response();
        }
    }
    next.run(req).await
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn per_minute(action: &'static str, hits: u32) -> Counter {
        Counter::new(
            action,
            Limit {
                hits,
                per: Duration::from_secs(60),
            },
        )
    }

    #[test]
    fn a_window_admits_its_limit_then_says_when_it_ends() {
        let c = per_minute("search", 3);
        let t0 = at("2026-03-02T12:00:10Z");
        for _ in 0..3 {
            assert_eq!(c.hit("a", t0), None);
        }
        assert_eq!(c.hit("a", t0), Some(Duration::from_secs(50)));
        assert_eq!(c.hit("b", t0), None, "per key");
        assert_eq!(
            c.hit("a", at("2026-03-02T12:00:59.500Z")),
            Some(Duration::from_millis(500))
        );
        assert_eq!(c.hit("a", at("2026-03-02T12:01:00Z")), None, "a new window");
    }

    #[test]
    fn settled_hits_count_and_other_servers_totals_are_learnt() {
        let c = per_minute("vote", 5);
        let t0 = at("2026-03-02T12:00:00Z");
        assert_eq!(c.hit("7", t0), None);
        assert_eq!(c.hit("7", t0), None);
        let mut taken = Vec::new();
        c.take(t0, &mut taken);
        assert_eq!(taken.len(), 1);
        assert_eq!(taken[0].0.key, "vote:7");
        assert_eq!(taken[0].0.hits, 2);
        // Another server counted 3 more in the same window.
        c.learn("7", taken[0].0.window_start, 5);
        assert!(c.hit("7", t0).is_some());
        // Nothing new to settle; a later window is dropped and starts over.
        let mut again = Vec::new();
        c.take(t0, &mut again);
        assert!(again.is_empty());
        let t1 = at("2026-03-02T12:01:00Z");
        c.take(t1, &mut again);
        assert!(again.is_empty());
        assert_eq!(c.hit("7", t1), None);
    }

    #[test]
    fn zero_turns_a_limit_off() {
        let c = per_minute("search", 0);
        for _ in 0..1000 {
            assert_eq!(c.hit("a", at("2026-03-02T12:00:00Z")), None);
        }
    }

    #[test]
    fn ipv6_clients_count_by_their_64() {
        let a: IpAddr = "2001:db8:1:2:aaaa::1".parse().unwrap();
        let b: IpAddr = "2001:db8:1:2:bbbb::9".parse().unwrap();
        assert_eq!(client_key(a), client_key(b));
        assert_eq!(client_key(a), "2001:db8:1:2::/64");
        assert_eq!(client_key("::ffff:10.0.0.1".parse().unwrap()), "10.0.0.1");
        assert_eq!(client_key("203.0.113.9".parse().unwrap()), "203.0.113.9");
    }
}

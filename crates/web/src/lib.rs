//! The Daily Papers web server: server-rendered HTML pages and the Hugging
//! Face-compatible JSON API, as one axum [`Router`](axum::Router).
//!
//! Every route is listed in one place, [`routes`]. Handlers are thin: they
//! parse request parameters into domain types (a bad parameter is a 400 that
//! says which one and what format is expected), ask the [`Store`] or the
//! [`SearchEngine`] once or twice, and render — HTML with askama templates compiled into the binary,
//! JSON with serde in the shapes the official `huggingface_hub` client reads.
//!
//! The feed views go through a bounded response cache keyed by their parsed
//! parameters ([`cache`]); absolute links use the configured public URL, or
//! a validated `Host`, and forwarded headers only from trusted proxies
//! ([`forwarded`]); `/metrics` shows the cache's figures ([`metrics`]).
//!
//! Each request is logged through `tracing` under the `tower_http` target:
//! a `request` span with the method, the address and the client's address
//! (when the server recorded the peer), and, when the response is
//! sent, a "finished processing request" event with its status and latency
//! (in µs), both at DEBUG, so that the default filter
//! (`info,sqlx=warn,tower_http=info`) skips them at almost no cost. Turn them
//! on with `DAILYPAPERS_LOG=info,sqlx=warn,tower_http=debug` (with
//! `DAILYPAPERS_LOG=tower_http=debug`, only requests are logged). Server
//! errors (5xx) are logged at ERROR either way.
//!
//! ```no_run
//! # async fn demo() -> Result<(), Box<dyn std::error::Error>> {
//! use std::sync::Arc;
//! use dailypapers_store::SqliteStore;
//! use dailypapers_web::{router, AppState, WebConfig};
//!
//! use dailypapers_search::{EngineOptions, SearchEngine};
//!
//! let data = std::path::Path::new("data");
//! let store: Arc<dyn dailypapers_store::Store> = Arc::new(SqliteStore::open(data).await?);
//! let search = Arc::new(SearchEngine::open(store.clone(), data, EngineOptions::default())?);
//! let state = AppState { store, search, config: Arc::new(WebConfig::default()), ops: Default::default() };
//! let listener = std::net::TcpListener::bind("127.0.0.1:8080")?;
//! // hand `router(state)` to `axum::serve` with a tokio listener
//! # let _ = (listener, router(state)); Ok(()) }
//! ```

use std::sync::Arc;

use dailypapers_domain::FeedTimeZone;
use dailypapers_search::SearchEngine;
use dailypapers_store::Store;

pub mod api;
mod assets;
pub mod auth;
pub mod cache;
pub mod error;
pub mod forwarded;
pub mod mail;
pub mod markdown;
pub mod metrics;
pub mod pages;
pub mod personal;
pub mod routes;
pub mod search_params;
pub mod status;
pub mod syndication;
pub mod throttle;
mod view;

pub use error::AppError;
pub use routes::router;

/// What the web server needs to know beyond the store.
#[derive(Clone, Debug)]
pub struct WebConfig {
    /// The time zone whose calendar days are feed days.
    pub time_zone: FeedTimeZone,
    /// Shown in the header and page titles ("Daily Papers").
    pub site_name: String,
    /// The API's default `limit` (50, as upstream).
    pub page_size: u64,
    /// How long the feed views are served from the response cache; zero
    /// turns the cache off.
    pub cache_for: std::time::Duration,
    /// The most responses the cache keeps ([`cache::MAX_ENTRIES`] by default).
    pub cache_max_entries: usize,
    /// The most bytes the cache keeps, keys, headers and bodies counted
    /// ([`cache::MAX_BYTES`] by default).
    pub cache_max_bytes: usize,
    /// Where the site is reached, for absolute links; when set, the `Host`
    /// header is never used (see [`forwarded`]).
    pub public_url: Option<forwarded::PublicUrl>,
    /// The peers whose `X-Forwarded-*` headers are believed (none by default).
    pub trusted_proxies: forwarded::TrustedProxies,
    /// Sessions, password hashing and account mail.
    pub accounts: auth::Accounts,
    /// Submitting papers by arXiv id: the arXiv client, the window, the clock.
    pub submissions: api::submissions::SubmitConfig,
}

impl Default for WebConfig {
    fn default() -> Self {
        WebConfig {
            time_zone: FeedTimeZone::default(),
            site_name: "Daily Papers".to_string(),
            page_size: 50,
            cache_for: cache::FRESH_FOR,
            cache_max_entries: cache::MAX_ENTRIES,
            cache_max_bytes: cache::MAX_BYTES,
            public_url: None,
            trusted_proxies: forwarded::TrustedProxies::default(),
            accounts: auth::Accounts::default(),
            submissions: api::submissions::SubmitConfig::default(),
        }
    }
}

/// Shared by every handler: the store, the search engine over it, the
/// configuration, and what the operator's pages read.
#[derive(Clone)]
pub struct AppState {
    pub store: Arc<dyn Store>,
    pub search: Arc<SearchEngine>,
    pub config: Arc<WebConfig>,
    pub ops: Arc<Ops>,
}

/// What runs beside the router, for the status page, the metrics and the
/// handlers that feed it.
#[derive(Clone, Default)]
pub struct Ops {
    /// The scheduler this process runs, if it runs the schedule.
    pub scheduler: Option<Arc<dailypapers_jobs::Scheduler>>,
    /// The trending refresher this process runs, nudged after votes and
    /// comments (none: scores move only when something refreshes them).
    pub trending: Option<Arc<dailypapers_jobs::TrendingRefresher>>,
    /// The vote and search limits (none: not limited, as in a router
    /// driven in process unless its test gives one).
    pub throttle: Option<Arc<throttle::Throttle>>,
    /// The response cache of the router serving this state (set by
    /// [`routes::router`]; empty with the cache turned off).
    pub responses: std::sync::OnceLock<Arc<cache::ResponseCache>>,
    /// The outbox sender this process runs, nudged when mail is queued
    /// (none: another server's sender delivers it).
    pub mail: Option<Arc<dailypapers_mail::Sender>>,
}

impl AppState {
    /// Says that the page at `path` changed here: this server's cached
    /// copies of it (the anonymous one and the one shared by members) are
    /// dropped, so whoever asks next, the author of the change first, gets
    /// it as it is now. Other servers' copies expire within the cache's
    /// period (`server.cache_secs`).
    pub fn page_changed(&self, path: &str) {
        if let Some(cache) = self.ops.responses.get() {
            cache.remove(path);
            cache.remove(&format!("{path}\u{0}shared"));
        }
    }
}

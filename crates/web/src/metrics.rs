//! `GET /metrics`: what the instance is doing, in the Prometheus text format.
//!
//! Counters and histograms are recorded where things happen, through the
//! `metrics` facade: requests by route, method and status with their latency
//! (the middleware here, labelled with the route's pattern, so junk URLs add
//! no series), ingestion tallies by source and job outcomes (the scheduler),
//! response cache hits and misses (the cache). Gauges that are cheaper to read
//! than to keep (index lag, embedding backlog, store size, store pool use,
//! cache size) are read when `/metrics` is scraped. The exporter is
//! `metrics-exporter-prometheus`, installed once per process.

use std::collections::HashMap;
use std::fmt::Write;
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, Method, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};

use crate::cache::ResponseCache;
use crate::{AppError, AppState};

/// Latency buckets, in seconds: from a cached page to a slow search.
const LATENCY_BUCKETS: &[f64] = &[
    0.000_25, 0.000_5, 0.001, 0.002_5, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0,
    10.0,
];

/// How often histogram samples are folded into their buckets.
const UPKEEP_EVERY: std::time::Duration = std::time::Duration::from_secs(5);

/// The process's exporter: installed on first use (`serve` and `router`
/// call this first, so nothing recorded before is lost), shared by every
/// router.
pub fn handle() -> &'static PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE.get_or_init(|| {
        let builder = PrometheusBuilder::new()
            .set_buckets_for_metric(Matcher::Suffix("duration_seconds".into()), LATENCY_BUCKETS)
            .expect("the buckets are not empty");
        let handle = match builder.install_recorder() {
            Ok(handle) => handle,
            // Another recorder is installed (a test harness): keep a handle
            // of our own that renders what reaches it.
            Err(_) => PrometheusBuilder::new().build_recorder().handle(),
        };
        // Histograms keep their samples until upkeep folds them into the
        // buckets: without it, memory would grow with every request until
        // the next scrape, and without a scraper for ever.
        let upkeep = handle.clone();
        std::thread::Builder::new()
            .name("metrics-upkeep".into())
            .spawn(move || {
                loop {
                    std::thread::sleep(UPKEEP_EVERY);
                    upkeep.run_upkeep();
                }
            })
            .expect("start the metrics upkeep thread");
        handle
    })
}

/// Records every request: `dailypapers_http_requests_total` and
/// `dailypapers_http_request_duration_seconds`, by route pattern.
///
/// Every request passes here, so nothing is allocated on the way: the
/// handles of a route's series are made on its first request and found
/// again by its pattern (see [`RouteSeries`]).
pub async fn record(request: Request, next: Next) -> Response {
    let series = RouteSeries::of(request.extensions().get::<MatchedPath>());
    // A fixed set of labels: a client inventing methods adds no series.
    let method = match *request.method() {
        Method::GET => "GET",
        Method::HEAD => "HEAD",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::OPTIONS => "OPTIONS",
        _ => "other",
    };
    let started = Instant::now();
    let response = next.run(request).await;
    series.duration.record(started.elapsed().as_secs_f64());
    series.count(method, response.status().as_u16());
    response
}

/// The metric handles of one route: its latency histogram, and a request
/// counter per method and status, each registered once.
struct RouteSeries {
    route: String,
    duration: metrics::Histogram,
    requests: RwLock<HashMap<(&'static str, u16), metrics::Counter>>,
}

impl RouteSeries {
    /// The series of the route matched (`unmatched` for the fallback).
    fn of(matched: Option<&MatchedPath>) -> Arc<RouteSeries> {
        static ROUTES: OnceLock<RwLock<HashMap<String, Arc<RouteSeries>>>> = OnceLock::new();
        let routes = ROUTES.get_or_init(Default::default);
        let route = matched.map_or("unmatched", MatchedPath::as_str);
        if let Some(series) = routes.read().unwrap_or_else(|e| e.into_inner()).get(route) {
            return series.clone();
        }
        let mut routes = routes.write().unwrap_or_else(|e| e.into_inner());
        routes
            .entry(route.to_owned())
            .or_insert_with(|| {
                Arc::new(RouteSeries {
                    route: route.to_owned(),
                    duration: metrics::histogram!(
                        "dailypapers_http_request_duration_seconds",
                        "route" => route.to_owned()
                    ),
                    requests: RwLock::default(),
                })
            })
            .clone()
    }

    fn count(&self, method: &'static str, status: u16) {
        if let Some(counter) = self
            .requests
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .get(&(method, status))
        {
            counter.increment(1);
            return;
        }
        let mut requests = self.requests.write().unwrap_or_else(|e| e.into_inner());
        requests
            .entry((method, status))
            .or_insert_with(|| {
                metrics::counter!(
                    "dailypapers_http_requests_total",
                    "route" => self.route.clone(),
                    "method" => method,
                    "status" => status.to_string()
                )
            })
            .increment(1);
    }
}

/// `GET /metrics`: the exporter's figures, then those of this router's
/// response cache (kept per router, so they are exact for it).
pub async fn show(
    State(state): State<AppState>,
    cache: Option<Arc<ResponseCache>>,
) -> Result<Response, AppError> {
    let handle = handle();
    // Gauges read now.
    if let Ok(status) = crate::status::gather(&state).await {
        metrics::gauge!("dailypapers_keyword_index_lag_papers")
            .set(status.search.keyword_lag as f64);
        metrics::gauge!("dailypapers_embedding_backlog_papers")
            .set(status.search.embedding_backlog as f64);
        metrics::gauge!("dailypapers_vector_index_lag_vectors")
            .set(status.search.vector_lag as f64);
        metrics::gauge!("dailypapers_store_size_bytes").set(status.store.size_bytes as f64);
        metrics::gauge!("dailypapers_store_papers").set(status.store.papers as f64);
        let mail = &status.mail;
        for (state, n) in [
            ("pending", mail.pending),
            ("retrying", mail.retrying),
            ("sent", mail.sent),
            ("failed", mail.failed),
        ] {
            metrics::gauge!("dailypapers_mail_outbox_messages", "state" => state).set(n as f64);
        }
        metrics::gauge!("dailypapers_mail_suspended_addresses")
            .set(mail.suspended_addresses as f64);
        for job in &status.jobs {
            let running = if job.running_on.is_some() { 1.0 } else { 0.0 };
            metrics::gauge!("dailypapers_job_running", "job" => job.name.clone()).set(running);
            if let Some(last) = &job.last_run {
                metrics::gauge!("dailypapers_job_last_run_timestamp_seconds", "job" => job.name.clone())
                    .set(last.started_at.timestamp() as f64);
            }
        }
    }
    for pool in state.store.pool_use() {
        metrics::gauge!("dailypapers_store_pool_connections", "pool" => pool.name, "state" => "open")
            .set(f64::from(pool.open));
        metrics::gauge!("dailypapers_store_pool_connections", "pool" => pool.name, "state" => "idle")
            .set(f64::from(pool.idle));
        metrics::gauge!("dailypapers_store_pool_connections", "pool" => pool.name, "state" => "max")
            .set(f64::from(pool.max));
    }
    let mut text = handle.render();
    text.push_str(&cache_figures(cache));
    let mut res = text.into_response();
    res.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
    );
    Ok(res)
}

/// The response cache's entries and bytes against their caps, and its hits,
/// misses and evictions since the start (all zero with the cache off).
fn cache_figures(cache: Option<Arc<ResponseCache>>) -> String {
    let s = cache.map(|c| c.stats()).unwrap_or_default();
    let figures: [(&str, &str, &str, u64); 7] = [
        (
            "entries",
            "gauge",
            "Responses held by the response cache.",
            s.entries as u64,
        ),
        (
            "bytes",
            "gauge",
            "Bytes held by the response cache: keys, headers and bodies.",
            s.bytes as u64,
        ),
        (
            "max_entries",
            "gauge",
            "The most responses the cache holds.",
            s.max_entries as u64,
        ),
        (
            "max_bytes",
            "gauge",
            "The most bytes the cache holds.",
            s.max_bytes as u64,
        ),
        (
            "hits_total",
            "counter",
            "Requests answered from the response cache.",
            s.hits,
        ),
        (
            "misses_total",
            "counter",
            "Cacheable requests that were built anew.",
            s.misses,
        ),
        (
            "evictions_total",
            "counter",
            "Responses dropped to make room.",
            s.evictions,
        ),
    ];
    let mut body = String::new();
    for (name, kind, help, value) in figures {
        let name = format!("dailypapers_response_cache_{name}");
        let _ = writeln!(
            body,
            "# HELP {name} {help}\n# TYPE {name} {kind}\n{name} {value}"
        );
    }
    body
}

//! Every route the server answers, in one place.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the latest feed day with papers; `?date=YYYY-MM-DD` for another day |
//! | `GET /week`, `GET /month` | redirect to the week or month of the latest feed day |
//! | `GET /week/{YYYY-Www}` | one ISO week |
//! | `GET /month/{YYYY-MM}` | one month |
//! | `GET /papers/{id}` | one paper (old-style ids contain a slash); other id forms and arXiv URLs redirect to it |
//! | `GET /search?q=&mode=&from=&to=&category=&org=&sort=&page=` | the search page: hybrid, keyword or semantic, with filters |
//! | `GET /static/style.css` | the stylesheet |
//! | `GET /healthz` | `ok` when the store answers a ping |
//! | `GET /api/daily_papers` | the feed as Hugging Face-compatible JSON |
//! | `GET /api/papers/search?q=&limit=` | hybrid search results as Hugging Face-compatible JSON |
//! | `GET /api/search?q=&mode=&from=&to=&category=&org=&sort=&limit=&offset=` | search with totals, scores and snippets |
//! | `GET /api/search/status` | how far the search indexes are behind the store |
//! | `GET /api/papers/{id}` | one paper as JSON (any id form or arXiv URL) |
//! | `GET /api/papers/{id}/similar?limit=` | the papers nearest in meaning |
//! | `GET /api/status` | what the instance is doing: jobs, index lag, store size, version |
//! | `GET /admin/status` | the same as a page |
//! | `GET /metrics` | Prometheus metrics (requests, ingestion, jobs, indexes, cache, store) |
//!
//! Anything else is a 404: an HTML page, or JSON under `/api`. The feed
//! pages and `/api/daily_papers` go through a short response cache
//! ([`crate::cache`], `WebConfig::cache_for`, 2 s by default). Every request is logged at DEBUG (method, address,
//! status, latency) under the `tower_http` target; see the crate docs.

use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::middleware;
use axum::routing::get;

use std::sync::Arc;

use tower_http::LatencyUnit;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::compression::CompressionLayer;
use tower_http::trace::{
    DefaultMakeSpan, DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnResponse,
    TraceLayer,
};
use tracing::Level;

use crate::cache::{ResponseCache, micro_cache};
use crate::{AppState, api, assets, error, metrics, pages};

/// The whole application.
pub fn router(state: AppState) -> Router {
    let mut cached = Router::new()
        .route("/", get(pages::feed::front))
        .route("/week/{week}", get(pages::feed::week))
        .route("/month/{month}", get(pages::feed::month))
        .route("/api/daily_papers", get(api::daily_papers::list));
    if !state.config.cache_for.is_zero() {
        cached = cached.route_layer(middleware::from_fn_with_state(
            Arc::new(ResponseCache::new(state.config.cache_for)),
            micro_cache,
        ));
    }
    Router::new()
        .merge(cached)
        .route("/week", get(pages::feed::latest_week))
        .route("/month", get(pages::feed::latest_month))
        .route("/papers/{*id}", get(pages::paper::show))
        .route("/search", get(pages::search::results))
        .route("/static/style.css", get(assets::style_css))
        .route("/healthz", get(healthz))
        .route("/api/papers/search", get(api::search::search))
        .route("/api/search", get(api::find::search))
        .route("/api/search/status", get(api::find::status))
        .route("/api/papers/{*id}", get(api::papers::show))
        .route("/api/status", get(api::status::show))
        .route("/admin/status", get(pages::admin::status_page))
        .route("/metrics", get(metrics::show))
        .fallback(error::not_found)
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        // Compresses what the response cache has not already compressed.
        .layer(CompressionLayer::new().gzip(true))
        .layer(request_log())
        .route_layer(middleware::from_fn(metrics::record))
        .with_state(state)
}

/// Logs each request: a `request` span (method, URI, HTTP version) and, when
/// the response is sent, its status and latency, both at DEBUG under the
/// `tower_http` target, so the default `info` filter skips them for free;
/// server errors (5xx) are logged at ERROR.
fn request_log() -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    DefaultMakeSpan,
    (),
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    DefaultOnFailure,
> {
    TraceLayer::new_for_http()
        .make_span_with(DefaultMakeSpan::new().level(Level::DEBUG))
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::DEBUG)
                .latency_unit(LatencyUnit::Micros),
        )
        .on_failure(DefaultOnFailure::new().latency_unit(LatencyUnit::Micros))
}

/// `GET /healthz`: `ok` when the store answers a ping.
async fn healthz(State(state): State<AppState>) -> (StatusCode, &'static str) {
    match state.store.ping().await {
        Ok(_) => (StatusCode::OK, "ok"),
        Err(e) => {
            tracing::error!(error = %e, "health check: the store does not answer");
            (StatusCode::SERVICE_UNAVAILABLE, "store unavailable")
        }
    }
}

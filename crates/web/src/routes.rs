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
//! ([`crate::cache`], `WebConfig::cache_for`, 2 s by default), each under a
//! key made from its parsed parameters. Every request is logged at DEBUG
//! (method, address, client, status, latency) under the `tower_http`
//! target; see the crate docs.

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::http::{Request, StatusCode};
use axum::middleware;
use axum::routing::{MethodRouter, get};

use std::sync::Arc;

use tower_http::LatencyUnit;
use tower_http::classify::{ServerErrorsAsFailures, SharedClassifier};
use tower_http::compression::CompressionLayer;
use tower_http::trace::{
    DefaultOnBodyChunk, DefaultOnEos, DefaultOnFailure, DefaultOnResponse, MakeSpan, TraceLayer,
};
use tracing::{Level, Span};

use crate::cache::{CacheKey, Cached, ResponseCache, micro_cache};
use crate::forwarded::{client_ip, peer};
use crate::{AppState, WebConfig, api, assets, error, metrics, pages};

/// The whole application.
pub fn router(state: AppState) -> Router {
    // The exporter must be in place before the first request is counted.
    metrics::handle();
    let cache = (!state.config.cache_for.is_zero())
        .then(|| Arc::new(ResponseCache::configured(&state.config)));
    let config = state.config.clone();
    let cached = |route: MethodRouter<AppState>, key: CacheKey| match &cache {
        Some(cache) => route.route_layer(middleware::from_fn_with_state(
            Cached {
                cache: cache.clone(),
                config: config.clone(),
                key,
            },
            micro_cache,
        )),
        None => route,
    };
    Router::new()
        .route("/", cached(get(pages::feed::front), pages::feed::front_key))
        .route(
            "/week/{week}",
            cached(get(pages::feed::week), pages::feed::week_key),
        )
        .route(
            "/month/{month}",
            cached(get(pages::feed::month), pages::feed::month_key),
        )
        .route(
            "/api/daily_papers",
            cached(get(api::daily_papers::list), api::daily_papers::cache_key),
        )
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
        .route(
            "/metrics",
            get({
                let cache = cache.clone();
                move |state: State<AppState>| metrics::show(state, cache)
            }),
        )
        // The fallback is counted too, as `unmatched`.
        .fallback(error::not_found.layer(middleware::from_fn(metrics::record)))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        // Compresses what the response cache has not already compressed.
        .layer(CompressionLayer::new().gzip(true))
        .layer(request_log(state.config.clone()))
        .route_layer(middleware::from_fn(metrics::record))
        .with_state(state)
}

/// The `request` span of each request: method, URI, HTTP version and the
/// client's address (see [`crate::forwarded::client_ip`]), when known.
#[derive(Clone)]
struct RequestSpan(Arc<WebConfig>);

impl<B> MakeSpan<B> for RequestSpan {
    fn make_span(&mut self, req: &Request<B>) -> Span {
        let span = tracing::debug_span!(
            target: "tower_http::trace::make_span",
            "request",
            method = %req.method(),
            uri = %req.uri(),
            version = ?req.version(),
            client = tracing::field::Empty,
        );
        if !span.is_disabled()
            && let Some(ip) = client_ip(&self.0, req.headers(), peer(req.extensions()))
        {
            span.record("client", tracing::field::display(ip));
        }
        span
    }
}

/// Logs each request: a `request` span (method, URI, HTTP version, client)
/// and, when the response is sent, its status and latency, both at DEBUG
/// under the `tower_http` target, so the default `info` filter skips them
/// for free; server errors (5xx) are logged at ERROR.
fn request_log(
    config: Arc<WebConfig>,
) -> TraceLayer<
    SharedClassifier<ServerErrorsAsFailures>,
    RequestSpan,
    (),
    DefaultOnResponse,
    DefaultOnBodyChunk,
    DefaultOnEos,
    DefaultOnFailure,
> {
    TraceLayer::new_for_http()
        .make_span_with(RequestSpan(config))
        .on_request(())
        .on_response(
            DefaultOnResponse::new()
                .level(Level::DEBUG)
                .latency_unit(LatencyUnit::Micros),
        )
        .on_failure(DefaultOnFailure::new().latency_unit(LatencyUnit::Micros))
}

/// `GET /healthz`: `ok` when the store answers a ping; otherwise 503 and
/// why (`store unavailable: …`).
async fn healthz(State(state): State<AppState>) -> (StatusCode, String) {
    match state.store.ping().await {
        Ok(_) => (StatusCode::OK, "ok".to_string()),
        Err(e) => {
            tracing::error!(error = %e, "health check: the store does not answer");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                format!("store unavailable: {e}"),
            )
        }
    }
}

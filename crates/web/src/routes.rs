//! Every route the server answers, in one place.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | the latest feed day with papers; `?date=YYYY-MM-DD` for another day |
//! | `GET /week`, `GET /month` | redirect to the week or month of the latest feed day |
//! | `GET /week/{YYYY-Www}` | one ISO week |
//! | `GET /month/{YYYY-MM}` | one month |
//! | `GET /papers/{id}` | one paper (old-style ids contain a slash); other id forms and arXiv URLs redirect to it; `{id}.md`, or `Accept: text/markdown`, is the paper as Markdown; cached like the feed pages, members getting the shared page with their marks (`?comment=` asks for it anew) |
//! | `GET /papers/{id}/claim`, `GET /papers/{id}/collections` | claim authorship of a paper; add it to a collection |
//! | `GET /comments/{id}/edit` | the form that edits one's own comment |
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
//! | `GET /login`, `/signup`, `/forgot`, `/reset?token=`, `/verify?token=`, `/settings` | the account pages (their forms post to `/api/auth/…`) |
//! | `GET /static/app.js` | the script that sends votes without a reload |
//! | `GET /api/openapi.json` | the OpenAPI document of every JSON route here |
//! | `POST /api/auth/signup`, `/login`, `/logout`, `/password`, `/reset`, `/reset/complete`, `/verify/request`, `/verify` | accounts ([`api::account`]) |
//! | `GET /api/auth/me` | the signed-in member and their CSRF token |
//! | `GET /api/whoami-v2` | the token's member, as huggingface_hub's `whoami()` reads it |
//! | `GET\|POST /api/auth/tokens`, `DELETE /api/auth/tokens/{id}` (forms: `POST …/{id}/revoke`) | personal API tokens |
//! | `POST\|DELETE /api/papers/{id}/upvote` | cast or withdraw an upvote ([`api::votes`]) |
//! | `GET\|POST /api/papers/{id}/comments` | a paper's comments; a new comment or reply |
//! | `PATCH\|DELETE /api/comments/{id}` (forms: `POST …/edit`, `…/delete`), `POST /api/comments/{id}/hide\|unhide` | change a comment |
//! | `GET /submit`, `POST /api/papers/submit` | put a paper on today's feed by its arXiv id ([`api::submissions`]) |
//! | `POST /api/papers/{id}/claim`, `POST /api/claims/{id}/approve\|reject\|withdraw`, `GET /api/claims?status=`, `GET /admin/claims` | authorship claims and the admins' queue ([`api::claims`]) |
//! | `GET /users/{username}`, `GET /api/users/{username}` | a member's page: verified papers, submissions, organisations, recent comments |
//! | `GET /organizations`, `GET /organizations/{name}?page=`, `GET /api/organizations/{name}` | organisations: their papers and members |
//! | `POST /api/organizations`, `POST /api/organizations/{name}/papers\|members`, `DELETE /api/organizations/{name}/papers/{id}`, `…/members/{username}` | admins make organisations, link papers, add members ([`api::organizations`]) |
//! | `GET\|POST /api/collections` | collections (`owner=`, `item=papers/ID`, `sort=`, `limit=`, `p=`); a new one ([`api::collections`]) |
//! | `GET\|PATCH\|DELETE /api/collections/{namespace}/{slug}` (forms: `POST`) | one collection |
//! | `POST /api/collections/{namespace}/{slug}/items`, `PATCH\|DELETE …/items/{item_object_id}` (forms: `POST`) | its papers |
//! | `GET /collections`, `GET /collections/{namespace}/{slug}` | the member's collections; one collection's page |
//! | `GET {page}/feed.atom\|rss\|json` | the papers of `/`, `/week`, `/month` (and one of each), `/trending`, `/search?q=`, an organisation and a public collection as Atom, RSS 2.0 or JSON Feed ([`pages::feeds`]) |
//! | `GET /subscribe?q=`, `POST /api/subscriptions`, `GET /subscriptions/confirm?token=`, `POST /api/subscriptions/confirm`, `GET\|POST /unsubscribe?token=` | digest subscriptions: the form, double opt-in, one-click unsubscribe ([`api::subscriptions`]) |
//! | `GET /trending?page=` | the papers trending now, with why each is there (cached like the feed pages) |
//! | `GET /admin?q=&page=` | admins: members found by name with ban buttons, hidden comments, links to the status and claims pages |
//! | `GET /api/admin/members?q=&p=&limit=`, `POST /api/admin/members/{username}/ban\|unban` | admins: members, bans ([`api::admin`]) |
//! | `GET /api/admin/comments/hidden?p=&limit=` | admins: the hidden comments with their text |
//!
//! Searches (`/search`, `/api/search` and `/api/papers/search` with a
//! query, and `/api/papers/{id}/similar`) are limited per client address,
//! and votes per member ([`crate::throttle`]).
//!
//! Every HTML response carries the security headers of [`security_headers`]
//! (a Content-Security-Policy without inline scripts, and the rest).
//!
//! Anything else is a 404: an HTML page, or JSON under `/api`. The feed
//! pages, the paper pages, `/trending` and `/api/daily_papers` go through
//! a short response cache
//! ([`crate::cache`], `WebConfig::cache_for`, 2 s by default), each under a
//! key made from its parsed parameters. Every request is logged at DEBUG
//! (method, address, client, status, latency) under the `tower_http`
//! target; see the crate docs.

use axum::Router;
use axum::extract::State;
use axum::handler::Handler;
use axum::http::{Request, StatusCode};
use axum::middleware;
use axum::routing::{MethodRouter, delete, get, patch, post};

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
    let cache = (!state.config.cache_for.is_zero()).then(|| {
        state
            .ops
            .responses
            .get_or_init(|| Arc::new(ResponseCache::configured(&state.config)))
            .clone()
    });
    let config = state.config.clone();
    let cached_as = |route: MethodRouter<AppState>, key: CacheKey, personal: bool| match &cache {
        Some(cache) => route.route_layer(middleware::from_fn_with_state(
            Cached {
                cache: cache.clone(),
                config: config.clone(),
                key,
                personal: personal.then(|| state.clone()),
            },
            micro_cache,
        )),
        None => route,
    };
    // Feed pages: members get the shared page with their marks.
    let cached = |route, key| cached_as(route, key, true);
    // Searches are counted per client address.
    let searches = |route: MethodRouter<AppState>| {
        route.route_layer(middleware::from_fn_with_state(
            state.clone(),
            crate::throttle::searches,
        ))
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
            cached_as(
                get(api::daily_papers::list),
                api::daily_papers::cache_key,
                false,
            ),
        )
        .route(
            "/trending",
            cached(get(pages::trending::page), pages::trending::key),
        )
        .route("/admin", get(pages::moderation::page))
        .route("/api/admin/members", get(api::admin::members))
        .route(
            "/api/admin/members/{username}/{action}",
            post(api::admin::member_action),
        )
        .route(
            "/api/admin/comments/hidden",
            get(api::admin::hidden_comments),
        )
        .route("/week", get(pages::feed::latest_week))
        .route("/month", get(pages::feed::latest_month))
        .route(
            "/papers/{*id}",
            cached(get(pages::paper::show), pages::paper::key),
        )
        .route("/comments/{id}/edit", get(pages::discussion::edit))
        .route("/login", get(pages::account::login))
        .route("/signup", get(pages::account::signup))
        .route("/forgot", get(pages::account::forgot))
        .route("/reset", get(pages::account::reset))
        .route("/verify", get(pages::account::verify))
        .route("/settings", get(pages::account::settings))
        .route("/static/app.js", get(assets::app_js))
        .route("/api/openapi.json", get(api::openapi::show))
        .route("/api/auth/signup", post(api::account::signup))
        .route("/api/auth/login", post(api::account::login))
        .route("/api/auth/logout", post(api::account::logout))
        .route("/api/auth/me", get(api::account::me))
        .route("/api/whoami-v2", get(api::account::whoami))
        .route(
            "/api/auth/tokens",
            get(api::account::list_tokens).post(api::account::create_token),
        )
        .route(
            "/api/auth/tokens/{*id}",
            delete(api::account::revoke_token).post(api::account::revoke_token),
        )
        .route("/api/auth/password", post(api::account::change_password))
        .route("/api/auth/reset", post(api::account::request_reset))
        .route(
            "/api/auth/reset/complete",
            post(api::account::complete_reset),
        )
        .route(
            "/api/auth/verify/request",
            post(api::account::request_verification),
        )
        .route("/api/auth/verify", post(api::account::verify))
        .route(
            "/api/comments/{*id}",
            post(api::votes::comment_action)
                .patch(api::votes::comment_action)
                .delete(api::votes::comment_action),
        )
        .route(
            "/api/collections",
            get(api::collections::list).post(api::collections::create),
        )
        .route(
            "/api/collections/{namespace}/{slug}",
            get(api::collections::show)
                .patch(api::collections::update)
                .post(api::collections::update)
                .delete(api::collections::delete),
        )
        .route(
            "/api/collections/{namespace}/{slug}/items",
            post(api::collections::add_item),
        )
        .route(
            "/api/collections/{namespace}/{slug}/items/{item_object_id}",
            patch(api::collections::update_item)
                .post(api::collections::update_item)
                .delete(api::collections::delete_item),
        )
        .route("/collections", get(pages::collections::mine))
        .route(
            "/collections/{namespace}/{slug}",
            get(pages::collections::show),
        )
        .route("/search", searches(get(pages::search::results)))
        .route("/static/style.css", get(assets::style_css))
        .route("/healthz", get(healthz))
        .route("/api/papers/search", searches(get(api::search::search)))
        .route("/api/search", searches(get(api::find::search)))
        .route("/api/search/status", get(api::find::status))
        .route(
            "/api/papers/{*id}",
            searches(
                get(api::papers::show)
                    .post(api::votes::paper_action)
                    .delete(api::votes::paper_action),
            ),
        )
        .route("/api/status", get(api::status::show))
        .route("/submit", get(pages::submit::page))
        .route("/subscribe", get(pages::subscriptions::subscribe))
        .route("/api/subscriptions", post(api::subscriptions::subscribe))
        .route(
            "/api/subscriptions/confirm",
            post(api::subscriptions::confirm),
        )
        .route("/subscriptions/confirm", get(pages::subscriptions::confirm))
        .route(
            "/unsubscribe",
            get(pages::subscriptions::unsubscribe).post(api::subscriptions::unsubscribe),
        )
        .route("/api/papers/submit", post(api::submissions::submit))
        .route("/api/claims", get(api::claims::queue))
        .route("/api/claims/{*rest}", post(api::claims::change))
        .route("/admin/claims", get(pages::claims::queue))
        .route("/users/{username}", get(pages::members::show))
        .route("/api/users/{username}", get(api::members::show))
        .route("/organizations", get(pages::organizations::index))
        .route("/organizations/{name}", get(pages::organizations::show))
        .route("/api/organizations", post(api::organizations::create))
        .route(
            "/api/organizations/{*rest}",
            get(api::organizations::show)
                .post(api::organizations::change)
                .delete(api::organizations::change),
        )
        .route("/admin/status", get(pages::admin::status_page))
        .route(
            "/metrics",
            get({
                let cache = cache.clone();
                move |state: State<AppState>| metrics::show(state, cache)
            }),
        )
        .merge(feed_routes(searches))
        // The fallback is counted too, as `unmatched`.
        .fallback(error::not_found.layer(middleware::from_fn(metrics::record)))
        .layer(middleware::from_fn_with_state(
            state.clone(),
            error::render_errors,
        ))
        .layer(middleware::from_fn(security_headers))
        // Compresses what the response cache has not already compressed:
        // pages made for one member, search results, the API. At the
        // fastest level: a member's 48 KB front page at the default level
        // cost more than everything else about the request together.
        .layer(
            CompressionLayer::new()
                .gzip(true)
                .quality(tower_http::CompressionLevel::Fastest),
        )
        .layer(request_log(state.config.clone()))
        .route_layer(middleware::from_fn(metrics::record))
        .with_state(state)
}

/// Each feed route (see [`pages::feeds`]) in its three formats:
/// `{page}/feed.atom`, `feed.rss` and `feed.json`.
fn feed_routes(
    searches: impl Fn(MethodRouter<AppState>) -> MethodRouter<AppState>,
) -> Router<AppState> {
    let pages: [(&str, MethodRouter<AppState>); 9] = [
        ("", get(pages::feeds::front)),
        ("/week", get(pages::feeds::latest)),
        ("/month", get(pages::feeds::latest)),
        ("/week/{period}", get(pages::feeds::period)),
        ("/month/{period}", get(pages::feeds::period)),
        ("/trending", get(pages::feeds::trending)),
        ("/search", searches(get(pages::feeds::search))),
        ("/organizations/{name}", get(pages::feeds::organization)),
        (
            "/collections/{namespace}/{slug}",
            get(pages::feeds::collection),
        ),
    ];
    let mut router = Router::new();
    for (page, route) in pages {
        for format in crate::syndication::Format::ALL {
            router = router.route(&format!("{page}/{}", format.file()), route.clone());
        }
    }
    router
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

/// The Content-Security-Policy of every HTML page: scripts, styles and
/// forms from this origin only (no inline script can run), images from
/// anywhere over HTTPS (organisation avatars) and `data:` (the icon), no
/// plugins, no framing.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' https: data:; object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Middleware: the security headers. Every response gets
/// `X-Content-Type-Options: nosniff` and `Referrer-Policy`; HTML responses
/// also get the Content-Security-Policy, `X-Frame-Options: DENY` (for
/// browsers older than `frame-ancestors`) and `Vary: Cookie` (a page kept
/// by the browser before its reader signed in is not reused after).
pub async fn security_headers(
    req: axum::extract::Request,
    next: middleware::Next,
) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    let mut res = next.run(req).await;
    let headers = res.headers_mut();
    headers.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("strict-origin-when-cross-origin"),
    );
    let html = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    if html {
        headers.insert(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        );
        headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
        // A page looks different once its reader signs in: a browser must
        // not show the copy it kept from before.
        headers.append(header::VARY, HeaderValue::from_static("Cookie"));
    }
    res
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

//! The one error type handlers return, and how it is shown: an HTML page for
//! the pages, `{"error": "…"}` for everything under `/api`.
//!
//! A handler returns [`AppError`]; its `IntoResponse` sets the status and
//! tucks the error into the response, and the [`render_errors`] middleware,
//! which knows the request path and the site's configuration, turns it into
//! the body. Server errors are logged once, where they are converted, and
//! shown as a plain message without internals.

use askama::Template;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use dailypapers_store::StoreError;

use crate::AppState;
use crate::view::{Layout, Nav};

/// Why a request failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AppError {
    /// A parameter is malformed; the message names it and the expected format.
    BadRequest(String),
    /// The request needs a signed-in member (or a valid API token).
    Unauthorized(String),
    /// The member may not do this (or the CSRF token is missing or wrong).
    Forbidden(String),
    /// Nothing at this address.
    NotFound(String),
    /// The request clashes with what is stored (a taken username).
    Conflict(String),
    /// The request is well formed but what it asks for cannot be done (a
    /// paper past its submission window); the message says why.
    Unprocessable(String),
    /// Too many requests of this kind: try again after `retry_after` seconds.
    TooMany { message: String, retry_after: u64 },
    /// A part the request needs cannot answer now; the message says why
    /// and what fixes it.
    Unavailable(String),
    /// Something failed on our side (already logged).
    Internal,
}

/// What a reader is told about a server error.
const INTERNAL_MESSAGE: &str = "Something went wrong on our side. Please try again in a moment.";

impl AppError {
    pub fn bad_request(message: impl Into<String>) -> Self {
        AppError::BadRequest(message.into())
    }

    pub fn not_found(message: impl Into<String>) -> Self {
        AppError::NotFound(message.into())
    }

    pub fn forbidden(message: impl Into<String>) -> Self {
        AppError::Forbidden(message.into())
    }

    pub fn unauthorized(message: impl Into<String>) -> Self {
        AppError::Unauthorized(message.into())
    }

    pub fn status(&self) -> StatusCode {
        match self {
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::NotFound(_) => StatusCode::NOT_FOUND,
            AppError::Conflict(_) => StatusCode::CONFLICT,
            AppError::Unprocessable(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooMany { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn message(&self) -> &str {
        match self {
            AppError::BadRequest(m)
            | AppError::Unauthorized(m)
            | AppError::Forbidden(m)
            | AppError::NotFound(m)
            | AppError::Conflict(m)
            | AppError::Unprocessable(m)
            | AppError::TooMany { message: m, .. }
            | AppError::Unavailable(m) => m,
            AppError::Internal => INTERNAL_MESSAGE,
        }
    }

    fn heading(&self) -> &'static str {
        match self {
            AppError::BadRequest(_) => "Bad request",
            AppError::Unauthorized(_) => "Sign in needed",
            AppError::Forbidden(_) => "Not allowed",
            AppError::NotFound(_) => "Not found",
            AppError::Conflict(_) => "Already taken",
            AppError::Unprocessable(_) => "Cannot be done",
            AppError::TooMany { .. } => "Too many requests",
            AppError::Unavailable(_) => "Unavailable",
            AppError::Internal => "Server error",
        }
    }
}

/// What a reader is told while the database does not answer.
pub const STORE_UNAVAILABLE: &str =
    "The database does not answer at the moment. Please try again in a few seconds.";

impl From<StoreError> for AppError {
    fn from(e: StoreError) -> Self {
        if let StoreError::Taken { .. } = e {
            return AppError::Conflict(e.to_string());
        }
        if e.is_unavailable() {
            tracing::warn!(error = %e, "the store does not answer");
            return AppError::Unavailable(STORE_UNAVAILABLE.to_string());
        }
        tracing::error!(error = %e, "store query failed");
        AppError::Internal
    }
}

impl From<dailypapers_search::EngineError> for AppError {
    fn from(e: dailypapers_search::EngineError) -> Self {
        match e {
            dailypapers_search::EngineError::SemanticUnavailable(_) => {
                AppError::Unavailable(e.to_string())
            }
            // A search reads the papers it found from the store.
            dailypapers_search::EngineError::Store(store) => store.into(),
            other => {
                tracing::error!(error = %other, "search failed");
                AppError::Internal
            }
        }
    }
}

impl From<dailypapers_search::query::QueryError> for AppError {
    fn from(e: dailypapers_search::query::QueryError) -> Self {
        AppError::BadRequest(format!("invalid q: {e}"))
    }
}

impl From<dailypapers_domain::MemberError> for AppError {
    fn from(e: dailypapers_domain::MemberError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl From<dailypapers_domain::ContributionError> for AppError {
    fn from(e: dailypapers_domain::ContributionError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl From<dailypapers_domain::CommentError> for AppError {
    fn from(e: dailypapers_domain::CommentError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        tracing::error!(error = %e, "template rendering failed");
        AppError::Internal
    }
}

impl IntoResponse for AppError {
    /// A plain-text response carrying the error; [`render_errors`] gives it its final body.
    fn into_response(self) -> Response {
        let mut res = (self.status(), self.message().to_string()).into_response();
        res.extensions_mut().insert(self);
        res
    }
}

/// Whether a path belongs to the JSON API.
pub fn is_api_path(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/")
}

/// Middleware: renders an [`AppError`] as JSON under `/api` and as an HTML page elsewhere.
pub async fn render_errors(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let api = is_api_path(req.uri().path());
    let mut res = next.run(req).await;
    let Some(err) = res.extensions_mut().remove::<AppError>() else {
        return res;
    };
    let mut out = if api {
        Json(serde_json::json!({ "error": err.message() })).into_response()
    } else {
        match error_page(&state, &err) {
            Ok(html) => Html(html).into_response(),
            Err(_) => err.message().to_string().into_response(),
        }
    };
    *out.status_mut() = err.status();
    out.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let AppError::TooMany { retry_after, .. } = &err {
        out.headers_mut()
            .insert(header::RETRY_AFTER, HeaderValue::from(*retry_after));
    }
    out
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    layout: Layout<'a>,
    status: u16,
    heading: &'a str,
    message: &'a str,
}

fn error_page(state: &AppState, err: &AppError) -> Result<String, askama::Error> {
    ErrorPage {
        layout: Layout::new(state, err.heading(), Nav::latest()),
        status: err.status().as_u16(),
        heading: err.heading(),
        message: err.message(),
    }
    .render()
}

/// The fallback for addresses no route matches.
pub async fn not_found() -> AppError {
    AppError::not_found("There is nothing at this address.")
}

impl From<dailypapers_domain::PeriodError> for AppError {
    fn from(e: dailypapers_domain::PeriodError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl From<dailypapers_domain::ArxivIdError> for AppError {
    fn from(e: dailypapers_domain::ArxivIdError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

impl From<axum::extract::rejection::QueryRejection> for AppError {
    fn from(e: axum::extract::rejection::QueryRejection) -> Self {
        AppError::BadRequest(format!("malformed query string: {}", e.body_text()))
    }
}

impl From<axum::extract::rejection::PathRejection> for AppError {
    fn from(e: axum::extract::rejection::PathRejection) -> Self {
        AppError::BadRequest(format!("malformed address: {}", e.body_text()))
    }
}

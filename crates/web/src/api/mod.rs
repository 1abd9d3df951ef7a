//! The JSON API: the Hugging Face-compatible `/api/daily_papers`,
//! `/api/papers/search` and `/api/papers/{id}`, in the shapes the official
//! `huggingface_hub` client reads (see [`hf_json`]); and our own
//! `/api/search` and `/api/papers/{id}/similar`; accounts ([`account`]),
//! upvotes and comments ([`votes`]), submissions ([`submissions`]),
//! authorship claims ([`claims`]), organisations ([`organizations`]),
//! members' profiles ([`members`]), collections in the shapes of Hugging
//! Face's collection API ([`collections`]) and moderation ([`admin`]),
//! described in the OpenAPI document ([`openapi`]). Errors are
//! `{"error": "…"}` with a 400 that names the parameter and the expected format.

pub mod account;
pub mod admin;
pub mod claims;
pub mod collections;
pub mod daily_papers;
pub mod doc;
pub mod find;
pub mod hf_json;
pub mod members;
pub mod openapi;
pub mod organizations;
pub mod papers;
pub mod search;
pub mod status;
pub mod submissions;
pub mod subscriptions;
pub mod votes;

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::AppError;

/// Serializes `value` into a JSON response.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<Response, AppError> {
    let body = serde_json::to_vec(value).map_err(|e| {
        tracing::error!(error = %e, "JSON serialization failed");
        AppError::Internal
    })?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response())
}

/// Marks a response as never to be stored (it is one member's, or holds a secret).
pub fn no_store(mut res: Response) -> Response {
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

/// Parses an optional integer parameter within `min..=max`.
pub fn int_param(
    name: &str,
    value: Option<&str>,
    min: u64,
    max: u64,
    what: &str,
) -> Result<Option<u64>, AppError> {
    let Some(raw) = value.map(str::trim).filter(|v| !v.is_empty()) else {
        return Ok(None);
    };
    match raw.parse::<u64>() {
        Ok(n) if (min..=max).contains(&n) => Ok(Some(n)),
        _ => Err(AppError::bad_request(format!(
            "invalid {name} {:?}: expected {what}",
            raw.chars().take(40).collect::<String>()
        ))),
    }
}

/// `value` unless it is absent or blank.
pub fn non_empty(value: Option<&str>) -> Option<&str> {
    value.map(str::trim).filter(|v| !v.is_empty())
}

//! `GET /metrics`: what the server holds, in the Prometheus text format.
//!
//! For now the response cache: its entries and bytes against their caps,
//! and its hits, misses and evictions since the start. With the cache off,
//! every figure is zero.

use std::fmt::Write;
use std::sync::Arc;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};

use crate::cache::ResponseCache;

/// `GET /metrics`.
pub async fn metrics(State(cache): State<Option<Arc<ResponseCache>>>) -> Response {
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
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/plain; version=0.0.4; charset=utf-8"),
        )],
        body,
    )
        .into_response()
}

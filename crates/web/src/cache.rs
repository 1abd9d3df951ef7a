//! A short-lived in-memory cache of whole responses for the hot, read-only
//! routes (the feed pages and `/api/daily_papers`).
//!
//! Reading a feed day decodes every paper on it from the store, which costs
//! far more than sending the page; readers and scripts ask for the same few
//! addresses over and over. So a successful response is kept for
//! [`FRESH_FOR`] (2 s; `Cache-Control` already lets clients keep it for 30 s),
//! keyed by host and address. When it goes stale, one request rebuilds it
//! while the others are still answered from the stale copy, for at most
//! [`STALE_FOR`], so expiry never stampedes the store. Memory is bounded by
//! [`MAX_BYTES`]: past it, dead entries are dropped and new ones not kept.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes};
use axum::extract::{Request, State};
use axum::http::{Method, StatusCode, header, response::Parts};
use axum::middleware::Next;
use axum::response::Response;

/// How long a response is served as it is.
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// How long past that a stale response may still be served while another
/// request rebuilds it.
pub const STALE_FOR: Duration = Duration::from_secs(10);
/// The most body bytes kept at once.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Bodies larger than this are not kept.
const MAX_BODY: usize = 4 * 1024 * 1024;

struct Entry {
    parts: Parts,
    body: Bytes,
    stored: Instant,
    refreshing: AtomicBool,
}

impl Entry {
    fn response(&self) -> Response {
        let mut res = Response::new(Body::from(self.body.clone()));
        *res.status_mut() = self.parts.status;
        *res.headers_mut() = self.parts.headers.clone();
        res
    }
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

/// The cache; one per router.
#[derive(Default)]
pub struct ResponseCache {
    entries: RwLock<Entries>,
}

impl ResponseCache {
    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.map.get(key).cloned()
    }

    fn remove(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= old.body.len();
        }
    }

    fn put(&self, key: String, parts: Parts, body: Bytes) {
        let now = Instant::now();
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= old.body.len();
        }
        if entries.bytes + body.len() > MAX_BYTES {
            entries
                .map
                .retain(|_, e| now.duration_since(e.stored) < FRESH_FOR + STALE_FOR);
            entries.bytes = entries.map.values().map(|e| e.body.len()).sum();
            if entries.bytes + body.len() > MAX_BYTES {
                return;
            }
        }
        entries.bytes += body.len();
        let entry = Entry {
            parts,
            body,
            stored: now,
            refreshing: AtomicBool::new(false),
        };
        entries.map.insert(key, Arc::new(entry));
    }
}

/// Middleware for the cached routes.
pub async fn micro_cache(
    State(cache): State<Arc<ResponseCache>>,
    req: Request,
    next: Next,
) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    let host = req
        .headers()
        .get(header::HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let forwarded = req
        .headers()
        .get("x-forwarded-proto")
        .and_then(|h| h.to_str().ok())
        .unwrap_or("");
    let key = format!("{forwarded}|{host}|{}", req.uri());
    if let Some(entry) = cache.get(&key) {
        let age = entry.stored.elapsed();
        if age < FRESH_FOR {
            return entry.response();
        }
        if age < FRESH_FOR + STALE_FOR && entry.refreshing.swap(true, Ordering::AcqRel) {
            // Someone else is rebuilding it.
            return entry.response();
        }
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        cache.remove(&key);
        return res;
    }
    let (parts, body) = res.into_parts();
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            cache.put(key, parts.clone(), bytes.clone());
            Response::from_parts(parts, Body::from(bytes))
        }
        Err(e) => {
            cache.remove(&key);
            tracing::error!(error = %e, "response body too large to cache or unreadable");
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            res
        }
    }
}

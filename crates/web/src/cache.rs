//! A short-lived in-memory cache of whole responses for the hot, read-only
//! routes (the feed pages and `/api/daily_papers`).
//!
//! Reading a feed day decodes every paper on it from the store, which costs
//! far more than sending the page; readers and scripts ask for the same few
//! addresses over and over. So a successful response is kept for
//! `WebConfig::cache_for` ([`FRESH_FOR`], 2 s, unless configured; zero turns
//! the cache off; [`FEED_CACHE`] already lets clients keep it for 30 s),
//! keyed by host and address. When it goes stale, one request rebuilds it
//! while the others are still answered from the stale copy, for at most
//! [`STALE_FOR`], so expiry never stampedes the store. Memory is bounded by
//! [`MAX_BYTES`]: past it, dead entries are dropped and new ones not kept.
//! A response whose body may exceed [`MAX_BODY`] (its size is unknown or
//! larger) is passed through as it is, uncached.
//!
//! Each entry is kept twice, as is and gzip-compressed (compressed once, when
//! it is stored), and a client that accepts gzip gets the compressed copy: a
//! feed page of 40 KB travels as about 8 KB without costing a compression per
//! request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, response::Parts};
use axum::middleware::Next;
use axum::response::Response;

/// The `Cache-Control` of feed pages, paper pages and `/api/daily_papers`:
/// browsers and proxies may keep them for 30 s.
pub const FEED_CACHE: &str = "public, max-age=30";

/// How long a response is served as it is, by default (`WebConfig::cache_for`).
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// How long past that a stale response may still be served while another
/// request rebuilds it.
pub const STALE_FOR: Duration = Duration::from_secs(10);
/// The most body bytes kept at once.
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Bodies larger than this (or of unknown size) are not kept.
pub const MAX_BODY: usize = 4 * 1024 * 1024;

struct Entry {
    parts: Parts,
    body: Bytes,
    /// The body gzip-compressed, when that is smaller.
    gzip: Option<Bytes>,
    stored: Instant,
    refreshing: AtomicBool,
}

impl Entry {
    fn size(&self) -> usize {
        self.body.len() + self.gzip.as_ref().map_or(0, Bytes::len)
    }

    fn response(&self, accepts_gzip: bool) -> Response {
        let (body, encoded) = match &self.gzip {
            Some(gz) if accepts_gzip => (gz.clone(), true),
            _ => (self.body.clone(), false),
        };
        let mut res = Response::new(Body::from(body));
        *res.status_mut() = self.parts.status;
        *res.headers_mut() = self.parts.headers.clone();
        let headers = res.headers_mut();
        headers.remove(header::CONTENT_LENGTH);
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        if encoded {
            headers.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
        }
        res
    }
}

/// Whether an `Accept-Encoding` header allows gzip (`gzip;q=0` does not).
fn accepts_gzip(headers: &HeaderMap) -> bool {
    headers
        .get_all(header::ACCEPT_ENCODING)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|item| {
            let mut parts = item.split(';').map(str::trim);
            let name = parts.next().unwrap_or("");
            let refused = parts.any(|p| {
                p.strip_prefix("q=")
                    .and_then(|q| q.parse::<f32>().ok())
                    .is_some_and(|q| q == 0.0)
            });
            (name.eq_ignore_ascii_case("gzip") || name == "*") && !refused
        })
}

/// Compresses a body when it is worth it.
fn gzip(body: &[u8]) -> Option<Bytes> {
    if body.len() < 1024 {
        return None;
    }
    let mut encoder = flate2::write::GzEncoder::new(
        Vec::with_capacity(body.len() / 4),
        flate2::Compression::default(),
    );
    encoder.write_all(body).ok()?;
    let out = encoder.finish().ok()?;
    (out.len() < body.len()).then(|| Bytes::from(out))
}

#[derive(Default)]
struct Entries {
    map: HashMap<String, Arc<Entry>>,
    bytes: usize,
}

/// The cache; one per router.
pub struct ResponseCache {
    entries: RwLock<Entries>,
    /// How long a response is served as it is.
    fresh_for: Duration,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache::new(FRESH_FOR)
    }
}

impl ResponseCache {
    /// A cache whose responses are fresh for `fresh_for`.
    pub fn new(fresh_for: Duration) -> Self {
        ResponseCache {
            entries: RwLock::default(),
            fresh_for,
        }
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries.map.get(key).cloned()
    }

    fn remove(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= old.size();
        }
    }

    fn put(&self, key: String, entry: Arc<Entry>) {
        let now = Instant::now();
        let size = entry.size();
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= old.size();
        }
        if entries.bytes + size > MAX_BYTES {
            entries
                .map
                .retain(|_, e| now.duration_since(e.stored) < self.fresh_for + STALE_FOR);
            entries.bytes = entries.map.values().map(|e| e.size()).sum();
            if entries.bytes + size > MAX_BYTES {
                return;
            }
        }
        entries.bytes += size;
        entries.map.insert(key, entry);
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
    let gzip_ok = accepts_gzip(req.headers());
    if let Some(entry) = cache.get(&key) {
        let age = entry.stored.elapsed();
        if age < cache.fresh_for {
            return entry.response(gzip_ok);
        }
        if age < cache.fresh_for + STALE_FOR && entry.refreshing.swap(true, Ordering::AcqRel) {
            // Someone else is rebuilding it.
            return entry.response(gzip_ok);
        }
    }
    let res = next.run(req).await;
    if res.status() != StatusCode::OK {
        cache.remove(&key);
        return res;
    }
    let (parts, body) = res.into_parts();
    let fits = body
        .size_hint()
        .upper()
        .is_some_and(|n| n <= MAX_BODY as u64);
    if !fits {
        cache.remove(&key);
        return Response::from_parts(parts, body);
    }
    match axum::body::to_bytes(body, MAX_BODY).await {
        Ok(bytes) => {
            let entry = Arc::new(Entry {
                gzip: gzip(&bytes),
                parts,
                body: bytes,
                stored: Instant::now(),
                refreshing: AtomicBool::new(false),
            });
            cache.put(key, entry.clone());
            entry.response(gzip_ok)
        }
        Err(e) => {
            cache.remove(&key);
            tracing::error!(error = %e, "response body unreadable");
            let mut res = Response::new(Body::empty());
            *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
            res
        }
    }
}

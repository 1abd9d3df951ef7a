//! A short-lived in-memory cache of whole responses for the hot, read-only
//! routes (the feed pages, the paper pages, `/trending` and
//! `/api/daily_papers`).
//!
//! Reading a feed day decodes every paper on it from the store, which costs
//! far more than sending the page; readers and scripts ask for the same few
//! addresses over and over. So a successful response is kept for
//! `WebConfig::cache_for` ([`FRESH_FOR`], 2 s, unless configured; zero turns
//! the cache off; [`FEED_CACHE`] already lets clients keep it for 30 s).
//! When it goes stale, one request rebuilds it while the others are still
//! answered from the stale copy, for at most [`STALE_FOR`], so expiry never
//! stampedes the store.
//!
//! **Keys are canonical.** Each cached route names its response with a
//! [`CacheKey`] function that parses the request's known parameters the way
//! its handler does and writes them back in one order and one spelling
//! (`/api/daily_papers?limit=5&p=1&x=junk` and `?p=1&limit=5` are one
//! entry); parameters the route does not know are left out, and a request
//! whose parameters do not parse is not cached at all (its handler answers
//! the 400). The `Host` header is part of a key only where links depend on
//! it: in `/api/daily_papers`, when no `public_url` is configured.
//!
//! **Memory is bounded** by a number of entries (`WebConfig::cache_max_entries`,
//! [`MAX_ENTRIES`] by default) and by a total size (`cache_max_bytes`,
//! [`MAX_BYTES`]), where an entry counts its key, its headers, both copies
//! of its body and a fixed overhead ([`ENTRY_OVERHEAD`]). When a new entry
//! does not fit, expired entries go first, then the least recently used,
//! down to seven eighths of either cap, so eviction runs once per many
//! insertions. A response whose body may exceed [`MAX_BODY`] (its size is
//! unknown or larger), or that would not fit in the cache alone, is passed
//! through as it is, uncached.
//!
//! Each entry is kept twice, as is and gzip-compressed (compressed once, when
//! it is stored), and a client that accepts gzip gets the compressed copy: a
//! feed page of 40 KB travels as about 8 KB without costing a compression per
//! request.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::{Request, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header, response::Parts};
use axum::middleware::Next;
use axum::response::Response;

use crate::WebConfig;

/// The `Cache-Control` of feed pages, paper pages and `/api/daily_papers`:
/// browsers and proxies may keep them for 30 s.
pub const FEED_CACHE: &str = "public, max-age=30";

/// What a page made for one member may be kept as: by their browser only,
/// checked again each time.
pub const PERSONAL: &str = "private, no-cache";

/// How long a response is served as it is, by default (`WebConfig::cache_for`).
pub const FRESH_FOR: Duration = Duration::from_secs(2);
/// How long past that a stale response may still be served while another
/// request rebuilds it.
pub const STALE_FOR: Duration = Duration::from_secs(10);
/// The most entries kept at once, by default (`WebConfig::cache_max_entries`).
pub const MAX_ENTRIES: usize = 1_000;
/// The most bytes kept at once, by default (`WebConfig::cache_max_bytes`).
pub const MAX_BYTES: usize = 64 * 1024 * 1024;
/// Bodies larger than this (or of unknown size) are not kept.
pub const MAX_BODY: usize = 4 * 1024 * 1024;
/// What an entry costs beyond its key, headers and bodies: the entry
/// itself, its slot in the map, allocation headers.
pub const ENTRY_OVERHEAD: usize = 256;
/// What a header costs beyond its name and value.
const HEADER_OVERHEAD: usize = 32;

/// Names the response to a request on one cached route, from its parsed
/// parameters; `None` when the request is not to be cached (its
/// parameters do not parse, so the handler refuses it).
pub type CacheKey = fn(&Request, &WebConfig) -> Option<String>;

struct Entry {
    status: StatusCode,
    /// The headers sent with `body`, ready to be copied.
    headers: HeaderMap,
    body: Bytes,
    /// The body gzip-compressed, when that is smaller, with its headers.
    gzip: Option<(HeaderMap, Bytes)>,
    stored: Instant,
    refreshing: AtomicBool,
    /// What the entry counts towards `max_bytes`, its key included.
    size: usize,
    /// The cache's clock when it was last served.
    last_used: AtomicU64,
}

impl Entry {
    fn new(key: &str, parts: Parts, body: Bytes) -> Self {
        let header_bytes: usize = parts
            .headers
            .iter()
            .map(|(name, value)| name.as_str().len() + value.len() + HEADER_OVERHEAD)
            .sum();
        // Both header sets are made once here, so that a hit only copies one.
        let mut headers = parts.headers;
        headers.remove(header::CONTENT_LENGTH);
        headers.insert(header::VARY, HeaderValue::from_static("accept-encoding"));
        let gzip = gzip(&body).map(|gz| {
            let mut encoded = headers.clone();
            encoded.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
            (encoded, gz)
        });
        let size = ENTRY_OVERHEAD
            + key.len()
            + header_bytes * if gzip.is_some() { 2 } else { 1 }
            + body.len()
            + gzip.as_ref().map_or(0, |(_, gz)| gz.len());
        Entry {
            status: parts.status,
            headers,
            body,
            gzip,
            stored: Instant::now(),
            refreshing: AtomicBool::new(false),
            size,
            last_used: AtomicU64::new(0),
        }
    }

    fn response(&self, accepts_gzip: bool) -> Response {
        let (headers, body) = match &self.gzip {
            Some((headers, gz)) if accepts_gzip => (headers, gz),
            _ => (&self.headers, &self.body),
        };
        let mut res = Response::new(Body::from(body.clone()));
        *res.status_mut() = self.status;
        *res.headers_mut() = headers.clone();
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

/// What the cache holds and has done, for `/metrics`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CacheStats {
    pub entries: usize,
    pub bytes: usize,
    pub max_entries: usize,
    pub max_bytes: usize,
    pub hits: u64,
    pub misses: u64,
    pub evictions: u64,
}

/// The cache; one per router, shared by the cached routes.
pub struct ResponseCache {
    entries: RwLock<Entries>,
    /// How long a response is served as it is.
    fresh_for: Duration,
    max_entries: usize,
    max_bytes: usize,
    /// Ticks once per use; orders entries by recency.
    clock: AtomicU64,
    hits: AtomicU64,
    misses: AtomicU64,
    evictions: AtomicU64,
}

impl Default for ResponseCache {
    fn default() -> Self {
        ResponseCache::new(FRESH_FOR, MAX_ENTRIES, MAX_BYTES)
    }
}

impl ResponseCache {
    /// A cache whose responses are fresh for `fresh_for`, holding at most
    /// `max_entries` responses and `max_bytes` bytes.
    pub fn new(fresh_for: Duration, max_entries: usize, max_bytes: usize) -> Self {
        ResponseCache {
            entries: RwLock::default(),
            fresh_for,
            max_entries: max_entries.max(1),
            max_bytes,
            clock: AtomicU64::new(0),
            hits: AtomicU64::new(0),
            misses: AtomicU64::new(0),
            evictions: AtomicU64::new(0),
        }
    }

    /// The cache configured for a router.
    pub fn configured(config: &WebConfig) -> Self {
        ResponseCache::new(
            config.cache_for,
            config.cache_max_entries,
            config.cache_max_bytes,
        )
    }

    /// How many entries and bytes it holds, its caps, and its counters.
    pub fn stats(&self) -> CacheStats {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        CacheStats {
            entries: entries.map.len(),
            bytes: entries.bytes,
            max_entries: self.max_entries,
            max_bytes: self.max_bytes,
            hits: self.hits.load(Ordering::Relaxed),
            misses: self.misses.load(Ordering::Relaxed),
            evictions: self.evictions.load(Ordering::Relaxed),
        }
    }

    fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::Relaxed)
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        let entry = entries.map.get(key)?;
        entry.last_used.store(self.tick(), Ordering::Relaxed);
        Some(entry.clone())
    }

    pub(crate) fn remove(&self, key: &str) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.map.remove(key) {
            entries.bytes -= old.size;
        }
    }

    /// Keeps `entry` under `key`, evicting what it must; an entry larger
    /// than the whole cache is not kept.
    fn put(&self, key: String, entry: Arc<Entry>) {
        let size = entry.size;
        entry.last_used.store(self.tick(), Ordering::Relaxed);
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if let Some(old) = entries.map.remove(&key) {
            entries.bytes -= old.size;
        }
        if size > self.max_bytes {
            return;
        }
        if entries.map.len() >= self.max_entries || entries.bytes + size > self.max_bytes {
            self.evict(&mut entries, size);
        }
        entries.bytes += size;
        entries.map.insert(key, entry);
    }

    /// Makes room for an entry of `size` bytes: drops the expired entries,
    /// then the least recently used, until both caps have an eighth free
    /// (or the new entry fits, when it is larger than that).
    fn evict(&self, entries: &mut Entries, size: usize) {
        let before = entries.map.len();
        let dead = self.fresh_for + STALE_FOR;
        entries.map.retain(|_, e| e.stored.elapsed() < dead);
        let len_target = self.max_entries - (self.max_entries / 8).max(1);
        let bytes_target = (self.max_bytes - self.max_bytes / 8).max(size);
        let mut bytes: usize = entries.map.values().map(|e| e.size).sum();
        if entries.map.len() > len_target || bytes + size > bytes_target {
            let mut by_use: Vec<(u64, usize, &String)> = entries
                .map
                .iter()
                .map(|(k, e)| (e.last_used.load(Ordering::Relaxed), e.size, k))
                .collect();
            by_use.sort_unstable_by_key(|(used, _, _)| *used);
            let mut len = by_use.len();
            let mut doomed = Vec::new();
            for (_, entry_size, key) in by_use {
                if len <= len_target && bytes + size <= bytes_target {
                    break;
                }
                len -= 1;
                bytes -= entry_size;
                doomed.push(key.clone());
            }
            for key in doomed {
                entries.map.remove(&key);
            }
        }
        entries.bytes = bytes;
        let evicted = before - entries.map.len();
        self.evictions.fetch_add(evicted as u64, Ordering::Relaxed);
    }
}

/// The state of the cache middleware on one route: the shared cache, the
/// configuration, and how that route names its responses.
#[derive(Clone)]
pub struct Cached {
    pub cache: Arc<ResponseCache>,
    pub config: Arc<WebConfig>,
    pub key: CacheKey,
    /// An HTML page that members see with their marks: served to them from
    /// its shared form (see [`crate::personal`]) with the app's state.
    pub personal: Option<crate::AppState>,
}

/// Middleware for the cached routes.
pub async fn micro_cache(State(route): State<Cached>, req: Request, next: Next) -> Response {
    if req.method() != Method::GET {
        return next.run(req).await;
    }
    if crate::auth::has_credentials(req.headers()) {
        if let Some(state) = &route.personal
            && !req.headers().contains_key(header::AUTHORIZATION)
        {
            return member_page(state, &route, req, next).await;
        }
        return next.run(req).await;
    }
    let Some(key) = (route.key)(&req, &route.config) else {
        return next.run(req).await;
    };
    let cache = &route.cache;
    let gzip_ok = accepts_gzip(req.headers());
    if let Some(entry) = cache.get(&key) {
        let age = entry.stored.elapsed();
        if age < cache.fresh_for {
            cache.hits.fetch_add(1, Ordering::Relaxed);
            return entry.response(gzip_ok);
        }
        if age < cache.fresh_for + STALE_FOR && entry.refreshing.swap(true, Ordering::AcqRel) {
            // Someone else is rebuilding it.
            cache.hits.fetch_add(1, Ordering::Relaxed);
            return entry.response(gzip_ok);
        }
    }
    cache.misses.fetch_add(1, Ordering::Relaxed);
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
            let entry = Arc::new(Entry::new(&key, parts, bytes));
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

/// A cached page for a request with a session cookie: the shared page
/// (rendered, and kept under the page's key, when it is not fresh) with the
/// member's marks; a stale cookie gets the anonymous page.
async fn member_page(
    state: &crate::AppState,
    route: &Cached,
    mut req: Request,
    next: Next,
) -> Response {
    use axum::response::IntoResponse;
    let viewer = match crate::auth::viewer(state, req.headers()).await {
        Ok(v) => v,
        Err(e) => return e.into_response(),
    };
    if viewer.member.is_none() {
        req.extensions_mut().insert(crate::auth::Viewer::default());
        return next.run(req).await;
    }
    let Some(key) = (route.key)(&req, &route.config) else {
        return next.run(req).await;
    };
    let key = format!("{key}\u{0}shared");
    let here = req
        .uri()
        .path_and_query()
        .map_or("/", |p| p.as_str())
        .to_string();
    let cache = &route.cache;
    let fresh = cache
        .get(&key)
        .filter(|e| e.stored.elapsed() < cache.fresh_for);
    let (page, status) = match fresh {
        Some(entry) => {
            cache.hits.fetch_add(1, Ordering::Relaxed);
            (entry.body.clone(), StatusCode::OK)
        }
        None => {
            cache.misses.fetch_add(1, Ordering::Relaxed);
            req.extensions_mut().insert(crate::auth::Viewer::default());
            req.extensions_mut().insert(crate::personal::SharedPage);
            let res = next.run(req).await;
            let status = res.status();
            let html = res
                .headers()
                .get(header::CONTENT_TYPE)
                .and_then(|v| v.to_str().ok())
                .is_some_and(|v| v.starts_with("text/html"));
            if !html {
                return res;
            }
            let (parts, body) = res.into_parts();
            let Ok(bytes) = axum::body::to_bytes(body, MAX_BODY).await else {
                let mut res = Response::new(Body::empty());
                *res.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
                return res;
            };
            // Only a page that is the same for every member is kept; an
            // empty period's 404 is filled in and sent, not kept.
            if status == StatusCode::OK {
                cache.put(key, Arc::new(Entry::new("", parts, bytes.clone())));
            }
            (bytes, status)
        }
    };
    let text = String::from_utf8_lossy(&page);
    crate::personal::fill(state, &viewer, &text, &here, status)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts() -> Parts {
        let (mut parts, ()) = Response::new(()).into_parts();
        parts
            .headers
            .insert(header::CACHE_CONTROL, HeaderValue::from_static(FEED_CACHE));
        parts
    }

    fn entry(key: &str, body_len: usize) -> Arc<Entry> {
        // Not compressible: random-looking bytes keep the size predictable.
        let body: Vec<u8> = (0..body_len as u64)
            .map(|i| (i.wrapping_mul(0x9e37_79b9_7f4a_7c15) >> 56) as u8)
            .collect();
        Arc::new(Entry::new(key, parts(), Bytes::from(body)))
    }

    fn keys(cache: &ResponseCache) -> Vec<String> {
        let entries = cache.entries.read().unwrap();
        let mut keys: Vec<String> = entries.map.keys().cloned().collect();
        keys.sort();
        keys
    }

    fn put(cache: &ResponseCache, key: &str, body_len: usize) {
        cache.put(key.to_string(), entry(key, body_len));
    }

    #[test]
    fn entries_count_their_key_headers_and_bodies() {
        let small = entry("/k", 10);
        let long_key = "/k".repeat(500);
        let big_key = entry(&long_key, 10);
        assert_eq!(big_key.size - small.size, long_key.len() - 2);
        assert!(small.size >= ENTRY_OVERHEAD + 2 + 10 + "cache-control".len() + FEED_CACHE.len());
        let cache = ResponseCache::new(FRESH_FOR, 10, 1 << 20);
        put(&cache, "/a", 100);
        put(&cache, "/b", 200);
        put(&cache, "/a", 300);
        let s = cache.stats();
        assert_eq!(s.entries, 2);
        assert_eq!(s.bytes, entry("/a", 300).size + entry("/b", 200).size);
        cache.remove("/a");
        assert_eq!(cache.stats().bytes, entry("/b", 200).size);
    }

    #[test]
    fn past_the_entry_cap_the_least_recently_used_go() {
        let cache = ResponseCache::new(FRESH_FOR, 8, 1 << 30);
        for i in 0..8 {
            put(&cache, &format!("/{i}"), 10);
        }
        // /0 and /1 are read again, so /2 and /3 are now the least recent.
        assert!(cache.get("/0").is_some() && cache.get("/1").is_some());
        put(&cache, "/new", 10);
        let s = cache.stats();
        assert!(s.entries <= 8, "{s:?}");
        assert_eq!(s.evictions, 1, "down to seven eighths of 8, then one more");
        assert_eq!(
            keys(&cache),
            ["/0", "/1", "/3", "/4", "/5", "/6", "/7", "/new"]
        );
        // However many more come, the count stays under the cap.
        for i in 0..1000 {
            put(&cache, &format!("/more/{i}"), 10);
            assert!(cache.stats().entries <= 8);
        }
        assert!(cache.get("/more/999").is_some(), "the newest is kept");
    }

    #[test]
    fn past_the_byte_cap_the_least_recently_used_go() {
        let one = entry("/0", 1000).size;
        let cache = ResponseCache::new(FRESH_FOR, 1000, 10 * one);
        for i in 0..10 {
            put(&cache, &format!("/{i}"), 1000);
        }
        assert_eq!(cache.stats().entries, 10, "exactly full");
        assert!(cache.get("/0").is_some());
        put(&cache, "/10", 1000);
        let s = cache.stats();
        assert!(s.bytes <= s.max_bytes, "{s:?}");
        // Room is made for the new entry and an eighth of the cap: the
        // three least recent (/1, /2, /3) go.
        assert_eq!(s.entries, 8, "{s:?}");
        assert!(cache.get("/0").is_some() && cache.get("/10").is_some());
        for gone in ["/1", "/2", "/3"] {
            assert!(cache.get(gone).is_none(), "{gone}");
        }
        // A large entry pushes out as many as it needs.
        put(&cache, "/big", 5000);
        let s = cache.stats();
        assert!(s.bytes <= s.max_bytes, "{s:?}");
        assert!(cache.get("/big").is_some());
        // One larger than the whole cache is not kept, and evicts nothing.
        let before = cache.stats();
        put(&cache, "/huge", 11 * one);
        assert!(cache.get("/huge").is_none());
        assert_eq!(cache.stats().entries, before.entries);
    }

    #[test]
    fn expired_entries_go_before_recent_ones() {
        let cache = ResponseCache::new(Duration::ZERO, 4, 1 << 30);
        put(&cache, "/old", 10);
        {
            // Backdate it past the time it may be served stale.
            let mut entries = cache.entries.write().unwrap();
            let old = entries.map.get_mut("/old").unwrap();
            let mut aged = Entry::new("/old", parts(), old.body.clone());
            aged.stored = Instant::now() - STALE_FOR - Duration::from_secs(1);
            aged.last_used = AtomicU64::new(u64::MAX);
            *old = Arc::new(aged);
        }
        for key in ["/a", "/b", "/c"] {
            put(&cache, key, 10);
        }
        put(&cache, "/d", 10);
        assert_eq!(
            keys(&cache),
            ["/a", "/b", "/c", "/d"],
            "the expired one went, though used last"
        );
    }
}

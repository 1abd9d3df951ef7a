//! The stylesheet, compiled into the binary and served at a versioned URL
//! (`/static/style.css?v=…`) with a year-long `Cache-Control` and an `ETag`.

use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};

/// The stylesheet's text.
pub const STYLE_CSS: &str = include_str!("../static/style.css");

/// A content hash of the stylesheet (FNV-1a, 64 bits), computed at compile time.
pub const STYLE_HASH: u64 = fnv1a64(STYLE_CSS.as_bytes());

/// FNV-1a over `bytes`: stable across platforms and releases, usable in `const`.
pub const fn fnv1a64(bytes: &[u8]) -> u64 {
    fnv1a64_from(0xcbf2_9ce4_8422_2325, bytes)
}

/// FNV-1a continuing from `hash`.
pub const fn fnv1a64_from(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// The URL pages link the stylesheet with; it changes whenever the file does.
pub fn style_href() -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| format!("/static/style.css?v={STYLE_HASH:016x}"))
}

fn etag() -> &'static str {
    static ETAG: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    ETAG.get_or_init(|| format!("\"{STYLE_HASH:016x}\""))
}

/// `GET /static/style.css`.
pub async fn style_css(headers: HeaderMap) -> Response {
    let tag = etag();
    let etag = HeaderValue::from_static(tag);
    let cache = HeaderValue::from_static("public, max-age=31536000, immutable");
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == tag || t.trim() == "*"));
    if fresh {
        return (
            StatusCode::NOT_MODIFIED,
            [(header::ETAG, etag), (header::CACHE_CONTROL, cache)],
        )
            .into_response();
    }
    (
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/css; charset=utf-8"),
            ),
            (header::ETAG, etag),
            (header::CACHE_CONTROL, cache),
        ],
        STYLE_CSS,
    )
        .into_response()
}

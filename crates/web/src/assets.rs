//! The stylesheet and the script, compiled into the binary and served at
//! versioned URLs (`/static/style.css?v=…`, `/static/app.js?v=…`) with a
//! year-long `Cache-Control` and an `ETag`.

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

/// The script pages load (`/static/app.js`): upvotes without a reload.
/// Pages work without it; it only replaces form posts by `fetch`.
pub const APP_JS: &str = include_str!("../static/app.js");

/// A content hash of the script.
pub const APP_HASH: u64 = fnv1a64(APP_JS.as_bytes());

/// A file served at a versioned URL.
struct Asset {
    text: &'static str,
    hash: u64,
    content_type: &'static str,
    path: &'static str,
}

const STYLE: Asset = Asset {
    text: STYLE_CSS,
    hash: STYLE_HASH,
    content_type: "text/css; charset=utf-8",
    path: "/static/style.css",
};

const APP: Asset = Asset {
    text: APP_JS,
    hash: APP_HASH,
    content_type: "text/javascript; charset=utf-8",
    path: "/static/app.js",
};

impl Asset {
    fn href(&self) -> String {
        format!("{}?v={:016x}", self.path, self.hash)
    }

    fn etag(&self) -> String {
        format!("\"{:016x}\"", self.hash)
    }

    fn serve(&self, headers: &HeaderMap) -> Response {
        let tag = self.etag();
        let etag = HeaderValue::from_str(&tag).expect("a hex ETag");
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
                    HeaderValue::from_static(self.content_type),
                ),
                (header::ETAG, etag),
                (header::CACHE_CONTROL, cache),
            ],
            self.text,
        )
            .into_response()
    }
}

/// The URL pages link the stylesheet with; it changes whenever the file does.
pub fn style_href() -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| STYLE.href())
}

/// The URL pages load the script from.
pub fn app_href() -> &'static str {
    static HREF: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    HREF.get_or_init(|| APP.href())
}

/// `GET /static/style.css`.
pub async fn style_css(headers: HeaderMap) -> Response {
    STYLE.serve(&headers)
}

/// `GET /static/app.js`.
pub async fn app_js(headers: HeaderMap) -> Response {
    APP.serve(&headers)
}

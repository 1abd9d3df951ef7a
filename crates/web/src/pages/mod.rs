//! The server-rendered HTML pages, one module each: the feed (a day, a week,
//! a month), trending papers, a paper, search results, the accounts, the
//! admin's pages (moderation, status); submitting a paper, the claims
//! queue, members' and organisations' pages, and collections.

pub mod account;
pub mod admin;
pub mod authorship;
pub mod claims;
pub mod collections;
pub mod discussion;
pub mod feed;
pub mod feeds;
pub mod members;
pub mod moderation;
pub mod organizations;
pub mod paper;
pub mod search;
pub mod submit;
pub mod subscriptions;
pub mod trending;

use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};

/// An HTML response with the given `Cache-Control`.
pub fn html_cached(body: String, cache: &'static str) -> Response {
    let mut res = Html(body).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static(cache));
    res
}

//! What the OpenAPI document says that no single handler carries: the
//! error body every 4xx and 5xx answer has, the refusals every
//! state-changing route shares (they come from the `Act` and `Input`
//! extractors of [`crate::auth`], not from the handler), and the values of
//! query parameters that their handlers read as text.
//!
//! [`SharedResponses`] is applied to the whole document after the routes
//! are collected, so a route added later gets the same without a line of
//! its own.

use utoipa::openapi::path::{Operation, PathItem};
use utoipa::openapi::{ContentBuilder, OpenApi, Ref, RefOr, ResponseBuilder};
use utoipa::{Modify, PartialSchema, ToSchema};

/// Every error under `/api`: `{"error": "…"}`, a message that says what
/// was wrong (the parameter and what is expected).
#[derive(serde::Serialize, ToSchema)]
pub struct ErrorBody {
    pub error: String,
}

/// The `sort` values of `GET /api/daily_papers` (its handler reads the
/// parameter as text; a test below holds the two together).
#[derive(ToSchema)]
#[schema(rename_all = "camelCase")]
#[allow(dead_code)]
pub enum DailySort {
    /// The newest listing first, by the item's own `publishedAt`.
    PublishedAt,
    /// The trending order.
    Trending,
}

/// What a status means when an annotation gives no description of its own.
fn describe(status: &str) -> &'static str {
    match status {
        "400" => "A parameter or the body is malformed: the message names it and what is expected.",
        "401" => "A member is needed (log in, or send a valid API token).",
        "403" => {
            "Not allowed: someone else's, a member's role is needed, the CSRF token is missing or wrong, or the request is cross-site."
        }
        "404" => "Nothing at this address.",
        "409" => "Clashes with what is stored.",
        "429" => "Too many requests of this kind: try again after Retry-After seconds.",
        "503" => "A part the request needs cannot answer now; the message says why.",
        _ => "An error.",
    }
}

/// The statuses with which `auth::Act` and `auth::Input` refuse a request
/// before its handler runs: a malformed or oversized body, no member (or an
/// invalid API token), a missing or wrong CSRF token or a cross-site request.
const EXTRACTOR_REFUSALS: [&str; 3] = ["400", "401", "403"];

/// Documents the error body on every 4xx and 5xx response, the
/// extractors' refusals on every state-changing operation, and a
/// description on every error response that has none.
pub struct SharedResponses;

impl Modify for SharedResponses {
    fn modify(&self, openapi: &mut OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components
            .schemas
            .insert("ErrorBody".to_string(), ErrorBody::schema());
        for item in openapi.paths.paths.values_mut() {
            for (state_changing, op) in operations(item) {
                if state_changing {
                    for status in EXTRACTOR_REFUSALS {
                        op.responses
                            .responses
                            .entry(status.to_string())
                            .or_insert_with(|| ResponseBuilder::new().build().into());
                    }
                }
                for (status, response) in op.responses.responses.iter_mut() {
                    let RefOr::T(response) = response else {
                        continue;
                    };
                    if !(status.starts_with('4') || status.starts_with('5')) {
                        continue;
                    }
                    if response.description.is_empty() {
                        response.description = describe(status).to_string();
                    }
                    if response.content.is_empty() {
                        response.content.insert(
                            "application/json".to_string(),
                            ContentBuilder::new()
                                .schema(Some(Ref::from_schema_name("ErrorBody")))
                                .build()
                                .into(),
                        );
                    }
                }
            }
        }
    }
}

/// The operations of a path, each with whether it changes state.
fn operations(item: &mut PathItem) -> impl Iterator<Item = (bool, &mut Operation)> {
    [
        (false, item.get.as_mut()),
        (true, item.post.as_mut()),
        (true, item.put.as_mut()),
        (true, item.patch.as_mut()),
        (true, item.delete.as_mut()),
    ]
    .into_iter()
    .filter_map(|(changes, op)| op.map(|op| (changes, op)))
}

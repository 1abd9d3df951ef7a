//! The pages around the digest subscription: `/subscribe` (the form, with
//! the member's address and a search filled in when known),
//! `/subscriptions/confirm?token=` (the button that confirms; what the
//! confirmation mail links) and `/unsubscribe?token=` (the button that
//! unsubscribes; what a digest's visible link opens). Nothing changes on
//! GET: each page's form posts to the API.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::html_cached;
use crate::auth::Viewer;
use crate::view::{Layout, Nav};
use crate::{AppError, AppState};

pub enum SubscribeForm {
    Subscribe { email: String, query: String },
    Confirm(String),
    Unsubscribe(String),
    None,
}

#[derive(Template)]
#[template(path = "subscribe.html")]
struct SubscribePage<'a> {
    layout: Layout<'a>,
    heading: &'static str,
    notice: Option<&'static str>,
    form: SubscribeForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct Params {
    q: Option<String>,
    token: Option<String>,
    sent: Option<String>,
    done: Option<String>,
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    heading: &'static str,
    notice: Option<&'static str>,
    form: SubscribeForm,
) -> Result<Response, AppError> {
    let body = SubscribePage {
        layout: Layout::new(state, heading, Nav::latest()).for_viewer(viewer),
        heading,
        notice,
        form,
    }
    .render()?;
    Ok(html_cached(body, "no-store"))
}

/// `GET /subscribe?q=`.
pub async fn subscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Params>,
) -> Result<Response, AppError> {
    let email = viewer
        .member
        .as_ref()
        .map(|m| m.email.clone())
        .unwrap_or_default();
    let query: String = p.q.unwrap_or_default().chars().take(250).collect();
    page(
        &state,
        &viewer,
        "Get papers in your inbox",
        None,
        SubscribeForm::Subscribe { email, query },
    )
}

/// `GET /subscriptions/confirm?token=` (also `?sent=1` after subscribing,
/// `?done=1` after confirming).
pub async fn confirm(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Params>,
) -> Result<Response, AppError> {
    let (heading, notice, form) = match (p.token, p.sent, p.done) {
        (Some(token), _, _) => (
            "Confirm your subscription",
            None,
            SubscribeForm::Confirm(token),
        ),
        (None, Some(_), _) => (
            "Check your inbox",
            Some("A link to confirm is on its way; nothing is sent before you open it."),
            SubscribeForm::None,
        ),
        (None, None, Some(_)) => (
            "Subscribed",
            Some("Your subscription is confirmed: the next digest is yours."),
            SubscribeForm::None,
        ),
        _ => return Err(AppError::bad_request("token: the link's token is missing")),
    };
    page(&state, &viewer, heading, notice, form)
}

/// `GET /unsubscribe?token=` (`?done=1` after unsubscribing).
pub async fn unsubscribe(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(p): Query<Params>,
) -> Result<Response, AppError> {
    let (heading, notice, form) = match (p.token, p.done) {
        (Some(token), _) => ("Unsubscribe", None, SubscribeForm::Unsubscribe(token)),
        (None, Some(_)) => (
            "Unsubscribed",
            Some("You will get nothing more from this subscription."),
            SubscribeForm::None,
        ),
        _ => return Err(AppError::bad_request("token: the link's token is missing")),
    };
    page(&state, &viewer, heading, notice, form)
}

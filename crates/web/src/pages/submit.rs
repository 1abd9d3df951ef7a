//! `/submit`: the form a member puts a paper on today's feed with, by its
//! arXiv id. It posts to `POST /api/papers/submit`
//! ([`crate::api::submissions`]), which sends the browser to the paper's
//! page, or answers this page again with the refusal's status and why.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::html_cached;
use crate::auth::Viewer;
use crate::view::{Layout, Nav};
use crate::{AppError, AppState};

#[derive(Template)]
#[template(path = "submit.html")]
struct SubmitPage<'a> {
    layout: Layout<'a>,
    csrf: String,
    /// The id typed, kept after a refusal.
    value: String,
    error: Option<String>,
    window_days: u32,
    per_day: u32,
}

#[derive(Debug, Default, Deserialize)]
pub struct SubmitParams {
    id: Option<String>,
}

fn render(
    state: &AppState,
    viewer: &Viewer,
    value: &str,
    error: Option<String>,
) -> Result<String, AppError> {
    Ok(SubmitPage {
        layout: Layout::new(state, "Submit a paper", Nav::latest()).for_viewer(viewer),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        value: value.chars().take(300).collect(),
        error,
        window_days: state.config.submissions.window_days,
        per_day: state.config.accounts.policy.limits.submit.hits,
    }
    .render()?)
}

/// `GET /submit` (`?id=` fills the field in); nobody signed in is sent to log in first.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<SubmitParams>, axum::extract::rejection::QueryRejection>,
) -> Result<Response, AppError> {
    if viewer.member.is_none() {
        return Ok(Redirect::to("/login?return_to=%2Fsubmit").into_response());
    }
    let Query(params) = params?;
    let body = render(&state, &viewer, params.id.as_deref().unwrap_or(""), None)?;
    Ok(html_cached(body, "no-store"))
}

/// The page again after a form's submission was refused: the refusal's
/// status (and `Retry-After`), what was typed, and why.
pub fn refused(
    state: &AppState,
    viewer: &Viewer,
    value: &str,
    err: &AppError,
) -> Result<Response, AppError> {
    let message = err.message().to_string();
    let mut res = html_cached(render(state, viewer, value, Some(message))?, "no-store");
    *res.status_mut() = err.status();
    crate::api::submissions::retry_after(err, &mut res);
    Ok(res)
}

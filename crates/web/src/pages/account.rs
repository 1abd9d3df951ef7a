//! The account pages: `/login`, `/signup`, `/forgot` (ask for a reset
//! link), `/reset?token=` and `/verify?token=` (forms that post the mailed
//! token: nothing changes on GET), and `/settings` (address, API tokens,
//! password). Their forms post to the `/api/auth/…` routes, which answer a
//! form with a redirect.

use askama::Template;
use axum::extract::{Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::html_cached;
use crate::auth::{Viewer, is_local_path};
use crate::view::{Layout, Nav};
use crate::{AppError, AppState};

/// One member's settings.
pub struct Settings {
    pub username: String,
    pub email: String,
    pub verified: bool,
    pub csrf: String,
    pub tokens: Vec<TokenRow>,
    /// A token just made: its name and its secret, shown once.
    pub new_token: Option<(String, String)>,
    /// The digests of the member (or sent to their address).
    pub digests: Vec<DigestRow>,
}

/// One digest subscription as the settings page lists it.
pub struct DigestRow {
    /// "Daily trending papers", "Weekly: token compression".
    pub what: String,
    /// "active", "waiting for the confirmation link", "ended".
    pub state: &'static str,
    /// The unsubscribe link's token, for an active one.
    pub unsubscribe: Option<String>,
}

pub struct TokenRow {
    pub id: u64,
    pub name: String,
    pub created: String,
}

pub enum AccountForm {
    Login,
    Signup,
    Forgot,
    Reset(String),
    Verify(String),
    Settings(Settings),
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    layout: Layout<'a>,
    heading: &'static str,
    notice: Option<&'static str>,
    return_to: String,
    form: AccountForm,
}

#[derive(Debug, Default, Deserialize)]
pub struct AccountParams {
    return_to: Option<String>,
    token: Option<String>,
    reset: Option<String>,
    verify: Option<String>,
    verified: Option<String>,
}

fn page(
    state: &AppState,
    viewer: &Viewer,
    heading: &'static str,
    notice: Option<&'static str>,
    params: &AccountParams,
    form: AccountForm,
) -> Result<Response, AppError> {
    let return_to = params
        .return_to
        .clone()
        .filter(|r| is_local_path(r))
        .unwrap_or_else(|| "/".into());
    let body = AccountPage {
        layout: Layout::new(state, heading, Nav::latest()).for_viewer(viewer),
        heading,
        notice,
        return_to,
        form,
    }
    .render()?;
    Ok(html_cached(body, "no-store"))
}

/// `GET /login`.
pub async fn login(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AccountParams>,
) -> Result<Response, AppError> {
    if viewer.member.is_some() {
        return Ok(Redirect::to("/settings").into_response());
    }
    let notice = params
        .reset
        .is_some()
        .then_some("If an account has that address, a link to reset its password is on its way.");
    page(
        &state,
        &viewer,
        "Log in",
        notice,
        &params,
        AccountForm::Login,
    )
}

/// `GET /signup`.
pub async fn signup(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AccountParams>,
) -> Result<Response, AppError> {
    page(
        &state,
        &viewer,
        "Sign up",
        None,
        &params,
        AccountForm::Signup,
    )
}

/// `GET /forgot`.
pub async fn forgot(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AccountParams>,
) -> Result<Response, AppError> {
    page(
        &state,
        &viewer,
        "Reset your password",
        None,
        &params,
        AccountForm::Forgot,
    )
}

/// `GET /reset?token=`.
pub async fn reset(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AccountParams>,
) -> Result<Response, AppError> {
    let token = params.token.clone().unwrap_or_default();
    page(
        &state,
        &viewer,
        "Choose a new password",
        None,
        &params,
        AccountForm::Reset(token),
    )
}

/// `GET /verify?token=`.
pub async fn verify(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AccountParams>,
) -> Result<Response, AppError> {
    let token = params.token.clone().unwrap_or_default();
    page(
        &state,
        &viewer,
        "Confirm your address",
        None,
        &params,
        AccountForm::Verify(token),
    )
}

async fn settings_page(
    state: &AppState,
    viewer: &Viewer,
    params: &AccountParams,
    new_token: Option<(String, String)>,
) -> Result<Response, AppError> {
    let Some(member) = &viewer.member else {
        return Ok(Redirect::to("/login?return_to=%2Fsettings").into_response());
    };
    let tokens = state.store.community().api_tokens(member.id).await?;
    let subscriptions = state
        .store
        .subscriptions_of(member.id, &member.email)
        .await?;
    let notice = if params.verify.is_some() {
        Some("A confirmation link is on its way to your address.")
    } else if params.verified.is_some() {
        Some("Your address is confirmed.")
    } else {
        None
    };
    let settings = Settings {
        username: member.username.to_string(),
        email: member.email.clone(),
        verified: member.email_verified,
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        tokens: tokens
            .iter()
            .map(|t| TokenRow {
                id: t.id,
                name: t.name.clone(),
                created: t.created_at.format("%-d %b %Y").to_string(),
            })
            .collect(),
        new_token,
        digests: subscriptions
            .into_iter()
            .map(|s| {
                let frequency = if s.frequency == "weekly" {
                    "Weekly"
                } else {
                    "Daily"
                };
                let active = s.confirmed_at.is_some() && s.unsubscribed_at.is_none();
                DigestRow {
                    what: if s.query.is_empty() {
                        format!("{frequency} trending papers")
                    } else {
                        format!("{frequency} new papers for “{}”", s.query)
                    },
                    state: match (s.confirmed_at, s.unsubscribed_at) {
                        (_, Some(_)) => "ended",
                        (None, None) => "waiting for the confirmation link",
                        (Some(_), None) => "active",
                    },
                    unsubscribe: active.then_some(s.unsubscribe_token),
                }
            })
            .collect(),
    };
    page(
        state,
        viewer,
        "Settings",
        notice,
        params,
        AccountForm::Settings(settings),
    )
}

/// `GET /settings`.
pub async fn settings(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(params): Query<AccountParams>,
) -> Result<Response, AppError> {
    settings_page(&state, &viewer, &params, None).await
}

/// The settings page right after a token was made from its form: the
/// secret is shown this once.
pub async fn token_created(
    state: &AppState,
    viewer: &Viewer,
    name: &str,
    token: &str,
) -> Result<Response, AppError> {
    let new = (name.to_string(), token.to_string());
    settings_page(state, viewer, &AccountParams::default(), Some(new)).await
}

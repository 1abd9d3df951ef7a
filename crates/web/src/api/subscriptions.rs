//! Subscribing to the digests by mail, with double opt-in, and leaving them
//! with one click:
//!
//! - `POST /api/subscriptions` `{email, frequency: daily|weekly, query?}`
//!   (JSON, or the banner's form): mails a confirmation link and answers
//!   202 the same whether the address was new, waiting or already
//!   subscribed (nothing tells a stranger which). Limited per client
//!   address and per subscribed address, so the form cannot be used to
//!   flood someone's inbox.
//! - `POST /api/subscriptions/confirm` `{token}`: confirms, once, before
//!   the link expires (48 hours); `GET /subscriptions/confirm?token=` is
//!   the page whose button posts it (nothing changes on GET).
//! - `POST /unsubscribe?token=` (RFC 8058 one-click: what a mail client
//!   posts to the `List-Unsubscribe` link, no login) ends the subscription
//!   at once; `GET /unsubscribe?token=` is the page with the button.

use std::time::Duration;

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use dailypapers_domain::Email;
use dailypapers_store::community::token_hash;
use dailypapers_store::subscriptions::{NewSubscription, Subscribed};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::json;
use crate::auth::{self, Input, Limit, new_token};
use crate::mail::{Mail, queue};
use crate::{AppError, AppState};

/// How long a confirmation link works.
pub const CONFIRM_FOR: Duration = Duration::from_secs(48 * 3_600);

/// Subscription requests per subscribed address and day: a stranger can
/// make an address receive at most this many confirmation mails.
pub const PER_ADDRESS: Limit = Limit {
    hits: 3,
    per: Duration::from_secs(86_400),
};

/// The longest saved search.
pub const QUERY_CHARS: usize = 250;

#[derive(Deserialize, ToSchema)]
pub struct SubscribeBody {
    #[schema(max_length = 254)]
    pub email: String,
    /// `daily` (weekdays) or `weekly`.
    #[schema(example = "daily")]
    pub frequency: String,
    /// A saved search: the digest lists new papers matching it (the
    /// trending papers without one).
    #[schema(max_length = 250)]
    pub query: Option<String>,
}

/// The answer to `POST /api/subscriptions`.
#[derive(Serialize, ToSchema)]
pub struct SubscriptionPending {
    pub status: &'static str,
}

/// `POST /api/subscriptions`.
#[utoipa::path(post, path = "/api/subscriptions", tag = "subscriptions",
    request_body(content = SubscribeBody, content_type = "application/json"),
    responses((status = 202, body = SubscriptionPending), (status = 400), (status = 429)))]
pub async fn subscribe(
    State(state): State<AppState>,
    input: Input<SubscribeBody>,
) -> Result<Response, AppError> {
    let b = &input.body.value;
    let email = Email::parse(&b.email)?;
    let frequency = match b.frequency.trim() {
        f @ ("daily" | "weekly") => f.to_string(),
        other => {
            return Err(AppError::bad_request(format!(
                "frequency: expected daily or weekly, not {:?}",
                other.chars().take(20).collect::<String>()
            )));
        }
    };
    let query = b.query.as_deref().unwrap_or("").trim().to_string();
    if query.chars().count() > QUERY_CHARS {
        return Err(AppError::bad_request(format!(
            "query: at most {QUERY_CHARS} characters"
        )));
    }
    if query.chars().any(char::is_control) {
        return Err(AppError::bad_request("query: one line of text"));
    }
    let limits = &state.config.accounts.policy.limits;
    auth::limit(&state, "subscribe", &input.client, limits.mail).await?;
    auth::limit(
        &state,
        "subscribe-address",
        &dailypapers_store::outbox::address_key(email.as_str()),
        PER_ADDRESS,
    )
    .await?;
    let token = new_token();
    let now = Utc::now();
    let done = state
        .store
        .subscribe(&NewSubscription {
            email: email.as_str().to_string(),
            frequency: frequency.clone(),
            query: query.clone(),
            member_id: input.viewer.member.as_ref().map(|m| m.id),
            confirm_hash: token_hash(&token),
            confirm_until: now + chrono::TimeDelta::from_std(CONFIRM_FOR).unwrap_or_default(),
            unsubscribe_token: new_token(),
            now,
        })
        .await?;
    if done != Subscribed::AlreadyActive {
        let what = describe(&frequency, &query);
        let link = format!(
            "{}/subscriptions/confirm?token={token}",
            state.config.accounts.link_base
        );
        queue(
            &state,
            Mail {
                batch: format!("subscription:confirm:{}", token_hash(&token)),
                to: email,
                subject: format!("Confirm your {} subscription", state.config.site_name),
                body: format!(
                    "Someone asked to send {what} from {site} to this address.\n\nTo confirm, open this link within 48 hours:\n\n{link}\n\nIf it was not you, ignore this message: nothing will be sent.\n",
                    site = state.config.site_name,
                ),
            },
        )
        .await;
    }
    if input.body.form {
        return Ok(Redirect::to("/subscriptions/confirm?sent=1").into_response());
    }
    let mut res = json(&SubscriptionPending {
        status: "a confirmation link is on its way",
    })?;
    *res.status_mut() = StatusCode::ACCEPTED;
    Ok(res)
}

/// What a subscription sends, in words.
pub fn describe(frequency: &str, query: &str) -> String {
    let when = if frequency == "weekly" {
        "a weekly digest"
    } else {
        "a daily digest (weekdays)"
    };
    if query.is_empty() {
        format!("{when} of the trending papers")
    } else {
        format!("{when} of new papers matching “{query}”")
    }
}

#[derive(Deserialize, ToSchema)]
pub struct ConfirmBody {
    pub token: String,
}

/// The answer to `POST /api/subscriptions/confirm`.
#[derive(Serialize, ToSchema)]
pub struct Confirmed {
    pub email: String,
    pub frequency: String,
    pub query: String,
}

/// `POST /api/subscriptions/confirm`.
#[utoipa::path(post, path = "/api/subscriptions/confirm", tag = "subscriptions",
    request_body(content = ConfirmBody, content_type = "application/json"),
    responses((status = 200, body = Confirmed), (status = 400)))]
pub async fn confirm(
    State(state): State<AppState>,
    input: Input<ConfirmBody>,
) -> Result<Response, AppError> {
    let s = state
        .store
        .confirm_subscription(&token_hash(input.body.value.token.trim()), Utc::now())
        .await?
        .ok_or_else(|| {
            AppError::bad_request("token: this link is unknown, used or expired: subscribe again")
        })?;
    if input.body.form {
        return Ok(Redirect::to("/subscriptions/confirm?done=1").into_response());
    }
    json(&Confirmed {
        email: s.email,
        frequency: s.frequency,
        query: s.query,
    })
}

#[derive(Deserialize)]
pub struct TokenParam {
    pub token: Option<String>,
}

/// `POST /unsubscribe?token=`: one click, no login (RFC 8058); the token
/// may also come as a form field.
pub async fn unsubscribe(
    State(state): State<AppState>,
    Query(q): Query<TokenParam>,
    body: String,
) -> Result<Response, AppError> {
    let from_form = serde_urlencoded::from_str::<TokenParam>(&body)
        .ok()
        .and_then(|f| f.token);
    let token = q
        .token
        .or(from_form)
        .filter(|t| !t.trim().is_empty())
        .ok_or_else(|| AppError::bad_request("token: the unsubscribe link's token is missing"))?;
    // Unknown and already ended tokens answer the same: nothing more is sent.
    let ended = state.store.unsubscribe(token.trim(), Utc::now()).await?;
    if let Some(s) = &ended {
        tracing::info!(subscription = s.id, "unsubscribed");
    }
    Ok(Redirect::to("/unsubscribe?done=1").into_response())
}

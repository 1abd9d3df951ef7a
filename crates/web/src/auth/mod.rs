//! Who is asking, and whether they may change anything.
//!
//! - **Sessions.** Logging in (or signing up) makes a session: a token of
//!   256 random bits in a cookie (`HttpOnly`, `SameSite=Lax`, and over HTTPS
//!   `Secure` with the `__Host-` prefix), stored only as its SHA-256. A
//!   session ends at logout, at a password change, when the member is
//!   banned, after [`AccountPolicy::idle`] unseen and after
//!   [`AccountPolicy::lifetime`] in any case; logging in always makes a new
//!   one, so a token planted before login is worthless after it.
//! - **API tokens** (`Authorization: Bearer …`) for programs, made on the
//!   settings page or by `POST /api/auth/tokens`, shown once, stored hashed;
//!   revoked by their owner, and all at once by a password change or reset
//!   or a ban.
//! - **CSRF.** A state-changing request that a session cookie authenticates
//!   must carry the session's CSRF token, in `X-CSRF-Token` or in the form
//!   field `csrf_token`, else it is refused with 403 before its body is
//!   decoded or anything is written; a browser's cross-site request (`Sec-Fetch-Site: cross-site`) is
//!   refused on every state-changing route. Bearer requests carry no cookie
//!   and need no token. Nothing changes state on GET.
//!
//! Ended sessions and mailed links are removed from the store every
//! [`PRUNE_EVERY`] by [`start_pruning`], so the tables hold what can still
//! sign somebody in, not every login ever made.
//!
//! Handlers take [`Viewer`] (maybe a member) to read, and [`Act`] (a member,
//! the parsed body, the CSRF check done) or [`Input`] (the parsed body, for
//! signing up and logging in) to write: the check cannot be forgotten,
//! because the body cannot be had without it.

pub mod passwords;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, header};
use base64::Engine;
use chrono::Utc;
use dailypapers_store::community::{Member, Session, token_hash};
use rand::RngCore;
use serde::de::DeserializeOwned;

use crate::{AppError, AppState};
pub use passwords::Passwords;

/// How often ended sessions and links are removed (see [`start_pruning`]).
pub const PRUNE_EVERY: Duration = Duration::from_secs(600);

/// Removes ended sessions and mailed links from the store (those `idle`
/// unseen included) at once and every [`PRUNE_EVERY`], until `stop` turns
/// true. Every server may run it: deleting what has ended twice is harmless.
pub fn start_pruning(
    store: Arc<dyn dailypapers_store::Store>,
    idle: Duration,
    mut stop: tokio::sync::watch::Receiver<bool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            match store.community().prune_sessions(idle, Utc::now()).await {
                Ok(0) => {}
                Ok(n) => tracing::debug!(rows = n, "ended sessions and links removed"),
                Err(e) => tracing::warn!(error = %e, "cannot remove ended sessions"),
            }
            tokio::select! {
                _ = tokio::time::sleep(PRUNE_EVERY) => {}
                _ = stop.wait_for(|s| *s) => break,
            }
        }
    })
}

/// The largest form or JSON body a community route reads.
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// How sessions and logins behave.
#[derive(Clone, Debug)]
pub struct AccountPolicy {
    /// A session ends this long after login, however active.
    pub lifetime: Duration,
    /// A session ends when unseen for this long.
    pub idle: Duration,
    /// Failed logins in a row after which an account is throttled.
    pub throttle_after: u32,
    /// How long a throttled account refuses logins.
    pub throttle_for: Duration,
    /// How long a password-reset link works.
    pub reset_link_for: Duration,
    /// How long an email-verification link works.
    pub verify_link_for: Duration,
    /// How often each action may be done (see [`RateLimits`]).
    pub limits: RateLimits,
}

/// At most `hits` in each window of `per`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limit {
    pub hits: u32,
    pub per: Duration,
}

/// Per-action rate limits, counted in the store (so shared by every server
/// on PostgreSQL) under a key naming the action and the client address or
/// the member. Votes and searches are counted in memory and shared in
/// batches ([`crate::throttle`]). A limit of 0 hits is off.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RateLimits {
    /// Sign-ups per client address.
    pub signup: Limit,
    /// Login attempts per client address (each account is also throttled
    /// after [`AccountPolicy::throttle_after`] failures).
    pub login: Limit,
    /// Comments per member.
    pub comment: Limit,
    /// Reset and verification mails per client address.
    pub mail: Limit,
    /// API tokens made per member.
    pub tokens: Limit,
    /// Papers submitted by arXiv id per member per day (UTC): the daily
    /// quota (0 hits: none).
    pub submit: Limit,
    /// Upvotes cast or withdrawn per member.
    pub vote: Limit,
    /// Searches (and similar-paper lookups) per client address.
    pub search: Limit,
}

impl Default for RateLimits {
    fn default() -> Self {
        let minute = Duration::from_secs(60);
        let hour = Duration::from_secs(3_600);
        RateLimits {
            signup: Limit {
                hits: 10,
                per: hour,
            },
            login: Limit {
                hits: 30,
                per: minute,
            },
            comment: Limit {
                hits: 10,
                per: minute,
            },
            mail: Limit { hits: 5, per: hour },
            tokens: Limit {
                hits: 20,
                per: hour,
            },
            submit: Limit {
                hits: 5,
                per: Duration::from_secs(86_400),
            },
            vote: Limit {
                hits: 60,
                per: minute,
            },
            search: Limit {
                hits: 300,
                per: minute,
            },
        }
    }
}

/// Counts one `action` by `who` against `limit`: 429 with `Retry-After`
/// once the window's hits are spent (never, for a limit of 0).
pub async fn limit(
    state: &AppState,
    action: &str,
    who: &str,
    limit: Limit,
) -> Result<(), AppError> {
    if limit.hits == 0 {
        return Ok(());
    }
    // A client address counts by its network as the search limit does (an
    // IPv6 host holds a whole /64, so one address each would not limit it).
    let who = match who.parse::<std::net::IpAddr>() {
        Ok(ip) => crate::throttle::client_key(ip),
        Err(_) => who.to_string(),
    };
    let key = format!("{action}:{who}");
    match state
        .store
        .community()
        .rate_limit(&key, limit.hits, limit.per, Utc::now())
        .await?
    {
        None => Ok(()),
        Some(wait) => {
            let secs = wait.as_secs().max(1);
            tracing::warn!(action, who = %who, "rate limit reached");
            Err(AppError::TooMany {
                message: format!("too many requests of this kind: try again in {secs} s"),
                retry_after: secs,
            })
        }
    }
}

impl Default for AccountPolicy {
    fn default() -> Self {
        AccountPolicy {
            lifetime: Duration::from_secs(30 * 86_400),
            idle: Duration::from_secs(7 * 86_400),
            throttle_after: 5,
            throttle_for: Duration::from_secs(60),
            reset_link_for: Duration::from_secs(3_600),
            verify_link_for: Duration::from_secs(3 * 86_400),
            limits: RateLimits::default(),
        }
    }
}

/// Accounts: the policy, the hashing pool and where mail goes.
#[derive(Clone, Debug)]
pub struct Accounts {
    pub policy: AccountPolicy,
    pub passwords: Passwords,
    /// The sender of account mail (`Daily Papers <papers@example.org>`).
    pub mail_from: String,
    /// What links in account mail start with: the public URL, else the
    /// address the server listens on. Never a request's `Host`, which
    /// whoever asks for a reset link chooses.
    pub link_base: String,
}

impl Default for Accounts {
    fn default() -> Self {
        Accounts {
            policy: AccountPolicy::default(),
            passwords: Passwords::new(default_hash_concurrency()),
            mail_from: "Daily Papers <noreply@localhost>".to_string(),
            link_base: "http://localhost:8080".to_string(),
        }
    }
}

/// One hash at a time per core but one, so the pages keep a core.
pub fn default_hash_concurrency() -> usize {
    std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .max(1)
}

/// A new secret token: 256 random bits from the OS, base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rngs::OsRng.fill_bytes(&mut bytes);
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether the site is served over HTTPS (cookies are then `Secure`, with
/// the `__Host-` prefix).
fn https(state: &AppState) -> bool {
    state
        .config
        .public_url
        .as_ref()
        .is_some_and(|u| u.is_https())
}

/// The session cookie's name.
pub fn cookie_name(state: &AppState) -> &'static str {
    if https(state) {
        "__Host-dp_session"
    } else {
        "dp_session"
    }
}

/// The `Set-Cookie` value that stores `token` (or, with `None`, clears it).
pub fn session_cookie(state: &AppState, token: Option<&str>) -> HeaderValue {
    let secure = if https(state) { "; Secure" } else { "" };
    let value = match token {
        Some(t) => format!(
            "{}={t}; Path=/; HttpOnly; SameSite=Lax; Max-Age={}{secure}",
            cookie_name(state),
            state.config.accounts.policy.lifetime.as_secs()
        ),
        None => format!(
            "{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}",
            cookie_name(state)
        ),
    };
    HeaderValue::from_str(&value).expect("a cookie of base64url characters")
}

/// The session token in the request's cookies, if any.
pub fn session_token<'a>(state: &AppState, headers: &'a HeaderMap) -> Option<&'a str> {
    let name = cookie_name(state);
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim())
        .filter(|v| !v.is_empty())
}

/// Whether a request may come from a member (a session cookie or a
/// Bearer token): the shared response cache passes such requests by.
pub fn has_credentials(headers: &HeaderMap) -> bool {
    headers.contains_key(header::AUTHORIZATION)
        || headers
            .get_all(header::COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .any(|v| v.contains("dp_session="))
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|t| !t.is_empty())
}

/// How the member was recognised.
#[derive(Clone, Debug)]
pub enum Credential {
    /// A session cookie; state changes need its CSRF token.
    Session { token_hash: String, csrf: String },
    /// A personal API token (`Authorization: Bearer`).
    ApiToken,
}

/// Whoever is asking: a member, or nobody.
#[derive(Clone, Debug, Default)]
pub struct Viewer {
    pub member: Option<Member>,
    pub credential: Option<Credential>,
}

impl Viewer {
    /// The CSRF token pages put in their forms (none without a session).
    pub fn csrf(&self) -> Option<&str> {
        match &self.credential {
            Some(Credential::Session { csrf, .. }) => Some(csrf),
            _ => None,
        }
    }

    /// The member, or 401.
    pub fn require(&self) -> Result<&Member, AppError> {
        self.member
            .as_ref()
            .ok_or_else(|| AppError::unauthorized("Log in first: this needs a member account."))
    }
}

/// Marks a session seen when its mark is older than this: one write per
/// member per few minutes, not one per request.
const TOUCH_EVERY: chrono::TimeDelta = chrono::TimeDelta::minutes(5);

/// Resolves the viewer of a request: a Bearer token if one is sent (a
/// wrong one is a 401, never a silent anonymous request), else the session
/// cookie (a stale cookie is simply nobody).
pub async fn viewer(state: &AppState, headers: &HeaderMap) -> Result<Viewer, AppError> {
    let community = state.store.community();
    if let Some(token) = bearer(headers) {
        let member = community
            .member_by_api_token(&token_hash(token))
            .await?
            .ok_or_else(|| {
                AppError::unauthorized("The API token is not valid (revoked or mistyped).")
            })?;
        return Ok(Viewer {
            member: Some(member),
            credential: Some(Credential::ApiToken),
        });
    }
    let Some(token) = session_token(state, headers) else {
        return Ok(Viewer::default());
    };
    let hash = token_hash(token);
    let now = Utc::now();
    let Some(Session {
        member,
        csrf_token,
        seen_at,
        ..
    }) = community
        .session(&hash, state.config.accounts.policy.idle, now)
        .await?
    else {
        return Ok(Viewer::default());
    };
    if now - seen_at > TOUCH_EVERY {
        let store = state.store.clone();
        let hash = hash.clone();
        tokio::spawn(async move {
            if let Err(e) = store.community().touch_session(&hash, now).await {
                tracing::warn!(error = %e, "could not mark a session seen");
            }
        });
    }
    Ok(Viewer {
        member: Some(member),
        credential: Some(Credential::Session {
            token_hash: hash,
            csrf: csrf_token,
        }),
    })
}

impl FromRequestParts<AppState> for Viewer {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        if let Some(v) = parts.extensions.get::<Viewer>() {
            return Ok(v.clone());
        }
        let v = viewer(state, &parts.headers).await?;
        parts.extensions.insert(v.clone());
        Ok(v)
    }
}

/// Compares two secrets in time independent of where they differ.
fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// A request body read as a form or as JSON.
#[derive(Debug)]
pub struct Body<T> {
    pub value: T,
    /// It came from an HTML form: answer with a redirect, not JSON.
    pub form: bool,
    /// The form's `return_to` field: where to send the browser after.
    pub return_to: Option<String>,
}

/// A body read but not yet decoded: the CSRF check comes first, so a
/// request without the token is refused whatever its body holds.
struct RawBody {
    bytes: axum::body::Bytes,
    form: bool,
    csrf_field: Option<String>,
    return_to: Option<String>,
}

async fn read_raw(req: Request) -> Result<RawBody, AppError> {
    let content_type = req
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase();
    let bytes = axum::body::to_bytes(req.into_body(), MAX_BODY_BYTES)
        .await
        .map_err(|_| {
            AppError::bad_request(format!("the request body is over {MAX_BODY_BYTES} bytes"))
        })?;
    if content_type.starts_with("application/x-www-form-urlencoded") {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_bytes(&bytes)
            .map_err(|e| AppError::bad_request(format!("malformed form: {e}")))?;
        let field = |name: &str| {
            pairs
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
        };
        return Ok(RawBody {
            form: true,
            csrf_field: field("csrf_token"),
            return_to: field("return_to").filter(|r| is_local_path(r)),
            bytes,
        });
    }
    let blank = bytes.iter().all(u8::is_ascii_whitespace);
    if !(blank || content_type.starts_with("application/json") || content_type.is_empty()) {
        return Err(AppError::bad_request(format!(
            "unsupported Content-Type {content_type:?}: send application/json or a form"
        )));
    }
    Ok(RawBody {
        bytes,
        form: false,
        csrf_field: None,
        return_to: None,
    })
}

impl RawBody {
    fn decode<T: DeserializeOwned>(self) -> Result<Body<T>, AppError> {
        let value = if self.form {
            serde_urlencoded::from_bytes(&self.bytes)
                .map_err(|e| AppError::bad_request(format!("malformed form: {e}")))?
        } else {
            let text: &[u8] = if self.bytes.iter().all(u8::is_ascii_whitespace) {
                b"{}"
            } else {
                &self.bytes
            };
            serde_json::from_slice(text)
                .map_err(|e| AppError::bad_request(format!("malformed JSON body: {e}")))?
        };
        Ok(Body {
            value,
            form: self.form,
            return_to: self.return_to,
        })
    }
}

/// A path on this site (`/…`, not `//host` or a URL): the only places a
/// form's `return_to` may send a browser.
pub fn is_local_path(p: &str) -> bool {
    p.starts_with('/')
        && !p.starts_with("//")
        && !p.contains('\\')
        && !p.chars().any(char::is_control)
}

/// Refuses a browser's cross-site state change: one that says so
/// (`Sec-Fetch-Site: cross-site`), or, for browsers that do not send that
/// header, one whose `Origin` names another host than this site's (see
/// [`crate::forwarded::origin`]). The second covers what the CSRF token
/// cannot: a form that logs a visitor into someone else's account, or out
/// of theirs, carries no session to check a token against.
fn refuse_cross_site(state: &AppState, req: &Request) -> Result<(), AppError> {
    let headers = req.headers();
    let cross = headers
        .get("sec-fetch-site")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.eq_ignore_ascii_case("cross-site"));
    let foreign = headers
        .get(header::ORIGIN)
        .and_then(|v| v.to_str().ok())
        .filter(|o| *o != "null")
        .is_some_and(|o| {
            let ours = crate::forwarded::origin(
                &state.config,
                headers,
                crate::forwarded::peer(req.extensions()),
            );
            host_of(o) != host_of(&ours)
        });
    if cross || foreign {
        return Err(AppError::forbidden(
            "cross-site requests cannot change anything here",
        ));
    }
    Ok(())
}

/// The `host[:port]` of an origin or URL, lower-cased.
fn host_of(url: &str) -> String {
    let rest = url.split_once("://").map_or(url, |(_, rest)| rest);
    rest.split('/').next().unwrap_or("").to_ascii_lowercase()
}

fn refuse_get(method: &Method) -> Result<(), AppError> {
    if method == Method::GET || method == Method::HEAD {
        return Err(AppError::bad_request(
            "this address changes state: use POST",
        ));
    }
    Ok(())
}

/// Checks the CSRF token of a cookie-authenticated request.
fn check_csrf(viewer: &Viewer, headers: &HeaderMap, field: Option<&str>) -> Result<(), AppError> {
    let Some(Credential::Session { csrf, .. }) = &viewer.credential else {
        return Ok(());
    };
    let sent = headers
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .or(field);
    match sent {
        Some(t) if same_secret(t, csrf) => Ok(()),
        Some(_) => Err(AppError::forbidden(
            "the CSRF token is wrong: reload the page and try again",
        )),
        None => Err(AppError::forbidden(
            "the CSRF token is missing: send it in X-CSRF-Token (see GET /api/auth/me)",
        )),
    }
}

fn client_of(state: &AppState, req: &Request) -> String {
    crate::forwarded::client_ip(
        &state.config,
        req.headers(),
        crate::forwarded::peer(req.extensions()),
    )
    .map_or_else(|| "unknown".to_string(), |ip| ip.to_string())
}

/// A state change by a member: the viewer (required), the body, the CSRF
/// check done.
#[derive(Debug)]
pub struct Act<T> {
    pub member: Member,
    pub viewer: Viewer,
    pub body: Body<T>,
    /// The client's address (see [`crate::forwarded::client_ip`]).
    pub client: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Act<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        refuse_get(req.method())?;
        refuse_cross_site(state, &req)?;
        let viewer = viewer(state, req.headers()).await?;
        let member = viewer.require()?.clone();
        let client = client_of(state, &req);
        let headers = req.headers().clone();
        let raw = read_raw(req).await?;
        check_csrf(&viewer, &headers, raw.csrf_field.as_deref())?;
        let body = raw.decode()?;
        Ok(Act {
            member,
            viewer,
            body,
            client,
        })
    }
}

/// A state change that needs no member (signing up, logging in, asking
/// for a reset link): the body, and the CSRF check done if a session
/// cookie came with it.
#[derive(Debug)]
pub struct Input<T> {
    pub viewer: Viewer,
    pub body: Body<T>,
    /// The client's address (see [`crate::forwarded::client_ip`]).
    pub client: String,
}

impl<T: DeserializeOwned + Send> FromRequest<AppState> for Input<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        refuse_get(req.method())?;
        refuse_cross_site(state, &req)?;
        let viewer = viewer(state, req.headers()).await?;
        let client = client_of(state, &req);
        let headers = req.headers().clone();
        let raw = read_raw(req).await?;
        check_csrf(&viewer, &headers, raw.csrf_field.as_deref())?;
        let body = raw.decode()?;
        Ok(Input {
            viewer,
            body,
            client,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_are_long_and_distinct() {
        let a = new_token();
        assert_eq!(a.len(), 43, "256 bits in base64url");
        assert_ne!(a, new_token());
    }

    #[test]
    fn return_to_stays_on_the_site() {
        assert!(is_local_path("/papers/2501.00001"));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil",
            "evil",
            "/a\r\nb",
        ] {
            assert!(!is_local_path(bad), "{bad}");
        }
    }

    #[test]
    fn secrets_compare_whole() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }
}

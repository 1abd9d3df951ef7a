//! Accounts over the API (and the HTML forms, which post to the same
//! routes and are answered with a redirect): signing up, logging in and
//! out, who am I, personal API tokens, changing and resetting a password,
//! verifying an email address. See [`crate::auth`] for sessions and CSRF.

use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use dailypapers_domain::member::{check_password, display_name};
use dailypapers_domain::{Email, Role, Username};
use dailypapers_store::community::{LinkPurpose, Member, NewMember, NewSession, token_hash};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{json, no_store};
use crate::auth::{self, Act, Body, Credential, Input, Viewer, new_token, session_cookie};
use crate::mail::{Mail, queue};
use crate::{AppError, AppState};

/// A member as the API shows them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct MemberJson {
    pub id: u64,
    pub username: String,
    pub display_name: Option<String>,
    pub role: String,
    pub email_verified: bool,
}

impl MemberJson {
    pub fn of(m: &Member) -> Self {
        MemberJson {
            id: m.id,
            username: m.username.to_string(),
            display_name: m.display_name.clone(),
            role: m.role.as_str().to_string(),
            email_verified: m.email_verified,
        }
    }
}

/// The signed-in member, and the token their state-changing requests carry.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Me {
    pub member: MemberJson,
    /// Send as `X-CSRF-Token` with every state-changing request that a
    /// session cookie authenticates (absent for API tokens, which need none).
    pub csrf_token: Option<String>,
    pub email: String,
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SignupBody {
    /// 2 to 32 letters a-z, digits, `-` and `_`, starting with a letter or a digit.
    #[schema(
        min_length = 2,
        max_length = 32,
        pattern = "^[A-Za-z0-9][A-Za-z0-9_-]*$"
    )]
    pub username: String,
    #[schema(format = Email, max_length = 254)]
    pub email: String,
    /// At least 8 characters, not one of the common passwords.
    #[schema(min_length = 8, max_length = 128)]
    pub password: String,
    /// Shown beside the username; at most 100 characters, no control characters.
    #[serde(default, alias = "display_name")]
    #[schema(max_length = 100, pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*$")]
    pub display_name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct LoginBody {
    /// A username or an email address.
    #[serde(alias = "username")]
    pub login: String,
    pub password: String,
}

#[derive(Deserialize, ToSchema, Default)]
pub struct Empty {}

/// The answer to a form post: back where the form said, else to `default`;
/// JSON for everything else.
fn answer<T, J: Serialize>(body: &Body<T>, default: &str, value: &J) -> Result<Response, AppError> {
    if body.form {
        let to = body.return_to.as_deref().unwrap_or(default);
        return Ok(Redirect::to(to).into_response());
    }
    json(value)
}

/// Starts a session for `member`, ending the one the request came with.
async fn start_session(
    state: &AppState,
    viewer: &Viewer,
    member: &Member,
) -> Result<(String, HeaderValue), AppError> {
    let community = state.store.community();
    if let Some(Credential::Session { token_hash, .. }) = &viewer.credential {
        community.end_session(token_hash).await?;
    }
    let token = new_token();
    let csrf = new_token();
    let now = Utc::now();
    let lifetime = chrono::TimeDelta::from_std(state.config.accounts.policy.lifetime)
        .unwrap_or(chrono::TimeDelta::days(30));
    community
        .create_session(&NewSession {
            token_hash: token_hash(&token),
            member_id: member.id,
            csrf_token: csrf.clone(),
            now,
            expires_at: now + lifetime,
        })
        .await?;
    Ok((csrf, session_cookie(state, Some(&token))))
}

fn with_cookie(mut res: Response, cookie: HeaderValue) -> Response {
    res.headers_mut().append(header::SET_COOKIE, cookie);
    no_store(res)
}

fn hash_failed(e: auth::passwords::HashError) -> AppError {
    tracing::error!(error = %e, "password hashing failed");
    AppError::Internal
}

/// `POST /api/auth/signup`: creates a member and logs them in at once.
#[utoipa::path(post, path = "/api/auth/signup", tag = "accounts",
    request_body(content = SignupBody, content_type = "application/json"),
    responses((status = 200, body = Me), (status = 400), (status = 403), (status = 409), (status = 429)))]
pub async fn signup(
    State(state): State<AppState>,
    input: Input<SignupBody>,
) -> Result<Response, AppError> {
    let b = &input.body.value;
    let username = Username::parse(&b.username)?;
    let email = Email::parse(&b.email)?;
    check_password("password", &b.password)?;
    let display_name = display_name(b.display_name.as_deref().unwrap_or(""))?;
    auth::limit(
        &state,
        "signup",
        &input.client,
        state.config.accounts.policy.limits.signup,
    )
    .await?;
    let password_hash = state
        .config
        .accounts
        .passwords
        .hash(&b.password)
        .await
        .map_err(hash_failed)?;
    let member = state
        .store
        .community()
        .create_member(&NewMember {
            username,
            email,
            display_name,
            password_hash,
            role: Role::Member,
            now: Utc::now(),
        })
        .await?;
    tracing::info!(member = %member.username, client = %input.client, "new member");
    let (csrf, cookie) = start_session(&state, &input.viewer, &member).await?;
    let me = Me {
        email: member.email.clone(),
        member: MemberJson::of(&member),
        csrf_token: Some(csrf),
    };
    Ok(with_cookie(answer(&input.body, "/", &me)?, cookie))
}

/// `POST /api/auth/login`.
#[utoipa::path(post, path = "/api/auth/login", tag = "accounts",
    request_body(content = LoginBody, content_type = "application/json"),
    responses((status = 200, body = Me), (status = 401), (status = 403), (status = 429)))]
pub async fn login(
    State(state): State<AppState>,
    input: Input<LoginBody>,
) -> Result<Response, AppError> {
    let b = &input.body.value;
    let policy = &state.config.accounts.policy;
    auth::limit(&state, "login", &input.client, policy.limits.login).await?;
    let community = state.store.community();
    let passwords = &state.config.accounts.passwords;
    let wrong = || AppError::unauthorized("Wrong username or password.");
    let Some(record) = community.login_record(&b.login).await? else {
        passwords
            .verify_nothing(&b.password)
            .await
            .map_err(hash_failed)?;
        tracing::warn!(login = %b.login.chars().take(64).collect::<String>(), client = %input.client, "failed login: no such member");
        return Err(wrong());
    };
    let now = Utc::now();
    if let Some(until) = record.throttled_until.filter(|u| *u > now) {
        let secs = (until - now).num_seconds().max(1) as u64;
        tracing::warn!(member = %record.member.username, client = %input.client, "login refused: the account is throttled");
        return Err(AppError::TooMany {
            message: format!("too many failed logins for this account: try again in {secs} s"),
            retry_after: secs,
        });
    }
    // The attempt is counted before its password is checked: guesses sent
    // at once are counted at once, and those past the threshold are refused
    // without being checked. A success clears the count.
    let attempts = community
        .record_login_failure(
            record.member.id,
            policy.throttle_after,
            policy.throttle_for,
            now,
        )
        .await?;
    if attempts > policy.throttle_after {
        let secs = policy.throttle_for.as_secs().max(1);
        tracing::warn!(member = %record.member.username, client = %input.client, "login refused: the account is throttled");
        return Err(AppError::TooMany {
            message: format!("too many failed logins for this account: try again in {secs} s"),
            retry_after: secs,
        });
    }
    if !passwords
        .verify(&b.password, &record.password_hash)
        .await
        .map_err(hash_failed)?
    {
        tracing::warn!(member = %record.member.username, client = %input.client, failures = attempts, "failed login: wrong password");
        return Err(wrong());
    }
    if record.member.banned {
        return Err(AppError::forbidden("This account is banned."));
    }
    community.clear_login_failures(record.member.id).await?;
    let (csrf, cookie) = start_session(&state, &input.viewer, &record.member).await?;
    let me = Me {
        email: record.member.email.clone(),
        member: MemberJson::of(&record.member),
        csrf_token: Some(csrf),
    };
    Ok(with_cookie(answer(&input.body, "/", &me)?, cookie))
}

/// The answer to `POST /api/auth/logout`.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct LoggedOut {
    pub logged_out: bool,
}

/// `POST /api/auth/logout`: ends this session.
#[utoipa::path(post, path = "/api/auth/logout", tag = "accounts",
    responses((status = 200, body = LoggedOut), (status = 401), (status = 403)))]
pub async fn logout(
    State(state): State<AppState>,
    input: Input<Empty>,
) -> Result<Response, AppError> {
    // A session that already ended still gets its cookie cleared.
    if let Some(Credential::Session { token_hash, .. }) = &input.viewer.credential {
        state.store.community().end_session(token_hash).await?;
    }
    let res = answer(&input.body, "/", &LoggedOut { logged_out: true })?;
    Ok(with_cookie(res, session_cookie(&state, None)))
}

/// `GET /api/auth/me`: the signed-in member and their CSRF token.
#[utoipa::path(get, path = "/api/auth/me", tag = "accounts",
    responses((status = 200, body = Me), (status = 401)))]
pub async fn me(viewer: Viewer) -> Result<Response, AppError> {
    let member = viewer.require()?;
    let res = json(&Me {
        email: member.email.clone(),
        member: MemberJson::of(member),
        csrf_token: viewer.csrf().map(str::to_string),
    })?;
    Ok(no_store(res))
}

/// `GET /api/whoami-v2` as huggingface_hub's `HfApi.whoami()` reads it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmI {
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub id: String,
    /// The username: what `whoami()["name"]` gives.
    pub name: String,
    pub fullname: String,
    pub email: String,
    pub email_verified: bool,
    pub is_pro: bool,
    pub orgs: Vec<String>,
    pub auth: WhoAmIAuth,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct WhoAmIAuth {
    #[serde(rename = "type")]
    pub kind: &'static str,
}

/// `GET /api/whoami-v2`: who the token (or the session) belongs to, in the
/// shape of Hugging Face's answer.
#[utoipa::path(get, path = "/api/whoami-v2", tag = "accounts",
    responses((status = 200, body = WhoAmI), (status = 401)))]
pub async fn whoami(viewer: Viewer) -> Result<Response, AppError> {
    let m = viewer
        .member
        .as_ref()
        .ok_or_else(|| AppError::unauthorized("Invalid credentials in Authorization header"))?;
    let kind = match viewer.credential {
        Some(Credential::ApiToken) => "access_token",
        _ => "session",
    };
    let res = json(&WhoAmI {
        kind: "user",
        id: m.id.to_string(),
        name: m.username.to_string(),
        fullname: m.shown_name().to_string(),
        email: m.email.clone(),
        email_verified: m.email_verified,
        is_pro: false,
        orgs: Vec::new(),
        auth: WhoAmIAuth { kind },
    })?;
    Ok(no_store(res))
}

#[derive(Deserialize, ToSchema)]
pub struct TokenBody {
    /// What the token is for ("laptop", "CI"): 1 to 100 characters, no control characters.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = "^[^\\x00-\\x1f\\x7f-\\x9f]*[^\\s\\x00-\\x1f\\x7f-\\x9f][^\\x00-\\x1f\\x7f-\\x9f]*$"
    )]
    pub name: String,
}

/// A new token: the secret is shown here once and never again.
#[derive(Serialize, ToSchema)]
pub struct NewToken {
    pub id: u64,
    pub name: String,
    pub token: String,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct TokenJson {
    pub id: u64,
    pub name: String,
    pub created_at: String,
}

/// The longest token name.
const TOKEN_NAME_CHARS: usize = 100;

/// `POST /api/auth/tokens`: a personal API token for `Authorization: Bearer`.
#[utoipa::path(post, path = "/api/auth/tokens", tag = "accounts",
    request_body(content = TokenBody, content_type = "application/json"),
    responses((status = 200, body = NewToken), (status = 400), (status = 401), (status = 403), (status = 429)))]
pub async fn create_token(
    State(state): State<AppState>,
    act: Act<TokenBody>,
) -> Result<Response, AppError> {
    let name = act.body.value.name.trim();
    if name.is_empty()
        || name.chars().count() > TOKEN_NAME_CHARS
        || name.chars().any(char::is_control)
    {
        return Err(AppError::bad_request(format!(
            "name: give the token a name of 1 to {TOKEN_NAME_CHARS} characters"
        )));
    }
    auth::limit(
        &state,
        "token",
        &act.member.id.to_string(),
        state.config.accounts.policy.limits.tokens,
    )
    .await?;
    let secret = format!("dp_{}", new_token());
    let token = state
        .store
        .community()
        .create_api_token(act.member.id, name, &token_hash(&secret), Utc::now())
        .await?;
    let body = NewToken {
        id: token.id,
        name: token.name,
        token: secret,
    };
    if act.body.form {
        // The settings page shows the secret once, from this answer.
        return crate::pages::account::token_created(&state, &act.viewer, &body.name, &body.token)
            .await;
    }
    let res = json(&body)?;
    Ok(no_store(res))
}

/// `GET /api/auth/tokens`: the member's tokens (never their secrets).
#[utoipa::path(get, path = "/api/auth/tokens", tag = "accounts",
    responses((status = 200, body = Vec<TokenJson>), (status = 401)))]
pub async fn list_tokens(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Response, AppError> {
    let member = viewer.require()?;
    let tokens = state.store.community().api_tokens(member.id).await?;
    let body: Vec<TokenJson> = tokens
        .iter()
        .map(|t| TokenJson {
            id: t.id,
            name: t.name.clone(),
            created_at: t.created_at.to_rfc3339(),
        })
        .collect();
    json(&body)
}

/// The answer to `DELETE /api/auth/tokens/{id}`.
#[derive(Serialize, ToSchema)]
pub struct Revoked {
    /// The id of the token that no longer works.
    pub revoked: u64,
}

/// `DELETE /api/auth/tokens/{id}` (or `POST …/{id}/revoke` from a form).
#[utoipa::path(delete, path = "/api/auth/tokens/{id}", tag = "accounts",
    params(("id" = u64, Path, description = "the token's id")),
    responses((status = 200, body = Revoked), (status = 401), (status = 403), (status = 404)))]
pub async fn revoke_token(
    State(state): State<AppState>,
    Path(id): Path<String>,
    act: Act<Empty>,
) -> Result<Response, AppError> {
    let id: u64 = id
        .trim_end_matches("/revoke")
        .parse()
        .map_err(|_| AppError::bad_request("id: expected a token number"))?;
    if !state
        .store
        .community()
        .revoke_api_token(act.member.id, id)
        .await?
    {
        return Err(AppError::not_found(format!("you have no token {id}")));
    }
    answer(&act.body, "/settings", &Revoked { revoked: id })
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PasswordBody {
    #[serde(alias = "current_password")]
    pub current_password: String,
    #[serde(alias = "new_password")]
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// `POST /api/auth/password`: a new password; every session ends, and this
/// client gets a new one.
#[utoipa::path(post, path = "/api/auth/password", tag = "accounts",
    request_body(content = PasswordBody, content_type = "application/json"),
    responses((status = 200, body = Me), (status = 400), (status = 401), (status = 403), (status = 429)))]
pub async fn change_password(
    State(state): State<AppState>,
    act: Act<PasswordBody>,
) -> Result<Response, AppError> {
    let b = &act.body.value;
    check_password("newPassword", &b.new_password)?;
    let policy = &state.config.accounts.policy;
    // Guessing the current password here is guessing it at login.
    auth::limit(&state, "login", &act.client, policy.limits.login).await?;
    let community = state.store.community();
    let passwords = &state.config.accounts.passwords;
    let record = community
        .login_record(act.member.username.as_str())
        .await?
        .ok_or(AppError::Internal)?;
    if !passwords
        .verify(&b.current_password, &record.password_hash)
        .await
        .map_err(hash_failed)?
    {
        return Err(AppError::forbidden(
            "currentPassword: that is not your password",
        ));
    }
    let hash = passwords.hash(&b.new_password).await.map_err(hash_failed)?;
    community.set_password(act.member.id, &hash).await?;
    let (csrf, cookie) = start_session(&state, &Viewer::default(), &act.member).await?;
    let me = Me {
        email: act.member.email.clone(),
        member: MemberJson::of(&act.member),
        csrf_token: Some(csrf),
    };
    Ok(with_cookie(answer(&act.body, "/settings", &me)?, cookie))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequestBody {
    #[schema(format = Email, max_length = 254)]
    pub email: String,
}

/// The answer to a request for a mailed link.
#[derive(Serialize, ToSchema)]
pub struct LinkSent {
    /// What happens next (the same whether or not an account has the address).
    pub sent: &'static str,
}

/// `POST /api/auth/reset`: mails a password-reset link if an account has
/// this address (the answer is the same either way).
#[utoipa::path(post, path = "/api/auth/reset", tag = "accounts",
    request_body(content = ResetRequestBody, content_type = "application/json"),
    responses((status = 202, body = LinkSent), (status = 400), (status = 429)))]
pub async fn request_reset(
    State(state): State<AppState>,
    input: Input<ResetRequestBody>,
) -> Result<Response, AppError> {
    let email = Email::parse(&input.body.value.email)?;
    let policy = &state.config.accounts.policy;
    auth::limit(&state, "mail", &input.client, policy.limits.mail).await?;
    let community = state.store.community();
    if let Some(record) = community.login_record(email.as_str()).await?
        && !record.member.banned
    {
        let token = new_token();
        let now = Utc::now();
        let until = now + chrono::TimeDelta::from_std(policy.reset_link_for).unwrap_or_default();
        community
            .create_member_token(
                &token_hash(&token),
                record.member.id,
                LinkPurpose::ResetPassword,
                until,
                now,
            )
            .await?;
        let link = format!("{}/reset?token={token}", state.config.accounts.link_base);
        queue(
            &state,
            Mail {
                batch: format!("account:reset:{}", token_hash(&token)),
                // To the address the account has, not the spelling asked with.
                to: Email::parse(&record.member.email)?,
                subject: format!("Reset your {} password", state.config.site_name),
                body: format!(
                    "Someone asked to reset the password of {} on {}.\n\nTo choose a new password, open this link within {} minutes:\n\n{link}\n\nIf it was not you, ignore this message: your password stays as it is.\n",
                    record.member.username,
                    state.config.site_name,
                    policy.reset_link_for.as_secs() / 60
                ),
            },
        )
        .await;
    }
    let value = LinkSent {
        sent: "if an account has this address, a link is on its way",
    };
    if input.body.form {
        return Ok(Redirect::to("/login?reset=sent").into_response());
    }
    let mut res = json(&value)?;
    *res.status_mut() = StatusCode::ACCEPTED;
    Ok(res)
}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ResetBody {
    pub token: String,
    #[serde(alias = "new_password")]
    #[schema(min_length = 8, max_length = 128)]
    pub new_password: String,
}

/// `POST /api/auth/reset/complete`: sets the new password with the mailed
/// token (once), ends every session, and logs this client in.
#[utoipa::path(post, path = "/api/auth/reset/complete", tag = "accounts",
    request_body(content = ResetBody, content_type = "application/json"),
    responses((status = 200, body = Me), (status = 400)))]
pub async fn complete_reset(
    State(state): State<AppState>,
    input: Input<ResetBody>,
) -> Result<Response, AppError> {
    let b = &input.body.value;
    check_password("newPassword", &b.new_password)?;
    let community = state.store.community();
    let member_id = community
        .take_member_token(
            &token_hash(b.token.trim()),
            LinkPurpose::ResetPassword,
            Utc::now(),
        )
        .await?
        .ok_or_else(|| {
            AppError::bad_request(
                "token: this reset link is unknown, used or expired: ask for a new one",
            )
        })?;
    let member = community
        .member(member_id)
        .await?
        .ok_or(AppError::Internal)?;
    let hash = state
        .config
        .accounts
        .passwords
        .hash(&b.new_password)
        .await
        .map_err(hash_failed)?;
    community.set_password(member.id, &hash).await?;
    community.clear_login_failures(member.id).await?;
    let (csrf, cookie) = start_session(&state, &Viewer::default(), &member).await?;
    let me = Me {
        email: member.email.clone(),
        member: MemberJson::of(&member),
        csrf_token: Some(csrf),
    };
    Ok(with_cookie(answer(&input.body, "/", &me)?, cookie))
}

/// `POST /api/auth/verify/request`: mails the member a link that confirms
/// their address.
#[utoipa::path(post, path = "/api/auth/verify/request", tag = "accounts",
    responses((status = 202, body = VerificationSent), (status = 401), (status = 403), (status = 429)))]
pub async fn request_verification(
    State(state): State<AppState>,
    act: Act<Empty>,
) -> Result<Response, AppError> {
    let policy = &state.config.accounts.policy;
    auth::limit(&state, "mail", &act.client, policy.limits.mail).await?;
    let token = new_token();
    let now = Utc::now();
    let until = now + chrono::TimeDelta::from_std(policy.verify_link_for).unwrap_or_default();
    let community = state.store.community();
    community
        .create_member_token(
            &token_hash(&token),
            act.member.id,
            LinkPurpose::VerifyEmail,
            until,
            now,
        )
        .await?;
    let to = Email::parse(&act.member.email)?;
    let link = format!("{}/verify?token={token}", state.config.accounts.link_base);
    queue(
        &state,
        Mail {
            batch: format!("account:verify:{}", token_hash(&token)),
            to,
            subject: format!("Confirm your address on {}", state.config.site_name),
            body: format!(
                "To confirm that this address belongs to {}, open:\n\n{link}\n",
                act.member.username
            ),
        },
    )
    .await;
    if act.body.form {
        return Ok(Redirect::to("/settings?verify=sent").into_response());
    }
    let mut res = json(&VerificationSent { sent: true })?;
    *res.status_mut() = StatusCode::ACCEPTED;
    Ok(res)
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyBody {
    pub token: String,
}

/// The answer to `POST /api/auth/verify/request`.
#[derive(Serialize, ToSchema)]
pub struct VerificationSent {
    pub sent: bool,
}

/// The answer to `POST /api/auth/verify`.
#[derive(Serialize, ToSchema)]
pub struct Verified {
    pub verified: bool,
}

/// `POST /api/auth/verify`: confirms the address with the mailed token.
#[utoipa::path(post, path = "/api/auth/verify", tag = "accounts",
    request_body(content = VerifyBody, content_type = "application/json"),
    responses((status = 200, body = Verified), (status = 400)))]
pub async fn verify(
    State(state): State<AppState>,
    input: Input<VerifyBody>,
) -> Result<Response, AppError> {
    let community = state.store.community();
    let member = community
        .take_member_token(
            &token_hash(input.body.value.token.trim()),
            LinkPurpose::VerifyEmail,
            Utc::now(),
        )
        .await?
        .ok_or_else(|| AppError::bad_request("token: this link is unknown, used or expired"))?;
    community.set_email_verified(member).await?;
    answer(
        &input.body,
        "/settings?verified=1",
        &Verified { verified: true },
    )
}

//! Claims to be one of a paper's authors:
//!
//! - `POST /api/papers/{id}/claim` `{author}`: a member claims to be the
//!   author of that name (any spelling of it: see
//!   `dailypapers_domain::contribution::author_key`); the claim waits for an
//!   admin. Refused when the name is not among the paper's authors (400),
//!   when someone holds an open claim on that author, or the member on
//!   another author of the paper (409);
//! - `POST /api/claims/{id}/approve` and `…/reject`: an admin decides a
//!   pending claim (anyone else: 403); once approved, the paper page shows
//!   the author as verified and the member's page lists the paper;
//! - `POST /api/claims/{id}/withdraw`: the claimant takes back a pending claim;
//! - `GET /api/claims?status=`: the admins' queue (pending by default).
//!
//! Forms post to the same routes and are sent back where they came from.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use dailypapers_domain::contribution::find_author;
use dailypapers_domain::{ArxivId, ClaimStatus};
use dailypapers_store::contributions::{Claim, ClaimChangeRefusal, ClaimRefusal, NewClaim};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::account::Empty;
use super::votes::{Author, PaperAction};
use super::{int_param, json, no_store};
use crate::auth::{Act, Viewer};
use crate::view::paper_href;
use crate::{AppError, AppState};

/// The most claims `GET /api/claims` answers.
pub const MAX_CLAIMS: u64 = 500;

/// A claim as the API shows it.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ClaimJson {
    pub id: u64,
    pub paper_id: String,
    pub paper_title: String,
    /// The author's name as the paper spells it.
    pub author: String,
    pub claimant: Author,
    /// `pending`, `approved`, `rejected` or `withdrawn`.
    pub status: String,
    pub created_at: String,
    pub decided_at: Option<String>,
}

impl ClaimJson {
    pub fn of(c: &Claim) -> Self {
        ClaimJson {
            id: c.id,
            paper_id: c.paper.to_string(),
            paper_title: c.paper_title.clone(),
            author: c.author.clone(),
            claimant: Author {
                username: c.username.to_string(),
                display_name: c.display_name.clone(),
            },
            status: c.status.as_str().to_string(),
            created_at: c.created_at.to_rfc3339(),
            decided_at: c.decided_at.map(|t| t.to_rfc3339()),
        }
    }
}

/// The documentation of `POST /api/papers/{id}/claim` (a form's field is `author`).
#[derive(Deserialize, ToSchema)]
pub struct ClaimBody {
    /// One of the paper's authors, as the paper names them.
    pub author: String,
}

/// `POST /api/papers/{id}/claim` (dispatched by `votes::paper_action`).
#[utoipa::path(post, path = "/api/papers/{id}/claim", tag = "contributions",
    params(("id" = String, Path, description = "an arXiv id")),
    request_body(content = ClaimBody, content_type = "application/json"),
    responses((status = 200, body = ClaimJson), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
pub async fn claim(
    state: &AppState,
    act: &Act<PaperAction>,
    id: &ArxivId,
) -> Result<Response, AppError> {
    let name = act.body.value.author.as_deref().unwrap_or("").trim();
    if name.is_empty() {
        return Err(AppError::bad_request(
            "author: missing; name one of the paper's authors",
        ));
    }
    let listing = state
        .store
        .listing(id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("paper {id} not found")))?;
    let author = find_author(&listing.paper.authors, name).ok_or_else(|| {
        AppError::bad_request(format!(
            "author: {:?} is not among the authors of {id}",
            name.chars().take(100).collect::<String>()
        ))
    })?;
    let stored = state
        .store
        .contributions()
        .claim_authorship(&NewClaim {
            paper: id.clone(),
            author: author.name.clone(),
            member_id: act.member.id,
            now: Utc::now(),
        })
        .await?;
    let me = act.member.id;
    let claim = match stored {
        Ok(c) => c,
        Err(ClaimRefusal::NoSuchPaper) => {
            return Err(AppError::not_found(format!("paper {id} not found")));
        }
        Err(ClaimRefusal::AuthorTaken(c)) if c.member_id == me => {
            return Err(AppError::Conflict(format!(
                "you already claim to be {} on {id} (the claim is {})",
                c.author,
                c.status.as_str()
            )));
        }
        Err(ClaimRefusal::AuthorTaken(c)) => {
            return Err(AppError::Conflict(format!(
                "{} on {id} is claimed by another member already (the claim is {})",
                c.author,
                c.status.as_str()
            )));
        }
        Err(ClaimRefusal::AlreadyClaimed(c)) => {
            return Err(AppError::Conflict(format!(
                "you already claim to be {} on {id} (the claim is {}): one author per member and paper",
                c.author,
                c.status.as_str()
            )));
        }
    };
    tracing::info!(member = %act.member.username, paper = %id, author = %claim.author, "authorship claimed");
    if act.body.form {
        let to = act
            .body
            .return_to
            .clone()
            .unwrap_or_else(|| format!("{}/claim", paper_href(id.as_str())));
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(no_store(json(&ClaimJson::of(&claim))?))
}

/// `POST /api/claims/{*rest}`: `{id}/approve`, `{id}/reject`, `{id}/withdraw`.
pub async fn change(
    State(state): State<AppState>,
    Path(raw): Path<String>,
    act: Act<Empty>,
) -> Result<Response, AppError> {
    let nothing = || AppError::not_found("There is nothing to change at this address.");
    let (id, verb) = raw.split_once('/').ok_or_else(nothing)?;
    let id: u64 = id
        .parse()
        .map_err(|_| AppError::bad_request("id: expected a claim number"))?;
    let contributions = state.store.contributions();
    let now = Utc::now();
    let changed = match verb {
        "approve" | "reject" => {
            if !act.member.is_admin() {
                return Err(AppError::forbidden("only admins decide claims"));
            }
            let approve = verb == "approve";
            let done = contributions
                .decide_claim(id, approve, act.member.id, now)
                .await?;
            if let Ok(c) = &done {
                tracing::info!(admin = %act.member.username, claim = id, paper = %c.paper, verb, "claim decided");
            }
            done
        }
        "withdraw" => contributions.withdraw_claim(id, act.member.id, now).await?,
        _ => return Err(nothing()),
    };
    let claim = changed.map_err(|refusal| match refusal {
        ClaimChangeRefusal::NoSuchClaim => AppError::not_found(format!("claim {id} not found")),
        ClaimChangeRefusal::NotYours => AppError::forbidden("this is not your claim"),
        ClaimChangeRefusal::NotPending(c) => AppError::Conflict(format!(
            "claim {id} is {} already: only a pending claim can change",
            c.status.as_str()
        )),
    })?;
    // An approval puts a verified author on the paper's page.
    state.page_changed(&paper_href(claim.paper.as_str()));
    if act.body.form {
        let to = act.body.return_to.clone().unwrap_or_else(|| {
            if verb == "withdraw" {
                paper_href(claim.paper.as_str())
            } else {
                "/admin/claims".to_string()
            }
        });
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(no_store(json(&ClaimJson::of(&claim))?))
}

/// Documentation of the claim routes (served by [`change`]).
#[utoipa::path(post, path = "/api/claims/{id}/approve", tag = "contributions",
    params(("id" = u64, Path, description = "the claim's number")),
    responses((status = 200, body = ClaimJson), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
#[allow(dead_code)]
fn approve_claim() {}

#[utoipa::path(post, path = "/api/claims/{id}/reject", tag = "contributions",
    params(("id" = u64, Path, description = "the claim's number")),
    responses((status = 200, body = ClaimJson), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
#[allow(dead_code)]
fn reject_claim() {}

#[utoipa::path(post, path = "/api/claims/{id}/withdraw", tag = "contributions",
    params(("id" = u64, Path, description = "the claim's number")),
    responses((status = 200, body = ClaimJson), (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
#[allow(dead_code)]
fn withdraw_claim() {}

#[derive(Debug, Default, Deserialize)]
pub struct QueueParams {
    status: Option<String>,
    limit: Option<String>,
}

/// `GET /api/claims?status=&limit=`: claims in one status (pending by
/// default), oldest first; for admins.
#[utoipa::path(get, path = "/api/claims", tag = "contributions",
    params(("status" = Option<String>, Query, description = "pending (the default), approved, rejected or withdrawn"),
        ("limit" = Option<u64>, Query, description = "at most this many, 1 to 500 (100)")),
    responses((status = 200, body = Vec<ClaimJson>), (status = 400), (status = 401), (status = 403)))]
pub async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<QueueParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let (_, claims) = admin_queue(&state, &viewer, params).await?;
    let body: Vec<ClaimJson> = claims.iter().map(ClaimJson::of).collect();
    Ok(no_store(json(&body)?))
}

/// The claims in the status asked for (pending when none is), for an
/// admin (401 for nobody, 403 for a member), with that status.
pub async fn admin_queue(
    state: &AppState,
    viewer: &Viewer,
    params: Result<Query<QueueParams>, QueryRejection>,
) -> Result<(ClaimStatus, Vec<Claim>), AppError> {
    let member = viewer.require()?;
    if !member.is_admin() {
        return Err(AppError::forbidden("only admins see the claims"));
    }
    let Query(params) = params?;
    let status = match super::non_empty(params.status.as_deref()) {
        None => ClaimStatus::Pending,
        Some(s) => ClaimStatus::parse(s).ok_or_else(|| {
            AppError::bad_request(format!(
                "invalid status {:?}: expected pending, approved, rejected or withdrawn",
                s.chars().take(40).collect::<String>()
            ))
        })?,
    };
    let limit = int_param(
        "limit",
        params.limit.as_deref(),
        1,
        MAX_CLAIMS,
        "an integer from 1 to 500",
    )?
    .unwrap_or(100);
    let claims = state.store.contributions().claims_in(status, limit).await?;
    Ok((status, claims))
}

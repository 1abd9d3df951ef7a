//! Upvotes and comments on a paper, and changes to one comment:
//!
//! - `POST|DELETE /api/papers/{id}/upvote`: cast or withdraw the member's
//!   vote (a form posts `action=remove` to withdraw); answers the new count;
//! - `GET|POST /api/papers/{id}/comments`: the thread, or a new comment
//!   (`{body, parentId?}`, Markdown);
//! - `PATCH|DELETE /api/comments/{id}`: edit or delete one's own comment
//!   (forms post to `…/edit` and `…/delete`); `POST /api/comments/{id}/hide`
//!   and `…/unhide` for admins.
//!
//! Votes are limited per member (`RateLimits::vote`, see
//! [`crate::throttle`]); votes and comments that change something nudge
//! the trending refresher.
//!
//! Paper ids may contain a slash (old-style arXiv ids), so the paper routes
//! are reached through `/api/papers/{*id}` ([`super::papers`]) and
//! dispatched here by their last segment.

use axum::extract::{Path, State};
use axum::http::Method;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use dailypapers_domain::{ArxivId, CommentBody};
use dailypapers_store::community::{Comment, CommentChange, CommentRefusal, NewComment};
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{json, no_store};
use crate::auth::{self, Act, Viewer};
use crate::markdown::comment_html;
use crate::pages::paper::id_from_path;
use crate::view::paper_href;
use crate::{AppError, AppState};

/// A number sent as JSON or as a form's text.
#[derive(Clone, Copy, Debug, ToSchema)]
#[schema(value_type = u64)]
pub struct Id(pub u64);

impl<'de> Deserialize<'de> for Id {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            N(u64),
            S(String),
        }
        match Raw::deserialize(d)? {
            Raw::N(n) => Ok(Id(n)),
            Raw::S(s) => s
                .trim()
                .parse()
                .map(Id)
                .map_err(|_| serde::de::Error::custom(format!("expected a number, got {s:?}"))),
        }
    }
}

/// What a POST to a paper's routes may carry.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperAction {
    /// A comment's Markdown.
    pub body: Option<String>,
    /// The comment this one answers.
    #[serde(alias = "parent_id")]
    pub parent_id: Option<Id>,
    /// A form's way to withdraw a vote: `remove`.
    pub action: Option<String>,
    /// The author a claim names (`…/claim`, see [`super::claims`]).
    pub author: Option<String>,
}

/// The new state of a paper's upvotes.
#[derive(Serialize, ToSchema)]
pub struct Upvotes {
    /// Imported upvotes plus members'.
    pub upvotes: u32,
    /// Whether the member's vote is now there.
    pub upvoted: bool,
}

#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Author {
    pub username: String,
    pub display_name: Option<String>,
}

/// One comment as the API shows it (no text once deleted or hidden).
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CommentJson {
    pub id: u64,
    pub paper_id: String,
    pub parent_id: Option<u64>,
    pub author: Author,
    /// The Markdown as written.
    pub body: Option<String>,
    /// The sanitised HTML it renders to.
    pub html: Option<String>,
    pub created_at: String,
    pub edited_at: Option<String>,
    pub deleted: bool,
    pub hidden: bool,
}

impl CommentJson {
    pub fn of(c: &Comment) -> Self {
        let visible = c.visible();
        CommentJson {
            id: c.id,
            paper_id: c.paper.to_string(),
            parent_id: c.parent_id,
            author: Author {
                username: c.author.to_string(),
                display_name: c.author_name.clone(),
            },
            body: visible.then(|| c.body.clone()),
            html: visible.then(|| comment_html(&c.body)),
            created_at: c.created_at.to_rfc3339(),
            edited_at: c.edited_at.map(|t| t.to_rfc3339()),
            deleted: c.deleted,
            hidden: c.hidden,
        }
    }
}

/// `POST|DELETE /api/papers/{*id}`: dispatches `…/upvote`, `…/comments`
/// and `…/claim` ([`super::claims`]).
pub async fn paper_action(
    State(state): State<AppState>,
    method: Method,
    Path(raw): Path<String>,
    act: Act<PaperAction>,
) -> Result<Response, AppError> {
    if let Some(paper) = raw.strip_suffix("/upvote") {
        let id = id_from_path(paper)?;
        let on = method == Method::POST && act.body.value.action.as_deref() != Some("remove");
        return upvote(&state, &act, &id, on).await;
    }
    if let Some(paper) = raw.strip_suffix("/comments")
        && method == Method::POST
    {
        return add_comment(&state, &act, &id_from_path(paper)?).await;
    }
    if let Some(paper) = raw.strip_suffix("/claim")
        && method == Method::POST
    {
        return super::claims::claim(&state, &act, &id_from_path(paper)?).await;
    }
    Err(AppError::not_found(
        "There is nothing to change at this address.",
    ))
}

/// `POST /api/papers/{id}/upvote`: casts the member's vote (once: a repeat
/// changes nothing). `DELETE` withdraws it.
#[utoipa::path(post, path = "/api/papers/{id}/upvote", tag = "community",
    params(("id" = String, Path, description = "an arXiv id", example = "2405.15032")),
    responses((status = 200, body = Upvotes), (status = 401), (status = 403), (status = 404), (status = 429)))]
async fn upvote(
    state: &AppState,
    act: &Act<PaperAction>,
    id: &ArxivId,
    on: bool,
) -> Result<Response, AppError> {
    if let Some(throttle) = &state.ops.throttle {
        throttle.vote(act.member.id)?;
    }
    let outcome = state
        .store
        .community()
        .set_upvote(act.member.id, id, on, Utc::now())
        .await?
        .ok_or_else(|| AppError::not_found(format!("paper {id} not found")))?;
    if outcome.changed {
        trending_moved(state);
        state.page_changed(&paper_href(id.as_str()));
    }
    if act.body.form {
        let to = act
            .body
            .return_to
            .clone()
            .unwrap_or_else(|| paper_href(id.as_str()));
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(no_store(json(&Upvotes {
        upvotes: outcome.upvotes,
        upvoted: outcome.upvoted,
    })?))
}

/// The documentation of `DELETE /api/papers/{id}/upvote` (served by [`paper_action`]).
#[utoipa::path(delete, path = "/api/papers/{id}/upvote", tag = "community",
    params(("id" = String, Path, description = "an arXiv id", example = "2405.15032")),
    responses((status = 200, body = Upvotes), (status = 401), (status = 403), (status = 404), (status = 429)))]
#[allow(dead_code)]
fn withdraw_upvote() {}

#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct NewCommentBody {
    /// Markdown, at most 10,000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub body: String,
    pub parent_id: Option<u64>,
}

/// `POST /api/papers/{id}/comments`: a comment or a reply.
#[utoipa::path(post, path = "/api/papers/{id}/comments", tag = "community",
    params(("id" = String, Path, description = "an arXiv id", example = "2405.15032")),
    request_body(content = NewCommentBody, content_type = "application/json"),
    responses((status = 200, body = CommentJson), (status = 400), (status = 401), (status = 403), (status = 404), (status = 429)))]
async fn add_comment(
    state: &AppState,
    act: &Act<PaperAction>,
    id: &ArxivId,
) -> Result<Response, AppError> {
    let body = CommentBody::parse(act.body.value.body.as_deref().unwrap_or(""))?;
    auth::limit(
        state,
        "comment",
        &act.member.id.to_string(),
        state.config.accounts.policy.limits.comment,
    )
    .await?;
    let added = state
        .store
        .community()
        .add_comment(&NewComment {
            paper: id.clone(),
            member_id: act.member.id,
            parent_id: act.body.value.parent_id.map(|p| p.0),
            body,
            now: Utc::now(),
        })
        .await?;
    let comment = match added {
        Ok(c) => {
            trending_moved(state);
            state.page_changed(&paper_href(id.as_str()));
            c
        }
        Err(CommentRefusal::NoSuchPaper) => {
            return Err(AppError::not_found(format!("paper {id} not found")));
        }
        Err(CommentRefusal::NoSuchParent) => {
            return Err(AppError::bad_request(
                "parentId: no such comment on this paper",
            ));
        }
    };
    if act.body.form {
        let to = crate::pages::discussion::after_change(id.as_str(), comment.id);
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(no_store(json(&CommentJson::of(&comment))?))
}

/// The most comments one answer of `GET /api/papers/{id}/comments` holds.
pub const COMMENTS_PER_PAGE: u64 = 1_000;

/// `GET /api/papers/{id}/comments?limit=&after=`: the paper's thread, oldest
/// first, `limit` at a time (at most 1,000, all of them by default up to
/// that); a full page has a `Link: <…?after=ID&limit=N>; rel="next"`.
#[utoipa::path(get, path = "/api/papers/{id}/comments", tag = "community",
    params(
        ("id" = String, Path, description = "an arXiv id", example = "2405.15032"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 1000, description = "comments in this answer (default 1,000)"),
        ("after" = Option<u64>, Query, description = "the id of the last comment of the previous page"),
    ),
    responses((status = 200, body = Vec<CommentJson>), (status = 400), (status = 404)))]
pub async fn comments(
    state: &AppState,
    raw: &str,
    limit: Option<&str>,
    after: Option<&str>,
) -> Result<Response, AppError> {
    let id = id_from_path(raw)?;
    let limit = super::int_param(
        "limit",
        limit,
        1,
        COMMENTS_PER_PAGE,
        "a number from 1 to 1000",
    )?
    .unwrap_or(COMMENTS_PER_PAGE);
    let after = super::int_param("after", after, 0, i64::MAX as u64, "a comment id")?.unwrap_or(0);
    if state.store.listing(&id).await?.is_none() {
        return Err(AppError::not_found(format!("paper {id} not found")));
    }
    let page = state
        .store
        .community()
        .comments(&id, after, u32::try_from(limit).unwrap_or(u32::MAX))
        .await?;
    let body: Vec<CommentJson> = page.iter().map(CommentJson::of).collect();
    let mut res = json(&body)?;
    if let Some(last) = page.last().filter(|_| page.len() as u64 == limit) {
        let next = format!(
            "</api/papers/{id}/comments?after={}&limit={limit}>; rel=\"next\"",
            last.id
        );
        if let Ok(v) = axum::http::HeaderValue::from_str(&next) {
            res.headers_mut().insert(axum::http::header::LINK, v);
        }
    }
    Ok(res)
}

#[derive(Deserialize, ToSchema, Default)]
pub struct EditBody {
    /// The new Markdown, at most 10,000 characters, not blank.
    #[schema(min_length = 1, max_length = 10000, pattern = "\\S")]
    pub body: Option<String>,
}

/// `PATCH|DELETE|POST /api/comments/{*rest}`: edit, delete, hide, unhide.
pub async fn comment_action(
    State(state): State<AppState>,
    method: Method,
    Path(raw): Path<String>,
    act: Act<EditBody>,
) -> Result<Response, AppError> {
    let (id, verb) = match raw.split_once('/') {
        Some((id, verb)) => (id, verb),
        None if method == Method::PATCH => (raw.as_str(), "edit"),
        None if method == Method::DELETE => (raw.as_str(), "delete"),
        None => {
            return Err(AppError::not_found(
                "There is nothing to change at this address.",
            ));
        }
    };
    let id: u64 = id
        .parse()
        .map_err(|_| AppError::bad_request("id: expected a comment number"))?;
    let community = state.store.community();
    let comment = community
        .comment(id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(|| AppError::not_found(format!("comment {id} not found")))?;
    let own = comment.author_id == act.member.id;
    let now = Utc::now();
    // The address and the method first, then who may: a method a change
    // does not take is not a question of whose comment it is.
    let known = match verb {
        "edit" => matches!(method, Method::PATCH | Method::POST),
        "delete" => matches!(method, Method::DELETE | Method::POST),
        "hide" | "unhide" => method == Method::POST,
        _ => false,
    };
    if !known {
        return Err(AppError::not_found(
            "There is nothing to change at this address.",
        ));
    }
    match verb {
        "edit" if own => {
            let body = CommentBody::parse(act.body.value.body.as_deref().unwrap_or(""))?;
            community.edit_comment(id, &body, now).await?;
        }
        "delete" if own || act.member.is_admin() => {
            community
                .change_comment(id, CommentChange::Delete, now)
                .await?;
            trending_moved(&state);
        }
        "hide" | "unhide" if act.member.is_admin() => {
            let change = if verb == "hide" {
                CommentChange::Hide
            } else {
                CommentChange::Unhide
            };
            community.change_comment(id, change, now).await?;
            tracing::info!(admin = %act.member.username, comment = id, verb, "moderation");
            trending_moved(&state);
        }
        "hide" | "unhide" => {
            return Err(AppError::forbidden(
                "only an admin can hide or unhide a comment",
            ));
        }
        _ => {
            return Err(AppError::forbidden("this is not your comment"));
        }
    }
    let after = community.comment(id).await?.ok_or(AppError::Internal)?;
    state.page_changed(&paper_href(after.paper.as_str()));
    if act.body.form {
        let to =
            act.body.return_to.clone().unwrap_or_else(|| {
                crate::pages::discussion::after_change(after.paper.as_str(), id)
            });
        return Ok(Redirect::to(&to).into_response());
    }
    Ok(no_store(json(&CommentJson::of(&after))?))
}

/// Documentation of the comment routes (served by [`comment_action`]).
#[utoipa::path(patch, path = "/api/comments/{id}", tag = "community",
    params(("id" = u64, Path, description = "the comment's number")),
    request_body(content = EditBody, content_type = "application/json"),
    responses((status = 200, body = CommentJson), (status = 400), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn edit_comment() {}

#[utoipa::path(delete, path = "/api/comments/{id}", tag = "community",
    params(("id" = u64, Path, description = "the comment's number")),
    responses((status = 200, body = CommentJson), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn delete_comment() {}

#[utoipa::path(post, path = "/api/comments/{id}/hide", tag = "moderation",
    params(("id" = u64, Path, description = "the comment's number")),
    responses((status = 200, body = CommentJson), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn hide_comment() {}

#[utoipa::path(post, path = "/api/comments/{id}/unhide", tag = "moderation",
    params(("id" = u64, Path, description = "the comment's number")),
    responses((status = 200, body = CommentJson), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn unhide_comment() {}

/// Tells the trending refresher (if this process runs one) that votes or
/// comments changed: the scores follow soon, in one refresh for a burst.
fn trending_moved(state: &AppState) {
    if let Some(trending) = &state.ops.trending {
        trending.nudge();
    }
}

/// Whether `viewer` has upvoted each of `ids` (none for nobody).
pub async fn marks(
    state: &AppState,
    viewer: &Viewer,
    ids: &[ArxivId],
) -> Result<std::collections::HashSet<String>, AppError> {
    match &viewer.member {
        Some(m) => Ok(state.store.community().upvoted(m.id, ids).await?),
        None => Ok(Default::default()),
    }
}

//! Moderation for admins, as JSON (the page `/admin` shows the same and
//! posts its forms here):
//!
//! - `GET /api/admin/members?q=&p=&limit=`: members whose username or
//!   display name contains `q`, by username;
//! - `POST /api/admin/members/{username}/ban` and `…/unban`: a ban ends the
//!   member's sessions and API tokens at once (the store does it in the same
//!   transaction) and refuses their logins; an admin cannot ban themselves
//!   or another admin (demote them first: `dailypapers user demote NAME`);
//! - `GET /api/admin/comments/hidden?p=&limit=`: the hidden comments, with
//!   their text (unhide with `POST /api/comments/{id}/unhide`).
//!
//! Everything here answers 401 without a member and 403 for a member who is
//! not an admin, and changes nothing then.

use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, State};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use dailypapers_store::community::Member;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::account::Empty;
use super::votes::CommentJson;
use super::{int_param, json, no_store, non_empty};
use crate::auth::{Act, Viewer};
use crate::markdown::comment_html;
use crate::{AppError, AppState};

/// The most members or comments one request lists.
pub const MAX_LIMIT: u64 = 100;

/// The most characters of a name searched for.
pub const MAX_QUERY_CHARS: usize = 100;

/// The member, when they are an admin: 401 for nobody, 403 for a member.
pub fn require_admin(viewer: &Viewer) -> Result<&Member, AppError> {
    let member = viewer.require()?;
    if !member.is_admin() {
        return Err(AppError::forbidden("This is for admins only."));
    }
    Ok(member)
}

/// A member as admins see them.
#[derive(Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct AdminMember {
    pub id: u64,
    pub username: String,
    pub display_name: Option<String>,
    /// `member` or `admin`.
    pub role: String,
    pub banned: bool,
    pub created_at: String,
}

impl AdminMember {
    pub fn of(m: &Member) -> Self {
        AdminMember {
            id: m.id,
            username: m.username.to_string(),
            display_name: m.display_name.clone(),
            role: m.role.as_str().to_string(),
            banned: m.banned,
            created_at: m.created_at.to_rfc3339(),
        }
    }
}

/// A list's query string.
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListParams {
    /// Part of a username or display name (any case), at most 100 characters.
    q: Option<String>,
    /// The page, from 0.
    p: Option<String>,
    /// Items per page, 1 to 100 (default 50).
    limit: Option<String>,
}

/// A checked list request: the name looked for, offset and limit.
pub struct ListRequest {
    pub name: Option<String>,
    pub offset: u64,
    pub limit: u64,
}

impl ListParams {
    /// The parameters of page `page` (from 0) of `limit` items.
    pub fn for_page(q: Option<String>, page: u64, limit: u64) -> Self {
        ListParams {
            q,
            p: Some(page.to_string()),
            limit: Some(limit.to_string()),
        }
    }

    pub fn check(&self) -> Result<ListRequest, AppError> {
        let name = non_empty(self.q.as_deref()).map(str::to_string);
        if let Some(n) = &name
            && n.chars().count() > MAX_QUERY_CHARS
        {
            return Err(AppError::bad_request(format!(
                "invalid q: at most {MAX_QUERY_CHARS} characters"
            )));
        }
        let page = int_param(
            "p",
            self.p.as_deref(),
            0,
            1_000_000,
            "a page number, an integer from 0",
        )?
        .unwrap_or(0);
        let limit = int_param(
            "limit",
            self.limit.as_deref(),
            1,
            MAX_LIMIT,
            "an integer from 1 to 100",
        )?
        .unwrap_or(50);
        Ok(ListRequest {
            name,
            offset: page * limit,
            limit,
        })
    }
}

/// An admin's list request, checked (the admin first: a member who is
/// not one learns nothing from a bad parameter).
fn admin_list(
    viewer: &Viewer,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<ListRequest, AppError> {
    require_admin(viewer)?;
    let Query(params) = params?;
    params.check()
}

/// `GET /api/admin/members`.
#[utoipa::path(get, path = "/api/admin/members", tag = "moderation",
    params(ListParams),
    responses((status = 200, body = Vec<AdminMember>), (status = 400), (status = 401), (status = 403)))]
pub async fn members(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let req = admin_list(&viewer, params)?;
    let found = state
        .store
        .find_members(req.name.as_deref(), req.offset, req.limit)
        .await?;
    let body: Vec<AdminMember> = found.iter().map(AdminMember::of).collect();
    Ok(no_store(json(&body)?))
}

/// `GET /api/admin/comments/hidden`: the hidden comments, most recently
/// hidden first, with their text.
#[utoipa::path(get, path = "/api/admin/comments/hidden", tag = "moderation",
    params(ListParams),
    responses((status = 200, body = Vec<CommentJson>), (status = 400), (status = 401), (status = 403)))]
pub async fn hidden_comments(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<ListParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let req = admin_list(&viewer, params)?;
    let hidden = state.store.hidden_comments(req.offset, req.limit).await?;
    let body: Vec<CommentJson> = hidden
        .iter()
        .map(|c| CommentJson {
            body: Some(c.body.clone()),
            html: Some(comment_html(&c.body)),
            ..CommentJson::of(c)
        })
        .collect();
    Ok(no_store(json(&body)?))
}

/// `POST /api/admin/members/{username}/{ban|unban}`.
pub async fn member_action(
    State(state): State<AppState>,
    Path((username, action)): Path<(String, String)>,
    act: Act<Empty>,
) -> Result<Response, AppError> {
    let admin = require_admin(&act.viewer)?;
    let ban = match action.as_str() {
        "ban" => true,
        "unban" => false,
        _ => {
            return Err(AppError::not_found(
                "There is nothing to change at this address.",
            ));
        }
    };
    let community = state.store.community();
    let member = community
        .member_by_username(&username)
        .await?
        .ok_or_else(|| AppError::not_found(format!("there is no member {username:?}")))?;
    if ban && member.id == admin.id {
        return Err(AppError::forbidden("You cannot ban yourself."));
    }
    if ban && member.is_admin() {
        return Err(AppError::forbidden(format!(
            "{} is an admin: demote them first (dailypapers user demote {})",
            member.username, member.username
        )));
    }
    community.set_banned(member.id, ban, Utc::now()).await?;
    tracing::warn!(admin = %admin.username, member = %member.username, ban, "moderation");
    if act.body.form {
        let to = act.body.return_to.as_deref().unwrap_or("/admin");
        return Ok(Redirect::to(to).into_response());
    }
    let after = community
        .member(member.id)
        .await?
        .ok_or(AppError::Internal)?;
    Ok(no_store(json(&AdminMember::of(&after))?))
}

/// `POST /api/admin/members/{username}/ban` (served by [`member_action`]).
#[utoipa::path(post, path = "/api/admin/members/{username}/ban", tag = "moderation",
    params(("username" = String, Path, description = "the member's username")),
    responses((status = 200, body = AdminMember), (status = 401), (status = 403, description = "not an admin, or the member is an admin or oneself"), (status = 404)))]
#[allow(dead_code)]
fn ban_member() {}

/// `POST /api/admin/members/{username}/unban` (served by [`member_action`]).
#[utoipa::path(post, path = "/api/admin/members/{username}/unban", tag = "moderation",
    params(("username" = String, Path, description = "the member's username")),
    responses((status = 200, body = AdminMember), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn unban_member() {}

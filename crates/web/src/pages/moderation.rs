//! `GET /admin?q=&page=`: the admin's page: members found by name, each
//! with a ban or unban button (not for admins, whom one demotes first),
//! the hidden comments with an unhide button, and links to the status page
//! and the authorship claims. Its forms post to `/api/admin/…` and
//! `/api/comments/{id}/unhide`, which send the browser back here. 401
//! without a member, 403 for a member who is not an admin.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::html_cached;
use crate::api::admin::{ListParams, require_admin};
use crate::auth::Viewer;
use crate::view::{Layout, Nav, paper_href, short_date, url_escape};
use crate::{AppError, AppState};

/// Members shown per page.
pub const MEMBERS_PER_PAGE: u64 = 50;

/// Hidden comments shown (the most recently hidden).
pub const HIDDEN_SHOWN: u64 = 100;

struct MemberRow {
    username: String,
    display_name: String,
    role: &'static str,
    joined: String,
    banned: bool,
    /// Whether the page offers a ban or unban button (not for admins).
    actionable: bool,
}

struct HiddenRow {
    id: u64,
    paper: String,
    paper_href: String,
    author: String,
    written: String,
    /// The Markdown as written, shown as text.
    body: String,
}

#[derive(Template)]
#[template(path = "moderation.html")]
struct ModerationPage<'a> {
    layout: Layout<'a>,
    csrf: String,
    query: String,
    members: Vec<MemberRow>,
    /// Where forms send the browser back to.
    here: String,
    prev: Option<String>,
    next: Option<String>,
    hidden: Vec<HiddenRow>,
    trending_at: String,
}

#[derive(Debug, Default, Deserialize)]
pub struct AdminParams {
    q: Option<String>,
    page: Option<String>,
}

/// `GET /admin`.
pub async fn page(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<AdminParams>, QueryRejection>,
) -> Result<Response, AppError> {
    require_admin(&viewer)?;
    let Query(params) = params?;
    let page = crate::api::int_param(
        "page",
        params.page.as_deref(),
        1,
        100_000,
        "a page number from 1",
    )?
    .unwrap_or(1);
    let list = ListParams::for_page(params.q.clone(), page - 1, MEMBERS_PER_PAGE).check()?;
    let query = list.name.clone().unwrap_or_default();
    let store = &state.store;
    let (mut found, hidden, trending_at) = tokio::try_join!(
        store.find_members(list.name.as_deref(), list.offset, list.limit + 1),
        store.hidden_comments(0, HIDDEN_SHOWN),
        store.trending_computed_at(),
    )?;
    let more = found.len() as u64 > list.limit;
    found.truncate(list.limit as usize);
    let href = |page: u64| {
        let mut h = format!("/admin?page={page}");
        if !query.is_empty() {
            h.push_str(&format!("&q={}", url_escape(&query)));
        }
        h
    };
    let members = found
        .iter()
        .map(|m| MemberRow {
            username: m.username.to_string(),
            display_name: m.display_name.clone().unwrap_or_default(),
            role: m.role.as_str(),
            joined: short_date(m.created_at.date_naive()),
            banned: m.banned,
            actionable: !m.is_admin(),
        })
        .collect();
    let hidden = hidden
        .iter()
        .map(|c| HiddenRow {
            id: c.id,
            paper: c.paper.to_string(),
            paper_href: paper_href(c.paper.as_str()),
            author: c.author.to_string(),
            written: short_date(c.created_at.date_naive()),
            body: c.body.clone(),
        })
        .collect();
    let body = ModerationPage {
        layout: Layout::new(&state, "Admin", Nav::latest()).for_viewer(&viewer),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        here: href(page),
        prev: (page > 1).then(|| href(page - 1)),
        next: more.then(|| href(page + 1)),
        query,
        members,
        hidden,
        trending_at: trending_at.map_or_else(
            || "never".to_string(),
            |t| t.format("%Y-%m-%d %H:%M:%S UTC").to_string(),
        ),
    };
    Ok(html_cached(body.render()?, "no-store"))
}

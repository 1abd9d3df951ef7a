//! `/admin/claims`: the admins' queue of authorship claims (pending by
//! default, `?status=` for the others), each with the paper, the author
//! claimed and the claimant, and the forms that approve or reject it
//! (`POST /api/claims/{id}/approve|reject`). Nobody signed in: 401; a
//! member who is not an admin: 403.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::Response;

use super::html_cached;
use crate::api::claims::{QueueParams, admin_queue};
use crate::auth::Viewer;
use crate::view::{Layout, Nav, paper_href};
use crate::{AppError, AppState};

/// A claim in the queue.
pub struct ClaimRow {
    pub id: u64,
    pub paper_href: String,
    pub paper_id: String,
    pub paper_title: String,
    pub author: String,
    pub username: String,
    pub display_name: Option<String>,
    pub created: String,
    pub pending: bool,
    pub status: &'static str,
}

#[derive(Template)]
#[template(path = "claims.html")]
struct ClaimsPage<'a> {
    layout: Layout<'a>,
    csrf: String,
    status: String,
    claims: Vec<ClaimRow>,
}

/// `GET /admin/claims`.
pub async fn queue(
    State(state): State<AppState>,
    viewer: Viewer,
    params: Result<Query<QueueParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let (status, claims) = admin_queue(&state, &viewer, params).await?;
    let rows = claims
        .iter()
        .map(|c| ClaimRow {
            id: c.id,
            paper_href: paper_href(c.paper.as_str()),
            paper_id: c.paper.to_string(),
            paper_title: c.paper_title.chars().take(300).collect(),
            author: c.author.clone(),
            username: c.username.to_string(),
            display_name: c.display_name.clone(),
            created: c.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
            pending: c.status == dailypapers_domain::ClaimStatus::Pending,
            status: c.status.as_str(),
        })
        .collect();
    let page = ClaimsPage {
        layout: Layout::new(&state, "Authorship claims", Nav::latest()).for_viewer(&viewer),
        csrf: viewer.csrf().unwrap_or_default().to_string(),
        status: status.as_str().to_string(),
        claims: rows,
    };
    Ok(html_cached(page.render()?, "no-store"))
}

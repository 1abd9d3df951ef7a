//! `GET /api/users/{username}`: a member's public profile as JSON: their
//! display name, the papers they are a verified author of, the papers they
//! submitted, the organisations they belong to, and their recent visible
//! comments. The page `/users/{username}` shows the same ([`profile`]).

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use dailypapers_domain::{Listing, Organization};
use dailypapers_store::community::Member;
use dailypapers_store::contributions::{AuthoredPaper, CommentOnPaper};
use serde::Serialize;
use utoipa::ToSchema;

use super::json;
use super::organizations::OrganizationJson;
use crate::markdown::comment_html;
use crate::{AppError, AppState};

/// How many of each list a profile shows.
pub const PROFILE_ITEMS: u64 = 50;
/// How many recent comments a profile shows.
pub const PROFILE_COMMENTS: u64 = 20;

/// What a member's page and its JSON show.
pub struct Profile {
    pub member: Member,
    pub papers: Vec<AuthoredPaper>,
    pub submissions: Vec<Listing>,
    pub organizations: Vec<Organization>,
    pub comments: Vec<CommentOnPaper>,
}

/// The member `username` (any case), or 404.
pub async fn member_named(state: &AppState, username: &str) -> Result<Member, AppError> {
    state
        .store
        .community()
        .member_by_username(username.trim())
        .await?
        .ok_or_else(|| {
            AppError::not_found(format!(
                "no member @{}",
                username.chars().take(40).collect::<String>()
            ))
        })
}

/// The profile of `username` (any case), or 404.
pub async fn profile(state: &AppState, username: &str) -> Result<Profile, AppError> {
    let member = member_named(state, username).await?;
    let c = state.store.contributions();
    let (papers, submissions, organizations, comments) = tokio::try_join!(
        c.member_papers(member.id, PROFILE_ITEMS),
        c.member_submissions(member.id, PROFILE_ITEMS),
        c.member_organizations(member.id),
        c.member_comments(member.id, PROFILE_COMMENTS),
    )?;
    Ok(Profile {
        member,
        papers,
        submissions,
        organizations,
        comments,
    })
}

/// A paper in a list (a member's profile, an organisation's papers).
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct PaperItemJson {
    pub id: String,
    pub title: String,
    /// The feed day it is listed on, if it is.
    pub feed_day: Option<String>,
    /// Imported upvotes plus members'.
    pub upvotes: u32,
    /// For a verified paper: the author the member is, as the paper spells it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub author: Option<String>,
}

impl PaperItemJson {
    pub fn of(l: &Listing, author: Option<&str>) -> Self {
        PaperItemJson {
            id: l.paper.id.to_string(),
            title: l.paper.title.clone(),
            feed_day: l
                .entry
                .as_ref()
                .map(|e| e.feed_day.format("%Y-%m-%d").to_string()),
            upvotes: l.upvotes(),
            author: author.map(str::to_string),
        }
    }
}

/// A recent comment on a member's profile.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileCommentJson {
    pub id: u64,
    pub paper_id: String,
    pub paper_title: String,
    /// The Markdown as written.
    pub body: String,
    /// The sanitised HTML it renders to.
    pub html: String,
    pub created_at: String,
}

/// `GET /api/users/{username}`.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ProfileJson {
    pub username: String,
    pub display_name: Option<String>,
    /// Papers the member is a verified author of.
    pub papers: Vec<PaperItemJson>,
    /// Papers the member put on the feed.
    pub submissions: Vec<PaperItemJson>,
    pub organizations: Vec<OrganizationJson>,
    /// Their latest visible comments, newest first.
    pub comments: Vec<ProfileCommentJson>,
}

/// `GET /api/users/{username}`.
#[utoipa::path(get, path = "/api/users/{username}", operation_id = "get_member", tag = "contributions",
    params(("username" = String, Path, description = "a member's username")),
    responses((status = 200, body = ProfileJson), (status = 400), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(username) = raw?;
    let p = profile(&state, &username).await?;
    json(&ProfileJson {
        username: p.member.username.to_string(),
        display_name: p.member.display_name.clone(),
        papers: p
            .papers
            .iter()
            .map(|a| PaperItemJson::of(&a.listing, Some(&a.author)))
            .collect(),
        submissions: p
            .submissions
            .iter()
            .map(|l| PaperItemJson::of(l, None))
            .collect(),
        organizations: p.organizations.iter().map(OrganizationJson::of).collect(),
        comments: p
            .comments
            .iter()
            .map(|c| ProfileCommentJson {
                id: c.comment.id,
                paper_id: c.comment.paper.to_string(),
                paper_title: c.paper_title.clone(),
                body: c.comment.body.clone(),
                html: comment_html(&c.comment.body),
                created_at: c.comment.created_at.to_rfc3339(),
            })
            .collect(),
    })
}

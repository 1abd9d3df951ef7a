//! `/users/{username}`: a member's page: their display name, the papers
//! they are a verified author of, the papers they submitted, the
//! organisations they belong to and their recent visible comments (what
//! `GET /api/users/{username}` answers, [`crate::api::members`]). A member
//! looking at their own page also sees their pending claims, with a form to
//! withdraw each.

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use dailypapers_domain::{ArxivId, ClaimStatus, Listing};

use super::html_cached;
use crate::api::members::profile;
use crate::auth::Viewer;
use crate::markdown::comment_html;
use crate::view::{Card, Layout, Nav, OrgBadge, paper_href};
use crate::{AppError, AppState};

/// Cards of `listings` as `viewer` sees them (their votes marked), with
/// the vote forms sending the browser back to `here`.
pub async fn viewer_cards<'a>(
    state: &AppState,
    viewer: &Viewer,
    listings: impl Iterator<Item = &'a Listing>,
    here: &str,
) -> Result<Vec<Card<'a>>, AppError> {
    let listings: Vec<&Listing> = listings.collect();
    let ids: Vec<ArxivId> = listings.iter().map(|l| l.paper.id.clone()).collect();
    let marks = crate::api::votes::marks(state, viewer, &ids).await?;
    Ok(listings
        .into_iter()
        .map(|l| {
            let mut card = Card::of(l);
            card.for_viewer(viewer, marks.contains(l.paper.id.as_str()), here);
            card
        })
        .collect())
}

/// A recent comment on the page.
pub struct CommentItem {
    pub paper_href: String,
    pub paper_title: String,
    pub html: String,
    pub created: String,
    pub created_iso: String,
}

/// A pending claim of the member's own.
pub struct PendingClaim {
    pub id: u64,
    pub paper_href: String,
    pub paper_title: String,
    pub author: String,
}

#[derive(Template)]
#[template(path = "member.html")]
struct MemberPage<'a> {
    layout: Layout<'a>,
    username: String,
    display_name: Option<String>,
    /// Verified papers, each with the author the member is.
    papers: Vec<(Card<'a>, String)>,
    submissions: Vec<Card<'a>>,
    organizations: Vec<OrgBadge<'a>>,
    comments: Vec<CommentItem>,
    /// Their own pending claims (their own page only).
    pending: Vec<PendingClaim>,
    csrf: String,
}

/// `GET /users/{username}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(username) = raw?;
    let p = profile(&state, &username).await?;
    let here = format!("/users/{}", p.member.username);
    let own = viewer.member.as_ref().is_some_and(|m| m.id == p.member.id);
    let pending = if own {
        state
            .store
            .contributions()
            .member_claims(p.member.id, 100)
            .await?
            .into_iter()
            .filter(|c| c.status == ClaimStatus::Pending)
            .map(|c| PendingClaim {
                id: c.id,
                paper_href: paper_href(c.paper.as_str()),
                paper_title: c.paper_title.chars().take(300).collect(),
                author: c.author,
            })
            .collect()
    } else {
        Vec::new()
    };
    let paper_cards =
        viewer_cards(&state, &viewer, p.papers.iter().map(|a| &a.listing), &here).await?;
    let papers = paper_cards
        .into_iter()
        .zip(p.papers.iter().map(|a| a.author.clone()))
        .collect();
    let submissions = viewer_cards(&state, &viewer, p.submissions.iter(), &here).await?;
    let title = p
        .member
        .display_name
        .clone()
        .unwrap_or_else(|| format!("@{}", p.member.username));
    let mut layout = Layout::new(&state, title, Nav::latest()).for_viewer(&viewer);
    layout.description = format!("@{} on {}", p.member.username, state.config.site_name);
    let page = MemberPage {
        layout,
        username: p.member.username.to_string(),
        display_name: p.member.display_name.clone(),
        papers,
        submissions,
        organizations: p.organizations.iter().map(OrgBadge::of).collect(),
        comments: p
            .comments
            .iter()
            .map(|c| CommentItem {
                paper_href: format!(
                    "{}#comment-{}",
                    paper_href(c.comment.paper.as_str()),
                    c.comment.id
                ),
                paper_title: c.paper_title.chars().take(300).collect(),
                html: comment_html(&c.comment.body),
                created: c.comment.created_at.format("%-d %b %Y").to_string(),
                created_iso: c.comment.created_at.to_rfc3339(),
            })
            .collect(),
        pending,
        csrf: viewer.csrf().unwrap_or_default().to_string(),
    };
    let cache = if viewer.member.is_some() {
        crate::cache::PERSONAL
    } else {
        crate::cache::FEED_CACHE
    };
    Ok(html_cached(page.render()?, cache))
}

//! The organisation pages: `/organizations`, every stored organisation
//! (with the form an admin makes one with), and `/organizations/{name}`,
//! one organisation: its papers as cards, newest feed day first, paged
//! (`?page=`, from 1), and its members; for admins, the forms that link and
//! unlink papers and add and remove members (they post to
//! [`crate::api::organizations`]). An organisation known only from the
//! badges of imported papers has a page too.

use askama::Template;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::Deserialize;

use super::html_cached;
use super::members::viewer_cards;
use crate::api::organizations::{find, manages, org_href};
use crate::auth::Viewer;
use crate::view::{Card, Layout, Nav, OrgBadge};
use crate::{AppError, AppState};

/// Papers on one page of an organisation.
pub const PAPERS_PER_PAGE: u64 = 20;

/// The most organisations the index lists.
pub const MAX_LISTED: u64 = 1_000;

/// A member of the organisation, on its page.
pub struct MemberItem {
    pub username: String,
    pub display_name: Option<String>,
}

#[derive(Template)]
#[template(path = "organization.html")]
struct OrganizationPage<'a> {
    layout: Layout<'a>,
    badge: OrgBadge<'a>,
    href: String,
    cards: Vec<Card<'a>>,
    members: Vec<MemberItem>,
    page: u64,
    prev: Option<String>,
    next: Option<String>,
    /// The admin's CSRF token, for the forms (`None`: not an admin).
    admin_csrf: Option<String>,
}

#[derive(Template)]
#[template(path = "organizations.html")]
struct OrganizationsPage<'a> {
    layout: Layout<'a>,
    badges: Vec<OrgBadge<'a>>,
    admin_csrf: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OrgParams {
    page: Option<String>,
}

fn admin_csrf(viewer: &Viewer) -> Option<String> {
    manages(viewer).then(|| viewer.csrf().unwrap_or_default().to_string())
}

fn cache_for(viewer: &Viewer) -> &'static str {
    if viewer.member.is_some() {
        crate::cache::PERSONAL
    } else {
        crate::cache::FEED_CACHE
    }
}

/// `GET /organizations`.
pub async fn index(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let orgs = state
        .store
        .contributions()
        .organizations(MAX_LISTED)
        .await?;
    let page = OrganizationsPage {
        layout: Layout::new(&state, "Organisations", Nav::latest()).for_viewer(&viewer),
        badges: orgs.iter().map(OrgBadge::of).collect(),
        admin_csrf: admin_csrf(&viewer),
    };
    Ok(html_cached(page.render()?, cache_for(&viewer)))
}

/// `GET /organizations/{name}?page=`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    raw: Result<Path<String>, PathRejection>,
    params: Result<Query<OrgParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Path(name) = raw?;
    let Query(params) = params?;
    let page = crate::api::int_param(
        "page",
        params.page.as_deref(),
        1,
        100_000,
        "a page number from 1",
    )?
    .unwrap_or(1);
    let org = find(&state, &name).await?.ok_or_else(|| {
        AppError::not_found(format!(
            "No organisation {:?} here: no paper carries its badge.",
            name.chars().take(100).collect::<String>()
        ))
    })?;
    let contributions = state.store.contributions();
    let (members, mut listings) = tokio::try_join!(
        contributions.organization_members(&org.name),
        contributions.organization_papers(
            &org.name,
            (page - 1) * PAPERS_PER_PAGE,
            PAPERS_PER_PAGE + 1
        )
    )?;
    let more = listings.len() as u64 > PAPERS_PER_PAGE;
    listings.truncate(PAPERS_PER_PAGE as usize);
    let href = org_href(&org.name);
    let here = if page == 1 {
        href.clone()
    } else {
        format!("{href}?page={page}")
    };
    let cards = viewer_cards(&state, &viewer, listings.iter(), &here).await?;
    let badge = OrgBadge::of(&org);
    let mut layout = Layout::new(&state, badge.fullname.to_string(), Nav::latest())
        .for_viewer(&viewer)
        .with_feeds(&href);
    layout.description = format!("Papers of {} on {}", badge.fullname, state.config.site_name);
    let body = OrganizationPage {
        layout,
        prev: (page > 1).then(|| {
            if page == 2 {
                href.clone()
            } else {
                format!("{href}?page={}", page - 1)
            }
        }),
        next: more.then(|| format!("{href}?page={}", page + 1)),
        href,
        badge,
        cards,
        members: members
            .iter()
            .map(|m| MemberItem {
                username: m.username.to_string(),
                display_name: m.display_name.clone(),
            })
            .collect(),
        page,
        admin_csrf: admin_csrf(&viewer),
    }
    .render()?;
    Ok(html_cached(body, cache_for(&viewer)))
}

//! Authorship on a paper: which authors are verified (an approved claim,
//! linked to the member's page, shown on the paper's page to everyone),
//! and the claim page `GET /papers/{id}/claim`: the viewer's own claim
//! (pending, with a form to withdraw it), or the form a signed-in member
//! claims to be one of the authors with (`POST /api/papers/{id}/claim`).
//! The forms are on a page of their own so that the paper's page is the
//! same for every member (see [`crate::personal`]).

use askama::Template;
use axum::response::Response;
use dailypapers_domain::contribution::author_key;
use dailypapers_domain::{ArxivId, ClaimStatus, Paper};
use dailypapers_store::contributions::Claim;

use super::html_cached;
use crate::auth::Viewer;
use crate::view::{Layout, Nav, paper_href};
use crate::{AppError, AppState};

/// The viewer's open claim on the paper.
pub struct MyClaim {
    pub id: u64,
    pub author: String,
    pub pending: bool,
}

/// What the paper page shows about authorship.
#[derive(Default)]
pub struct Authorship {
    /// The viewer's CSRF token (`None`: nobody signed in by session).
    pub csrf: Option<String>,
    /// The authors the viewer may claim (none while they hold a claim).
    pub claimable: Vec<String>,
    pub mine: Option<MyClaim>,
    /// Where "Log in to claim" sends the browser back to.
    pub login_href: Option<String>,
    /// Where the forms send the browser back to: the claim page.
    pub here: String,
}

/// The username verified as each of `paper`'s visible authors, in the
/// order the page lists them (`None` for an author nobody verified).
pub fn verified(paper: &Paper, claims: &[Claim]) -> Vec<Option<String>> {
    paper
        .authors
        .iter()
        .filter(|a| !a.hidden)
        .map(|a| {
            let key = author_key(&a.name);
            claims
                .iter()
                .find(|c| c.status == ClaimStatus::Approved && author_key(&c.author) == key)
                .map(|c| c.username.to_string())
        })
        .collect()
}

impl Authorship {
    /// The part as `viewer` sees it.
    pub fn of(paper: &Paper, claims: &[Claim], viewer: &Viewer, here: &str) -> Self {
        let Some(me) = viewer.member.as_ref() else {
            return Authorship {
                login_href: Some(format!(
                    "/login?return_to={}",
                    crate::view::url_escape(here)
                )),
                here: here.to_string(),
                ..Authorship::default()
            };
        };
        let mine = claims
            .iter()
            .find(|c| c.member_id == me.id)
            .map(|c| MyClaim {
                id: c.id,
                author: c.author.clone(),
                pending: c.status == ClaimStatus::Pending,
            });
        let claimable = if mine.is_some() {
            Vec::new()
        } else {
            let taken: Vec<String> = claims.iter().map(|c| author_key(&c.author)).collect();
            paper
                .authors
                .iter()
                .filter(|a| !a.hidden && !taken.contains(&author_key(&a.name)))
                .take(dailypapers_domain::limits::AUTHORS)
                .map(|a| {
                    dailypapers_domain::limits::shown(
                        &a.name,
                        dailypapers_domain::limits::AUTHOR_NAME_CHARS,
                    )
                    .into_owned()
                })
                .collect()
        };
        Authorship {
            csrf: viewer.csrf().map(str::to_string),
            claimable,
            mine,
            login_href: None,
            here: here.to_string(),
        }
    }
}

#[derive(Template)]
#[template(path = "paper_claim.html")]
struct ClaimPage<'a> {
    layout: Layout<'a>,
    paper: &'a Paper,
    title: String,
    paper_href: String,
    /// Each visible author and the member verified as them, if any.
    authors: Vec<(String, Option<String>)>,
    authorship: Authorship,
}

/// `GET /papers/{id}/claim`: the paper's authors, who is verified as whom,
/// and the viewer's claim or the form that makes one.
pub async fn page(state: &AppState, viewer: &Viewer, id: &ArxivId) -> Result<Response, AppError> {
    let (listing, claims) = tokio::try_join!(
        async { Ok::<_, AppError>(state.store.listing(id).await?) },
        async { Ok(state.store.contributions().paper_claims(id).await?) },
    )?;
    let listing = listing.ok_or_else(|| AppError::not_found(format!("No paper {id} here.")))?;
    let paper = &listing.paper;
    let here = format!("{}/claim", paper_href(id.as_str()));
    let title =
        dailypapers_domain::limits::shown(&paper.title, dailypapers_domain::limits::TITLE_CHARS)
            .into_owned();
    let authors = paper
        .authors
        .iter()
        .filter(|a| !a.hidden)
        .take(dailypapers_domain::limits::AUTHORS)
        .map(|a| {
            dailypapers_domain::limits::shown(
                &a.name,
                dailypapers_domain::limits::AUTHOR_NAME_CHARS,
            )
            .into_owned()
        })
        .zip(verified(paper, &claims))
        .collect();
    let page = ClaimPage {
        layout: Layout::new(state, format!("Authorship · {title}"), Nav::latest())
            .for_viewer(viewer),
        paper,
        title,
        paper_href: paper_href(id.as_str()),
        authors,
        authorship: Authorship::of(paper, &claims, viewer, &here),
    };
    Ok(html_cached(page.render()?, crate::cache::PERSONAL))
}

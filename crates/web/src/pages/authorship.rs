//! The paper page's authorship part: which authors are verified (an
//! approved claim, linked to the member's page), the viewer's own claim
//! (pending, with a form to withdraw it), and the form a signed-in member
//! claims to be one of the authors with (`POST /api/papers/{id}/claim`).

use dailypapers_domain::contribution::author_key;
use dailypapers_domain::{ClaimStatus, Paper};
use dailypapers_store::contributions::Claim;

use crate::auth::Viewer;

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
                    crate::view::url_escape(&format!("{here}#authors-title"))
                )),
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
        }
    }
}

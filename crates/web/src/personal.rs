//! A page for a signed-in member (a feed page, trending, a paper's page),
//! made from the shared page and the member's marks instead of from the
//! store.
//!
//! These pages differ between members in a few places only: the account
//! menu in the header, each vote button (pressed or not, with the session's
//! CSRF token), and on a paper's page the comment form and what the member
//! may do with each comment (reply, edit and delete their own, hide as an
//! admin). So the handler can render a page once in a *shared* form, where
//! those places are slots (`\x01` + a per-process nonce + what goes there +
//! `\x02`), kept in the response cache beside the anonymous page under the
//! same key and for as long; a member's request then costs the session
//! lookup, one query for which of the page's papers they upvoted, and
//! filling the slots. No text from the store can forge a slot: it would
//! need the nonce, which is random per process and never sent.

use std::collections::HashSet;
use std::sync::OnceLock;

use askama::Template;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use dailypapers_domain::ArxivId;

use crate::auth::Viewer;
use crate::pages::discussion::{CommentActions, CommentForm};
use crate::view::{AccountBar, VoteButton, plural};
use crate::{AppError, AppState};

/// Marks a request whose page is to be rendered in its shared form.
#[derive(Clone, Copy, Debug)]
pub struct SharedPage;

const START: char = '\u{1}';
const END: char = '\u{2}';

fn nonce() -> &'static str {
    static NONCE: OnceLock<String> = OnceLock::new();
    NONCE.get_or_init(|| format!("{:016x}", rand::random::<u64>()))
}

/// The slot of the header's account menu.
pub fn account_slot() -> String {
    format!("{START}{}A{END}", nonce())
}

/// The slot of a vote button: the paper and its count.
pub fn vote_slot(paper: &str, count: &u32) -> String {
    format!("{START}{}V{paper} {count}{END}", nonce())
}

/// The slot of a paper's comment form.
pub fn comment_form_slot(paper: &str) -> String {
    format!("{START}{}F{paper}{END}", nonce())
}

/// The slot of a comment's actions: its paper, id, author and state.
pub fn comment_actions_slot(
    paper: &str,
    id: u64,
    author: u64,
    deleted: bool,
    hidden: bool,
) -> String {
    let flags = match (deleted, hidden) {
        (true, _) => "d",
        (false, true) => "h",
        (false, false) => "-",
    };
    format!("{START}{}K{paper} {id} {author} {flags}{END}", nonce())
}

/// The slots of a shared page, in order: `(start, end, what)` byte ranges
/// of the whole slot and its contents.
fn slots(page: &str) -> Vec<(usize, usize, &str)> {
    let open = format!("{START}{}", nonce());
    let mut out = Vec::new();
    let mut from = 0;
    while let Some(at) = page[from..].find(&open) {
        let start = from + at;
        let body = start + open.len();
        let Some(len) = page[body..].find(END) else {
            break;
        };
        out.push((start, body + len + END.len_utf8(), &page[body..body + len]));
        from = body + len;
    }
    out
}

struct AccountOnly {
    account: Option<AccountBar>,
}

#[derive(Template)]
#[template(path = "account_bar.html")]
struct AccountFill {
    layout: AccountOnly,
}

#[derive(Template)]
#[template(path = "comment_fill.html")]
struct CommentFill {
    actions: Option<CommentActions>,
    form: Option<CommentForm>,
}

/// What a comment slot (`K…`) or comment form slot (`F…`) holds for `viewer`.
fn comment_fill(viewer: &Viewer, what: &str) -> Option<CommentFill> {
    if let Some(paper) = what.strip_prefix('F') {
        return Some(CommentFill {
            actions: None,
            form: Some(CommentForm::of(viewer, paper)),
        });
    }
    let mut parts = what.strip_prefix('K')?.split(' ');
    let (paper, id, author, flags) = (parts.next()?, parts.next()?, parts.next()?, parts.next()?);
    Some(CommentFill {
        actions: CommentActions::of(
            viewer,
            paper,
            id.parse().ok()?,
            author.parse().ok()?,
            flags == "d",
            flags == "h",
        ),
        form: None,
    })
}

#[derive(Template)]
#[template(path = "vote_fill.html")]
struct VoteFill {
    v: VoteButton,
    count: u32,
    label: String,
}

/// The page for `viewer` (a member): `page` (shared) with its slots filled.
/// `here` is where vote forms send the browser back to.
pub async fn fill(
    state: &AppState,
    viewer: &Viewer,
    page: &str,
    here: &str,
    status: StatusCode,
) -> Result<Response, AppError> {
    let found = slots(page);
    let ids: Vec<ArxivId> = found
        .iter()
        .filter_map(|(_, _, what)| what.strip_prefix('V'))
        .filter_map(|v| v.split_once(' ')?.0.parse().ok())
        .collect();
    let marks: HashSet<String> = crate::api::votes::marks(state, viewer, &ids).await?;
    let account = AccountFill {
        layout: AccountOnly {
            account: AccountBar::of(viewer),
        },
    }
    .render()?;
    let mut out = String::with_capacity(page.len() + found.len() * 400);
    let mut at = 0;
    for (start, end, what) in found {
        out.push_str(&page[at..start]);
        if what == "A" {
            out.push_str(&account);
        } else if let Some((paper, count)) = what.strip_prefix('V').and_then(|v| v.split_once(' '))
        {
            let count: u32 = count.parse().unwrap_or(0);
            let fill = VoteFill {
                v: VoteButton::new(viewer, paper, marks.contains(paper), here),
                count,
                label: plural(count as usize, "upvote", "upvotes"),
            };
            out.push_str(&fill.render()?);
        } else if let Some(fill) = comment_fill(viewer, what) {
            out.push_str(&fill.render()?);
        }
        at = end;
    }
    out.push_str(&page[at..]);
    let mut res = Html(out).into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static(crate::cache::PERSONAL),
    );
    *res.status_mut() = status;
    Ok(res)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_are_found_and_forgeries_are_not() {
        let page = format!(
            "<a>{}</a> x {} y \u{1}0000000000000000V2501.00001 9\u{2} {}",
            account_slot(),
            vote_slot("2501.00001", &3),
            vote_slot("hep-th/9901001", &12)
        );
        let found: Vec<&str> = slots(&page).iter().map(|s| s.2).collect();
        assert_eq!(found, vec!["A", "V2501.00001 3", "Vhep-th/9901001 12"]);
        assert!(slots("<p>no slots \u{1}here\u{2}</p>").is_empty());
    }
}

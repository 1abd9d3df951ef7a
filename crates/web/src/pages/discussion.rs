//! A paper's discussion as its page shows it: the thread in reading order,
//! the comment form and each comment's actions (reply, edit, delete, hide),
//! either for one viewer or, on the page rendered once for every member,
//! as slots that [`crate::personal`] fills per request; and the page that
//! edits a comment (`GET /comments/{id}/edit`), which keeps the Markdown
//! out of the shared page.

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;
use dailypapers_store::community::Comment;

use super::html_cached;
use crate::auth::Viewer;
use crate::markdown::comment_html;
use crate::view::{Layout, Nav, paper_href, url_escape};
use crate::{AppError, AppState};

/// At most this many comments are shown on a paper's page (the oldest;
/// the rest are in `GET /api/papers/{id}/comments`).
pub const SHOWN_COMMENTS: usize = 1_000;

/// A comment as the paper page shows it.
pub struct CommentView {
    pub id: u64,
    pub author: String,
    pub author_name: Option<String>,
    /// Sanitised HTML, or `None` when deleted or hidden.
    pub html: Option<String>,
    pub created: String,
    pub created_iso: String,
    pub edited: bool,
    pub deleted: bool,
    pub hidden: bool,
    /// 0 for a comment on the paper, 1 for a reply, and so on (at most 4).
    pub depth: usize,
    /// What the viewer may do with it.
    pub actions: Actions,
}

/// What the viewer may do with a comment, or the slot that says it later.
pub enum Actions {
    /// Nothing (nobody signed in with a session).
    None,
    /// The page is shared by every member: a slot for [`crate::personal`].
    Slot(String),
    For(CommentActions),
}

/// One member's actions on one comment.
pub struct CommentActions {
    pub paper: String,
    pub id: u64,
    pub csrf: String,
    pub can_reply: bool,
    /// The viewer wrote it (may edit and delete it).
    pub own: bool,
    /// The viewer is an admin (may hide or delete it).
    pub moderator: bool,
    pub hidden: bool,
}

impl CommentActions {
    /// `viewer`'s actions on the comment `id` by `author_id`; `None` when
    /// nobody is signed in with a session.
    pub fn of(
        viewer: &Viewer,
        paper: &str,
        id: u64,
        author_id: u64,
        deleted: bool,
        hidden: bool,
    ) -> Option<Self> {
        let me = viewer.member.as_ref()?;
        let csrf = viewer.csrf()?.to_string();
        Some(CommentActions {
            paper: paper.to_string(),
            id,
            csrf,
            can_reply: !deleted,
            own: me.id == author_id && !deleted,
            moderator: me.is_admin() && !deleted,
            hidden,
        })
    }

    /// Where its forms send the browser back to.
    pub fn back(&self) -> String {
        after_change(&self.paper, self.id)
    }
}

/// The form that adds a comment, or the way to it.
pub enum CommentForm {
    /// The page is shared by every member: a slot for [`crate::personal`].
    Slot(String),
    Member {
        paper: String,
        csrf: String,
    },
    Login {
        paper: String,
    },
}

impl CommentForm {
    pub fn of(viewer: &Viewer, paper: &str) -> Self {
        match viewer.csrf() {
            Some(csrf) if viewer.member.is_some() => CommentForm::Member {
                paper: paper.to_string(),
                csrf: csrf.to_string(),
            },
            _ => CommentForm::Login {
                paper: paper.to_string(),
            },
        }
    }

    /// The login link with a way back to the discussion.
    pub fn login_href(paper: &str) -> String {
        format!(
            "/login?return_to={}",
            url_escape(&format!("{}#comments", paper_href(paper)))
        )
    }
}

/// The comments in reading order, each followed by its replies; a reply
/// whose parent is not among them is shown at the top level. `shared`: the
/// actions are slots (see [`crate::personal`]).
pub fn thread(comments: &[Comment], viewer: &Viewer, shared: bool) -> Vec<CommentView> {
    use std::collections::{HashMap, HashSet};
    let shown = &comments[..comments.len().min(SHOWN_COMMENTS)];
    let ids: HashSet<u64> = shown.iter().map(|c| c.id).collect();
    let mut children: HashMap<Option<u64>, Vec<&Comment>> = HashMap::new();
    for c in shown {
        let parent = c.parent_id.filter(|p| ids.contains(p));
        children.entry(parent).or_default().push(c);
    }
    let mut out = Vec::with_capacity(shown.len());
    let mut stack: Vec<(&Comment, usize)> = children
        .get(&None)
        .map(|v| v.iter().rev().map(|c| (*c, 0)).collect())
        .unwrap_or_default();
    while let Some((c, depth)) = stack.pop() {
        let paper = c.paper.as_str();
        let actions = if shared {
            Actions::Slot(crate::personal::comment_actions_slot(
                paper,
                c.id,
                c.author_id,
                c.deleted,
                c.hidden,
            ))
        } else {
            CommentActions::of(viewer, paper, c.id, c.author_id, c.deleted, c.hidden)
                .map_or(Actions::None, Actions::For)
        };
        out.push(CommentView {
            id: c.id,
            author: c.author.to_string(),
            author_name: c.author_name.clone(),
            html: c.visible().then(|| comment_html(&c.body)),
            created: c.created_at.format("%-d %b %Y, %H:%M UTC").to_string(),
            created_iso: c.created_at.to_rfc3339(),
            edited: c.edited_at.is_some(),
            deleted: c.deleted,
            hidden: c.hidden,
            depth: depth.min(4),
            actions,
        });
        if let Some(replies) = children.get(&Some(c.id)) {
            stack.extend(replies.iter().rev().map(|r| (*r, depth + 1)));
        }
    }
    out
}

/// Where a changed comment sends the browser back to: the paper's page,
/// past the shared copy (`?comment=` makes the page anew, so the change is
/// there whichever server answers), at the comment.
pub fn after_change(paper: &str, comment: u64) -> String {
    format!("{}?comment={comment}#comment-{comment}", paper_href(paper))
}

#[derive(Template)]
#[template(path = "comment_edit.html")]
struct EditPage<'a> {
    layout: Layout<'a>,
    id: u64,
    paper: String,
    paper_href: String,
    back: String,
    body: String,
    csrf: String,
}

/// `GET /comments/{id}/edit`: the form that edits one's own comment.
pub async fn edit(
    State(state): State<AppState>,
    viewer: Viewer,
    id: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(id) = id?;
    let member = viewer.require()?;
    let missing = || AppError::not_found("There is no such comment to edit.");
    let id: u64 = id.trim().parse().map_err(|_| missing())?;
    let comment = state
        .store
        .community()
        .comment(id)
        .await?
        .filter(|c| !c.deleted)
        .ok_or_else(missing)?;
    if comment.author_id != member.id {
        return Err(AppError::forbidden("Only its author edits a comment."));
    }
    let page = EditPage {
        layout: Layout::new(&state, "Edit your comment", Nav::latest()).for_viewer(&viewer),
        id,
        paper: comment.paper.to_string(),
        paper_href: paper_href(comment.paper.as_str()),
        back: after_change(comment.paper.as_str(), id),
        body: comment.body,
        csrf: viewer.csrf().unwrap_or_default().to_string(),
    };
    Ok(crate::api::no_store(html_cached(
        page.render()?,
        crate::cache::PERSONAL,
    )))
}

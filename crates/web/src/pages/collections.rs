//! Collection pages: one collection at `/collections/{namespace}/{slug}`
//! (its title, description, owner, and papers in order as cards with their
//! notes; for its owner, the forms to rename it, make it private or public,
//! delete it, and move, annotate or remove each paper), the signed-in
//! member's collections at `/collections` (with a form to make one), and
//! the collections panel of a paper's page (the public collections it is
//! in, and for a member a way to add it to one of theirs or to a new one).
//! Every form posts to the collection API ([`crate::api::collections`]),
//! which answers a form with a 303; titles and notes are plain text,
//! escaped by the templates.

use askama::Template;
use axum::extract::{Path, State};
use axum::response::{IntoResponse, Redirect, Response};
use dailypapers_domain::ArxivId;
use dailypapers_domain::limits::{
    COLLECTION_DESCRIPTION_CHARS, COLLECTION_NOTE_CHARS, COLLECTION_TITLE_CHARS,
    COLLECTIONS_PER_MEMBER,
};
use dailypapers_store::collections::{Collection, CollectionQuery, CollectionSort};

use super::html_cached;
use crate::api::collections::{Access, Named, find, listings_of, page_href};
use crate::auth::Viewer;
use crate::cache::PERSONAL;
use crate::view::{Card, Layout, Nav, paper_href, plural, short_date, url_escape};
use crate::{AppError, AppState};

/// The public collections a paper's page names, at the most.
pub const PAPER_PAGE_COLLECTIONS: u64 = 20;

/// A collection in a list: a link and what it holds.
pub struct CollectionLink {
    pub title: String,
    pub href: String,
    pub owner: String,
    pub private: bool,
    pub description: Option<String>,
    pub count_label: String,
    pub updated: String,
    /// Where a form adds a paper to it.
    pub items_action: String,
    /// It holds the paper of the page (on a paper's page).
    pub holds: bool,
}

impl CollectionLink {
    fn of(c: &Collection) -> Self {
        CollectionLink {
            title: c.title.clone(),
            href: page_href(c),
            owner: c.owner.to_string(),
            private: c.private,
            description: c.description.clone(),
            count_label: plural(c.item_count as usize, "paper", "papers"),
            updated: short_date(c.updated_at.date_naive()),
            items_action: format!("/api/collections/{}/items", c.slug()),
            holds: false,
        }
    }
}

/// A paper of the collection page, beside its card.
pub struct ItemView {
    pub id: String,
    pub note: Option<String>,
    pub position: u32,
    /// The positions the up and down buttons send (none at the ends).
    pub up: Option<u32>,
    pub down: Option<u32>,
}

#[derive(Template)]
#[template(path = "collection.html")]
struct CollectionPage<'a> {
    layout: Layout<'a>,
    title: String,
    description: Option<String>,
    owner: String,
    owner_name: String,
    private: bool,
    theme: String,
    count_label: String,
    updated: String,
    items: Vec<(Card<'a>, ItemView)>,
    /// The owner's CSRF token: the owner's forms are shown with it.
    csrf: Option<String>,
    /// `/api/collections/{slug}`: where the forms post.
    action: String,
    here: String,
    json_href: String,
    title_chars: usize,
    description_chars: usize,
    note_chars: usize,
}

/// `GET /collections/{namespace}/{slug}`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(named): Path<Named>,
) -> Result<Response, AppError> {
    let c = find(&state, &named, viewer.member.as_ref(), Access::Read).await?;
    let here = page_href(&c);
    if format!("/collections/{}/{}", named.namespace, named.slug) != here {
        // A stale or differently written slug: the page lives at one address.
        return Ok(Redirect::permanent(&here).into_response());
    }
    let items = state.store.collection_items(&c.id).await?;
    let listings = listings_of(&state, &items.iter().collect::<Vec<_>>()).await?;
    let ids: Vec<ArxivId> = items.iter().map(|i| i.paper.clone()).collect();
    let marks = crate::api::votes::marks(&state, &viewer, &ids).await?;
    let own = viewer.member.as_ref().is_some_and(|m| m.id == c.owner_id);
    let last = items.len().saturating_sub(1) as u32;
    let entries = items
        .iter()
        .filter_map(|i| {
            let listing = listings.get(&i.doc)?;
            let mut card = Card::of(listing);
            card.for_viewer(&viewer, marks.contains(i.paper.as_str()), &here);
            let view = ItemView {
                id: i.id.clone(),
                note: i.note.clone(),
                position: i.position,
                up: (i.position > 0).then(|| i.position - 1),
                down: (i.position < last).then(|| i.position + 1),
            };
            Some((card, view))
        })
        .collect();
    let mut layout = Layout::new(&state, c.title.clone(), Nav::latest()).for_viewer(&viewer);
    if !c.private {
        layout = layout.with_feeds(&here);
    }
    layout.description = c
        .description
        .clone()
        .unwrap_or_else(|| format!("A collection of papers by @{}", c.owner));
    let page = CollectionPage {
        layout,
        title: c.title.clone(),
        description: c.description.clone(),
        owner: c.owner.to_string(),
        owner_name: c.owner_name.clone().unwrap_or_else(|| c.owner.to_string()),
        private: c.private,
        theme: c.theme.clone(),
        count_label: plural(c.item_count as usize, "paper", "papers"),
        updated: short_date(c.updated_at.date_naive()),
        items: entries,
        csrf: own.then(|| viewer.csrf().map(str::to_string)).flatten(),
        action: format!("/api/collections/{}", c.slug()),
        json_href: format!("/api/collections/{}", c.slug()),
        here,
        title_chars: COLLECTION_TITLE_CHARS,
        description_chars: COLLECTION_DESCRIPTION_CHARS,
        note_chars: COLLECTION_NOTE_CHARS,
    };
    Ok(html_cached(page.render()?, PERSONAL))
}

#[derive(Template)]
#[template(path = "collections.html")]
struct MinePage<'a> {
    layout: Layout<'a>,
    collections: Vec<CollectionLink>,
    csrf: Option<String>,
    can_create: bool,
    most: usize,
    title_chars: usize,
    description_chars: usize,
}

/// `GET /collections`: the signed-in member's collections, in their order.
pub async fn mine(State(state): State<AppState>, viewer: Viewer) -> Result<Response, AppError> {
    let Some(me) = viewer.member.as_ref() else {
        return Ok(Redirect::to("/login?return_to=%2Fcollections").into_response());
    };
    let found = state
        .store
        .list_collections(&CollectionQuery {
            owner: Some(me.username.to_string()),
            viewer: Some(me.id),
            sort: CollectionSort::Position,
            limit: COLLECTIONS_PER_MEMBER as u64,
            ..CollectionQuery::default()
        })
        .await?;
    let page = MinePage {
        layout: Layout::new(&state, "Your collections", Nav::latest()).for_viewer(&viewer),
        can_create: found.len() < COLLECTIONS_PER_MEMBER,
        collections: found.iter().map(|(c, _)| CollectionLink::of(c)).collect(),
        csrf: viewer.csrf().map(str::to_string),
        most: COLLECTIONS_PER_MEMBER,
        title_chars: COLLECTION_TITLE_CHARS,
        description_chars: COLLECTION_DESCRIPTION_CHARS,
    };
    Ok(html_cached(page.render()?, PERSONAL))
}

/// The collections part of a paper's page.
#[derive(Default)]
pub struct PaperCollections {
    pub paper: String,
    /// Public collections holding the paper, most recently changed first.
    pub public: Vec<CollectionLink>,
    /// The viewer's collections, each marked when it holds the paper.
    pub mine: Vec<CollectionLink>,
    /// The viewer's CSRF token (none: not signed in with a session).
    pub csrf: Option<String>,
    pub login_href: String,
    pub here: String,
    pub title_chars: usize,
}

/// The collections holding `paper` that `viewer` (a member's id, or
/// nobody) may see, most recently changed first.
fn holding(paper: &ArxivId, viewer: Option<u64>, limit: u64) -> CollectionQuery {
    CollectionQuery {
        paper: Some(paper.clone()),
        viewer,
        limit,
        ..CollectionQuery::default()
    }
}

/// The public collections holding `paper`, as a paper's page names them
/// (the same for everyone, so the page can be shared).
pub async fn public_holding(
    state: &AppState,
    paper: &ArxivId,
) -> Result<Vec<CollectionLink>, AppError> {
    let public = state
        .store
        .list_collections(&holding(paper, None, PAPER_PAGE_COLLECTIONS))
        .await?;
    Ok(public.iter().map(|(c, _)| CollectionLink::of(c)).collect())
}

#[derive(Template)]
#[template(path = "paper_collect.html")]
struct CollectPage<'a> {
    layout: Layout<'a>,
    title: String,
    paper_href: String,
    collections: PaperCollections,
}

/// `GET /papers/{id}/collections`: the public collections holding a paper,
/// and for a member their own, each with a button that adds the paper, and
/// a form that makes a new one with it.
pub async fn paper_page(
    state: &AppState,
    viewer: &Viewer,
    paper: &ArxivId,
) -> Result<Response, AppError> {
    let listing = state
        .store
        .listing(paper)
        .await?
        .ok_or_else(|| AppError::not_found(format!("No paper {paper} here.")))?;
    let title = dailypapers_domain::limits::shown(
        &listing.paper.title,
        dailypapers_domain::limits::TITLE_CHARS,
    )
    .into_owned();
    let page = CollectPage {
        layout: Layout::new(state, format!("Collections · {title}"), Nav::latest())
            .for_viewer(viewer),
        title,
        paper_href: paper_href(paper.as_str()),
        collections: paper_panel(state, viewer, paper).await?,
    };
    Ok(html_cached(page.render()?, PERSONAL))
}

/// The collections of a paper for `viewer`: the public ones holding it,
/// and the member's own, each marked when it holds it.
pub async fn paper_panel(
    state: &AppState,
    viewer: &Viewer,
    paper: &ArxivId,
) -> Result<PaperCollections, AppError> {
    let here = format!("{}/collections", paper_href(paper.as_str()));
    let mut panel = PaperCollections {
        paper: paper.to_string(),
        public: public_holding(state, paper).await?,
        mine: Vec::new(),
        csrf: viewer.csrf().map(str::to_string),
        login_href: format!("/login?return_to={}", url_escape(&here)),
        here,
        title_chars: COLLECTION_TITLE_CHARS,
    };
    if let Some(me) = &viewer.member
        && panel.csrf.is_some()
    {
        let own = CollectionQuery {
            owner: Some(me.username.to_string()),
            viewer: Some(me.id),
            sort: CollectionSort::Position,
            limit: COLLECTIONS_PER_MEMBER as u64,
            ..CollectionQuery::default()
        };
        // Only the member's own: others' public ones holding the paper must
        // not push theirs past the limit.
        let with_paper = CollectionQuery {
            owner: Some(me.username.to_string()),
            ..holding(paper, Some(me.id), COLLECTIONS_PER_MEMBER as u64)
        };
        let (mine, holds) = tokio::try_join!(
            state.store.list_collections(&own),
            state.store.list_collections(&with_paper),
        )?;
        let holds: std::collections::HashSet<&str> =
            holds.iter().map(|(c, _)| c.id.as_str()).collect();
        panel.mine = mine
            .iter()
            .map(|(c, _)| CollectionLink {
                holds: holds.contains(c.id.as_str()),
                ..CollectionLink::of(c)
            })
            .collect();
    }
    Ok(panel)
}

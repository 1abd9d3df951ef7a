//! A paper's page, `/papers/{id}`: title, authors, abstract, categories,
//! dates, links (arXiv, PDF, code, project page), organisation, upvotes and
//! the feed day it was listed on, and the papers most similar in meaning.
//! Any id form arXiv uses is accepted, as is an arXiv URL (`/papers/https://arxiv.org/abs/2104.12255v2`); a
//! non-canonical address (`2104.12255v2`, a trailing slash, a URL)
//! redirects (301) to the canonical one, `/papers/2104.12255`.
//! Every field is shown within [`dailypapers_domain::limits`], so a paper
//! stored before the limits existed still makes a page of normal size.

use std::borrow::Cow;

use askama::Template;
use axum::extract::rejection::PathRejection;
use axum::extract::{Extension, Path, Request, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use dailypapers_domain::limits::{self, shown};
use dailypapers_domain::{ArxivId, ArxivIdError, FeedEntry, Listing, Paper};

use super::discussion::{Actions, CommentForm, CommentView, SHOWN_COMMENTS, thread};
use super::html_cached;
use crate::auth::Viewer;
use crate::cache::FEED_CACHE;
use crate::personal::SharedPage;
use crate::view::{
    Card, Layout, Nav, OrgBadge, VoteButton, compact, day_href, excerpt, github_label, paper_href,
    plural, safe_url, short_date,
};
use crate::{AppError, AppState, WebConfig};

/// How many similar papers a paper's page shows.
pub const SIMILAR_CARDS: usize = 6;

/// `GET /papers/{*id}`: the page; `{id}.md` (or `Accept: text/markdown`)
/// the paper as Markdown; `{id}/claim` and `{id}/collections` the pages
/// where a member claims authorship and adds the paper to a collection.
/// Rendered once for every member when `shared` (see [`crate::personal`]).
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    shared: Option<Extension<SharedPage>>,
    headers: axum::http::HeaderMap,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(raw) = raw?;
    if let Some(id) = raw.strip_suffix(".md") {
        return markdown(&state, &id_from_path(id)?).await;
    }
    if wants_markdown(&headers) {
        return markdown(&state, &id_from_path(&raw)?).await;
    }
    if let Some(id) = raw.strip_suffix("/claim") {
        return super::authorship::page(&state, &viewer, &id_from_path(id)?).await;
    }
    if let Some(id) = raw.strip_suffix("/collections") {
        return super::collections::paper_page(&state, &viewer, &id_from_path(id)?).await;
    }
    let id = id_from_path(&raw)?;
    if raw != id.as_str() {
        let location = paper_href(id.as_str());
        return Ok((
            StatusCode::MOVED_PERMANENTLY,
            [(header::LOCATION, location)],
        )
            .into_response());
    }
    let shared = shared.is_some();
    let listing = state.store.listing(&id).await?.ok_or_else(|| {
        AppError::not_found(format!(
            "No paper {id} here: it has not been imported into this instance. \
             It may be on arXiv at {}",
            id.abs_url()
        ))
    })?;
    // Similar papers are a garnish: a failure leaves them out, not the page.
    let similar = match state.search.similar(&id, SIMILAR_CARDS).await {
        Ok(found) => found.unwrap_or_default(),
        Err(e) => {
            tracing::warn!(error = %e, paper = %id, "similar papers failed");
            Vec::new()
        }
    };
    let here = paper_href(id.as_str());
    let mut ids = vec![id.clone()];
    ids.extend(similar.iter().map(|(l, _)| l.paper.id.clone()));
    let (marks, comments, claims, public_collections) = tokio::try_join!(
        crate::api::votes::marks(&state, &viewer, &ids),
        async {
            let most = u32::try_from(SHOWN_COMMENTS + 1).unwrap_or(u32::MAX);
            Ok(state.store.community().comments(&id, 0, most).await?)
        },
        async { Ok(state.store.contributions().paper_claims(&id).await?) },
        super::collections::public_holding(&state, &id),
    )?;
    let mut page = PaperPage::new(&state, &listing);
    page.layout = page.layout.for_viewer(&viewer).shared(shared);
    page.vote = VoteButton::new(&viewer, id.as_str(), marks.contains(id.as_str()), &here);
    page.vote.shared = shared;
    page.similar = similar
        .iter()
        .map(|(l, _)| {
            let mut card = Card::of(l);
            card.for_viewer(&viewer, marks.contains(l.paper.id.as_str()), &here);
            card.vote.shared = shared;
            card
        })
        .collect();
    page.comment_count = plural(
        comments.iter().filter(|c| c.visible()).count(),
        "comment",
        "comments",
    );
    page.comments_cut = comments.len() > SHOWN_COMMENTS;
    page.comments = thread(&comments, &viewer, shared);
    page.comment_form = if shared {
        CommentForm::Slot(crate::personal::comment_form_slot(id.as_str()))
    } else {
        CommentForm::of(&viewer, id.as_str())
    };
    for (item, user) in page
        .authors
        .iter_mut()
        .zip(super::authorship::verified(&listing.paper, &claims))
    {
        item.verified = user;
    }
    page.public_collections = public_collections;
    let cache = if viewer.member.is_some() {
        crate::cache::PERSONAL
    } else {
        FEED_CACHE
    };
    let mut res = html_cached(page.render()?, cache);
    // The same address answers Markdown to `Accept: text/markdown`.
    res.headers_mut()
        .append(header::VARY, axum::http::HeaderValue::from_static("Accept"));
    Ok(res)
}

/// Whether a request asks for the paper as Markdown.
fn wants_markdown(headers: &axum::http::HeaderMap) -> bool {
    headers
        .get(header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim().starts_with("text/markdown")))
}

/// The response cache key of a paper's page: its canonical address, for
/// the page itself only (not its Markdown, its sub-pages, an address that
/// redirects, or `?comment=`, which asks for the page anew after a change
/// to its discussion, so the change is there whichever server answers).
pub fn key(req: &Request, _: &WebConfig) -> Option<String> {
    let raw = req.uri().path().strip_prefix("/papers/")?;
    if raw.ends_with(".md")
        || raw.ends_with("/claim")
        || raw.ends_with("/collections")
        || wants_markdown(req.headers())
        || req
            .uri()
            .query()
            .is_some_and(|q| q.split('&').any(|p| p.starts_with("comment=")))
    {
        return None;
    }
    let id = id_from_path(raw).ok()?;
    (raw == id.as_str()).then(|| paper_href(id.as_str()))
}

/// `GET /papers/{id}.md` (or the page with `Accept: text/markdown`): the
/// paper as Markdown, which `HfApi.read_paper` reads: title, authors,
/// links, the AI summary and the abstract, all as text (Markdown's own
/// characters in them escaped).
async fn markdown(state: &AppState, id: &ArxivId) -> Result<Response, AppError> {
    let listing = state
        .store
        .listing(id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("No paper {id} here")))?;
    let p = &listing.paper;
    let text = |s: &str| escape_markdown(&shown(s, limits::ABSTRACT_CHARS));
    let mut out = format!(
        "# {}

",
        text(&p.title)
    );
    let authors: Vec<String> = p
        .authors
        .iter()
        .filter(|a| !a.hidden)
        .map(|a| text(&a.name))
        .collect();
    if !authors.is_empty() {
        out.push_str(&format!(
            "**Authors:** {}

",
            authors.join(", ")
        ));
    }
    out.push_str(&format!(
        "**arXiv:** [{id}]({}) · [PDF]({}) · {} upvotes

",
        id.abs_url(),
        id.pdf_url(),
        listing.upvotes()
    ));
    if let Some(ai) = p.ai_summary.as_deref() {
        out.push_str(&format!(
            "## AI-generated summary

{}

",
            text(ai)
        ));
    }
    out.push_str(&format!(
        "## Abstract

{}
",
        text(&p.summary)
    ));
    let mut res = (
        [(header::CONTENT_TYPE, "text/markdown; charset=utf-8")],
        out,
    )
        .into_response();
    res.headers_mut().insert(
        header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static(FEED_CACHE),
    );
    res.headers_mut()
        .insert(header::VARY, axum::http::HeaderValue::from_static("Accept"));
    Ok(res)
}

/// Text with Markdown's syntax characters escaped, so a title or an
/// abstract reads as written and makes no links, images or HTML.
fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if "\\`*_{}[]()<>#+-!|~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// The paper an address names: any form [`ArxivId::parse`] accepts, with
/// trailing slashes ignored and a URL whose `//` a client or proxy merged
/// into one (`https:/arxiv.org/abs/…`) mended.
pub fn id_from_path(raw: &str) -> Result<ArxivId, ArxivIdError> {
    let s = raw.trim().trim_end_matches('/');
    if let Some((scheme, rest)) = s.split_once(":/") {
        let web = scheme.eq_ignore_ascii_case("https") || scheme.eq_ignore_ascii_case("http");
        if web && !rest.starts_with('/') {
            return ArxivId::parse(&format!("{scheme}://{rest}"));
        }
    }
    ArxivId::parse(s)
}

/// An author line on the paper page.
pub struct AuthorItem<'a> {
    pub name: Cow<'a, str>,
    pub affiliation: Option<Cow<'a, str>>,
    /// The username of the member verified as this author, if any.
    pub verified: Option<String>,
}

/// A category chip.
pub struct CategoryItem<'a> {
    pub name: Cow<'a, str>,
    pub primary: bool,
}

/// A labelled fact in the details list.
pub struct Detail {
    pub label: &'static str,
    pub text: String,
    pub href: Option<String>,
}

/// The feed listing, as the page shows it.
pub struct FeedInfo<'a> {
    pub day_href: String,
    pub day_label: String,
    pub day_iso: String,
    pub submitter: Option<Cow<'a, str>>,
    pub submitter_handle: Option<Cow<'a, str>>,
    pub comments: String,
}

#[derive(Template)]
#[template(path = "paper.html")]
pub struct PaperPage<'a> {
    layout: Layout<'a>,
    paper: &'a Paper,
    title: Cow<'a, str>,
    summary: Cow<'a, str>,
    ai_summary: Option<Cow<'a, str>>,
    ai_keywords: Vec<Cow<'a, str>>,
    abs_url: String,
    pdf_url: String,
    json_href: String,
    authors: Vec<AuthorItem<'a>>,
    author_count: String,
    categories: Vec<CategoryItem<'a>>,
    org: Option<OrgBadge<'a>>,
    upvotes: u32,
    upvotes_label: String,
    github: Option<&'a str>,
    github_label: &'a str,
    github_stars: Option<String>,
    project_page: Option<&'a str>,
    details: Vec<Detail>,
    feed: Option<FeedInfo<'a>>,
    similar: Vec<Card<'a>>,
    vote: VoteButton,
    comments: Vec<CommentView>,
    /// More comments than the page shows.
    comments_cut: bool,
    comment_count: String,
    comment_form: CommentForm,
    /// Where members claim authorship and add the paper to a collection.
    claim_href: String,
    collect_href: String,
    /// Public collections holding the paper.
    public_collections: Vec<super::collections::CollectionLink>,
}

impl<'a> PaperPage<'a> {
    fn new(state: &'a AppState, listing: &'a Listing) -> Self {
        let paper = &listing.paper;
        let nav = match &listing.entry {
            Some(e) => Nav::around(e.feed_day, None),
            None => Nav::latest(),
        };
        let title = shown(&paper.title, limits::TITLE_CHARS);
        let mut layout = Layout::new(state, title.clone().into_owned(), nav);
        layout.description = excerpt(&paper.summary, 160);
        let authors: Vec<AuthorItem> = paper
            .authors
            .iter()
            .filter(|a| !a.hidden)
            .take(limits::AUTHORS)
            .map(|a| AuthorItem {
                name: shown(&a.name, limits::AUTHOR_NAME_CHARS),
                affiliation: a
                    .affiliation
                    .as_deref()
                    .filter(|s| !s.is_empty())
                    .map(|s| shown(s, limits::AFFILIATION_CHARS)),
                verified: None,
            })
            .collect();
        let github = safe_url(paper.github_repo.as_deref());
        let upvotes = listing.upvotes();
        PaperPage {
            layout,
            title,
            summary: shown(&paper.summary, limits::ABSTRACT_CHARS),
            ai_summary: paper
                .ai_summary
                .as_deref()
                .map(|s| shown(s, limits::AI_SUMMARY_CHARS)),
            ai_keywords: paper
                .ai_keywords
                .iter()
                .take(limits::AI_KEYWORDS)
                .map(|k| shown(k, limits::AI_KEYWORD_CHARS))
                .collect(),
            abs_url: paper.id.abs_url(),
            pdf_url: paper.id.pdf_url(),
            json_href: format!("/api/papers/{}", paper.id),
            author_count: plural(authors.len(), "author", "authors"),
            authors,
            categories: paper
                .categories
                .iter()
                .take(limits::CATEGORIES)
                .enumerate()
                .map(|(i, c)| CategoryItem {
                    name: shown(c, limits::CATEGORY_CHARS),
                    primary: i == 0,
                })
                .collect(),
            org: listing.organization().map(OrgBadge::of),
            upvotes,
            upvotes_label: plural(upvotes as usize, "upvote", "upvotes"),
            github,
            github_label: github.map(github_label).unwrap_or_default(),
            github_stars: paper.github_stars.map(compact),
            project_page: safe_url(paper.project_page.as_deref()),
            details: details(paper),
            feed: listing.entry.as_ref().map(feed_info),
            similar: Vec::new(),
            vote: VoteButton {
                paper: paper.id.as_str().to_string(),
                return_to: paper_href(paper.id.as_str()),
                ..VoteButton::default()
            },
            comments: Vec::new(),
            comments_cut: false,
            comment_count: String::new(),
            comment_form: CommentForm::Login {
                paper: paper.id.as_str().to_string(),
            },
            claim_href: format!("{}/claim", paper_href(paper.id.as_str())),
            collect_href: format!("{}/collections", paper_href(paper.id.as_str())),
            public_collections: Vec::new(),
            paper,
        }
    }
}

fn feed_info(e: &FeedEntry) -> FeedInfo<'_> {
    let submitter = e.submitted_by.as_ref();
    FeedInfo {
        day_href: day_href(e.feed_day),
        day_label: e.feed_day.format("%A, %-d %B %Y").to_string(),
        day_iso: e.feed_day.format("%Y-%m-%d").to_string(),
        submitter: submitter.map(|s| {
            let name = s.fullname.as_deref().unwrap_or(&s.user);
            shown(name, limits::DISPLAY_NAME_CHARS)
        }),
        submitter_handle: submitter.map(|s| shown(&s.user, limits::IDENTIFIER_CHARS)),
        comments: plural(e.num_comments as usize, "comment", "comments"),
    }
}

fn details(paper: &Paper) -> Vec<Detail> {
    let mut out = Vec::new();
    let mut push =
        |label, text: String, href: Option<String>| out.push(Detail { label, text, href });
    if let Some(t) = paper.published_at {
        push("Published", short_date(t.date_naive()), None);
    }
    if let Some(t) = paper.updated_at.filter(|t| Some(*t) != paper.published_at) {
        push("Updated", short_date(t.date_naive()), None);
    }
    if let Some(v) = paper.version {
        push("Version", format!("v{v}"), None);
    }
    let text = |s: &str, limit| shown(s, limit).into_owned();
    if let Some(doi) = paper
        .doi
        .as_deref()
        .filter(|d| d.len() <= limits::IDENTIFIER_CHARS)
    {
        push(
            "DOI",
            doi.to_string(),
            Some(format!("https://doi.org/{doi}")),
        );
    }
    if let Some(j) = paper.journal_ref.as_deref() {
        push("Journal ref", text(j, limits::JOURNAL_REF_CHARS), None);
    }
    if let Some(c) = paper.comments.as_deref() {
        push("Comments", text(c, limits::COMMENTS_CHARS), None);
    }
    if let Some(l) = paper
        .license
        .as_deref()
        .filter(|l| l.len() <= limits::URL_CHARS)
    {
        let text = l
            .trim_start_matches("https://")
            .trim_start_matches("http://")
            .trim_end_matches('/')
            .to_string();
        push("Licence", text, safe_url(Some(l)).map(str::to_string));
    }
    out
}

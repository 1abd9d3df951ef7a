//! Collections, in the routes and JSON shapes of the Hugging Face
//! collection API, as the official `huggingface_hub` client sends and reads
//! them (`HfApi.create_collection`, `get_collection`, `list_collections`,
//! `update_collection_metadata`, `delete_collection`, `add_collection_item`,
//! `update_collection_item`, `delete_collection_item`):
//!
//! - `GET /api/collections?owner=&item=papers/ID&sort=&limit=&p=`: public
//!   collections (and the asker's own private ones), each with its first
//!   four papers and without `position` (the client numbers them itself),
//!   with a `Link: <…>; rel="next"` header while there are more;
//! - `POST /api/collections` `{title, namespace?, description?, private?}`:
//!   a new collection; the same title twice is a 409 carrying the existing
//!   `slug` (so `exists_ok=True` works);
//! - `GET|PATCH|DELETE /api/collections/{namespace}/{slug}`: one collection
//!   (PATCH answers `{"data": …}`);
//! - `POST /api/collections/{namespace}/{slug}/items` `{item: {id, type},
//!   note?}`: a paper at the end (only `type: "paper"`);
//! - `PATCH|DELETE /api/collections/{namespace}/{slug}/items/{item_object_id}`:
//!   an item's note or place, or its removal.
//!
//! Slugs are `owner/title-words-<24 hex id>`; the id finds the collection,
//! so a slug from before a rename still works. A private collection is a
//! 404 to everyone but its owner, whatever they ask; someone else's public
//! one is a 403 to change. HTML forms post to the same addresses (`POST` on
//! a collection or an item, with `action=delete` to delete) and get a 303.

use std::collections::HashMap;

use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{SecondsFormat, Utc};
use dailypapers_domain::collection::{
    DEFAULT_THEME, id_of_slug, parse_description, parse_note, parse_theme,
};
use dailypapers_domain::limits::{COLLECTION_ITEMS, COLLECTIONS_PER_MEMBER};
use dailypapers_domain::{ArxivId, CollectionTitle, Listing};
use dailypapers_store::collections::{
    AddRefusal, ChangeRefusal, Collection, CollectionChange, CollectionItem, CollectionQuery,
    CollectionSort, CreateRefusal, ItemChange, NewCollection, NewItem,
};
use dailypapers_store::community::Member;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use super::hf_json::synthetic_id;
use super::{json, no_store};
use crate::auth::{Act, Body, Viewer};
use crate::forwarded::LinkBase;
use crate::pages::paper::id_from_path;
use crate::{AppError, AppState};

/// Collections per page of a list, at the most.
pub const LIST_PAGE: u64 = 100;
/// Collections per page of a list without `limit`.
pub const DEFAULT_LIST_LIMIT: u64 = 30;
/// Papers shown with each collection of a list (upstream's number).
pub const LIST_ITEMS: u32 = 4;

/// A value as a client sent it (JSON of any type, or a form's text), kept
/// as sent so that the handler refuses a wrong one by the field's name.
#[derive(Clone, Debug, Deserialize)]
#[serde(untagged)]
pub enum Sent {
    Bool(bool),
    Int(i64),
    Text(String),
    Other(serde_json::Value),
}

impl Sent {
    /// A yes or no: JSON `true`/`false`, or a form's `true`, `on`, `1`…
    fn flag(name: &str, sent: Option<&Sent>) -> Result<Option<bool>, AppError> {
        let yes = match sent {
            None => return Ok(None),
            Some(Sent::Bool(b)) => *b,
            Some(Sent::Text(t)) => match t.trim().to_ascii_lowercase().as_str() {
                "true" | "on" | "1" | "yes" => true,
                "false" | "off" | "0" | "no" | "" => false,
                _ => return Err(Self::wrong(name, "true or false", sent)),
            },
            Some(_) => return Err(Self::wrong(name, "true or false", sent)),
        };
        Ok(Some(yes))
    }

    /// A place in a list, from 0.
    fn position(name: &str, sent: Option<&Sent>) -> Result<Option<u32>, AppError> {
        let n = match sent {
            None => return Ok(None),
            Some(Sent::Int(n)) => u32::try_from(*n).ok(),
            Some(Sent::Text(t)) => t.trim().parse::<u32>().ok(),
            Some(_) => None,
        };
        n.map(Some)
            .ok_or_else(|| Self::wrong(name, "a whole number from 0", sent))
    }

    fn wrong(name: &str, expected: &str, sent: Option<&Sent>) -> AppError {
        let got = match sent {
            Some(Sent::Bool(b)) => b.to_string(),
            Some(Sent::Int(n)) => n.to_string(),
            Some(Sent::Text(t)) => format!("{:?}", t.chars().take(40).collect::<String>()),
            Some(Sent::Other(v)) => v.to_string().chars().take(40).collect(),
            None => String::new(),
        };
        AppError::bad_request(format!("{name}: expected {expected} (got {got})"))
    }
}

/// The owner, as upstream writes a user.
#[derive(Serialize, ToSchema)]
pub struct HfOwner {
    #[serde(rename = "_id")]
    pub id: String,
    /// The username.
    pub name: String,
    pub fullname: String,
    /// Always `user`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    #[serde(rename = "isPro")]
    pub is_pro: bool,
}

/// An item's note: the text as written, and as (escaped) HTML.
#[derive(Serialize, ToSchema)]
pub struct HfNote {
    pub text: String,
    pub html: String,
}

/// A paper in a collection (`CollectionItem` in the client).
#[derive(Serialize, ToSchema)]
pub struct HfItem {
    /// The item's own id (`item_object_id`), 24 hexadecimal digits.
    #[serde(rename = "_id")]
    pub object_id: String,
    /// The paper's arXiv id.
    pub id: String,
    /// Always `paper`.
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub position: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<HfNote>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub title: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub upvotes: Option<u32>,
    #[serde(rename = "publishedAt", skip_serializing_if = "Option::is_none")]
    pub published_at: Option<String>,
    #[serde(rename = "numComments", skip_serializing_if = "Option::is_none")]
    pub num_comments: Option<u32>,
}

/// A collection (`Collection` in the client).
#[derive(Serialize, ToSchema)]
pub struct HfCollection {
    /// `owner/title-words-id`.
    pub slug: String,
    pub title: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub description: Option<String>,
    pub owner: HfOwner,
    pub items: Vec<HfItem>,
    #[serde(rename = "lastUpdated")]
    pub last_updated: String,
    /// Its place in the owner's list: in answers about one collection, not
    /// in lists (the client numbers those itself).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<u32>,
    pub private: bool,
    pub theme: String,
    /// Collections here have no upvotes: always 0.
    pub upvotes: u32,
    #[serde(rename = "isUpvotedByUser")]
    pub is_upvoted_by_user: bool,
    pub gating: bool,
}

/// `PATCH /api/collections/{namespace}/{slug}`'s answer.
#[derive(Serialize, ToSchema)]
pub struct HfUpdated {
    pub data: HfCollection,
}

/// What a deletion answers.
#[derive(Serialize, ToSchema)]
pub struct Deleted {
    pub deleted: bool,
}

/// A 409 for a title in use: the collection that has it.
#[derive(Serialize, ToSchema)]
pub struct TitleTaken {
    pub error: String,
    pub slug: String,
}

impl From<dailypapers_domain::CollectionError> for AppError {
    fn from(e: dailypapers_domain::CollectionError) -> Self {
        AppError::BadRequest(e.to_string())
    }
}

/// Note text as HTML: escaped, line breaks kept.
pub fn note_html(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    for c in text.chars() {
        match c {
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("<br>"),
            c => out.push(c),
        }
    }
    out
}

fn hf_owner(c: &Collection) -> HfOwner {
    HfOwner {
        id: synthetic_id(&["member", &c.owner_id.to_string()]),
        name: c.owner.to_string(),
        fullname: c.owner_name.clone().unwrap_or_else(|| c.owner.to_string()),
        kind: "user",
        is_pro: false,
    }
}

fn hf_item(item: &CollectionItem, listing: Option<&Listing>) -> HfItem {
    let paper = listing.map(|l| &l.paper);
    HfItem {
        object_id: item.id.clone(),
        id: item.paper.to_string(),
        kind: "paper",
        position: item.position,
        note: item.note.as_ref().map(|t| HfNote {
            html: note_html(t),
            text: t.clone(),
        }),
        title: paper.map(|p| p.title.clone()),
        upvotes: listing.map(Listing::upvotes),
        published_at: paper
            .and_then(|p| p.published_at)
            .map(|t| t.to_rfc3339_opts(SecondsFormat::Millis, true)),
        num_comments: listing
            .map(|l| l.entry.as_ref().map_or(0, |e| e.num_comments) + l.engagement.comments),
    }
}

/// The papers of `items` by document number, read at once.
pub async fn listings_of(
    state: &AppState,
    items: &[&CollectionItem],
) -> Result<HashMap<u64, Listing>, AppError> {
    let docs: Vec<u64> = items.iter().map(|i| i.doc).collect();
    if docs.is_empty() {
        return Ok(HashMap::new());
    }
    Ok(state
        .store
        .listings_by_doc(&docs)
        .await?
        .into_iter()
        .collect())
}

fn hf_collection(
    c: &Collection,
    items: &[CollectionItem],
    listings: &HashMap<u64, Listing>,
    position: bool,
) -> HfCollection {
    HfCollection {
        slug: c.slug(),
        title: c.title.clone(),
        description: c.description.clone(),
        owner: hf_owner(c),
        items: items
            .iter()
            .map(|i| hf_item(i, listings.get(&i.doc)))
            .collect(),
        last_updated: c.updated_at.to_rfc3339_opts(SecondsFormat::Millis, true),
        position: position.then_some(c.position),
        private: c.private,
        theme: c.theme.clone(),
        upvotes: 0,
        is_upvoted_by_user: false,
        gating: false,
    }
}

/// One collection with all its papers, as `get_collection` reads it.
async fn whole(state: &AppState, c: &Collection) -> Result<HfCollection, AppError> {
    let items = state.store.collection_items(&c.id).await?;
    let listings = listings_of(state, &items.iter().collect::<Vec<_>>()).await?;
    Ok(hf_collection(c, &items, &listings, true))
}

/// What a request does with a collection it found.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Access {
    Read,
    Change,
}

/// The collection an address names: `…/{namespace}/{slug}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct Named {
    /// The owner's username.
    pub namespace: String,
    /// `title-words-<24 hex id>`: the id finds it.
    pub slug: String,
}

impl Named {
    fn missing(&self) -> AppError {
        AppError::not_found(format!(
            "collection {}/{} not found",
            self.namespace, self.slug
        ))
    }
}

/// An item of a collection: `…/{namespace}/{slug}/items/{item_object_id}`.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Path)]
pub struct NamedItem {
    /// The owner's username.
    pub namespace: String,
    /// `title-words-<24 hex id>`.
    pub slug: String,
    /// The item's `_id`.
    pub item_object_id: String,
}

/// The collection `named` names, if `member` may see it (else 404, the
/// same as when there is none) and, to change it, owns it (else 403).
pub async fn find(
    state: &AppState,
    named: &Named,
    member: Option<&Member>,
    access: Access,
) -> Result<Collection, AppError> {
    let id = id_of_slug(&named.slug).ok_or_else(|| named.missing())?;
    let c = state
        .store
        .collection(&id)
        .await?
        .filter(|c| c.owner.as_str().eq_ignore_ascii_case(&named.namespace))
        .ok_or_else(|| named.missing())?;
    let own = member.is_some_and(|m| m.id == c.owner_id);
    if c.private && !own {
        return Err(named.missing());
    }
    if access == Access::Change && !own {
        return Err(AppError::forbidden("this is not your collection"));
    }
    Ok(c)
}

/// The collection's page.
pub fn page_href(c: &Collection) -> String {
    format!("/collections/{}", c.slug())
}

/// A form's answer: a 303 to its `return_to`, else to `fallback`.
fn back<T>(body: &Body<T>, fallback: String) -> Response {
    let to = body.return_to.clone().unwrap_or(fallback);
    Redirect::to(&to).into_response()
}

// ---------------------------------------------------------------------------
// Lists

/// A list's parameters (each at most once).
#[derive(Debug, Default, PartialEq, Eq)]
struct ListParams {
    owner: Option<String>,
    /// `None` with `other_item`: an item of a kind this instance holds none of.
    paper: Option<ArxivId>,
    other_item: bool,
    sort: CollectionSort,
    limit: Option<u64>,
    page: u64,
    /// The parameters as given, for the next page's link.
    raw: Vec<(String, String)>,
}

fn parse_list(query: Option<&str>) -> Result<ListParams, AppError> {
    let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query.unwrap_or(""))
        .map_err(|e| AppError::bad_request(format!("malformed query string: {e}")))?;
    let mut out = ListParams::default();
    let mut seen: Vec<&str> = Vec::new();
    for (k, v) in &pairs {
        let name = k.as_str();
        if ["owner", "item", "sort", "limit", "p"].contains(&name) {
            if seen.contains(&name) {
                return Err(AppError::bad_request(format!(
                    "{name}: give it once (one {name} per request)"
                )));
            }
            seen.push(name);
        }
        let v = v.trim();
        match name {
            "owner" if !v.is_empty() => out.owner = Some(v.to_string()),
            "item" if !v.is_empty() => {
                let (kind, id) = v.split_once('/').ok_or_else(|| {
                    AppError::bad_request(format!(
                        "item: expected papers/<arXiv id>, e.g. papers/2311.12983 (got {:?})",
                        v.chars().take(60).collect::<String>()
                    ))
                })?;
                match kind {
                    "papers" => {
                        let id = id_from_path(id)
                            .map_err(|e| AppError::bad_request(format!("item: {e}")))?;
                        out.paper = Some(id);
                    }
                    "models" | "datasets" | "spaces" | "collections" | "buckets" => {
                        out.other_item = true;
                    }
                    _ => {
                        return Err(AppError::bad_request(format!(
                            "item: expected papers/<arXiv id> (got a kind {:?})",
                            kind.chars().take(30).collect::<String>()
                        )));
                    }
                }
            }
            "sort" if !v.is_empty() => {
                out.sort = match v {
                    // No upvotes or trends on collections here: those
                    // orders tie everywhere and fall back to the last change.
                    "lastModified" | "trending" | "upvotes" => CollectionSort::LastModified,
                    _ => {
                        return Err(AppError::bad_request(format!(
                            "sort: expected lastModified, trending or upvotes (got {:?})",
                            v.chars().take(30).collect::<String>()
                        )));
                    }
                }
            }
            "limit" => {
                out.limit = super::int_param("limit", Some(v), 1, 100_000, "a number from 1")?
            }
            "p" => {
                out.page =
                    super::int_param("p", Some(v), 0, 100_000, "a page number from 0")?.unwrap_or(0)
            }
            _ => {}
        }
    }
    out.raw = pairs.into_iter().filter(|(k, _)| k != "p").collect();
    Ok(out)
}

/// `GET /api/collections`: collections, newest change first.
#[utoipa::path(get, path = "/api/collections", tag = "collections",
    params(
        ("owner" = Option<String>, Query, description = "only this member's (a username)"),
        ("item" = Option<String>, Query, description = "only those holding this item: papers/<arXiv id>"),
        ("sort" = Option<String>, Query, description = "lastModified (the default), trending or upvotes: all order by the last change here"),
        ("limit" = Option<u64>, Query, description = "collections per page (at most 100 are sent per page)"),
        ("p" = Option<u64>, Query, description = "the page, from 0 (the Link header names the next)"),
    ),
    responses((status = 200, body = Vec<HfCollection>), (status = 400), (status = 401)))]
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    LinkBase(base): LinkBase,
    RawQuery(query): RawQuery,
) -> Result<Response, AppError> {
    let params = parse_list(query.as_deref())?;
    let per_page = params.limit.unwrap_or(DEFAULT_LIST_LIMIT).min(LIST_PAGE);
    let found = if params.other_item {
        Vec::new()
    } else {
        state
            .store
            .list_collections(&CollectionQuery {
                owner: params.owner.clone(),
                paper: params.paper.clone(),
                viewer: viewer.member.as_ref().map(|m| m.id),
                sort: params.sort,
                offset: params.page * per_page,
                limit: per_page + 1,
                items_each: LIST_ITEMS,
            })
            .await?
    };
    let more = found.len() as u64 > per_page;
    let shown = &found[..found.len().min(per_page as usize)];
    let items: Vec<&CollectionItem> = shown.iter().flat_map(|(_, i)| i).collect();
    let listings = listings_of(&state, &items).await?;
    let body: Vec<HfCollection> = shown
        .iter()
        .map(|(c, items)| hf_collection(c, items, &listings, false))
        .collect();
    let mut res = no_store(json(&body)?);
    if more {
        let mut next = params.raw.clone();
        next.push(("p".into(), (params.page + 1).to_string()));
        let next = serde_urlencoded::to_string(&next).unwrap_or_default();
        let link = format!("<{base}/api/collections?{next}>; rel=\"next\"");
        if let Ok(link) = HeaderValue::from_str(&link) {
            res.headers_mut().insert(header::LINK, link);
        }
    }
    Ok(res)
}

// ---------------------------------------------------------------------------
// One collection

/// `POST /api/collections`'s body.
#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct CreateBody {
    pub title: Option<String>,
    /// Your username (collections here are members'); the default.
    pub namespace: Option<String>,
    /// Plain text, at most 150 characters.
    pub description: Option<String>,
    #[schema(value_type = Option<bool>)]
    pub private: Option<Sent>,
    /// Organisations' resource groups: refused here.
    pub resource_group_id: Option<String>,
    /// One of orange, blue, green, purple, pink, indigo.
    pub theme: Option<String>,
    /// A paper to put in it at once (the paper page's form).
    pub paper: Option<String>,
    /// The note of that paper.
    pub note: Option<String>,
}

/// `POST /api/collections`: a new collection of the member's, at the end
/// of their list.
#[utoipa::path(post, path = "/api/collections", operation_id = "create_collection", tag = "collections",
    request_body(content = CreateBody, content_type = "application/json"),
    responses((status = 200, body = HfCollection), (status = 400), (status = 401), (status = 403),
        (status = 404, description = "the paper to put in it is not here"),
        (status = 409, body = TitleTaken)))]
pub async fn create(
    State(state): State<AppState>,
    act: Act<CreateBody>,
) -> Result<Response, AppError> {
    let b = &act.body.value;
    let me = &act.member;
    if let Some(ns) = b
        .namespace
        .as_deref()
        .map(str::trim)
        .filter(|n| !n.is_empty())
        && !ns.eq_ignore_ascii_case(me.username.as_str())
    {
        return Err(AppError::forbidden(format!(
            "namespace: you can create collections only in your own namespace, {}",
            me.username
        )));
    }
    if b.resource_group_id.is_some() {
        return Err(AppError::bad_request(
            "resourceGroupId: resource groups belong to organisations, and collections here are members'",
        ));
    }
    let title = CollectionTitle::parse(b.title.as_deref().unwrap_or(""))?;
    let description = parse_description(b.description.as_deref().unwrap_or(""))?;
    let private = Sent::flag("private", b.private.as_ref())?;
    let theme = match b.theme.as_deref() {
        Some(t) => parse_theme(t)?,
        None => DEFAULT_THEME,
    };
    // A paper to add at once is checked before anything is written.
    let first = match b.paper.as_deref().map(str::trim).filter(|p| !p.is_empty()) {
        Some(raw) => {
            let id = id_from_path(raw).map_err(|e| AppError::bad_request(format!("paper: {e}")))?;
            if state.store.listing(&id).await?.is_none() {
                return Err(AppError::not_found(format!("paper {id} not found")));
            }
            Some((id, parse_note(b.note.as_deref().unwrap_or(""))?))
        }
        None => None,
    };
    let now = Utc::now();
    let made = state
        .store
        .create_collection(&NewCollection {
            owner_id: me.id,
            title,
            description,
            private: private.unwrap_or(false),
            theme: theme.to_string(),
            now,
            max_per_member: COLLECTIONS_PER_MEMBER,
        })
        .await?;
    let c = match made {
        Ok(c) => c,
        Err(CreateRefusal::TitleTaken(existing)) => {
            return title_taken(&act.body, &existing);
        }
        Err(CreateRefusal::TooMany) => {
            return Err(AppError::bad_request(format!(
                "collections: a member keeps at most {COLLECTIONS_PER_MEMBER} collections"
            )));
        }
    };
    if let Some((paper, note)) = first {
        add_paper(&state, &c, paper, note).await?;
    }
    if act.body.form {
        return Ok(Redirect::to(&page_href(&c)).into_response());
    }
    let c = state.store.collection(&c.id).await?.unwrap_or(c);
    Ok(no_store(json(&whole(&state, &c).await?)?))
}

/// A 409 for a title the owner already uses: JSON names the slug of the
/// collection that has it (what `create_collection(exists_ok=True)` reads).
fn title_taken<T>(body: &Body<T>, existing: &Collection) -> Result<Response, AppError> {
    let message = format!(
        "title: you already have a collection titled {:?}",
        existing.title
    );
    if body.form {
        return Err(AppError::Conflict(message));
    }
    let body = serde_json::json!({ "error": message, "slug": existing.slug() });
    let mut res = (StatusCode::CONFLICT, axum::Json(body)).into_response();
    res.headers_mut()
        .insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

/// `GET /api/collections/{namespace}/{slug}`: the collection and all its papers.
#[utoipa::path(get, path = "/api/collections/{namespace}/{slug}", operation_id = "get_collection", tag = "collections",
    params(Named),
    responses((status = 200, body = HfCollection), (status = 401), (status = 404)))]
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(named): Path<Named>,
) -> Result<Response, AppError> {
    let c = find(&state, &named, viewer.member.as_ref(), Access::Read).await?;
    Ok(no_store(json(&whole(&state, &c).await?)?))
}

/// A change to a collection: `PATCH`'s body, or a form's.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct UpdateBody {
    pub title: Option<String>,
    /// Plain text, at most 150 characters; empty clears it.
    pub description: Option<String>,
    #[schema(value_type = Option<bool>)]
    pub private: Option<Sent>,
    /// One of orange, blue, green, purple, pink, indigo.
    pub theme: Option<String>,
    /// A new place in the owner's list (past the end is the end).
    #[schema(value_type = Option<u32>)]
    pub position: Option<Sent>,
    /// Upstream's gated collections: not here (only `false` is taken).
    #[schema(value_type = Option<bool>)]
    pub gating: Option<Sent>,
    /// A form's way to delete: `delete`.
    pub action: Option<String>,
}

/// `PATCH /api/collections/{namespace}/{slug}`: title, description,
/// privacy, theme, place; answers `{"data": collection}`. `POST` is the
/// same for forms (and deletes with `action=delete`).
#[utoipa::path(patch, path = "/api/collections/{namespace}/{slug}", tag = "collections",
    params(Named),
    request_body(content = UpdateBody, content_type = "application/json"),
    responses((status = 200, body = HfUpdated), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 409, body = TitleTaken)))]
pub async fn update(
    State(state): State<AppState>,
    Path(named): Path<Named>,
    act: Act<UpdateBody>,
) -> Result<Response, AppError> {
    let c = find(&state, &named, Some(&act.member), Access::Change).await?;
    let b = &act.body.value;
    if b.action.as_deref() == Some("delete") {
        return delete_found(&state, &c, &act.body).await;
    }
    if Sent::flag("gating", b.gating.as_ref())? == Some(true) {
        return Err(AppError::bad_request(
            "gating: gated collections are not offered here",
        ));
    }
    let change = CollectionChange {
        title: b.title.as_deref().map(CollectionTitle::parse).transpose()?,
        description: b
            .description
            .as_deref()
            .map(parse_description)
            .transpose()?,
        private: Sent::flag("private", b.private.as_ref())?,
        theme: b
            .theme
            .as_deref()
            .map(|t| parse_theme(t).map(str::to_string))
            .transpose()?,
        position: Sent::position("position", b.position.as_ref())?,
    };
    let changed = state
        .store
        .change_collection(&c.id, &change, Utc::now())
        .await?;
    let after = match changed {
        Ok(after) => after,
        Err(ChangeRefusal::TitleTaken(other)) => return title_taken(&act.body, &other),
        Err(ChangeRefusal::NoSuchCollection) => {
            return Err(named.missing());
        }
    };
    if act.body.form {
        return Ok(back(&act.body, page_href(&after)));
    }
    Ok(no_store(json(&HfUpdated {
        data: whole(&state, &after).await?,
    })?))
}

/// `DELETE /api/collections/{namespace}/{slug}`: the collection and its items.
#[utoipa::path(delete, path = "/api/collections/{namespace}/{slug}", tag = "collections",
    params(Named),
    responses((status = 200, body = Deleted), (status = 401), (status = 403), (status = 404)))]
pub async fn delete(
    State(state): State<AppState>,
    Path(named): Path<Named>,
    act: Act<UpdateBody>,
) -> Result<Response, AppError> {
    let c = find(&state, &named, Some(&act.member), Access::Change).await?;
    delete_found(&state, &c, &act.body).await
}

async fn delete_found<T>(
    state: &AppState,
    c: &Collection,
    body: &Body<T>,
) -> Result<Response, AppError> {
    if !state.store.delete_collection(&c.id).await? {
        return Err(AppError::not_found(format!(
            "collection {} not found",
            c.slug()
        )));
    }
    if body.form {
        return Ok(Redirect::to("/collections").into_response());
    }
    Ok(no_store(json(&Deleted { deleted: true })?))
}

/// The documentation of the forms' `POST` on a collection (served by [`update`]).
#[utoipa::path(post, path = "/api/collections/{namespace}/{slug}", tag = "collections",
    params(Named),
    request_body(content = UpdateBody, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = HfUpdated), (status = 303, description = "a form: to return_to or the collection's page"),
        (status = 400), (status = 401), (status = 403), (status = 404), (status = 409)))]
#[allow(dead_code)]
fn update_by_form() {}

// ---------------------------------------------------------------------------
// Items

/// What an item is: upstream's `{id, type}`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct ItemRef {
    /// The paper's arXiv id.
    pub id: String,
    /// Only `paper` is taken here.
    #[serde(rename = "type")]
    pub kind: String,
}

/// `POST …/items`'s body: `{item: {id, type}, note?}`, or a form's `paper`.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct AddBody {
    pub item: Option<ItemRef>,
    /// Plain text, at most 500 characters.
    pub note: Option<String>,
    /// A form's paper id (instead of `item`).
    pub paper: Option<String>,
}

/// `POST /api/collections/{namespace}/{slug}/items`: a paper at the end;
/// answers the collection.
#[utoipa::path(post, path = "/api/collections/{namespace}/{slug}/items", tag = "collections",
    params(Named),
    request_body(content = AddBody, content_type = "application/json"),
    responses((status = 200, body = HfCollection), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 409, description = "the paper is in it already")))]
pub async fn add_item(
    State(state): State<AppState>,
    Path(named): Path<Named>,
    act: Act<AddBody>,
) -> Result<Response, AppError> {
    let c = find(&state, &named, Some(&act.member), Access::Change).await?;
    let b = &act.body.value;
    let raw = match (&b.item, b.paper.as_deref()) {
        (Some(item), _) => {
            if item.kind != "paper" {
                return Err(AppError::bad_request(format!(
                    "item.type: only papers can be put in a collection here (got {:?})",
                    item.kind.chars().take(30).collect::<String>()
                )));
            }
            item.id.as_str()
        }
        (None, Some(paper)) => paper,
        (None, None) => {
            return Err(AppError::bad_request(
                "item: expected {\"id\": \"<arXiv id>\", \"type\": \"paper\"}",
            ));
        }
    };
    let paper = id_from_path(raw).map_err(|e| AppError::bad_request(format!("item.id: {e}")))?;
    let note = parse_note(b.note.as_deref().unwrap_or(""))?;
    add_paper(&state, &c, paper, note).await?;
    if act.body.form {
        return Ok(back(&act.body, page_href(&c)));
    }
    let c = state.store.collection(&c.id).await?.unwrap_or(c);
    Ok(no_store(json(&whole(&state, &c).await?)?))
}

async fn add_paper(
    state: &AppState,
    c: &Collection,
    paper: ArxivId,
    note: Option<String>,
) -> Result<CollectionItem, AppError> {
    let added = state
        .store
        .add_collection_item(&NewItem {
            collection_id: c.id.clone(),
            paper: paper.clone(),
            note,
            now: Utc::now(),
            max_items: COLLECTION_ITEMS,
        })
        .await?;
    match added {
        Ok(item) => {
            if !c.private {
                state.page_changed(&crate::view::paper_href(paper.as_str()));
            }
            Ok(item)
        }
        Err(AddRefusal::NoSuchPaper) => {
            Err(AppError::not_found(format!("paper {paper} not found")))
        }
        Err(AddRefusal::AlreadyThere(_)) => Err(AppError::Conflict(format!(
            "item: paper {paper} is in this collection already"
        ))),
        Err(AddRefusal::Full) => Err(AppError::bad_request(format!(
            "items: a collection holds at most {COLLECTION_ITEMS} papers"
        ))),
        Err(AddRefusal::NoSuchCollection) => Err(AppError::not_found(format!(
            "collection {} not found",
            c.slug()
        ))),
    }
}

/// A change to an item: `PATCH`'s body, or a form's.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct ItemBody {
    /// Plain text, at most 500 characters; empty clears it.
    pub note: Option<String>,
    /// A new place in the collection (past the end is the end).
    #[schema(value_type = Option<u32>)]
    pub position: Option<Sent>,
    /// A form's way to remove the item: `delete`.
    pub action: Option<String>,
}

/// An item as `PATCH` answers it.
#[derive(Serialize, ToSchema)]
pub struct ItemJson {
    #[serde(rename = "_id")]
    pub object_id: String,
    pub id: String,
    #[serde(rename = "type")]
    pub kind: &'static str,
    pub position: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<HfNote>,
}

/// `PATCH /api/collections/{namespace}/{slug}/items/{item_object_id}`: an
/// item's note or place. `POST` is the same for forms (and removes the
/// item with `action=delete`).
#[utoipa::path(patch, path = "/api/collections/{namespace}/{slug}/items/{item_object_id}", tag = "collections",
    params(NamedItem),
    request_body(content = ItemBody, content_type = "application/json"),
    responses((status = 200, body = ItemJson), (status = 400), (status = 401), (status = 403), (status = 404)))]
pub async fn update_item(
    State(state): State<AppState>,
    Path(NamedItem {
        namespace,
        slug,
        item_object_id: item,
    }): Path<NamedItem>,
    act: Act<ItemBody>,
) -> Result<Response, AppError> {
    let named = Named { namespace, slug };
    let c = find(&state, &named, Some(&act.member), Access::Change).await?;
    let b = &act.body.value;
    if b.action.as_deref() == Some("delete") {
        return remove_found(&state, &c, &item, &act.body).await;
    }
    let change = ItemChange {
        note: b.note.as_deref().map(parse_note).transpose()?,
        position: Sent::position("position", b.position.as_ref())?,
    };
    let after = state
        .store
        .change_collection_item(&c.id, &item.to_ascii_lowercase(), &change, Utc::now())
        .await?
        .ok_or_else(|| no_item(&item))?;
    if act.body.form {
        return Ok(back(&act.body, page_href(&c)));
    }
    Ok(no_store(json(&ItemJson {
        object_id: after.id.clone(),
        id: after.paper.to_string(),
        kind: "paper",
        position: after.position,
        note: after.note.as_ref().map(|t| HfNote {
            html: note_html(t),
            text: t.clone(),
        }),
    })?))
}

fn no_item(item: &str) -> AppError {
    AppError::not_found(format!(
        "item {:?} is not in this collection",
        item.chars().take(40).collect::<String>()
    ))
}

/// `DELETE /api/collections/{namespace}/{slug}/items/{item_object_id}`.
#[utoipa::path(delete, path = "/api/collections/{namespace}/{slug}/items/{item_object_id}", tag = "collections",
    params(NamedItem),
    responses((status = 200, body = Deleted), (status = 401), (status = 403), (status = 404)))]
pub async fn delete_item(
    State(state): State<AppState>,
    Path(NamedItem {
        namespace,
        slug,
        item_object_id: item,
    }): Path<NamedItem>,
    act: Act<ItemBody>,
) -> Result<Response, AppError> {
    let named = Named { namespace, slug };
    let c = find(&state, &named, Some(&act.member), Access::Change).await?;
    remove_found(&state, &c, &item, &act.body).await
}

async fn remove_found<T>(
    state: &AppState,
    c: &Collection,
    item: &str,
    body: &Body<T>,
) -> Result<Response, AppError> {
    let removed = state
        .store
        .remove_collection_item(&c.id, &item.to_ascii_lowercase(), Utc::now())
        .await?;
    if !removed {
        return Err(no_item(item));
    }
    if body.form {
        return Ok(back(body, page_href(c)));
    }
    Ok(no_store(json(&Deleted { deleted: true })?))
}

/// The documentation of the forms' `POST` on an item (served by [`update_item`]).
#[utoipa::path(post, path = "/api/collections/{namespace}/{slug}/items/{item_object_id}", tag = "collections",
    params(NamedItem),
    request_body(content = ItemBody, content_type = "application/x-www-form-urlencoded"),
    responses((status = 200, body = ItemJson), (status = 303, description = "a form: to return_to or the collection's page"),
        (status = 400), (status = 401), (status = 403), (status = 404)))]
#[allow(dead_code)]
fn update_item_by_form() {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_parameters_are_read_once_each_and_named_when_wrong() {
        let p = parse_list(Some(
            "owner=ada&item=papers%2F2511.22699&sort=trending&limit=5&p=2",
        ))
        .unwrap();
        assert_eq!(p.owner.as_deref(), Some("ada"));
        assert_eq!(
            p.paper.as_ref().map(|p| p.to_string()).as_deref(),
            Some("2511.22699")
        );
        assert_eq!((p.limit, p.page), (Some(5), 2));
        assert!(!p.raw.iter().any(|(k, _)| k == "p"));
        assert!(parse_list(Some("item=models/gpt2")).unwrap().other_item);
        for (q, field) in [
            ("owner=a&owner=b", "owner"),
            ("item=2511.22699", "item"),
            ("item=papers/not-an-id", "item"),
            ("item=things/x", "item"),
            ("sort=random", "sort"),
            ("limit=0", "limit"),
            ("p=-1", "p"),
        ] {
            let e = parse_list(Some(q)).unwrap_err();
            assert!(e.message().contains(field), "{q}: {}", e.message());
        }
    }

    #[test]
    fn notes_are_escaped_text() {
        assert_eq!(
            note_html("<b>a</b> & \"b\"\nc"),
            "&lt;b&gt;a&lt;/b&gt; &amp; &quot;b&quot;<br>c"
        );
    }
}

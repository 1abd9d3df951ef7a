//! Collections: a member's named, ordered lists of papers, each paper with
//! an optional note, public or private. [`Collections`] is part of every
//! store (a supertrait of [`crate::Store`]), kept in both backends with the
//! same tables (`collections`, `collection_items`) and checked by the same
//! suite (`tests/collections.rs`). Who may see or change a collection is
//! the caller's to decide; the store answers what is asked, but lists
//! private collections only to their owner ([`CollectionQuery::viewer`]).
//!
//! # Contract
//!
//! - **Positions are a permutation.** A member's collections and a
//!   collection's papers are numbered 0..n-1 without gaps or repeats,
//!   whatever adds, moves and removals race: the database refuses two rows
//!   at one position (a unique key), and the changes of one list run one
//!   at a time (SQLite's one writer; on PostgreSQL each change first locks
//!   the owner's row, for a member's list, or the collection's, for its
//!   papers). A position past the end means the end.
//! - **A paper is at most once in a collection**, enforced by the
//!   database; adding it again is refused with the item already there.
//! - **One title per owner**, compared without case, enforced by the
//!   database; creating or renaming to a title in use is refused with the
//!   collection that has it.
//! - **Deleting a collection deletes its items** (the database cascades).
//! - **Limits are kept in the same transaction** as the write they limit
//!   (collections per member, papers per collection), so racing requests
//!   cannot pass them.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use dailypapers_domain::collection::slug;
use dailypapers_domain::{ArxivId, CollectionTitle, Username};

use crate::StoreError;

mod changes;

pub(crate) use changes::{Backend, List, ListSql};

/// A collection as pages and the API see it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Collection {
    /// 24 hexadecimal digits.
    pub id: String,
    pub owner_id: u64,
    pub owner: Username,
    /// The owner's display name, if they set one.
    pub owner_name: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub private: bool,
    pub theme: String,
    /// Its place in the owner's list, from 0.
    pub position: u32,
    /// How many papers it holds.
    pub item_count: u32,
    pub created_at: DateTime<Utc>,
    /// The last change to it or to its papers.
    pub updated_at: DateTime<Utc>,
}

impl Collection {
    /// `owner/title-words-id`, as upstream's slugs (see
    /// [`dailypapers_domain::collection::slug`]).
    pub fn slug(&self) -> String {
        slug(self.owner.as_str(), &self.title, &self.id)
    }
}

/// A paper in a collection.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CollectionItem {
    /// 24 hexadecimal digits (upstream's `item_object_id`).
    pub id: String,
    pub collection_id: String,
    pub paper: ArxivId,
    /// The paper's document number (see [`crate::Store::listings_by_doc`]).
    pub doc: u64,
    /// Its place in the collection, from 0.
    pub position: u32,
    /// Plain text.
    pub note: Option<String>,
    pub added_at: DateTime<Utc>,
}

/// A collection to create.
#[derive(Clone, Debug)]
pub struct NewCollection {
    pub owner_id: u64,
    pub title: CollectionTitle,
    pub description: Option<String>,
    pub private: bool,
    pub theme: String,
    pub now: DateTime<Utc>,
    /// Refused when the owner already has this many.
    pub max_per_member: usize,
}

/// Why creating a collection was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CreateRefusal {
    /// The owner has a collection with this title (compared without case).
    TitleTaken(Box<Collection>),
    /// The owner has as many collections as they may.
    TooMany,
}

/// What changes about a collection; `None` keeps a field as it is.
#[derive(Clone, Debug, Default)]
pub struct CollectionChange {
    pub title: Option<CollectionTitle>,
    /// `Some(None)` clears it.
    pub description: Option<Option<String>>,
    pub private: Option<bool>,
    pub theme: Option<String>,
    /// A new place in the owner's list.
    pub position: Option<u32>,
}

/// Why changing a collection was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ChangeRefusal {
    NoSuchCollection,
    /// Another collection of the owner has the new title.
    TitleTaken(Box<Collection>),
}

/// A paper to add to a collection (at the end).
#[derive(Clone, Debug)]
pub struct NewItem {
    pub collection_id: String,
    pub paper: ArxivId,
    pub note: Option<String>,
    pub now: DateTime<Utc>,
    /// Refused when the collection already holds this many.
    pub max_items: usize,
}

/// Why adding a paper was refused.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AddRefusal {
    NoSuchCollection,
    NoSuchPaper,
    /// The paper is in the collection already, as this item.
    AlreadyThere(Box<CollectionItem>),
    /// The collection holds as many papers as it may.
    Full,
}

/// What changes about an item; `None` keeps a field as it is.
#[derive(Clone, Debug, Default)]
pub struct ItemChange {
    /// `Some(None)` clears the note.
    pub note: Option<Option<String>>,
    /// A new place in the collection.
    pub position: Option<u32>,
}

/// In what order collections are listed.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CollectionSort {
    /// The most recently changed first.
    #[default]
    LastModified,
    /// Each owner's own order (their positions).
    Position,
}

/// Which collections to list.
#[derive(Clone, Debug, Default)]
pub struct CollectionQuery {
    /// Only this member's (a username, any case).
    pub owner: Option<String>,
    /// Only those holding this paper.
    pub paper: Option<ArxivId>,
    /// Who asks: their private collections are listed with the public
    /// ones; nobody else's are.
    pub viewer: Option<u64>,
    pub sort: CollectionSort,
    pub offset: u64,
    pub limit: u64,
    /// How many of each collection's first papers to read with it.
    pub items_each: u32,
}

/// Collections and their papers (see the module docs for the contract).
#[async_trait]
pub trait Collections: Send + Sync {
    /// Creates a collection at the end of its owner's list.
    async fn create_collection(
        &self,
        new: &NewCollection,
    ) -> Result<Result<Collection, CreateRefusal>, StoreError>;

    /// A collection by id, whoever may see it.
    async fn collection(&self, id: &str) -> Result<Option<Collection>, StoreError>;

    /// A collection's papers, in order.
    async fn collection_items(&self, id: &str) -> Result<Vec<CollectionItem>, StoreError>;

    /// Changes a collection's title, description, privacy, theme or place
    /// in its owner's list, and answers it as it is after.
    async fn change_collection(
        &self,
        id: &str,
        change: &CollectionChange,
        now: DateTime<Utc>,
    ) -> Result<Result<Collection, ChangeRefusal>, StoreError>;

    /// Deletes a collection and its items, closing the gap in its owner's
    /// list; false when there is no such collection.
    async fn delete_collection(&self, id: &str) -> Result<bool, StoreError>;

    /// Adds a paper at the end of a collection.
    async fn add_collection_item(
        &self,
        new: &NewItem,
    ) -> Result<Result<CollectionItem, AddRefusal>, StoreError>;

    /// Changes an item's note or place; `None` when the collection has no
    /// such item.
    async fn change_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        change: &ItemChange,
        now: DateTime<Utc>,
    ) -> Result<Option<CollectionItem>, StoreError>;

    /// Removes an item, closing the gap; false when the collection has no
    /// such item.
    async fn remove_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError>;

    /// The collections `query` asks for, each with its first
    /// [`CollectionQuery::items_each`] papers.
    async fn list_collections(
        &self,
        query: &CollectionQuery,
    ) -> Result<Vec<(Collection, Vec<CollectionItem>)>, StoreError>;
}

/// An id for a new row: the creation time in seconds, then the number
/// `n` from `counters`, as 24 hexadecimal digits.
pub(crate) fn object_id(now: DateTime<Utc>, n: u64) -> String {
    let secs = u32::try_from(now.timestamp().max(0)).unwrap_or(u32::MAX);
    format!("{secs:08x}{n:016x}")
}

/// Where a row moved to `to` ends up in a list of `len`: at most the end.
pub(crate) fn clamp_position(to: u32, len: u64) -> i64 {
    i64::from(to)
        .min(i64::try_from(len).unwrap_or(i64::MAX) - 1)
        .max(0)
}

/// The collection columns every backend selects (`c` collections, `m`
/// members).
pub(crate) const COLLECTION_COLUMNS: &str = "c.id, c.owner_id, m.username, m.display_name, \
     c.title, c.description, c.private, c.theme, c.position, c.created_at, c.updated_at, \
     (SELECT count(*) FROM collection_items n WHERE n.collection_id = c.id) AS item_count";

/// The item columns every backend selects (`i` collection_items).
pub(crate) const ITEM_COLUMNS: &str = "i.id, i.collection_id, i.paper_id, i.position, i.note, \
     i.added_at, (SELECT p.doc FROM papers p WHERE p.id = i.paper_id) AS doc";

fn ms(ms: i64) -> DateTime<Utc> {
    DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

fn corrupt(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(format!("{what}: {e}"))
}

/// A row a transaction wrote or found that it cannot read back.
pub(crate) fn unread(what: &str) -> StoreError {
    StoreError::Corrupt(format!("a {what} row was not found where it was just seen"))
}

fn to_u32(n: i64) -> u32 {
    u32::try_from(n).unwrap_or(0)
}

/// Reads [`COLLECTION_COLUMNS`] (any backend).
pub(crate) fn collection_from_row<R>(row: &R) -> Result<Collection, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let owner: String = row.try_get("username")?;
    Ok(Collection {
        id: row.try_get("id")?,
        owner_id: crate::codec::to_u64(row.try_get("owner_id")?),
        owner: Username::parse(&owner).map_err(|e| corrupt("collection owner", e))?,
        owner_name: row.try_get("display_name")?,
        title: row.try_get("title")?,
        description: row.try_get("description")?,
        private: row.try_get::<i64, _>("private")? != 0,
        theme: row.try_get("theme")?,
        position: to_u32(row.try_get("position")?),
        item_count: to_u32(row.try_get("item_count")?),
        created_at: ms(row.try_get("created_at")?),
        updated_at: ms(row.try_get("updated_at")?),
    })
}

/// Reads [`ITEM_COLUMNS`] (any backend).
pub(crate) fn item_from_row<R>(row: &R) -> Result<CollectionItem, StoreError>
where
    R: sqlx::Row,
    for<'a> &'a str: sqlx::ColumnIndex<R>,
    for<'r> i64: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> String: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    let paper: String = row.try_get("paper_id")?;
    Ok(CollectionItem {
        id: row.try_get("id")?,
        collection_id: row.try_get("collection_id")?,
        paper: paper.parse().map_err(|e| corrupt("collection item", e))?,
        doc: crate::codec::to_u64(row.try_get("doc")?),
        position: to_u32(row.try_get("position")?),
        note: row.try_get("note")?,
        added_at: ms(row.try_get("added_at")?),
    })
}

/// What a collection holds after a change (see [`Fields::after`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Fields {
    pub title: String,
    /// The title in lower case: what makes two titles of one owner the same.
    pub key: String,
    pub description: Option<String>,
    pub private: bool,
    pub theme: String,
}

impl Fields {
    /// The fields of `before` with `change` applied.
    pub(crate) fn after(before: &Collection, change: &CollectionChange) -> Self {
        let title = change
            .title
            .as_ref()
            .map_or_else(|| before.title.clone(), |t| t.as_str().to_string());
        Fields {
            key: title.to_lowercase(),
            title,
            description: change
                .description
                .clone()
                .unwrap_or_else(|| before.description.clone()),
            private: change.private.unwrap_or(before.private),
            theme: change.theme.clone().unwrap_or_else(|| before.theme.clone()),
        }
    }
}

/// Groups items read for several collections by collection, in the order
/// of `collections`.
pub(crate) fn with_items(
    collections: Vec<Collection>,
    items: Vec<CollectionItem>,
) -> Vec<(Collection, Vec<CollectionItem>)> {
    let mut by: std::collections::HashMap<String, Vec<CollectionItem>> =
        std::collections::HashMap::new();
    for item in items {
        by.entry(item.collection_id.clone()).or_default().push(item);
    }
    collections
        .into_iter()
        .map(|c| {
            let mut items = by.remove(&c.id).unwrap_or_default();
            items.sort_by_key(|i| i.position);
            (c, items)
        })
        .collect()
}

/// The `WHERE` conditions of a list query, with a backend's placeholder
/// for each parameter: `(owner key, paper, viewer)` are bound in that
/// order, each only when present (`p(n)` writes placeholder `n`).
pub(crate) fn list_conditions(query: &CollectionQuery, p: impl Fn(usize) -> String) -> String {
    let mut n = 0;
    let mut next = || {
        n += 1;
        p(n)
    };
    let mut parts = Vec::new();
    if query.owner.is_some() {
        parts.push(format!("m.username_key = {}", next()));
    }
    if query.paper.is_some() {
        // Found from the paper's side (`collection_items_paper`), not by
        // looking into every collection.
        parts.push(format!(
            "c.id IN (SELECT h.collection_id FROM collection_items h WHERE h.paper_id = {})",
            next()
        ));
    }
    match query.viewer {
        Some(_) => parts.push(format!("(c.private = 0 OR c.owner_id = {})", next())),
        None => parts.push("c.private = 0".to_string()),
    }
    parts.join(" AND ")
}

/// The `ORDER BY` of a list query.
pub(crate) fn list_order(sort: CollectionSort) -> &'static str {
    match sort {
        CollectionSort::LastModified => "c.updated_at DESC, c.id DESC",
        CollectionSort::Position => "c.owner_id, c.position",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn object_ids_are_24_hex_digits_in_creation_order() {
        let t: DateTime<Utc> = "2026-03-02T12:00:00Z".parse().unwrap();
        let a = object_id(t, 1);
        assert_eq!(a.len(), 24);
        assert!(dailypapers_domain::collection::is_object_id(&a));
        assert!(a < object_id(t, 2));
        assert!(object_id(t, 99) < object_id(t + chrono::TimeDelta::seconds(1), 1));
    }

    #[test]
    fn positions_past_the_end_are_the_end() {
        assert_eq!(clamp_position(0, 3), 0);
        assert_eq!(clamp_position(2, 3), 2);
        assert_eq!(clamp_position(9, 3), 2);
        assert_eq!(clamp_position(9, 1), 0);
    }
}

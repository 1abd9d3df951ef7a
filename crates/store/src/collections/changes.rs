//! Every change to collections, written once over what a backend provides:
//! [`ListSql`], the statements of one connection (its SQL and nothing
//! else), and [`Backend`], where a change's transaction and a read's
//! connection come from. [`Collections`] is implemented here for every
//! backend, so the order of the steps (lock, check, count, write, read
//! back) and the limits are the same on both.

use async_trait::async_trait;
use chrono::{DateTime, Utc};

use super::{
    AddRefusal, ChangeRefusal, Collection, CollectionChange, CollectionItem, CollectionQuery,
    Collections, CreateRefusal, Fields, ItemChange, NewCollection, NewItem, clamp_position,
    object_id, unread, with_items,
};
use crate::StoreError;
use crate::retry::retrying;

/// A list whose rows are numbered 0..n-1.
#[derive(Clone, Copy, Debug)]
pub(crate) enum List<'a> {
    /// A member's collections (`collections.position`).
    Owner(u64),
    /// A collection's papers (`collection_items.position`).
    Items(&'a str),
}

impl List<'_> {
    /// The table of the list's rows, and the column that names the list.
    pub(crate) fn table_and_scope(&self) -> (&'static str, &'static str) {
        match self {
            List::Owner(_) => ("collections", "owner_id"),
            List::Items(_) => ("collection_items", "collection_id"),
        }
    }
}

/// The statements a change is made of, on one connection of a backend.
#[async_trait]
pub(crate) trait ListSql: Send {
    /// Makes the transaction the only one changing the member's list of
    /// collections until it ends (a no-op where transactions never overlap).
    async fn lock_owner(&mut self, owner_id: u64) -> Result<(), StoreError>;
    /// Makes the transaction the only one changing the collection's papers.
    async fn lock_collection(&mut self, id: &str) -> Result<(), StoreError>;
    async fn owner_of(&mut self, id: &str) -> Result<Option<u64>, StoreError>;
    async fn collection(&mut self, id: &str) -> Result<Option<Collection>, StoreError>;
    /// The id of the owner's collection with this title key.
    async fn titled(&mut self, owner_id: u64, key: &str) -> Result<Option<String>, StoreError>;
    /// The papers of these collections in order, those below position
    /// `below` when given.
    async fn items(
        &mut self,
        collection_ids: &[&str],
        below: Option<u32>,
    ) -> Result<Vec<CollectionItem>, StoreError>;
    async fn item(
        &mut self,
        collection_id: &str,
        item_id: &str,
    ) -> Result<Option<CollectionItem>, StoreError>;
    /// The id of the item holding `paper` in the collection.
    async fn item_of_paper(
        &mut self,
        collection_id: &str,
        paper: &str,
    ) -> Result<Option<String>, StoreError>;
    async fn paper_exists(&mut self, paper: &str) -> Result<bool, StoreError>;
    /// How many rows the list has.
    async fn count(&mut self, list: List<'_>) -> Result<u64, StoreError>;
    /// The next number of a counter (`counters`).
    async fn next_number(&mut self, counter: &str) -> Result<u64, StoreError>;
    async fn insert_collection(
        &mut self,
        id: &str,
        new: &NewCollection,
        position: u64,
    ) -> Result<(), StoreError>;
    async fn update_collection(
        &mut self,
        id: &str,
        fields: &Fields,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError>;
    async fn insert_item(
        &mut self,
        id: &str,
        new: &NewItem,
        position: u64,
    ) -> Result<(), StoreError>;
    async fn set_note(&mut self, item_id: &str, note: Option<&str>) -> Result<(), StoreError>;
    /// Marks the collection changed at `now`.
    async fn touch(&mut self, collection_id: &str, now: DateTime<Utc>) -> Result<(), StoreError>;
    /// Moves row `id` of the list from position `from` to `to`, shifting
    /// those between by one, so that the list's positions stay unique
    /// after every row (through negative places and back).
    async fn move_row(
        &mut self,
        list: List<'_>,
        id: &str,
        from: i64,
        to: i64,
    ) -> Result<(), StoreError>;
    async fn delete_row(&mut self, list: List<'_>, id: &str) -> Result<(), StoreError>;
    /// The collections `query` asks for (without their items).
    async fn list(&mut self, query: &CollectionQuery) -> Result<Vec<Collection>, StoreError>;
}

/// Where a backend's transactions and read connections come from.
#[async_trait]
pub(crate) trait Backend: Send + Sync {
    type Conn: ListSql;
    type Write: std::ops::DerefMut<Target = Self::Conn> + Send;
    type Read: std::ops::DerefMut<Target = Self::Conn> + Send;
    /// A write transaction (on SQLite, holding the write lock).
    async fn write(&self) -> Result<Self::Write, StoreError>;
    async fn commit(tx: Self::Write) -> Result<(), StoreError>;
    /// A connection for reads.
    async fn read(&self) -> Result<Self::Read, StoreError>;
}

async fn create<C: ListSql>(
    c: &mut C,
    new: &NewCollection,
) -> Result<Result<Collection, CreateRefusal>, StoreError> {
    c.lock_owner(new.owner_id).await?;
    if let Some(id) = c.titled(new.owner_id, &new.title.key()).await? {
        let existing = c
            .collection(&id)
            .await?
            .ok_or_else(|| unread("collection"))?;
        return Ok(Err(CreateRefusal::TitleTaken(Box::new(existing))));
    }
    let n = c.count(List::Owner(new.owner_id)).await?;
    if n >= new.max_per_member as u64 {
        return Ok(Err(CreateRefusal::TooMany));
    }
    let id = object_id(new.now, c.next_number("collection").await?);
    c.insert_collection(&id, new, n).await?;
    let made = c
        .collection(&id)
        .await?
        .ok_or_else(|| unread("collection"))?;
    Ok(Ok(made))
}

async fn change<C: ListSql>(
    c: &mut C,
    id: &str,
    change: &CollectionChange,
    now: DateTime<Utc>,
) -> Result<Result<Collection, ChangeRefusal>, StoreError> {
    let Some(owner) = c.owner_of(id).await? else {
        return Ok(Err(ChangeRefusal::NoSuchCollection));
    };
    c.lock_owner(owner).await?;
    c.lock_collection(id).await?;
    let Some(before) = c.collection(id).await? else {
        return Ok(Err(ChangeRefusal::NoSuchCollection));
    };
    let fields = Fields::after(&before, change);
    if let Some(other) = c.titled(owner, &fields.key).await?
        && other != id
    {
        let other = c
            .collection(&other)
            .await?
            .ok_or_else(|| unread("collection"))?;
        return Ok(Err(ChangeRefusal::TitleTaken(Box::new(other))));
    }
    c.update_collection(id, &fields, now).await?;
    if let Some(to) = change.position {
        let list = List::Owner(owner);
        let to = clamp_position(to, c.count(list).await?);
        c.move_row(list, id, before.position.into(), to).await?;
    }
    let after = c
        .collection(id)
        .await?
        .ok_or_else(|| unread("collection"))?;
    Ok(Ok(after))
}

async fn delete<C: ListSql>(c: &mut C, id: &str) -> Result<bool, StoreError> {
    let Some(owner) = c.owner_of(id).await? else {
        return Ok(false);
    };
    c.lock_owner(owner).await?;
    c.lock_collection(id).await?;
    let Some(before) = c.collection(id).await? else {
        return Ok(false);
    };
    remove_row(c, List::Owner(owner), id, before.position).await?;
    Ok(true)
}

/// Moves a row to the end of its list, then deletes it: no gap is left.
async fn remove_row<C: ListSql>(
    c: &mut C,
    list: List<'_>,
    id: &str,
    position: u32,
) -> Result<(), StoreError> {
    let last = i64::try_from(c.count(list).await?).unwrap_or(i64::MAX) - 1;
    c.move_row(list, id, position.into(), last).await?;
    c.delete_row(list, id).await
}

async fn add<C: ListSql>(
    c: &mut C,
    new: &NewItem,
) -> Result<Result<CollectionItem, AddRefusal>, StoreError> {
    let cid = new.collection_id.as_str();
    c.lock_collection(cid).await?;
    if c.owner_of(cid).await?.is_none() {
        return Ok(Err(AddRefusal::NoSuchCollection));
    }
    if !c.paper_exists(new.paper.as_str()).await? {
        return Ok(Err(AddRefusal::NoSuchPaper));
    }
    if let Some(there) = c.item_of_paper(cid, new.paper.as_str()).await? {
        let item = c
            .item(cid, &there)
            .await?
            .ok_or_else(|| unread("collection item"))?;
        return Ok(Err(AddRefusal::AlreadyThere(Box::new(item))));
    }
    let n = c.count(List::Items(cid)).await?;
    if n >= new.max_items as u64 {
        return Ok(Err(AddRefusal::Full));
    }
    let id = object_id(new.now, c.next_number("collection_item").await?);
    c.insert_item(&id, new, n).await?;
    c.touch(cid, new.now).await?;
    let item = c
        .item(cid, &id)
        .await?
        .ok_or_else(|| unread("collection item"))?;
    Ok(Ok(item))
}

async fn change_item<C: ListSql>(
    c: &mut C,
    cid: &str,
    item_id: &str,
    change: &ItemChange,
    now: DateTime<Utc>,
) -> Result<Option<CollectionItem>, StoreError> {
    c.lock_collection(cid).await?;
    let Some(before) = c.item(cid, item_id).await? else {
        return Ok(None);
    };
    if let Some(note) = &change.note {
        c.set_note(item_id, note.as_deref()).await?;
    }
    if let Some(to) = change.position {
        let list = List::Items(cid);
        let to = clamp_position(to, c.count(list).await?);
        c.move_row(list, item_id, before.position.into(), to)
            .await?;
    }
    c.touch(cid, now).await?;
    c.item(cid, item_id).await
}

async fn remove_item<C: ListSql>(
    c: &mut C,
    cid: &str,
    item_id: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    c.lock_collection(cid).await?;
    let Some(item) = c.item(cid, item_id).await? else {
        return Ok(false);
    };
    remove_row(c, List::Items(cid), item_id, item.position).await?;
    c.touch(cid, now).await?;
    Ok(true)
}

/// Runs `step` in a write transaction of `b`, committed when it returns,
/// and tried again on a conflict (see [`crate::retry`]).
macro_rules! in_write {
    ($b:expr, $what:expr, |$c:ident| $step:expr) => {
        retrying($what, || async {
            let mut tx = $b.write().await?;
            let $c = &mut *tx;
            let out = $step.await?;
            B::commit(tx).await?;
            Ok(out)
        })
        .await
    };
}

#[async_trait]
impl<B: Backend> Collections for B {
    async fn create_collection(
        &self,
        new: &NewCollection,
    ) -> Result<Result<Collection, CreateRefusal>, StoreError> {
        in_write!(self, "creating a collection", |c| create(c, new))
    }

    async fn collection(&self, id: &str) -> Result<Option<Collection>, StoreError> {
        self.read().await?.collection(id).await
    }

    async fn collection_items(&self, id: &str) -> Result<Vec<CollectionItem>, StoreError> {
        self.read().await?.items(&[id], None).await
    }

    async fn change_collection(
        &self,
        id: &str,
        change_: &CollectionChange,
        now: DateTime<Utc>,
    ) -> Result<Result<Collection, ChangeRefusal>, StoreError> {
        in_write!(self, "changing a collection", |c| change(
            c, id, change_, now
        ))
    }

    async fn delete_collection(&self, id: &str) -> Result<bool, StoreError> {
        in_write!(self, "deleting a collection", |c| delete(c, id))
    }

    async fn add_collection_item(
        &self,
        new: &NewItem,
    ) -> Result<Result<CollectionItem, AddRefusal>, StoreError> {
        in_write!(self, "adding to a collection", |c| add(c, new))
    }

    async fn change_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        change: &ItemChange,
        now: DateTime<Utc>,
    ) -> Result<Option<CollectionItem>, StoreError> {
        in_write!(self, "changing a collection item", |c| change_item(
            c,
            collection_id,
            item_id,
            change,
            now
        ))
    }

    async fn remove_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        in_write!(self, "removing a collection item", |c| remove_item(
            c,
            collection_id,
            item_id,
            now
        ))
    }

    async fn list_collections(
        &self,
        query: &CollectionQuery,
    ) -> Result<Vec<(Collection, Vec<CollectionItem>)>, StoreError> {
        let mut conn = self.read().await?;
        let collections = conn.list(query).await?;
        if collections.is_empty() || query.items_each == 0 {
            return Ok(with_items(collections, Vec::new()));
        }
        let ids: Vec<&str> = collections.iter().map(|c| c.id.as_str()).collect();
        let items = conn.items(&ids, Some(query.items_each)).await?;
        Ok(with_items(collections, items))
    }
}

//! Collections on PostgreSQL: the SQL of [`Collections`] and little else.
//! Every change of a member's list of collections first locks the member's
//! row, and every change of a collection's papers the collection's row
//! (`FOR NO KEY UPDATE`, which rows referring to them do not wait for), so
//! the changes of one list run one after another on any number of servers.
//! Locks are taken member before collection, never the other way.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::PgConnection;

use super::{PostgresStore, millis, take_numbers};
use crate::StoreError;
use crate::codec::to_i64;
use crate::collections::{
    AddRefusal, COLLECTION_COLUMNS, ChangeRefusal, Collection, CollectionChange, CollectionItem,
    CollectionQuery, Collections, CreateRefusal, ITEM_COLUMNS, ItemChange, NewCollection, NewItem,
    changed_fields, clamp_position, collection_from_row, item_from_row, list_conditions,
    list_order, object_id, unread, with_items,
};
use crate::retry::retrying;

async fn collection_in(
    conn: &mut PgConnection,
    id: &str,
) -> Result<Option<Collection>, StoreError> {
    let sql = format!(
        "SELECT {COLLECTION_COLUMNS} FROM collections c JOIN members m ON m.id = c.owner_id \
         WHERE c.id = $1"
    );
    let row = sqlx::query(&sql).bind(id).fetch_optional(conn).await?;
    row.as_ref().map(collection_from_row).transpose()
}

async fn collection_titled(
    conn: &mut PgConnection,
    owner_id: u64,
    key: &str,
) -> Result<Option<Collection>, StoreError> {
    let id: Option<String> =
        sqlx::query_scalar("SELECT id FROM collections WHERE owner_id = $1 AND title_key = $2")
            .bind(to_i64(owner_id))
            .bind(key)
            .fetch_optional(&mut *conn)
            .await?;
    match id {
        Some(id) => collection_in(conn, &id).await,
        None => Ok(None),
    }
}

/// Locks a member's row: their list of collections is this transaction's
/// to change until it ends.
async fn lock_member(conn: &mut PgConnection, owner_id: u64) -> Result<(), StoreError> {
    sqlx::query("SELECT id FROM members WHERE id = $1 FOR NO KEY UPDATE")
        .bind(to_i64(owner_id))
        .execute(conn)
        .await?;
    Ok(())
}

/// Locks a collection's row (its papers are this transaction's to change);
/// false when there is no such collection.
async fn lock_collection(conn: &mut PgConnection, id: &str) -> Result<bool, StoreError> {
    let found: Option<String> =
        sqlx::query_scalar("SELECT id FROM collections WHERE id = $1 FOR NO KEY UPDATE")
            .bind(id)
            .fetch_optional(conn)
            .await?;
    Ok(found.is_some())
}

/// Locks the owner's row, then the collection's: what changing or deleting
/// a collection holds. False when there is no such collection.
async fn lock_owner_and_collection(conn: &mut PgConnection, id: &str) -> Result<bool, StoreError> {
    let owner: Option<i64> = sqlx::query_scalar("SELECT owner_id FROM collections WHERE id = $1")
        .bind(id)
        .fetch_optional(&mut *conn)
        .await?;
    let Some(owner) = owner else {
        return Ok(false);
    };
    lock_member(conn, crate::codec::to_u64(owner)).await?;
    lock_collection(conn, id).await
}

async fn item_in(
    conn: &mut PgConnection,
    collection_id: &str,
    item_id: &str,
) -> Result<Option<CollectionItem>, StoreError> {
    let sql = format!(
        "SELECT {ITEM_COLUMNS} FROM collection_items i WHERE i.id = $1 AND i.collection_id = $2"
    );
    let row = sqlx::query(&sql)
        .bind(item_id)
        .bind(collection_id)
        .fetch_optional(conn)
        .await?;
    row.as_ref().map(item_from_row).transpose()
}

/// Moves row `id` of `table` from position `from` to `to` within its list
/// (the rows sharing its `scope` column), shifting those between by one.
/// The rows that move first take negative places (`-1 - new`) and then
/// their new ones, so the unique key on positions holds after every row.
async fn move_row(
    conn: &mut PgConnection,
    table: &str,
    scope: &str,
    id: &str,
    from: i64,
    to: i64,
) -> Result<(), StoreError> {
    if from == to {
        return Ok(());
    }
    let list = format!("{scope} = (SELECT {scope} FROM {table} WHERE id = $1)");
    sqlx::query(&format!(
        "UPDATE {table} SET position = -1 - (CASE WHEN id = $1 THEN $3 \
         WHEN $2 < $3 THEN position - 1 ELSE position + 1 END) \
         WHERE {list} AND position BETWEEN $4 AND $5"
    ))
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(from.min(to))
    .bind(from.max(to))
    .execute(&mut *conn)
    .await?;
    sqlx::query(&format!(
        "UPDATE {table} SET position = -1 - position WHERE {list} AND position < 0"
    ))
    .bind(id)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

async fn count_collections(conn: &mut PgConnection, owner_id: u64) -> Result<u64, StoreError> {
    let n: i64 = sqlx::query_scalar("SELECT count(*) FROM collections WHERE owner_id = $1")
        .bind(to_i64(owner_id))
        .fetch_one(conn)
        .await?;
    Ok(crate::codec::to_u64(n))
}

async fn count_items(conn: &mut PgConnection, collection_id: &str) -> Result<u64, StoreError> {
    let n: i64 =
        sqlx::query_scalar("SELECT count(*) FROM collection_items WHERE collection_id = $1")
            .bind(collection_id)
            .fetch_one(conn)
            .await?;
    Ok(crate::codec::to_u64(n))
}

async fn touch(conn: &mut PgConnection, id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
    sqlx::query("UPDATE collections SET updated_at = $2 WHERE id = $1")
        .bind(id)
        .bind(millis(now))
        .execute(conn)
        .await?;
    Ok(())
}

impl PostgresStore {
    async fn create_collection_once(
        &self,
        new: &NewCollection,
    ) -> Result<Result<Collection, CreateRefusal>, StoreError> {
        let mut tx = self.pool.begin().await?;
        lock_member(&mut tx, new.owner_id).await?;
        if let Some(existing) = collection_titled(&mut tx, new.owner_id, &new.title.key()).await? {
            return Ok(Err(CreateRefusal::TitleTaken(Box::new(existing))));
        }
        let n = count_collections(&mut tx, new.owner_id).await?;
        if n >= new.max_per_member as u64 {
            return Ok(Err(CreateRefusal::TooMany));
        }
        let id = object_id(new.now, take_numbers(&mut tx, "collection", 1).await? + 1);
        sqlx::query(
            "INSERT INTO collections (id, owner_id, title, title_key, description, private, \
             theme, position, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)",
        )
        .bind(&id)
        .bind(to_i64(new.owner_id))
        .bind(new.title.as_str())
        .bind(new.title.key())
        .bind(new.description.as_deref())
        .bind(i64::from(new.private))
        .bind(&new.theme)
        .bind(to_i64(n))
        .bind(millis(new.now))
        .execute(&mut *tx)
        .await?;
        let made = collection_in(&mut tx, &id)
            .await?
            .ok_or_else(|| unread("collection"))?;
        tx.commit().await?;
        Ok(Ok(made))
    }

    async fn change_collection_once(
        &self,
        id: &str,
        change: &CollectionChange,
        now: DateTime<Utc>,
    ) -> Result<Result<Collection, ChangeRefusal>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !lock_owner_and_collection(&mut tx, id).await? {
            return Ok(Err(ChangeRefusal::NoSuchCollection));
        }
        let Some(before) = collection_in(&mut tx, id).await? else {
            return Ok(Err(ChangeRefusal::NoSuchCollection));
        };
        let (title, key, description, private, theme) = changed_fields(&before, change);
        if let Some(other) = collection_titled(&mut tx, before.owner_id, &key).await?
            && other.id != id
        {
            return Ok(Err(ChangeRefusal::TitleTaken(Box::new(other))));
        }
        sqlx::query(
            "UPDATE collections SET title = $2, title_key = $3, description = $4, private = $5, \
             theme = $6, updated_at = $7 WHERE id = $1",
        )
        .bind(id)
        .bind(&title)
        .bind(&key)
        .bind(description.as_deref())
        .bind(i64::from(private))
        .bind(&theme)
        .bind(millis(now))
        .execute(&mut *tx)
        .await?;
        if let Some(to) = change.position {
            let n = count_collections(&mut tx, before.owner_id).await?;
            let to = clamp_position(to, n);
            move_row(
                &mut tx,
                "collections",
                "owner_id",
                id,
                before.position.into(),
                to,
            )
            .await?;
        }
        let after = collection_in(&mut tx, id)
            .await?
            .ok_or_else(|| unread("collection"))?;
        tx.commit().await?;
        Ok(Ok(after))
    }

    async fn delete_collection_once(&self, id: &str) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !lock_owner_and_collection(&mut tx, id).await? {
            return Ok(false);
        }
        let Some(c) = collection_in(&mut tx, id).await? else {
            return Ok(false);
        };
        // To the end of the owner's list, then gone: no gap is left.
        let n = count_collections(&mut tx, c.owner_id).await?;
        move_row(
            &mut tx,
            "collections",
            "owner_id",
            id,
            c.position.into(),
            to_i64(n) - 1,
        )
        .await?;
        sqlx::query("DELETE FROM collections WHERE id = $1")
            .bind(id)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(true)
    }

    async fn add_item_once(
        &self,
        new: &NewItem,
    ) -> Result<Result<CollectionItem, AddRefusal>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !lock_collection(&mut tx, &new.collection_id).await? {
            return Ok(Err(AddRefusal::NoSuchCollection));
        }
        let paper: Option<i64> = sqlx::query_scalar("SELECT 1::BIGINT FROM papers WHERE id = $1")
            .bind(new.paper.as_str())
            .fetch_optional(&mut *tx)
            .await?;
        if paper.is_none() {
            return Ok(Err(AddRefusal::NoSuchPaper));
        }
        let there: Option<String> = sqlx::query_scalar(
            "SELECT id FROM collection_items WHERE collection_id = $1 AND paper_id = $2",
        )
        .bind(&new.collection_id)
        .bind(new.paper.as_str())
        .fetch_optional(&mut *tx)
        .await?;
        if let Some(item) = there {
            let item = item_in(&mut tx, &new.collection_id, &item).await?;
            return Ok(Err(AddRefusal::AlreadyThere(Box::new(
                item.ok_or_else(|| unread("collection item"))?,
            ))));
        }
        let n = count_items(&mut tx, &new.collection_id).await?;
        if n >= new.max_items as u64 {
            return Ok(Err(AddRefusal::Full));
        }
        let id = object_id(
            new.now,
            take_numbers(&mut tx, "collection_item", 1).await? + 1,
        );
        sqlx::query(
            "INSERT INTO collection_items (id, collection_id, paper_id, position, note, added_at) \
             VALUES ($1, $2, $3, $4, $5, $6)",
        )
        .bind(&id)
        .bind(&new.collection_id)
        .bind(new.paper.as_str())
        .bind(to_i64(n))
        .bind(new.note.as_deref())
        .bind(millis(new.now))
        .execute(&mut *tx)
        .await?;
        touch(&mut tx, &new.collection_id, new.now).await?;
        let item = item_in(&mut tx, &new.collection_id, &id).await?;
        tx.commit().await?;
        Ok(Ok(item.ok_or_else(|| unread("collection item"))?))
    }

    async fn change_item_once(
        &self,
        collection_id: &str,
        item_id: &str,
        change: &ItemChange,
        now: DateTime<Utc>,
    ) -> Result<Option<CollectionItem>, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !lock_collection(&mut tx, collection_id).await? {
            return Ok(None);
        }
        let Some(before) = item_in(&mut tx, collection_id, item_id).await? else {
            return Ok(None);
        };
        if let Some(note) = &change.note {
            sqlx::query("UPDATE collection_items SET note = $2 WHERE id = $1")
                .bind(item_id)
                .bind(note.as_deref())
                .execute(&mut *tx)
                .await?;
        }
        if let Some(to) = change.position {
            let n = count_items(&mut tx, collection_id).await?;
            let to = clamp_position(to, n);
            move_row(
                &mut tx,
                "collection_items",
                "collection_id",
                item_id,
                before.position.into(),
                to,
            )
            .await?;
        }
        touch(&mut tx, collection_id, now).await?;
        let after = item_in(&mut tx, collection_id, item_id).await?;
        tx.commit().await?;
        Ok(after)
    }

    async fn remove_item_once(
        &self,
        collection_id: &str,
        item_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let mut tx = self.pool.begin().await?;
        if !lock_collection(&mut tx, collection_id).await? {
            return Ok(false);
        }
        let Some(item) = item_in(&mut tx, collection_id, item_id).await? else {
            return Ok(false);
        };
        let n = count_items(&mut tx, collection_id).await?;
        move_row(
            &mut tx,
            "collection_items",
            "collection_id",
            item_id,
            item.position.into(),
            to_i64(n) - 1,
        )
        .await?;
        sqlx::query("DELETE FROM collection_items WHERE id = $1")
            .bind(item_id)
            .execute(&mut *tx)
            .await?;
        touch(&mut tx, collection_id, now).await?;
        tx.commit().await?;
        Ok(true)
    }
}

#[async_trait]
impl Collections for PostgresStore {
    async fn create_collection(
        &self,
        new: &NewCollection,
    ) -> Result<Result<Collection, CreateRefusal>, StoreError> {
        retrying("creating a collection", || self.create_collection_once(new)).await
    }

    async fn collection(&self, id: &str) -> Result<Option<Collection>, StoreError> {
        let mut conn = self.pool.acquire().await?;
        collection_in(&mut conn, id).await
    }

    async fn collection_items(&self, id: &str) -> Result<Vec<CollectionItem>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM collection_items i WHERE i.collection_id = $1 \
             ORDER BY i.position"
        );
        let rows = sqlx::query(&sql).bind(id).fetch_all(&self.pool).await?;
        rows.iter().map(item_from_row).collect()
    }

    async fn change_collection(
        &self,
        id: &str,
        change: &CollectionChange,
        now: DateTime<Utc>,
    ) -> Result<Result<Collection, ChangeRefusal>, StoreError> {
        retrying("changing a collection", || {
            self.change_collection_once(id, change, now)
        })
        .await
    }

    async fn delete_collection(&self, id: &str) -> Result<bool, StoreError> {
        retrying("deleting a collection", || self.delete_collection_once(id)).await
    }

    async fn add_collection_item(
        &self,
        new: &NewItem,
    ) -> Result<Result<CollectionItem, AddRefusal>, StoreError> {
        retrying("adding to a collection", || self.add_item_once(new)).await
    }

    async fn change_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        change: &ItemChange,
        now: DateTime<Utc>,
    ) -> Result<Option<CollectionItem>, StoreError> {
        retrying("changing a collection item", || {
            self.change_item_once(collection_id, item_id, change, now)
        })
        .await
    }

    async fn remove_collection_item(
        &self,
        collection_id: &str,
        item_id: &str,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        retrying("removing a collection item", || {
            self.remove_item_once(collection_id, item_id, now)
        })
        .await
    }

    async fn list_collections(
        &self,
        query: &CollectionQuery,
    ) -> Result<Vec<(Collection, Vec<CollectionItem>)>, StoreError> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c JOIN members m ON m.id = c.owner_id \
             WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
            list_conditions(query, |n| format!("${n}")),
            list_order(query.sort),
            to_i64(query.limit),
            to_i64(query.offset),
        );
        let mut q = sqlx::query(&sql);
        if let Some(owner) = &query.owner {
            q = q.bind(owner.to_ascii_lowercase());
        }
        if let Some(paper) = &query.paper {
            q = q.bind(paper.as_str());
        }
        if let Some(viewer) = query.viewer {
            q = q.bind(to_i64(viewer));
        }
        let rows = q.fetch_all(&self.pool).await?;
        let collections = rows
            .iter()
            .map(collection_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        if collections.is_empty() || query.items_each == 0 {
            return Ok(with_items(collections, Vec::new()));
        }
        let ids: Vec<&str> = collections.iter().map(|c| c.id.as_str()).collect();
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM collection_items i \
             WHERE i.collection_id = ANY($1) AND i.position < $2"
        );
        let rows = sqlx::query(&sql)
            .bind(&ids)
            .bind(i64::from(query.items_each))
            .fetch_all(&self.pool)
            .await?;
        let items = rows
            .iter()
            .map(item_from_row)
            .collect::<Result<Vec<_>, _>>()?;
        Ok(with_items(collections, items))
    }
}

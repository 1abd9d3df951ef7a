//! Collections on SQLite: the statements of [`ListSql`] and little else
//! (the changes are written once, in [`crate::collections`]). Every change
//! is one `BEGIN IMMEDIATE` transaction on the one writer, so the changes
//! of a list never interleave and the locks are no-ops; reads go through
//! the read-only pool.

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use sqlx::pool::PoolConnection;
use sqlx::{Sqlite, SqliteConnection, Transaction};

use super::{BEGIN_WRITE, SqliteStore, millis, take_numbers};
use crate::StoreError;
use crate::codec::{to_i64, to_json, to_u64};
use crate::collections::{
    Backend, COLLECTION_COLUMNS, Collection, CollectionItem, CollectionQuery, Fields, ITEM_COLUMNS,
    List, ListSql, NewCollection, NewItem, collection_from_row, item_from_row, list_conditions,
    list_order,
};

#[async_trait]
impl Backend for SqliteStore {
    type Conn = SqliteConnection;
    type Write = Transaction<'static, Sqlite>;
    type Read = PoolConnection<Sqlite>;

    async fn write(&self) -> Result<Self::Write, StoreError> {
        Ok(self.writer.begin_with(BEGIN_WRITE).await?)
    }

    async fn commit(tx: Self::Write) -> Result<(), StoreError> {
        Ok(tx.commit().await?)
    }

    async fn read(&self) -> Result<Self::Read, StoreError> {
        Ok(self.readers.acquire().await?)
    }
}

#[async_trait]
impl ListSql for SqliteConnection {
    async fn lock_owner(&mut self, _owner_id: u64) -> Result<(), StoreError> {
        Ok(())
    }

    async fn lock_collection(&mut self, _id: &str) -> Result<(), StoreError> {
        Ok(())
    }

    async fn owner_of(&mut self, id: &str) -> Result<Option<u64>, StoreError> {
        let owner: Option<i64> =
            sqlx::query_scalar("SELECT owner_id FROM collections WHERE id = ?1")
                .bind(id)
                .fetch_optional(self)
                .await?;
        Ok(owner.map(to_u64))
    }

    async fn collection(&mut self, id: &str) -> Result<Option<Collection>, StoreError> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c JOIN members m ON m.id = c.owner_id \
             WHERE c.id = ?1"
        );
        let row = sqlx::query(&sql).bind(id).fetch_optional(self).await?;
        row.as_ref().map(collection_from_row).transpose()
    }

    async fn titled(&mut self, owner_id: u64, key: &str) -> Result<Option<String>, StoreError> {
        Ok(
            sqlx::query_scalar("SELECT id FROM collections WHERE owner_id = ?1 AND title_key = ?2")
                .bind(to_i64(owner_id))
                .bind(key)
                .fetch_optional(self)
                .await?,
        )
    }

    async fn items(
        &mut self,
        collection_ids: &[&str],
        below: Option<u32>,
    ) -> Result<Vec<CollectionItem>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM collection_items i \
             WHERE i.collection_id IN (SELECT value FROM json_each(?1)) AND i.position < ?2 \
             ORDER BY i.collection_id, i.position"
        );
        let rows = sqlx::query(&sql)
            .bind(to_json(&collection_ids))
            .bind(below.map_or(i64::MAX, i64::from))
            .fetch_all(self)
            .await?;
        rows.iter().map(item_from_row).collect()
    }

    async fn item(
        &mut self,
        collection_id: &str,
        item_id: &str,
    ) -> Result<Option<CollectionItem>, StoreError> {
        let sql = format!(
            "SELECT {ITEM_COLUMNS} FROM collection_items i WHERE i.id = ?1 AND i.collection_id = ?2"
        );
        let row = sqlx::query(&sql)
            .bind(item_id)
            .bind(collection_id)
            .fetch_optional(self)
            .await?;
        row.as_ref().map(item_from_row).transpose()
    }

    async fn item_of_paper(
        &mut self,
        collection_id: &str,
        paper: &str,
    ) -> Result<Option<String>, StoreError> {
        Ok(sqlx::query_scalar(
            "SELECT id FROM collection_items WHERE collection_id = ?1 AND paper_id = ?2",
        )
        .bind(collection_id)
        .bind(paper)
        .fetch_optional(self)
        .await?)
    }

    async fn paper_exists(&mut self, paper: &str) -> Result<bool, StoreError> {
        let found: Option<i64> = sqlx::query_scalar("SELECT 1 FROM papers WHERE id = ?1")
            .bind(paper)
            .fetch_optional(self)
            .await?;
        Ok(found.is_some())
    }

    async fn count(&mut self, list: List<'_>) -> Result<u64, StoreError> {
        let n: i64 = match list {
            List::Owner(owner) => {
                sqlx::query_scalar("SELECT count(*) FROM collections WHERE owner_id = ?1")
                    .bind(to_i64(owner))
                    .fetch_one(self)
                    .await?
            }
            List::Items(id) => {
                sqlx::query_scalar("SELECT count(*) FROM collection_items WHERE collection_id = ?1")
                    .bind(id)
                    .fetch_one(self)
                    .await?
            }
        };
        Ok(to_u64(n))
    }

    async fn next_number(&mut self, counter: &str) -> Result<u64, StoreError> {
        Ok(take_numbers(self, counter, 1).await? + 1)
    }

    async fn insert_collection(
        &mut self,
        id: &str,
        new: &NewCollection,
        position: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO collections (id, owner_id, title, title_key, description, private, \
             theme, position, created_at, updated_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?9)",
        )
        .bind(id)
        .bind(to_i64(new.owner_id))
        .bind(new.title.as_str())
        .bind(new.title.key())
        .bind(new.description.as_deref())
        .bind(i64::from(new.private))
        .bind(&new.theme)
        .bind(to_i64(position))
        .bind(millis(new.now))
        .execute(self)
        .await?;
        Ok(())
    }

    async fn update_collection(
        &mut self,
        id: &str,
        f: &Fields,
        now: DateTime<Utc>,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "UPDATE collections SET title = ?2, title_key = ?3, description = ?4, private = ?5, \
             theme = ?6, updated_at = ?7 WHERE id = ?1",
        )
        .bind(id)
        .bind(&f.title)
        .bind(&f.key)
        .bind(f.description.as_deref())
        .bind(i64::from(f.private))
        .bind(&f.theme)
        .bind(millis(now))
        .execute(self)
        .await?;
        Ok(())
    }

    async fn insert_item(
        &mut self,
        id: &str,
        new: &NewItem,
        position: u64,
    ) -> Result<(), StoreError> {
        sqlx::query(
            "INSERT INTO collection_items (id, collection_id, paper_id, position, note, added_at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
        )
        .bind(id)
        .bind(&new.collection_id)
        .bind(new.paper.as_str())
        .bind(to_i64(position))
        .bind(new.note.as_deref())
        .bind(millis(new.now))
        .execute(self)
        .await?;
        Ok(())
    }

    async fn set_note(&mut self, item_id: &str, note: Option<&str>) -> Result<(), StoreError> {
        sqlx::query("UPDATE collection_items SET note = ?2 WHERE id = ?1")
            .bind(item_id)
            .bind(note)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn touch(&mut self, collection_id: &str, now: DateTime<Utc>) -> Result<(), StoreError> {
        sqlx::query("UPDATE collections SET updated_at = ?2 WHERE id = ?1")
            .bind(collection_id)
            .bind(millis(now))
            .execute(self)
            .await?;
        Ok(())
    }

    async fn move_row(
        &mut self,
        list: List<'_>,
        id: &str,
        from: i64,
        to: i64,
    ) -> Result<(), StoreError> {
        if from == to {
            return Ok(());
        }
        let (table, scope) = list.table_and_scope();
        let rows = format!("{scope} = (SELECT {scope} FROM {table} WHERE id = ?1)");
        sqlx::query(&format!(
            "UPDATE {table} SET position = -1 - (CASE WHEN id = ?1 THEN ?3 \
             WHEN ?2 < ?3 THEN position - 1 ELSE position + 1 END) \
             WHERE {rows} AND position BETWEEN ?4 AND ?5"
        ))
        .bind(id)
        .bind(from)
        .bind(to)
        .bind(from.min(to))
        .bind(from.max(to))
        .execute(&mut *self)
        .await?;
        sqlx::query(&format!(
            "UPDATE {table} SET position = -1 - position WHERE {rows} AND position < 0"
        ))
        .bind(id)
        .execute(self)
        .await?;
        Ok(())
    }

    async fn delete_row(&mut self, list: List<'_>, id: &str) -> Result<(), StoreError> {
        let (table, _) = list.table_and_scope();
        sqlx::query(&format!("DELETE FROM {table} WHERE id = ?1"))
            .bind(id)
            .execute(self)
            .await?;
        Ok(())
    }

    async fn list(&mut self, query: &CollectionQuery) -> Result<Vec<Collection>, StoreError> {
        let sql = format!(
            "SELECT {COLLECTION_COLUMNS} FROM collections c JOIN members m ON m.id = c.owner_id \
             WHERE {} ORDER BY {} LIMIT {} OFFSET {}",
            list_conditions(query, |n| format!("?{n}")),
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
        let rows = q.fetch_all(self).await?;
        rows.iter().map(collection_from_row).collect()
    }
}

//! Reads both backends make the same way, written once over any sqlx
//! database: a page of rows (`LIMIT` then `OFFSET` as the statement's last
//! two parameters, after an optional text one) and one text value by key.
//! The statements themselves stay with each backend's SQL.

use sqlx::{Database, Encode, Executor, IntoArguments, Type};

use crate::StoreError;

/// The rows of `sql` bound to `text` (when given), then `limit`, `offset`.
pub(crate) async fn page<'c, DB, E>(
    exec: E,
    sql: &'c str,
    text: Option<String>,
    limit: u64,
    offset: u64,
) -> Result<Vec<DB::Row>, StoreError>
where
    DB: Database,
    E: Executor<'c, Database = DB>,
    i64: Encode<'c, DB> + Type<DB>,
    String: Encode<'c, DB> + Type<DB>,
    <DB as Database>::Arguments<'c>: IntoArguments<'c, DB>,
{
    let mut q = sqlx::query::<DB>(sql);
    if let Some(text) = text {
        q = q.bind(text);
    }
    let rows = q
        .bind(crate::codec::to_i64(limit))
        .bind(crate::codec::to_i64(offset))
        .fetch_all(exec)
        .await?;
    Ok(rows)
}

/// The text `sql` answers for `key`, if any.
pub(crate) async fn text_by_key<'c, DB, E>(
    exec: E,
    sql: &'c str,
    key: &'c str,
) -> Result<Option<String>, StoreError>
where
    DB: Database,
    E: Executor<'c, Database = DB>,
    &'c str: Encode<'c, DB> + Type<DB>,
    (String,): for<'r> sqlx::FromRow<'r, DB::Row>,
    <DB as Database>::Arguments<'c>: IntoArguments<'c, DB>,
{
    let value: Option<(String,)> = sqlx::query_as::<DB, (String,)>(sql)
        .bind(key)
        .fetch_optional(exec)
        .await?;
    Ok(value.map(|(v,)| v))
}

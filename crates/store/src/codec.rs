//! How values are written to and read from any backend's columns: f16
//! vectors, instants and days as sortable text, the stored JSON, and integer
//! conversions. Backends share these so that the same value is stored the
//! same way everywhere (and `copy` between backends is a plain row copy).

use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};

use crate::StoreError;
use crate::rows::{Kind, Row, Table, Value};

/// Embeddings are stored as little-endian f16: half the size of f32, and
/// far more precise than the cosine ranking needs.
pub fn encode_vector(v: &[f32]) -> Vec<u8> {
    v.iter()
        .flat_map(|x| half::f16::from_f32(*x).to_le_bytes())
        .collect()
}

/// The inverse of [`encode_vector`]; `None` for bytes of odd length.
pub fn decode_vector(bytes: &[u8]) -> Option<Vec<f32>> {
    if !bytes.len().is_multiple_of(2) {
        return None;
    }
    Some(
        bytes
            .chunks_exact(2)
            .map(|b| half::f16::from_le_bytes([b[0], b[1]]).to_f32())
            .collect(),
    )
}

/// Formats an instant the one way the database stores it, so that text
/// order is time order.
pub fn timestamp(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A feed day as stored (`YYYY-MM-DD`).
pub fn day_text(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// Reads a stored feed day.
pub fn parse_day(s: &str) -> Result<NaiveDate, StoreError> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d")
        .map_err(|e| StoreError::Corrupt(format!("feed day {s:?}: {e}")))
}

/// A domain value as stored JSON.
pub fn to_json<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string(value).expect("domain types always serialize")
}

/// Reads stored JSON; `what` names the value in the error.
pub fn from_json<T: serde::de::DeserializeOwned>(what: &str, text: &str) -> Result<T, StoreError> {
    serde_json::from_str(text).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

/// Databases count in signed 64-bit integers; ours never go below zero.
pub fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// See [`to_i64`].
pub fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// Reads a database row of `table` as plain values (any backend).
pub fn plain_row<R>(row: &R, table: &Table) -> Result<Row, StoreError>
where
    R: sqlx::Row,
    usize: sqlx::ColumnIndex<R>,
    for<'r> Option<i64>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<String>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
    for<'r> Option<Vec<u8>>: sqlx::Decode<'r, R::Database> + sqlx::Type<R::Database>,
{
    table
        .columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            Ok(match c.kind {
                Kind::Int => row
                    .try_get::<Option<i64>, _>(i)?
                    .map_or(Value::Null, Value::Int),
                Kind::Text => row
                    .try_get::<Option<String>, _>(i)?
                    .map_or(Value::Null, Value::Text),
                Kind::Bytes => row
                    .try_get::<Option<Vec<u8>>, _>(i)?
                    .map_or(Value::Null, Value::Bytes),
            })
        })
        .collect()
}

/// Binds a plain value as its column's type (a null is typed too).
pub fn push_plain<'a, DB>(
    b: &mut sqlx::query_builder::Separated<'_, 'a, DB, &'static str>,
    v: &'a Value,
    kind: Kind,
) where
    DB: sqlx::Database,
    i64: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a str: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    &'a [u8]: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<i64>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a str>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
    Option<&'a [u8]>: sqlx::Encode<'a, DB> + sqlx::Type<DB>,
{
    match (v, kind) {
        (Value::Int(n), _) => b.push_bind(*n),
        (Value::Text(t), _) => b.push_bind(t.as_str()),
        (Value::Bytes(x), _) => b.push_bind(x.as_slice()),
        (Value::Null, Kind::Int) => b.push_bind(None::<i64>),
        (Value::Null, Kind::Text) => b.push_bind(None::<&str>),
        (Value::Null, Kind::Bytes) => b.push_bind(None::<&[u8]>),
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vectors_round_trip_at_f16_precision() {
        let v = vec![0.0, 1.0, -0.5, 0.123_456, 1e-3];
        let back = decode_vector(&encode_vector(&v)).unwrap();
        assert_eq!(back.len(), v.len());
        for (a, b) in v.iter().zip(&back) {
            assert!((a - b).abs() < 1e-3, "{a} vs {b}");
        }
        assert_eq!(decode_vector(&[1, 2, 3]), None);
    }

    #[test]
    fn timestamps_sort_as_text_in_time_order() {
        let a: DateTime<Utc> = "2025-12-01T09:00:00Z".parse().unwrap();
        let b: DateTime<Utc> = "2025-12-01T10:00:00.5Z".parse().unwrap();
        assert!(timestamp(a) < timestamp(b));
        assert_eq!(timestamp(a), "2025-12-01T09:00:00.000Z");
    }
}

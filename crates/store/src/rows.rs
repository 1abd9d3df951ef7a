//! Every table as plain rows, the same on every backend: what `copy` moves
//! from one store to another, what a PostgreSQL backup writes to an SQLite
//! file, and what the content checksum reads.
//!
//! [`TABLES`] lists every table with its columns; a table added by a later
//! migration is added here too (in both backends' migrations), and `copy`,
//! backups and the checksum then carry it without more code. Values are
//! stored the same way on both backends (see [`crate::codec`]), so a row
//! read from one is written unchanged to the other.

use sha2::{Digest, Sha256};

use crate::{Store, StoreError};

/// One column value.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Value {
    Null,
    Int(i64),
    Text(String),
    Bytes(Vec<u8>),
}

/// One row: its values in the order of its table's columns.
pub type Row = Vec<Value>;

/// How a column is stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Int,
    Text,
    Bytes,
}

/// A column of a table.
#[derive(Debug)]
pub struct Column {
    pub name: &'static str,
    pub kind: Kind,
}

/// A table: its name and columns, the first of which is its key.
#[derive(Debug)]
pub struct Table {
    pub name: &'static str,
    pub columns: &'static [Column],
}

impl Table {
    /// The key column.
    pub fn key(&self) -> &Column {
        &self.columns[0]
    }

    /// The column names, comma-separated, for SQL.
    pub fn column_list(&self) -> String {
        self.columns
            .iter()
            .map(|c| c.name)
            .collect::<Vec<_>>()
            .join(", ")
    }

    /// `SET col = excluded.col, …` for every column but the key.
    pub fn update_list(&self) -> String {
        self.columns[1..]
            .iter()
            .map(|c| format!("{0} = excluded.{0}", c.name))
            .collect::<Vec<_>>()
            .join(", ")
    }
}

const fn int(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Int,
    }
}

const fn bytes(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Bytes,
    }
}

const fn text(name: &'static str) -> Column {
    Column {
        name,
        kind: Kind::Text,
    }
}

/// Every table, in the order a copy writes them (a table before those that
/// refer to it).
pub const TABLES: &[Table] = &[
    Table {
        name: "organizations",
        columns: &[text("name"), text("fullname"), text("data")],
    },
    Table {
        name: "papers",
        columns: &[
            text("id"),
            int("doc"),
            int("seq"),
            text("primary_category"),
            text("organization"),
            text("published_at"),
            int("upvotes"),
            text("data"),
        ],
    },
    Table {
        name: "listings",
        columns: &[
            text("paper_id"),
            text("feed_day"),
            text("submitted_at"),
            text("listed_at"),
            text("submitter"),
            text("data"),
        ],
    },
    Table {
        name: "embeddings",
        columns: &[
            int("doc"),
            text("model"),
            int("text_hash"),
            int("paper_seq"),
            int("rev"),
            Column {
                name: "vector",
                kind: Kind::Bytes,
            },
        ],
    },
    Table {
        name: "embedding_claims",
        columns: &[int("doc"), text("holder"), int("expires_at")],
    },
    Table {
        name: "checkpoints",
        columns: &[text("key"), text("value"), text("updated_at")],
    },
    Table {
        name: "leases",
        columns: &[
            text("name"),
            text("holder"),
            int("acquired_at"),
            int("expires_at"),
        ],
    },
    Table {
        name: "counters",
        columns: &[text("name"), int("value")],
    },
    Table {
        name: "members",
        columns: &[
            int("id"),
            text("username"),
            text("username_key"),
            text("email"),
            text("email_key"),
            text("display_name"),
            text("password_hash"),
            text("role"),
            int("email_verified_at"),
            int("banned_at"),
            int("created_at"),
            int("failed_logins"),
            int("throttled_until"),
        ],
    },
    Table {
        name: "sessions",
        columns: &[
            text("token_hash"),
            int("member_id"),
            text("csrf_token"),
            int("created_at"),
            int("seen_at"),
            int("expires_at"),
        ],
    },
    Table {
        name: "api_tokens",
        columns: &[
            int("id"),
            text("token_hash"),
            int("member_id"),
            text("name"),
            int("created_at"),
        ],
    },
    Table {
        name: "member_tokens",
        columns: &[
            text("token_hash"),
            int("member_id"),
            text("purpose"),
            int("created_at"),
            int("expires_at"),
        ],
    },
    Table {
        name: "upvotes",
        columns: &[
            text("key"),
            int("member_id"),
            text("paper_id"),
            int("created_at"),
        ],
    },
    Table {
        name: "comments",
        columns: &[
            int("id"),
            text("paper_id"),
            int("member_id"),
            int("parent_id"),
            text("body"),
            int("created_at"),
            int("edited_at"),
            int("deleted_at"),
            int("hidden_at"),
        ],
    },
    Table {
        name: "outbox",
        columns: &[
            int("id"),
            text("batch"),
            text("recipient"),
            text("message_id"),
            bytes("message"),
            text("state"),
            int("attempts"),
            int("due_at"),
            text("claimed_by"),
            int("claimed_until"),
            text("last_error"),
            int("created_at"),
            int("sent_at"),
        ],
    },
    Table {
        name: "mail_suspensions",
        columns: &[
            text("address"),
            int("failures"),
            int("suspended_at"),
            text("last_error"),
        ],
    },
    Table {
        name: "paper_counts",
        columns: &[text("paper_id"), int("upvotes"), int("comments")],
    },
    Table {
        name: "rate_limits",
        columns: &[text("key"), int("window_start"), int("hits")],
    },
    Table {
        name: "submissions",
        columns: &[
            text("paper_id"),
            int("member_id"),
            text("feed_day"),
            int("submitted_at"),
        ],
    },
    Table {
        name: "authorship_claims",
        columns: &[
            int("id"),
            text("paper_id"),
            text("author"),
            text("author_key"),
            int("member_id"),
            text("status"),
            int("created_at"),
            int("decided_at"),
            int("decided_by"),
        ],
    },
    Table {
        name: "paper_organizations",
        columns: &[
            text("paper_id"),
            text("organization"),
            int("member_id"),
            int("linked_at"),
        ],
    },
    Table {
        name: "organization_members",
        columns: &[
            text("key"),
            text("organization"),
            int("member_id"),
            int("added_at"),
        ],
    },
    Table {
        name: "collections",
        columns: &[
            text("id"),
            int("owner_id"),
            text("title"),
            text("title_key"),
            text("description"),
            int("private"),
            text("theme"),
            int("position"),
            int("created_at"),
            int("updated_at"),
        ],
    },
    Table {
        name: "collection_items",
        columns: &[
            text("id"),
            text("collection_id"),
            text("paper_id"),
            int("position"),
            text("note"),
            int("added_at"),
        ],
    },
    Table {
        name: "subscriptions",
        columns: &[
            int("id"),
            text("email"),
            text("email_key"),
            text("frequency"),
            text("query"),
            int("member_id"),
            text("confirm_hash"),
            int("confirm_until"),
            int("confirmed_at"),
            text("unsubscribe_token"),
            int("unsubscribed_at"),
            int("created_at"),
        ],
    },
    Table {
        name: "digests",
        columns: &[
            text("name"),
            text("frequency"),
            int("started_at"),
            int("composed_at"),
            int("recipients"),
        ],
    },
    Table {
        name: "digest_papers",
        columns: &[
            int("subscription_id"),
            text("paper_id"),
            text("digest"),
            int("sent_at"),
        ],
    },
    Table {
        name: "trending",
        columns: &[
            text("paper_id"),
            int("score"),
            text("reason"),
            int("computed_at"),
        ],
    },
];

/// The table named `name`.
pub fn table(name: &str) -> Option<&'static Table> {
    TABLES.iter().find(|t| t.name == name)
}

/// Rows read per page by the checksum and by `copy`.
pub const PAGE: u64 = 2_000;

/// One table's row count and content digest.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TableSum {
    pub table: &'static str,
    pub rows: u64,
    /// SHA-256 of every row in key order, hex.
    pub digest: String,
}

/// Counts and digests every table of `store`, reading it in key order.
pub async fn checksum(store: &dyn Store) -> Result<Vec<TableSum>, StoreError> {
    let mut sums = Vec::with_capacity(TABLES.len());
    for table in TABLES {
        let mut hasher = Sha256::new();
        let mut rows = 0u64;
        let mut after = None;
        loop {
            let page = store.read_rows(table, after.take(), PAGE).await?;
            let Some(last) = page.last() else { break };
            after = Some(last[0].clone());
            rows += page.len() as u64;
            for row in &page {
                hash_row(&mut hasher, row);
            }
            if (page.len() as u64) < PAGE {
                break;
            }
        }
        sums.push(TableSum {
            table: table.name,
            rows,
            digest: hex(&hasher.finalize()),
        });
    }
    Ok(sums)
}

/// Feeds a row to the hasher unambiguously: a tag and a length before each value.
fn hash_row(hasher: &mut Sha256, row: &Row) {
    for value in row {
        match value {
            Value::Null => hasher.update([0u8]),
            Value::Int(n) => {
                hasher.update([1u8]);
                hasher.update(n.to_le_bytes());
            }
            Value::Text(s) => {
                hasher.update([2u8]);
                hasher.update((s.len() as u64).to_le_bytes());
                hasher.update(s.as_bytes());
            }
            Value::Bytes(b) => {
                hasher.update([3u8]);
                hasher.update((b.len() as u64).to_le_bytes());
                hasher.update(b);
            }
        }
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Whether `store` holds anything a copy would overwrite: a row in any
/// table but `counters` (which every store has).
pub async fn holds_data(store: &dyn Store) -> Result<bool, StoreError> {
    for table in TABLES.iter().filter(|t| t.name != "counters") {
        if !store.read_rows(table, None, 1).await?.is_empty() {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Checks that each row has its table's shape (column count, and each
/// value of its column's kind or null), naming the first that does not.
pub fn check_shape(table: &Table, rows: &[Row]) -> Result<(), StoreError> {
    for (i, row) in rows.iter().enumerate() {
        if row.len() != table.columns.len() {
            return Err(StoreError::Corrupt(format!(
                "{}: row {i} has {} values for {} columns",
                table.name,
                row.len(),
                table.columns.len()
            )));
        }
        for (value, column) in row.iter().zip(table.columns) {
            let fits = matches!(
                (value, column.kind),
                (Value::Null, _)
                    | (Value::Int(_), Kind::Int)
                    | (Value::Text(_), Kind::Text)
                    | (Value::Bytes(_), Kind::Bytes)
            );
            if !fits {
                return Err(StoreError::Corrupt(format!(
                    "{}.{}: row {i} holds {value:?}, not {:?}",
                    table.name, column.name, column.kind
                )));
            }
        }
    }
    Ok(())
}

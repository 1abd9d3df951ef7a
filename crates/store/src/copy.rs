//! Moving an instance: everything one store holds into another, whatever
//! their backends (`dailypapers copy --from URL --to URL`).
//!
//! Into an empty store, every table of [`crate::rows::TABLES`] is copied
//! row for row in key order, one transaction per page, numbers included
//! (document, sequence and revision numbers, counters), so that the copy
//! is the same store: the search indexes of a server on it are valid, and
//! [`crate::rows::checksum`] of both sides is equal, which the copy checks
//! at the end.
//!
//! A store that already holds data is refused unless the copy is told to
//! merge. Merging imports the source's papers and listings through
//! [`Store::import`], so each is merged with what the target holds by the
//! domain rule and numbered by the target; checkpoints the target lacks
//! are added. Embeddings and leases are not merged: the target's embedder
//! makes the vectors of what it does not have, and leases belong to the
//! processes of the source.

use crate::rows::{self, PAGE, Table, TableSum, Value};
use crate::{ImportOutcome, Store, StoreError};

/// How a copy went.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CopyReport {
    /// Rows written, by table.
    pub rows: Vec<(&'static str, u64)>,
    /// What merging the papers did (merges only).
    pub merged: Option<ImportOutcome>,
    /// Both sides' counts and digests, when they were compared (plain
    /// copies): equal, or the copy fails.
    pub checked: Vec<TableSum>,
}

/// Told how far a copy has come: the table, and rows done in it so far.
pub trait CopyProgress {
    fn rows(&mut self, table: &'static str, done: u64);
}

impl<F: FnMut(&'static str, u64)> CopyProgress for F {
    fn rows(&mut self, table: &'static str, done: u64) {
        self(table, done)
    }
}

/// Copies `from` into `to` (see the module docs).
pub async fn copy(
    from: &dyn Store,
    to: &dyn Store,
    merge: bool,
    progress: &mut dyn CopyProgress,
) -> Result<CopyReport, StoreError> {
    if merge {
        return merge_into(from, to, progress).await;
    }
    if rows::holds_data(to).await? {
        return Err(StoreError::NotEmpty(to.describe()));
    }
    let mut report = CopyReport::default();
    for table in rows::TABLES {
        let done =
            copy_table(from, to, table, progress)
                .await
                .map_err(|e| StoreError::CopyStopped {
                    table: table.name,
                    source: Box::new(e),
                })?;
        report.rows.push((table.name, done));
    }
    let source = rows::checksum(from).await?;
    let copied = rows::checksum(to).await?;
    if source != copied {
        let differ: Vec<String> = source
            .iter()
            .zip(&copied)
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("{} ({} rows against {})", a.table, a.rows, b.rows))
            .collect();
        return Err(StoreError::CopyDiffers(differ.join(", ")));
    }
    report.checked = copied;
    Ok(report)
}

/// Copies one table page by page; answers the rows written.
async fn copy_table(
    from: &dyn Store,
    to: &dyn Store,
    table: &'static Table,
    progress: &mut dyn CopyProgress,
) -> Result<u64, StoreError> {
    let mut done = 0u64;
    let mut after: Option<Value> = None;
    loop {
        let page = from.read_rows(table, after.take(), PAGE).await?;
        to.write_rows(table, &page).await?;
        done += page.len() as u64;
        progress.rows(table.name, done);
        match page.last() {
            Some(last) if page.len() as u64 == PAGE => after = Some(last[0].clone()),
            _ => return Ok(done),
        }
    }
}

/// Merges the source's papers, listings and checkpoints into `to`.
async fn merge_into(
    from: &dyn Store,
    to: &dyn Store,
    progress: &mut dyn CopyProgress,
) -> Result<CopyReport, StoreError> {
    let mut report = CopyReport::default();
    let mut outcome = ImportOutcome::default();
    let mut done = 0u64;
    let mut after_seq = 0u64;
    loop {
        let changes = from.changed_papers(after_seq, PAGE).await?;
        let Some(last) = changes.last() else { break };
        after_seq = last.seq;
        let docs: Vec<u64> = changes.iter().map(|c| c.doc).collect();
        let batch: Vec<_> = from
            .listings_by_doc(&docs)
            .await?
            .into_iter()
            .map(|(_, l)| l)
            .collect();
        done += batch.len() as u64;
        outcome += to.import(batch).await?;
        progress.rows("papers", done);
    }
    report.rows.push(("papers", done));
    report.merged = Some(outcome);
    let checkpoints = rows::table("checkpoints").expect("checkpoints is a table");
    let mut added = 0u64;
    let mut after: Option<Value> = None;
    loop {
        let page = from.read_rows(checkpoints, after.take(), PAGE).await?;
        let full = page.len() as u64 == PAGE;
        after = page.last().map(|r| r[0].clone());
        let mut missing = Vec::new();
        for row in page {
            let Value::Text(key) = &row[0] else { continue };
            if to.checkpoint(key).await?.is_none() {
                missing.push(row);
            }
        }
        added += missing.len() as u64;
        to.write_rows(checkpoints, &missing).await?;
        progress.rows("checkpoints", added);
        if !full {
            break;
        }
    }
    report.rows.push(("checkpoints", added));
    Ok(report)
}

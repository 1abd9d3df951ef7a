//! Votes written together: concurrent votes wait in a queue and one task
//! writes whatever has gathered in one transaction, so a burst of votes
//! costs one commit instead of one each (on SQLite, one commit writes every
//! page it touched to the log again: 16 KiB pages for one small row).
//! Votes are applied in the order they arrived, each with its own outcome,
//! so a batch changes nothing in what a vote means; a batch that fails
//! fails every vote in it, and nothing of it is written.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use dailypapers_domain::ArxivId;
use tokio::sync::{mpsc, oneshot};

use crate::StoreError;
use crate::community::VoteOutcome;

/// The most votes one transaction writes.
pub const MAX_BATCH: usize = 64;

/// One vote waiting to be written.
#[derive(Debug)]
pub struct Vote {
    pub member_id: u64,
    pub paper: ArxivId,
    pub on: bool,
    pub now: DateTime<Utc>,
    reply: oneshot::Sender<Result<Option<VoteOutcome>, Arc<StoreError>>>,
}

/// Where votes are queued.
#[derive(Clone, Debug)]
pub struct VoteQueue(mpsc::Sender<Vote>);

/// Writes a batch: one outcome per vote, in order (`None`: no such paper).
pub type WriteBatch = Arc<
    dyn Fn(
            Vec<(u64, ArxivId, bool, DateTime<Utc>)>,
        ) -> std::pin::Pin<
            Box<dyn Future<Output = Result<Vec<Option<VoteOutcome>>, StoreError>> + Send>,
        > + Send
        + Sync,
>;

impl VoteQueue {
    /// Starts the task that writes batches with `write`; it ends when the
    /// last queue handle is dropped.
    pub fn start(write: WriteBatch) -> Self {
        let (tx, mut rx) = mpsc::channel::<Vote>(MAX_BATCH * 16);
        tokio::spawn(async move {
            let mut batch = Vec::with_capacity(MAX_BATCH);
            while rx.recv_many(&mut batch, MAX_BATCH).await > 0 {
                let votes: Vec<Vote> = std::mem::take(&mut batch);
                let args = votes
                    .iter()
                    .map(|v| (v.member_id, v.paper.clone(), v.on, v.now))
                    .collect();
                match write(args).await {
                    Ok(outcomes) => {
                        for (vote, outcome) in votes.into_iter().zip(outcomes) {
                            let _ = vote.reply.send(Ok(outcome));
                        }
                    }
                    Err(e) => {
                        let e = Arc::new(e);
                        for vote in votes {
                            let _ = vote.reply.send(Err(e.clone()));
                        }
                    }
                }
            }
        });
        VoteQueue(tx)
    }

    /// Queues a vote and waits for its outcome.
    pub async fn vote(
        &self,
        member_id: u64,
        paper: &ArxivId,
        on: bool,
        now: DateTime<Utc>,
    ) -> Result<Option<VoteOutcome>, StoreError> {
        let (reply, outcome) = oneshot::channel();
        let vote = Vote {
            member_id,
            paper: paper.clone(),
            on,
            now,
            reply,
        };
        if self.0.send(vote).await.is_err() {
            return Err(StoreError::Closed);
        }
        match outcome.await {
            Ok(Ok(outcome)) => Ok(outcome),
            Ok(Err(e)) => Err(StoreError::Batch(e)),
            Err(_) => Err(StoreError::Closed),
        }
    }
}

/// What a batch of votes changes, worked out without I/O from the votes in
/// arrival order and which of their (member, paper) keys are stored: the
/// rows to add and remove, and whether each vote changed anything.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Resolved {
    /// `(key, member_id, paper, created_at ms)` of votes to store.
    pub add: Vec<(String, i64, String, i64)>,
    /// Keys of votes to remove.
    pub remove: Vec<String>,
    /// Per vote, in order: whether it changed the stored state.
    pub changed: Vec<bool>,
}

/// Applies `votes` in order to the stored state `existing` (the keys of
/// stored votes among them).
pub fn resolve(
    votes: &[(u64, ArxivId, bool, DateTime<Utc>)],
    existing: &std::collections::HashSet<String>,
) -> Resolved {
    use std::collections::HashMap;
    // Each key's state as the batch goes, and the vote that set it last.
    let mut state: HashMap<String, (bool, usize)> = HashMap::new();
    let mut changed = Vec::with_capacity(votes.len());
    for (i, (member, paper, on, _)) in votes.iter().enumerate() {
        let key = crate::community::vote_key(*member, paper);
        let now = state
            .get(&key)
            .map(|(s, _)| *s)
            .unwrap_or_else(|| existing.contains(&key));
        changed.push(now != *on);
        state.insert(key, (*on, i));
    }
    let mut out = Resolved {
        changed,
        ..Resolved::default()
    };
    let mut keys: Vec<_> = state.into_iter().collect();
    keys.sort();
    for (key, (on, last)) in keys {
        match (existing.contains(&key), on) {
            (false, true) => {
                let (member, paper, _, at) = &votes[last];
                out.add.push((
                    key,
                    crate::codec::to_i64(*member),
                    paper.as_str().to_string(),
                    at.timestamp_millis(),
                ));
            }
            (true, false) => out.remove.push(key),
            _ => {}
        }
    }
    out
}

/// The papers of a batch, each once, in id order: the order every backend
/// locks their counts in.
pub fn papers(votes: &[(u64, ArxivId, bool, DateTime<Utc>)]) -> Vec<String> {
    let mut ids: Vec<String> = votes.iter().map(|v| v.1.as_str().to_string()).collect();
    ids.sort();
    ids.dedup();
    ids
}

/// Each vote's outcome, given the batch's changes and its papers' counts
/// after it, `(id, imported, members')` (`None` for a paper that does not
/// exist).
pub fn outcomes(
    votes: &[(u64, ArxivId, bool, DateTime<Utc>)],
    changed: &[bool],
    rows: Vec<(String, i64, i64)>,
) -> Vec<Option<VoteOutcome>> {
    let counts: std::collections::HashMap<String, u32> = rows
        .into_iter()
        .map(|(id, base, members)| (id, u32::try_from(base + members).unwrap_or(0)))
        .collect();
    votes
        .iter()
        .zip(changed)
        .map(|((_, paper, on, _), &changed)| {
            counts.get(paper.as_str()).map(|&upvotes| VoteOutcome {
                upvoted: *on,
                changed,
                upvotes,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn votes_in_a_batch_apply_in_order() {
        let p: ArxivId = "2501.00001".parse().unwrap();
        let t = Utc::now();
        let v = |m, on| (m, p.clone(), on, t);
        let existing = ["2 2501.00001".to_string()].into_iter().collect();
        // 1: on, on again, off, on. 2 (stored): off, off. 3: on, off.
        let votes = vec![
            v(1, true),
            v(1, true),
            v(2, false),
            v(1, false),
            v(2, false),
            v(1, true),
            v(3, true),
            v(3, false),
        ];
        let r = resolve(&votes, &existing);
        assert_eq!(
            r.changed,
            vec![true, false, true, true, false, true, true, true]
        );
        assert_eq!(
            r.add.iter().map(|a| a.0.as_str()).collect::<Vec<_>>(),
            vec!["1 2501.00001"]
        );
        assert_eq!(r.remove, vec!["2 2501.00001".to_string()]);
    }
}

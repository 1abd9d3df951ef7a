//! What a batch import writes, decided without I/O: records of one paper
//! within the batch are merged in order, then each paper is merged with its
//! stored version by the domain rule (`Paper::merge`), and only what changed
//! is kept for writing. Every backend runs this between reading the stored
//! rows of the batch and writing, inside its write transaction, so all
//! backends store the same result and report the same tally.
//!
//! Stored rows come as their JSON text and are decoded only when they may
//! change: the merge rule is idempotent (a record merged with itself is
//! itself), so a stored row whose text equals the incoming record's is
//! unchanged without decoding it. Re-importing a file, the common case of a
//! nightly snapshot, then costs one serialisation and one comparison per
//! record instead of a parse.

use std::collections::HashMap;

use dailypapers_domain::{FeedEntry, Listing, Organization, Paper};

use crate::codec::{from_json, to_json};
use crate::{ImportOutcome, StoreError};

/// A batch with the repeats of each paper merged, in first-seen order.
#[derive(Debug)]
pub struct Incoming {
    order: Vec<String>,
    items: HashMap<String, Listing>,
    outcome: ImportOutcome,
}

impl Incoming {
    /// Merges records of the same paper; a repeat counts as what it did to
    /// the first record.
    pub fn new(batch: Vec<Listing>) -> Incoming {
        let mut outcome = ImportOutcome::default();
        let mut order: Vec<String> = Vec::with_capacity(batch.len());
        let mut items: HashMap<String, Listing> = HashMap::with_capacity(batch.len());
        for item in batch {
            match items.get_mut(item.paper.id.as_str()) {
                Some(seen) => {
                    let paper = seen.paper.merge(&item.paper);
                    let entry = merge_entry(seen.entry.as_ref(), item.entry);
                    if paper == seen.paper && entry == seen.entry {
                        outcome.unchanged += 1;
                    } else {
                        outcome.updated += 1;
                    }
                    seen.paper = paper;
                    seen.entry = entry;
                }
                None => {
                    order.push(item.paper.id.as_str().to_owned());
                    items.insert(item.paper.id.as_str().to_owned(), item);
                }
            }
        }
        Incoming {
            order,
            items,
            outcome,
        }
    }

    /// The canonical ids of the batch's papers, each once.
    pub fn ids(&self) -> &[String] {
        &self.order
    }

    pub fn is_empty(&self) -> bool {
        self.order.is_empty()
    }
}

/// What is stored of the batch's papers, as read by a backend: the JSON
/// text of each row, decoded by [`plan`] only when needed.
#[derive(Debug, Default)]
pub struct Stored {
    /// Stored papers by id, with their document numbers.
    pub papers: HashMap<String, (u64, String)>,
    /// Stored feed entries by paper id.
    pub entries: HashMap<String, String>,
}

/// A paper to write, with its document number when it already has one.
#[derive(Debug)]
pub struct PaperWrite {
    pub doc: Option<u64>,
    pub paper: Paper,
    pub json: String,
}

/// A feed entry to write.
#[derive(Debug)]
pub struct EntryWrite {
    pub entry: FeedEntry,
    pub json: String,
}

/// Everything a batch changes, for a backend to write in one transaction.
#[derive(Debug, Default)]
pub struct ImportPlan {
    /// Changed and new papers, in batch order.
    pub papers: Vec<PaperWrite>,
    /// Changed and new feed entries.
    pub entries: Vec<EntryWrite>,
    /// Organisations named by what is written, each once.
    pub organizations: Vec<Organization>,
    pub outcome: ImportOutcome,
}

impl ImportPlan {
    /// How many new papers need a document number.
    pub fn new_papers(&self) -> u64 {
        self.papers.iter().filter(|p| p.doc.is_none()).count() as u64
    }

    /// The papers to write with their numbers, given the last document and
    /// sequence numbers taken before the batch's (the batch took
    /// [`Self::new_papers`] document numbers and one sequence number per
    /// paper): a new paper takes the next document number, every paper the
    /// next sequence number, in batch order.
    pub fn numbered(&self, last_doc: u64, last_seq: u64) -> Vec<NumberedPaper<'_>> {
        let mut next_doc = last_doc;
        self.papers
            .iter()
            .zip(last_seq + 1..)
            .map(|(write, seq)| {
                let doc = write.doc.unwrap_or_else(|| {
                    next_doc += 1;
                    next_doc
                });
                NumberedPaper { doc, seq, write }
            })
            .collect()
    }
}

/// A paper to write with its document and sequence numbers.
#[derive(Debug)]
pub struct NumberedPaper<'a> {
    pub doc: u64,
    pub seq: u64,
    pub write: &'a PaperWrite,
}

/// Merges the batch with what is stored and keeps what changed. The batch
/// is borrowed (a write that meets another writer plans again from it), so
/// only what is written is copied. Fails when a stored row does not decode.
pub fn plan(incoming: &Incoming, stored: Stored) -> Result<ImportPlan, StoreError> {
    let mut plan = ImportPlan {
        outcome: incoming.outcome,
        ..ImportPlan::default()
    };
    let mut stored = stored;
    let mut orgs: HashMap<String, Organization> = HashMap::new();
    for key in &incoming.order {
        let item = incoming
            .items
            .get(key)
            .expect("every ordered key was inserted");
        let incoming_json = to_json(&item.paper);
        let (doc, write) = match stored.papers.remove(key) {
            Some((doc, text)) if text == incoming_json => (Some(doc), None),
            Some((doc, text)) => {
                let old: Paper = from_json("paper", &text)?;
                let merged = old.merge(&item.paper);
                let write = (merged != old).then(|| {
                    let json = to_json(&merged);
                    (merged, json)
                });
                (Some(doc), write)
            }
            None => (None, Some((item.paper.clone(), incoming_json))),
        };
        let mut entry_changed = false;
        if let Some(new_entry) = &item.entry {
            let old = stored.entries.remove(key);
            let unchanged = old
                .as_deref()
                .is_some_and(|text| text == to_json(new_entry));
            if !unchanged {
                let old: Option<FeedEntry> =
                    old.map(|text| from_json("listing", &text)).transpose()?;
                let entry = merge_entry(old.as_ref(), item.entry.clone())
                    .expect("an incoming entry merges into an entry");
                if old.as_ref() != Some(&entry) {
                    entry_changed = true;
                    if let Some(org) = &entry.organization {
                        orgs.insert(org.name.clone(), org.clone());
                    }
                    let json = to_json(&entry);
                    plan.entries.push(EntryWrite { entry, json });
                }
            }
        }
        match (doc.is_none(), write.is_some() || entry_changed) {
            (true, _) => plan.outcome.new += 1,
            (false, true) => plan.outcome.updated += 1,
            (false, false) => plan.outcome.unchanged += 1,
        }
        if let Some((paper, json)) = write {
            if let Some(org) = &paper.organization {
                orgs.insert(org.name.clone(), org.clone());
            }
            plan.papers.push(PaperWrite { doc, paper, json });
        }
    }
    plan.organizations = orgs.into_values().collect();
    plan.organizations.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(plan)
}

/// A listing as a newer record of it says, except that the comment count
/// only grows (replaying an old recording does not take comments away).
fn merge_entry(stored: Option<&FeedEntry>, incoming: Option<FeedEntry>) -> Option<FeedEntry> {
    match (stored, incoming) {
        (Some(old), Some(mut new)) => {
            new.num_comments = new.num_comments.max(old.num_comments);
            Some(new)
        }
        (old, new) => new.or_else(|| old.cloned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use dailypapers_domain::Author;

    fn paper() -> Paper {
        let mut p = Paper::new("2104.12255".parse().unwrap(), "A title", "An abstract.");
        p.upvotes = Some(3);
        p.authors = vec![Author::named("Yang Liu"), Author::named("Yang Liu")];
        p.authors[1].hf_id = Some("x".into());
        p
    }

    /// The stored rows of `stored`, with each JSON text made by `text`.
    fn stored(stored: &Paper, text: impl Fn(&Paper) -> String) -> Stored {
        let mut s = Stored::default();
        s.papers
            .insert(stored.id.as_str().to_owned(), (7, text(stored)));
        s
    }

    /// The same paper in other JSON text (keys in another order, spaces):
    /// decoded and merged, where equal text is not.
    fn other_text(p: &Paper) -> String {
        let value: serde_json::Value = serde_json::from_str(&to_json(p)).unwrap();
        let mut keys: Vec<_> = value.as_object().unwrap().iter().collect();
        keys.reverse();
        let fields: Vec<String> = keys
            .iter()
            .map(|(k, v)| format!("{} : {}", serde_json::to_string(k).unwrap(), v))
            .collect();
        format!("{{ {} }}", fields.join(" , "))
    }

    #[test]
    fn equal_text_and_decoded_rows_plan_alike() {
        let incoming = Incoming::new(vec![Listing::paper_only(paper())]);
        for text in [to_json as fn(&Paper) -> String, other_text] {
            let plan = plan(&incoming, stored(&paper(), text)).unwrap();
            assert_eq!(plan.outcome.unchanged, 1, "{plan:?}");
            assert!(plan.papers.is_empty() && plan.entries.is_empty());
        }
        // A change is seen either way, and written once.
        let mut newer = paper();
        newer.upvotes = Some(9);
        let incoming = Incoming::new(vec![Listing::paper_only(newer)]);
        for text in [to_json as fn(&Paper) -> String, other_text] {
            let plan = plan(&incoming, stored(&paper(), text)).unwrap();
            assert_eq!(plan.outcome.updated, 1, "{plan:?}");
            assert_eq!(plan.papers.len(), 1);
            assert_eq!(plan.papers[0].doc, Some(7));
            assert_eq!(plan.papers[0].paper.upvotes, Some(9));
        }
    }

    #[test]
    fn a_stored_row_that_does_not_decode_is_an_error_when_it_is_needed() {
        let incoming = Incoming::new(vec![Listing::paper_only(paper())]);
        let err = plan(&incoming, stored(&paper(), |_| "{not json".into())).unwrap_err();
        assert!(err.to_string().contains("paper"), "{err}");
    }
}

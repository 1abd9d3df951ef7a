//! The store conformance suite: what every `Store` implementation must do.
//!
//! Each check takes a fresh, empty store. The SQLite store runs it here on a
//! real database file in a temporary directory.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::{Author, FeedEntry, FeedSort, Listing, Organization, Paper, Submitter};
use dailypapers_store::{FeedQuery, ImportOutcome, NewEmbedding, SqliteStore, Store};
use sqlx::Connection;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

fn paper(id: &str, title: &str, upvotes: Option<u32>) -> Paper {
    let mut p = Paper::new(id.parse().unwrap(), title, &format!("Abstract of {title}."));
    p.upvotes = upvotes;
    p.authors = vec![Author::named("Ada Lovelace"), Author::named("Alan Turing")];
    p.categories = vec!["cs.CL".into(), "cs.LG".into()];
    p
}

fn listed(p: Paper, feed_day: &str, submitted: &str, user: &str) -> Listing {
    let entry = FeedEntry {
        paper_id: p.id.clone(),
        feed_day: day(feed_day),
        submitted_at: Some(at(submitted)),
        submitted_by: Some(Submitter {
            user: user.into(),
            fullname: Some(user.to_uppercase()),
            hf_id: None,
            avatar_url: None,
            is_pro: false,
        }),
        listed_at: at(submitted),
        thumbnail: None,
        num_comments: 2,
        organization: Some(Organization {
            name: "nvidia".into(),
            fullname: "NVIDIA".into(),
            hf_id: None,
            avatar: None,
        }),
        submitter_organization: None,
        is_author_participating: false,
        media_urls: vec![],
    };
    Listing {
        paper: p,
        entry: Some(entry),
    }
}

fn query(from: &str, to: &str) -> FeedQuery {
    FeedQuery {
        from: Some(day(from)),
        to: Some(day(to)),
        submitter: None,
        sort: FeedSort::Upvotes,
        offset: 0,
        limit: 100,
    }
}

fn ids(listings: &[Listing]) -> Vec<&str> {
    listings.iter().map(|l| l.paper.id.as_str()).collect()
}

async fn sample(store: &dyn Store) {
    let batch = vec![
        listed(
            paper("2511.00001", "Low votes early", Some(3)),
            "2025-12-01",
            "2025-12-01T01:00:00Z",
            "alice",
        ),
        listed(
            paper("2511.00002", "Most votes", Some(40)),
            "2025-12-01",
            "2025-12-01T09:00:00Z",
            "bob",
        ),
        listed(
            paper("2511.00003", "Low votes late", Some(3)),
            "2025-12-01",
            "2025-12-01T05:00:00Z",
            "alice",
        ),
        listed(
            paper("2511.00004", "Next day", Some(99)),
            "2025-12-02",
            "2025-12-02T01:00:00Z",
            "bob",
        ),
        listed(
            paper("2511.00005", "Last week", Some(1)),
            "2025-11-24",
            "2025-11-24T01:00:00Z",
            "carol",
        ),
        Listing::paper_only(paper("astro-ph/0601001", "Hot Jupiters", None)),
    ];
    let outcome = store.import(batch).await.unwrap();
    assert_eq!(
        outcome,
        ImportOutcome {
            new: 6,
            updated: 0,
            unchanged: 0
        }
    );
}

async fn feed_day_is_ordered_by_upvotes_then_submission_time(store: Arc<dyn Store>) {
    sample(&*store).await;
    let day1 = store
        .feed(&query("2025-12-01", "2025-12-01"))
        .await
        .unwrap();
    assert_eq!(ids(&day1), ["2511.00002", "2511.00001", "2511.00003"]);
    let week = store
        .feed(&query("2025-12-01", "2025-12-07"))
        .await
        .unwrap();
    assert_eq!(
        ids(&week),
        ["2511.00004", "2511.00002", "2511.00001", "2511.00003"]
    );
    let mut newest = query("2025-11-01", "2025-12-31");
    newest.sort = FeedSort::Newest;
    let all = store.feed(&newest).await.unwrap();
    assert_eq!(
        all.len(),
        5,
        "papers that are not listed are not on the feed"
    );
    assert_eq!(all[0].paper.id.as_str(), "2511.00004");
    // A listing published long before it was submitted sorts by that date.
    let mut early = listed(
        paper("2511.00002", "Most votes", Some(40)),
        "2025-12-01",
        "2025-12-01T09:00:00Z",
        "bob",
    );
    early.entry.as_mut().unwrap().listed_at = at("2025-11-20T00:00:00Z");
    store.import(vec![early]).await.unwrap();
    let mut published = query("2025-11-01", "2025-12-31");
    published.sort = FeedSort::Published;
    let by_listing = store.feed(&published).await.unwrap();
    assert_eq!(
        ids(&by_listing),
        [
            "2511.00004",
            "2511.00003",
            "2511.00001",
            "2511.00005",
            "2511.00002"
        ]
    );
    let mut page = query("2025-12-01", "2025-12-07");
    page.offset = 1;
    page.limit = 2;
    assert_eq!(
        ids(&store.feed(&page).await.unwrap()),
        ["2511.00002", "2511.00001"]
    );
    let mut by_bob = query("2025-11-01", "2025-12-31");
    by_bob.submitter = Some("bob".into());
    assert_eq!(
        ids(&store.feed(&by_bob).await.unwrap()),
        ["2511.00004", "2511.00002"]
    );
}

async fn listings_round_trip_whole(store: Arc<dyn Store>) {
    sample(&*store).await;
    let got = store
        .listing(&"2511.00002v3".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    let want = listed(
        paper("2511.00002", "Most votes", Some(40)),
        "2025-12-01",
        "2025-12-01T09:00:00Z",
        "bob",
    );
    assert_eq!(got, want);
    let unlisted = store
        .listing(&"astro-ph/0601001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert!(unlisted.entry.is_none());
    assert_eq!(unlisted.paper.title, "Hot Jupiters");
    assert!(
        store
            .listing(&"2101.00001".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    let org = store.organization("nvidia").await.unwrap().unwrap();
    assert_eq!(org.fullname, "NVIDIA");
}

async fn reimporting_changes_nothing_and_updates_are_counted(store: Arc<dyn Store>) {
    sample(&*store).await;
    let before = store
        .feed(&query("2025-11-01", "2025-12-31"))
        .await
        .unwrap();
    let again = vec![
        listed(
            paper("2511.00001", "Low votes early", Some(3)),
            "2025-12-01",
            "2025-12-01T01:00:00Z",
            "alice",
        ),
        Listing::paper_only(paper("astro-ph/0601001", "Hot Jupiters", None)),
    ];
    let outcome = store.import(again).await.unwrap();
    assert_eq!(
        outcome,
        ImportOutcome {
            new: 0,
            updated: 0,
            unchanged: 2
        }
    );
    assert_eq!(
        store
            .feed(&query("2025-11-01", "2025-12-31"))
            .await
            .unwrap(),
        before
    );

    // An arXiv record of a listed paper adds its fields without losing the listing's.
    let mut arxiv = paper("2511.00001v2", "Low votes early", None);
    arxiv.doi = Some("10.1000/xyz".into());
    let outcome = store
        .import(vec![Listing::paper_only(arxiv)])
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ImportOutcome {
            new: 0,
            updated: 1,
            unchanged: 0
        }
    );
    let merged = store
        .listing(&"2511.00001".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(merged.paper.doi.as_deref(), Some("10.1000/xyz"));
    assert_eq!(merged.paper.version, Some(2));
    assert_eq!(merged.paper.upvotes, Some(3));
    assert!(merged.entry.is_some());

    // An older recording of a listing does not take comments away.
    let mut old = listed(
        paper("2511.00002", "Most votes", Some(40)),
        "2025-12-01",
        "2025-12-01T09:00:00Z",
        "bob",
    );
    old.entry.as_mut().unwrap().num_comments = 0;
    store.import(vec![old]).await.unwrap();
    let kept = store
        .listing(&"2511.00002".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(kept.entry.unwrap().num_comments, 2);

    // New upvotes reorder the day.
    let more = listed(
        paper("2511.00003", "Low votes late", Some(50)),
        "2025-12-01",
        "2025-12-01T05:00:00Z",
        "alice",
    );
    store.import(vec![more]).await.unwrap();
    let day1 = store
        .feed(&query("2025-12-01", "2025-12-01"))
        .await
        .unwrap();
    assert_eq!(ids(&day1), ["2511.00003", "2511.00002", "2511.00001"]);
}

async fn records_of_one_paper_in_one_batch_are_one_paper(store: Arc<dyn Store>) {
    let a = paper("2104.12255v1", "Zero", None);
    let mut b = paper("2104.12255v2", "Zero, revised", Some(7));
    b.doi = Some("10.1/z".into());
    // Every record counts once: the first is new, the second updates it,
    // and a third identical to the result changes nothing.
    let outcome = store
        .import(vec![
            Listing::paper_only(a),
            Listing::paper_only(b.clone()),
            Listing::paper_only(b),
        ])
        .await
        .unwrap();
    assert_eq!(
        outcome,
        ImportOutcome {
            new: 1,
            updated: 1,
            unchanged: 1
        }
    );
    let got = store
        .listing(&"2104.12255".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(got.paper.title, "Zero, revised");
    assert_eq!(got.paper.version, Some(2));
    assert_eq!(store.counts().await.unwrap().papers, 1);
}

async fn feed_days_navigate_over_gaps(store: Arc<dyn Store>) {
    assert_eq!(store.latest_feed_day().await.unwrap(), None);
    sample(&*store).await;
    assert_eq!(
        store.latest_feed_day().await.unwrap(),
        Some(day("2025-12-02"))
    );
    let (prev, next) = store.neighbour_feed_days(day("2025-12-01")).await.unwrap();
    assert_eq!(
        (prev, next),
        (Some(day("2025-11-24")), Some(day("2025-12-02")))
    );
    let (prev, next) = store.neighbour_feed_days(day("2025-12-02")).await.unwrap();
    assert_eq!((prev, next), (Some(day("2025-12-01")), None));
}

async fn checkpoints_are_saved_and_cleared(store: Arc<dyn Store>) {
    assert_eq!(store.checkpoint("oai:cs").await.unwrap(), None);
    store
        .set_checkpoint("oai:cs", Some("6960524|1001"))
        .await
        .unwrap();
    store
        .set_checkpoint("oai:cs", Some("6960524|2001"))
        .await
        .unwrap();
    assert_eq!(
        store.checkpoint("oai:cs").await.unwrap().as_deref(),
        Some("6960524|2001")
    );
    store.set_checkpoint("oai:cs", None).await.unwrap();
    assert_eq!(store.checkpoint("oai:cs").await.unwrap(), None);
}

async fn writes_are_numbered_for_the_indexes_to_follow(store: Arc<dyn Store>) {
    assert_eq!(store.max_seq().await.unwrap(), 0);
    let a = paper("2501.00001", "First", Some(1));
    let b = paper("2501.00002", "Second", Some(2));
    store
        .import(vec![
            Listing::paper_only(a.clone()),
            Listing::paper_only(b.clone()),
        ])
        .await
        .unwrap();
    let changes = store.changed_papers(0, 100).await.unwrap();
    assert_eq!(changes.len(), 2);
    let (doc_a, doc_b) = (changes[0].doc, changes[1].doc);
    assert_ne!(doc_a, doc_b);
    assert!(changes[0].seq < changes[1].seq);
    let seen = store.max_seq().await.unwrap();
    assert_eq!(seen, changes[1].seq);

    // Re-importing the same records writes nothing, so nothing is new to index.
    store
        .import(vec![Listing::paper_only(a.clone())])
        .await
        .unwrap();
    assert!(store.changed_papers(seen, 100).await.unwrap().is_empty());

    // A change to one paper shows up once, under the same document number.
    let mut a2 = a.clone();
    a2.upvotes = Some(9);
    store.import(vec![Listing::paper_only(a2)]).await.unwrap();
    let changes = store.changed_papers(seen, 100).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!((changes[0].doc, changes[0].paper.upvotes), (doc_a, Some(9)));
    assert_eq!(store.paper_doc(&a.id).await.unwrap(), Some(doc_a));

    // Look-ups by document number keep the order asked and skip unknown numbers.
    let found = store
        .listings_by_doc(&[doc_b, 999_999, doc_a])
        .await
        .unwrap();
    let ids: Vec<_> = found
        .iter()
        .map(|(d, l)| (*d, l.paper.id.as_str().to_owned()))
        .collect();
    assert_eq!(
        ids,
        vec![
            (doc_b, "2501.00002".to_owned()),
            (doc_a, "2501.00001".to_owned())
        ]
    );
}

async fn embeddings_are_kept_per_model_and_follow_the_papers(store: Arc<dyn Store>) {
    let a = paper("2501.00001", "First", Some(1));
    let b = paper("2501.00002", "Second", Some(2));
    store
        .import(vec![
            Listing::paper_only(a.clone()),
            Listing::paper_only(b.clone()),
        ])
        .await
        .unwrap();
    let work = store.embedding_work("m1", 0, 10).await.unwrap();
    assert_eq!(work.len(), 2);
    assert!(work.iter().all(|w| w.stored_text_hash.is_none()));
    assert_eq!(store.embedding_progress("m1").await.unwrap().done, 0);

    let v: Vec<f32> = (0..384).map(|i| (i as f32 / 384.0) - 0.5).collect();
    let rows: Vec<NewEmbedding> = work
        .iter()
        .map(|w| NewEmbedding {
            doc: w.doc,
            paper_seq: w.seq,
            text_hash: 42,
            vector: Some(v.clone()),
        })
        .collect();
    store.save_embeddings("m1", &rows).await.unwrap();
    assert!(store.embedding_work("m1", 0, 10).await.unwrap().is_empty());
    let progress = store.embedding_progress("m1").await.unwrap();
    assert_eq!((progress.done, progress.total), (2, 2));

    // Stored as f16: within f16 precision of what was saved, in write order.
    let stored = store.embeddings_since("m1", 0, 10).await.unwrap();
    assert_eq!(stored.len(), 2);
    assert!(stored[0].rev < stored[1].rev);
    for (x, y) in stored[0].vector.iter().zip(&v) {
        assert!((x - y).abs() < 1e-3, "{x} vs {y}");
    }
    assert!(
        store
            .embeddings_since("m1", stored[1].rev, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // Another model has everything still to do, and sees none of m1's vectors.
    assert_eq!(store.embedding_work("m2", 0, 10).await.unwrap().len(), 2);
    assert!(
        store
            .embeddings_since("m2", 0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    // A paper that changes is due again, with the hash of its stored vector.
    let mut a2 = a.clone();
    a2.upvotes = Some(7);
    store.import(vec![Listing::paper_only(a2)]).await.unwrap();
    let work = store.embedding_work("m1", 0, 10).await.unwrap();
    assert_eq!(work.len(), 1);
    assert_eq!(work[0].stored_text_hash, Some(42));
    // Checking it without a new vector settles it and keeps the vector.
    store
        .save_embeddings(
            "m1",
            &[NewEmbedding {
                doc: work[0].doc,
                paper_seq: work[0].seq,
                text_hash: 42,
                vector: None,
            }],
        )
        .await
        .unwrap();
    assert!(store.embedding_work("m1", 0, 10).await.unwrap().is_empty());
    assert_eq!(store.embeddings_since("m1", 0, 10).await.unwrap().len(), 2);
}

macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod sqlite {
            use super::*;
            $(
                #[tokio::test]
                async fn $check() {
                    let dir = tempfile::tempdir().unwrap();
                    let store = SqliteStore::open(dir.path()).await.unwrap();
                    super::$check(Arc::new(store)).await;
                }
            )*
        }
    };
}

conformance!(
    feed_day_is_ordered_by_upvotes_then_submission_time,
    listings_round_trip_whole,
    reimporting_changes_nothing_and_updates_are_counted,
    records_of_one_paper_in_one_batch_are_one_paper,
    feed_days_navigate_over_gaps,
    checkpoints_are_saved_and_cleared,
    writes_are_numbered_for_the_indexes_to_follow,
    embeddings_are_kept_per_model_and_follow_the_papers,
);

#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = SqliteStore::open(dir.path()).await.unwrap();
        sample(&store).await;
        store.close().await;
    }
    let store = SqliteStore::open(dir.path()).await.unwrap();
    assert_eq!(store.counts().await.unwrap().papers, 6);
    let file = dir.path().join("dailypapers.sqlite3");
    assert!(file.exists());
    let mut raw = sqlx::SqliteConnection::connect(&format!("sqlite://{}", file.display()))
        .await
        .unwrap();
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(&mut raw)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
}

#[tokio::test]
async fn a_batch_that_fails_halfway_stores_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(dir.path()).await.unwrap();
    sample(&store).await;
    let before = store
        .feed(&query("2025-11-01", "2025-12-31"))
        .await
        .unwrap();

    // Make the database refuse one listing: papers are written before
    // listings, so the batch fails after some of it was written.
    let mut raw = sqlx::SqliteConnection::connect(&format!(
        "sqlite://{}",
        dir.path().join("dailypapers.sqlite3").display()
    ))
    .await
    .unwrap();
    sqlx::query(
        "CREATE TRIGGER refuse BEFORE INSERT ON listings WHEN NEW.paper_id = '2512.00099' \
         BEGIN SELECT RAISE(ABORT, 'refused'); END",
    )
    .execute(&mut raw)
    .await
    .unwrap();

    let batch = vec![
        listed(
            paper("2512.00098", "Fine", Some(1)),
            "2025-12-02",
            "2025-12-02T02:00:00Z",
            "dan",
        ),
        listed(
            paper("2511.00001", "Low votes early, renamed", Some(9)),
            "2025-12-01",
            "2025-12-01T01:00:00Z",
            "alice",
        ),
        listed(
            paper("2512.00099", "Refused", Some(1)),
            "2025-12-02",
            "2025-12-02T03:00:00Z",
            "dan",
        ),
    ];
    let err = store.import(batch).await.unwrap_err();
    assert!(err.to_string().contains("refused"), "{err}");
    assert!(
        store
            .listing(&"2512.00098".parse().unwrap())
            .await
            .unwrap()
            .is_none()
    );
    assert_eq!(
        store
            .feed(&query("2025-11-01", "2025-12-31"))
            .await
            .unwrap(),
        before
    );
    assert_eq!(store.counts().await.unwrap().papers, 6);
}

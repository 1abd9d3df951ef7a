//! The store conformance suite: what every `Store` implementation must do.
//!
//! Each check takes a fresh, empty store from `dailypapers_store::testing`
//! (an SQLite file in a temporary directory unless `DAILYPAPERS_TEST_STORE`
//! names another backend), so the same checks run on every backend.

use chrono::{DateTime, NaiveDate, Utc};
use dailypapers_domain::{Author, FeedEntry, FeedSort, Listing, Organization, Paper, Submitter};
use dailypapers_store::testing::{TestStore, fresh_store};
use dailypapers_store::{FeedQuery, ImportOutcome, NewEmbedding, Store};
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
    Listing::new(p, Some(entry))
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

async fn feed_day_is_ordered_by_upvotes_then_submission_time(t: &TestStore) {
    let store = t.store.clone();
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

async fn listings_round_trip_whole(t: &TestStore) {
    let store = t.store.clone();
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

async fn reimporting_changes_nothing_and_updates_are_counted(t: &TestStore) {
    let store = t.store.clone();
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

async fn records_of_one_paper_in_one_batch_are_one_paper(t: &TestStore) {
    let store = t.store.clone();
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

async fn feed_days_navigate_over_gaps(t: &TestStore) {
    let store = t.store.clone();
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

async fn checkpoints_are_saved_and_cleared(t: &TestStore) {
    let store = t.store.clone();
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

async fn writes_are_numbered_for_the_indexes_to_follow(t: &TestStore) {
    let store = t.store.clone();
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

async fn embeddings_are_kept_per_model_and_follow_the_papers(t: &TestStore) {
    let store = t.store.clone();
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

/// A batch that fails after part of it was written stores nothing, and
/// leaves what was stored as it was.
async fn a_batch_that_fails_halfway_stores_nothing(t: &TestStore) {
    let store = &*t.store;
    sample(store).await;
    let before = store
        .feed(&query("2025-11-01", "2025-12-31"))
        .await
        .unwrap();
    let seq_before = store.max_seq().await.unwrap();
    t.refuse_listing("2512.00099").await;
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
    // The failed batch took no numbers that a later one could be confused by.
    assert_eq!(store.max_seq().await.unwrap(), seq_before);
}

/// Writers in several handles (as in several processes) import at once,
/// with overlapping papers, while another saves embeddings and a follower
/// reads the changes as an index does: every import succeeds, and following
/// `changed_papers` and `embeddings_since` from the last number seen ends
/// with exactly the stored state, so no change was skipped.
async fn concurrent_writers_never_make_a_follower_skip_a_change(t: &TestStore) {
    const WRITERS: u64 = 4;
    const BATCHES: u64 = 12;
    const PER_BATCH: u64 = 40;
    let mut tasks = Vec::new();
    for w in 0..WRITERS {
        let store = t.open_another().await;
        tasks.push(tokio::spawn(async move {
            for b in 0..BATCHES {
                // Half of each batch is shared with the other writers, so
                // the same papers are updated from several writers.
                let batch: Vec<Listing> = (0..PER_BATCH)
                    .map(|i| {
                        let n = if i % 2 == 0 {
                            i
                        } else {
                            1000 + w * 1000 + b * PER_BATCH + i
                        };
                        let mut p = paper(&format!("2601.{n:05}"), &format!("Paper {n}"), None);
                        p.upvotes = Some(u32::try_from(b * WRITERS + w).unwrap());
                        Listing::new(p, None)
                    })
                    .collect();
                store.import(batch).await.expect("every import succeeds");
            }
        }));
    }
    let embedder = {
        let store = t.open_another().await;
        tokio::spawn(async move {
            let mut rounds = 0;
            while rounds < 200 {
                let work = store.embedding_work("m", 0, 50).await.unwrap();
                let rows: Vec<NewEmbedding> = work
                    .iter()
                    .map(|w| NewEmbedding {
                        doc: w.doc,
                        paper_seq: w.seq,
                        text_hash: w.seq,
                        vector: Some(vec![w.seq as f32; 4]),
                    })
                    .collect();
                store
                    .save_embeddings("m", &rows)
                    .await
                    .expect("saving embeddings succeeds");
                rounds += 1;
                tokio::task::yield_now().await;
            }
        })
    };
    // The follower: what an index would hold after following the changes.
    let follower = {
        let store = t.open_another().await;
        tokio::spawn(async move {
            let mut papers: std::collections::HashMap<u64, u64> = Default::default();
            let mut vectors: std::collections::HashMap<u64, u64> = Default::default();
            let (mut seq, mut rev) = (0, 0);
            for _ in 0..400 {
                for c in store.changed_papers(seq, 64).await.unwrap() {
                    assert!(c.seq > seq, "changes come in sequence order");
                    seq = c.seq;
                    papers.insert(c.doc, c.seq);
                }
                for e in store.embeddings_since("m", rev, 64).await.unwrap() {
                    assert!(e.rev > rev, "embeddings come in revision order");
                    rev = e.rev;
                    vectors.insert(e.doc, e.rev);
                }
                tokio::task::yield_now().await;
            }
            (papers, vectors, seq, rev)
        })
    };
    for task in tasks {
        task.await.unwrap();
    }
    embedder.await.unwrap();
    let (mut papers, mut vectors, mut seq, mut rev) = follower.await.unwrap();
    // Catch up with what was committed after the follower stopped.
    loop {
        let changes = t.store.changed_papers(seq, 500).await.unwrap();
        let embeddings = t.store.embeddings_since("m", rev, 500).await.unwrap();
        if changes.is_empty() && embeddings.is_empty() {
            break;
        }
        for c in changes {
            seq = c.seq;
            papers.insert(c.doc, c.seq);
        }
        for e in embeddings {
            rev = e.rev;
            vectors.insert(e.doc, e.rev);
        }
    }
    let stored: std::collections::HashMap<u64, u64> = t
        .store
        .changed_papers(0, u64::MAX / 2)
        .await
        .unwrap()
        .into_iter()
        .map(|c| (c.doc, c.seq))
        .collect();
    let shared = PER_BATCH / 2;
    let expected_papers = shared + WRITERS * BATCHES * (PER_BATCH - shared);
    assert_eq!(stored.len() as u64, expected_papers);
    assert_eq!(
        papers, stored,
        "the follower saw every paper at its last write"
    );
    let stored_vectors: std::collections::HashMap<u64, u64> = t
        .store
        .embeddings_since("m", 0, u64::MAX / 2)
        .await
        .unwrap()
        .into_iter()
        .map(|e| (e.doc, e.rev))
        .collect();
    assert_eq!(
        vectors, stored_vectors,
        "the follower saw every vector at its last write"
    );
    // Shared papers hold the highest vote count any writer gave them.
    let top = u32::try_from((BATCHES - 1) * WRITERS + WRITERS - 1).unwrap();
    let shared_paper = t
        .store
        .listing(&"2601.00000".parse().unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(shared_paper.paper.upvotes, Some(top));
}

/// A lease is held by one holder at a time, renewed by its holder, taken
/// over once it has expired, and free again once released.
async fn leases_are_exclusive_and_expire(t: &TestStore) {
    use std::time::Duration;
    let store = &*t.store;
    let other = t.open_another().await;
    assert!(
        store
            .acquire_lease("job", "a", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(
        !other
            .acquire_lease("job", "b", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert!(
        store
            .acquire_lease("job", "a", Duration::from_secs(60))
            .await
            .unwrap(),
        "renewed"
    );
    assert!(
        other
            .acquire_lease("other-job", "b", Duration::from_secs(60))
            .await
            .unwrap()
    );
    let leases = other.leases().await.unwrap();
    assert_eq!(leases.len(), 2);
    assert_eq!(
        (leases[0].name.as_str(), leases[0].holder.as_str()),
        ("job", "a")
    );
    // A holder that stops renewing loses the lease when it expires.
    assert!(
        store
            .acquire_lease("short", "a", Duration::from_millis(50))
            .await
            .unwrap()
    );
    assert!(
        !other
            .acquire_lease("short", "b", Duration::from_secs(60))
            .await
            .unwrap()
    );
    tokio::time::sleep(Duration::from_millis(80)).await;
    assert!(
        other
            .acquire_lease("short", "b", Duration::from_secs(60))
            .await
            .unwrap()
    );
    // Releasing someone else's lease does nothing; releasing one's own frees it.
    other.release_lease("job", "b").await.unwrap();
    assert!(
        !other
            .acquire_lease("job", "b", Duration::from_secs(60))
            .await
            .unwrap()
    );
    store.release_lease("job", "a").await.unwrap();
    assert!(
        other
            .acquire_lease("job", "b", Duration::from_secs(60))
            .await
            .unwrap()
    );
}

/// A backup is a store with the same data, made while the store is open;
/// it refuses to overwrite a file.
async fn a_backup_is_a_store_with_the_same_data(t: &TestStore) {
    let store = &*t.store;
    sample(store).await;
    let dest = t.dir().join("backup.sqlite3");
    store.backup(&dest).await.unwrap();
    let copy = dailypapers_store::open(&dailypapers_store::StoreUrl::Sqlite(dest.clone()))
        .await
        .unwrap();
    assert_eq!(copy.counts().await.unwrap(), store.counts().await.unwrap());
    assert_eq!(
        copy.feed(&query("2025-11-01", "2025-12-31")).await.unwrap(),
        store
            .feed(&query("2025-11-01", "2025-12-31"))
            .await
            .unwrap()
    );
    assert_eq!(
        copy.max_seq().await.unwrap(),
        store.max_seq().await.unwrap()
    );
    copy.close().await;
    let err = store.backup(&dest).await.unwrap_err().to_string();
    assert!(err.contains("exists"), "{err}");
    assert!(store.size_bytes().await.unwrap() > 0);
}

/// A store with something in every table: the sample feed, a vector per
/// paper, a checkpoint and a lease.
async fn fill_every_table(store: &dyn Store) {
    sample(store).await;
    let work = store.embedding_work("m1", 0, 100).await.unwrap();
    let rows: Vec<NewEmbedding> = work
        .iter()
        .map(|w| NewEmbedding {
            doc: w.doc,
            paper_seq: w.seq,
            text_hash: w.doc * 7,
            vector: Some(vec![w.doc as f32 / 10.0; 8]),
        })
        .collect();
    store.save_embeddings("m1", &rows).await.unwrap();
    store
        .set_checkpoint("oai.cs.token", Some("abc"))
        .await
        .unwrap();
    assert!(
        store
            .acquire_lease("job.hf-daily", "host-1", std::time::Duration::from_secs(60))
            .await
            .unwrap()
    );
    fill_community_tables(store).await;
    fill_contribution_tables(store).await;
}

/// A submission, an approved authorship claim, an organisation link and a
/// membership (by the admin `fill_community_tables` made).
async fn fill_contribution_tables(store: &dyn Store) {
    use dailypapers_store::contributions::NewClaim;
    let now = at("2025-01-06T10:00:00Z");
    let ada = store
        .community()
        .member_by_username("ada")
        .await
        .unwrap()
        .unwrap();
    let c = store.contributions();
    // The paper stored without a listing, now put on the feed.
    let mut submitted = listed(
        paper("astro-ph/0601001", "Hot Jupiters", None),
        "2025-01-06",
        "2025-01-06T10:00:00Z",
        "ada",
    );
    submitted.entry.as_mut().unwrap().organization = None;
    c.submit_paper(submitted, ada.id, now)
        .await
        .unwrap()
        .unwrap();
    let claim = c
        .claim_authorship(&NewClaim {
            paper: "astro-ph/0601001".parse().unwrap(),
            author: "Ada Lovelace".into(),
            member_id: ada.id,
            now,
        })
        .await
        .unwrap()
        .unwrap();
    c.decide_claim(claim.id, true, ada.id, now)
        .await
        .unwrap()
        .unwrap();
    assert!(
        c.create_organization(&Organization {
            name: "acme".into(),
            fullname: "Acme".into(),
            hf_id: None,
            avatar: Some("https://acme.example/logo.png".into()),
        })
        .await
        .unwrap()
    );
    c.link_paper("acme", &"astro-ph/0601001".parse().unwrap(), ada.id, now)
        .await
        .unwrap()
        .unwrap();
    c.add_organization_member("acme", ada.id, now)
        .await
        .unwrap()
        .unwrap();
}

/// A member with a session, an API token, a one-time link, a vote, a
/// comment and a rate-limit window.
async fn fill_community_tables(store: &dyn Store) {
    use dailypapers_domain::{CommentBody, Email, Role, Username};
    use dailypapers_store::community::{LinkPurpose, NewComment, NewMember, NewSession};
    let now = at("2025-01-06T09:00:00Z");
    let ada = store
        .community()
        .create_member(&NewMember {
            username: Username::parse("ada").unwrap(),
            email: Email::parse("ada@example.org").unwrap(),
            display_name: Some("Ada L.".into()),
            password_hash: "$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into(),
            role: Role::Admin,
            now,
        })
        .await
        .unwrap();
    store
        .community()
        .create_session(&NewSession {
            token_hash: "s".repeat(64),
            member_id: ada.id,
            csrf_token: "c".repeat(43),
            now,
            expires_at: now + chrono::TimeDelta::days(30),
        })
        .await
        .unwrap();
    store
        .community()
        .create_api_token(ada.id, "laptop", &"t".repeat(64), now)
        .await
        .unwrap();
    store
        .community()
        .create_member_token(&"l".repeat(64), ada.id, LinkPurpose::VerifyEmail, now, now)
        .await
        .unwrap();
    let paper = store.feed(&sample_query()).await.unwrap()[0]
        .paper
        .id
        .clone();
    store
        .community()
        .set_upvote(ada.id, &paper, true, now)
        .await
        .unwrap();
    store
        .community()
        .add_comment(&NewComment {
            paper,
            member_id: ada.id,
            parent_id: None,
            body: CommentBody::parse("First!").unwrap(),
            now,
        })
        .await
        .unwrap()
        .unwrap();
    store
        .community()
        .rate_limit(
            "signup:127.0.0.1",
            5,
            std::time::Duration::from_secs(60),
            now,
        )
        .await
        .unwrap();
}

fn sample_query() -> FeedQuery {
    FeedQuery {
        from: None,
        to: None,
        submitter: None,
        sort: FeedSort::Upvotes,
        offset: 0,
        limit: 10,
    }
}

/// A copy into an empty store is the same store: every table, numbers
/// included, checked by the checksum; a store holding data is refused
/// unless merging, and merging re-imports without changing anything.
async fn a_copy_is_the_same_store_and_a_full_target_is_refused(t: &TestStore) {
    use dailypapers_store::copy::copy;
    use dailypapers_store::rows::checksum;
    let source = &*t.store;
    fill_every_table(source).await;
    let target = fresh_store().await;
    let mut seen = Vec::new();
    let report = copy(source, &*target.store, false, &mut |table, done| {
        seen.push((table, done))
    })
    .await
    .unwrap();
    assert!(seen.contains(&("papers", 6)), "{seen:?}");
    let sums = checksum(source).await.unwrap();
    assert_eq!(checksum(&*target.store).await.unwrap(), sums);
    assert_eq!(report.checked, sums);
    let rows_of = |name: &str| sums.iter().find(|s| s.table == name).unwrap().rows;
    assert_eq!(
        (
            rows_of("papers"),
            rows_of("listings"),
            rows_of("embeddings")
        ),
        (6, 6, 6)
    );
    assert_eq!((rows_of("checkpoints"), rows_of("leases")), (1, 1));
    // What the copy serves is what the source serves.
    let q = query("2025-11-01", "2025-12-31");
    assert_eq!(
        target.store.feed(&q).await.unwrap(),
        source.feed(&q).await.unwrap()
    );
    assert_eq!(
        target.store.embeddings_since("m1", 0, 100).await.unwrap(),
        source.embeddings_since("m1", 0, 100).await.unwrap()
    );
    // Numbering goes on from the source's numbers.
    let next = paper("2512.00009", "After the copy", Some(1));
    target
        .store
        .import(vec![Listing::paper_only(next)])
        .await
        .unwrap();
    assert!(target.store.max_seq().await.unwrap() > source.max_seq().await.unwrap());

    let err = copy(source, &*target.store, false, &mut |_, _| {})
        .await
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("already holds data") && err.contains("--merge"),
        "{err}"
    );
    let merged = copy(source, &*target.store, true, &mut |_, _| {})
        .await
        .unwrap();
    let outcome = merged.merged.unwrap();
    assert_eq!((outcome.new, outcome.unchanged), (0, 6), "{outcome:?}");
    assert_eq!(target.store.counts().await.unwrap().papers, 7);
}

/// A vector for each paper of `work`, as an embedder would save them.
fn vectors_for(work: &[dailypapers_store::EmbeddingWork]) -> Vec<NewEmbedding> {
    work.iter()
        .map(|w| NewEmbedding {
            doc: w.doc,
            paper_seq: w.seq,
            text_hash: 1,
            vector: Some(vec![0.5; 4]),
        })
        .collect()
}

/// Claimed embedding work goes to one holder at a time: others get other
/// papers, a saved embedding ends the claim, a lapsed claim is taken
/// over, and two embedders racing on their own connections embed each
/// paper once.
async fn embedding_work_is_claimed_by_one_holder_at_a_time(t: &TestStore) {
    use std::time::Duration;
    let store = &*t.store;
    let batch: Vec<Listing> = (1..=40)
        .map(|i| Listing::paper_only(paper(&format!("2501.{i:05}"), &format!("Paper {i}"), None)))
        .collect();
    store.import(batch).await.unwrap();
    let hour = Duration::from_secs(3600);
    let docs = |w: &[dailypapers_store::EmbeddingWork]| w.iter().map(|w| w.doc).collect::<Vec<_>>();
    let a = store
        .claim_embedding_work("m1", "a", hour, 0, 3)
        .await
        .unwrap();
    let b = store
        .claim_embedding_work("m1", "b", hour, 0, 3)
        .await
        .unwrap();
    assert_eq!(a.len(), 3);
    assert_eq!(b.len(), 3);
    assert!(
        docs(&a).iter().all(|d| !docs(&b).contains(d)),
        "{:?} {:?}",
        docs(&a),
        docs(&b)
    );
    assert!(
        docs(&a).iter().all(|d| docs(&b).iter().all(|e| d < e)),
        "in document order"
    );
    // A holder sees its own claims again; the unclaimed list is unchanged.
    assert_eq!(
        docs(
            &store
                .claim_embedding_work("m1", "a", hour, 0, 3)
                .await
                .unwrap()
        ),
        docs(&a)
    );
    assert_eq!(store.embedding_work("m1", 0, 100).await.unwrap().len(), 40);

    // Saving ends the claim (and the work); a lapsed claim is taken over.
    store.save_embeddings("m1", &vectors_for(&a)).await.unwrap();
    let c = store
        .claim_embedding_work("m1", "c", Duration::ZERO, 0, 40)
        .await
        .unwrap();
    assert_eq!(c.len(), 34, "all but a's saved and b's claimed");
    assert!(
        docs(&c)
            .iter()
            .all(|d| !docs(&b).contains(d) && !docs(&a).contains(d))
    );
    let d = store
        .claim_embedding_work("m1", "d", hour, 0, 40)
        .await
        .unwrap();
    assert_eq!(docs(&d), docs(&c), "c's claims lapsed at once");

    // Two embedders at once, each on its own connections, until no work is left.
    let t2 = fresh_store().await;
    let batch: Vec<Listing> = (1..=300)
        .map(|i| Listing::paper_only(paper(&format!("2502.{i:05}"), &format!("Paper {i}"), None)))
        .collect();
    t2.store.import(batch).await.unwrap();
    let mut embedders = Vec::new();
    for holder in ["x", "y"] {
        let store = t2.open_another().await;
        embedders.push(tokio::spawn(async move {
            let mut mine = Vec::new();
            loop {
                let work = store
                    .claim_embedding_work("m1", holder, hour, 0, 16)
                    .await
                    .unwrap();
                if work.is_empty() {
                    return mine;
                }
                mine.extend(work.iter().map(|w| w.doc));
                store
                    .save_embeddings("m1", &vectors_for(&work))
                    .await
                    .unwrap();
            }
        }));
    }
    let mut all = Vec::new();
    for e in embedders {
        all.extend(e.await.unwrap());
    }
    all.sort_unstable();
    let before = all.len();
    all.dedup();
    assert_eq!(before, all.len(), "a paper was embedded twice");
    assert_eq!(all.len(), 300);
    let revs = t2.store.embeddings_since("m1", 0, 1000).await.unwrap();
    assert_eq!(revs.len(), 300);
    assert_eq!(
        revs.iter().map(|r| r.rev).max(),
        Some(300),
        "one vector written per paper"
    );
}

/// One test per check, on the store `fresh_store` gives (the backend under test).
macro_rules! conformance {
    ($($check:ident),* $(,)?) => {
        mod check {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $check() {
                    let t = super::fresh_store().await;
                    super::$check(&t).await;
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
    a_batch_that_fails_halfway_stores_nothing,
    concurrent_writers_never_make_a_follower_skip_a_change,
    leases_are_exclusive_and_expire,
    a_backup_is_a_store_with_the_same_data,
    a_copy_is_the_same_store_and_a_full_target_is_refused,
    embedding_work_is_claimed_by_one_holder_at_a_time,
);

/// SQLite only: the file is in WAL mode and keeps its data across opens.
#[tokio::test]
async fn data_survives_reopening_the_file() {
    let dir = tempfile::tempdir().unwrap();
    {
        let store = dailypapers_store::SqliteStore::open(dir.path())
            .await
            .unwrap();
        sample(&store).await;
        store.close().await;
    }
    let store = dailypapers_store::SqliteStore::open(dir.path())
        .await
        .unwrap();
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

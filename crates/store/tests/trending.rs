//! Trending scores and moderation, on the backend `fresh_store` gives:
//! scores computed from votes and comments written through the store at
//! known times (the clock is the `now` each call takes), the trending order
//! and reasons, the feed's trending sort, whole replacements, copies;
//! members found by name, hidden comments, and rate-limit hits added up
//! across two handles on one store.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dailypapers_domain::{ArxivId, CommentBody, Email, FeedSort, Role, Username};
use dailypapers_store::community::{CommentChange, Member, NewComment, NewMember};
use dailypapers_store::moderation::RateHits;
use dailypapers_store::testing::{TestStore, fresh_store, listed};
use dailypapers_store::trending::refresh;
use dailypapers_store::{FeedQuery, Store};

fn now() -> DateTime<Utc> {
    "2026-03-10T12:00:00Z".parse().unwrap()
}

fn hours(h: i64) -> TimeDelta {
    TimeDelta::hours(h)
}

fn id(s: &str) -> ArxivId {
    s.parse().unwrap()
}

async fn member(store: &dyn Store, name: &str, display: Option<&str>) -> Member {
    store
        .community()
        .create_member(&NewMember {
            username: Username::parse(name).unwrap(),
            email: Email::parse(&format!("{name}@example.org")).unwrap(),
            display_name: display.map(str::to_string),
            password_hash: format!("$argon2id$fake${name}"),
            role: Role::Member,
            now: now() - TimeDelta::days(30),
        })
        .await
        .unwrap()
}

/// Papers `2603.000NN` with `imported` upvotes, on the feed since `age`
/// before [`now`] (`None`: not on the feed).
async fn feed(store: &dyn Store, papers: &[(u32, u32, Option<TimeDelta>)]) {
    let batch = papers
        .iter()
        .map(|&(n, imported, age)| {
            let title = format!("Paper {n}");
            listed(
                &format!("2603.{n:05}"),
                &title,
                imported,
                age.map(|a| now() - a),
            )
        })
        .collect();
    store.import(batch).await.unwrap();
}

fn p(n: u32) -> ArxivId {
    id(&format!("2603.{n:05}"))
}

async fn vote(store: &dyn Store, m: &Member, paper: u32, on: bool, at: DateTime<Utc>) {
    store
        .community()
        .set_upvote(m.id, &p(paper), on, at)
        .await
        .unwrap()
        .unwrap();
}

async fn comment(store: &dyn Store, m: &Member, paper: u32, at: DateTime<Utc>) -> u64 {
    store
        .community()
        .add_comment(&NewComment {
            paper: p(paper),
            member_id: m.id,
            parent_id: None,
            body: CommentBody::parse("Worth reading.").unwrap(),
            now: at,
        })
        .await
        .unwrap()
        .unwrap()
        .id
}

/// Trending order and reasons on constructed data: fresh member votes and
/// a fresh discussion move a paper up, a hidden comment and a withdrawn
/// vote do not, age pulls a paper down, and papers past the cut-off, in
/// the future, without points or off the feed do not trend.
async fn trending_follows_votes_comments_and_age(t: &TestStore) {
    let store = &*t.store;
    feed(
        store,
        &[
            (1, 10, Some(hours(2))),
            (2, 10, Some(hours(2))),
            (3, 10, Some(hours(2))),
            (4, 10, Some(hours(2))),
            (5, 10, Some(hours(2))),
            (6, 10, Some(hours(72))),
            (7, 500, Some(hours(8 * 24))),
            (8, 100, Some(hours(-1))),
            (9, 0, Some(hours(2))),
            (10, 50, None),
        ],
    )
    .await;
    let ada = member(store, "ada", None).await;
    let bob = member(store, "bob", None).await;
    // Paper 1: two fresh votes. Paper 2: a comment of the last hour, and an
    // old one of yesterday's. Paper 4: a comment, hidden. Paper 5: a vote,
    // withdrawn. Paper 10 (not on the feed): votes.
    vote(store, &ada, 1, true, now() - hours(1)).await;
    vote(store, &bob, 1, true, now() - TimeDelta::minutes(30)).await;
    comment(store, &ada, 2, now() - TimeDelta::minutes(40)).await;
    comment(store, &bob, 2, now() - hours(30)).await;
    let hidden = comment(store, &bob, 4, now() - hours(1)).await;
    store
        .community()
        .change_comment(hidden, CommentChange::Hide, now())
        .await
        .unwrap();
    vote(store, &ada, 5, true, now() - hours(1)).await;
    vote(store, &ada, 5, false, now() - TimeDelta::minutes(10)).await;
    vote(store, &ada, 10, true, now() - hours(1)).await;

    let done = refresh(store, now()).await.unwrap();
    assert_eq!(
        done.candidates, 8,
        "papers 1-6, 8 and 9 reached the feed in the last week"
    );
    assert_eq!((done.trending, done.stored), (6, 6));
    assert_eq!(store.trending_computed_at().await.unwrap(), Some(now()));
    let got = store.trending(0, 100).await.unwrap();
    // Papers 1 to 6 in order: 1, 2, then 3, 4 and 5 tied (by id), then 6.
    let numbered =
        |n: std::ops::RangeInclusive<u32>| n.map(|n| p(n).to_string()).collect::<Vec<_>>();
    let ids: Vec<String> = got.iter().map(|t| t.listing.paper.id.to_string()).collect();
    assert_eq!(ids, numbered(1..=6));
    let reasons: Vec<&str> = got.iter().map(|t| t.reason.as_str()).collect();
    assert_eq!(
        reasons,
        [
            "12 upvotes, 2 in the last 24 h",
            "10 upvotes · 1 comment today",
            "10 upvotes",
            "10 upvotes",
            "10 upvotes",
            "10 upvotes",
        ]
    );
    assert!(got.windows(2).all(|w| w[0].score >= w[1].score));
    assert_eq!(
        got[2].score, got[3].score,
        "a hidden comment counts for nothing"
    );
    assert_eq!(got[2].score, got[4].score, "nor does a withdrawn vote");
    assert!(got[4].score > got[5].score, "age pulls a paper down");
    // The listing comes with members' counts, as on the feed.
    assert_eq!(got[0].listing.upvotes(), 12);
    // Paging.
    let second = store.trending(2, 2).await.unwrap();
    assert_eq!(second, got[2..4]);

    // The feed's trending sort: trending papers first, then by upvotes.
    let sorted = store
        .feed(&FeedQuery {
            from: None,
            to: None,
            submitter: None,
            sort: FeedSort::Trending,
            offset: 0,
            limit: 100,
        })
        .await
        .unwrap();
    let ids: Vec<String> = sorted.iter().map(|l| l.paper.id.to_string()).collect();
    assert_eq!(ids, numbered(1..=9), "7, 8 and 9 by upvotes: 500, 100, 0");

    // A fresh comment moves paper 3 above paper 2 once refreshed: its
    // discussion is fresher and as wide, and its age the same.
    comment(store, &bob, 3, now() + TimeDelta::minutes(5)).await;
    comment(store, &ada, 3, now() + TimeDelta::minutes(6)).await;
    refresh(store, now() + TimeDelta::minutes(10))
        .await
        .unwrap();
    let got = store.trending(0, 100).await.unwrap();
    let at = |n: &str| {
        got.iter()
            .position(|t| t.listing.paper.id.as_str() == n)
            .unwrap()
    };
    assert!(at("2603.00003") < at("2603.00002"), "{got:?}");
    assert_eq!(
        got[at("2603.00003")].reason,
        "10 upvotes · 2 comments today"
    );
}

/// A refresh replaces the whole set: a week later nothing trends, and
/// the time of the scores moves.
async fn a_refresh_replaces_the_whole_set(t: &TestStore) {
    let store = &*t.store;
    assert_eq!(store.trending_computed_at().await.unwrap(), None);
    feed(store, &[(1, 5, Some(hours(1))), (2, 7, Some(hours(3)))]).await;
    refresh(store, now()).await.unwrap();
    assert_eq!(store.trending(0, 10).await.unwrap().len(), 2);
    let later = now() + TimeDelta::days(7);
    let done = refresh(store, later).await.unwrap();
    assert_eq!((done.candidates, done.trending), (0, 0));
    assert!(store.trending(0, 10).await.unwrap().is_empty());
    assert_eq!(store.trending_computed_at().await.unwrap(), Some(later));
}

/// A copy carries the scores: the same checksum, the same trending pages.
async fn a_copy_carries_the_scores(t: &TestStore) {
    use dailypapers_store::copy::copy;
    use dailypapers_store::rows::checksum;
    let store = &*t.store;
    feed(store, &[(1, 5, Some(hours(1))), (2, 7, Some(hours(3)))]).await;
    refresh(store, now()).await.unwrap();
    let target = fresh_store().await;
    copy(store, &*target.store, false, &mut |_, _| {})
        .await
        .unwrap();
    let sums = checksum(store).await.unwrap();
    assert_eq!(checksum(&*target.store).await.unwrap(), sums);
    let rows = sums.iter().find(|s| s.table == "trending").unwrap().rows;
    assert_eq!(rows, 2);
    assert_eq!(
        target.store.trending(0, 10).await.unwrap(),
        store.trending(0, 10).await.unwrap()
    );
}

/// Members are found by a part of their username or display name, in any
/// case, with `%` and `_` taken literally; hidden comments are listed
/// until unhidden or deleted.
async fn admins_find_members_and_hidden_comments(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada_l", Some("Ada Lovelace")).await;
    let bob = member(store, "bob", Some("Robert")).await;
    member(store, "carol", None).await;
    let names = |found: Vec<Member>| -> Vec<String> {
        found.iter().map(|m| m.username.to_string()).collect()
    };
    assert_eq!(
        names(store.find_members(None, 0, 10).await.unwrap()),
        ["ada_l", "bob", "carol"]
    );
    assert_eq!(
        names(store.find_members(Some("LOVE"), 0, 10).await.unwrap()),
        ["ada_l"]
    );
    assert_eq!(
        names(store.find_members(Some("ob"), 0, 10).await.unwrap()),
        ["bob"]
    );
    assert_eq!(
        names(store.find_members(Some("_"), 0, 10).await.unwrap()),
        ["ada_l"]
    );
    assert!(
        store
            .find_members(Some("%"), 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        names(store.find_members(None, 1, 1).await.unwrap()),
        ["bob"]
    );

    feed(store, &[(1, 5, Some(hours(1)))]).await;
    let first = comment(store, &ada, 1, now()).await;
    let second = comment(store, &bob, 1, now()).await;
    let kept = comment(store, &bob, 1, now()).await;
    let c = store.community();
    c.change_comment(first, CommentChange::Hide, now())
        .await
        .unwrap();
    c.change_comment(second, CommentChange::Hide, now() + hours(1))
        .await
        .unwrap();
    let hidden: Vec<u64> = store
        .hidden_comments(0, 10)
        .await
        .unwrap()
        .iter()
        .map(|c| c.id)
        .collect();
    assert_eq!(hidden, [second, first], "most recently hidden first");
    let listed = store.hidden_comments(0, 10).await.unwrap();
    assert_eq!(listed[0].body, "Worth reading.", "with their text");
    c.change_comment(second, CommentChange::Unhide, now())
        .await
        .unwrap();
    c.change_comment(first, CommentChange::Delete, now())
        .await
        .unwrap();
    assert!(store.hidden_comments(0, 10).await.unwrap().is_empty());
    let _ = kept;
}

/// Hits from two handles on one store (two servers) add up in their
/// window; a new window starts at zero, hits for an older window than the
/// stored one are dropped, and old windows are pruned.
async fn rate_hits_add_up_across_servers(t: &TestStore) {
    let a = &*t.store;
    let b = t.open_another().await;
    let minute = 60_000;
    let w0 = now().timestamp_millis().div_euclid(minute) * minute;
    let hits = |key: &str, window_start: i64, hits: u32| RateHits {
        key: key.to_string(),
        window_start,
        hits,
    };
    assert_eq!(
        a.add_rate_hits(&[hits("search:1.2.3.4", w0, 3), hits("vote:7", w0, 1)])
            .await
            .unwrap(),
        [3, 1]
    );
    assert_eq!(
        b.add_rate_hits(&[hits("vote:7", w0, 2), hits("search:1.2.3.4", w0, 4)])
            .await
            .unwrap(),
        [3, 7],
        "answered in the order asked"
    );
    // Both servers at once, many times: nothing is lost.
    let mut tasks = Vec::new();
    for store in [t.store.clone(), b.clone()] {
        tasks.push(tokio::spawn(async move {
            for _ in 0..20 {
                store
                    .add_rate_hits(&[hits("search:1.2.3.4", w0, 1), hits("search:5.6.7.8", w0, 1)])
                    .await
                    .unwrap();
            }
        }));
    }
    for task in tasks {
        task.await.unwrap();
    }
    assert_eq!(
        a.add_rate_hits(&[hits("search:1.2.3.4", w0, 0), hits("search:5.6.7.8", w0, 0)])
            .await
            .unwrap(),
        [47, 40]
    );
    // The next window starts over; the old one's late hits are dropped.
    let w1 = w0 + minute;
    assert_eq!(
        a.add_rate_hits(&[hits("vote:7", w1, 1)]).await.unwrap(),
        [1]
    );
    assert_eq!(
        b.add_rate_hits(&[hits("vote:7", w0, 5)]).await.unwrap(),
        [0]
    );
    assert_eq!(
        a.add_rate_hits(&[hits("vote:7", w1, 1)]).await.unwrap(),
        [2]
    );
    // The store's own per-hit limit counts in the same windows.
    let window = Duration::from_secs(60);
    let at = DateTime::from_timestamp_millis(w1).unwrap();
    assert!(
        a.community()
            .rate_limit("vote:7", 3, window, at)
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        a.community()
            .rate_limit("vote:7", 3, window, at)
            .await
            .unwrap()
            .is_some(),
        "2 batched + 2 counted one by one is over 3"
    );
    // Windows that started before the cut are removed.
    let removed = a
        .prune_rate_limits(DateTime::from_timestamp_millis(w1).unwrap())
        .await
        .unwrap();
    assert_eq!(removed, 2, "the two search keys of the first window");
    assert_eq!(
        b.add_rate_hits(&[hits("search:1.2.3.4", w0, 1)])
            .await
            .unwrap(),
        [1]
    );
}

dailypapers_store::store_checks!(
    trending_follows_votes_comments_and_age,
    a_refresh_replaces_the_whole_set,
    a_copy_carries_the_scores,
    admins_find_members_and_hidden_comments,
    rate_hits_add_up_across_servers,
);

//! The trending refresher on the backend `fresh_store` gives: one server
//! at a time computes (the lease), a refresh another server just made is
//! not repeated, and a nudge after votes reaches the scores soon, once.

use std::sync::Arc;
use std::time::Duration;

use chrono::{TimeDelta, Utc};
use dailypapers_domain::{Email, Role, Username};
use dailypapers_jobs::trending::{Attempt, LEASE};
use dailypapers_jobs::{TrendingOptions, TrendingRefresher};
use dailypapers_store::Store;
use dailypapers_store::community::NewMember;
use dailypapers_store::testing::{fresh_store, listed};

fn options(holder: &str) -> TrendingOptions {
    TrendingOptions {
        every: Duration::from_secs(3600),
        after_votes: Duration::from_millis(100),
        lease_ttl: Duration::from_secs(60),
        holder: holder.to_string(),
    }
}

/// A paper on the feed since an hour ago, with one imported upvote.
async fn one_paper(store: &dyn Store) -> dailypapers_domain::ArxivId {
    let at = Utc::now() - TimeDelta::hours(1);
    let listing = listed("2603.00001", "A paper", 1, Some(at));
    let id = listing.paper.id.clone();
    store.import(vec![listing]).await.unwrap();
    id
}

/// Waits (at most 5 s) until the top trending paper's reason is `reason`.
async fn wait_for_reason(store: &dyn Store, reason: &str) {
    for _ in 0..100 {
        let top = store.trending(0, 1).await.unwrap();
        if top.first().is_some_and(|t| t.reason == reason) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the scores never said {reason:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_server_refreshes_at_a_time_and_not_twice_in_a_row() {
    let t = fresh_store().await;
    one_paper(&*t.store).await;
    let a = TrendingRefresher::new(t.store.clone(), options("a"));
    let b = TrendingRefresher::new(t.open_another().await, options("b"));
    // While b holds the lease (refreshing), a does not compute.
    assert!(
        t.store
            .acquire_lease(LEASE, "b", Duration::from_secs(60))
            .await
            .unwrap()
    );
    assert_eq!(a.attempt(None).await.unwrap(), Attempt::Busy);
    assert!(t.store.trending(0, 10).await.unwrap().is_empty());
    t.store.release_lease(LEASE, "b").await.unwrap();
    let Attempt::Refreshed(done) = a.attempt(None).await.unwrap() else {
        panic!("a refreshes once the lease is free");
    };
    assert_eq!((done.candidates, done.trending), (1, 1));
    // b's periodic refresh right after finds the scores fresh.
    assert_eq!(b.attempt(None).await.unwrap(), Attempt::Fresh);
    // A change reported after a's refresh is not in it: b computes.
    let asked = Utc::now();
    assert!(matches!(
        b.attempt(Some(asked)).await.unwrap(),
        Attempt::Refreshed(_)
    ));
    // One reported before it is.
    assert_eq!(
        a.attempt(Some(asked - TimeDelta::seconds(1)))
            .await
            .unwrap(),
        Attempt::Fresh
    );
    // Every attempt gave the lease back.
    let leases = t.store.leases().await.unwrap();
    assert!(leases.iter().all(|l| l.name != LEASE), "{leases:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn votes_reach_the_scores_soon_after_a_nudge() {
    let t = fresh_store().await;
    let paper = one_paper(&*t.store).await;
    let refresher = Arc::new(TrendingRefresher::new(t.store.clone(), options("a")));
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let running = refresher.start(async {
        let _ = stopped.await;
    });
    // The first refresh runs at start.
    wait_for_reason(&*t.store, "1 upvote").await;
    let first = t.store.trending_computed_at().await.unwrap().unwrap();
    // A burst of votes, each nudging: the scores follow, in one refresh.
    for i in 0..5 {
        let m = t
            .store
            .community()
            .create_member(&NewMember {
                username: Username::parse(&format!("m{i}")).unwrap(),
                email: Email::parse(&format!("m{i}@example.org")).unwrap(),
                display_name: None,
                password_hash: "$argon2id$fake".into(),
                role: Role::Member,
                now: Utc::now(),
            })
            .await
            .unwrap();
        t.store
            .community()
            .set_upvote(m.id, &paper, true, Utc::now())
            .await
            .unwrap();
        refresher.nudge();
    }
    wait_for_reason(&*t.store, "6 upvotes, 5 in the last 24 h").await;
    let second = t.store.trending_computed_at().await.unwrap().unwrap();
    assert!(second > first);
    // Nothing more to do: refreshes stop (a nudge that came while the last
    // one started may still make one more).
    tokio::time::sleep(Duration::from_millis(400)).await;
    let settled = t.store.trending_computed_at().await.unwrap().unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        t.store.trending_computed_at().await.unwrap().unwrap(),
        settled
    );
    let _ = stop.send(());
    running.await.unwrap();
}

//! The community half of the store contract (`dailypapers_store::community`),
//! on the backend `fresh_store` gives: members, sessions, tokens, one-time
//! links, upvotes, comments and rate limits.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use dailypapers_domain::{ArxivId, CommentBody, Email, Listing, Paper, Role, Username};
use dailypapers_store::community::{
    CommentChange, CommentRefusal, LinkPurpose, Member, NewComment, NewMember, NewSession,
    token_hash,
};
use dailypapers_store::testing::{TestStore, fresh_store};
use dailypapers_store::{FeedQuery, Store, StoreError};

fn now() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().unwrap()
}

fn id(s: &str) -> ArxivId {
    s.parse().unwrap()
}

async fn member(store: &dyn Store, name: &str) -> Member {
    store
        .community()
        .create_member(&NewMember {
            username: Username::parse(name).unwrap(),
            email: Email::parse(&format!("{name}@example.org")).unwrap(),
            display_name: None,
            password_hash: format!("$argon2id$fake${name}"),
            role: Role::Member,
            now: now(),
        })
        .await
        .unwrap()
}

async fn papers(store: &dyn Store, n: usize) -> Vec<ArxivId> {
    let mut batch = Vec::new();
    let mut ids = Vec::new();
    for i in 0..n {
        let pid = id(&format!("2603.{:05}", i + 1));
        let mut p = Paper::new(pid.clone(), &format!("Paper {i}"), "An abstract.");
        p.upvotes = Some(10);
        batch.push(Listing::paper_only(p));
        ids.push(pid);
    }
    store.import(batch).await.unwrap();
    ids
}

async fn session(store: &dyn Store, m: &Member, token: &str) {
    store
        .community()
        .create_session(&NewSession {
            token_hash: token_hash(token),
            member_id: m.id,
            csrf_token: format!("csrf-{token}"),
            now: now(),
            expires_at: now() + TimeDelta::days(30),
        })
        .await
        .unwrap();
}

const IDLE: Duration = Duration::from_secs(7 * 86_400);

/// Usernames and addresses are unique without regard to case, and a member
/// is found by either.
async fn members_are_unique_without_case(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "Ada").await;
    assert_eq!(ada.username.as_str(), "Ada");
    let again = store
        .community()
        .create_member(&NewMember {
            username: Username::parse("ADA").unwrap(),
            email: Email::parse("other@example.org").unwrap(),
            display_name: None,
            password_hash: "x".into(),
            role: Role::Member,
            now: now(),
        })
        .await;
    assert!(
        matches!(again, Err(StoreError::Taken { what: "username" })),
        "{again:?}"
    );
    let same_mail = store
        .community()
        .create_member(&NewMember {
            username: Username::parse("grace").unwrap(),
            email: Email::parse("ADA@Example.org").unwrap(),
            display_name: Some("Grace".into()),
            password_hash: "x".into(),
            role: Role::Member,
            now: now(),
        })
        .await;
    assert!(
        matches!(same_mail, Err(StoreError::Taken { what: "email" })),
        "{same_mail:?}"
    );
    assert_eq!(
        store.community().member_by_username("aDa").await.unwrap(),
        Some(ada.clone())
    );
    assert_eq!(
        store.community().member(ada.id).await.unwrap(),
        Some(ada.clone())
    );
    let by_mail = store
        .community()
        .login_record(" ada@EXAMPLE.org")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_mail.member, ada);
    assert_eq!(by_mail.password_hash, "$argon2id$fake$Ada");
    assert!(
        store
            .community()
            .login_record("nobody")
            .await
            .unwrap()
            .is_none()
    );
    let grace = member(store, "grace").await;
    assert!(grace.id > ada.id, "ids are handed out in order");
    assert!(
        store
            .community()
            .set_role("GRACE", Role::Admin)
            .await
            .unwrap()
    );
    assert!(
        store
            .community()
            .member(grace.id)
            .await
            .unwrap()
            .unwrap()
            .is_admin()
    );
    assert!(
        !store
            .community()
            .set_role("nobody", Role::Admin)
            .await
            .unwrap()
    );
}

/// Sessions end at logout, at a password change, at a ban, and when their
/// idle or absolute lifetime is over.
async fn sessions_end_when_they_should(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    let grace = member(store, "grace").await;
    for token in ["a1", "a2", "a3"] {
        session(store, &ada, token).await;
    }
    session(store, &grace, "g1").await;
    let s = store
        .community()
        .session(&token_hash("a1"), IDLE, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(s.member, ada);
    assert_eq!(s.csrf_token, "csrf-a1");
    assert!(
        store
            .community()
            .session("a1", IDLE, now())
            .await
            .unwrap()
            .is_none(),
        "looked up by hash only"
    );

    // Idle: unseen for longer than the idle time; touching keeps it alive.
    let later = now() + TimeDelta::days(8);
    assert!(
        store
            .community()
            .session(&token_hash("a1"), IDLE, later)
            .await
            .unwrap()
            .is_none()
    );
    store
        .community()
        .touch_session(&token_hash("a1"), now() + TimeDelta::days(6))
        .await
        .unwrap();
    assert!(
        store
            .community()
            .session(&token_hash("a1"), IDLE, later)
            .await
            .unwrap()
            .is_some()
    );
    // Absolute: 30 days, however active.
    store
        .community()
        .touch_session(&token_hash("a1"), now() + TimeDelta::days(29))
        .await
        .unwrap();
    let past_end = now() + TimeDelta::days(30) + TimeDelta::seconds(1);
    assert!(
        store
            .community()
            .session(&token_hash("a1"), IDLE, past_end)
            .await
            .unwrap()
            .is_none()
    );

    store
        .community()
        .end_session(&token_hash("a2"))
        .await
        .unwrap();
    assert!(
        store
            .community()
            .session(&token_hash("a2"), IDLE, now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .community()
            .session(&token_hash("a3"), IDLE, now())
            .await
            .unwrap()
            .is_some()
    );

    // A token and a reset link made with the old password end with it.
    let c = store.community();
    c.create_api_token(ada.id, "script", &token_hash("ada-api"), now())
        .await
        .unwrap();
    c.create_member_token(
        &token_hash("ada-link"),
        ada.id,
        LinkPurpose::ResetPassword,
        now() + TimeDelta::hours(1),
        now(),
    )
    .await
    .unwrap();
    store
        .community()
        .set_password(ada.id, "$argon2id$new")
        .await
        .unwrap();
    assert!(
        c.member_by_api_token(&token_hash("ada-api"))
            .await
            .unwrap()
            .is_none()
    );
    assert!(c.api_tokens(ada.id).await.unwrap().is_empty());
    assert_eq!(
        c.take_member_token(&token_hash("ada-link"), LinkPurpose::ResetPassword, now())
            .await
            .unwrap(),
        None
    );
    assert!(
        store
            .community()
            .session(&token_hash("a3"), IDLE, now())
            .await
            .unwrap()
            .is_none()
    );
    let record = store
        .community()
        .login_record("ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.password_hash, "$argon2id$new");
    assert!(
        store
            .community()
            .session(&token_hash("g1"), IDLE, now())
            .await
            .unwrap()
            .is_some(),
        "others keep theirs"
    );

    store
        .community()
        .set_banned(grace.id, true, now())
        .await
        .unwrap();
    assert!(
        store
            .community()
            .session(&token_hash("g1"), IDLE, now())
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .community()
            .member(grace.id)
            .await
            .unwrap()
            .unwrap()
            .banned
    );
    store
        .community()
        .set_banned(grace.id, false, now())
        .await
        .unwrap();
    assert!(
        store
            .community()
            .session(&token_hash("g1"), IDLE, now())
            .await
            .unwrap()
            .is_none(),
        "an unban does not bring sessions back"
    );
}

/// API tokens: listed for their owner, revoked only by them, dead when
/// revoked or when the member is banned.
async fn api_tokens_belong_to_their_member(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    let grace = member(store, "grace").await;
    let first = store
        .community()
        .create_api_token(ada.id, "laptop", &token_hash("tok-1"), now())
        .await
        .unwrap();
    let second = store
        .community()
        .create_api_token(ada.id, "ci", &token_hash("tok-2"), now())
        .await
        .unwrap();
    let listed = store.community().api_tokens(ada.id).await.unwrap();
    assert_eq!(listed, vec![second.clone(), first.clone()], "newest first");
    assert!(
        store
            .community()
            .api_tokens(grace.id)
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .community()
            .member_by_api_token(&token_hash("tok-1"))
            .await
            .unwrap(),
        Some(ada.clone())
    );
    assert!(
        !store
            .community()
            .revoke_api_token(grace.id, first.id)
            .await
            .unwrap(),
        "not grace's token"
    );
    assert!(
        store
            .community()
            .member_by_api_token(&token_hash("tok-1"))
            .await
            .unwrap()
            .is_some()
    );
    assert!(
        store
            .community()
            .revoke_api_token(ada.id, first.id)
            .await
            .unwrap()
    );
    assert!(
        store
            .community()
            .member_by_api_token(&token_hash("tok-1"))
            .await
            .unwrap()
            .is_none()
    );
    store
        .community()
        .set_banned(ada.id, true, now())
        .await
        .unwrap();
    assert!(
        store
            .community()
            .member_by_api_token(&token_hash("tok-2"))
            .await
            .unwrap()
            .is_none()
    );
}

/// A one-time link works once, for its purpose, until it expires.
async fn one_time_links_work_once(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    let hour = now() + TimeDelta::hours(1);
    store
        .community()
        .create_member_token(
            &token_hash("r1"),
            ada.id,
            LinkPurpose::ResetPassword,
            hour,
            now(),
        )
        .await
        .unwrap();
    store
        .community()
        .create_member_token(
            &token_hash("r2"),
            ada.id,
            LinkPurpose::ResetPassword,
            hour,
            now(),
        )
        .await
        .unwrap();
    store
        .community()
        .create_member_token(
            &token_hash("v1"),
            ada.id,
            LinkPurpose::VerifyEmail,
            hour,
            now(),
        )
        .await
        .unwrap();
    let take = |h: &str, p| {
        let h = token_hash(h);
        async move {
            store
                .community()
                .take_member_token(&h, p, now())
                .await
                .unwrap()
        }
    };
    assert_eq!(take("r1", LinkPurpose::ResetPassword).await, Some(ada.id));
    assert_eq!(
        take("r1", LinkPurpose::ResetPassword).await,
        None,
        "used once"
    );
    assert_eq!(
        take("v1", LinkPurpose::ResetPassword).await,
        None,
        "wrong purpose"
    );
    assert_eq!(
        take("v1", LinkPurpose::VerifyEmail).await,
        None,
        "and it is gone"
    );
    let expired = store
        .community()
        .take_member_token(
            &token_hash("r2"),
            LinkPurpose::ResetPassword,
            hour + TimeDelta::seconds(1),
        )
        .await
        .unwrap();
    assert_eq!(expired, None);
    store.community().set_email_verified(ada.id).await.unwrap();
    assert!(
        store
            .community()
            .member(ada.id)
            .await
            .unwrap()
            .unwrap()
            .email_verified
    );
}

/// One vote per member per paper, whatever arrives at once: concurrent
/// repeats and toggles leave counts equal to the stored votes, on top of
/// the imported count.
async fn upvotes_are_exact_under_concurrency(t: &TestStore) {
    let store: Arc<dyn Store> = t.store.clone();
    let ids = papers(&*store, 5).await;
    let mut members = Vec::new();
    for i in 0..12 {
        members.push(member(&*store, &format!("m{i}")).await);
    }
    // Each (member, paper) pair runs its own sequence; pairs run at once,
    // and each "on" is sent twice at the same moment.
    let mut tasks = Vec::new();
    let mut expected: HashMap<String, u32> = HashMap::new();
    for (mi, m) in members.iter().enumerate() {
        for (pi, p) in ids.iter().enumerate() {
            let ends_on = (mi + pi) % 3 != 0;
            if ends_on {
                *expected.entry(p.as_str().to_string()).or_default() += 1;
            }
            let store = store.clone();
            let (m, p) = (m.id, p.clone());
            tasks.push(tokio::spawn(async move {
                let steps: &[bool] = if ends_on {
                    &[true, false, true]
                } else {
                    &[true, false]
                };
                for &on in steps {
                    let (a, b) = tokio::join!(
                        store.community().set_upvote(m, &p, on, now()),
                        store.community().set_upvote(m, &p, on, now())
                    );
                    let (a, b) = (a.unwrap().unwrap(), b.unwrap().unwrap());
                    assert!(
                        a.changed ^ b.changed,
                        "exactly one of two equal votes changes it"
                    );
                    assert_eq!((a.upvoted, b.upvoted), (on, on));
                }
            }));
        }
    }
    for task in tasks {
        task.await.unwrap();
    }
    let engagement = store.community().engagement(&ids).await.unwrap();
    let listings = store
        .feed(&FeedQuery {
            from: None,
            to: None,
            submitter: None,
            sort: Default::default(),
            offset: 0,
            limit: 10,
        })
        .await
        .unwrap();
    assert!(
        listings.is_empty(),
        "papers without a listing are not on the feed"
    );
    for p in &ids {
        let want = expected.get(p.as_str()).copied().unwrap_or(0);
        assert_eq!(
            engagement
                .get(p.as_str())
                .map(|e| e.member_upvotes)
                .unwrap_or(0),
            want,
            "{p}"
        );
        let listing = store.listing(p).await.unwrap().unwrap();
        assert_eq!(listing.engagement.member_upvotes, want);
        assert_eq!(listing.upvotes(), 10 + want, "imported 10 plus members'");
    }
    let m0 = &members[0];
    let voted = store.community().upvoted(m0.id, &ids).await.unwrap();
    let want: std::collections::HashSet<String> = ids
        .iter()
        .enumerate()
        .filter(|(pi, _)| pi % 3 != 0)
        .map(|(_, p)| p.as_str().to_string())
        .collect();
    assert_eq!(voted, want);
    // A vote on a paper that does not exist is refused, and counts nothing.
    assert_eq!(
        store
            .community()
            .set_upvote(m0.id, &id("2603.99999"), true, now())
            .await
            .unwrap(),
        None
    );
    let again = store
        .community()
        .set_upvote(m0.id, &ids[1], true, now())
        .await
        .unwrap()
        .unwrap();
    assert!(!again.changed);
    assert_eq!(again.upvotes, 10 + expected[ids[1].as_str()]);
    // Re-importing the paper keeps members' votes.
    let mut p = Paper::new(ids[1].clone(), "Paper 1", "An abstract.");
    p.upvotes = Some(12);
    store.import(vec![Listing::paper_only(p)]).await.unwrap();
    let listing = store.listing(&ids[1]).await.unwrap().unwrap();
    assert_eq!(listing.upvotes(), 12 + expected[ids[1].as_str()]);
}

/// Comments and replies, edits, deletion and hiding, with the paper's count
/// of visible comments kept.
async fn comments_keep_their_paper_count(t: &TestStore) {
    let store = &*t.store;
    let ids = papers(store, 2).await;
    let ada = member(store, "ada").await;
    let grace = member(store, "grace").await;
    let body = |s: &str| CommentBody::parse(s).unwrap();
    let add = |m: u64, p: &ArxivId, parent: Option<u64>, text: &str| NewComment {
        paper: p.clone(),
        member_id: m,
        parent_id: parent,
        body: body(text),
        now: now(),
    };
    let first = store
        .community()
        .add_comment(&add(ada.id, &ids[0], None, "**Nice**"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(first.author.as_str(), "ada");
    assert_eq!(first.body, "**Nice**");
    let reply = store
        .community()
        .add_comment(&add(grace.id, &ids[0], Some(first.id), "Agreed"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(reply.parent_id, Some(first.id));
    assert_eq!(
        store
            .community()
            .add_comment(&add(grace.id, &ids[1], Some(first.id), "x"))
            .await
            .unwrap(),
        Err(CommentRefusal::NoSuchParent),
        "a reply must be on its parent's paper"
    );
    assert_eq!(
        store
            .community()
            .add_comment(&add(grace.id, &id("2603.99999"), None, "x"))
            .await
            .unwrap(),
        Err(CommentRefusal::NoSuchPaper)
    );
    let count = |p: &ArxivId| {
        let p = p.clone();
        async move {
            store
                .listing(&p)
                .await
                .unwrap()
                .unwrap()
                .engagement
                .comments
        }
    };
    assert_eq!(count(&ids[0]).await, 2);
    assert_eq!(count(&ids[1]).await, 0);

    assert!(
        store
            .community()
            .edit_comment(first.id, &body("*Nice*, really"), now())
            .await
            .unwrap()
    );
    let edited = store.community().comment(first.id).await.unwrap().unwrap();
    assert_eq!(edited.body, "*Nice*, really");
    assert!(edited.edited_at.is_some());

    assert!(
        store
            .community()
            .change_comment(reply.id, CommentChange::Hide, now())
            .await
            .unwrap()
    );
    assert_eq!(count(&ids[0]).await, 1);
    assert!(
        store
            .community()
            .change_comment(reply.id, CommentChange::Hide, now())
            .await
            .unwrap()
    );
    assert_eq!(count(&ids[0]).await, 1, "hiding twice counts once");
    assert!(
        store
            .community()
            .change_comment(reply.id, CommentChange::Unhide, now())
            .await
            .unwrap()
    );
    assert_eq!(count(&ids[0]).await, 2);
    assert!(
        store
            .community()
            .change_comment(first.id, CommentChange::Delete, now())
            .await
            .unwrap()
    );
    assert_eq!(count(&ids[0]).await, 1);
    assert!(
        !store
            .community()
            .change_comment(first.id, CommentChange::Delete, now())
            .await
            .unwrap()
    );
    assert!(
        !store
            .community()
            .edit_comment(first.id, &body("back"), now())
            .await
            .unwrap(),
        "deleted stays deleted"
    );
    assert_eq!(count(&ids[0]).await, 1);
    let all = store.community().comments(&ids[0], 0, 100).await.unwrap();
    assert_eq!(
        all.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![first.id, reply.id]
    );
    assert!(all[0].deleted && !all[0].visible());
    assert!(all[1].visible());
    // Pages: at most `limit`, after a given comment.
    let c = store.community();
    let one = c.comments(&ids[0], 0, 1).await.unwrap();
    assert_eq!(one.iter().map(|c| c.id).collect::<Vec<_>>(), vec![first.id]);
    let next = c.comments(&ids[0], first.id, 1).await.unwrap();
    assert_eq!(
        next.iter().map(|c| c.id).collect::<Vec<_>>(),
        vec![reply.id]
    );
    assert!(c.comments(&ids[0], reply.id, 1).await.unwrap().is_empty());
    assert!(store.community().comment(999).await.unwrap().is_none());
}

/// Failed logins throttle after the threshold; a success clears them.
async fn failed_logins_throttle_the_account(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    let wait = Duration::from_secs(60);
    for n in 1..=4 {
        assert_eq!(
            store
                .community()
                .record_login_failure(ada.id, 5, wait, now())
                .await
                .unwrap(),
            n
        );
    }
    assert!(
        store
            .community()
            .login_record("ada")
            .await
            .unwrap()
            .unwrap()
            .throttled_until
            .is_none()
    );
    assert_eq!(
        store
            .community()
            .record_login_failure(ada.id, 5, wait, now())
            .await
            .unwrap(),
        5
    );
    let record = store
        .community()
        .login_record("ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.throttled_until, Some(now() + TimeDelta::seconds(60)));
    assert_eq!(record.failed_logins, 5);
    // Once the throttle is over, the count starts again.
    let after = now() + TimeDelta::seconds(61);
    let again = store
        .community()
        .record_login_failure(ada.id, 5, wait, after);
    assert_eq!(again.await.unwrap(), 1);
    let record = store
        .community()
        .login_record("ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!(record.throttled_until, None);
    store
        .community()
        .clear_login_failures(ada.id)
        .await
        .unwrap();
    let record = store
        .community()
        .login_record("ada")
        .await
        .unwrap()
        .unwrap();
    assert_eq!((record.failed_logins, record.throttled_until), (0, None));
}

/// Rate limits count hits in fixed windows, and say how long is left.
async fn rate_limits_count_per_window(t: &TestStore) {
    let store = &*t.store;
    let window = Duration::from_secs(60);
    let start: DateTime<Utc> = "2026-03-02T12:00:00Z".parse().unwrap();
    for _ in 0..3 {
        assert_eq!(
            store
                .community()
                .rate_limit("vote:1", 3, window, start)
                .await
                .unwrap(),
            None
        );
    }
    let later = start + TimeDelta::seconds(20);
    assert_eq!(
        store
            .community()
            .rate_limit("vote:1", 3, window, later)
            .await
            .unwrap(),
        Some(Duration::from_secs(40))
    );
    assert_eq!(
        store
            .community()
            .rate_limit("vote:2", 3, window, later)
            .await
            .unwrap(),
        None,
        "per key"
    );
    let next = start + TimeDelta::seconds(61);
    assert_eq!(
        store
            .community()
            .rate_limit("vote:1", 3, window, next)
            .await
            .unwrap(),
        None,
        "a new window"
    );
}

/// Pruning removes exactly what can no longer sign in: a session past its
/// end or idle too long, a link past its end; live ones stay and still work.
async fn ended_sessions_and_links_are_pruned(t: &TestStore) {
    let store = &*t.store;
    let ada = member(store, "ada").await;
    for token in ["live", "idle", "old"] {
        session(store, &ada, token).await;
    }
    let later = now() + TimeDelta::days(20);
    // "live" was seen lately; "idle" not since it began; "old" is past
    // its absolute end at the second prune.
    store
        .community()
        .touch_session(&token_hash("live"), later - TimeDelta::days(1))
        .await
        .unwrap();
    store
        .community()
        .touch_session(&token_hash("old"), later - TimeDelta::days(1))
        .await
        .unwrap();
    for (token, ends) in [
        ("soon", now() + TimeDelta::hours(1)),
        ("long", later + TimeDelta::days(1)),
    ] {
        store
            .community()
            .create_member_token(
                &token_hash(token),
                ada.id,
                LinkPurpose::ResetPassword,
                ends,
                now(),
            )
            .await
            .unwrap();
    }
    let pruned = store.community().prune_sessions(IDLE, later).await.unwrap();
    assert_eq!(pruned, 2, "the idle session and the ended link");
    let alive = |token: &'static str, at| async move {
        store
            .community()
            .session(&token_hash(token), IDLE, at)
            .await
            .unwrap()
            .is_some()
    };
    assert!(alive("live", later).await);
    assert!(alive("old", later).await);
    assert!(
        !alive("idle", now()).await,
        "the row is gone, not just expired"
    );
    assert_eq!(
        store
            .community()
            .take_member_token(&token_hash("long"), LinkPurpose::ResetPassword, later)
            .await
            .unwrap(),
        Some(ada.id),
        "a live link still works"
    );
    let end = now() + TimeDelta::days(30);
    assert_eq!(
        store.community().prune_sessions(IDLE, end).await.unwrap(),
        2
    );
    assert_eq!(
        store.community().prune_sessions(IDLE, end).await.unwrap(),
        0
    );
}

macro_rules! community {
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

community!(
    members_are_unique_without_case,
    sessions_end_when_they_should,
    api_tokens_belong_to_their_member,
    one_time_links_work_once,
    upvotes_are_exact_under_concurrency,
    comments_keep_their_paper_count,
    failed_logins_throttle_the_account,
    rate_limits_count_per_window,
    ended_sessions_and_links_are_pruned,
);

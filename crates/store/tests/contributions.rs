//! The contributions half of the store contract
//! (`dailypapers_store::contributions`), on the backend `fresh_store` gives:
//! submissions, authorship claims, organisation links and memberships, and
//! what a member's page reads.

use std::sync::Arc;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use dailypapers_domain::{
    ArxivId, Author, ClaimStatus, CommentBody, Email, FeedEntry, Listing, Organization, Paper,
    Role, Submitter, Username,
};
use dailypapers_store::community::{CommentChange, Member, NewComment, NewMember};
use dailypapers_store::contributions::{ClaimChangeRefusal, ClaimRefusal, LinkRefusal, NewClaim};
use dailypapers_store::testing::fresh_store;
use dailypapers_store::{FeedQuery, ImportOutcome, Store};

fn now() -> DateTime<Utc> {
    "2026-03-02T12:00:00Z".parse().unwrap()
}

fn id(s: &str) -> ArxivId {
    s.parse().unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

async fn member(store: &dyn Store, name: &str, role: Role) -> Member {
    store
        .community()
        .create_member(&NewMember {
            username: Username::parse(name).unwrap(),
            email: Email::parse(&format!("{name}@example.org")).unwrap(),
            display_name: Some(format!("{name} display")),
            password_hash: format!("$argon2id$fake${name}"),
            role,
            now: now(),
        })
        .await
        .unwrap()
}

fn org(name: &str, fullname: &str) -> Organization {
    Organization {
        name: name.into(),
        fullname: fullname.into(),
        hf_id: None,
        avatar: None,
    }
}

fn paper(pid: &str, title: &str) -> Paper {
    let mut p = Paper::new(id(pid), title, "An abstract.");
    p.authors = vec![
        Author::named("Ada Lovelace"),
        Author::named("Alan Turing"),
        Author::named("Grace Hopper"),
    ];
    p.published_at = Some("2026-02-27T10:00:00Z".parse().unwrap());
    p
}

/// A listing as a member's submission makes it.
fn submitted(p: Paper, on: &str, by: &Member) -> Listing {
    let entry = FeedEntry {
        paper_id: p.id.clone(),
        feed_day: day(on),
        submitted_at: Some(now()),
        submitted_by: Some(Submitter {
            user: by.username.to_string(),
            fullname: by.display_name.clone(),
            hf_id: None,
            avatar_url: None,
            is_pro: false,
        }),
        listed_at: now(),
        thumbnail: None,
        num_comments: 0,
        organization: None,
        submitter_organization: None,
        is_author_participating: false,
        media_urls: vec![],
    };
    Listing::new(p, Some(entry))
}

/// A listing as the Hugging Face feed gives it, with its organisation.
fn from_hf(p: Paper, on: &str, organization: Option<Organization>) -> Listing {
    let mut p = p;
    p.organization = organization.clone();
    let mut l = submitted(p, on, &hf_member());
    let e = l.entry.as_mut().unwrap();
    e.organization = organization;
    e.submitted_by.as_mut().unwrap().user = "akhaliq".into();
    l
}

fn hf_member() -> Member {
    Member {
        id: 0,
        username: Username::parse("akhaliq").unwrap(),
        email: String::new(),
        display_name: Some("AK".into()),
        role: Role::Member,
        email_verified: false,
        banned: false,
        created_at: now(),
    }
}

fn day_query(on: &str) -> FeedQuery {
    FeedQuery {
        from: Some(day(on)),
        to: Some(day(on)),
        submitter: None,
        sort: dailypapers_domain::FeedSort::Upvotes,
        offset: 0,
        limit: 100,
    }
}

fn badge(l: &Listing) -> Option<&str> {
    l.organization().map(|o| o.name.as_str())
}

/// A submission is an import with a listing, made once: a second one of
/// the same paper (also at the same time) is told the day and changes
/// nothing; a paper stored without a listing can be submitted.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_is_submitted_once() {
    let t = &fresh_store().await;
    let store = &*t.store;
    let ada = member(store, "ada", Role::Member).await;
    let bob = member(store, "bob", Role::Member).await;
    let c = store.contributions();
    let first = c
        .submit_paper(
            submitted(paper("2602.00001", "First"), "2026-03-02", &ada),
            ada.id,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(
        first,
        Ok(ImportOutcome {
            new: 1,
            updated: 0,
            unchanged: 0
        })
    );
    let again = c
        .submit_paper(
            submitted(paper("2602.00001", "First, again"), "2026-03-03", &bob),
            bob.id,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(again, Err(day("2026-03-02")), "the day it is on");
    let stored = store.listing(&id("2602.00001")).await.unwrap().unwrap();
    assert_eq!(stored.paper.title, "First", "nothing of the refused one");
    let entry = stored.entry.unwrap();
    assert_eq!(entry.submitted_by.unwrap().user, "ada");
    assert_eq!(entry.feed_day, day("2026-03-02"));
    let listed = store.feed(&day_query("2026-03-02")).await.unwrap();
    assert_eq!(listed.len(), 1);

    // Two members at once: one listing, one refusal.
    let store_arc: Arc<dyn Store> = t.store.clone();
    let (a, b) = {
        let (s1, s2) = (store_arc.clone(), store_arc.clone());
        let (la, lb) = (
            submitted(paper("2602.00002", "Raced"), "2026-03-02", &ada),
            submitted(paper("2602.00002", "Raced"), "2026-03-02", &bob),
        );
        let (ida, idb) = (ada.id, bob.id);
        tokio::join!(
            tokio::spawn(async move { s1.contributions().submit_paper(la, ida, now()).await }),
            tokio::spawn(async move { s2.contributions().submit_paper(lb, idb, now()).await }),
        )
    };
    let outcomes = [a.unwrap().unwrap(), b.unwrap().unwrap()];
    assert_eq!(
        outcomes.iter().filter(|o| o.is_ok()).count(),
        1,
        "{outcomes:?}"
    );
    assert_eq!(
        outcomes.iter().filter(|o| o.is_err()).count(),
        1,
        "{outcomes:?}"
    );

    // A paper imported without a listing (an arXiv harvest) can be put on the feed.
    store
        .import(vec![Listing::paper_only(paper("2602.00003", "Harvested"))])
        .await
        .unwrap();
    let put = c
        .submit_paper(
            submitted(paper("2602.00003", "Harvested"), "2026-03-02", &bob),
            bob.id,
            now(),
        )
        .await
        .unwrap();
    assert_eq!(put.unwrap().updated, 1);

    let ada_subs = c.member_submissions(ada.id, 10).await.unwrap();
    let bob_subs = c.member_submissions(bob.id, 10).await.unwrap();
    let ids = |v: &[Listing]| {
        let mut v: Vec<String> = v.iter().map(|l| l.paper.id.to_string()).collect();
        v.sort();
        v
    };
    assert_eq!(ada_subs.len() + bob_subs.len(), 3);
    assert!(ids(&ada_subs).contains(&"2602.00001".to_string()));
    assert!(ids(&bob_subs).contains(&"2602.00003".to_string()));
    assert!(!ids(&bob_subs).contains(&"2602.00001".to_string()));
}

/// Claims: one open claim per author and per member on a paper, under a
/// race too; only pending claims change, once; the claimant alone withdraws.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn claims_are_unique_and_decided_once() {
    let t = &fresh_store().await;
    let store = &*t.store;
    let ada = member(store, "ada", Role::Member).await;
    let bob = member(store, "bob", Role::Member).await;
    let root = member(store, "root", Role::Admin).await;
    store
        .import(vec![
            Listing::paper_only(paper("2602.00001", "One")),
            Listing::paper_only(paper("2602.00002", "Two")),
        ])
        .await
        .unwrap();
    let c = store.contributions();
    let claim = |m: &Member, p: &str, author: &str| NewClaim {
        paper: id(p),
        author: author.into(),
        member_id: m.id,
        now: now(),
    };
    // Two members claim the same author at once: one claim.
    let s: Arc<dyn Store> = t.store.clone();
    let (ca, cb) = (
        claim(&ada, "2602.00001", "Ada Lovelace"),
        claim(&bob, "2602.00001", "Ada Lovelace"),
    );
    let (s1, s2) = (s.clone(), s.clone());
    let (ra, rb) = tokio::join!(
        tokio::spawn(async move { s1.contributions().claim_authorship(&ca).await }),
        tokio::spawn(async move { s2.contributions().claim_authorship(&cb).await }),
    );
    let results = [ra.unwrap().unwrap(), rb.unwrap().unwrap()];
    let won: Vec<_> = results.iter().filter_map(|r| r.as_ref().ok()).collect();
    assert_eq!(won.len(), 1, "{results:?}");
    let winner = won[0].clone();
    assert_eq!(winner.status, ClaimStatus::Pending);
    assert_eq!(winner.paper_title, "One");
    assert!(matches!(
        results.iter().find(|r| r.is_err()).unwrap(),
        Err(ClaimRefusal::AuthorTaken(c)) if c.id == winner.id
    ));
    let (claimant, other) = if winner.member_id == ada.id {
        (&ada, &bob)
    } else {
        (&bob, &ada)
    };
    // The same author in another spelling is the same author.
    assert!(matches!(
        c.claim_authorship(&claim(other, "2602.00001", "ADA  LOVELACE"))
            .await
            .unwrap(),
        Err(ClaimRefusal::AuthorTaken(_))
    ));
    // One author per member and paper.
    assert!(matches!(
        c.claim_authorship(&claim(claimant, "2602.00001", "Alan Turing")).await.unwrap(),
        Err(ClaimRefusal::AlreadyClaimed(x)) if x.id == winner.id
    ));
    assert_eq!(
        c.claim_authorship(&claim(claimant, "2602.99999", "Ada Lovelace"))
            .await
            .unwrap(),
        Err(ClaimRefusal::NoSuchPaper)
    );
    let turing = c
        .claim_authorship(&claim(other, "2602.00001", "Alan Turing"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.claims_in(ClaimStatus::Pending, 10)
            .await
            .unwrap()
            .iter()
            .map(|x| x.id)
            .collect::<Vec<_>>(),
        vec![winner.id, turing.id],
        "the queue, oldest first"
    );

    // Only the claimant withdraws; only a pending claim changes.
    assert_eq!(
        c.withdraw_claim(winner.id, other.id, now()).await.unwrap(),
        Err(ClaimChangeRefusal::NotYours)
    );
    let approved = c
        .decide_claim(winner.id, true, root.id, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(approved.status, ClaimStatus::Approved);
    assert_eq!(approved.decided_by, Some(root.id));
    assert!(approved.decided_at.is_some());
    assert!(matches!(
        c.decide_claim(winner.id, false, root.id, now()).await.unwrap(),
        Err(ClaimChangeRefusal::NotPending(x)) if x.status == ClaimStatus::Approved
    ));
    assert!(matches!(
        c.withdraw_claim(winner.id, claimant.id, now())
            .await
            .unwrap(),
        Err(ClaimChangeRefusal::NotPending(_))
    ));
    assert_eq!(
        c.decide_claim(999, true, root.id, now()).await.unwrap(),
        Err(ClaimChangeRefusal::NoSuchClaim)
    );
    // An approved claim still holds its author.
    assert!(matches!(
        c.claim_authorship(&claim(&root, "2602.00001", "Ada Lovelace"))
            .await
            .unwrap(),
        Err(ClaimRefusal::AuthorTaken(_))
    ));
    // A withdrawn claim frees its author and its member.
    let withdrawn = c
        .withdraw_claim(turing.id, other.id, now())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(withdrawn.status, ClaimStatus::Withdrawn);
    assert!(
        c.claim_authorship(&claim(&root, "2602.00001", "Alan Turing"))
            .await
            .unwrap()
            .is_ok()
    );
    // A rejected one too.
    let grace = c
        .claim_authorship(&claim(other, "2602.00002", "Grace Hopper"))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        c.decide_claim(grace.id, false, root.id, now())
            .await
            .unwrap()
            .unwrap()
            .status,
        ClaimStatus::Rejected
    );
    assert!(
        c.claim_authorship(&claim(other, "2602.00002", "Grace Hopper"))
            .await
            .unwrap()
            .is_ok()
    );

    // What pages read.
    let open: Vec<(String, ClaimStatus)> = c
        .paper_claims(&id("2602.00001"))
        .await
        .unwrap()
        .into_iter()
        .map(|x| (x.author, x.status))
        .collect();
    assert_eq!(
        open,
        vec![
            ("Ada Lovelace".to_string(), ClaimStatus::Approved),
            ("Alan Turing".to_string(), ClaimStatus::Pending)
        ]
    );
    let papers = c.member_papers(claimant.id, 10).await.unwrap();
    assert_eq!(papers.len(), 1);
    assert_eq!(papers[0].author, "Ada Lovelace");
    assert_eq!(papers[0].listing.paper.id, id("2602.00001"));
    assert!(c.member_papers(other.id, 10).await.unwrap().is_empty());
    let mine: Vec<ClaimStatus> = c
        .member_claims(other.id, 10)
        .await
        .unwrap()
        .iter()
        .map(|x| x.status)
        .collect();
    assert_eq!(
        mine,
        vec![
            ClaimStatus::Pending,
            ClaimStatus::Rejected,
            ClaimStatus::Withdrawn
        ],
        "newest first"
    );
}

/// An admin's organisation link outranks the sources and outlives a
/// re-import; taking it away shows the sources' again; an unlinked paper
/// shows none, also after a re-import; the search index sees each change.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisation_links_outlive_reimports() {
    let t = &fresh_store().await;
    let store = &*t.store;
    let root = member(store, "root", Role::Admin).await;
    let c = store.contributions();
    let nvidia = org("nvidia", "NVIDIA");
    let hf = vec![
        from_hf(
            paper("2602.00001", "GPU paper"),
            "2026-03-01",
            Some(nvidia.clone()),
        ),
        from_hf(
            paper("2602.00002", "Other GPU paper"),
            "2026-03-01",
            Some(nvidia.clone()),
        ),
    ];
    // A paper whose only badge is its submitter's organisation.
    let mut by_meta = from_hf(paper("2602.00003", "Meta paper"), "2026-02-27", None);
    by_meta.entry.as_mut().unwrap().submitter_organization = Some(org("facebook", "AI at Meta"));
    store.import(hf.clone()).await.unwrap();
    store.import(vec![by_meta]).await.unwrap();
    assert!(
        c.create_organization(&org("acme", "Acme Research"))
            .await
            .unwrap()
    );
    assert!(
        !c.create_organization(&org("ACME", "Another"))
            .await
            .unwrap(),
        "names are unique without case"
    );
    assert!(
        !c.create_organization(&nvidia).await.unwrap(),
        "imported already"
    );
    assert_eq!(
        c.organizations(10)
            .await
            .unwrap()
            .iter()
            .map(|o| o.name.as_str())
            .collect::<Vec<_>>(),
        vec!["acme", "nvidia"]
    );
    let names =
        |v: Vec<Listing>| -> Vec<String> { v.iter().map(|l| l.paper.id.to_string()).collect() };
    assert_eq!(
        names(c.organization_papers("facebook", 0, 10).await.unwrap()),
        vec!["2602.00003"]
    );

    let seq_before = store.max_seq().await.unwrap();
    c.link_paper("acme", &id("2602.00001"), root.id, now())
        .await
        .unwrap()
        .unwrap();
    let l = store.listing(&id("2602.00001")).await.unwrap().unwrap();
    assert_eq!(badge(&l), Some("acme"));
    assert_eq!(l.organization().unwrap().fullname, "Acme Research");
    assert_eq!(l.paper_organization().unwrap().name, "acme");
    assert_eq!(
        l.paper.organization.as_ref().unwrap().name,
        "nvidia",
        "the paper keeps what its source said"
    );
    let changes = store.changed_papers(seq_before, 10).await.unwrap();
    assert_eq!(changes.len(), 1, "the link is a change the index follows");
    assert_eq!(
        changes[0]
            .paper
            .organization
            .as_ref()
            .map(|o| o.name.as_str()),
        Some("acme")
    );
    // A re-import from Hugging Face (with more upvotes) keeps the link.
    let mut again = hf.clone();
    again[0].paper.upvotes = Some(50);
    assert_eq!(store.import(again).await.unwrap().updated, 1);
    let l = store.listing(&id("2602.00001")).await.unwrap().unwrap();
    assert_eq!((badge(&l), l.paper.upvotes), (Some("acme"), Some(50)));
    let day = store.feed(&day_query("2026-03-01")).await.unwrap();
    assert_eq!(
        day.iter().map(badge).collect::<Vec<_>>(),
        vec![Some("acme"), Some("nvidia")]
    );
    assert_eq!(
        names(c.organization_papers("acme", 0, 10).await.unwrap()),
        vec!["2602.00001"]
    );
    assert_eq!(
        names(c.organization_papers("nvidia", 0, 10).await.unwrap()),
        vec!["2602.00002"]
    );
    // Taking it away shows the sources' organisation again.
    assert!(
        !c.unlink_paper("nvidia", &id("2602.00001"), root.id, now())
            .await
            .unwrap()
    );
    assert!(
        c.unlink_paper("acme", &id("2602.00001"), root.id, now())
            .await
            .unwrap()
    );
    let l = store.listing(&id("2602.00001")).await.unwrap().unwrap();
    assert_eq!(badge(&l), Some("nvidia"));
    assert!(
        !c.unlink_paper("acme", &id("2602.00001"), root.id, now())
            .await
            .unwrap()
    );
    // Unlinking from the sources' organisation shows none, re-import or not.
    assert!(
        c.unlink_paper("nvidia", &id("2602.00002"), root.id, now())
            .await
            .unwrap()
    );
    store.import(hf.clone()).await.unwrap();
    let l = store.listing(&id("2602.00002")).await.unwrap().unwrap();
    assert_eq!(badge(&l), None);
    assert_eq!(
        (l.paper_organization(), l.listed_organization()),
        (None, None)
    );
    assert_eq!(
        names(c.organization_papers("nvidia", 0, 10).await.unwrap()),
        vec!["2602.00001"]
    );
    // ... until an admin links it again.
    c.link_paper("nvidia", &id("2602.00002"), root.id, now())
        .await
        .unwrap()
        .unwrap();
    let l = store.listing(&id("2602.00002")).await.unwrap().unwrap();
    assert_eq!(badge(&l), Some("nvidia"));
    assert_eq!(
        c.link_paper("nobody", &id("2602.00002"), root.id, now())
            .await
            .unwrap(),
        Err(LinkRefusal::NoSuchOrganization)
    );
    assert_eq!(
        c.link_paper("acme", &id("2602.99999"), root.id, now())
            .await
            .unwrap(),
        Err(LinkRefusal::NoSuchPaper)
    );
    // Paging, newest feed day first.
    c.link_paper("acme", &id("2602.00003"), root.id, now())
        .await
        .unwrap()
        .unwrap();
    c.link_paper("acme", &id("2602.00002"), root.id, now())
        .await
        .unwrap()
        .unwrap();
    let first = names(c.organization_papers("acme", 0, 1).await.unwrap());
    let second = names(c.organization_papers("acme", 1, 5).await.unwrap());
    assert_eq!(first, vec!["2602.00002"]);
    assert_eq!(second, vec!["2602.00003"]);
    assert!(
        c.organization_papers("facebook", 0, 10)
            .await
            .unwrap()
            .is_empty()
    );
}

/// Memberships: once per member, listed both ways, removed once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn organisations_have_members() {
    let t = &fresh_store().await;
    let store = &*t.store;
    let ada = member(store, "ada", Role::Member).await;
    let bob = member(store, "bob", Role::Member).await;
    let c = store.contributions();
    c.create_organization(&org("acme", "Acme")).await.unwrap();
    c.create_organization(&org("zeta", "Zeta")).await.unwrap();
    assert_eq!(
        c.add_organization_member("acme", bob.id, now())
            .await
            .unwrap(),
        Ok(true)
    );
    assert_eq!(
        c.add_organization_member("acme", ada.id, now())
            .await
            .unwrap(),
        Ok(true)
    );
    assert_eq!(
        c.add_organization_member("acme", ada.id, now())
            .await
            .unwrap(),
        Ok(false)
    );
    assert_eq!(
        c.add_organization_member("zeta", ada.id, now())
            .await
            .unwrap(),
        Ok(true)
    );
    assert_eq!(
        c.add_organization_member("nobody", ada.id, now())
            .await
            .unwrap(),
        Err(LinkRefusal::NoSuchOrganization)
    );
    assert_eq!(
        c.add_organization_member("acme", 999, now()).await.unwrap(),
        Err(LinkRefusal::NoSuchMember)
    );
    let members: Vec<String> = c
        .organization_members("acme")
        .await
        .unwrap()
        .iter()
        .map(|m| m.username.to_string())
        .collect();
    assert_eq!(members, vec!["ada", "bob"]);
    let orgs: Vec<String> = c
        .member_organizations(ada.id)
        .await
        .unwrap()
        .into_iter()
        .map(|o| o.name)
        .collect();
    assert_eq!(orgs, vec!["acme", "zeta"]);
    assert!(c.remove_organization_member("acme", ada.id).await.unwrap());
    assert!(!c.remove_organization_member("acme", ada.id).await.unwrap());
    assert_eq!(c.organization_members("acme").await.unwrap().len(), 1);
}

/// A member's recent comments: visible ones only, newest first, with the
/// paper's title.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_comments_are_the_visible_ones() {
    let t = &fresh_store().await;
    let store = &*t.store;
    let ada = member(store, "ada", Role::Member).await;
    store
        .import(vec![Listing::paper_only(paper("2602.00001", "Commented"))])
        .await
        .unwrap();
    let mut ids = Vec::new();
    for (i, text) in ["first", "hidden", "deleted", "last"].iter().enumerate() {
        let comment = store
            .community()
            .add_comment(&NewComment {
                paper: id("2602.00001"),
                member_id: ada.id,
                parent_id: None,
                body: CommentBody::parse(text).unwrap(),
                now: now() + TimeDelta::minutes(i as i64),
            })
            .await
            .unwrap()
            .unwrap();
        ids.push(comment.id);
    }
    store
        .community()
        .change_comment(ids[1], CommentChange::Hide, now())
        .await
        .unwrap();
    store
        .community()
        .change_comment(ids[2], CommentChange::Delete, now())
        .await
        .unwrap();
    let recent = store
        .contributions()
        .member_comments(ada.id, 10)
        .await
        .unwrap();
    let bodies: Vec<&str> = recent.iter().map(|c| c.comment.body.as_str()).collect();
    assert_eq!(bodies, vec!["last", "first"]);
    assert!(recent.iter().all(|c| c.paper_title == "Commented"));
    assert_eq!(
        store
            .contributions()
            .member_comments(ada.id, 1)
            .await
            .unwrap()
            .len(),
        1
    );
}

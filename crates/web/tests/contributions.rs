//! Submissions by arXiv id, authorship claims, organisations and members'
//! pages through the router, on the backend the tests run against. The
//! submissions ask a local server replaying real recorded arXiv answers
//! (`fixtures/arxiv-api/`), on a virtual clock, at an injected "now".

mod common;
#[path = "../../ingest/tests/support/mod.rs"]
mod support;

use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use chrono::{DateTime, Utc};
use common::*;
use dailypapers_domain::Role;
use dailypapers_ingest::clock::ManualClock;
use dailypapers_ingest::http::PoliteClient;
use dailypapers_ingest::live::ArxivApi;
use dailypapers_search::{EngineOptions, SearchEngine};
use dailypapers_store::testing::fresh_store;
use dailypapers_web::api::submissions::{SubmitConfig, client_config};
use dailypapers_web::auth::Limit;
use dailypapers_web::{AppState, WebConfig, router};
use serde_json::json;
use support::Replay;

/// A paper of the recorded feed day 2025-12-01, whose badge is Tongyi-MAI.
const PAPER: &str = "2511.22699";

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

/// The time the submissions see; a test moves it.
#[derive(Clone)]
struct Now(Arc<Mutex<DateTime<Utc>>>);

impl Now {
    fn new(s: &str) -> Self {
        Now(Arc::new(Mutex::new(at(s))))
    }

    fn set(&self, s: &str) {
        *self.0.lock().unwrap() = at(s);
    }
}

/// An app over a fresh store (with the recorded day 2025-12-01 when
/// `fill`) whose submissions ask the replay server at `path`, on a virtual
/// clock (`clock`: its waits are recorded, not slept), at `now`, with a
/// quota of `per_day`.
async fn app_asking(
    replay: &Replay,
    path: &str,
    clock: &Arc<ManualClock>,
    now: &Now,
    per_day: u32,
    fill: bool,
) -> TestApp {
    let test_store = Arc::new(fresh_store().await);
    let store = test_store.store.clone();
    let options = EngineOptions {
        model_dir: PathBuf::from("/nonexistent/model"),
        ..EngineOptions::default()
    };
    let search = Arc::new(SearchEngine::open(store.clone(), test_store.dir(), options).unwrap());
    let client = PoliteClient::with_clock(
        client_config(support::CONTACT.into(), std::time::Duration::from_secs(3)),
        clock.clone(),
    )
    .unwrap();
    let shared = now.0.clone();
    let mut config = WebConfig {
        submissions: SubmitConfig {
            arxiv: ArxivApi::new(client, replay.url(path)),
            now: Arc::new(move || *shared.lock().unwrap()),
            ..SubmitConfig::default()
        },
        ..WebConfig::default()
    };
    config.accounts.policy.limits.submit = Limit {
        hits: per_day,
        per: std::time::Duration::from_secs(86_400),
    };
    let app = TestApp {
        router: router(AppState {
            store: store.clone(),
            search: search.clone(),
            config: Arc::new(config),
            ops: Default::default(),
        }),
        store,
        search,
        test_store,
    };
    if fill {
        app.store
            .import(listings(&fixture("2025-12-01"), "2025-12-01"))
            .await
            .unwrap();
    }
    app
}

async fn admin(app: &TestApp, name: &str) -> Client {
    let c = signup(app, name).await;
    assert!(
        app.store
            .community()
            .set_role(name, Role::Admin)
            .await
            .unwrap()
    );
    c
}

fn error_of(r: &Reply) -> String {
    r.json()["error"].as_str().unwrap_or_default().to_string()
}

/// Sends each `(method, uri, body)` as `who` and checks the status it is
/// answered with; answers the replies.
async fn expect_all(
    app: &TestApp,
    who: &Client,
    cases: &[(&str, &str, serde_json::Value, u16)],
) -> Vec<Reply> {
    let mut replies = Vec::new();
    for (method, uri, body, status) in cases {
        let r = act(app, who, method, uri, body.clone()).await;
        assert_eq!(r.status, *status, "{method} {uri}: {}", r.body);
        replies.push(r);
    }
    replies
}

async fn submit(app: &TestApp, who: &Client, id: &str) -> Reply {
    act(
        app,
        who,
        "POST",
        "/api/papers/submit",
        json!({"arxivId": id}),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_submits_a_recorded_paper_and_every_refusal_is_named() {
    let replay = Replay::start(ManualClock::new()).await;
    let clock = ManualClock::new();
    // 1707.08567 was first published on arXiv on 2017-07-27T08:18:33Z.
    let now = Now::new("2017-08-01T12:00:00Z");
    let app = app_asking(&replay, "/api/query", &clock, &now, 2, true).await;
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;

    let anon = app
        .send(
            "POST",
            "/api/papers/submit",
            &[("content-type", "application/json")],
            r#"{"arxivId": "1707.08567"}"#,
        )
        .await;
    assert_eq!(anon.status, 401, "{}", anon.body);

    let r = submit(&app, &ada, "https://arxiv.org/abs/1707.08567").await;
    assert_eq!(r.status, 200, "{}", r.body);
    let done = r.json();
    assert_eq!(done["id"], "1707.08567");
    assert_eq!(done["feedDay"], "2017-08-01");
    assert_eq!(done["submittedBy"], "ada");
    assert_eq!(done["url"], "/papers/1707.08567");
    let title = done["title"].as_str().unwrap().to_string();
    assert!(
        support::fixture("arxiv-api/id_1707.08567_s0_m100_6a1afebfc6a3.xml")
            .contains(title.split_whitespace().next().unwrap()),
        "the title arXiv gave: {title}"
    );
    assert_eq!(replay.queries().len(), 1);
    assert!(replay.queries()[0].contains("id_list=1707.08567"));
    // On the day's feed, in the API with the submitter, on the pages.
    let day = app.get("/api/daily_papers?date=2017-08-01").await.json();
    assert_eq!(day.as_array().unwrap().len(), 1, "{day}");
    assert_eq!(day[0]["paper"]["id"], "1707.08567");
    assert_eq!(day[0]["submittedBy"]["name"], "ada");
    assert_eq!(day[0]["paper"]["submittedOnDailyBy"]["user"], "ada");
    assert_eq!(day[0]["title"], title.as_str());
    let by = app.get("/api/daily_papers?submitter=ada").await.json();
    assert_eq!(by.as_array().unwrap().len(), 1);
    let front = app.get("/?date=2017-08-01").await;
    assert_eq!(front.status, 200);
    assert!(
        front.body.contains(&escaped(&title)),
        "the card on the day's page"
    );
    let page = app.get("/papers/1707.08567").await;
    assert!(
        page.body.contains("submitted by ada"),
        "the page names the submitter"
    );
    let profile = app.get("/api/users/ada").await.json();
    assert_eq!(profile["submissions"][0]["id"], "1707.08567");
    assert!(app.get("/users/ada").await.body.contains(&escaped(&title)));

    // Already on the feed: the day is named, arXiv is not asked.
    let again = submit(&app, &bob, "1707.08567v1").await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert!(error_of(&again).contains("2017-08-01"), "{}", again.body);
    let listed = submit(&app, &bob, PAPER).await;
    assert_eq!(listed.status, 409);
    assert!(error_of(&listed).contains("2025-12-01"), "{}", listed.body);
    assert_eq!(replay.queries().len(), 1, "no request for a listed paper");

    // Malformed ids: the accepted forms are named; arXiv is not asked.
    for bad in ["abc", "", "2104.1225", "<script>"] {
        let r = submit(&app, &bob, bad).await;
        assert_eq!(r.status, 400, "{bad:?}: {}", r.body);
        let e = error_of(&r);
        assert!(
            e.starts_with("arxivId:") && e.contains("2104.12255") && e.contains("astro-ph/0601001"),
            "{bad:?}: {e}"
        );
    }
    assert_eq!(replay.queries().len(), 1);

    // Too old: 1605.08386 was first published on 2016-05-26.
    let old = submit(&app, &ada, "1605.08386").await;
    assert_eq!(old.status, 422, "{}", old.body);
    let e = error_of(&old);
    assert!(e.contains("2016-05-26") && e.contains("14 days"), "{e}");
    assert_eq!(
        app.get("/api/papers/1605.08386").await.status,
        404,
        "nothing stored"
    );

    // The quota (2 a day here): ada has made two submissions today.
    let over = submit(&app, &ada, "2104.12255v1").await;
    assert_eq!(over.status, 429, "{}", over.body);
    assert_eq!(
        over.header("retry-after"),
        "43200",
        "until midnight UTC, from 12:00"
    );
    assert!(error_of(&over).contains("2 submissions"), "{}", over.body);
    assert_eq!(replay.queries().len(), 2, "no request past the quota");
    assert_eq!(app.get("/api/papers/2104.12255").await.status, 404);

    // A browser's form: refused, the page says why with the refusal's status.
    let form = bob
        .form(&app, "/api/papers/submit", &[("arxivId", "not an id")])
        .await;
    assert_eq!(form.status, 400);
    assert!(form.header("content-type").starts_with("text/html"));
    assert!(form.body.contains("is not an arXiv id"), "{}", form.body);
    assert!(
        form.body.contains(r#"value="not an id""#),
        "what was typed is kept"
    );
    let form = ada
        .form(&app, "/api/papers/submit", &[("arxivId", "2104.12255v1")])
        .await;
    assert_eq!(form.status, 429);
    assert_eq!(form.header("retry-after"), "43200");
    assert!(form.body.contains("2 submissions"));
    // ... and accepted, on another day: 1605.08386 within its window.
    now.set("2016-05-30T08:00:00Z");
    let form = bob
        .form(&app, "/api/papers/submit", &[("arxivId", "1605.08386")])
        .await;
    assert_eq!(form.status, 303, "{}", form.body);
    assert_eq!(form.header("location"), "/papers/1605.08386");
    let day = app.get("/api/daily_papers?date=2016-05-30").await.json();
    assert_eq!(day[0]["submittedBy"]["name"], "bob");
    // The submit page, and the link to it for members.
    let page = bob.get(&app, "/submit").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"action="/api/papers/submit""#));
    assert!(page.body.contains(&format!(r#"value="{}""#, bob.csrf)));
    assert!(
        bob.get(&app, "/?date=2016-05-30")
            .await
            .body
            .contains(r#"href="/submit""#)
    );
    assert_eq!(
        app.get("/submit").await.status,
        303,
        "nobody signed in: log in first"
    );
    // Every request waited its turn on the polite client.
    assert!(
        clock.sleeps().iter().all(|s| s.as_secs() <= 3),
        "{:?}",
        clock.sleeps()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paper_arxiv_does_not_know_or_an_arxiv_that_fails_stores_nothing() {
    let replay = Replay::start(ManualClock::new()).await;
    let clock = ManualClock::new();
    let now = Now::new("2025-01-10T12:00:00Z");
    // The recorded answer for an id arXiv does not have: no entries.
    let app = app_asking(&replay, "/empty/api/query", &clock, &now, 5, false).await;
    let ada = signup(&app, "ada").await;
    let r = submit(&app, &ada, "2501.99999").await;
    assert_eq!(r.status, 404, "{}", r.body);
    assert!(
        error_of(&r).contains("arXiv does not know 2501.99999"),
        "{}",
        r.body
    );
    assert_eq!(app.store.counts().await.unwrap().papers, 0);

    // arXiv answering 503 (the recorded one, Retry-After: 10): one retry
    // after at most 5 s, then a 503 that says nothing was stored.
    let app = app_asking(&replay, "/unavailable/api/query", &clock, &now, 5, false).await;
    let ada = signup(&app, "ada").await;
    let before = replay.requests().len();
    let r = submit(&app, &ada, "2501.00001").await;
    assert_eq!(r.status, 503, "{}", r.body);
    let e = error_of(&r);
    assert!(
        e.contains("arXiv is busy (HTTP 503)") && e.contains("nothing was stored"),
        "{e}"
    );
    assert_eq!(replay.requests().len() - before, 2, "one retry");
    assert!(
        clock.sleeps().contains(&std::time::Duration::from_secs(5)),
        "Retry-After honoured up to 5 s: {:?}",
        clock.sleeps()
    );
    assert_eq!(app.store.counts().await.unwrap().papers, 0);
    assert_eq!(app.get("/api/papers/2501.00001").await.status, 404);
}

/// The author names of `PAPER` as the API lists them.
async fn authors(app: &TestApp) -> Vec<String> {
    app.get(&format!("/api/papers/{PAPER}")).await.json()["authors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["name"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_claim_is_approved_by_an_admin_and_nobody_else_decides_it() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;
    let root = admin(&app, "root").await;
    let names = authors(&app).await;
    let (first, second) = (names[1].clone(), names[2].clone());

    let claim = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/claim"),
        json!({"author": first.to_uppercase()}),
    )
    .await;
    assert_eq!(claim.status, 200, "{}", claim.body);
    let c = claim.json();
    assert_eq!(c["status"], "pending");
    assert_eq!(c["author"], first.as_str(), "as the paper spells it");
    let id = c["id"].as_u64().unwrap();
    // Refusals: the same author again, a name not on the paper, nothing.
    let taken = act(
        &app,
        &bob,
        "POST",
        &format!("/api/papers/{PAPER}/claim"),
        json!({"author": first}),
    )
    .await;
    assert_eq!(taken.status, 409, "{}", taken.body);
    // Naming another member in the body forges nothing: a claim is the
    // claimant's own.
    let forged = act(
        &app,
        &bob,
        "POST",
        &format!("/api/papers/{PAPER}/claim"),
        json!({"author": names[3], "memberId": ada.id, "username": "ada"}),
    )
    .await;
    assert_eq!(forged.status, 200, "{}", forged.body);
    assert_eq!(forged.json()["claimant"]["username"], "bob");
    let forged_id = forged.json()["id"].as_u64().unwrap();
    let r = act(
        &app,
        &bob,
        "POST",
        &format!("/api/claims/{forged_id}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    for (body, says) in [
        (
            json!({"author": "Nobody Atall"}),
            "is not among the authors",
        ),
        (json!({}), "author: missing"),
    ] {
        let r = act(
            &app,
            &bob,
            "POST",
            &format!("/api/papers/{PAPER}/claim"),
            body,
        )
        .await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(error_of(&r).contains(says), "{}", r.body);
    }
    let second_by_ada = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/claim"),
        json!({"author": second}),
    )
    .await;
    assert_eq!(second_by_ada.status, 409, "one author per member and paper");
    let missing = act(
        &app,
        &ada,
        "POST",
        "/api/papers/2511.99999/claim",
        json!({"author": "x"}),
    )
    .await;
    assert_eq!(missing.status, 404);

    // Bob cannot decide, withdraw or see ada's claim; nothing changes.
    for verb in ["approve", "reject", "withdraw"] {
        let r = act(
            &app,
            &bob,
            "POST",
            &format!("/api/claims/{id}/{verb}"),
            json!({}),
        )
        .await;
        assert_eq!(r.status, 403, "{verb}: {}", r.body);
    }
    let r = ada
        .form(&app, &format!("/api/claims/{id}/approve"), &[])
        .await;
    assert_eq!(r.status, 403, "the claimant cannot approve their own claim");
    assert_eq!(bob.get(&app, "/api/claims").await.status, 403);
    assert_eq!(bob.get(&app, "/admin/claims").await.status, 403);
    assert_eq!(app.get("/api/claims").await.status, 401);
    let queue = root.get(&app, "/api/claims").await.json();
    assert_eq!(queue.as_array().unwrap().len(), 1);
    assert_eq!(queue[0]["id"], id);
    assert_eq!(queue[0]["status"], "pending");
    assert_eq!(queue[0]["claimant"]["username"], "ada");
    let page = root.get(&app, "/admin/claims").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body
            .contains(&format!(r#"action="/api/claims/{id}/approve""#))
    );
    assert!(page.body.contains("@ada") && page.body.contains(&escaped(&first)));
    let bad = root.get(&app, "/api/claims?status=maybe").await;
    assert_eq!(bad.status, 400);
    assert!(error_of(&bad).contains("status"));

    // Not verified yet.
    let paper = app.get(&format!("/papers/{PAPER}")).await;
    assert!(!paper.body.contains("class=\"verified\""));
    let mine = ada.get(&app, &format!("/papers/{PAPER}/claim")).await;
    assert!(
        mine.body.contains("is waiting for an admin"),
        "the claimant sees their claim"
    );
    assert!(
        mine.body
            .contains(&format!(r#"action="/api/claims/{id}/withdraw""#))
    );

    // The admin approves (as a form, from the queue).
    let r = root
        .form(&app, &format!("/api/claims/{id}/approve"), &[])
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/admin/claims");
    let again = act(
        &app,
        &root,
        "POST",
        &format!("/api/claims/{id}/reject"),
        json!({}),
    )
    .await;
    assert_eq!(again.status, 409, "decided once");
    let withdraw = act(
        &app,
        &ada,
        "POST",
        &format!("/api/claims/{id}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(withdraw.status, 409, "an approved claim is not withdrawn");
    let nothing = act(&app, &root, "POST", "/api/claims/999/approve", json!({})).await;
    assert_eq!(nothing.status, 404);
    let paper = app.get(&format!("/papers/{PAPER}")).await;
    assert!(
        paper
            .body
            .contains(r#"<a class="verified" href="/users/ada""#),
        "the verified author links to the member"
    );
    let profile = app.get("/api/users/ada").await.json();
    assert_eq!(profile["papers"][0]["id"], PAPER);
    assert_eq!(profile["papers"][0]["author"], first.as_str());
    let page = app.get("/users/ada").await;
    assert!(page.body.contains("as ") && page.body.contains(&escaped(&first)));

    // Bob claims the next author by the form; ada cannot withdraw it, bob can.
    let r = bob
        .form(
            &app,
            &format!("/api/papers/{PAPER}/claim"),
            &[("author", second.as_str())],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    let bobs = root.get(&app, "/api/claims").await.json();
    let bob_claim = bobs[0]["id"].as_u64().unwrap();
    assert_eq!(bobs[0]["claimant"]["username"], "bob");
    let r = act(
        &app,
        &ada,
        "POST",
        &format!("/api/claims/{bob_claim}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 403);
    let r = act(
        &app,
        &bob,
        "POST",
        &format!("/api/claims/{bob_claim}/withdraw"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["status"], "withdrawn");
    assert!(
        root.get(&app, "/api/claims")
            .await
            .json()
            .as_array()
            .unwrap()
            .is_empty()
    );
    let withdrawn = root.get(&app, "/api/claims?status=withdrawn").await.json();
    let ids: Vec<u64> = withdrawn
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["id"].as_u64().unwrap())
        .collect();
    assert_eq!(ids, vec![forged_id, bob_claim], "oldest first");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_manage_organisations_and_a_link_outlives_a_reimport() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let root = admin(&app, "root").await;
    let acme = json!({"name": "acme", "fullname": "Acme Research", "avatar": "https://acme.example/a.png"});

    // A member is refused everything, and nothing changes.
    let unlink_tongyi = format!("/api/organizations/Tongyi-MAI/papers/{PAPER}");
    expect_all(
        &app,
        &ada,
        &[
            ("POST", "/api/organizations", acme.clone(), 403),
            (
                "POST",
                "/api/organizations/Tongyi-MAI/papers",
                json!({"paperId": "2511.22625"}),
                403,
            ),
            ("DELETE", &unlink_tongyi, json!({}), 403),
            (
                "POST",
                "/api/organizations/Tongyi-MAI/members",
                json!({"username": "ada"}),
                403,
            ),
            (
                "DELETE",
                "/api/organizations/Tongyi-MAI/members/ada",
                json!({}),
                403,
            ),
        ],
    )
    .await;
    assert_eq!(app.get("/api/organizations/acme").await.status, 404);
    let tongyi = app.get("/api/organizations/Tongyi-MAI").await.json();
    assert!(tongyi["members"].as_array().unwrap().is_empty());
    let tongyi_papers: Vec<&str> = tongyi["papers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["id"].as_str().unwrap())
        .collect();
    assert!(tongyi_papers.contains(&PAPER) && !tongyi_papers.contains(&"2511.22625"));

    // Bad input, each named.
    for (body, field) in [
        (json!({"name": "a b", "fullname": "X"}), "name:"),
        (json!({"name": "lab", "fullname": ""}), "fullname:"),
        (
            json!({"name": "lab", "fullname": "Lab", "avatar": "javascript:alert(1)"}),
            "avatar:",
        ),
    ] {
        let r = act(&app, &root, "POST", "/api/organizations", body).await;
        assert_eq!(r.status, 400, "{}", r.body);
        assert!(error_of(&r).starts_with(field), "{}", r.body);
    }
    let r = act(&app, &root, "POST", "/api/organizations", acme.clone()).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["fullname"], "Acme Research");
    let replies = expect_all(
        &app,
        &root,
        &[
            (
                "POST",
                "/api/organizations",
                json!({"name": "ACME", "fullname": "Again"}),
                409,
            ),
            // The admin links a paper of Tongyi-MAI to acme: the badge and the API follow.
            (
                "POST",
                "/api/organizations/acme/papers",
                json!({"paperId": PAPER}),
                200,
            ),
        ],
    )
    .await;
    let r = &replies[1];
    assert_eq!(
        r.json(),
        json!({"organization": "acme", "paperId": PAPER, "linked": true})
    );
    // `limit` differs from one check to the next: the feed's response
    // cache keeps an answer for 2 s.
    let check = |want: &'static str, limit: u32| {
        let app = &app;
        async move {
            let day = app
                .get(&format!("/api/daily_papers?date=2025-12-01&limit={limit}"))
                .await
                .json();
            let item = day
                .as_array()
                .unwrap()
                .iter()
                .find(|x| x["paper"]["id"] == PAPER)
                .unwrap()
                .clone();
            assert_eq!(item["organization"]["name"], want, "{item}");
            assert_eq!(item["paper"]["organization"]["name"], want);
            let flat = app.get(&format!("/api/papers/{PAPER}")).await.json();
            assert_eq!(flat["organization"]["name"], want);
            let page = app.get(&format!("/papers/{PAPER}")).await;
            assert!(
                page.body.contains(&format!(
                    r#"<a class="org-badge" href="/organizations/{want}""#
                )),
                "the badge links to {want}"
            );
        }
    };
    check("acme", 40).await;
    let front = app.get("/?date=2025-12-01").await;
    assert!(
        front.body.contains(r#"href="/organizations/acme""#),
        "the card's badge"
    );
    // A re-import of the day from Hugging Face does not undo it.
    app.store
        .import(listings(&fixture("2025-12-01"), "2025-12-01"))
        .await
        .unwrap();
    check("acme", 41).await;
    let page = app.get("/organizations/acme").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Acme Research"));
    assert!(page.body.contains(&format!(r#"href="/papers/{PAPER}""#)));
    assert!(
        !page
            .body
            .contains(r#"action="/api/organizations/acme/papers""#),
        "no forms for readers"
    );
    let admin_page = root.get(&app, "/organizations/acme").await;
    assert!(
        admin_page
            .body
            .contains(r#"action="/api/organizations/acme/papers""#)
    );
    let tongyi = app.get("/api/organizations/Tongyi-MAI").await.json();
    assert!(
        !tongyi["papers"]
            .as_array()
            .unwrap()
            .iter()
            .any(|p| p["id"] == PAPER)
    );

    // Members: added and removed by forms.
    let r = root
        .form(
            &app,
            "/api/organizations/acme/members",
            &[("username", "ada")],
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/organizations/acme");
    let org_page = app.get("/organizations/acme").await;
    assert!(org_page.body.contains(r#"href="/users/ada""#));
    let profile = app.get("/api/users/ada").await.json();
    assert_eq!(profile["organizations"][0]["name"], "acme");
    let ada_page = app.get("/users/ada").await;
    assert!(ada_page.body.contains(r#"href="/organizations/acme""#));
    let replies = expect_all(
        &app,
        &root,
        &[
            (
                "POST",
                "/api/organizations/acme/members",
                json!({"username": "nobody"}),
                404,
            ),
            (
                "DELETE",
                "/api/organizations/acme/members/ada",
                json!({}),
                200,
            ),
            (
                "DELETE",
                "/api/organizations/acme/members/ada",
                json!({}),
                404,
            ),
        ],
    )
    .await;
    assert_eq!(replies[1].json()["member"], false);
    let profile = app.get("/api/users/ada").await.json();
    assert_eq!(profile["organizations"], json!([]));

    // Unlinking shows Hugging Face's organisation again.
    let unlink = format!("/api/organizations/acme/papers/{PAPER}");
    expect_all(&app, &root, &[("DELETE", &unlink, json!({}), 200)]).await;
    check("Tongyi-MAI", 42).await;
    let r = root
        .form(
            &app,
            "/api/organizations/acme/papers",
            &[("paperId", PAPER), ("action", "remove")],
        )
        .await;
    assert_eq!(r.status, 404, "not linked any more: {}", r.body);
    let replies = expect_all(
        &app,
        &root,
        &[
            (
                "POST",
                "/api/organizations/acme/papers",
                json!({"paperId": "2511.99999"}),
                404,
            ),
            (
                "POST",
                "/api/organizations/acme/papers",
                json!({"paperId": "nonsense"}),
                400,
            ),
        ],
    )
    .await;
    assert!(
        error_of(&replies[1]).starts_with("paperId:"),
        "{}",
        replies[1].body
    );
    assert_eq!(app.get("/api/organizations/nobody").await.status, 404);
    assert_eq!(app.get("/organizations/nobody").await.status, 404);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_organisation_known_only_from_imported_papers_has_a_page() {
    let app = empty_app().await;
    // Every badge of this recorded day is its submitter's organisation.
    app.store
        .import(listings(&fixture("2025-10-01"), "2025-10-01"))
        .await
        .unwrap();
    assert!(app.store.organization("facebook").await.unwrap().is_none());
    let page = app.get("/organizations/facebook").await;
    assert_eq!(page.status, 200, "{}", page.body);
    let api = app.get("/api/organizations/facebook").await.json();
    assert_eq!(api["organization"]["name"], "facebook");
    let papers = api["papers"].as_array().unwrap();
    assert!(!papers.is_empty());
    for p in papers {
        assert!(
            page.body
                .contains(&format!(r#"href="/papers/{}""#, p["id"].as_str().unwrap()))
        );
    }
    let day = app.get("/?date=2025-10-01").await;
    assert!(day.body.contains(r#"href="/organizations/facebook""#));
    // An admin's first change stores it.
    let root = admin(&app, "root").await;
    let r = act(
        &app,
        &root,
        "POST",
        "/api/organizations/facebook/members",
        json!({"username": "root"}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert!(app.store.organization("facebook").await.unwrap().is_some());
    assert_eq!(
        app.get("/api/organizations/facebook").await.json()["members"][0]["username"],
        "root"
    );
    // Paging: 1 per page.
    let first = app.get("/api/organizations/facebook?limit=1").await.json();
    let second = app
        .get("/api/organizations/facebook?limit=1&p=1")
        .await
        .json();
    assert_eq!(first["papers"].as_array().unwrap().len(), 1);
    assert_ne!(first["papers"][0]["id"], second["papers"][0]["id"]);
    let bad = app.get("/api/organizations/facebook?limit=0").await;
    assert_eq!(bad.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_members_page_shows_their_visible_comments() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let root = admin(&app, "root").await;
    let mut ids = Vec::new();
    for text in ["**kept**", "hidden by an admin"] {
        let c = act(
            &app,
            &ada,
            "POST",
            &format!("/api/papers/{PAPER}/comments"),
            json!({"body": text}),
        )
        .await;
        ids.push(c.json()["id"].as_u64().unwrap());
    }
    let r = act(
        &app,
        &root,
        "POST",
        &format!("/api/comments/{}/hide", ids[1]),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200);
    let profile = app.get("/api/users/ADA").await.json();
    assert_eq!(profile["username"], "ada");
    let comments = profile["comments"].as_array().unwrap();
    assert_eq!(comments.len(), 1);
    assert_eq!(comments[0]["body"], "**kept**");
    assert_eq!(comments[0]["html"], "<p><strong>kept</strong></p>\n");
    assert_eq!(comments[0]["paperId"], PAPER);
    let page = app.get("/users/ada").await;
    assert!(page.body.contains("<strong>kept</strong>"));
    assert!(!page.body.contains("hidden by an admin"));
    assert_eq!(app.get("/api/users/nobody").await.status, 404);
    assert_eq!(app.get("/users/nobody").await.status, 404);
}

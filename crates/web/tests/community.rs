//! Accounts, sessions, CSRF, upvotes and comments through the router, on
//! the backend the tests run against: what a member and an attacker see.

mod common;

use common::*;
use serde_json::{Value, json};

const PAPER: &str = "2511.22699";

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_signs_up_votes_comments_and_logs_out() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let me = app
        .get_with("/api/auth/me", &[("cookie", &ada.cookie)])
        .await;
    assert_eq!(me.status, 200);
    assert_eq!(me.json()["member"]["username"], "ada");
    assert_eq!(me.json()["csrfToken"], ada.csrf.as_str());

    let before = app.get(&format!("/api/papers/{PAPER}")).await.json()["upvotes"]
        .as_u64()
        .unwrap();
    let r = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/upvote"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json(), json!({"upvotes": before + 1, "upvoted": true}));
    let again = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/upvote"),
        json!({}),
    )
    .await;
    assert_eq!(again.json()["upvotes"], before + 1, "one vote per member");
    // The page shows the vote as the member's, and the count.
    let page = app
        .get_with(&format!("/papers/{PAPER}"), &[("cookie", &ada.cookie)])
        .await;
    assert!(
        page.body.contains(r#"aria-pressed="true""#),
        "the member's vote is marked"
    );
    assert!(
        page.body
            .contains(&format!(r#"<span class="count">{}</span>"#, before + 1))
    );
    assert!(page.body.contains("@ada"));
    assert_eq!(page.header("cache-control"), "private, no-cache");
    // The front page (served from the shared page plus the member's marks)
    // shows the same, twice in a row (the second from the cache), and
    // nobody else's marks.
    for _ in 0..2 {
        let front = app
            .get_with("/?date=2025-12-01", &[("cookie", &ada.cookie)])
            .await;
        assert_eq!(front.status, 200);
        assert!(front.body.contains("@ada"), "the member's menu");
        assert_eq!(
            front.body.matches(r#"aria-pressed="true""#).count(),
            1,
            "one vote, marked"
        );
        assert_eq!(front.body.matches(r#"aria-pressed="false""#).count(), 22);
        assert_eq!(
            front
                .body
                .matches(&format!(r#"value="{}""#, ada.csrf))
                .count(),
            24,
            "the token in every form"
        );
        assert!(!front.body.contains('\u{1}'), "no slot left unfilled");
        assert_eq!(front.header("cache-control"), "private, no-cache");
    }
    let anon_front = app.get("/?date=2025-12-01").await;
    assert!(!anon_front.body.contains("@ada") && !anon_front.body.contains(r#"aria-pressed"#));
    assert!(!anon_front.body.contains('\u{1}'));
    let bob = signup(&app, "bob").await;
    let bobs = app
        .get_with("/?date=2025-12-01", &[("cookie", &bob.cookie)])
        .await;
    assert!(bobs.body.contains("@bob") && !bobs.body.contains("@ada"));
    assert_eq!(
        bobs.body.matches(r#"aria-pressed="true""#).count(),
        0,
        "bob has not voted"
    );
    let anon = app.get(&format!("/papers/{PAPER}")).await;
    assert!(!anon.body.contains("aria-pressed=\"true\""));
    assert!(anon.body.contains("title=\"Log in to upvote\""));
    let vary: Vec<&str> = anon
        .headers
        .get_all("vary")
        .iter()
        .map(|v| v.to_str().unwrap())
        .collect();
    assert!(
        vary.iter().any(|v| v.contains("Cookie")),
        "a browser must not reuse the anonymous copy after login: {vary:?}"
    );

    let c = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/comments"),
        json!({"body": "**Great** <script>alert(1)</script> [x](javascript:alert(1))"}),
    )
    .await;
    assert_eq!(c.status, 200, "{}", c.body);
    let comment = c.json();
    let html = comment["html"].as_str().unwrap();
    assert!(html.contains("<strong>Great</strong>"), "{html}");
    assert!(
        !html.contains("<script") && !html.contains("javascript:"),
        "{html}"
    );
    let id = comment["id"].as_u64().unwrap();
    let reply = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/comments"),
        json!({"body": "a reply", "parentId": id}),
    )
    .await;
    assert_eq!(reply.json()["parentId"], id);
    let list = app
        .get(&format!("/api/papers/{PAPER}/comments"))
        .await
        .json();
    assert_eq!(list.as_array().unwrap().len(), 2);
    // A page at a time, with the way to the next.
    let first = app
        .get(&format!("/api/papers/{PAPER}/comments?limit=1"))
        .await;
    assert_eq!(first.json().as_array().unwrap().len(), 1);
    let first_id = first.json()[0]["id"].as_u64().unwrap();
    let next = format!("/api/papers/{PAPER}/comments?after={first_id}&limit=1");
    assert_eq!(first.header("link"), format!("<{next}>; rel=\"next\""));
    let second = app.get(&next).await.json();
    assert_eq!(second[0]["parentId"], first_id);
    for bad in ["limit=0", "limit=1001", "after=x"] {
        let r = app
            .get(&format!("/api/papers/{PAPER}/comments?{bad}"))
            .await;
        assert_eq!(r.status, 400, "{bad}");
        let name = bad.split('=').next().unwrap();
        assert!(r.json()["error"].as_str().unwrap().contains(name), "{bad}");
    }
    let imported = fixture_json("2025-12-01")[0]["numComments"]
        .as_u64()
        .unwrap();
    let flat = app.get(&format!("/api/papers/{PAPER}")).await.json();
    assert_eq!(flat["numComments"], imported + 2, "imported plus members'");
    let page = app.get(&format!("/papers/{PAPER}")).await;
    assert!(
        page.body.contains("Discussion · 2 comments"),
        "the count on the page"
    );
    assert!(!page.body.contains("<script>alert(1)"));
    // Every HTML page carries the security headers.
    let csp = page.header("content-security-policy");
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"));
    assert_eq!(page.header("x-content-type-options"), "nosniff");
    assert!(!page.header("referrer-policy").is_empty());

    let out = act(&app, &ada, "POST", "/api/auth/logout", json!({})).await;
    assert_eq!(out.status, 200);
    let me = app
        .get_with("/api/auth/me", &[("cookie", &ada.cookie)])
        .await;
    assert_eq!(me.status, 401, "the old cookie is refused after logout");
    let vote = act(
        &app,
        &ada,
        "DELETE",
        &format!("/api/papers/{PAPER}/upvote"),
        json!({}),
    )
    .await;
    assert_eq!(vote.status, 401);
}

/// The state-changing routes of the OpenAPI document, with a sample body.
fn state_changing_routes(doc: &Value) -> Vec<(String, String, bool)> {
    let mut out = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "patch", "delete"] {
            if item.get(method).is_some() {
                out.push((
                    method.to_uppercase(),
                    path.clone(),
                    item.get("get").is_some(),
                ));
            }
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_state_changing_route_refuses_a_request_without_the_csrf_token() {
    let app = app().await;
    let doc = app.get("/api/openapi.json").await.json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let routes = state_changing_routes(&doc);
    assert!(routes.len() >= 15, "{routes:?}");
    let ada = signup(&app, "ada").await;
    let comment = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/comments"),
        json!({"body": "mine"}),
    )
    .await
    .json();
    let comment_id = comment["id"].as_u64().unwrap().to_string();
    let count_before = app.get(&format!("/api/papers/{PAPER}")).await.json()["upvotes"].clone();
    for (method, path, readable) in &routes {
        let uri = path
            .replace(
                "{id}",
                if path.starts_with("/api/papers") || path.contains("/papers/{id}") {
                    PAPER
                } else {
                    &comment_id
                },
            )
            .replace("{name}", "Tongyi-MAI")
            .replace("{username}", "ada");
        let body =
            json!({"body": "changed", "name": "t", "login": "ada", "password": "x"}).to_string();
        let json = ("content-type", "application/json");
        let cookie = ("cookie", ada.cookie.as_str());
        let none = app.send(method, &uri, &[cookie, json], &body).await;
        assert_eq!(
            none.status, 403,
            "{method} {uri} without a token: {}",
            none.body
        );
        assert!(
            none.json()["error"].as_str().unwrap().contains("CSRF"),
            "{}",
            none.body
        );
        let wrong = app
            .send(
                method,
                &uri,
                &[cookie, json, ("x-csrf-token", "not-the-token")],
                &body,
            )
            .await;
        assert_eq!(wrong.status, 403, "{method} {uri} with a wrong token");
        let form = app
            .send(
                method,
                &uri,
                &[
                    cookie,
                    ("content-type", "application/x-www-form-urlencoded"),
                ],
                "csrf_token=nope&body=x",
            )
            .await;
        assert_eq!(
            form.status, 403,
            "{method} {uri} as a form with a wrong token"
        );
        let get = app.send("GET", &uri, &[cookie], "").await;
        if !readable {
            assert_ne!(
                get.status, 200,
                "{uri} by GET changes nothing: {}",
                get.body
            );
        }
        let cross = app
            .send(
                method,
                &uri,
                &[
                    cookie,
                    json,
                    ("x-csrf-token", &ada.csrf),
                    ("sec-fetch-site", "cross-site"),
                ],
                &body,
            )
            .await;
        assert_eq!(cross.status, 403, "{method} {uri} cross-site");
        // A browser that sends no Sec-Fetch-Site still names the page's
        // origin.
        let foreign = app
            .send(
                method,
                &uri,
                &[
                    cookie,
                    json,
                    ("x-csrf-token", &ada.csrf),
                    ("origin", "https://evil.example"),
                ],
                &body,
            )
            .await;
        assert_eq!(foreign.status, 403, "{method} {uri} from another origin");
    }
    // Nothing changed: the vote count, the comment, the session.
    assert_eq!(
        app.get(&format!("/api/papers/{PAPER}")).await.json()["upvotes"],
        count_before
    );
    let list = app
        .get(&format!("/api/papers/{PAPER}/comments"))
        .await
        .json();
    assert_eq!(list[0]["body"], "mine");
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &ada.cookie)])
            .await
            .status,
        200
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_cannot_touch_what_is_anothers() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;
    let c = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/comments"),
        json!({"body": "ada's"}),
    )
    .await
    .json();
    let id = c["id"].as_u64().unwrap();
    let edit = act(
        &app,
        &bob,
        "PATCH",
        &format!("/api/comments/{id}"),
        json!({"body": "bob was here"}),
    )
    .await;
    assert_eq!(edit.status, 403);
    let del = act(
        &app,
        &bob,
        "DELETE",
        &format!("/api/comments/{id}"),
        json!({}),
    )
    .await;
    assert_eq!(del.status, 403);
    let hide = act(
        &app,
        &bob,
        "POST",
        &format!("/api/comments/{id}/hide"),
        json!({}),
    )
    .await;
    assert_eq!(hide.status, 403, "only admins hide");
    let token = act(
        &app,
        &ada,
        "POST",
        "/api/auth/tokens",
        json!({"name": "laptop"}),
    )
    .await
    .json();
    let token_id = token["id"].as_u64().unwrap();
    let revoke = act(
        &app,
        &bob,
        "DELETE",
        &format!("/api/auth/tokens/{token_id}"),
        json!({}),
    )
    .await;
    assert_eq!(revoke.status, 404);
    let listed = app
        .get_with("/api/auth/tokens", &[("cookie", &bob.cookie)])
        .await
        .json();
    assert_eq!(listed, json!([]), "bob sees none of ada's tokens");
    let list = app
        .get(&format!("/api/papers/{PAPER}/comments"))
        .await
        .json();
    assert_eq!(list[0]["body"], "ada's");
    // Ada's token works as a Bearer, without CSRF; revoked, it is refused.
    let secret = token["token"].as_str().unwrap();
    let auth = format!("Bearer {secret}");
    let bearer = [
        ("authorization", auth.as_str()),
        ("content-type", "application/json"),
    ];
    let r = app
        .send("POST", &format!("/api/papers/{PAPER}/upvote"), &bearer, "")
        .await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        app.get_with("/api/auth/me", &bearer).await.json()["member"]["username"],
        "ada"
    );
    let who = app.get_with("/api/whoami-v2", &bearer).await;
    assert_eq!(who.status, 200);
    assert_eq!(
        who.json()["name"],
        "ada",
        "what huggingface_hub's whoami() reads"
    );
    assert_eq!(who.json()["type"], "user");
    assert_eq!(app.get("/api/whoami-v2").await.status, 401);
    let own = act(
        &app,
        &ada,
        "DELETE",
        &format!("/api/auth/tokens/{token_id}"),
        json!({}),
    )
    .await;
    assert_eq!(own.status, 200);
    assert_eq!(app.get_with("/api/auth/me", &bearer).await.status, 401);
    let _ = bob.id;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sessions_end_at_a_password_change_and_a_ban() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    // A second session of ada's, from another device.
    let second = login(&app, "ada@example.org", "ada has a long passphrase").await;
    assert_eq!(second.status, 200, "{}", second.body);
    let other = cookie_of(&second);
    assert_ne!(other, ada.cookie, "every login makes a new session");
    let change = act(&app, &ada, "POST", "/api/auth/password", json!({"currentPassword": "ada has a long passphrase", "newPassword": "an entirely new passphrase"})).await;
    assert_eq!(change.status, 200, "{}", change.body);
    let fresh = cookie_of(&change);
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &ada.cookie)])
            .await
            .status,
        401
    );
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &other)])
            .await
            .status,
        401
    );
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &fresh)])
            .await
            .status,
        200
    );
    let old_password = login(&app, "ada", "ada has a long passphrase").await;
    assert_eq!(old_password.status, 401);
    // A ban ends the session at once.
    app.store
        .community()
        .set_banned(ada.id, true, chrono::Utc::now())
        .await
        .unwrap();
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &fresh)])
            .await
            .status,
        401
    );
    let banned = login(&app, "ada", "an entirely new passphrase").await;
    assert_eq!(banned.status, 403);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn failed_logins_throttle_the_account_and_bad_input_is_named() {
    let app = app().await;
    signup(&app, "ada").await;
    let json_ct = [("content-type", "application/json")];
    for _ in 0..5 {
        let r = login(&app, "ada", "wrong password").await;
        assert_eq!(r.status, 401);
    }
    let r = login(&app, "ada", "ada has a long passphrase").await;
    assert_eq!(
        r.status, 429,
        "throttled even with the right password: {}",
        r.body
    );
    let wait: u64 = r.header("retry-after").parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    // Bad sign-ups say which field and why, and create nothing.
    for (body, field) in [
        (
            json!({"username": "a", "email": "x@example.org", "password": "long enough passphrase"}),
            "username",
        ),
        (
            json!({"username": "ok", "email": "not-an-address", "password": "long enough passphrase"}),
            "email",
        ),
        (
            json!({"username": "ok", "email": "ok@example.org", "password": "short"}),
            "password",
        ),
        (
            json!({"username": "ok", "email": "ok@example.org", "password": "password123"}),
            "password",
        ),
        (
            json!({"username": "ADA", "email": "new@example.org", "password": "long enough passphrase"}),
            "username",
        ),
    ] {
        let r = app
            .send("POST", "/api/auth/signup", &json_ct, &body.to_string())
            .await;
        assert!(r.status == 400 || r.status == 409, "{body}: {}", r.status);
        assert!(
            r.json()["error"].as_str().unwrap().contains(field),
            "{body}: {}",
            r.body
        );
        assert!(r.header("set-cookie").is_empty());
    }
    let bad = app
        .send("POST", "/api/auth/signup", &json_ct, "{not json")
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("JSON"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_work_without_javascript() {
    let app = app().await;
    let form = [("content-type", "application/x-www-form-urlencoded")];
    let r = app
        .send("POST", "/api/auth/signup", &form, "username=ada&email=ada%40example.org&password=ada+has+a+long+passphrase&return_to=%2Fpapers%2F2511.22699")
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/papers/2511.22699");
    let cookie = cookie_of(&r);
    let page = app
        .get_with("/papers/2511.22699", &[("cookie", &cookie)])
        .await;
    let csrf = page
        .body
        .split("name=\"csrf_token\" value=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let h = [
        ("cookie", cookie.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ];
    let vote = app
        .send(
            "POST",
            "/api/papers/2511.22699/upvote",
            &h,
            &format!("csrf_token={csrf}&return_to=%2F"),
        )
        .await;
    assert_eq!(vote.status, 303);
    assert_eq!(vote.header("location"), "/");
    let comment = app
        .send(
            "POST",
            "/api/papers/2511.22699/comments",
            &h,
            &format!("csrf_token={csrf}&body=Hello+*world*"),
        )
        .await;
    assert_eq!(comment.status, 303);
    // Back to the page made anew, at the comment.
    let id = comment
        .header("location")
        .rsplit('-')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(
        comment.header("location"),
        format!("/papers/2511.22699?comment={id}#comment-{id}")
    );
    let page = app
        .get_with("/papers/2511.22699", &[("cookie", &cookie)])
        .await;
    assert!(page.body.contains("Hello <em>world</em>"));
    assert!(page.body.contains(r#"aria-pressed="true""#));
    let evil = app
        .send(
            "POST",
            "/api/auth/logout",
            &h,
            &format!("csrf_token={csrf}&return_to=https%3A%2F%2Fevil.example"),
        )
        .await;
    assert_eq!(
        evil.header("location"),
        "/",
        "return_to never leaves the site"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_forgotten_password_is_reset_by_the_mailed_link_once() {
    use dailypapers_web::auth::Accounts;
    use dailypapers_web::{AppState, WebConfig, router};
    use std::sync::Arc;
    let mut app = app().await;
    let config = WebConfig {
        accounts: Accounts {
            mail_from: "Daily Papers <noreply@example.org>".into(),
            link_base: "https://papers.example.org".into(),
            ..Accounts::default()
        },
        ..WebConfig::default()
    };
    app.router = router(AppState {
        store: app.store.clone(),
        search: app.search.clone(),
        config: Arc::new(config),
        ops: Default::default(),
    });
    let ada = signup(&app, "ada").await;
    // The Host of the request asking for the link is the asker's choice:
    // the link must not follow it.
    let json_ct = [
        ("content-type", "application/json"),
        ("host", "evil.example"),
    ];
    let asked = app
        .send(
            "POST",
            "/api/auth/reset",
            &json_ct,
            &json!({"email": "ADA@example.org"}).to_string(),
        )
        .await;
    assert_eq!(asked.status, 202, "{}", asked.body);
    let unknown = app
        .send(
            "POST",
            "/api/auth/reset",
            &json_ct,
            &json!({"email": "nobody@example.org"}).to_string(),
        )
        .await;
    assert_eq!(
        unknown.status, 202,
        "the same answer for an unknown address"
    );
    assert_eq!(unknown.body, asked.body);
    // The mail is queued in the outbox, whence a sender delivers it; the
    // operator sees it waiting.
    let status = app.get("/api/status").await.json();
    assert_eq!(status["mail"]["pending"], 1, "{status}");
    let metrics = app.get("/metrics").await.body;
    assert!(
        metrics.contains("dailypapers_mail_outbox_messages{state=\"pending\"} 1"),
        "{metrics}"
    );
    let mails = queued_mails(&app).await;
    assert_eq!(mails.len(), 1, "one mail, to ada only");
    let text = mails[0].1.clone();
    assert!(text.contains("To: ada@example.org"), "{text}");
    let link = text
        .split_whitespace()
        .find(|w| w.starts_with("https://papers.example.org/reset?token="))
        .unwrap_or_else(|| panic!("{text}"));
    let token = link.split("token=").nth(1).unwrap();
    let page = app.get(&format!("/reset?token={token}")).await;
    assert!(
        page.body.contains(token),
        "the page's form carries the token; nothing changes on GET"
    );
    let done = app
        .send(
            "POST",
            "/api/auth/reset/complete",
            &json_ct,
            &json!({"token": token, "newPassword": "a fresh long passphrase"}).to_string(),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &ada.cookie)])
            .await
            .status,
        401,
        "old sessions end"
    );
    let again = app
        .send(
            "POST",
            "/api/auth/reset/complete",
            &json_ct,
            &json!({"token": token, "newPassword": "another long passphrase"}).to_string(),
        )
        .await;
    assert_eq!(again.status, 400, "a link works once");
    let again_in = login(&app, "ada", "a fresh long passphrase").await;
    assert_eq!(again_in.status, 200);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guesses_sent_at_once_are_throttled_at_once() {
    use tower::ServiceExt;
    let app = app().await;
    signup(&app, "ada").await;
    let body = json!({"login": "ada", "password": "a wrong guess"}).to_string();
    let mut guesses = tokio::task::JoinSet::new();
    for _ in 0..20 {
        let (router, body) = (app.router.clone(), body.clone());
        guesses.spawn(async move {
            let req = axum::http::Request::post("/api/auth/login")
                .header("content-type", "application/json")
                .body(axum::body::Body::from(body))
                .unwrap();
            router.oneshot(req).await.unwrap().status().as_u16()
        });
    }
    let statuses = guesses.join_all().await;
    let checked = statuses.iter().filter(|s| **s == 401).count();
    let refused = statuses.iter().filter(|s| **s == 429).count();
    assert_eq!(checked + refused, 20, "{statuses:?}");
    assert!(
        checked <= 5,
        "{checked} guesses were checked; the limit is 5"
    );
    // A cookie whose session is gone is cleared by logging out.
    let dead = [
        ("cookie", "dp_session=gone"),
        ("content-type", "application/json"),
    ];
    let out = app.send("POST", "/api/auth/logout", &dead, "").await;
    assert_eq!(out.status, 200);
    assert!(out.header("set-cookie").contains("Max-Age=0"));
}

/// A page elsewhere cannot log a visitor into an account of its choosing,
/// nor out of theirs: the login and logout forms carry no session to check
/// a token against, so the origin a browser names is checked instead.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_posted_from_another_site_log_nobody_in_or_out() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let form = "login=ada&password=ada+has+a+long+passphrase";
    let urlencoded = ("content-type", "application/x-www-form-urlencoded");
    let forged = app
        .send(
            "POST",
            "/api/auth/login",
            &[urlencoded, ("origin", "https://evil.example")],
            form,
        )
        .await;
    assert_eq!(forged.status, 403, "{}", forged.body);
    assert!(
        forged.header("set-cookie").is_empty(),
        "no session was made"
    );
    let out = app
        .send(
            "POST",
            "/api/auth/logout",
            &[
                ("cookie", &ada.cookie),
                urlencoded,
                ("origin", "http://evil.example"),
            ],
            "",
        )
        .await;
    assert_eq!(out.status, 403);
    let me = app
        .get_with("/api/auth/me", &[("cookie", &ada.cookie)])
        .await;
    assert_eq!(me.status, 200, "still logged in");
    // From the site itself (its host, any scheme a proxy may have ended),
    // and from clients that name no origin, logging in works.
    for origin in [Some("http://localhost"), Some("https://LOCALHOST"), None] {
        let mut headers = vec![urlencoded, ("host", "localhost")];
        headers.extend(origin.map(|o| ("origin", o)));
        let r = app.send("POST", "/api/auth/login", &headers, form).await;
        assert_eq!(r.status, 303, "{origin:?}: {}", r.body);
        assert!(r.header("set-cookie").contains("dp_session="), "{origin:?}");
    }
}

/// A paper's page is rendered once for every member and kept for the
/// cache's period; each member still sees their own controls on it (their
/// vote, what they may do with each comment), a visitor sees none, and a
/// change made here is on the page at once for everyone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_shared_paper_page_gives_each_member_their_own_controls() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;
    let root = signup(&app, "root").await;
    assert!(
        app.store
            .community()
            .set_role("root", dailypapers_domain::Role::Admin)
            .await
            .unwrap()
    );
    let page = format!("/papers/{PAPER}");
    // Every member's copy comes from the shared one made here.
    for c in [&ada, &bob, &root] {
        assert_eq!(c.get(&app, &page).await.status, 200);
    }
    let anon_before = app.get(&page).await;
    assert!(anon_before.body.contains("to join the discussion"));

    let posted = act(
        &app,
        &ada,
        "POST",
        &format!("/api/papers/{PAPER}/comments"),
        json!({"body": "Ada's *note*"}),
    )
    .await
    .json();
    let id = posted["id"].as_u64().unwrap();
    let edit = format!(r#"href="/comments/{id}/edit""#);
    let delete = format!(r#"action="/api/comments/{id}/delete""#);
    let hide = format!(r#"action="/api/comments/{id}/hide""#);
    let comment_form = format!(r#"action="/api/papers/{PAPER}/comments""#);

    let seen_by = |c: &Client| {
        let c = c.cookie.clone();
        let page = page.clone();
        let app = &app;
        async move { app.get_with(&page, &[("cookie", &c)]).await.body }
    };
    let as_ada = seen_by(&ada).await;
    assert!(as_ada.contains("Ada&#39;s <em>note</em>") || as_ada.contains("Ada's <em>note</em>"));
    assert!(as_ada.contains(&edit) && as_ada.contains(&delete) && !as_ada.contains(&hide));
    assert!(as_ada.contains(&comment_form) && as_ada.contains(&ada.csrf));
    let as_bob = seen_by(&bob).await;
    assert!(
        as_bob.contains("<em>note</em>"),
        "the comment is there for others at once"
    );
    assert!(!as_bob.contains(&edit) && !as_bob.contains(&delete) && !as_bob.contains(&hide));
    assert!(as_bob.contains(&bob.csrf) && !as_bob.contains(&ada.csrf));
    let as_root = seen_by(&root).await;
    assert!(!as_root.contains(&edit) && as_root.contains(&delete) && as_root.contains(&hide));
    let anon = app.get(&page).await.body;
    assert!(anon.contains("<em>note</em>"));
    assert!(
        !anon.contains(&delete) && !anon.contains(&comment_form) && !anon.contains("csrf_token")
    );

    // Bob's vote is marked on his copy only, and its count is everyone's.
    let before = app.get(&format!("/api/papers/{PAPER}")).await.json()["upvotes"]
        .as_u64()
        .unwrap();
    act(
        &app,
        &bob,
        "POST",
        &format!("/api/papers/{PAPER}/upvote"),
        json!({}),
    )
    .await;
    let pressed = |body: &str| {
        body.contains(&format!(
            r#"aria-label="Remove your upvote ({})""#,
            before + 1
        ))
    };
    assert!(pressed(&seen_by(&bob).await));
    assert!(!pressed(&seen_by(&ada).await));
    assert!(
        app.get(&page)
            .await
            .body
            .contains(&format!(r#"<span class="count">{}</span>"#, before + 1))
    );

    // The edit form is a page of its own, for the author only.
    let form = ada.get(&app, &format!("/comments/{id}/edit")).await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Ada&#39;s *note*") || form.body.contains("Ada's *note*"));
    assert_eq!(
        bob.get(&app, &format!("/comments/{id}/edit")).await.status,
        403
    );
    assert_eq!(app.get(&format!("/comments/{id}/edit")).await.status, 401);
    assert_eq!(ada.get(&app, "/comments/999999/edit").await.status, 404);
}

//! Moderation through the router, on the backend the tests run against:
//! only admins reach `/admin` and the admin API, bans end a member's
//! sessions and tokens at once, admins cannot ban themselves or other
//! admins, and hidden comments are listed and unhidden.

mod common;

use common::*;
use dailypapers_domain::Role;
use serde_json::{Value, json};

const PAPER: &str = "2511.22699";

async fn promote(app: &TestApp, name: &str) {
    assert!(
        app.store
            .community()
            .set_role(name, Role::Admin)
            .await
            .unwrap()
    );
}

async fn banned(app: &TestApp, name: &str) -> bool {
    app.store
        .community()
        .member_by_username(name)
        .await
        .unwrap()
        .unwrap()
        .banned
}

fn form(c: &Client) -> [(&str, &str); 2] {
    [
        ("cookie", c.cookie.as_str()),
        ("content-type", "application/x-www-form-urlencoded"),
    ]
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_admins_moderate_and_a_ban_ends_everything_at_once() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let bob = signup(&app, "bob").await;
    let carol = signup(&app, "carol").await;
    promote(&app, "ada").await;

    // Nobody, and a member who is not an admin, are refused; nothing changes.
    assert_eq!(app.get("/admin").await.status, 401);
    assert_eq!(app.get("/api/admin/members").await.status, 401);
    let page = app.get_with("/admin", &[("cookie", &bob.cookie)]).await;
    assert_eq!(page.status, 403);
    assert!(page.body.contains("admins only"), "{}", page.body);
    assert!(!page.body.contains("@carol"));
    for uri in ["/api/admin/members", "/api/admin/comments/hidden"] {
        let r = app.get_with(uri, &[("cookie", &bob.cookie)]).await;
        assert_eq!(r.status, 403, "{uri}");
    }
    let r = act(
        &app,
        &bob,
        "POST",
        "/api/admin/members/carol/ban",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 403, "{}", r.body);
    let r = app
        .send(
            "POST",
            "/api/admin/members/carol/ban",
            &form(&bob),
            &format!("csrf_token={}&return_to=%2Fadmin", bob.csrf),
        )
        .await;
    assert_eq!(r.status, 403);
    assert!(!banned(&app, "carol").await);
    let me = app
        .get_with("/api/auth/me", &[("cookie", &carol.cookie)])
        .await;
    assert_eq!(me.status, 200);
    // The header links the admin page for admins only.
    let front = app
        .get_with("/?date=2025-12-01", &[("cookie", &bob.cookie)])
        .await;
    assert!(!front.body.contains(r#"href="/admin""#));
    let front = app
        .get_with("/?date=2025-12-01", &[("cookie", &ada.cookie)])
        .await;
    assert!(front.body.contains(r#"<a href="/admin">Admin</a>"#));

    // The admin's page: members with ban buttons (none for admins), links.
    let page = app.get_with("/admin", &[("cookie", &ada.cookie)]).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert_eq!(page.header("cache-control"), "no-store");
    for text in [
        "@ada",
        "@bob",
        "@carol",
        "href=\"/admin/status\"",
        "href=\"/admin/claims\"",
    ] {
        assert!(page.body.contains(text), "{text}");
    }
    assert!(page.body.contains(r#"action="/api/admin/members/bob/ban""#));
    assert!(!page.body.contains(r#"action="/api/admin/members/ada/ban""#));
    assert!(page.body.contains(&format!(r#"value="{}""#, ada.csrf)));
    let found = app
        .get_with("/admin?q=CAR", &[("cookie", &ada.cookie)])
        .await;
    assert!(found.body.contains("@carol") && !found.body.contains("@bob"));
    let json_found = app
        .get_with("/api/admin/members?q=bo", &[("cookie", &ada.cookie)])
        .await
        .json();
    assert_eq!(json_found.as_array().unwrap().len(), 1);
    assert_eq!(json_found[0]["username"], "bob");
    assert_eq!(json_found[0]["banned"], false);
    let bad = app
        .get_with("/api/admin/members?limit=0", &[("cookie", &ada.cookie)])
        .await;
    assert_eq!(bad.status, 400);
    assert!(bad.json()["error"].as_str().unwrap().contains("limit"));

    // Not oneself, not another admin (demote first); nothing changes.
    let r = act(&app, &ada, "POST", "/api/admin/members/ada/ban", json!({})).await;
    assert_eq!(r.status, 403);
    assert!(r.json()["error"].as_str().unwrap().contains("yourself"));
    promote(&app, "carol").await;
    let r = act(
        &app,
        &ada,
        "POST",
        "/api/admin/members/carol/ban",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 403);
    assert!(
        r.json()["error"].as_str().unwrap().contains("demote"),
        "{}",
        r.body
    );
    assert!(!banned(&app, "carol").await);
    let r = act(
        &app,
        &ada,
        "POST",
        "/api/admin/members/nobody/ban",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 404);
    let r = act(
        &app,
        &ada,
        "POST",
        "/api/admin/members/bob/shout",
        json!({}),
    )
    .await;
    assert_eq!(r.status, 404);

    // Bob, with a session and an API token, is banned: both end at once.
    let token = act(
        &app,
        &bob,
        "POST",
        "/api/auth/tokens",
        json!({"name": "cli"}),
    )
    .await
    .json();
    let bearer = format!("Bearer {}", token["token"].as_str().unwrap());
    assert_eq!(
        app.get_with("/api/auth/me", &[("authorization", &bearer)])
            .await
            .status,
        200
    );
    let r = act(&app, &ada, "POST", "/api/admin/members/bob/ban", json!({})).await;
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(r.json()["banned"], true);
    assert_eq!(r.json()["username"], "bob");
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &bob.cookie)])
            .await
            .status,
        401
    );
    assert_eq!(
        app.get_with("/api/auth/me", &[("authorization", &bearer)])
            .await
            .status,
        401
    );
    let vote = act(
        &app,
        &bob,
        "POST",
        &format!("/api/papers/{PAPER}/upvote"),
        json!({}),
    )
    .await;
    assert_eq!(vote.status, 401);
    assert_eq!(
        login(&app, "bob", "bob has a long passphrase").await.status,
        403
    );

    // Unbanned from the page's form: back to the page, and bob logs in
    // again (the old session stays ended).
    let r = app
        .send(
            "POST",
            "/api/admin/members/bob/unban",
            &form(&ada),
            &format!("csrf_token={}&return_to=%2Fadmin%3Fq%3Dbob", ada.csrf),
        )
        .await;
    assert_eq!(r.status, 303, "{}", r.body);
    assert_eq!(r.header("location"), "/admin?q=bob");
    assert!(!banned(&app, "bob").await);
    assert_eq!(
        login(&app, "bob", "bob has a long passphrase").await.status,
        200
    );
    assert_eq!(
        app.get_with("/api/auth/me", &[("cookie", &bob.cookie)])
            .await
            .status,
        401
    );
    let page = app
        .get_with("/admin?q=bob", &[("cookie", &ada.cookie)])
        .await;
    assert!(page.body.contains(r#"action="/api/admin/members/bob/ban""#));

    // The routes are in the OpenAPI document (so the CSRF test covers them).
    let doc: Value = app.get("/api/openapi.json").await.json();
    for (path, method) in [
        ("/api/admin/members/{username}/ban", "post"),
        ("/api/admin/members/{username}/unban", "post"),
        ("/api/admin/members", "get"),
        ("/api/admin/comments/hidden", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn admins_see_hidden_comments_and_unhide_them() {
    let app = app().await;
    let ada = signup(&app, "ada").await;
    let carol = signup(&app, "carol").await;
    promote(&app, "ada").await;
    let c = act(
        &app,
        &carol,
        "POST",
        &format!("/api/papers/{PAPER}/comments"),
        json!({"body": "<b>LOUD</b> **spam** here"}),
    )
    .await
    .json();
    let id = c["id"].as_u64().unwrap();
    let page = app.get_with("/admin", &[("cookie", &ada.cookie)]).await;
    assert!(page.body.contains("No comment is hidden."));
    let r = act(
        &app,
        &ada,
        "POST",
        &format!("/api/comments/{id}/hide"),
        json!({}),
    )
    .await;
    assert_eq!(r.status, 200);
    let shown = |body: String| body.contains("<strong>spam</strong> here");
    assert!(!shown(app.get(&format!("/papers/{PAPER}")).await.body));

    let page = app.get_with("/admin", &[("cookie", &ada.cookie)]).await;
    assert!(
        page.body.contains(&escaped("<b>LOUD</b> **spam** here")),
        "the text as written, escaped"
    );
    assert!(!page.body.contains("<b>LOUD"));
    assert!(
        page.body
            .contains(&format!(r#"action="/api/comments/{id}/unhide""#))
    );
    let listed = app
        .get_with("/api/admin/comments/hidden", &[("cookie", &ada.cookie)])
        .await
        .json();
    assert_eq!(listed[0]["id"], id);
    assert_eq!(listed[0]["body"], "<b>LOUD</b> **spam** here");
    assert_eq!(listed[0]["hidden"], true);

    let r = app
        .send(
            "POST",
            &format!("/api/comments/{id}/unhide"),
            &form(&ada),
            &format!("csrf_token={}&return_to=%2Fadmin%23hidden", ada.csrf),
        )
        .await;
    assert_eq!(r.status, 303);
    assert_eq!(r.header("location"), "/admin#hidden");
    let page = app.get_with("/admin", &[("cookie", &ada.cookie)]).await;
    assert!(page.body.contains("No comment is hidden."));
    assert!(shown(app.get(&format!("/papers/{PAPER}")).await.body));
}

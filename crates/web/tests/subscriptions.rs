//! Subscribing to the digests through the router, on the backend under
//! test: the banner on every page, double opt-in (nothing for an
//! unconfirmed address, a link that works once), the same address twice
//! making one subscription and no second mail, bad input named by its
//! field, the per-address limit that keeps the form from flooding someone,
//! and the one-click unsubscribe of RFC 8058.

mod common;

use common::*;
use serde_json::json;

const JSON: [(&str, &str); 1] = [("content-type", "application/json")];

/// The confirmation links queued so far (each read once).
async fn mailed_links(app: &TestApp) -> Vec<(String, String)> {
    queued_mails(app)
        .await
        .into_iter()
        .map(|(to, text)| {
            let link = text
                .split_whitespace()
                .find(|w| w.contains("/subscriptions/confirm?token="))
                .unwrap_or_else(|| panic!("{text}"))
                .to_string();
            (to, link)
        })
        .collect()
}

async fn subscribers(app: &TestApp, frequency: &str) -> Vec<String> {
    app.store
        .subscribers(frequency, 0, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|s| format!("{} [{}]", s.email, s.query))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_page_offers_the_subscription() {
    let app = app().await;
    for page in [
        "/",
        "/papers/2511.22699",
        "/search?q=diffusion",
        "/trending",
    ] {
        let r = app.get(page).await;
        assert!(
            r.body
                .contains(r#"<a href="/subscribe">Get trending papers in your email inbox!"#),
            "{page}"
        );
    }
    let form = app.get("/subscribe?q=token+compression").await;
    assert_eq!(form.status, 200);
    assert!(form.body.contains(r#"action="/api/subscriptions""#));
    assert!(form.body.contains(r#"value="token compression""#));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_subscription_starts_only_when_its_link_is_opened_once() {
    let app = app().await;
    let body = json!({"email": "Ada@example.org", "frequency": "daily"}).to_string();
    let r = app.send("POST", "/api/subscriptions", &JSON, &body).await;
    assert_eq!(r.status, 202, "{}", r.body);
    assert!(
        subscribers(&app, "daily").await.is_empty(),
        "nothing before confirming"
    );
    let links = mailed_links(&app).await;
    assert_eq!(links.len(), 1);
    assert_eq!(links[0].0, "Ada@example.org");
    let token = links[0].1.split("token=").nth(1).unwrap();
    // The page the link opens changes nothing; its button does.
    let page = app
        .get(&format!("/subscriptions/confirm?token={token}"))
        .await;
    assert!(page.body.contains(token));
    assert!(subscribers(&app, "daily").await.is_empty());
    let confirm = json!({ "token": token }).to_string();
    let done = app
        .send("POST", "/api/subscriptions/confirm", &JSON, &confirm)
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(done.json()["frequency"], "daily");
    let again = app
        .send("POST", "/api/subscriptions/confirm", &JSON, &confirm)
        .await;
    assert_eq!(again.status, 400, "a link works once");
    assert!(again.body.contains("token"), "{}", again.body);
    assert_eq!(subscribers(&app, "daily").await, ["Ada@example.org []"]);
    // The same address again (any case) is the same subscription: no mail.
    let same = json!({"email": "ada@EXAMPLE.org", "frequency": "daily"}).to_string();
    let r = app.send("POST", "/api/subscriptions", &JSON, &same).await;
    assert_eq!(r.status, 202);
    assert!(
        mailed_links(&app).await.is_empty(),
        "no mail for an active one"
    );
    assert_eq!(subscribers(&app, "daily").await.len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_requests_name_the_field_and_store_nothing() {
    let app = app().await;
    for (body, field) in [
        (
            json!({"email": "not an address", "frequency": "daily"}),
            "email",
        ),
        (
            json!({"email": "a@example.org", "frequency": "hourly"}),
            "frequency",
        ),
        (
            json!({"email": "a@example.org", "frequency": "weekly", "query": "x".repeat(251)}),
            "query",
        ),
        (
            json!({"email": "a@example.org", "frequency": "weekly", "query": "a\r\nBcc: b@example.org"}),
            "query",
        ),
    ] {
        let r = app
            .send("POST", "/api/subscriptions", &JSON, &body.to_string())
            .await;
        assert_eq!(r.status, 400, "{body}: {}", r.body);
        assert!(
            r.json()["error"].as_str().unwrap().starts_with(field),
            "{}",
            r.body
        );
    }
    assert!(mailed_links(&app).await.is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_form_cannot_flood_an_inbox() {
    let app = app().await;
    let mut statuses = Vec::new();
    for (i, peer) in [
        "10.0.0.1:1",
        "10.0.0.2:1",
        "10.0.0.3:1",
        "10.0.0.4:1",
        "10.0.0.5:1",
    ]
    .iter()
    .enumerate()
    {
        let body = json!({"email": "victim@example.org", "frequency": if i % 2 == 0 { "daily" } else { "weekly" }, "query": format!("q{i}")}).to_string();
        let r = app
            .send_from(
                Some(peer.parse().unwrap()),
                "POST",
                "/api/subscriptions",
                &JSON,
                &body,
            )
            .await;
        if r.status == 429 {
            assert!(!r.header("retry-after").is_empty());
        }
        statuses.push(r.status.as_u16());
    }
    assert_eq!(
        statuses,
        [202, 202, 202, 429, 429],
        "three a day per address, from any client"
    );
    assert_eq!(mailed_links(&app).await.len(), 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_click_unsubscribes_without_a_login() {
    let app = app().await;
    let body = json!({"email": "grace@example.org", "frequency": "weekly", "query": "diffusion"})
        .to_string();
    app.send("POST", "/api/subscriptions", &JSON, &body).await;
    let link = &mailed_links(&app).await[0].1;
    let token = link.split("token=").nth(1).unwrap();
    let confirm = json!({ "token": token }).to_string();
    let done = app
        .send("POST", "/api/subscriptions/confirm", &JSON, &confirm)
        .await;
    assert_eq!(done.status, 200, "{} {link}", done.body);
    let s = app
        .store
        .subscribers("weekly", 0, 10)
        .await
        .unwrap()
        .remove(0);
    // What a mail client posts to the List-Unsubscribe link (RFC 8058).
    let r = app
        .send(
            "POST",
            &format!("/unsubscribe?token={}", s.unsubscribe_token),
            &[("content-type", "application/x-www-form-urlencoded")],
            "List-Unsubscribe=One-Click",
        )
        .await;
    assert!(
        r.status.is_redirection() || r.status.is_success(),
        "{}",
        r.status
    );
    assert!(subscribers(&app, "weekly").await.is_empty());
    // The page the visible link opens only asks.
    let page = app
        .get(&format!("/unsubscribe?token={}", s.unsubscribe_token))
        .await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains(r#"action="/unsubscribe""#));
    let none = app
        .send(
            "POST",
            "/unsubscribe",
            &[("content-type", "application/x-www-form-urlencoded")],
            "",
        )
        .await;
    assert_eq!(none.status, 400);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_sees_their_digests_in_the_settings_and_can_end_one() {
    let app = app().await;
    let ada = accounts::signup(&app, "ada").await;
    let empty = ada.get(&app, "/settings").await;
    assert!(empty.body.contains("No digests yet"), "{}", empty.body);
    for (frequency, query) in [("daily", ""), ("weekly", "token compression")] {
        let body = json!({"email": "ada@example.org", "frequency": frequency, "query": query});
        let r = app
            .send("POST", "/api/subscriptions", &JSON, &body.to_string())
            .await;
        assert_eq!(r.status, 202, "{}", r.body);
    }
    // Confirm the daily one only.
    let links = mailed_links(&app).await;
    let daily = links
        .iter()
        .map(|(_, l)| l.split("token=").nth(1).unwrap().to_string())
        .next()
        .unwrap();
    let confirm = json!({ "token": daily }).to_string();
    let done = app
        .send("POST", "/api/subscriptions/confirm", &JSON, &confirm)
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    let page = ada.get(&app, "/settings").await;
    assert!(page.body.contains("Email digests"), "{}", page.body);
    let confirmed = if done.json()["frequency"] == "daily" {
        (
            "Daily trending papers",
            "Weekly new papers for “token compression”",
        )
    } else {
        (
            "Weekly new papers for “token compression”",
            "Daily trending papers",
        )
    };
    let row = |what: &str| {
        let at = page
            .body
            .find(what)
            .unwrap_or_else(|| panic!("{what} listed"));
        page.body[at..].split("</li>").next().unwrap().to_string()
    };
    let active = row(confirmed.0);
    assert!(
        active.contains("active") && active.contains("Unsubscribe"),
        "{active}"
    );
    let waiting = row(confirmed.1);
    assert!(
        waiting.contains("waiting for the confirmation link") && !waiting.contains("Unsubscribe")
    );
    // Its button: the one-click link, from the page.
    let action = active
        .split("action=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let r = ada.form(&app, &action, &[]).await;
    assert_eq!(r.status, 303, "{}", r.body);
    let after = ada.get(&app, "/settings").await;
    let at = after.body.find(confirmed.0).unwrap();
    assert!(
        after.body[at..]
            .split("</li>")
            .next()
            .unwrap()
            .contains("ended")
    );
    assert!(
        subscribers(&app, "daily").await.is_empty() && subscribers(&app, "weekly").await.is_empty()
    );
}

//! Collections through the router, on the backend the tests run against:
//! the Hugging Face-shaped API and the pages a member uses, another member
//! replaying the owner's requests on a private collection, bad input named
//! by its field, and the forms without JavaScript.

mod common;

use chrono::{TimeDelta, Utc};
use common::*;
use dailypapers_domain::{Email, Role, Username};
use dailypapers_store::community::{NewMember, NewSession, token_hash};
use serde_json::{Value, json};

const PAPER: &str = "2511.22699";

/// A member signed in twice: a browser session (cookie and CSRF token)
/// and a personal API token.
struct Who {
    name: String,
    id: u64,
    cookie: String,
    csrf: String,
    bearer: String,
}

async fn member(app: &TestApp, name: &str) -> Who {
    let community = app.store.community();
    let now = Utc::now();
    let m = community
        .create_member(&NewMember {
            username: Username::parse(name).unwrap(),
            email: Email::parse(&format!("{name}@example.org")).unwrap(),
            display_name: Some(format!("{name} (display)")),
            password_hash: "x".into(),
            role: Role::Member,
            now,
        })
        .await
        .unwrap();
    let session = format!("session-of-{name}");
    community
        .create_session(&NewSession {
            token_hash: token_hash(&session),
            member_id: m.id,
            csrf_token: format!("csrf-of-{name}"),
            now,
            expires_at: now + TimeDelta::days(1),
        })
        .await
        .unwrap();
    let token = format!("token-of-{name}");
    community
        .create_api_token(m.id, "tests", &token_hash(&token), now)
        .await
        .unwrap();
    Who {
        name: name.to_string(),
        id: m.id,
        cookie: format!("dp_session={session}"),
        csrf: format!("csrf-of-{name}"),
        bearer: format!("Bearer {token}"),
    }
}

impl Who {
    /// A JSON request as a program sends it (Bearer, no CSRF).
    async fn api(&self, app: &TestApp, method: &str, uri: &str, body: Value) -> Reply {
        let body = if body.is_null() {
            String::new()
        } else {
            body.to_string()
        };
        app.send(
            method,
            uri,
            &[
                ("authorization", self.bearer.as_str()),
                ("content-type", "application/json"),
            ],
            &body,
        )
        .await
    }

    /// `POST /api/collections` with `body`, by token.
    async fn create(&self, app: &TestApp, body: Value) -> Reply {
        self.api(app, "POST", "/api/collections", body).await
    }

    /// A JSON request from the browser session (cookie and CSRF token).
    async fn session(&self, app: &TestApp, method: &str, uri: &str, body: Value) -> Reply {
        app.send(
            method,
            uri,
            &[
                ("cookie", self.cookie.as_str()),
                ("x-csrf-token", self.csrf.as_str()),
                ("content-type", "application/json"),
            ],
            &body.to_string(),
        )
        .await
    }

    /// An HTML form's post (urlencoded, CSRF token in a field).
    async fn form(&self, app: &TestApp, uri: &str, fields: &[(&str, &str)]) -> Reply {
        let mut all = vec![("csrf_token", self.csrf.as_str())];
        all.extend_from_slice(fields);
        let body = serde_urlencoded::to_string(&all).unwrap();
        app.send(
            "POST",
            uri,
            &[
                ("cookie", self.cookie.as_str()),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            &body,
        )
        .await
    }

    async fn page(&self, app: &TestApp, uri: &str) -> Reply {
        app.get_with(uri, &[("cookie", self.cookie.as_str())]).await
    }
}

fn other_paper() -> String {
    fixture_json("2025-12-01")[1]["paper"]["id"]
        .as_str()
        .unwrap()
        .to_string()
}

fn title_of(id: &str) -> String {
    let day = fixture_json("2025-12-01");
    let p = day.iter().find(|w| w["paper"]["id"] == id).unwrap();
    p["paper"]["title"]
        .as_str()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

fn slug_of(c: &Value) -> String {
    c["slug"].as_str().unwrap().to_string()
}

fn item_ids(c: &Value) -> Vec<String> {
    c["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["id"].as_str().unwrap().to_string())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_member_keeps_a_collection_through_the_api_and_the_pages() {
    let app = app().await;
    let ada = member(&app, "ada").await;
    let second = other_paper();

    let made = ada
        .session(
            &app,
            "POST",
            "/api/collections",
            json!({"title": "Reading list", "description": "Good ones", "private": false, "namespace": "ada"}),
        )
        .await;
    assert_eq!(made.status, 200, "{}", made.body);
    let c = made.json();
    let slug = slug_of(&c);
    let id = slug.rsplit('-').next().unwrap().to_string();
    assert_eq!(slug, format!("ada/reading-list-{id}"));
    assert!(id.len() == 24 && id.bytes().all(|b| b.is_ascii_hexdigit()));
    assert_eq!(c["title"], "Reading list");
    assert_eq!(c["description"], "Good ones");
    assert_eq!(c["owner"]["name"], "ada");
    assert_eq!(c["owner"]["fullname"], "ada (display)");
    assert_eq!(c["position"], 0);
    assert_eq!(c["private"], false);
    assert_eq!(c["items"], json!([]));
    assert!(c["lastUpdated"].as_str().unwrap().ends_with('Z'));

    // The same title again (any case): 409 with the slug that has it.
    let again = ada.create(&app, json!({"title": "READING LIST"})).await;
    assert_eq!(again.status, 409, "{}", again.body);
    assert_eq!(again.json()["slug"], slug.as_str());
    let elsewhere = ada
        .create(&app, json!({"title": "Theirs", "namespace": "bob"}))
        .await;
    assert_eq!(elsewhere.status, 403);
    assert!(
        elsewhere.json()["error"]
            .as_str()
            .unwrap()
            .contains("namespace")
    );

    // Papers, in the order added, with notes; the answer is the collection.
    let items = format!("/api/collections/{slug}/items");
    let first = ada
        .api(
            &app,
            "POST",
            &items,
            json!({"item": {"id": PAPER, "type": "paper"}, "note": "Read <this> first"}),
        )
        .await;
    assert_eq!(first.status, 200, "{}", first.body);
    let after = first.json();
    assert_eq!(item_ids(&after), [PAPER]);
    let item = &after["items"][0];
    assert_eq!(item["type"], "paper");
    assert_eq!(item["position"], 0);
    assert_eq!(item["note"]["text"], "Read <this> first");
    assert_eq!(item["note"]["html"], "Read &lt;this&gt; first");
    assert_eq!(
        item["title"]
            .as_str()
            .unwrap()
            .split_whitespace()
            .collect::<Vec<_>>()
            .join(" "),
        title_of(PAPER)
    );
    let first_item = item["_id"].as_str().unwrap().to_string();
    assert!(first_item.len() == 24 && first_item.bytes().all(|b| b.is_ascii_hexdigit()));
    let added = ada
        .api(
            &app,
            "POST",
            &items,
            json!({"item": {"id": second, "type": "paper"}}),
        )
        .await;
    assert_eq!(item_ids(&added.json()), [PAPER, second.as_str()]);
    let second_item = added.json()["items"][1]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let twice = ada
        .api(
            &app,
            "POST",
            &items,
            json!({"item": {"id": PAPER, "type": "paper"}}),
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.body);
    let model = ada
        .api(
            &app,
            "POST",
            &items,
            json!({"item": {"id": "gpt2", "type": "model"}}),
        )
        .await;
    assert_eq!(model.status, 400);
    assert!(
        model.json()["error"]
            .as_str()
            .unwrap()
            .contains("item.type"),
        "{}",
        model.body
    );
    let unknown = ada
        .api(
            &app,
            "POST",
            &items,
            json!({"item": {"id": "2501.99999", "type": "paper"}}),
        )
        .await;
    assert_eq!(unknown.status, 404, "{}", unknown.body);

    // Read back by its slug, and by a slug whose title part is stale.
    let got = app.get(&format!("/api/collections/{slug}")).await;
    assert_eq!(got.status, 200);
    assert_eq!(item_ids(&got.json()), [PAPER, second.as_str()]);
    let stale = app
        .get(&format!("/api/collections/ada/old-title-{id}"))
        .await;
    assert_eq!(item_ids(&stale.json()), [PAPER, second.as_str()]);
    assert_eq!(
        app.get(&format!("/api/collections/bob/reading-list-{id}"))
            .await
            .status,
        404
    );

    // Move the second paper first; change a note.
    let moved = ada
        .api(
            &app,
            "PATCH",
            &format!("{items}/{second_item}"),
            json!({"position": 0, "note": "Then this"}),
        )
        .await;
    assert_eq!(moved.status, 200, "{}", moved.body);
    assert_eq!(moved.json()["position"], 0);
    let got = app.get(&format!("/api/collections/{slug}")).await.json();
    assert_eq!(item_ids(&got), [second.as_str(), PAPER]);
    assert_eq!(got["items"][0]["note"]["text"], "Then this");
    assert_eq!(got["items"][1]["position"], 1);

    // Rename: the answer is {"data": …} with the new slug; the old one works.
    let renamed = ada
        .api(
            &app,
            "PATCH",
            &format!("/api/collections/{slug}"),
            json!({"title": "Papers to read", "theme": "green"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    let data = &renamed.json()["data"];
    assert_eq!(data["title"], "Papers to read");
    assert_eq!(data["theme"], "green");
    let new_slug = slug_of(data);
    assert_eq!(new_slug, format!("ada/papers-to-read-{id}"));
    assert_eq!(
        app.get(&format!("/api/collections/{slug}")).await.status,
        200
    );

    // Lists: by owner and by paper, without `position`, items cut to four.
    for extra in ["Two", "Three", "Four"] {
        let r = ada.create(&app, json!({"title": extra})).await;
        assert_eq!(r.status, 200);
    }
    let mut seen = Vec::new();
    let mut next = Some("/api/collections?owner=ada&limit=3".to_string());
    let mut pages = 0;
    while let Some(uri) = next.take() {
        let r = app.get(&uri).await;
        assert_eq!(r.status, 200, "{}", r.body);
        for c in r.json().as_array().unwrap() {
            assert!(
                c.get("position").is_none(),
                "the client numbers lists itself"
            );
            assert!(c["items"].as_array().unwrap().len() <= 4);
            seen.push(c["title"].as_str().unwrap().to_string());
        }
        let link = r.header("link");
        if !link.is_empty() {
            let url = link.trim_start_matches('<').split('>').next().unwrap();
            next = Some(
                url.split_once("://")
                    .unwrap()
                    .1
                    .split_once('/')
                    .map(|(_, p)| format!("/{p}"))
                    .unwrap(),
            );
        }
        pages += 1;
    }
    assert_eq!(pages, 2, "three, then one");
    seen.sort();
    assert_eq!(seen, ["Four", "Papers to read", "Three", "Two"]);
    let holding = app
        .get(&format!("/api/collections?item=papers/{PAPER}"))
        .await
        .json();
    assert_eq!(holding.as_array().unwrap().len(), 1);
    assert_eq!(holding[0]["slug"], new_slug.as_str());
    assert_eq!(
        app.get("/api/collections?item=models/gpt2").await.json(),
        json!([])
    );

    // The collection's page: title, description, owner, the papers in
    // order with their notes; the owner's forms for the owner only.
    let page = app.get(&format!("/collections/{new_slug}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Papers to read") && page.body.contains("Good ones"));
    assert!(page.body.contains("@ada"));
    assert_in_order(
        &page.body,
        &[
            title_of(&second),
            "Then this".into(),
            title_of(PAPER),
            escaped("Read <this> first"),
        ],
    );
    assert!(!page.body.contains("Delete the collection"));
    let own = ada.page(&app, &format!("/collections/{new_slug}")).await;
    assert!(own.body.contains("Delete the collection") && own.body.contains("Make private"));
    let old = app.get(&format!("/collections/{slug}")).await;
    assert_eq!(
        old.status, 308,
        "a stale slug's page moves to the current one"
    );
    assert_eq!(old.header("location"), format!("/collections/{new_slug}"));

    // The member's list, and the paper's page.
    let mine = ada.page(&app, "/collections").await;
    assert_in_order(
        &mine.body,
        &[
            "Papers to read".into(),
            "Two".into(),
            "Three".into(),
            "Four".into(),
        ],
    );
    let anon_mine = app.get("/collections").await;
    assert_eq!(anon_mine.status, 303);
    // The paper's page names the public collections holding it, and
    // leads to the page where a member adds it to theirs.
    let paper_page = ada.page(&app, &format!("/papers/{PAPER}")).await;
    assert!(paper_page.body.contains(&format!(
        r#"<a href="/collections/{new_slug}">Papers to read</a>"#
    )));
    assert!(
        paper_page
            .body
            .contains(&format!(r#"href="/papers/{PAPER}/collections""#))
    );
    let collect = ada
        .page(&app, &format!("/papers/{PAPER}/collections"))
        .await;
    assert!(
        collect.body.contains(&format!(
            r#"✓ In <a href="/collections/{new_slug}">Papers to read</a>"#
        )),
        "the member sees it holds the paper"
    );
    assert!(collect.body.contains("Add to Two"));
    let anon_paper = app.get(&format!("/papers/{PAPER}")).await;
    assert!(anon_paper.body.contains(&format!(
        r#"<a href="/collections/{new_slug}">Papers to read</a>"#
    )));
    assert!(!anon_paper.body.contains("Add to Two"));

    // Removing a paper, then the collection with what it holds.
    let gone = ada
        .api(
            &app,
            "DELETE",
            &format!("{items}/{first_item}"),
            Value::Null,
        )
        .await;
    assert_eq!(gone.status, 200, "{}", gone.body);
    assert_eq!(
        item_ids(
            &app.get(&format!("/api/collections/{new_slug}"))
                .await
                .json()
        ),
        [second.as_str()]
    );
    let again = ada
        .api(
            &app,
            "DELETE",
            &format!("{items}/{first_item}"),
            Value::Null,
        )
        .await;
    assert_eq!(again.status, 404);
    let deleted = ada
        .api(
            &app,
            "DELETE",
            &format!("/api/collections/{new_slug}"),
            Value::Null,
        )
        .await;
    assert_eq!(deleted.status, 200, "{}", deleted.body);
    assert_eq!(
        app.get(&format!("/api/collections/{new_slug}"))
            .await
            .status,
        404
    );
    assert!(app.store.collection_items(&id).await.unwrap().is_empty());
    let left = ada.page(&app, "/collections").await;
    assert!(!left.body.contains("Papers to read"));
    let _ = ada.id;
}

/// Every request of ada's on her private collection, as bob replays it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn another_member_cannot_read_or_change_a_private_collection() {
    let app = app().await;
    let ada = member(&app, "ada").await;
    let bob = member(&app, "bob").await;
    let c = ada
        .create(&app, json!({"title": "Secret plans", "private": true}))
        .await
        .json();
    let slug = slug_of(&c);
    let items = format!("/api/collections/{slug}/items");
    let added = ada
        .api(
            &app,
            "POST",
            &items,
            json!({"item": {"id": PAPER, "type": "paper"}, "note": "mine"}),
        )
        .await
        .json();
    let item = added["items"][0]["_id"].as_str().unwrap().to_string();
    let public = ada.create(&app, json!({"title": "Open list"})).await.json();
    let public_slug = slug_of(&public);
    let before = app
        .get_with(
            &format!("/api/collections/{slug}"),
            &[("authorization", &ada.bearer)],
        )
        .await;
    assert_eq!(before.status, 200);

    let reads = [
        format!("/api/collections/{slug}"),
        format!("/collections/{slug}"),
    ];
    for uri in &reads {
        assert_eq!(app.get(uri).await.status, 404, "anonymous {uri}");
        assert_eq!(bob.page(&app, uri).await.status, 404, "bob's session {uri}");
        let r = app.get_with(uri, &[("authorization", &bob.bearer)]).await;
        assert_eq!(r.status, 404, "bob's token {uri}");
    }
    for uri in [
        "/api/collections?owner=ada".to_string(),
        format!("/api/collections?item=papers/{PAPER}"),
        "/api/collections".to_string(),
    ] {
        let r = app.get_with(&uri, &[("authorization", &bob.bearer)]).await;
        assert!(!r.body.contains("Secret plans"), "{uri}: {}", r.body);
        let mine = app.get_with(&uri, &[("authorization", &ada.bearer)]).await;
        assert!(
            mine.body.contains("Secret plans"),
            "the owner lists it: {uri}"
        );
    }
    let paper_page = bob.page(&app, &format!("/papers/{PAPER}")).await;
    assert!(!paper_page.body.contains("Secret plans"));

    let changes: Vec<(&str, String, Value)> = vec![
        (
            "PATCH",
            format!("/api/collections/{slug}"),
            json!({"title": "bob was here", "private": false}),
        ),
        (
            "POST",
            format!("/api/collections/{slug}"),
            json!({"title": "bob was here"}),
        ),
        (
            "POST",
            format!("/api/collections/{slug}"),
            json!({"action": "delete"}),
        ),
        ("DELETE", format!("/api/collections/{slug}"), json!({})),
        (
            "POST",
            items.clone(),
            json!({"item": {"id": other_paper(), "type": "paper"}}),
        ),
        (
            "PATCH",
            format!("{items}/{item}"),
            json!({"note": "bob's", "position": 0}),
        ),
        (
            "POST",
            format!("{items}/{item}"),
            json!({"action": "delete"}),
        ),
        ("DELETE", format!("{items}/{item}"), json!({})),
    ];
    for (method, uri, body) in &changes {
        let by_token = bob.api(&app, method, uri, body.clone()).await;
        assert_eq!(
            by_token.status, 404,
            "{method} {uri} by bob's token: {}",
            by_token.body
        );
        let by_session = bob.session(&app, method, uri, body.clone()).await;
        assert_eq!(by_session.status, 404, "{method} {uri} by bob's session");
        let anon = app
            .send(
                method,
                uri,
                &[("content-type", "application/json")],
                &body.to_string(),
            )
            .await;
        assert_eq!(anon.status, 401, "{method} {uri} by nobody");
    }
    // Ada's public collection: bob may read it, not change it.
    assert_eq!(
        bob.page(&app, &format!("/collections/{public_slug}"))
            .await
            .status,
        200
    );
    for (method, uri, body) in [
        (
            "PATCH",
            format!("/api/collections/{public_slug}"),
            json!({"title": "bob's now"}),
        ),
        (
            "DELETE",
            format!("/api/collections/{public_slug}"),
            json!({}),
        ),
        (
            "POST",
            format!("/api/collections/{public_slug}/items"),
            json!({"item": {"id": PAPER, "type": "paper"}}),
        ),
    ] {
        let r = bob.api(&app, method, &uri, body).await;
        assert_eq!(r.status, 403, "{method} {uri}: {}", r.body);
    }
    // Nothing changed.
    let after = app
        .get_with(
            &format!("/api/collections/{slug}"),
            &[("authorization", &ada.bearer)],
        )
        .await;
    assert_eq!(after.json(), before.json());
    let public_after = app
        .get(&format!("/api/collections/{public_slug}"))
        .await
        .json();
    assert_eq!(public_after["title"], "Open list");
    assert_eq!(public_after["items"], json!([]));
    let _ = (ada.id, bob.id, &ada.name);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_input_is_refused_by_name_and_nothing_is_written() {
    let app = app().await;
    let ada = member(&app, "ada").await;
    let c = ada.create(&app, json!({"title": "List"})).await.json();
    let slug = slug_of(&c);
    let items = format!("/api/collections/{slug}/items");
    let item = ada
        .api(
            &app,
            "POST",
            &items,
            json!({"item": {"id": PAPER, "type": "paper"}}),
        )
        .await
        .json()["items"][0]["_id"]
        .as_str()
        .unwrap()
        .to_string();
    let long = |n: usize| "é".repeat(n);
    let cases: Vec<(&str, String, Value, &str)> = vec![
        (
            "POST",
            "/api/collections".into(),
            json!({"title": "  "}),
            "title",
        ),
        ("POST", "/api/collections".into(), json!({}), "title"),
        (
            "POST",
            "/api/collections".into(),
            json!({"title": long(151)}),
            "title",
        ),
        (
            "POST",
            "/api/collections".into(),
            json!({"title": "x", "description": long(151)}),
            "description",
        ),
        (
            "POST",
            "/api/collections".into(),
            json!({"title": "x", "theme": "mauve"}),
            "theme",
        ),
        (
            "POST",
            "/api/collections".into(),
            json!({"title": "x", "private": "perhaps"}),
            "private",
        ),
        (
            "POST",
            "/api/collections".into(),
            json!({"title": "x", "resourceGroupId": "66980ecfc1e12a49c8f0e42d"}),
            "resourceGroupId",
        ),
        (
            "POST",
            "/api/collections".into(),
            json!({"title": "x", "paper": "not-an-id"}),
            "paper",
        ),
        (
            "PATCH",
            format!("/api/collections/{slug}"),
            json!({"title": ""}),
            "title",
        ),
        (
            "PATCH",
            format!("/api/collections/{slug}"),
            json!({"position": "first"}),
            "position",
        ),
        (
            "PATCH",
            format!("/api/collections/{slug}"),
            json!({"position": -1}),
            "position",
        ),
        (
            "POST",
            items.clone(),
            json!({"item": {"id": PAPER, "type": "dataset"}}),
            "item.type",
        ),
        (
            "POST",
            items.clone(),
            json!({"item": {"id": "nonsense", "type": "paper"}}),
            "item.id",
        ),
        ("POST", items.clone(), json!({}), "item"),
        (
            "POST",
            items.clone(),
            json!({"item": {"id": other_paper(), "type": "paper"}, "note": long(501)}),
            "note",
        ),
        (
            "PATCH",
            format!("{items}/{item}"),
            json!({"note": long(501)}),
            "note",
        ),
        (
            "PATCH",
            format!("{items}/{item}"),
            json!({"position": "up"}),
            "position",
        ),
    ];
    for (method, uri, body, field) in &cases {
        let r = ada.api(&app, method, uri, body.clone()).await;
        assert_eq!(r.status, 400, "{method} {uri} {body}: {}", r.body);
        let error = r.json()["error"].as_str().unwrap().to_string();
        assert!(error.contains(field), "{method} {uri} {body}: {error}");
    }
    for (query, field) in [
        ("sort=random", "sort"),
        ("limit=0", "limit"),
        ("item=2511.22699", "item"),
        ("item=papers/nonsense", "item"),
        ("owner=a&owner=b", "owner"),
    ] {
        let r = app.get(&format!("/api/collections?{query}")).await;
        assert_eq!(r.status, 400, "{query}");
        assert!(
            r.json()["error"].as_str().unwrap().contains(field),
            "{query}: {}",
            r.body
        );
    }
    // Nothing of that was written.
    let after = app.get(&format!("/api/collections/{slug}")).await.json();
    assert_eq!(after["title"], "List");
    assert_eq!(item_ids(&after), [PAPER]);
    assert!(after["items"][0].get("note").is_none());
    let listed = app.get("/api/collections?owner=ada").await.json();
    assert_eq!(listed.as_array().unwrap().len(), 1);
    let unauthenticated = app
        .send(
            "POST",
            "/api/collections",
            &[("content-type", "application/json")],
            r#"{"title":"x"}"#,
        )
        .await;
    assert_eq!(unauthenticated.status, 401);
    let _ = ada.id;
}

/// The limits of `dailypapers_domain::limits`: papers per collection and
/// collections per member, each refused with a 400 naming it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_limits_are_named() {
    use dailypapers_domain::limits::{COLLECTION_ITEMS, COLLECTIONS_PER_MEMBER};
    use dailypapers_domain::{CollectionTitle, Listing, Paper};
    use dailypapers_store::collections::{NewCollection, NewItem};
    let app = app().await;
    let ada = member(&app, "ada").await;
    let full = ada.create(&app, json!({"title": "Full"})).await.json();
    let id = slug_of(&full).rsplit('-').next().unwrap().to_string();
    let batch: Vec<Listing> = (0..COLLECTION_ITEMS)
        .map(|i| {
            let pid = format!("2604.{:05}", i + 1).parse().unwrap();
            Listing::paper_only(Paper::new(pid, "Filler", "An abstract."))
        })
        .collect();
    let ids: Vec<_> = batch.iter().map(|l| l.paper.id.clone()).collect();
    app.store.import(batch).await.unwrap();
    for p in &ids {
        app.store
            .add_collection_item(&NewItem {
                collection_id: id.clone(),
                paper: p.clone(),
                note: None,
                now: Utc::now(),
                max_items: COLLECTION_ITEMS,
            })
            .await
            .unwrap()
            .unwrap();
    }
    let over = ada
        .api(
            &app,
            "POST",
            &format!("/api/collections/{}/items", slug_of(&full)),
            json!({"item": {"id": PAPER, "type": "paper"}}),
        )
        .await;
    assert_eq!(over.status, 400, "{}", over.body);
    assert!(over.json()["error"].as_str().unwrap().starts_with("items:"));
    let got = app
        .get(&format!("/api/collections/{}", slug_of(&full)))
        .await
        .json();
    assert_eq!(got["items"].as_array().unwrap().len(), COLLECTION_ITEMS);

    for i in 1..COLLECTIONS_PER_MEMBER {
        app.store
            .create_collection(&NewCollection {
                owner_id: ada.id,
                title: CollectionTitle::parse(&format!("List {i}")).unwrap(),
                description: None,
                private: false,
                theme: "blue".into(),
                now: Utc::now(),
                max_per_member: COLLECTIONS_PER_MEMBER,
            })
            .await
            .unwrap()
            .unwrap();
    }
    let too_many = ada.create(&app, json!({"title": "One more"})).await;
    assert_eq!(too_many.status, 400, "{}", too_many.body);
    assert!(
        too_many.json()["error"]
            .as_str()
            .unwrap()
            .starts_with("collections:")
    );
    let page = ada.page(&app, "/collections").await;
    assert!(page.body.contains("as many as a member may keep"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn forms_work_without_javascript() {
    let app = app().await;
    let ada = member(&app, "ada").await;
    // Made from a paper's page: the new collection holds the paper.
    let made = ada
        .form(
            &app,
            "/api/collections",
            &[
                ("title", "From a paper"),
                ("private", "false"),
                ("paper", PAPER),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let page_uri = made.header("location").to_string();
    assert!(
        page_uri.starts_with("/collections/ada/from-a-paper-"),
        "{page_uri}"
    );
    let page = ada.page(&app, &page_uri).await;
    assert!(page.body.contains(&escaped(&title_of(PAPER))) || page.body.contains(&title_of(PAPER)));
    let slug = page_uri.trim_start_matches("/collections/").to_string();
    let api = format!("/api/collections/{slug}");
    // Added from the paper page's button: back to the paper page.
    let second = other_paper();
    let back = format!("/papers/{second}#collections");
    let added = ada
        .form(
            &app,
            &format!("{api}/items"),
            &[("paper", &second), ("return_to", &back)],
        )
        .await;
    assert_eq!(added.status, 303);
    assert_eq!(added.header("location"), back);
    let items = app.get(&api).await.json();
    assert_eq!(item_ids(&items), [PAPER, second.as_str()]);
    let second_item = items["items"][1]["_id"].as_str().unwrap().to_string();
    // Up, a note, then removal, each as the page's forms send them.
    let up = ada
        .form(
            &app,
            &format!("{api}/items/{second_item}"),
            &[("position", "0")],
        )
        .await;
    assert_eq!(up.status, 303);
    assert_eq!(up.header("location"), page_uri);
    let note = ada
        .form(
            &app,
            &format!("{api}/items/{second_item}"),
            &[("note", "A note\non two lines")],
        )
        .await;
    assert_eq!(note.status, 303);
    let items = app.get(&api).await.json();
    assert_eq!(item_ids(&items), [second.as_str(), PAPER]);
    assert_eq!(items["items"][0]["note"]["text"], "A note\non two lines");
    // Rename, make private, and delete.
    let renamed = ada
        .form(
            &app,
            &api,
            &[("title", "Renamed"), ("description", "Now described")],
        )
        .await;
    assert_eq!(renamed.status, 303);
    let new_page = renamed.header("location").to_string();
    assert!(
        new_page.starts_with("/collections/ada/renamed-"),
        "{new_page}"
    );
    let private = ada.form(&app, &api, &[("private", "true")]).await;
    assert_eq!(private.status, 303);
    assert_eq!(app.get(&new_page).await.status, 404, "private now");
    let own = ada.page(&app, &new_page).await;
    assert!(own.body.contains("Make public") && own.body.contains("Now described"));
    let removed = ada
        .form(
            &app,
            &format!("{api}/items/{second_item}"),
            &[("action", "delete")],
        )
        .await;
    assert_eq!(removed.status, 303);
    assert_eq!(
        item_ids(
            &app.get_with(&api, &[("authorization", &ada.bearer)])
                .await
                .json()
        ),
        [PAPER]
    );
    let deleted = ada.form(&app, &api, &[("action", "delete")]).await;
    assert_eq!(deleted.status, 303);
    assert_eq!(deleted.header("location"), "/collections");
    assert_eq!(ada.page(&app, &new_page).await.status, 404);
    // A form without the CSRF token changes nothing.
    let forged = app
        .send(
            "POST",
            "/api/collections",
            &[
                ("cookie", &ada.cookie),
                ("content-type", "application/x-www-form-urlencoded"),
            ],
            "title=Forged",
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(!ada.page(&app, "/collections").await.body.contains("Forged"));
}

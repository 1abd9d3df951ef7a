//! Stored XSS: every payload of `fixtures/xss/payloads.txt`, in several
//! Markdown contexts, as comments and as display names, rendered on a
//! paper page and in the API: nothing that runs or loads survives.

mod common;

use common::*;
use dailypapers_domain::{CommentBody, Email, Role, Username};
use dailypapers_store::community::{NewComment, NewMember};

const PAPER: &str = "2511.22699";

fn payloads() -> Vec<String> {
    let path =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/xss/payloads.txt");
    std::fs::read_to_string(&path)
        .unwrap()
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_string)
        .collect()
}

/// Tags that run or load something, and attributes that do (attribute
/// values are read as values: a title that merely reads like a handler is
/// harmless).
fn active(html: &str) -> Option<String> {
    let lower = html.to_ascii_lowercase();
    for rest in lower.split('<').skip(1) {
        let tag = rest.split('>').next().unwrap_or("");
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        let bad_tag = [
            "script", "img", "svg", "iframe", "object", "embed", "style", "link", "meta", "base",
            "form", "input", "button", "video", "audio", "source", "math", "template", "isindex",
            "body", "details", "marquee", "textarea", "select", "frame", "frameset", "applet",
        ]
        .contains(&name.as_str());
        if bad_tag {
            return Some(format!("<{tag}>"));
        }
        // Outside quotes are the attribute names; inside, their values.
        let parts: Vec<&str> = tag.split('"').collect();
        for (i, outside) in parts.iter().enumerate().step_by(2) {
            for word in outside.split_whitespace().skip(usize::from(i == 0)) {
                let attr = word.trim_end_matches('=');
                if attr.starts_with("on") || ["style", "srcdoc", "formaction"].contains(&attr) {
                    return Some(format!("<{tag}>"));
                }
            }
            let attr = outside
                .split_whitespace()
                .last()
                .unwrap_or("")
                .trim_end_matches('=');
            if let Some(value) = parts.get(i + 1)
                && ["href", "src", "action", "xlink:href", "background"].contains(&attr)
            {
                let v: String = value
                    .chars()
                    .filter(|c| !c.is_whitespace() && !c.is_control())
                    .collect();
                if ["javascript:", "vbscript:", "data:", "&#"]
                    .iter()
                    .any(|s| v.starts_with(s))
                {
                    return Some(format!("<{tag}>"));
                }
            }
        }
        if !tag.contains('"') && (tag.contains(" on") || tag.contains("javascript:")) {
            return Some(format!("<{tag}>"));
        }
    }
    None
}

/// The inner HTML of every `<div class="comment-body">` on a page.
fn comment_bodies(page: &str) -> Vec<&str> {
    page.split(r#"<div class="comment-body">"#)
        .skip(1)
        .map(|rest| rest.split("</div>").next().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stored_payload_survives_into_the_html() {
    let app = app().await;
    let community = app.store.community();
    let now = chrono::Utc::now();
    let paper: dailypapers_domain::ArxivId = PAPER.parse().unwrap();
    let all = payloads();
    assert!(all.len() >= 200, "{} payloads in the list", all.len());
    let mut comments = 0;
    for (i, payload) in all.iter().enumerate() {
        // A member whose display name is the payload (cut to the limit).
        let name: String = payload
            .chars()
            .filter(|c| !c.is_control())
            .take(100)
            .collect();
        let member = community
            .create_member(&NewMember {
                username: Username::parse(&format!("x{i}")).unwrap(),
                email: Email::parse(&format!("x{i}@example.org")).unwrap(),
                display_name: Some(name),
                password_hash: "x".into(),
                role: Role::Member,
                now,
            })
            .await
            .unwrap();
        for body in [
            payload.clone(),
            format!("> {payload}"),
            format!("- {payload}"),
            format!("| a |\n|---|\n| {payload} |"),
        ] {
            community
                .add_comment(&NewComment {
                    paper: paper.clone(),
                    member_id: member.id,
                    parent_id: None,
                    body: CommentBody::parse(&body).unwrap(),
                    now,
                })
                .await
                .unwrap()
                .unwrap();
            comments += 1;
        }
    }
    assert!(comments >= 200, "{comments} payloads stored");
    let page = app.get(&format!("/papers/{PAPER}")).await;
    assert_eq!(page.status, 200);
    let bodies = comment_bodies(&page.body);
    assert_eq!(bodies.len(), comments, "every comment is on the page");
    for (i, body) in bodies.iter().enumerate() {
        if let Some(tag) = active(body) {
            panic!("comment {i} kept {tag}: {body}");
        }
    }
    // The page as a whole: only its own markup, which has none of these
    // outside the comment forms (forms and buttons are the page's own).
    let outside_forms: String = page
        .body
        .split("<form")
        .map(|part| part.split("</form>").last().unwrap_or(""))
        .collect();
    let meta: Vec<&str> = outside_forms
        .split(r#"<p class="comment-meta">"#)
        .skip(1)
        .map(|rest| rest.split("</p>").next().unwrap())
        .collect();
    assert_eq!(meta.len(), comments);
    for m in &meta {
        assert!(active(m).is_none(), "a display name kept markup: {m}");
        let tags: Vec<&str> = m
            .split('<')
            .skip(1)
            .map(|t| t.split([' ', '>']).next().unwrap())
            .collect();
        assert!(
            tags.iter()
                .all(|t| ["strong", "/strong", "span", "/span", "time", "/time"].contains(t)),
            "{m}"
        );
    }
    // And the API's rendered HTML.
    let json = app
        .get(&format!("/api/papers/{PAPER}/comments"))
        .await
        .json();
    for c in json.as_array().unwrap() {
        let html = c["html"].as_str().unwrap();
        assert!(active(html).is_none(), "{html}");
    }
    // The page's policy forbids inline scripts even if one got through.
    assert!(
        !page
            .header("content-security-policy")
            .contains("unsafe-inline")
    );
}

/// The inner HTML of every element that starts with `open` (up to `close`).
fn inner<'a>(page: &'a str, open: &str, close: &str) -> Vec<&'a str> {
    page.split(open)
        .skip(1)
        .map(|rest| rest.split(close).next().unwrap())
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_stored_payload_survives_in_collections() {
    use dailypapers_domain::collection::parse_note;
    use dailypapers_domain::limits::{COLLECTION_ITEMS, COLLECTIONS_PER_MEMBER};
    use dailypapers_domain::{CollectionTitle, collection::parse_description};
    use dailypapers_store::collections::{NewCollection, NewItem};
    let app = app().await;
    let now = chrono::Utc::now();
    let paper: dailypapers_domain::ArxivId = PAPER.parse().unwrap();
    let all = payloads();
    let owner = dailypapers_store::testing::member(&*app.store, "collector").await;
    let mut slugs = Vec::new();
    for (i, payload) in all.iter().enumerate() {
        // Each payload as a title (made unique), a description and a note,
        // cut to their limits.
        let cut = |n: usize| payload.chars().take(n).collect::<String>();
        let title = CollectionTitle::parse(&format!("{i} {}", cut(140))).unwrap();
        let c = app
            .store
            .create_collection(&NewCollection {
                owner_id: owner.id,
                title,
                description: parse_description(&cut(150)).unwrap(),
                private: false,
                theme: "blue".into(),
                now,
                max_per_member: COLLECTIONS_PER_MEMBER,
            })
            .await
            .unwrap()
            .unwrap();
        app.store
            .add_collection_item(&NewItem {
                collection_id: c.id.clone(),
                paper: paper.clone(),
                note: parse_note(&cut(500)).unwrap(),
                now,
                max_items: COLLECTION_ITEMS,
            })
            .await
            .unwrap()
            .unwrap();
        slugs.push((c.slug(), usize::from(c.description.is_some())));
    }
    assert!(slugs.len() >= 70, "{}", slugs.len());
    let check = |what: &str, parts: Vec<&str>, expected: usize| {
        assert_eq!(parts.len(), expected, "{what}: every one is there");
        for p in parts {
            if let Some(tag) = active(p) {
                panic!("{what} kept {tag}: {p}");
            }
            assert!(!p.contains('<'), "{what} is text only: {p}");
        }
    };
    for (slug, described) in &slugs {
        let page = app.get(&format!("/collections/{slug}")).await;
        assert_eq!(page.status, 200, "{slug}");
        check(
            "a title",
            inner(&page.body, r#"<h1 class="collection-title">"#, "</h1>"),
            1,
        );
        check(
            "a description",
            inner(&page.body, r#"<p class="collection-description">"#, "</p>"),
            *described,
        );
        check(
            "a note",
            inner(&page.body, r#"<p class="item-note">"#, "</p>"),
            1,
        );
        check(
            "the document title",
            inner(&page.body, "<title>", "</title>"),
            1,
        );
        let api = app.get(&format!("/api/collections/{slug}")).await.json();
        let html = api["items"][0]["note"]["html"].as_str().unwrap();
        assert!(active(html).is_none(), "{html}");
        assert!(!html.replace("<br>", "").contains('<'), "{html}");
    }
    // The paper's page names the public collections it is in (the first
    // twenty), and the owner's list names them all.
    let page = app.get(&format!("/papers/{PAPER}")).await;
    let links = inner(&page.body, r#"<ul class="collection-links">"#, "</ul>");
    assert_eq!(links.len(), 1);
    let titles = inner(links[0], r#"<a href="/collections/"#, "</a>")
        .iter()
        .map(|t| t.split_once("\">").unwrap().1)
        .collect();
    check("a title on the paper page", titles, 20);
    let session = "session-of-the-collector";
    app.store
        .community()
        .create_session(&dailypapers_store::community::NewSession {
            token_hash: dailypapers_store::community::token_hash(session),
            member_id: owner.id,
            csrf_token: "csrf".into(),
            now,
            expires_at: now + chrono::TimeDelta::days(1),
        })
        .await
        .unwrap();
    let cookie = format!("dp_session={session}");
    let mine = app.get_with("/collections", &[("cookie", &cookie)]).await;
    check(
        "a title in the list",
        inner(&mine.body, r#"<a class="collection-link" href=""#, "</a>")
            .iter()
            .map(|t| t.split_once("\">").unwrap().1)
            .collect(),
        slugs.len(),
    );
    let described: usize = slugs.iter().map(|(_, d)| d).sum();
    check(
        "a description in the list",
        inner(&mine.body, r#"<p class="collection-description">"#, "</p>"),
        described,
    );
    assert!(
        !page
            .header("content-security-policy")
            .contains("unsafe-inline")
    );
}

/// The checker itself: it finds what the payloads would do unsanitised.
#[test]
fn the_checker_finds_active_markup() {
    for bad in [
        "<img src=x onerror=alert(1)>",
        r#"<a href="javascript:alert(1)">x</a>"#,
        r#"<a href=" JaVaScript:alert(1)">x</a>"#,
        r#"<p onclick="x">"#,
        r#"<div style="x">"#,
        "<svg/onload=alert(1)>",
        r#"<a href="&#106;avascript:alert(1)">"#,
    ] {
        assert!(active(bad).is_some(), "{bad}");
    }
    for fine in [
        r#"<a href="https://x.org" title="a&quot; onmouseover=&quot;b" rel="nofollow">x</a>"#,
        "<p>onerror=alert(1) as text</p>",
        "&lt;script&gt;",
    ] {
        assert!(active(fine).is_none(), "{fine}");
    }
}

//! Composing digests on the backend `fresh_store` gives, with the real
//! search engine (in memory) for saved searches, read back from the outbox
//! with a MIME parser: only confirmed, active subscribers get a digest;
//! one-click unsubscribing stops the next one; a digest is composed once;
//! a saved-search digest never repeats a paper; every message carries the
//! one-click unsubscribe headers and a visible link.

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, NaiveDate, TimeDelta, Utc};
use dailypapers_digest::{Composer, DigestOptions, Frequency, Matcher, Templates};
use dailypapers_search::{EngineOptions, SearchEngine};
use dailypapers_store::Store;
use dailypapers_store::subscriptions::NewSubscription;
use dailypapers_store::testing::{TestStore, fresh_store, listed};
use mail_parser::MessageParser;

/// One parsed digest.
#[derive(Debug)]
struct Received {
    to: String,
    subject: String,
    text: String,
    html: String,
    list_unsubscribe: String,
    one_click: String,
}

/// Claims everything queued and parses it (as a sender would send it).
async fn queued(store: &dyn Store) -> Vec<Received> {
    let rows = store
        .claim_mail("test", Utc::now(), Duration::from_secs(600), 100_000)
        .await
        .unwrap();
    let mut out = Vec::new();
    for row in rows {
        let m = MessageParser::default()
            .parse(&row.message)
            .expect("a MIME message");
        let header = |name: &str| {
            m.header_raw(name)
                .map(|v| v.trim().to_string())
                .unwrap_or_default()
        };
        out.push(Received {
            to: row.recipient.clone(),
            subject: m.subject().unwrap_or_default().to_string(),
            text: m.body_text(0).unwrap_or_default().to_string(),
            html: m.body_html(0).unwrap_or_default().to_string(),
            list_unsubscribe: header("List-Unsubscribe"),
            one_click: header("List-Unsubscribe-Post"),
        });
        store.mail_sent(row.id, Utc::now()).await.unwrap();
    }
    out.sort_by(|a, b| a.to.cmp(&b.to));
    out
}

async fn subscribe(
    store: &dyn Store,
    email: &str,
    frequency: &str,
    query: &str,
    confirm: bool,
) -> String {
    let hash = format!("confirm-{email}-{frequency}-{query}");
    let token = format!("unsub-{email}-{frequency}-{query}").replace(['@', ' ', '.'], "-");
    store
        .subscribe(&NewSubscription {
            email: email.into(),
            frequency: frequency.into(),
            query: query.into(),
            member_id: None,
            confirm_hash: hash.clone(),
            confirm_until: Utc::now() + TimeDelta::hours(48),
            unsubscribe_token: token.clone(),
            now: Utc::now(),
        })
        .await
        .unwrap();
    if confirm {
        store
            .confirm_subscription(&hash, Utc::now())
            .await
            .unwrap()
            .expect("confirmed");
    }
    token
}

/// Trending papers on the feed today, the scores computed.
async fn trending_papers(store: &dyn Store, titles: &[(&str, &str, u32)]) {
    let at = Utc::now() - TimeDelta::hours(2);
    let batch = titles
        .iter()
        .map(|(id, title, up)| listed(id, title, *up, Some(at)))
        .collect();
    store.import(batch).await.unwrap();
    dailypapers_store::trending::refresh(store, Utc::now())
        .await
        .unwrap();
}

fn composer(t: &TestStore, engine: Option<Arc<SearchEngine>>) -> Composer {
    let matcher = engine.map(|e| Arc::new(e) as Arc<dyn Matcher>);
    Composer::new(
        t.store.clone(),
        matcher,
        Arc::new(Templates::load(None).unwrap()),
        DigestOptions {
            site: dailypapers_digest::templates::Site {
                name: "Daily Papers".into(),
                url: "https://papers.example.org".into(),
            },
            from: "Daily Papers <papers@example.org>".into(),
            page: 2,
            ..DigestOptions::default()
        },
    )
}

fn day(d: &str) -> NaiveDate {
    d.parse().unwrap()
}

fn now() -> DateTime<Utc> {
    Utc::now()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_confirmed_active_subscribers_get_the_digest_once_and_unsubscribing_stops_the_next() {
    let t = fresh_store().await;
    let store = &*t.store;
    trending_papers(
        store,
        &[
            ("2612.00001", "Sparse attention <at scale>", 40),
            ("2612.00002", "Token merging for speech", 12),
        ],
    )
    .await;
    let ada = subscribe(store, "ada@example.org", "daily", "", true).await;
    subscribe(store, "bob@example.org", "daily", "", true).await;
    subscribe(store, "carol@example.org", "daily", "", true).await;
    subscribe(store, "dan@example.org", "daily", "", false).await; // never confirmed
    subscribe(store, "erin@example.org", "weekly", "", true).await; // another frequency
    // Expired: the link was not used in time.
    store
        .subscribe(&NewSubscription {
            email: "frank@example.org".into(),
            frequency: "daily".into(),
            query: String::new(),
            member_id: None,
            confirm_hash: "late".into(),
            confirm_until: Utc::now() - TimeDelta::minutes(1),
            unsubscribe_token: "unsub-frank".into(),
            now: Utc::now() - TimeDelta::hours(49),
        })
        .await
        .unwrap();
    assert!(
        store
            .confirm_subscription("late", Utc::now())
            .await
            .unwrap()
            .is_none()
    );

    let c = composer(&t, None);
    let report = c
        .compose(Frequency::Daily, day("2026-12-07"), now())
        .await
        .unwrap();
    assert_eq!((report.subscribers, report.queued), (3, 3), "{report:?}");
    let got = queued(store).await;
    let to: Vec<&str> = got.iter().map(|r| r.to.as_str()).collect();
    assert_eq!(
        to,
        ["ada@example.org", "bob@example.org", "carol@example.org"]
    );
    let ada_mail = &got[0];
    assert_eq!(
        ada_mail.subject,
        "Trending papers, Monday 7 December 2026 · Daily Papers"
    );
    // The top paper first, with why it is there, its upvotes and link.
    let first = ada_mail
        .text
        .find("Sparse attention <at scale>")
        .expect("listed");
    let second = ada_mail
        .text
        .find("Token merging for speech")
        .expect("listed");
    assert!(first < second, "{}", ada_mail.text);
    assert!(ada_mail.text.contains("▲ 40"), "{}", ada_mail.text);
    assert!(
        ada_mail
            .text
            .contains("https://papers.example.org/papers/2612.00001")
    );
    assert!(
        ada_mail.html.contains("Sparse attention &lt;at scale&gt;"),
        "{}",
        ada_mail.html
    );
    let link = format!("https://papers.example.org/unsubscribe?token={ada}");
    assert!(
        ada_mail.list_unsubscribe.contains(&format!("<{link}>")),
        "{}",
        ada_mail.list_unsubscribe
    );
    assert!(
        ada_mail
            .list_unsubscribe
            .contains("<mailto:papers@example.org?subject=unsubscribe")
    );
    assert_eq!(ada_mail.one_click, "List-Unsubscribe=One-Click");
    assert!(ada_mail.text.contains(&format!("Unsubscribe: {link}")));
    // minijinja writes `/` as `&#x2f;` in HTML: the same link once decoded.
    assert!(
        ada_mail
            .html
            .replace("&#x2f;", "/")
            .contains(&format!("href=\"{link}\""))
    );

    // Composed once: the same digest again queues nothing.
    let again = c
        .compose(Frequency::Daily, day("2026-12-07"), now())
        .await
        .unwrap();
    assert!(again.already_composed);
    assert!(queued(store).await.is_empty());

    // Ada unsubscribes with the link's token: the next digest skips her.
    store.unsubscribe(&ada, Utc::now()).await.unwrap().unwrap();
    let next = c
        .compose(Frequency::Daily, day("2026-12-08"), now())
        .await
        .unwrap();
    assert_eq!(next.queued, 2);
    let to: Vec<String> = queued(store).await.into_iter().map(|r| r.to).collect();
    assert_eq!(to, ["bob@example.org", "carol@example.org"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_saved_search_digest_never_repeats_a_paper_across_three_sends() {
    let t = fresh_store().await;
    let store = &*t.store;
    let engine =
        Arc::new(SearchEngine::in_memory(t.store.clone(), None, EngineOptions::default()).unwrap());
    let add = |papers: Vec<(&'static str, &'static str)>| {
        let engine = engine.clone();
        async move {
            let at = Utc::now() - TimeDelta::hours(1);
            let batch = papers
                .into_iter()
                .map(|(id, title)| {
                    let mut l = listed(id, title, 1, Some(at));
                    l.paper.published_at = Some(at);
                    l
                })
                .collect();
            store.import(batch).await.unwrap();
            engine.catch_up_keyword().await.unwrap();
        }
    };
    add(vec![
        ("2612.00011", "Token compression for vision transformers"),
        ("2612.00012", "Token compression in audio language models"),
        ("2612.00013", "A survey of graph neural networks"),
    ])
    .await;
    subscribe(store, "ada@example.org", "daily", "token compression", true).await;
    let c = composer(&t, Some(engine.clone()));
    let mut seen: Vec<String> = Vec::new();
    let mut sends = Vec::new();
    for (i, d) in ["2026-12-07", "2026-12-08", "2026-12-09"]
        .into_iter()
        .enumerate()
    {
        if i == 1 {
            add(vec![(
                "2612.00014",
                "Faster token compression with pruning",
            )])
            .await;
        }
        c.compose(Frequency::Daily, day(d), now()).await.unwrap();
        let got = queued(store).await;
        let ids: Vec<String> = got
            .iter()
            .flat_map(|r| {
                r.text
                    .split_whitespace()
                    .filter_map(|w| w.strip_prefix("https://papers.example.org/papers/"))
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .collect();
        for id in &ids {
            assert!(!seen.contains(id), "{id} sent twice: {seen:?} then {ids:?}");
        }
        seen.extend(ids.clone());
        sends.push((got.len(), ids, got.first().map(|r| r.subject.clone())));
    }
    let mut first = sends[0].1.clone();
    first.sort();
    assert_eq!(
        first,
        ["2612.00011", "2612.00012"],
        "the matches, not the survey"
    );
    assert_eq!(
        sends[0].2.as_deref(),
        Some("2 new papers for “token compression” · Daily Papers")
    );
    assert_eq!(sends[1].1, ["2612.00014"], "only the new paper");
    assert_eq!(sends[2].0, 0, "nothing new, no message");
}

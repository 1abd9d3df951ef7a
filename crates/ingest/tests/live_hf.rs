//! The Hugging Face daily papers source against recorded days: the request
//! asked, the listings read, and paging while pages are full.

mod support;

use chrono::NaiveDate;
use dailypapers_domain::FeedTimeZone;
use dailypapers_ingest::clock::ManualClock;
use dailypapers_ingest::live::{HfDailyApi, HfDayPager, Page};
use support::{Replay, client, config, expected_user_agent};

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

async fn all_pages(pager: &mut HfDayPager) -> Vec<Page> {
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await.expect("fetch") {
        pages.push(page);
    }
    pages
}

#[tokio::test]
async fn fetch_daily_asks_for_the_day_and_reads_every_paper() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = HfDailyApi::new(
        client(&clock, config()),
        server.endpoints().hf_daily_papers,
        FeedTimeZone::default(),
    );

    let pages = all_pages(&mut api.fetch_daily(day("2025-12-01"))).await;

    assert_eq!(server.queries(), vec!["date=2025-12-01&limit=100"]);
    assert_eq!(
        server.requests()[0].user_agent.as_deref(),
        Some(expected_user_agent().as_str())
    );
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].listings.len(), 23);
    let listed: Vec<_> = pages[0]
        .listings
        .iter()
        .filter_map(|l| l.as_ref().ok())
        .collect();
    assert_eq!(listed.len(), 23, "every recorded paper is read");
    assert!(
        listed.iter().all(|l| l.entry.is_some()),
        "each is on the feed"
    );
}

#[tokio::test]
async fn fetch_daily_follows_pages_while_they_are_full() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = HfDailyApi::new(
        client(&clock, config()),
        server.endpoints().hf_daily_papers,
        FeedTimeZone::default(),
    )
    .with_page_size(10);

    // 37 papers that day: 10 + 10 + 10 + 7.
    let pages = all_pages(&mut api.fetch_daily(day("2025-10-01"))).await;

    assert_eq!(
        server.queries(),
        vec![
            "date=2025-10-01&limit=10",
            "date=2025-10-01&limit=10&p=1",
            "date=2025-10-01&limit=10&p=2",
            "date=2025-10-01&limit=10&p=3",
        ]
    );
    let sizes: Vec<usize> = pages.iter().map(|p| p.listings.len()).collect();
    assert_eq!(sizes, vec![10, 10, 10, 7]);
    let mut ids: Vec<String> = pages
        .iter()
        .flat_map(|p| p.listings.iter())
        .filter_map(|l| l.as_ref().ok())
        .map(|l| l.paper.id.to_string())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 37, "no paper twice, none missing");
}

#[tokio::test]
async fn a_full_last_page_is_followed_by_one_empty_page() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = HfDailyApi::new(
        client(&clock, config()),
        server.endpoints().hf_daily_papers,
        FeedTimeZone::default(),
    )
    .with_page_size(10);

    // Exactly 10 papers that day.
    let pages = all_pages(&mut api.fetch_daily(day("2024-07-01"))).await;

    assert_eq!(
        server.queries(),
        vec!["date=2024-07-01&limit=10", "date=2024-07-01&limit=10&p=1"]
    );
    assert_eq!(pages.len(), 1);
    assert_eq!(pages[0].listings.len(), 10);
}

//! The arXiv API source against recorded responses: id look-ups (versions
//! kept, batches of 100) and search pagination (stops at `max`, at the end of
//! the results, at an empty page).

mod support;

use dailypapers_domain::ArxivId;
use dailypapers_ingest::clock::ManualClock;
use dailypapers_ingest::live::{ArxivApi, Page};
use support::{Replay, client, config, gaps, secs};

fn ids(list: &[&str]) -> Vec<ArxivId> {
    list.iter().map(|s| s.parse().expect("id")).collect()
}

fn ok_ids(page: &Page) -> Vec<String> {
    page.listings
        .iter()
        .filter_map(|l| l.as_ref().ok())
        .map(|l| l.paper.id.to_string())
        .collect()
}

async fn all_pages(pager: &mut dailypapers_ingest::live::ArxivPager) -> Vec<Page> {
    let mut pages = Vec::new();
    while let Some(page) = pager.next_page().await.expect("fetch") {
        pages.push(page);
    }
    pages
}

#[tokio::test]
async fn fetch_ids_asks_for_the_versions_given_and_returns_the_recorded_papers() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.endpoints().arxiv_api);

    let pages = all_pages(&mut api.fetch_ids(&ids(&["2104.12255v1"]))).await;
    let pages_old_style = all_pages(&mut api.fetch_ids(&ids(&["quant-ph/0201082v1"]))).await;

    assert_eq!(
        server.queries(),
        vec![
            "id_list=2104.12255v1&start=0&max_results=100",
            "id_list=quant-ph%2F0201082v1&start=0&max_results=100",
        ]
    );
    assert_eq!(pages.len(), 1);
    assert_eq!(ok_ids(&pages[0]), vec!["2104.12255"]);
    let paper = &pages[0].listings[0].as_ref().expect("listing").paper;
    assert_eq!(paper.version, Some(1));
    assert_eq!(pages[0].total, Some(1));
    assert_eq!(ok_ids(&pages_old_style[0]), vec!["quant-ph/0201082"]);
}

#[tokio::test]
async fn ids_arxiv_does_not_know_are_absent_from_the_page() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.endpoints().arxiv_api);

    // 0808.05394 is not an id (five digits before 2015), so it goes through
    // the raw request: arXiv answers with the one paper it knows.
    let page = api
        .request(&[
            ("id_list", "0808.05394,1707.08567"),
            ("start", "0"),
            ("max_results", "100"),
        ])
        .await
        .expect("fetch");

    assert_eq!(
        server.queries(),
        vec!["id_list=0808.05394%2C1707.08567&start=0&max_results=100"]
    );
    assert_eq!(ok_ids(&page), vec!["1707.08567"]);
    assert_eq!(page.total, Some(1));
}

#[tokio::test]
async fn fetch_ids_sends_at_most_100_ids_per_request() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.url("/empty/api/query"));
    let many: Vec<ArxivId> = (1..=250)
        .map(|n| format!("2401.{n:05}").parse().expect("id"))
        .collect();
    // Repeats are asked for once.
    let mut with_repeats = many.clone();
    with_repeats.extend_from_slice(&many[..10]);

    let pages = all_pages(&mut api.fetch_ids(&with_repeats)).await;

    assert_eq!(pages.len(), 3);
    let requests = server.requests();
    let sizes: Vec<usize> = requests
        .iter()
        .map(|r| {
            let params: Vec<(String, String)> = url::form_urlencoded::parse(r.query.as_bytes())
                .into_owned()
                .collect();
            assert_eq!(params[1], ("start".into(), "0".into()));
            assert_eq!(params[2], ("max_results".into(), "100".into()));
            params[0].1.split(',').count()
        })
        .collect();
    assert_eq!(sizes, vec![100, 100, 50]);
    assert!(
        requests[0]
            .query
            .starts_with("id_list=2401.00001%2C2401.00002%2C")
    );
    assert_eq!(gaps(&requests), vec![secs(3), secs(3)]);
}

#[tokio::test]
async fn fetch_query_pages_newest_first_and_stops_at_max() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.endpoints().arxiv_api);

    let mut pager = api.fetch_query("testing", 25, 10);
    let pages = all_pages(&mut pager).await;

    assert_eq!(
        server.queries(),
        vec![
            "search_query=testing&start=0&max_results=10&sortBy=submittedDate&sortOrder=descending",
            "search_query=testing&start=10&max_results=10&sortBy=submittedDate&sortOrder=descending",
            "search_query=testing&start=20&max_results=10&sortBy=submittedDate&sortOrder=descending",
        ]
    );
    let sizes: Vec<usize> = pages.iter().map(|p| p.listings.len()).collect();
    assert_eq!(sizes, vec![10, 10, 5], "the last page is cut at max");
    assert!(pages.iter().all(|p| p.total == Some(214_881)));
    assert_eq!(pager.expected(), Some(25));
    // Once done, no more requests.
    assert!(pager.next_page().await.expect("done").is_none());
    assert_eq!(server.requests().len(), 3);
    assert_eq!(gaps(&server.requests()), vec![secs(3), secs(3)]);
}

#[tokio::test]
async fn fetch_query_stops_at_max_on_a_page_boundary_without_another_request() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.endpoints().arxiv_api);

    let pages = all_pages(&mut api.fetch_query("testing", 60, 10)).await;

    assert_eq!(pages.len(), 6);
    let total: usize = pages.iter().map(|p| p.listings.len()).sum();
    assert_eq!(total, 60);
    let starts: Vec<String> = server
        .queries()
        .iter()
        .map(|q| q.split('&').nth(1).unwrap_or_default().to_string())
        .collect();
    assert_eq!(
        starts,
        vec![
            "start=0", "start=10", "start=20", "start=30", "start=40", "start=50"
        ]
    );
}

#[tokio::test]
async fn fetch_query_stops_at_an_empty_page() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let api = ArxivApi::new(client(&clock, config()), server.url("/empty/api/query"));

    let pages = all_pages(&mut api.fetch_query("testing", 1000, 100)).await;

    assert!(pages.is_empty());
    assert_eq!(server.requests().len(), 1);
}

//! OAI-PMH harvesting against recorded responses: the recorded 503 with
//! Retry-After, resumption tokens, and resuming after a crash from the
//! checkpoint saved in a real SQLite store.

mod support;

use std::sync::Arc;

use chrono::NaiveDate;
use dailypapers_domain::Listing;
use dailypapers_ingest::clock::ManualClock;
use dailypapers_ingest::live::{Harvest, Harvester, MetadataPrefix, Page};
use dailypapers_store::Store;
use dailypapers_store::testing::{TestStore, fresh_store};
use support::{Replay, client, config, gaps, secs};

const FIRST_CS_REQUEST: &str = "verb=ListRecords&metadataPrefix=oai_dc&set=cs&from=2024-01-25";
const SECOND_CS_REQUEST: &str = "verb=ListRecords&resumptionToken=6960524%7C1001";
const TOKEN: &str = "6960524|1001";

fn day(text: &str) -> NaiveDate {
    text.parse().expect("date")
}

fn cs_harvest() -> Harvest {
    Harvest {
        set: Some("cs".into()),
        from: Some(day("2024-01-25")),
        until: None,
        prefix: MetadataPrefix::OaiDc,
    }
}

/// A fresh store, and the handle that keeps it alive.
async fn open_store() -> (TestStore, Arc<dyn Store>) {
    let t = fresh_store().await;
    let store = t.store.clone();
    (t, store)
}

/// Stores a page's readable records, as the importer would; returns how many.
/// Starts a harvester against the replay server with the tests' client.
async fn start(
    clock: &Arc<ManualClock>,
    server: &Replay,
    store: &Arc<dyn Store>,
    harvest: Harvest,
) -> Harvester {
    Harvester::start(
        client(clock, config()),
        server.endpoints().arxiv_oai,
        store.clone(),
        harvest,
    )
    .await
    .expect("start")
}

async fn store_page(store: &Arc<dyn Store>, page: &Page) -> u64 {
    let listings: Vec<Listing> = page
        .listings
        .iter()
        .filter_map(|l| l.as_ref().ok().cloned())
        .collect();
    let n = listings.len() as u64;
    store.import(listings).await.expect("import");
    n
}

#[tokio::test]
async fn a_recorded_503_with_retry_after_waits_exactly_ten_seconds_then_succeeds() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let (_test_store, store) = open_store().await;
    let harvest = Harvest {
        set: None,
        from: Some(day("2015-01-01")),
        until: Some(day("2015-01-03")),
        prefix: MetadataPrefix::ArXiv,
    };
    let mut harvester = start(&clock, &server, &store, harvest.clone()).await;

    let page = harvester.next_page().await.expect("fetch").expect("a page");
    assert_eq!(page.listings.len(), 2);
    assert_eq!(store_page(&store, &page).await, 2);
    harvester.page_stored().await.expect("checkpoint");
    assert!(harvester.next_page().await.expect("done").is_none());

    let query = "verb=ListRecords&metadataPrefix=arXiv&from=2015-01-01&until=2015-01-03";
    assert_eq!(server.queries(), vec![query, query]);
    assert_eq!(clock.sleeps(), vec![secs(10)]);
    assert_eq!(gaps(&server.requests()), vec![secs(10)]);
    assert_eq!(store.counts().await.expect("counts").papers, 2);
    assert_eq!(
        store
            .checkpoint(&harvest.checkpoint_key())
            .await
            .expect("read"),
        None
    );
}

#[tokio::test]
async fn a_harvest_resumes_after_a_crash_from_the_saved_token_and_clears_it_at_the_end() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let (_test_store, store) = open_store().await;
    let harvest = cs_harvest();
    let key = harvest.checkpoint_key();
    assert_eq!(key, "oai:cs:oai_dc:2024-01-25:");

    // First run: the first page is fetched and stored, then the process dies.
    let mut first = start(&clock, &server, &store, harvest.clone()).await;
    assert_eq!(first.resumed_from(), None);
    let page = first.next_page().await.expect("fetch").expect("a page");
    assert_eq!(page.listings.len(), 5);
    assert_eq!(page.total, Some(1162));
    let stored_first = store_page(&store, &page).await;
    first.page_stored().await.expect("checkpoint");
    drop(first);

    assert_eq!(server.queries(), vec![FIRST_CS_REQUEST]);
    assert_eq!(
        store.checkpoint(&key).await.expect("read").as_deref(),
        Some(TOKEN)
    );

    // Second run, a new client and harvester for the same harvest.
    let mut second = start(&clock, &server, &store, harvest.clone()).await;
    assert_eq!(second.resumed_from(), Some(TOKEN));
    let page = second.next_page().await.expect("fetch").expect("a page");
    assert_eq!(page.listings.len(), 2);
    let stored_second = store_page(&store, &page).await;
    second.page_stored().await.expect("checkpoint");
    assert!(second.next_page().await.expect("done").is_none());

    assert_eq!(server.queries(), vec![FIRST_CS_REQUEST, SECOND_CS_REQUEST]);
    assert_eq!(store.checkpoint(&key).await.expect("read"), None);
    assert_eq!(
        store.counts().await.expect("counts").papers,
        stored_first + stored_second
    );
    assert_eq!(stored_first + stored_second, 7);

    // A third run finds no checkpoint: it starts from the beginning.
    let third = start(&clock, &server, &store, harvest).await;
    assert_eq!(third.resumed_from(), None);
}

#[tokio::test]
async fn a_page_fetched_but_not_stored_before_a_crash_is_fetched_again() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let (_test_store, store) = open_store().await;

    let mut first = start(&clock, &server, &store, cs_harvest()).await;
    first.next_page().await.expect("fetch").expect("a page");
    drop(first); // died before the page was stored

    assert_eq!(
        store
            .checkpoint(&cs_harvest().checkpoint_key())
            .await
            .expect("read"),
        None
    );
    let mut second = start(&clock, &server, &store, cs_harvest()).await;
    assert_eq!(second.resumed_from(), None);
    second.next_page().await.expect("fetch").expect("a page");

    assert_eq!(server.queries(), vec![FIRST_CS_REQUEST, FIRST_CS_REQUEST]);
}

#[tokio::test]
async fn follow_up_requests_send_only_the_verb_and_the_token() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let (_test_store, store) = open_store().await;
    let mut harvester = start(&clock, &server, &store, cs_harvest()).await;

    let mut pages = 0;
    while let Some(page) = harvester.next_page().await.expect("fetch") {
        store_page(&store, &page).await;
        harvester.page_stored().await.expect("checkpoint");
        pages += 1;
    }

    assert_eq!(pages, 2);
    assert_eq!(server.queries(), vec![FIRST_CS_REQUEST, SECOND_CS_REQUEST]);
    assert_eq!(gaps(&server.requests()), vec![secs(3)]);
    assert_eq!(
        store
            .checkpoint(&cs_harvest().checkpoint_key())
            .await
            .expect("read"),
        None
    );
}

#[tokio::test]
async fn an_expired_saved_token_starts_the_harvest_over() {
    let clock = ManualClock::new();
    let server = Replay::start(clock.clone()).await;
    let (_test_store, store) = open_store().await;
    let key = cs_harvest().checkpoint_key();
    store
        .set_checkpoint(&key, Some("4711|2001"))
        .await
        .expect("save");

    let mut harvester = start(&clock, &server, &store, cs_harvest()).await;
    assert_eq!(harvester.resumed_from(), Some("4711|2001"));
    let mut records = 0;
    while let Some(page) = harvester.next_page().await.expect("fetch") {
        records += page.listings.len();
        store_page(&store, &page).await;
        harvester.page_stored().await.expect("checkpoint");
    }

    assert!(harvester.restarted());
    assert_eq!(records, 7);
    assert_eq!(
        server.queries(),
        vec![
            "verb=ListRecords&resumptionToken=4711%7C2001",
            FIRST_CS_REQUEST,
            SECOND_CS_REQUEST,
        ]
    );
    assert_eq!(store.checkpoint(&key).await.expect("read"), None);
}

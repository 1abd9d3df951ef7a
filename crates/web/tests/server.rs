//! What the server does around the pages: the health check, responses too
//! large for the response cache, and the request log.

mod common;

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::http::StatusCode;
use chrono::NaiveDate;
use common::*;
use dailypapers_domain::{ArxivId, Listing, Organization};
use dailypapers_store::collections as c;
use dailypapers_store::{
    Counts, EmbeddingProgress, EmbeddingWork, FeedQuery, ImportOutcome, Lease, NewEmbedding,
    PaperChange, Store, StoreError, StoredEmbedding,
};
use dailypapers_web::{AppState, WebConfig, router};

/// A store whose `counts` always fails and whose `ping` fails on demand.
struct ProbedStore {
    inner: Arc<dyn Store>,
    down: AtomicBool,
    pings: std::sync::atomic::AtomicU32,
}

fn broken(what: &str) -> StoreError {
    StoreError::Corrupt(format!("{what} is not available in this test"))
}

/// Collections as the inner store keeps them.
#[async_trait]
impl dailypapers_store::Collections for ProbedStore {
    async fn create_collection(
        &self,
        new: &c::NewCollection,
    ) -> Result<Result<c::Collection, c::CreateRefusal>, StoreError> {
        self.inner.create_collection(new).await
    }
    async fn collection(&self, id: &str) -> Result<Option<c::Collection>, StoreError> {
        self.inner.collection(id).await
    }
    async fn collection_items(&self, id: &str) -> Result<Vec<c::CollectionItem>, StoreError> {
        self.inner.collection_items(id).await
    }
    async fn change_collection(
        &self,
        id: &str,
        change: &c::CollectionChange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Result<c::Collection, c::ChangeRefusal>, StoreError> {
        self.inner.change_collection(id, change, now).await
    }
    async fn delete_collection(&self, id: &str) -> Result<bool, StoreError> {
        self.inner.delete_collection(id).await
    }
    async fn add_collection_item(
        &self,
        new: &c::NewItem,
    ) -> Result<Result<c::CollectionItem, c::AddRefusal>, StoreError> {
        self.inner.add_collection_item(new).await
    }
    async fn change_collection_item(
        &self,
        collection: &str,
        item: &str,
        change: &c::ItemChange,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<c::CollectionItem>, StoreError> {
        self.inner
            .change_collection_item(collection, item, change, now)
            .await
    }
    async fn remove_collection_item(
        &self,
        collection: &str,
        item: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.inner
            .remove_collection_item(collection, item, now)
            .await
    }
    async fn list_collections(
        &self,
        query: &c::CollectionQuery,
    ) -> Result<Vec<(c::Collection, Vec<c::CollectionItem>)>, StoreError> {
        self.inner.list_collections(query).await
    }
}

#[async_trait]
impl Store for ProbedStore {
    async fn import(&self, batch: Vec<Listing>) -> Result<ImportOutcome, StoreError> {
        self.inner.import(batch).await
    }
    async fn listing(&self, id: &ArxivId) -> Result<Option<Listing>, StoreError> {
        self.inner.listing(id).await
    }
    async fn feed(&self, query: &FeedQuery) -> Result<Vec<Listing>, StoreError> {
        self.inner.feed(query).await
    }
    async fn latest_feed_day(&self) -> Result<Option<NaiveDate>, StoreError> {
        self.inner.latest_feed_day().await
    }
    async fn neighbour_feed_days(
        &self,
        day: NaiveDate,
    ) -> Result<(Option<NaiveDate>, Option<NaiveDate>), StoreError> {
        self.inner.neighbour_feed_days(day).await
    }
    async fn organization(&self, name: &str) -> Result<Option<Organization>, StoreError> {
        self.inner.organization(name).await
    }
    async fn checkpoint(&self, key: &str) -> Result<Option<String>, StoreError> {
        self.inner.checkpoint(key).await
    }
    async fn set_checkpoint(&self, key: &str, value: Option<&str>) -> Result<(), StoreError> {
        self.inner.set_checkpoint(key, value).await
    }
    async fn changed_papers(&self, after: u64, limit: u64) -> Result<Vec<PaperChange>, StoreError> {
        self.inner.changed_papers(after, limit).await
    }
    async fn max_seq(&self) -> Result<u64, StoreError> {
        self.inner.max_seq().await
    }
    async fn paper_doc(&self, id: &ArxivId) -> Result<Option<u64>, StoreError> {
        self.inner.paper_doc(id).await
    }
    async fn listings_by_doc(&self, docs: &[u64]) -> Result<Vec<(u64, Listing)>, StoreError> {
        self.inner.listings_by_doc(docs).await
    }
    async fn embedding_work(
        &self,
        model: &str,
        after: u64,
        limit: u64,
    ) -> Result<Vec<EmbeddingWork>, StoreError> {
        self.inner.embedding_work(model, after, limit).await
    }
    async fn save_embeddings(&self, model: &str, rows: &[NewEmbedding]) -> Result<(), StoreError> {
        self.inner.save_embeddings(model, rows).await
    }
    async fn embeddings_since(
        &self,
        model: &str,
        after: u64,
        limit: u64,
    ) -> Result<Vec<StoredEmbedding>, StoreError> {
        self.inner.embeddings_since(model, after, limit).await
    }
    async fn embedding_progress(&self, model: &str) -> Result<EmbeddingProgress, StoreError> {
        self.inner.embedding_progress(model).await
    }
    async fn counts(&self) -> Result<Counts, StoreError> {
        Err(broken("counting"))
    }
    async fn migrations(&self) -> Result<Vec<dailypapers_store::AppliedMigration>, StoreError> {
        Err(broken("listing migrations"))
    }
    fn community(&self) -> &dyn dailypapers_store::Community {
        self.inner.community()
    }
    fn contributions(&self) -> &dyn dailypapers_store::Contributions {
        self.inner.contributions()
    }
    async fn ping(&self) -> Result<(), StoreError> {
        self.pings.fetch_add(1, Ordering::Relaxed);
        if self.down.load(Ordering::Relaxed) {
            Err(broken("the database"))
        } else {
            self.inner.ping().await
        }
    }
    async fn acquire_lease(
        &self,
        name: &str,
        holder: &str,
        ttl: std::time::Duration,
    ) -> Result<bool, StoreError> {
        self.inner.acquire_lease(name, holder, ttl).await
    }
    async fn release_lease(&self, name: &str, holder: &str) -> Result<(), StoreError> {
        self.inner.release_lease(name, holder).await
    }
    async fn leases(&self) -> Result<Vec<Lease>, StoreError> {
        self.inner.leases().await
    }
    async fn claim_embedding_work(
        &self,
        model: &str,
        holder: &str,
        ttl: std::time::Duration,
        after_doc: u64,
        limit: u64,
    ) -> Result<Vec<dailypapers_store::EmbeddingWork>, StoreError> {
        self.inner
            .claim_embedding_work(model, holder, ttl, after_doc, limit)
            .await
    }
    async fn read_rows(
        &self,
        table: &'static dailypapers_store::rows::Table,
        after: Option<dailypapers_store::rows::Value>,
        limit: u64,
    ) -> Result<Vec<dailypapers_store::rows::Row>, StoreError> {
        self.inner.read_rows(table, after, limit).await
    }
    async fn write_rows(
        &self,
        table: &'static dailypapers_store::rows::Table,
        rows: &[dailypapers_store::rows::Row],
    ) -> Result<(), StoreError> {
        self.inner.write_rows(table, rows).await
    }
    async fn backup(&self, dest: &std::path::Path) -> Result<(), StoreError> {
        self.inner.backup(dest).await
    }
    async fn size_bytes(&self) -> Result<u64, StoreError> {
        self.inner.size_bytes().await
    }
    fn describe(&self) -> String {
        self.inner.describe()
    }
    async fn close(&self) {
        self.inner.close().await
    }
}

#[async_trait]
impl dailypapers_store::Trending for ProbedStore {
    async fn trending_activity(
        &self,
        since: chrono::DateTime<chrono::Utc>,
        recent_since: chrono::DateTime<chrono::Utc>,
    ) -> Result<Vec<dailypapers_store::trending::PaperActivity>, StoreError> {
        self.inner.trending_activity(since, recent_since).await
    }
    async fn replace_trending(
        &self,
        scores: &[dailypapers_store::trending::TrendingScore],
        computed_at: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.inner.replace_trending(scores, computed_at).await
    }
    async fn trending(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<dailypapers_store::trending::TrendingListing>, StoreError> {
        self.inner.trending(offset, limit).await
    }
    async fn trending_computed_at(
        &self,
    ) -> Result<Option<chrono::DateTime<chrono::Utc>>, StoreError> {
        self.inner.trending_computed_at().await
    }
}

/// Subscriptions as the inner store keeps them.
#[async_trait]
impl dailypapers_store::Subscriptions for ProbedStore {
    async fn subscribe(
        &self,
        new: &dailypapers_store::subscriptions::NewSubscription,
    ) -> Result<dailypapers_store::subscriptions::Subscribed, StoreError> {
        self.inner.subscribe(new).await
    }
    async fn confirm_subscription(
        &self,
        confirm_hash: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<dailypapers_store::subscriptions::Subscription>, StoreError> {
        self.inner.confirm_subscription(confirm_hash, now).await
    }
    async fn unsubscribe(
        &self,
        token: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<Option<dailypapers_store::subscriptions::Subscription>, StoreError> {
        self.inner.unsubscribe(token, now).await
    }
    async fn subscribers(
        &self,
        frequency: &str,
        after: u64,
        limit: u32,
    ) -> Result<Vec<dailypapers_store::subscriptions::Subscription>, StoreError> {
        self.inner.subscribers(frequency, after, limit).await
    }
    async fn subscriptions_of(
        &self,
        member_id: u64,
        email: &str,
    ) -> Result<Vec<dailypapers_store::subscriptions::Subscription>, StoreError> {
        self.inner.subscriptions_of(member_id, email).await
    }
    async fn digest(
        &self,
        name: &str,
    ) -> Result<Option<dailypapers_store::subscriptions::DigestRecord>, StoreError> {
        self.inner.digest(name).await
    }
    async fn start_digest(
        &self,
        name: &str,
        frequency: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<dailypapers_store::subscriptions::DigestRecord, StoreError> {
        self.inner.start_digest(name, frequency, now).await
    }
    async fn queue_digest(
        &self,
        name: &str,
        mails: &[dailypapers_store::subscriptions::DigestMail],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        self.inner.queue_digest(name, mails, now).await
    }
    async fn finish_digest(
        &self,
        name: &str,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.inner.finish_digest(name, now).await
    }
    async fn recent_digests(
        &self,
        limit: u32,
    ) -> Result<Vec<dailypapers_store::subscriptions::DigestRecord>, StoreError> {
        self.inner.recent_digests(limit).await
    }
    async fn papers_sent(&self, pairs: &[(u64, String)]) -> Result<Vec<(u64, String)>, StoreError> {
        self.inner.papers_sent(pairs).await
    }
}

/// The outbox as the inner store keeps it.
#[async_trait]
impl dailypapers_store::Outbox for ProbedStore {
    async fn enqueue_mail(
        &self,
        mails: &[dailypapers_store::outbox::NewMail],
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        self.inner.enqueue_mail(mails, now).await
    }
    async fn claim_mail(
        &self,
        holder: &str,
        now: chrono::DateTime<chrono::Utc>,
        lease: std::time::Duration,
        limit: u32,
    ) -> Result<Vec<dailypapers_store::outbox::ClaimedMail>, StoreError> {
        self.inner.claim_mail(holder, now, lease, limit).await
    }
    async fn mail_sent(
        &self,
        id: u64,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<(), StoreError> {
        self.inner.mail_sent(id, now).await
    }
    async fn mail_deferred(
        &self,
        id: u64,
        due: chrono::DateTime<chrono::Utc>,
        error: &str,
    ) -> Result<(), StoreError> {
        self.inner.mail_deferred(id, due, error).await
    }
    async fn mail_failed(
        &self,
        id: u64,
        error: &str,
        permanent: bool,
        suspend_after: u32,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<bool, StoreError> {
        self.inner
            .mail_failed(id, error, permanent, suspend_after, now)
            .await
    }
    async fn outbox_counts(
        &self,
        now: chrono::DateTime<chrono::Utc>,
    ) -> Result<dailypapers_store::outbox::OutboxCounts, StoreError> {
        self.inner.outbox_counts(now).await
    }
    async fn mail_state(&self, message_id: &str) -> Result<Option<String>, StoreError> {
        self.inner.mail_state(message_id).await
    }
}

#[async_trait]
impl dailypapers_store::Moderation for ProbedStore {
    async fn find_members(
        &self,
        name: Option<&str>,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<dailypapers_store::community::Member>, StoreError> {
        self.inner.find_members(name, offset, limit).await
    }
    async fn hidden_comments(
        &self,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<dailypapers_store::community::Comment>, StoreError> {
        self.inner.hidden_comments(offset, limit).await
    }
    async fn add_rate_hits(
        &self,
        hits: &[dailypapers_store::moderation::RateHits],
    ) -> Result<Vec<u32>, StoreError> {
        self.inner.add_rate_hits(hits).await
    }
    async fn prune_rate_limits(
        &self,
        before: chrono::DateTime<chrono::Utc>,
    ) -> Result<u64, StoreError> {
        self.inner.prune_rate_limits(before).await
    }
}

async fn probed_app() -> (TestApp, Arc<ProbedStore>) {
    let test = app().await;
    let store = Arc::new(ProbedStore {
        inner: test.store.clone(),
        down: AtomicBool::new(false),
        pings: Default::default(),
    });
    let state = AppState {
        store: store.clone(),
        search: test.search.clone(),
        config: Arc::new(WebConfig::default()),
        ops: Default::default(),
    };
    let test = TestApp {
        router: router(state),
        ..test
    };
    (test, store)
}

#[tokio::test]
async fn the_health_check_pings_the_store() {
    let (app, store) = probed_app().await;
    let r = app.get("/healthz").await;
    assert_eq!((r.status, r.body.as_str()), (StatusCode::OK, "ok"));
    assert_eq!(store.pings.load(Ordering::Relaxed), 1);
    store.down.store(true, Ordering::Relaxed);
    let r = app.get("/healthz").await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(
        r.body.starts_with("store unavailable: ") && r.body.contains("not available"),
        "{}",
        r.body
    );
    assert_eq!(store.pings.load(Ordering::Relaxed), 2);
}

/// A listing on `day` whose abstract is `bytes` long.
fn huge_listing(day: &str, bytes: usize) -> Listing {
    let mut l = listings(&fixture("2025-12-01"), "2025-12-01").remove(0);
    l.paper.id = "2512.00001".parse().unwrap();
    l.paper.summary = "word ".repeat(bytes / 5);
    let entry = l.entry.as_mut().unwrap();
    entry.paper_id = l.paper.id.clone();
    entry.feed_day = day.parse().unwrap();
    entry.submitted_at = Some(format!("{day}T08:00:00Z").parse().unwrap());
    l
}

#[tokio::test]
async fn responses_too_large_to_cache_are_sent_whole() {
    let app = app().await;
    let size = dailypapers_web::cache::MAX_BODY + 1024 * 1024;
    app.store
        .import(vec![huge_listing("2025-12-02", size)])
        .await
        .unwrap();
    let uri = "/api/daily_papers?date=2025-12-02";
    // Twice each, since the first response may fill the cache.
    for _ in 0..2 {
        for accept in ["identity", "gzip"] {
            let r = app.get_with(uri, &[("accept-encoding", accept)]).await;
            assert_eq!(r.status, StatusCode::OK, "{accept}");
            assert!(r.body.len() > size, "{accept}: {} bytes", r.body.len());
            let items = r.json();
            assert_eq!(items[0]["paper"]["id"], "2512.00001");
            assert_eq!(
                items[0]["paper"]["summary"].as_str().unwrap().len(),
                size / 5 * 5
            );
            assert_eq!(r.header("cache-control"), "public, max-age=30");
        }
    }
    // Smaller responses are still cached.
    let before = app.get("/api/daily_papers?date=2025-12-01").await;
    let mut l = listings(&fixture("2025-12-01"), "2025-12-01").remove(0);
    l.paper.title = "A renamed paper".into();
    app.store.import(vec![l]).await.unwrap();
    let after = app.get("/api/daily_papers?date=2025-12-01").await;
    assert_eq!(after.body, before.body);
}

/// Collects what a `tracing` subscriber writes.
#[derive(Clone, Default)]
struct Captured(Arc<Mutex<Vec<u8>>>);

impl Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Captured {
    type Writer = Captured;
    fn make_writer(&'a self) -> Self::Writer {
        self.clone()
    }
}

impl Captured {
    fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

/// Runs `f` with a log subscriber filtered by `filter`, and returns the log.
async fn logged<F: Future<Output = ()>>(filter: &str, f: F) -> String {
    let out = Captured::default();
    let subscriber = tracing_subscriber::fmt()
        .with_env_filter(tracing_subscriber::EnvFilter::new(filter))
        .with_writer(out.clone())
        .with_ansi(false)
        .finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    f.await;
    out.text()
}

#[tokio::test]
async fn requests_are_logged_at_debug_level() {
    let (app, store) = probed_app().await;
    // What `DAILYPAPERS_LOG=info,sqlx=warn,tower_http=debug` shows.
    let log = logged("info,sqlx=warn,tower_http=debug", async {
        app.get("/?date=2025-12-01").await;
        app.get("/no/such/page").await;
    })
    .await;
    let lines: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("finished processing request"))
        .collect();
    assert_eq!(lines.len(), 2, "{log}");
    for (line, uri, status) in [
        (lines[0], "/?date=2025-12-01", 200),
        (lines[1], "/no/such/page", 404),
    ] {
        assert!(line.contains("DEBUG"), "{line}");
        assert!(line.contains("method=GET"), "{line}");
        assert!(line.contains(&format!("uri={uri} ")), "{line}");
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(line.contains("latency="), "{line}");
    }
    // The default filter leaves successful requests out, but not server errors.
    store.down.store(true, Ordering::Relaxed);
    let log = logged("info,sqlx=warn,tower_http=info", async {
        app.get("/?date=2025-12-01").await;
        app.get("/healthz").await;
    })
    .await;
    assert!(!log.contains("finished processing request"), "{log}");
    assert!(!log.contains("2025-12-01"), "{log}");
    let failures: Vec<&str> = log
        .lines()
        .filter(|l| l.contains("response failed"))
        .collect();
    assert_eq!(failures.len(), 1, "{log}");
    assert!(failures[0].contains("ERROR"), "{log}");
    assert!(failures[0].contains("503"), "{log}");
}

//! The engine kept in step with the store as the server runs it: papers
//! imported while the background loop runs become searchable by keyword and
//! by meaning; the embeddings and the saved vector index survive a restart,
//! so nothing is embedded twice.

use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use dailypapers_domain::{Listing, Paper};
use dailypapers_search::query::SearchQuery;
use dailypapers_search::{EngineOptions, Mode, SearchEngine, SearchRequest};
use dailypapers_store::Store;
use dailypapers_store::testing::fresh_store;

fn model_dir() -> PathBuf {
    let dir = match std::env::var_os("DAILYPAPERS_MODEL_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../models/all-MiniLM-L6-v2"),
    };
    assert!(
        dir.join("model.safetensors").exists(),
        "no model in {}: run `make model`",
        dir.display()
    );
    dir
}

fn paper(id: &str, title: &str, summary: &str) -> Listing {
    Listing::paper_only(Paper::new(id.parse().unwrap(), title, summary))
}

fn papers() -> Vec<Listing> {
    vec![
        paper(
            "2501.00001",
            "Speculative decoding for fast language model inference",
            "A small draft model proposes tokens that a large model verifies in parallel.",
        ),
        paper(
            "2501.00002",
            "Protein structure prediction with deep learning",
            "We predict the three-dimensional shape of proteins from their amino acid sequence.",
        ),
        paper(
            "2501.00003",
            "Galaxy rotation curves and dark matter halos",
            "Observations of spiral galaxies constrain the distribution of dark matter.",
        ),
    ]
}

fn request(q: &str, mode: Mode) -> SearchRequest {
    SearchRequest::new(SearchQuery::parse(q, Default::default()).unwrap(), mode, 3)
}

async fn wait_until_embedded(engine: &SearchEngine, n: u64) {
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let status = engine.status().await.unwrap();
        if status.keyword_indexed == n && status.embedded == n && status.vectors == n {
            return;
        }
        assert!(Instant::now() < deadline, "not caught up: {status:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn imported_papers_become_searchable_and_survive_a_restart() {
    let test_store = fresh_store().await;
    let store: Arc<dyn Store> = test_store.store.clone();
    let dir = test_store.dir();
    let options = EngineOptions {
        model_dir: model_dir(),
        ..EngineOptions::default()
    };
    let engine = Arc::new(SearchEngine::open(store.clone(), dir, options.clone()).unwrap());
    let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
    let background = tokio::spawn(dailypapers_search::background::keep_up(
        engine.clone(),
        Duration::from_millis(50),
        true,
        async {
            let _ = stopped.await;
        },
    ));

    store.import(papers()).await.unwrap();
    wait_until_embedded(&engine, 3).await;
    let found = engine
        .search(request(
            "how do stars move around the centre of a galaxy",
            Mode::Semantic,
        ))
        .await
        .unwrap();
    assert_eq!(found.hits[0].listing.paper.id.as_str(), "2501.00003");
    let found = engine
        .search(request("speculative", Mode::Keyword))
        .await
        .unwrap();
    assert_eq!(found.hits[0].listing.paper.id.as_str(), "2501.00001");

    // Stopping saves the vector index beside the keyword index.
    stop.send(()).unwrap();
    background.await.unwrap();
    assert!(dir.join("index/vectors.current").exists());

    // A restart loads it: every vector is there before any catching up,
    // and nothing is left to embed.
    let again = SearchEngine::open(store.clone(), dir, options).unwrap();
    assert_eq!(again.sizes(), (3, 3));
    assert_eq!(again.embed_pending(&|_| {}).await.unwrap(), 0);
    let similar = again
        .similar(&"2501.00001".parse().unwrap(), 5)
        .await
        .unwrap()
        .expect("a stored paper");
    assert_eq!(
        similar.len(),
        2,
        "the paper itself is not similar to itself"
    );
    assert!(
        similar
            .iter()
            .all(|(l, _)| l.paper.id.as_str() != "2501.00001")
    );

    // A changed abstract is embedded again; a changed upvote count is not.
    let mut changed = papers().remove(1);
    changed.paper.upvotes = Some(5);
    store.import(vec![changed]).await.unwrap();
    again.catch_up_keyword().await.unwrap();
    assert_eq!(again.embed_pending(&|_| {}).await.unwrap(), 0);
    let rewritten = paper(
        "2501.00002",
        "Protein structure prediction with deep learning",
        "A new abstract about folding proteins with attention.",
    );
    store.import(vec![rewritten]).await.unwrap();
    assert_eq!(again.embed_pending(&|_| {}).await.unwrap(), 1);
}

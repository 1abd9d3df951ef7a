//! Serves the site on 127.0.0.1:8099 over a temporary store filled with every
//! recorded Hugging Face response in `fixtures/hf-daily-papers/`, to look at
//! the pages in a browser:
//!
//! ```sh
//! cargo run -p dailypapers-web --example preview
//! ```
//!
//! With `PREVIEW_STRESS=1`, one more paper on the latest day has an
//! unbreakable title, very long links and a hundred authors, to check that
//! nothing overflows a phone's width.

use std::path::PathBuf;
use std::sync::Arc;

use dailypapers_domain::{Author, FeedEntry, Listing, Organization, Paper};
use dailypapers_ingest::hf_daily::{HfOptions, parse};
use dailypapers_store::{SqliteStore, Store};
use dailypapers_web::{AppState, WebConfig, router};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = Arc::new(SqliteStore::open(dir.path()).await?);
    let fixtures = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../fixtures/hf-daily-papers");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&fixtures)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    for file in &files {
        let day = file
            .file_stem()
            .and_then(|s| s.to_str())
            .and_then(|s| s.parse().ok());
        let options = HfOptions {
            fallback_day: day,
            time_zone: Default::default(),
        };
        let batch: Vec<_> = parse(&std::fs::read_to_string(file)?, &options)?
            .into_iter()
            .filter_map(Result::ok)
            .collect();
        store.import(batch).await?;
    }
    if std::env::var_os("PREVIEW_STRESS").is_some() {
        store.import(vec![stress_listing()]).await?;
    }
    let counts = store.counts().await?;
    let state = AppState {
        store,
        config: Arc::new(WebConfig::default()),
    };
    let addr = std::env::var("PREVIEW_ADDR").unwrap_or_else(|_| "127.0.0.1:8099".into());
    let listener = tokio::net::TcpListener::bind(&addr).await?;
    println!(
        "{} papers from {} files on http://{addr}/",
        counts.papers,
        files.len()
    );
    axum::serve(listener, router(state)).await?;
    Ok(())
}

fn stress_listing() -> Listing {
    let long = "Supercalifragilistic".repeat(12);
    let mut p = Paper::new(
        "2512.00001".parse().expect("valid id"),
        &format!("{long}: a title without a single place to break it"),
        &"averyveryverylongwordwithoutspaces".repeat(20),
    );
    p.authors = (0..100)
        .map(|i| Author::named(format!("Author Number{i} With-A-Long-Name")))
        .collect();
    p.upvotes = Some(99);
    p.github_repo = Some(format!("https://github.com/{long}/{long}"));
    p.github_stars = Some(123_456);
    p.project_page = Some(format!("https://example.org/{long}"));
    p.doi = Some(format!("10.1000/{long}"));
    p.comments = Some(long.clone());
    p.categories = vec!["cs.CL".into(), "cs.LG".into()];
    let org = Organization {
        name: "long-org".into(),
        fullname: format!("The {long} Institute"),
        hf_id: None,
        avatar: None,
    };
    let entry = FeedEntry {
        paper_id: p.id.clone(),
        feed_day: "2025-12-01".parse().expect("valid day"),
        submitted_at: "2025-12-01T05:00:00Z".parse().expect("valid time"),
        submitted_by: None,
        listed_at: None,
        thumbnail: None,
        num_comments: 1234,
        organization: Some(org),
        is_author_participating: false,
        media_urls: vec![],
    };
    Listing {
        paper: p,
        entry: Some(entry),
    }
}

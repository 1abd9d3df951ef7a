//! The papers matching a saved search: keyword search (a digest lists
//! papers that match the query, with its exclusions and phrases, not the
//! nearest ones to it) over papers published since a day, best first.

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use dailypapers_domain::Listing;
use dailypapers_search::keyword::{Filters, Sort};
use dailypapers_search::query::{ParseOptions, SearchQuery};
use dailypapers_search::{Mode, SearchEngine, SearchRequest};

/// Finds the papers of a saved search.
#[async_trait]
pub trait Matcher: Send + Sync {
    /// Up to `limit` papers matching `query`, published on or after
    /// `since`, best first.
    async fn matching(
        &self,
        query: &str,
        since: NaiveDate,
        limit: usize,
    ) -> Result<Vec<Listing>, String>;
}

#[async_trait]
impl Matcher for Arc<SearchEngine> {
    async fn matching(
        &self,
        query: &str,
        since: NaiveDate,
        limit: usize,
    ) -> Result<Vec<Listing>, String> {
        let parsed =
            SearchQuery::parse(query, ParseOptions::default()).map_err(|e| e.to_string())?;
        let request = SearchRequest {
            filters: Filters {
                from: Some(since),
                ..Filters::default()
            },
            sort: Sort::Relevance,
            ..SearchRequest::new(parsed, Mode::Keyword, limit)
        };
        let found = self.search(request).await.map_err(|e| e.to_string())?;
        Ok(found.hits.into_iter().map(|h| h.listing).collect())
    }
}

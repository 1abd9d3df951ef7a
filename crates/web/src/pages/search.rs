//! The search page, `/search?q=`: hybrid search (keyword and meaning) by
//! default, with the mode, filters (dates, category, organisation) and sort
//! in a form above the results, a result count, highlighted snippets, pages
//! of results, and help when nothing matches. The search box itself is in
//! the header of every page.

use askama::Template;
use axum::extract::rejection::QueryRejection;
use axum::extract::{Query, State};
use axum::response::{Html, IntoResponse, Response};
use dailypapers_search::engine::MAX_RESULTS;
use dailypapers_search::{EngineError, Mode, SearchResults};

use crate::api::{int_param, non_empty};
use crate::search_params::{SearchParams, request};
use crate::view::{Card, Layout, Nav};
use crate::{AppError, AppState};

/// How many results a page shows.
pub const RESULTS_PER_PAGE: usize = 20;

/// One way to search, as a tab above the results.
struct ModeTab {
    value: &'static str,
    label: &'static str,
    current: bool,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage<'a> {
    layout: Layout<'a>,
    query: &'a str,
    count: String,
    notice: Option<String>,
    modes: Vec<ModeTab>,
    mode: &'static str,
    from: &'a str,
    to: &'a str,
    category: &'a str,
    org: &'a str,
    sort: &'a str,
    filters_open: bool,
    cards: Vec<Card<'a>>,
    prev_href: Option<String>,
    next_href: Option<String>,
    semantic_help: bool,
}

/// `GET /search`.
pub async fn results(
    State(state): State<AppState>,
    params: Result<Query<SearchParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Query(params) = params?;
    let page_no = int_param(
        "page",
        params.page.as_deref(),
        1,
        (MAX_RESULTS / RESULTS_PER_PAGE) as u64,
        "a page number from 1 to 50",
    )?
    .unwrap_or(1) as usize;
    let offset = (page_no - 1) * RESULTS_PER_PAGE;
    let query = params.q.as_deref().unwrap_or("").trim();
    let found: Option<SearchResults> = match request(&params, offset, RESULTS_PER_PAGE)? {
        // An empty box is the search page itself, not an error.
        None => None,
        Some(req) => match state.search.search(req).await {
            Ok(found) => Some(found),
            // Without a model the page still answers, with the reason.
            Err(e @ EngineError::SemanticUnavailable(_)) => Some(SearchResults {
                total: 0,
                mode: Mode::Semantic,
                notice: Some(e.to_string()),
                hits: Vec::new(),
            }),
            Err(e) => return Err(e.into()),
        },
    };
    let title = if query.is_empty() {
        "Search".to_string()
    } else {
        format!("“{query}” — search")
    };
    let mut layout = Layout::new(&state, title, Nav::latest());
    layout.query = query;
    let asked = non_empty(params.mode.as_deref()).unwrap_or(Mode::default().as_str());
    let modes = [
        ("hybrid", "Best match"),
        ("keyword", "Exact words"),
        ("semantic", "Similar meaning"),
    ]
    .into_iter()
    .map(|(value, label)| ModeTab {
        value,
        label,
        current: value == asked,
    })
    .collect();
    let (count, notice, cards, total, mode) = match &found {
        None => (String::new(), None, Vec::new(), 0, Mode::default()),
        Some(r) => (
            count_label(r),
            r.notice.clone(),
            r.hits
                .iter()
                .map(|h| {
                    let mut card = Card::of(&h.listing);
                    // A title stored before the limits is shown cut, unmarked.
                    if h.listing.paper.title.len() <= dailypapers_domain::limits::TITLE_CHARS {
                        card.title_html = Some(h.title.to_html());
                    }
                    if !h.snippet.text.is_empty() {
                        card.excerpt_html = Some(h.snippet.to_html());
                    }
                    card
                })
                .collect(),
            r.total,
            r.mode,
        ),
    };
    let href = |page: usize| {
        let mut url = url::form_urlencoded::Serializer::new(String::new());
        url.append_pair("q", query);
        for (k, v) in [
            ("mode", &params.mode),
            ("from", &params.from),
            ("to", &params.to),
            ("category", &params.category),
            ("org", &params.org),
            ("sort", &params.sort),
        ] {
            if let Some(v) = non_empty(v.as_deref()) {
                url.append_pair(k, v);
            }
        }
        if page > 1 {
            url.append_pair("page", &page.to_string());
        }
        format!("/search?{}", url.finish())
    };
    let shown_to = offset + cards.len();
    if !query.is_empty() {
        // The first page of the same search is its feed.
        layout = layout.with_feeds(&href(1));
    }
    let page = SearchPage {
        layout,
        query,
        count,
        notice,
        modes,
        mode: mode.as_str(),
        from: non_empty(params.from.as_deref()).unwrap_or(""),
        to: non_empty(params.to.as_deref()).unwrap_or(""),
        category: non_empty(params.category.as_deref()).unwrap_or(""),
        org: non_empty(params.org.as_deref()).unwrap_or(""),
        sort: non_empty(params.sort.as_deref()).unwrap_or("relevance"),
        filters_open: params.has_filters(),
        prev_href: (page_no > 1).then(|| href(page_no - 1)),
        next_href: (shown_to < total.min(MAX_RESULTS) && cards.len() == RESULTS_PER_PAGE)
            .then(|| href(page_no + 1)),
        semantic_help: mode == Mode::Keyword && state.search.semantic_unavailable().is_none(),
        cards,
    };
    Ok(Html(page.render()?).into_response())
}

fn count_label(r: &SearchResults) -> String {
    match (r.total, r.mode) {
        (0, _) => "No papers".to_string(),
        (1, _) => "1 paper".to_string(),
        (n, Mode::Keyword) => format!("{} papers", thousands(n)),
        (n, _) => format!("About {} papers", thousands(n)),
    }
}

fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, ch) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(ch);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_read_naturally() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1000), "1,000");
        assert_eq!(thousands(1234567), "1,234,567");
    }
}

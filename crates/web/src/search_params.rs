//! The search parameters the search page and `/api/search` share, checked
//! and turned into a [`SearchRequest`]. A bad value is a 400 that names the
//! parameter and says what is expected.

use chrono::NaiveDate;
use dailypapers_search::engine::MAX_RESULTS;
use dailypapers_search::keyword::{Filters, Sort};
use dailypapers_search::query::{ParseOptions, QueryError, SearchQuery};
use dailypapers_search::{Mode, SearchRequest};
use serde::Deserialize;

use crate::AppError;
use crate::api::{int_param, non_empty};

/// The longest organisation handle accepted.
const MAX_ORG_CHARS: usize = 100;
/// At most this many categories in one filter.
const MAX_CATEGORIES: usize = 10;

/// The query string of a search, as sent.
#[derive(Debug, Default, Deserialize)]
pub struct SearchParams {
    pub q: Option<String>,
    pub mode: Option<String>,
    pub from: Option<String>,
    pub to: Option<String>,
    pub category: Option<String>,
    pub org: Option<String>,
    pub sort: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
    /// The results page (search page only), from 1.
    pub page: Option<String>,
    /// Search-as-you-type: the last word is a prefix.
    pub prefix: Option<String>,
}

impl SearchParams {
    /// Whether anything but the query is set (the page shows the filters open).
    pub fn has_filters(&self) -> bool {
        [&self.from, &self.to, &self.category, &self.org]
            .iter()
            .any(|v| non_empty(v.as_deref()).is_some())
    }
}

/// Checks every parameter and builds the request; `None` when `q` holds
/// nothing searchable (blank, or only punctuation), which the page shows as
/// the empty search page and the API refuses. `offset`/`limit` are
/// validated by the caller's rules.
pub fn request(
    params: &SearchParams,
    offset: usize,
    limit: usize,
) -> Result<Option<SearchRequest>, AppError> {
    let prefix = matches!(
        non_empty(params.prefix.as_deref()),
        Some("1" | "true" | "yes")
    );
    let query = match SearchQuery::parse(params.q.as_deref().unwrap_or(""), ParseOptions { prefix })
    {
        Ok(query) => query,
        Err(QueryError::Empty) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    let mode = match non_empty(params.mode.as_deref()) {
        None => Mode::default(),
        Some(m) => m
            .parse::<Mode>()
            .map_err(|e| AppError::bad_request(format!("invalid mode: {e}")))?,
    };
    Ok(Some(SearchRequest {
        query,
        mode,
        filters: filters(params)?,
        sort: sort(params.sort.as_deref())?,
        offset,
        limit,
    }))
}

/// The `offset` and `limit` of `/api/search`.
pub fn api_window(params: &SearchParams, default_limit: usize) -> Result<(usize, usize), AppError> {
    let limit = int_param(
        "limit",
        params.limit.as_deref(),
        1,
        100,
        "an integer from 1 to 100",
    )?
    .map_or(default_limit, |n| n as usize);
    let max_offset = (MAX_RESULTS - limit) as u64;
    let offset = int_param(
        "offset",
        params.offset.as_deref(),
        0,
        max_offset,
        &format!("an integer from 0 to {max_offset} (search reads at most {MAX_RESULTS} results)"),
    )?
    .unwrap_or(0) as usize;
    Ok((offset, limit))
}

fn filters(params: &SearchParams) -> Result<Filters, AppError> {
    let from = date("from", params.from.as_deref())?;
    let to = date("to", params.to.as_deref())?;
    if let (Some(f), Some(t)) = (from, to)
        && f > t
    {
        return Err(AppError::bad_request(format!(
            "invalid from/to: from ({f}) is after to ({t})"
        )));
    }
    let mut categories = Vec::new();
    if let Some(raw) = non_empty(params.category.as_deref()) {
        for c in raw.split(',').map(str::trim).filter(|c| !c.is_empty()) {
            if !is_category(c) {
                return Err(AppError::bad_request(format!(
                    "invalid category {:?}: expected an arXiv category such as cs.CL or hep-th \
                     (several separated by commas)",
                    c.chars().take(40).collect::<String>()
                )));
            }
            categories.push(c.to_owned());
        }
        if categories.len() > MAX_CATEGORIES {
            return Err(AppError::bad_request(format!(
                "invalid category: at most {MAX_CATEGORIES} categories"
            )));
        }
    }
    let organization = match non_empty(params.org.as_deref()) {
        None => None,
        Some(o) if o.chars().count() <= MAX_ORG_CHARS && !o.chars().any(char::is_control) => {
            Some(o.to_owned())
        }
        Some(_) => {
            return Err(AppError::bad_request(format!(
                "invalid org: expected an organisation handle such as nvidia, at most {MAX_ORG_CHARS} characters"
            )));
        }
    };
    Ok(Filters {
        from,
        to,
        categories,
        organization,
    })
}

fn date(name: &str, value: Option<&str>) -> Result<Option<NaiveDate>, AppError> {
    let Some(raw) = non_empty(value) else {
        return Ok(None);
    };
    NaiveDate::parse_from_str(raw, "%Y-%m-%d")
        .map(Some)
        .map_err(|_| {
            AppError::bad_request(format!(
                "invalid {name} {:?}: expected a date as YYYY-MM-DD",
                raw.chars().take(40).collect::<String>()
            ))
        })
}

fn sort(value: Option<&str>) -> Result<Sort, AppError> {
    non_empty(value).map_or(Ok(Sort::Relevance), |v| {
        v.parse()
            .map_err(|e| AppError::bad_request(format!("invalid sort: {e}")))
    })
}

/// An arXiv category's shape: `archive` or `archive.SUBJECT`
/// (`cs.CL`, `hep-th`, `math.AG`, `physics.comp-ph`).
fn is_category(c: &str) -> bool {
    let (archive, subject) = match c.split_once('.') {
        Some((a, s)) => (a, Some(s)),
        None => (c, None),
    };
    let word = |s: &str, upper: bool| {
        !s.is_empty()
            && s.len() <= 16
            && s.chars().all(|ch| {
                ch.is_ascii_lowercase() || ch == '-' || (upper && ch.is_ascii_uppercase())
            })
    };
    word(archive, false) && subject.is_none_or(|s| word(s, true))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn categories_have_the_arxiv_shape() {
        for ok in [
            "cs.CL",
            "hep-th",
            "math.AG",
            "physics.comp-ph",
            "stat.ML",
            "q-bio.NC",
        ] {
            assert!(is_category(ok), "{ok}");
        }
        for bad in [
            "",
            "cs.",
            ".CL",
            "CS.CL",
            "cs CL",
            "cs.CL;drop",
            "a.b.c",
            "cs/CL",
        ] {
            assert!(!is_category(bad), "{bad}");
        }
    }
}

//! `POST /api/papers/submit` `{arxivId}`: a member puts a paper on today's
//! feed by its arXiv id (the `/submit` page's form posts here too).
//!
//! In order, a submission is refused:
//! - **400** when the id is not an arXiv id (the accepted forms are named);
//! - **409** when the paper is on the feed already (the day is named);
//! - **429** with `Retry-After` when the member has used the day's quota
//!   ([`crate::auth::RateLimits::submit`], counted per UTC day); every
//!   submission that gets this far counts, accepted or not, since each asks
//!   arXiv once;
//! - **503** when arXiv does not answer in time (nothing is stored);
//! - **404** when arXiv does not know the id;
//! - **422** when the paper was first published on arXiv more than the
//!   window ([`SubmitConfig::window_days`], 14 by default) ago.
//!
//! Otherwise the metadata arXiv gave is stored through the import path with
//! a listing on today's feed day (in the feed's time zone) naming the
//! member as submitter, so the paper is on the day's page and in
//! `/api/daily_papers` with `submittedBy` and `submittedOnDailyBy`.
//!
//! Submissions ask arXiv through a [`PoliteClient`] of their own (one
//! connection, [`SubmitConfig`]'s interval between requests, one retry on a
//! busy answer, `Retry-After` honoured up to 5 s), so a long harvest on the
//! scheduler's client never holds a member's request, and a member's
//! request never waits more than [`SubmitConfig::arxiv_wait`].

use std::sync::Arc;
use std::time::Duration;

use axum::extract::State;
use axum::http::HeaderValue;
use axum::response::{IntoResponse, Redirect, Response};
use chrono::{DateTime, Utc};
use dailypapers_domain::contribution::{SUBMIT_WINDOW_DAYS, within_window};
use dailypapers_domain::{ArxivId, FeedEntry, Listing, Submitter};
use dailypapers_ingest::http::{ClientConfig, FetchError, PoliteClient};
use dailypapers_ingest::live::{ARXIV_API_URL, ArxivApi};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{json, no_store};
use crate::auth::Act;
use crate::pages::paper::id_from_path;
use crate::view::paper_href;
use crate::{AppError, AppState};

/// What time it is, for a submission (tests set it).
pub type Now = Arc<dyn Fn() -> DateTime<Utc> + Send + Sync>;

/// How papers are submitted by arXiv id.
#[derive(Clone)]
pub struct SubmitConfig {
    /// The arXiv API submissions ask (see the module docs).
    pub arxiv: ArxivApi,
    /// How many days after its first arXiv publication a paper may be submitted.
    pub window_days: u32,
    /// The longest a submission waits for arXiv: its turn on the client
    /// and the answer, retries included.
    pub arxiv_wait: Duration,
    /// The time: the window, today's feed day and the quota's day follow it.
    pub now: Now,
}

impl std::fmt::Debug for SubmitConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SubmitConfig")
            .field("arxiv", &self.arxiv)
            .field("window_days", &self.window_days)
            .field("arxiv_wait", &self.arxiv_wait)
            .finish_non_exhaustive()
    }
}

impl Default for SubmitConfig {
    fn default() -> Self {
        let client = PoliteClient::new(client_config(
            ClientConfig::default().contact,
            ClientConfig::default().min_interval,
        ))
        .expect("an HTTP client with the default settings");
        SubmitConfig {
            arxiv: ArxivApi::new(
                client,
                url::Url::parse(ARXIV_API_URL).expect("the arXiv API URL is valid"),
            ),
            window_days: SUBMIT_WINDOW_DAYS,
            arxiv_wait: Duration::from_secs(30),
            now: Arc::new(Utc::now),
        }
    }
}

/// The polite client's settings for submissions: arXiv's interval and a
/// contact address as for ingestion, but a member is waiting, so short
/// timeouts and one retry.
pub fn client_config(contact: String, min_interval: Duration) -> ClientConfig {
    ClientConfig {
        contact,
        min_interval,
        connect_timeout: Duration::from_secs(10),
        timeout: Duration::from_secs(20),
        max_retries: 1,
        backoff_base: Duration::from_secs(2),
        backoff_max: Duration::from_secs(5),
        retry_after_max: Duration::from_secs(5),
    }
}

#[derive(Debug, Default, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmitBody {
    /// `2104.12255`, `2104.12255v2`, `astro-ph/0601001`, or an arxiv.org link.
    #[serde(default, alias = "arxiv_id", alias = "id")]
    pub arxiv_id: Option<String>,
}

/// A paper put on the feed.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct SubmittedJson {
    /// The canonical arXiv id.
    pub id: String,
    pub title: String,
    /// The feed day it is listed on (`YYYY-MM-DD`, the feed's time zone).
    pub feed_day: String,
    /// The submitter's username.
    pub submitted_by: String,
    /// When it was submitted (RFC 3339).
    pub submitted_at: String,
    /// Its first publication on arXiv (RFC 3339).
    pub published_at: Option<String>,
    /// Its page on this site.
    pub url: String,
}

/// `POST /api/papers/submit`: see the module docs. A form is answered with
/// a redirect to the paper's page, or, when refused, with the `/submit`
/// page showing why (with the refusal's status).
#[utoipa::path(post, path = "/api/papers/submit", tag = "contributions",
    request_body(content = SubmitBody, content_type = "application/json"),
    responses((status = 200, body = SubmittedJson), (status = 400), (status = 401), (status = 403),
        (status = 404), (status = 409), (status = 422), (status = 429), (status = 503)))]
pub async fn submit(
    State(state): State<AppState>,
    act: Act<SubmitBody>,
) -> Result<Response, AppError> {
    let raw = act.body.value.arxiv_id.clone().unwrap_or_default();
    match submit_paper(&state, &act, &raw).await {
        Ok(done) if act.body.form => Ok(Redirect::to(&done.url).into_response()),
        Ok(done) => Ok(no_store(json(&done)?)),
        Err(e) if act.body.form => crate::pages::submit::refused(&state, &act.viewer, &raw, &e),
        Err(e) => Err(e),
    }
}

/// What an id form error says.
pub const ACCEPTED_FORMS: &str = "expected an arXiv id such as 2104.12255 (or 2104.12255v2), \
     an old-style id such as astro-ph/0601001, or an arxiv.org link to one";

async fn submit_paper(
    state: &AppState,
    act: &Act<SubmitBody>,
    raw: &str,
) -> Result<SubmittedJson, AppError> {
    let config = &state.config.submissions;
    let raw = raw.trim();
    if raw.is_empty() {
        return Err(AppError::bad_request(format!(
            "arxivId: missing; {ACCEPTED_FORMS}"
        )));
    }
    let id = id_from_path(raw).map_err(|_| {
        AppError::bad_request(format!(
            "arxivId: {:?} is not an arXiv id; {ACCEPTED_FORMS}",
            raw.chars().take(80).collect::<String>()
        ))
    })?;
    let paper_id = id.without_version();
    if let Some(day) = listed_on(state, &paper_id).await? {
        return Err(already_listed(&paper_id, day));
    }
    let now = (config.now)();
    quota(state, act.member.id, now).await?;
    let paper = fetch(config, &id).await?;
    let published = paper.published_at.ok_or_else(|| {
        AppError::Unprocessable(format!(
            "arXiv gives no publication date for {paper_id}, so its submission window cannot be checked"
        ))
    })?;
    if !within_window(published, now, config.window_days) {
        let days = (now - published).num_days();
        return Err(AppError::Unprocessable(format!(
            "{paper_id} was first published on arXiv on {}, {days} days ago: a paper can be \
             submitted within {} days of its arXiv publication",
            published.format("%Y-%m-%d"),
            config.window_days
        )));
    }
    let member = &act.member;
    let day = state.config.time_zone.today(now);
    let entry = FeedEntry {
        paper_id: paper_id.clone(),
        feed_day: day,
        submitted_at: Some(now),
        submitted_by: Some(Submitter {
            user: member.username.to_string(),
            fullname: member.display_name.clone(),
            hf_id: None,
            avatar_url: None,
            is_pro: false,
        }),
        listed_at: now,
        thumbnail: None,
        num_comments: 0,
        organization: None,
        submitter_organization: None,
        is_author_participating: false,
        media_urls: Vec::new(),
    };
    let title = paper.title.clone();
    let stored = state
        .store
        .contributions()
        .submit_paper(Listing::new(paper, Some(entry)), member.id, now)
        .await?;
    if let Err(day) = stored {
        return Err(already_listed(&paper_id, day));
    }
    tracing::info!(member = %member.username, paper = %paper_id, %day, "paper submitted");
    Ok(SubmittedJson {
        url: paper_href(paper_id.as_str()),
        id: paper_id.to_string(),
        title,
        feed_day: day.format("%Y-%m-%d").to_string(),
        submitted_by: member.username.to_string(),
        submitted_at: now.to_rfc3339(),
        published_at: Some(published.to_rfc3339()),
    })
}

/// The feed day a paper is listed on, if it is.
async fn listed_on(state: &AppState, id: &ArxivId) -> Result<Option<chrono::NaiveDate>, AppError> {
    Ok(state
        .store
        .listing(id)
        .await?
        .and_then(|l| l.entry.map(|e| e.feed_day)))
}

fn already_listed(id: &ArxivId, day: chrono::NaiveDate) -> AppError {
    AppError::Conflict(format!(
        "{id} is already on the feed: it was listed on {} (see {})",
        day.format("%Y-%m-%d"),
        paper_href(id.as_str())
    ))
}

/// Counts a submission against the member's daily quota (none when it is 0).
async fn quota(state: &AppState, member_id: u64, now: DateTime<Utc>) -> Result<(), AppError> {
    let limit = state.config.accounts.policy.limits.submit;
    if limit.hits == 0 {
        return Ok(());
    }
    let key = format!("submit:{member_id}");
    let Some(wait) = state
        .store
        .community()
        .rate_limit(&key, limit.hits, limit.per, now)
        .await?
    else {
        return Ok(());
    };
    let secs = wait.as_secs().max(1);
    tracing::warn!(member_id, "submission quota reached");
    Err(AppError::TooMany {
        message: format!(
            "you have made the {} submissions a member may make in a day: try again in {} h {} min",
            limit.hits,
            secs / 3600,
            secs % 3600 / 60
        ),
        retry_after: secs,
    })
}

/// The paper arXiv knows by `id`: 404 when it knows none, 503 when it does
/// not answer in time.
async fn fetch(config: &SubmitConfig, id: &ArxivId) -> Result<dailypapers_domain::Paper, AppError> {
    let unavailable = |why: String| {
        AppError::Unavailable(format!(
            "arXiv {why}: nothing was stored; try again in a few minutes"
        ))
    };
    let asked = async {
        let mut pages = config.arxiv.fetch_ids(std::slice::from_ref(id));
        pages.next_page().await
    };
    let page = match tokio::time::timeout(config.arxiv_wait, asked).await {
        Err(_) => {
            tracing::warn!(paper = %id, "arXiv did not answer a submission in time");
            return Err(unavailable(format!(
                "did not answer within {} s",
                config.arxiv_wait.as_secs()
            )));
        }
        Ok(Err(e)) => {
            tracing::warn!(paper = %id, error = %e, "arXiv failed a submission");
            return Err(unavailable(match e {
                FetchError::GaveUp { status, .. } => format!("is busy (HTTP {})", status.as_u16()),
                FetchError::Status { status, .. } => format!("answered HTTP {}", status.as_u16()),
                FetchError::Network { .. } => "cannot be reached".to_string(),
                _ => "sent an answer that cannot be read".to_string(),
            }));
        }
        Ok(Ok(page)) => page,
    };
    let wanted = id.without_version();
    let mut rejected = None;
    for item in page.into_iter().flat_map(|p| p.listings) {
        match item {
            Ok(listing) if listing.paper.id == wanted => return Ok(listing.paper),
            Ok(_) => {}
            Err(r) => rejected = Some(r),
        }
    }
    Err(match rejected {
        Some(r) => AppError::Unprocessable(format!(
            "arXiv's record of {wanted} cannot be stored: {}",
            r.reason
        )),
        None => AppError::not_found(format!(
            "arXiv does not know {id}: check the id (it has no paper of that number{})",
            if id.version().is_some() {
                " and version"
            } else {
                ""
            }
        )),
    })
}

/// Puts the `Retry-After` of a refusal on a page answering it.
pub fn retry_after(err: &AppError, res: &mut Response) {
    if let AppError::TooMany { retry_after, .. } = err {
        res.headers_mut().insert(
            axum::http::header::RETRY_AFTER,
            HeaderValue::from(*retry_after),
        );
    }
}

//! `GET /admin/status`: the status as a small page for the operator — the
//! jobs with their last run and next run, the index lag, the store size.

use askama::Template;
use axum::extract::State;
use axum::response::{Html, IntoResponse, Response};

use crate::status::{self, Status};
use crate::view::{Layout, Nav};
use crate::{AppError, AppState};

struct JobRow {
    name: String,
    what: String,
    schedule: String,
    last_started: String,
    outcome: String,
    tally: String,
    problem: String,
    next_run: String,
    running_on: String,
}

#[derive(Template)]
#[template(path = "admin.html")]
struct AdminPage<'a> {
    layout: Layout<'a>,
    status: Status,
    jobs: Vec<JobRow>,
    store_size: String,
}

fn at(t: chrono::DateTime<chrono::Utc>) -> String {
    t.format("%Y-%m-%d %H:%M:%S UTC").to_string()
}

fn mebibytes(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

/// `GET /admin/status`.
pub async fn status_page(State(state): State<AppState>) -> Result<Response, AppError> {
    let status = status::gather(&state).await?;
    let jobs = status
        .jobs
        .iter()
        .map(|j| {
            let last = j.last_run.as_ref();
            JobRow {
                name: j.name.clone(),
                what: j.description.clone(),
                schedule: j.schedule.clone(),
                last_started: last
                    .map(|r| at(r.started_at))
                    .unwrap_or_else(|| "never".into()),
                outcome: last
                    .map(|r| r.outcome.as_str().to_string())
                    .unwrap_or_default(),
                tally: last
                    .map(|r| {
                        let t = r.tally;
                        format!(
                            "read {}, new {}, updated {}, unchanged {}, rejected {}",
                            t.read, t.new, t.updated, t.unchanged, t.rejected
                        )
                    })
                    .unwrap_or_default(),
                problem: last
                    .and_then(|r| r.problems.first().cloned())
                    .unwrap_or_default(),
                next_run: at(j.next_run),
                running_on: j.running_on.clone().unwrap_or_default(),
            }
        })
        .collect();
    let page = AdminPage {
        layout: Layout::new(&state, "Status", Nav::latest()),
        store_size: mebibytes(status.store.size_bytes),
        status,
        jobs,
    };
    let mut res = Html(page.render()?).into_response();
    res.headers_mut().insert(
        axum::http::header::CACHE_CONTROL,
        axum::http::HeaderValue::from_static("no-store"),
    );
    Ok(res)
}

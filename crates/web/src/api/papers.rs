//! `GET /api/papers/{id}`: one paper as a flat object (see
//! [`HfPaper`], with `numComments`), whether or not it is on the feed.
//! Any id form arXiv uses (and an arXiv URL, and a trailing slash) is accepted
//! and answered directly (HTTP clients do not all follow redirects); an
//! unknown paper is a 404.
//!
//! `GET /api/papers/{id}/similar?limit=`: the papers nearest to it in
//! meaning (the paper itself excluded), each with its cosine similarity;
//! empty while the paper has no embedding yet.

use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::response::Response;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::hf_json::{HfFlatPaper, HfPaper};
use super::{int_param, json};
use crate::pages::paper::id_from_path;
use crate::{AppError, AppState};

/// The most neighbours `/similar` returns.
pub const MAX_SIMILAR: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct SimilarParams {
    limit: Option<String>,
    /// Comments after this one (`/comments`).
    after: Option<String>,
}

/// A neighbour and its cosine similarity to the paper.
#[derive(Serialize, ToSchema)]
struct Similar<'a> {
    paper: HfPaper<'a>,
    score: f32,
}

/// `GET /api/papers/{*id}` (and `{*id}/similar`).
#[utoipa::path(get, path = "/api/papers/{id}", operation_id = "get_paper", tag = "papers",
    params(("id" = String, Path, description = "An arXiv id in any form arXiv uses (2511.22699, 2511.22699v2, astro-ph/0601001) or an arXiv URL.", example = "2511.22699")),
    responses(
        (status = 200, description = "The paper, whether or not it is on the feed.", body = HfFlatPaper),
        (status = 400),
        (status = 404),
    ))]
pub async fn show(
    State(state): State<AppState>,
    raw: Result<Path<String>, PathRejection>,
    params: Result<Query<SimilarParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Path(raw) = raw?;
    if let Some(paper) = raw.strip_suffix("/comments") {
        let Query(params) = params?;
        return super::votes::comments(
            &state,
            paper,
            params.limit.as_deref(),
            params.after.as_deref(),
        )
        .await;
    }
    if let Some(paper) = raw.strip_suffix("/similar") {
        let Query(params) = params?;
        return similar(&state, paper, &params).await;
    }
    let id = id_from_path(&raw)?;
    let listing = state
        .store
        .listing(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("paper {id} not found")))?;
    json(&HfFlatPaper::of(&listing))
}

/// `GET /api/papers/{id}/similar` (served by [`show`]).
#[utoipa::path(get, path = "/api/papers/{id}/similar", operation_id = "similar_papers", tag = "search",
    params(
        ("id" = String, Path, description = "An arXiv id in any form arXiv uses, or an arXiv URL.", example = "2511.22699"),
        ("limit" = Option<u64>, Query, minimum = 1, maximum = 50, description = "How many neighbours (default 10)."),
    ),
    responses(
        (status = 200, description = "The papers nearest in meaning, nearest first (empty while the paper has no embedding).", body = Vec<Similar>),
        (status = 400),
        (status = 404),
        (status = 503),
    ))]
async fn similar(
    state: &AppState,
    raw: &str,
    params: &SimilarParams,
) -> Result<Response, AppError> {
    let id = id_from_path(raw)?;
    let limit = int_param(
        "limit",
        params.limit.as_deref(),
        1,
        MAX_SIMILAR,
        "an integer from 1 to 50",
    )?
    .unwrap_or(10) as usize;
    let found = state
        .search
        .similar(&id, limit)
        .await?
        .ok_or_else(|| AppError::not_found(format!("paper {id} not found")))?;
    if let Some(why) = state.search.semantic_unavailable() {
        return Err(AppError::Unavailable(format!(
            "similar papers are unavailable: {why}"
        )));
    }
    let body: Vec<Similar> = found
        .iter()
        .map(|(listing, score)| Similar {
            paper: HfPaper::of(listing),
            score: *score,
        })
        .collect();
    json(&body)
}

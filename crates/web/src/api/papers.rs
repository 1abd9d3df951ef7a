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

use super::hf_json::HfPaper;
use super::{int_param, json};
use crate::pages::paper::id_from_path;
use crate::{AppError, AppState};

/// The most neighbours `/similar` returns.
pub const MAX_SIMILAR: u64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct SimilarParams {
    limit: Option<String>,
}

#[derive(Serialize)]
struct Similar<'a> {
    paper: HfPaper<'a>,
    score: f32,
}

/// `GET /api/papers/{*id}` (and `{*id}/similar`).
pub async fn show(
    State(state): State<AppState>,
    raw: Result<Path<String>, PathRejection>,
    params: Result<Query<SimilarParams>, QueryRejection>,
) -> Result<Response, AppError> {
    let Path(raw) = raw?;
    if let Some(paper) = raw.strip_suffix("/comments") {
        return super::votes::comments(&state, paper).await;
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
    json(&super::hf_json::HfFlatPaper::of(&listing))
}

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

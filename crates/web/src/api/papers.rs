//! `GET /api/papers/{id}`: one paper as a flat object (see
//! [`HfPaper`]), whether or not it is on the feed.
//! Any id form arXiv uses (and an arXiv URL, and a trailing slash) is accepted
//! and answered directly (HTTP clients do not all follow redirects); an
//! unknown paper is a 404.

use axum::extract::rejection::PathRejection;
use axum::extract::{Path, State};
use axum::response::Response;

use super::hf_json::HfPaper;
use super::json;
use crate::pages::paper::id_from_path;
use crate::{AppError, AppState};

/// `GET /api/papers/{*id}`.
pub async fn show(
    State(state): State<AppState>,
    raw: Result<Path<String>, PathRejection>,
) -> Result<Response, AppError> {
    let Path(raw) = raw?;
    let id = id_from_path(&raw)?;
    let listing = state
        .store
        .listing(&id)
        .await?
        .ok_or_else(|| AppError::not_found(format!("paper {id} not found")))?;
    json(&HfPaper::of(&listing))
}

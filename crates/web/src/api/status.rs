//! `GET /api/status`: what the instance is doing, as JSON (see [`crate::status`]).

use axum::extract::State;
use axum::response::Response;

use super::json;
use crate::{AppError, AppState, status};

/// `GET /api/status`.
#[utoipa::path(get, path = "/api/status", operation_id = "status", tag = "operations",
    responses((status = 200, description = "Jobs, index lag, store size, version.", body = status::Status)))]
pub async fn show(State(state): State<AppState>) -> Result<Response, AppError> {
    json(&status::gather(&state).await?)
}

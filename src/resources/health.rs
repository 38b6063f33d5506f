//! `GET /health`: 200 when the database answers, 503 when it does not; `GET /health/live`: 200
//! while the process serves (no database), the liveness probe. No authentication.

use std::time::Duration;

use axum::extract::State;
use axum::http::StatusCode;
use axum::Json;
use serde_json::{json, Value};

use crate::state::AppState;

pub async fn health(State(state): State<AppState>) -> (StatusCode, Json<Value>) {
    let ping = tokio::time::timeout(Duration::from_secs(2), crate::db::ping(&state.pool)).await;
    match ping {
        Ok(Ok(_)) => (StatusCode::OK, Json(json!({"status": "ok", "database": "ok"}))),
        _ => (StatusCode::SERVICE_UNAVAILABLE, Json(json!({"status": "unavailable", "database": "unavailable"}))),
    }
}

pub async fn live() -> Json<Value> {
    Json(json!({"status": "ok"}))
}

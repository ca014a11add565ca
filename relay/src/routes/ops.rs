//! Operations: liveness with a database check, Prometheus metrics, the stylesheet, and the JSON
//! 404 for unknown paths.

use axum::Json;
use axum::extract::State;
use axum::http::{StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use crate::error::AppError;
use crate::state::AppState;

pub async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    match state.db.ping().await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({"status": "ok", "database": "ok"})),
        ),
        Err(e) => {
            tracing::error!(error = %e, "health check: database unreachable");
            (
                StatusCode::SERVICE_UNAVAILABLE,
                Json(json!({"status": "degraded", "database": "unreachable"})),
            )
        }
    }
}

pub async fn metrics(State(state): State<AppState>) -> impl IntoResponse {
    let mut text = state.metrics.render(
        state.changes.waiting(),
        &state.db.renewal_states().await.unwrap_or_default(),
        state.db.status_cache.is_live(),
    );
    if state.settings.pa.api.is_some() {
        let (depth, oldest) = state.db.pa_outbox().await.unwrap_or_default();
        let age = oldest.map_or(0, |t| (state.clock.now() - t).max(0));
        state.metrics.pa.render(&mut text, (depth, age));
    }
    ([(header::CONTENT_TYPE, "text/plain; version=0.0.4")], text)
}

pub async fn stylesheet() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/css; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        include_str!("../../static/app.css"),
    )
}

pub async fn not_found() -> AppError {
    AppError::NotFound
}

//! The test controls under `/_sandbox`, which Stripe does not have: delivery options (hold,
//! duplicate, delay, drop), flushing held events in either order, settling a SEPA debit or a refund now, and
//! the list of deliveries with the relay's answers.

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use serde_json::json;

use crate::{DeliveryOptions, DeliveryRecord, FlushOrder, Sandbox, api};

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/_sandbox/options", post(set_options))
        .route("/_sandbox/flush", post(flush_handler))
        .route("/_sandbox/sessions/{id}/settle", post(settle_handler))
        .route("/_sandbox/refunds/{id}/{outcome}", post(settle_refund))
        .route("/_sandbox/deliveries", get(deliveries_handler))
}

async fn set_options(
    State(sandbox): State<Sandbox>,
    axum::Json(options): axum::Json<DeliveryOptions>,
) -> Result<axum::Json<DeliveryOptions>, api::StripeError> {
    options.check()?;
    sandbox.set_delivery_options(options.clone());
    Ok(axum::Json(options))
}

#[derive(serde::Deserialize)]
struct FlushQuery {
    order: Option<FlushOrder>,
}

async fn flush_handler(
    State(sandbox): State<Sandbox>,
    Query(q): Query<FlushQuery>,
) -> axum::Json<serde_json::Value> {
    let sent = sandbox.flush(q.order.unwrap_or(FlushOrder::Forward)).await;
    axum::Json(json!({ "flushed": sent }))
}

async fn settle_handler(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
) -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "settled": sandbox.settle(&id) }))
}

/// A pending refund succeeds or fails now, or a succeeded one fails (`outcome`: `succeeded` or
/// `failed`), as a bank would report it later.
async fn settle_refund(
    State(sandbox): State<Sandbox>,
    Path((id, outcome)): Path<(String, String)>,
) -> axum::Json<serde_json::Value> {
    axum::Json(json!({ "settled": sandbox.settle_refund(&id, &outcome) }))
}

async fn deliveries_handler(State(sandbox): State<Sandbox>) -> axum::Json<Vec<DeliveryRecord>> {
    axum::Json(sandbox.deliveries())
}

//! Creating a Stripe Checkout Session for the token's owner. The client always comes from the
//! token, never from the body; nothing is stored unless Stripe created the session.

use axum::Json;
use axum::extract::State;
use erp_btp_protocol::{CheckoutRequest, CheckoutResponse};

use crate::AppState;
use crate::auth::BearerClient;
use crate::domain::ClientId;
use crate::error::{AppError, JsonBody};

pub async fn create(
    State(state): State<AppState>,
    BearerClient(client): BearerClient,
    JsonBody(request): JsonBody<CheckoutRequest>,
) -> Result<Json<CheckoutResponse>, AppError> {
    start_checkout(&state, &client, &request.plan)
        .await
        .map(Json)
}

/// Shared by the API and the renewal page.
pub async fn start_checkout(
    state: &AppState,
    client: &ClientId,
    plan_id: &str,
) -> Result<CheckoutResponse, AppError> {
    let plan = state
        .plans
        .get(plan_id)
        .ok_or_else(|| AppError::UnknownPlan(plan_id.chars().take(40).collect()))?;
    let success = state
        .settings
        .public_url("/payment-success?session_id={CHECKOUT_SESSION_ID}");
    let cancel = state.settings.public_url("/payment-cancelled");
    let (session, url) = state
        .stripe
        .create_session(client, plan, &success, &cancel)
        .await?;
    state
        .db
        .record_new_session(
            &session,
            client,
            &plan.id,
            plan.price_cents,
            state.origin,
            state.clock.now(),
        )
        .await?;
    tracing::info!(target: "stripe_service", "Checkout session created: {session} for client {client}, plan {}", plan.id);
    Ok(CheckoutResponse {
        session_id: session.to_string(),
        url,
    })
}

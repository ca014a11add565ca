//! `POST /api/stripe/webhook`: the `VerifiedEvent` extractor checks Stripe's signature on the raw
//! bytes before anything is parsed; the handler answers 200 only once the event and its effect
//! are committed, and 500 when storage fails so that Stripe retries.

use axum::Json;
use axum::extract::{FromRequest, Request, State};
use serde_json::{Value, json};
use tracing::Instrument;

use crate::error::{AppError, read_body};
use crate::signature;
use crate::state::AppState;
use crate::stripe::{WebhookEvent, parse_event};

pub struct VerifiedEvent {
    pub event: WebhookEvent,
    pub payload: String,
}

impl FromRequest<AppState> for VerifiedEvent {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &AppState) -> Result<Self, AppError> {
        let header = req
            .headers()
            .get("stripe-signature")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let body = read_body(req, state).await?;
        signature::verify(
            header.as_deref(),
            &body,
            &state.stripe_settings.webhook_secrets,
            // Stripe signs every delivery with the real time, test clocks included.
            crate::clock::system_now(),
        )?;
        let payload = String::from_utf8(body.to_vec())
            .map_err(|_| AppError::BadRequest("invalid_event", "Événement non UTF-8.".into()))?;
        let event = parse_event(payload.as_bytes()).map_err(|e| {
            AppError::BadRequest("invalid_event", format!("Événement Stripe illisible : {e}"))
        })?;
        Ok(Self { event, payload })
    }
}

/// Applies the event inside a span naming it (id, type, and the company once known), which the
/// writer's log line for it carries too.
pub async fn receive(
    State(state): State<AppState>,
    verified: VerifiedEvent,
) -> Result<Json<Value>, AppError> {
    let span = tracing::info_span!(
        "webhook",
        event = %verified.event.id,
        r#type = %verified.event.event_type,
        client = tracing::field::Empty,
    );
    apply(state, verified).instrument(span).await
}

async fn apply(state: AppState, verified: VerifiedEvent) -> Result<Json<Value>, AppError> {
    tracing::info!(target: "stripe_service", "Webhook received: {}", verified.event.event_type);
    let work = crate::fulfil::prepare(&state.billing, verified.event, verified.payload).await?;
    let outcome = state.writer.submit(work).await?;
    let label = outcome.label();
    state.metrics.observe_webhook(&label);
    tracing::debug!(outcome = %label, "webhook handled");
    Ok(Json(json!({ "received": true, "outcome": label })))
}

#[cfg(test)]
#[path = "webhook_tests.rs"]
mod tests;

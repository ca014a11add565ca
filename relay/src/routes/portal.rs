//! `POST /api/billing-portal`: a Stripe customer portal session for the token's company, where
//! its admin replaces the card, stops renewal at the period's end or resumes it. Stripe refuses
//! portal sessions until a portal configuration exists, so the relay creates its own once per
//! Stripe mode (card update, cancel at period end; invoice history off, since the factures are
//! the relay's), keeps its id, and makes a new one if Stripe no longer knows it.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use erp_btp_protocol::BillingPortalResponse;

use crate::auth::BearerClient;
use crate::error::AppError;
use crate::routes::pages::page;
use crate::state::AppState;
use crate::stripe::StripeFailure;

pub async fn create(
    State(state): State<AppState>,
    BearerClient(client): BearerClient,
) -> Result<Json<BillingPortalResponse>, AppError> {
    let (customer, _) = state.db.customer(&client).await?.ok_or_else(|| {
        AppError::Conflict(
            "no_customer",
            "Aucun moyen de paiement n'est enregistré chez Stripe : souscrivez d'abord le renouvellement automatique.".into(),
        )
    })?;
    let return_url = state.settings.public_url("/portal-return");
    let key = format!("portal_configuration:{}", state.origin.as_str());
    let mut configuration = match state.db.stripe_setting(&key).await? {
        Some(id) => id,
        None => new_configuration(&state, &key).await?,
    };
    for attempt in 0..2 {
        match state
            .billing
            .portal_session(&customer, &configuration, &return_url)
            .await
        {
            Ok(url) => return Ok(Json(BillingPortalResponse { url })),
            // A configuration made against another Stripe account or a restarted sandbox.
            Err(StripeFailure::NotFound) if attempt == 0 => {
                configuration = new_configuration(&state, &key).await?;
            }
            Err(e) => return Err(e.into()),
        }
    }
    unreachable!("the second attempt returns")
}

async fn new_configuration(state: &AppState, key: &str) -> Result<String, AppError> {
    let id = state.billing.create_portal_configuration().await?;
    state
        .db
        .set_stripe_setting(key, &id, state.clock.timestamp())
        .await?;
    tracing::info!(target: "stripe_service", "Customer portal configuration {id} created");
    Ok(id)
}

#[derive(askama::Template)]
#[template(path = "portal_return.html")]
struct PortalReturnPage;

/// Where the portal sends the admin back: the desktop app refreshes by itself.
pub async fn returned() -> Response {
    page(PortalReturnPage, StatusCode::OK)
}

//! Public JSON: the plans and the Stripe configuration a front end needs (never a secret).

use axum::Json;
use axum::extract::State;
use erp_btp_protocol::{ConfigResponse, PlansResponse};

use crate::state::AppState;

pub async fn plans(State(state): State<AppState>) -> Json<PlansResponse> {
    Json(PlansResponse {
        plans: state.plans.all().to_vec(),
    })
}

pub async fn config(State(state): State<AppState>) -> Json<ConfigResponse> {
    Json(ConfigResponse {
        publishable_key: state.stripe_settings.publishable_key.clone(),
        mode: state.stripe_settings.mode,
    })
}

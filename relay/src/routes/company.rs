//! The company's SIREN, which every facture names its buyer by (BT-47, and BT-49 under scheme
//! 0225): `GET /api/company` tells whether one is on file, `POST /api/company/siren` (Bearer) and
//! the renew page's form (its signed link) set it while none is. A change afterwards goes through
//! the operator (`relay clients set --siren`), so that a token cannot move the company's factures
//! to another legal entity.

use axum::Json;
use axum::extract::{Form, State};
use axum::response::{IntoResponse, Redirect, Response};
use erp_btp_protocol::{CompanyResponse, SirenRequest};
use serde::Deserialize;

use crate::auth::BearerClient;
use crate::db::clients::SirenClaim;
use crate::domain::ClientId;
use crate::error::{AppError, JsonBody};
use crate::routes::pages::{linked_client, renew_page};
use crate::siren::Siren;
use crate::state::AppState;

pub async fn show(
    State(state): State<AppState>,
    BearerClient(client): BearerClient,
) -> Result<Json<CompanyResponse>, AppError> {
    company(&state, &client).await.map(Json)
}

pub async fn set_siren(
    State(state): State<AppState>,
    BearerClient(client): BearerClient,
    JsonBody(request): JsonBody<SirenRequest>,
) -> Result<Json<CompanyResponse>, AppError> {
    claim(&state, &client, &request.siren).await?;
    company(&state, &client).await.map(Json)
}

async fn company(state: &AppState, client: &ClientId) -> Result<CompanyResponse, AppError> {
    let company = state
        .db
        .company(client)
        .await?
        .ok_or(AppError::Unauthorized)?;
    Ok(CompanyResponse {
        client_id: client.to_string(),
        name: company.name,
        siren: company.siren,
    })
}

/// Checks `text` and records it as the company's SIREN unless another one is on file.
async fn claim(state: &AppState, client: &ClientId, text: &str) -> Result<(), AppError> {
    let siren = Siren::parse(text).map_err(|m| AppError::Unprocessable("invalid_siren", m))?;
    let claimed = state
        .db
        .claim_siren(client, &siren)
        .await
        .map_err(|e| match e {
            crate::db::clients::ClientError::Unknown(_) => AppError::Unauthorized,
            other => AppError::Storage(Box::new(other)),
        })?;
    match claimed {
        SirenClaim::Set => {
            tracing::info!(target: "stripe_service", "SIREN recorded for client {client}");
            Ok(())
        }
        SirenClaim::AlreadyThis => Ok(()),
        SirenClaim::AlreadyOther(on_file) => Err(AppError::Conflict(
            "siren_already_set",
            format!(
                "Le SIREN {on_file} est déjà enregistré pour votre entreprise : pour le corriger, contactez l'éditeur de votre logiciel."
            ),
        )),
    }
}

#[derive(Deserialize)]
pub struct SirenForm {
    link: String,
    siren: String,
}

/// The renew page's form: back to the page (303) once the SIREN is recorded, the page with the
/// reason otherwise.
pub async fn renew_siren(State(state): State<AppState>, Form(form): Form<SirenForm>) -> Response {
    let client = match linked_client(&state, &form.link).await {
        Ok(client) => client,
        Err(refused) => return refused,
    };
    match claim(&state, &client, &form.siren).await {
        // The link verified above: base64url and a dot, nothing to escape.
        Ok(()) => Redirect::to(&format!("/renew-subscription?link={}", form.link)).into_response(),
        Err(e) => renew_page(&state, &client, form.link, Some(e)).await,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::StatusCode;

    #[test]
    fn a_mistyped_siren_is_refused_before_anything_is_stored() {
        let e = Siren::parse("732 829 321")
            .map_err(|m| AppError::Unprocessable("invalid_siren", m))
            .unwrap_err();
        let (status, code, message) = e.parts();
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(code, "invalid_siren");
        assert!(message.contains("clé de contrôle"), "{message}");
    }
}

//! The relay's one error type: each variant has a stable `code`, an HTTP status and a French
//! message for whoever reads it; internals (SQL, Stripe's wording) go to the log, not the client.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use erp_btp_protocol::{ErrorBody, ErrorDetail};

use crate::signature::SignatureError;
use crate::stripe::StripeFailure;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("missing or invalid API token")]
    Unauthorized,
    #[error("unknown plan {0}")]
    UnknownPlan(String),
    #[error("bad request: {1}")]
    BadRequest(&'static str, String),
    #[error("invalid webhook signature: {0}")]
    InvalidSignature(#[from] SignatureError),
    #[error("Stripe failed: {0}")]
    Stripe(#[from] StripeFailure),
    #[error("storage failed: {0}")]
    Storage(String),
    #[error("not found")]
    NotFound,
    #[error("request body too large")]
    TooLarge,
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(e.to_string())
    }
}

impl From<crate::writer::WriteError> for AppError {
    fn from(e: crate::writer::WriteError) -> Self {
        Self::Storage(e.message)
    }
}

impl AppError {
    pub fn parts(&self) -> (StatusCode, &'static str, String) {
        match self {
            AppError::Unauthorized => (StatusCode::UNAUTHORIZED, "unauthorized", "Jeton d'API manquant, invalide ou révoqué : vérifiez le jeton de votre entreprise.".into()),
            AppError::UnknownPlan(p) => (StatusCode::BAD_REQUEST, "unknown_plan", format!("Le plan « {p} » n'existe pas : choisissez mensuel ou annuel.")),
            AppError::BadRequest(code, message) => (StatusCode::BAD_REQUEST, code, message.clone()),
            AppError::InvalidSignature(_) => (StatusCode::BAD_REQUEST, "invalid_signature", "Signature Stripe absente ou invalide.".into()),
            AppError::Stripe(_) => (StatusCode::BAD_GATEWAY, "stripe_unavailable", "Le service de paiement Stripe n'a pas pu créer la session : réessayez dans quelques minutes.".into()),
            AppError::Storage(_) => (StatusCode::INTERNAL_SERVER_ERROR, "storage_unavailable", "La base de données est momentanément indisponible : réessayez.".into()),
            AppError::NotFound => (StatusCode::NOT_FOUND, "not_found", "Ressource introuvable.".into()),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("Requête trop volumineuse (maximum {} Kio).", crate::BODY_LIMIT / 1024)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        match &self {
            AppError::Stripe(_) | AppError::Storage(_) => {
                tracing::error!(error = %self, code, "request failed")
            }
            _ => tracing::info!(error = %self, code, "request refused"),
        }
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message,
            },
        };
        (status, Json(body)).into_response()
    }
}

/// Reads a JSON body into `T`, answering the contract's error shape when it cannot.
pub fn parse_json<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<T, AppError> {
    serde_json::from_slice(body)
        .map_err(|e| AppError::BadRequest("invalid_body", format!("Corps JSON invalide : {e}")))
}

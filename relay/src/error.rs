//! The relay's one error type: each variant has a stable `code`, an HTTP status and a French
//! message for whoever reads it; internals (SQL, Stripe's wording) go to the log, not the client.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequest, Request};
use axum::http::header::{CONTENT_TYPE, RETRY_AFTER};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use erp_btp_protocol::{ErrorBody, ErrorDetail};

use crate::signature::SignatureError;
use crate::stripe::StripeFailure;

/// What `Retry-After` says to a client refused for holding too many long polls.
pub const RETRY_AFTER_SECS: u64 = 5;

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
    #[error("Stripe failed")]
    Stripe(#[from] StripeFailure),
    #[error("storage failed")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("not found")]
    NotFound,
    #[error("conflict: {1}")]
    Conflict(&'static str, String),
    /// Well-formed but not acceptable (a SIREN whose check digit is wrong, say).
    #[error("unprocessable: {1}")]
    Unprocessable(&'static str, String),
    #[error("request body too large")]
    TooLarge,
    #[error("body is not declared as JSON")]
    NotJson,
    #[error("request not served within the deadline")]
    Timeout,
    #[error("facture not rendered")]
    Facture(#[source] crate::factures::pdf::PdfError),
    #[error("too many long polls held ({0:?} full)")]
    TooManyWaits(crate::limits::Full),
}

impl From<sqlx::Error> for AppError {
    fn from(e: sqlx::Error) -> Self {
        Self::Storage(Box::new(e))
    }
}

impl From<crate::factures::render::RenderError> for AppError {
    fn from(e: crate::factures::render::RenderError) -> Self {
        use crate::factures::render::RenderError;
        match e {
            RenderError::Storage(e) => e.into(),
            RenderError::Pdf(e) => Self::Facture(e),
        }
    }
}

impl From<crate::writer::WriteError> for AppError {
    fn from(e: crate::writer::WriteError) -> Self {
        Self::Storage(Box::new(e))
    }
}

impl From<crate::reader::ReadError> for AppError {
    fn from(e: crate::reader::ReadError) -> Self {
        Self::Storage(Box::new(e))
    }
}

/// The error and its causes, for the log: `a: b: c`.
pub fn chain(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut source = e.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
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
            AppError::Facture(_) => (StatusCode::INTERNAL_SERVER_ERROR, "facture_unavailable", "La facture n'a pas pu être produite : réessayez ; si cela dure, prévenez l'exploitant du relais.".into()),
            AppError::Conflict(code, message) => (StatusCode::CONFLICT, code, message.clone()),
            AppError::Unprocessable(code, message) => (StatusCode::UNPROCESSABLE_ENTITY, code, message.clone()),
            AppError::TooManyWaits(crate::limits::Full::Token) => (StatusCode::TOO_MANY_REQUESTS, "too_many_waits", format!("Trop d'attentes simultanées pour ce jeton : réessayez dans {RETRY_AFTER_SECS} secondes.")),
            AppError::TooManyWaits(crate::limits::Full::Relay) => (StatusCode::TOO_MANY_REQUESTS, "relay_busy", format!("Le relais est très sollicité : réessayez dans {RETRY_AFTER_SECS} secondes.")),
            AppError::Timeout => (StatusCode::REQUEST_TIMEOUT, "request_timeout", "Le relais n'a pas pu répondre à temps : réessayez dans un instant.".into()),
            AppError::NotJson => (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", "Le corps doit être du JSON envoyé avec l'en-tête Content-Type: application/json.".into()),
            AppError::TooLarge => (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large", format!("Requête trop volumineuse (maximum {} Kio).", crate::limits::BODY_LIMIT / 1024)),
        }
    }
}

impl IntoResponse for AppError {
    fn into_response(self) -> Response {
        let (status, code, message) = self.parts();
        let body = ErrorBody {
            error: ErrorDetail {
                code: code.into(),
                message,
            },
        };
        let mut response = (status, Json(body)).into_response();
        if let AppError::TooManyWaits(_) = self {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(RETRY_AFTER_SECS));
        }
        // Logged by the `metrics::track` layer, with the route: failures always, refusals
        // within a budget.
        if status.is_server_error() {
            response.extensions_mut().insert(crate::metrics::Failed {
                code,
                error: chain(&self),
            });
        }
        if status.is_client_error() {
            response.extensions_mut().insert(crate::metrics::Refused {
                code,
                reason: self.to_string(),
            });
        }
        response
    }
}

/// A JSON body declared as such (`application/json` or a `+json` type, as axum's `Json`
/// requires: 415 otherwise), read into `T` with the contract's error shape when it cannot be.
pub struct JsonBody<T>(pub T);

impl<S: Send + Sync, T: serde::de::DeserializeOwned> FromRequest<S> for JsonBody<T> {
    type Rejection = AppError;

    async fn from_request(req: Request, state: &S) -> Result<Self, AppError> {
        if !is_json(req.headers()) {
            return Err(AppError::NotJson);
        }
        let body = read_body(req, state).await?;
        serde_json::from_slice(&body)
            .map(JsonBody)
            .map_err(|e| AppError::BadRequest("invalid_body", format!("Corps JSON invalide : {e}")))
    }
}

/// The raw body, within the body limit: 413 beyond it, 400 if it cannot be read.
pub async fn read_body<S: Send + Sync>(req: Request, state: &S) -> Result<Bytes, AppError> {
    Bytes::from_request(req, state)
        .await
        .map_err(|e| match e.status() {
            StatusCode::PAYLOAD_TOO_LARGE => AppError::TooLarge,
            _ => AppError::BadRequest("invalid_body", format!("Corps de requête illisible : {e}")),
        })
}

fn is_json(headers: &HeaderMap) -> bool {
    let Some(value) = headers.get(CONTENT_TYPE).and_then(|v| v.to_str().ok()) else {
        return false;
    };
    let essence = value
        .split(';')
        .next()
        .unwrap_or("")
        .trim()
        .to_ascii_lowercase();
    essence == "application/json"
        || (essence.starts_with("application/") && essence.ends_with("+json"))
}

//! The bearer-client extractor: `Authorization: Bearer <token>` → the client owning the token,
//! checked against the database on every request so a revocation takes effect at once.

use axum::extract::FromRequestParts;
use axum::http::HeaderMap;
use axum::http::header::AUTHORIZATION;
use axum::http::request::Parts;

use crate::db::subscriptions::SubscriptionRow;
use crate::domain::ClientId;
use crate::error::AppError;
use crate::state::AppState;

pub struct BearerClient(pub ClientId);

/// The bearer client together with its subscription, read in the same query, and its token
/// (to read again, revocation included, after a long poll).
pub struct BearerSubscription(pub ClientId, pub SubscriptionRow, pub String);

pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<&str, AppError> {
    headers
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
        .filter(|t| !t.is_empty() && t.len() <= 256)
        .ok_or(AppError::Unauthorized)
}

impl FromRequestParts<AppState> for BearerClient {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(&parts.headers)?;
        state
            .db
            .client_for_token(token)
            .await?
            .map(BearerClient)
            .ok_or(AppError::Unauthorized)
    }
}

impl FromRequestParts<AppState> for BearerSubscription {
    type Rejection = AppError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, AppError> {
        let token = bearer_token(&parts.headers)?;
        let (client, row) = state
            .reader
            .subscription_for_token(token)
            .await?
            .ok_or(AppError::Unauthorized)?;
        Ok(BearerSubscription(client, row, token.to_owned()))
    }
}

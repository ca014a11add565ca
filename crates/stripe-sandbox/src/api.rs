//! The Stripe-compatible API: `/v1/checkout/sessions` create, retrieve and expire, with Stripe's
//! bearer-key check and its JSON error objects.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode, header};

use crate::error::check_origin;
pub use crate::error::{StripeError, unrecognized};
use crate::session::{Session, Status};
use crate::{Sandbox, form};

impl Sandbox {
    /// Stripe accepts the key as a bearer token or as the Basic-auth user (`curl -u sk_test_…:`);
    /// the sandbox, like Stripe, takes its one secret key and nothing else.
    pub(crate) fn authorize(&self, headers: &HeaderMap) -> Result<(), StripeError> {
        let key = presented_key(headers);
        if key.is_empty() {
            return Err(StripeError::auth(
                "You did not provide an API key. You need to provide your API key in the Authorization header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY').".into(),
            ));
        }
        let expected = self.config().secret_key.as_bytes();
        if !constant_time_eq(key.as_bytes(), expected) {
            // Stripe echoes a masked key; characters, not bytes: the header may hold anything.
            let head: String = key.chars().take(8).collect();
            let tail = crate::last_chars(&key, 4);
            return Err(StripeError::auth(format!(
                "Invalid API Key provided: {head}****{tail}"
            )));
        }
        Ok(())
    }
}

fn presented_key(headers: &HeaderMap) -> String {
    let value = headers
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    if let Some(bearer) = value.strip_prefix("Bearer ") {
        bearer.trim().to_owned()
    } else if let Some(basic) = value.strip_prefix("Basic ") {
        use base64::Engine;
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(basic.trim())
            .unwrap_or_default();
        let text = String::from_utf8_lossy(&decoded).into_owned();
        text.split(':').next().unwrap_or_default().to_owned()
    } else {
        String::new()
    }
}

/// Equal bytes, compared without an early exit: the key's prefix cannot be found by timing.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

pub async fn create_session(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Result<Json<serde_json::Value>, StripeError> {
    sandbox.authorize(&headers)?;
    let params = form::parse(&body).map_err(|e| StripeError::invalid(&e.param, e.message))?;
    let id = format!("cs_test_{}", crate::random_id(58));
    let url = format!("{}/c/pay/{id}", sandbox.public_base());
    let session = Session::from_params(&params, id, url, crate::now())?;
    check_billing(&sandbox, &session)?;
    if let Some(origin) = &sandbox.config().return_origin {
        check_origin("success_url", &session.success_url, origin)?;
        if let Some(cancel) = &session.cancel_url {
            check_origin("cancel_url", cancel, origin)?;
        }
    }
    let json = session.to_json();
    sandbox.insert_session(session);
    Ok(Json(json))
}

/// A subscription checkout needs the customer it names (the relay always gives one), and a
/// trial must end at least 48 hours after the customer's clock, as Stripe requires.
fn check_billing(sandbox: &Sandbox, session: &Session) -> Result<(), StripeError> {
    let books = sandbox.books();
    if let Some(customer) = &session.customer {
        if !books.customers.contains_key(customer) {
            return Err(StripeError {
                status: StatusCode::BAD_REQUEST,
                kind: "invalid_request_error",
                code: Some("resource_missing"),
                message: format!("No such customer: '{customer}'"),
                param: Some("customer".into()),
            });
        }
    } else if session.mode == "subscription" {
        return Err(StripeError::missing(
            "customer",
            "The sandbox needs `customer` in `subscription` mode (create one with POST /v1/customers).",
        ));
    }
    if let (Some(trial_end), Some(customer)) = (session.trial_end, &session.customer) {
        if trial_end < books.time_of(customer) + 48 * 3600 {
            return Err(StripeError::invalid(
                "subscription_data[trial_end]",
                "`subscription_data[trial_end]` must be at least 48 hours in the future.".into(),
            ));
        }
    }
    Ok(())
}

pub async fn retrieve_session(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, StripeError> {
    sandbox.authorize(&headers)?;
    sandbox
        .session(&id)
        .map(|s| Json(s.to_json()))
        .ok_or_else(|| StripeError::no_such_session(&id))
}

pub async fn expire_session(
    State(sandbox): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<serde_json::Value>, StripeError> {
    sandbox.authorize(&headers)?;
    let session = sandbox
        .session(&id)
        .ok_or_else(|| StripeError::no_such_session(&id))?;
    if session.status != Status::Open {
        return Err(StripeError::invalid(
            "session",
            "Only Checkout Sessions with a status of `open` can be expired.".into(),
        ));
    }
    let expired = sandbox.update_session(&id, |s| s.status = Status::Expired);
    sandbox.emit("checkout.session.expired", &expired);
    Ok(Json(expired.to_json()))
}

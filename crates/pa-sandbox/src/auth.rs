//! OAuth2 client credentials (RFC 6749 § 4.4), as a platform gives its « solutions
//! compatibles »: `POST /token` with `grant_type=client_credentials` and the client's id and
//! secret (HTTP Basic or form fields) answers a bearer token that the services then require.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Form, Json};
use base64::Engine;
use serde::Deserialize;
use serde_json::json;

use crate::PaSandbox;
use crate::error::FlowError;

const LIFETIME: Duration = Duration::from_secs(3600);

/// Tokens issued and when each expires.
#[derive(Default)]
pub struct Tokens {
    issued: HashMap<String, Instant>,
}

#[derive(Deserialize)]
pub struct TokenRequest {
    grant_type: Option<String>,
    client_id: Option<String>,
    client_secret: Option<String>,
}

/// `POST /token`: RFC 6749's error body (`invalid_client`, `unsupported_grant_type`) on failure.
pub async fn token(
    State(pa): State<PaSandbox>,
    headers: HeaderMap,
    Form(form): Form<TokenRequest>,
) -> Response {
    let oauth_error =
        |status: StatusCode, error: &str| (status, Json(json!({"error": error}))).into_response();
    if form.grant_type.as_deref() != Some("client_credentials") {
        return oauth_error(StatusCode::BAD_REQUEST, "unsupported_grant_type");
    }
    let (id, secret) = match basic(&headers) {
        Some(pair) => pair,
        None => (
            form.client_id.unwrap_or_default(),
            form.client_secret.unwrap_or_default(),
        ),
    };
    let expected = pa.credentials();
    let id_ok = id == expected.client_id;
    let secret_ok = constant_eq(secret.as_bytes(), expected.client_secret.as_bytes());
    if !(id_ok && secret_ok) {
        return oauth_error(StatusCode::UNAUTHORIZED, "invalid_client");
    }
    let token = crate::random_hex(32);
    let mut tokens = pa.inner.tokens.lock().unwrap_or_else(|p| p.into_inner());
    let now = Instant::now();
    tokens.issued.retain(|_, expires| *expires > now);
    tokens.issued.insert(token.clone(), now + LIFETIME);
    Json(json!({
        "access_token": token,
        "token_type": "Bearer",
        "expires_in": LIFETIME.as_secs(),
    }))
    .into_response()
}

/// The request's bearer token, if the platform issued it and it has not expired.
pub fn check(pa: &PaSandbox, headers: &HeaderMap) -> Result<(), FlowError> {
    let Some(value) = headers.get(header::AUTHORIZATION) else {
        return Err(FlowError::new(
            StatusCode::UNAUTHORIZED,
            "MISSING_TOKEN",
            "No bearer token",
        ));
    };
    let token = value
        .to_str()
        .ok()
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    let tokens = pa.inner.tokens.lock().unwrap_or_else(|p| p.into_inner());
    match tokens.issued.get(token) {
        Some(expires) if *expires > Instant::now() => Ok(()),
        _ => Err(FlowError::new(
            StatusCode::UNAUTHORIZED,
            "INVALID_TOKEN",
            "The bearer token is invalid or expired",
        )),
    }
}

fn basic(headers: &HeaderMap) -> Option<(String, String)> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let encoded = value.strip_prefix("Basic ")?;
    let decoded = base64::engine::general_purpose::STANDARD
        .decode(encoded.trim())
        .ok()?;
    let text = String::from_utf8(decoded).ok()?;
    let (id, secret) = text.split_once(':')?;
    // RFC 6749 § 2.3.1: both are form-urlencoded before Basic encoding.
    Some((unescape(id), unescape(secret)))
}

fn unescape(s: &str) -> String {
    let bytes = s.replace('+', " ");
    let mut out = Vec::with_capacity(bytes.len());
    let raw = bytes.as_bytes();
    let mut i = 0;
    while i < raw.len() {
        match (raw[i], raw.get(i + 1..i + 3)) {
            (b'%', Some(hexes)) => {
                match u8::from_str_radix(std::str::from_utf8(hexes).unwrap_or(""), 16) {
                    Ok(b) => {
                        out.push(b);
                        i += 3;
                        continue;
                    }
                    Err(_) => out.push(b'%'),
                }
            }
            (b, _) => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_unescaped() {
        assert_eq!(unescape("a%3Ab+c"), "a:b c");
        assert_eq!(unescape("100%"), "100%");
    }
}

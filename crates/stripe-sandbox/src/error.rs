//! Stripe's error objects: `{"error": {"type", "code", "message", "param", "doc_url"}}` with
//! the status Stripe answers, for every endpoint of the sandbox.

use axum::Json;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error in Stripe's shape: `{"error": {"type", "code", "message", "param"}}`.
#[derive(Debug)]
pub struct StripeError {
    pub status: StatusCode,
    pub kind: &'static str,
    pub code: Option<&'static str>,
    pub message: String,
    pub param: Option<String>,
}

impl StripeError {
    pub fn missing(param: &str, message: &str) -> Self {
        Self::request(Some("parameter_missing"), param, message.to_owned())
    }
    pub fn invalid(param: &str, message: String) -> Self {
        Self::request(Some("parameter_invalid_string"), param, message)
    }
    pub fn unknown(param: &str) -> Self {
        Self::request(
            Some("parameter_unknown"),
            param,
            format!("Received unknown parameter: {param}"),
        )
    }
    /// A 400 with no code or parameter, as Stripe answers a bad `expand`.
    pub fn request_error(message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code: None,
            message,
            param: None,
        }
    }
    fn request(code: Option<&'static str>, param: &str, message: String) -> Self {
        Self {
            status: StatusCode::BAD_REQUEST,
            kind: "invalid_request_error",
            code,
            message,
            param: Some(param.to_owned()),
        }
    }
    pub(crate) fn no_such_session(id: &str) -> Self {
        Self {
            status: StatusCode::NOT_FOUND,
            kind: "invalid_request_error",
            code: Some("resource_missing"),
            message: format!("No such checkout.session: '{id}'"),
            param: Some("session".into()),
        }
    }
    pub(crate) fn auth(message: String) -> Self {
        Self {
            status: StatusCode::UNAUTHORIZED,
            kind: "invalid_request_error",
            code: None,
            message,
            param: None,
        }
    }
}

/// What Stripe answers to a path or a method it does not serve (both are 404 there).
pub async fn unrecognized(method: axum::http::Method, uri: axum::http::Uri) -> StripeError {
    StripeError {
        status: StatusCode::NOT_FOUND,
        kind: "invalid_request_error",
        code: None,
        message: format!(
            "Unrecognized request URL ({method}: {}). Please see https://stripe.com/docs or we can help at https://support.stripe.com/.",
            uri.path()
        ),
        param: None,
    }
}

impl IntoResponse for StripeError {
    fn into_response(self) -> Response {
        let mut error = json!({"type": self.kind, "message": self.message});
        if let Some(code) = self.code {
            error["code"] = code.into();
            error["doc_url"] = format!(
                "https://stripe.com/docs/error-codes/{}",
                code.replace('_', "-")
            )
            .into();
        }
        if let Some(param) = self.param {
            error["param"] = param.into();
        }
        (self.status, Json(json!({ "error": error }))).into_response()
    }
}

/// A return URL must be on `origin` (scheme, host and port), the relay's.
pub(crate) fn check_origin(param: &str, value: &str, origin: &str) -> Result<(), StripeError> {
    let same = url::Url::parse(value).is_ok_and(|u| u.origin().ascii_serialization() == origin);
    if same {
        Ok(())
    } else {
        Err(StripeError::invalid(
            param,
            format!("`{param}` must be on {origin}, the relay's address."),
        ))
    }
}

//! The platform's error bodies: the Flow Service answers `{"errorCode", "errorMessage"}`, the
//! Directory Service an `application/problem+json` body, as XP Z12-013's annexes describe them.

use axum::Json;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

/// An error of the Flow Service (and of the token endpoint).
#[derive(Debug)]
pub struct FlowError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
}

impl FlowError {
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
        }
    }

    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "INVALID_REQUEST", message)
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "SERVICE_UNAVAILABLE",
            "The service is temporarily unavailable",
        )
    }
}

impl IntoResponse for FlowError {
    fn into_response(self) -> Response {
        let body = json!({"errorCode": self.code, "errorMessage": self.message});
        (self.status, Json(body)).into_response()
    }
}

/// An error of the Directory Service (RFC 7807 problem details).
pub struct Problem {
    pub status: StatusCode,
    pub message: String,
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let body = json!({
            "type": "about:blank",
            "status": self.status.as_u16(),
            "message": self.message,
        });
        (
            self.status,
            [(header::CONTENT_TYPE, "application/problem+json")],
            body.to_string(),
        )
            .into_response()
    }
}

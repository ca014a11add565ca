//! What billing's handlers share: reading Stripe's form parameters, answering one object or a
//! page of a list, and Stripe's 404 for an unknown id.

use axum::Json;
use axum::http::StatusCode;
use serde_json::Value;

use crate::error::StripeError;
use crate::form;

pub(crate) type Answer = Result<Json<Value>, StripeError>;

pub(crate) fn params(body: &[u8]) -> Result<Value, StripeError> {
    form::parse(body).map_err(|e| StripeError::invalid(&e.param, e.message))
}

pub(crate) fn text(p: &Value, name: &str) -> Option<String> {
    p.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A list parameter (`expand[]=a&expand[]=b`).
pub(crate) fn strings(p: &Value, name: &str) -> Vec<String> {
    p.get(name)
        .and_then(Value::as_array)
        .map(|a| {
            a.iter()
                .filter_map(Value::as_str)
                .map(str::to_owned)
                .collect()
        })
        .unwrap_or_default()
}

pub(crate) fn integer(p: &Value, name: &str) -> Result<Option<i64>, StripeError> {
    match text(p, name) {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| StripeError::invalid(name, format!("Invalid integer: {t}"))),
    }
}

/// The object `id` of `objects`, rendered, or Stripe's 404 naming `kind`.
pub(crate) fn one<T>(
    objects: &std::collections::BTreeMap<String, T>,
    id: &str,
    kind: &str,
    render: impl Fn(&T) -> Value,
) -> Answer {
    objects
        .get(id)
        .map(|o| Json(render(o)))
        .ok_or_else(|| missing(kind, id, "id"))
}

/// `found` newest first by `order` (creation time, then a tie-breaker), as one page of a list.
pub(crate) fn newest_first<T>(
    mut found: Vec<&T>,
    order: impl Fn(&T) -> (i64, &str),
    render: impl Fn(&T) -> Value,
    p: &Value,
    url: &str,
) -> Answer {
    found.sort_by(|a, b| order(b).cmp(&order(a)));
    crate::list::page(found.into_iter().map(render).collect(), p, url)
}

pub(crate) fn missing(kind: &str, id: &str, param: &str) -> StripeError {
    StripeError {
        status: StatusCode::NOT_FOUND,
        kind: "invalid_request_error",
        code: Some("resource_missing"),
        message: format!("No such {kind}: '{id}'"),
        param: Some(param.to_owned()),
    }
}

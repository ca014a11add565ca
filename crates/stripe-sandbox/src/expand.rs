//! `expand[]` as Stripe honours it, for every expandable field of every object the sandbox serves:
//! a field the field lists (`shapes/shapes.json`) type as "an id or the object" is replaced by
//! the object, dotted paths go up to four levels (`latest_invoice.customer`), `data.` walks a
//! list, nested plain objects are crossed (`invoice_settings.default_payment_method`), and any
//! other path gets Stripe's 400 « This property cannot be expanded (…) ». The middleware here
//! also completes every answer with the fields Stripe documents (`shape::complete`).

use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use serde_json::{Map, Value};

use crate::Sandbox;
use crate::error::StripeError;

/// Stripe's limit on a dotted expansion path.
pub const MAX_LEVELS: usize = 4;
/// The largest request body read here (Stripe's own limit is far below).
const MAX_BODY: usize = 1 << 20;

fn cannot(segment: &str) -> StripeError {
    StripeError::request_error(format!("This property cannot be expanded ({segment})."))
}

/// Expands every path of `paths` in `value`, an answer of the API, once each path is checked
/// against the field lists (whatever the values: a null field is checked too, as on Stripe).
pub(crate) fn expand(sb: &Sandbox, value: &mut Value, paths: &[String]) -> Result<(), StripeError> {
    for path in paths {
        let segments: Vec<&str> = path.split('.').collect();
        if segments.len() > MAX_LEVELS {
            return Err(StripeError::request_error(
                "You cannot expand more than 4 levels of a property.".into(),
            ));
        }
        check_object(value, &segments)?;
        expand_object(sb, value, &segments);
    }
    Ok(())
}

/// `value` is an answer: an object, or a list object whose items are all of one kind.
fn check_object(value: &Value, segments: &[&str]) -> Result<(), StripeError> {
    if value["object"] == "list" {
        if segments[0] != "data" {
            return Err(cannot(segments[0]));
        }
        return match value["data"].get(0) {
            Some(item) if segments.len() > 1 => check_object(item, &segments[1..]),
            Some(_) => Err(cannot("data")),
            None => Ok(()),
        };
    }
    let shape = value["object"].as_str().and_then(crate::shape::fields_of);
    check_fields(shape.ok_or_else(|| cannot(segments[0]))?, segments)
}

fn check_fields(shape: &Map<String, Value>, segments: &[&str]) -> Result<(), StripeError> {
    let (name, rest) = segments.split_first().expect("a path has a segment");
    let t = shape.get(*name).ok_or_else(|| cannot(name))?;
    check_type(unwrap_nullable(t), name, rest)
}

fn check_type(t: &Value, name: &str, rest: &[&str]) -> Result<(), StripeError> {
    if let Some(inner) = t.get("l") {
        let inner = unwrap_nullable(inner);
        return if rest.is_empty() && inner.get("x").is_none() {
            Err(cannot(name))
        } else {
            check_type(inner, name, rest)
        };
    }
    if let Some(kind) = t.get("x").and_then(Value::as_str) {
        // Deeper than an object the sandbox never serves: nothing there to check against.
        return match (rest.is_empty(), crate::shape::fields_of(kind)) {
            (false, Some(shape)) => check_fields(shape, rest),
            _ => Ok(()),
        };
    }
    let Some((next, after)) = rest.split_first() else {
        return Err(cannot(name));
    };
    if let Some(shape) = t.get("o").and_then(Value::as_object) {
        return check_fields(shape, rest);
    }
    if let Some(shape) = t
        .get("r")
        .and_then(Value::as_str)
        .and_then(crate::shape::fields_of)
    {
        return check_fields(shape, rest);
    }
    match t.get("L") {
        Some(item) if *next == "data" && !after.is_empty() => {
            check_type(unwrap_nullable(item), "data", after)
        }
        _ => Err(cannot(next)),
    }
}

fn unwrap_nullable(t: &Value) -> &Value {
    t.get("n").map_or(t, unwrap_nullable)
}

/// Replaces the ids that `segments` (already checked) reaches by their objects.
fn expand_object(sb: &Sandbox, value: &mut Value, segments: &[&str]) {
    let Some((name, rest)) = segments.split_first() else {
        return;
    };
    match value {
        Value::Object(map) if map.get("object").is_some_and(|o| o == "list") && *name == "data" => {
            if let Some(Value::Array(items)) = map.get_mut("data") {
                items
                    .iter_mut()
                    .for_each(|item| expand_object(sb, item, rest));
            }
        }
        Value::Object(map) => {
            if let Some(field) = map.get_mut(*name) {
                expand_field(sb, field, rest);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| expand_object(sb, item, segments)),
        _ => {}
    }
}

fn expand_field(sb: &Sandbox, field: &mut Value, rest: &[&str]) {
    match field {
        Value::String(id) => {
            if let Some(object) = sb.object(id) {
                *field = object;
                expand_object(sb, field, rest);
            }
        }
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| expand_field(sb, item, rest)),
        _ => expand_object(sb, field, rest),
    }
}

/// The `expand` parameter of a request: from the query string, or from a form body.
fn expand_param(query: Option<&str>, body: &[u8]) -> Vec<String> {
    let mut paths = Vec::new();
    for source in [query.unwrap_or_default().as_bytes(), body] {
        if let Ok(p) = crate::form::parse(source) {
            if let Some(list) = p.get("expand").and_then(Value::as_array) {
                paths.extend(list.iter().filter_map(Value::as_str).map(str::to_owned));
            }
        }
    }
    paths
}

/// Middleware: expands what the request asks for in a successful JSON answer, then completes it.
pub(crate) async fn answers(State(sb): State<Sandbox>, request: Request, next: Next) -> Response {
    let (parts, body) = request.into_parts();
    let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
        return StripeError::request_error("The request body is too large.".into()).into_response();
    };
    let paths = expand_param(parts.uri.query(), &body);
    let response = next
        .run(Request::from_parts(parts, axum::body::Body::from(body)))
        .await;
    let json = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if !json || !response.status().is_success() {
        return response;
    }
    let (mut parts, body) = response.into_parts();
    let Ok(bytes) = axum::body::to_bytes(body, usize::MAX).await else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let Ok(mut value) = serde_json::from_slice::<Value>(&bytes) else {
        return Response::from_parts(parts, axum::body::Body::from(bytes));
    };
    if let Err(e) = expand(&sb, &mut value, &paths) {
        return e.into_response();
    }
    crate::shape::complete(&mut value);
    let bytes = Bytes::from(serde_json::to_vec(&value).expect("JSON serialises"));
    parts.headers.remove(header::CONTENT_LENGTH);
    parts.headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    Response::from_parts(parts, axum::body::Body::from(bytes))
}

impl Sandbox {
    /// The object with this id, rendered as the API serves it; None when the sandbox has none.
    pub(crate) fn object(&self, id: &str) -> Option<Value> {
        use crate::billing::json as render;
        let prefix = id.split('_').next().unwrap_or_default();
        if prefix == "cs" {
            return self.session(id).map(|s| s.to_json());
        }
        if prefix == "pi" {
            return self.payment_intent(id);
        }
        let books = self.books();
        match prefix {
            "cus" => books.customers.get(id).map(render::customer),
            "sub" => books
                .subscriptions
                .get(id)
                .map(|s| render::subscription(&books, s)),
            "in" => books.invoices.get(id).map(render::invoice),
            "clock" => books.clocks.get(id).map(render::test_clock),
            "bpc" => books
                .portal_configurations
                .get(id)
                .map(crate::billing::portal::configuration_json),
            "pm" => books.customers.values().find_map(|c| {
                (c.payment_method.as_deref() == Some(id)).then(|| {
                    render::payment_method(
                        id,
                        c.card.as_deref().unwrap_or_default(),
                        &c.id,
                        c.created,
                    )
                })
            }),
            "price" => books
                .subscriptions
                .values()
                .find(|s| s.price.id == id)
                .map(render::price),
            "prod" => books
                .subscriptions
                .values()
                .find(|s| s.price.product == id)
                .map(render::product),
            _ => None,
        }
    }
}

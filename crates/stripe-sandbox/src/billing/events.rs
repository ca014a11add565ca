//! `GET /v1/events` as Stripe lists the events it keeps: newest first, filtered by type and
//! creation time, paginated with `starting_after`; and one event by id.

use axum::Json;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::answer::{Answer, integer, missing, params, strings, text};
use crate::Sandbox;
use crate::error::StripeError;

/// Newest first, filtered by `type` / `types[]` and `created[gte|gt|lte|lt]`, `limit` (1 to 100,
/// default 10) and `starting_after`, as Stripe lists them.
pub(super) async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let mut types = strings(&p, "types");
    types.extend(text(&p, "type"));
    let limit = integer(&p, "limit")?.unwrap_or(10);
    if !(1..=100).contains(&limit) {
        return Err(StripeError::invalid(
            "limit",
            "This value must be between 1 and 100.".into(),
        ));
    }
    let created = p.get("created").cloned().unwrap_or(Value::Null);
    let bound = |op: &str| {
        created
            .get(op)
            .and_then(Value::as_str)
            .and_then(|t| t.parse::<i64>().ok())
    };
    let (gte, gt, lte, lt) = (bound("gte"), bound("gt"), bound("lte"), bound("lt"));
    let after = text(&p, "starting_after");
    let events = sb.events();
    let mut newest_first = events.iter().rev().filter(|e| {
        (types.is_empty() || types.iter().any(|t| t == &e.event_type))
            && gte.is_none_or(|b| e.created >= b)
            && gt.is_none_or(|b| e.created > b)
            && lte.is_none_or(|b| e.created <= b)
            && lt.is_none_or(|b| e.created < b)
    });
    if let Some(after) = &after {
        if !events.iter().any(|e| &e.id == after) {
            return Err(missing("event", after, "starting_after"));
        }
        newest_first.by_ref().find(|e| &e.id == after);
    }
    let page: Vec<Value> = newest_first
        .by_ref()
        .take(limit as usize)
        .map(|e| serde_json::from_str(&e.body).unwrap_or(Value::Null))
        .collect();
    let has_more = newest_first.next().is_some();
    Ok(Json(
        json!({"object": "list", "url": "/v1/events", "has_more": has_more, "data": page}),
    ))
}

pub(super) async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    sb.events()
        .into_iter()
        .find(|e| e.id == id)
        .map(|e| Json(serde_json::from_str(&e.body).unwrap_or(Value::Null)))
        .ok_or_else(|| missing("event", &id, "id"))
}

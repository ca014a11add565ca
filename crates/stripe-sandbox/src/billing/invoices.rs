//! Invoices in the sandbox's Stripe API: list (by customer, subscription and status, newest
//! first, paginated), retrieve, and an invoice's lines.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::Value;

use super::answer::{Answer, missing, newest_first, one, params, text};
use super::{Invoice, json as render};
use crate::Sandbox;
use crate::error::StripeError;

/// The statuses Stripe lets a list filter on.
const STATUSES: [&str; 5] = ["draft", "open", "paid", "uncollectible", "void"];

pub(super) async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let (customer, subscription, status) = (
        text(&p, "customer"),
        text(&p, "subscription"),
        text(&p, "status"),
    );
    if let Some(s) = status.as_deref().filter(|s| !STATUSES.contains(s)) {
        return Err(StripeError::invalid(
            "status",
            format!(
                "Invalid status: must be one of {}; got {s}",
                STATUSES.join(", ")
            ),
        ));
    }
    let books = sb.books();
    newest_first(
        books
            .invoices
            .values()
            .filter(|i| {
                customer.as_ref().is_none_or(|c| &i.customer == c)
                    && subscription.as_ref().is_none_or(|s| &i.subscription == s)
                    && status.as_deref().is_none_or(|s| i.status.as_str() == s)
            })
            .collect(),
        // Numbers grow with time; on one test-clock instant they still order the invoices.
        |i: &Invoice| (i.created, &i.number),
        render::invoice,
        &p,
        "/v1/invoices",
    )
}

pub(super) async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    one(&sb.books().invoices, &id, "invoice", render::invoice)
}

/// `GET /v1/invoices/{id}/lines`: the invoice's lines as a list of their own.
pub(super) async fn lines(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let invoice = {
        let books = sb.books();
        let inv = books
            .invoices
            .get(&id)
            .ok_or_else(|| missing("invoice", &id, "invoice"))?;
        render::invoice(inv)
    };
    let data = match &invoice["lines"]["data"] {
        Value::Array(lines) => lines.clone(),
        _ => Vec::new(),
    };
    crate::list::page(data, &p, &format!("/v1/invoices/{id}/lines"))
}

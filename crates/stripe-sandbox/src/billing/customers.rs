//! Customers in the sandbox's Stripe API: create (optionally on a test clock), update (name,
//! e-mail, metadata, preferred locales), retrieve, and list (newest first, by test clock,
//! paginated as Stripe paginates).

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::Value;

use super::answer::{Answer, missing, newest_first, one, params, strings, text};
use super::{Customer, json as render};
use crate::Sandbox;
use crate::error::StripeError;

/// What `POST /v1/customers/{id}` changes; anything else is Stripe's « unknown parameter ».
const UPDATABLE: [&str; 5] = ["name", "email", "metadata", "preferred_locales", "expand"];

/// `metadata[key]=value` pairs; an empty value removes the key, as on Stripe.
fn merge_metadata(into: &mut BTreeMap<String, String>, p: &Value) {
    if let Some(m) = p.get("metadata").and_then(Value::as_object) {
        for (k, v) in m {
            match v.as_str().unwrap_or_default() {
                "" => into.remove(k),
                value => into.insert(k.clone(), value.to_owned()),
            };
        }
    }
}

pub(super) async fn create(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    sb.authorize(&headers)?;
    let p = params(&body)?;
    let test_clock = text(&p, "test_clock");
    let mut books = sb.books();
    if let Some(clock) = &test_clock {
        if !books.clocks.contains_key(clock) {
            return Err(missing("test_helpers.test_clock", clock, "test_clock"));
        }
    }
    let created = test_clock
        .as_ref()
        .and_then(|c| books.clocks.get(c))
        .map_or_else(crate::now, |c| c.frozen_time);
    let mut metadata = BTreeMap::new();
    merge_metadata(&mut metadata, &p);
    let customer = Customer {
        id: format!("cus_{}", crate::random_id(14)),
        name: text(&p, "name"),
        email: text(&p, "email"),
        metadata,
        locales: strings(&p, "preferred_locales"),
        test_clock,
        card: None,
        payment_method: None,
        details: None,
        created,
    };
    let json = render::customer(&customer);
    books.customers.insert(customer.id.clone(), customer);
    Ok(Json(json))
}

pub(super) async fn update(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(&body)?;
    if let Some(unknown) = p
        .as_object()
        .and_then(|o| o.keys().find(|k| !UPDATABLE.contains(&k.as_str())))
    {
        return Err(StripeError::unknown(unknown));
    }
    let mut books = sb.books();
    let c = books
        .customers
        .get_mut(&id)
        .ok_or_else(|| missing("customer", &id, "id"))?;
    // An empty string unsets a field, as on Stripe.
    if let Some(name) = text(&p, "name") {
        c.name = Some(name).filter(|n| !n.is_empty());
    }
    if let Some(email) = text(&p, "email") {
        c.email = Some(email).filter(|e| !e.is_empty());
    }
    if p.get("preferred_locales").is_some() {
        c.locales = strings(&p, "preferred_locales");
    }
    merge_metadata(&mut c.metadata, &p);
    Ok(Json(render::customer(c)))
}

/// Newest first, optionally those on `test_clock`.
pub(super) async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let clock = text(&p, "test_clock");
    let books = sb.books();
    newest_first(
        books
            .customers
            .values()
            .filter(|c| clock.is_none() || c.test_clock == clock)
            .collect(),
        |c: &Customer| (c.created, &c.id),
        render::customer,
        &p,
        "/v1/customers",
    )
}

pub(super) async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    one(&sb.books().customers, &id, "customer", render::customer)
}

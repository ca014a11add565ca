//! Billing's Stripe API in the sandbox: customers, subscriptions (retrieve, cancel at period
//! end, resume, cancel now), invoices, the event list Stripe keeps for 30 days, test clocks, and
//! a control endpoint (sandbox only) that replaces a customer's card, as the portal would.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::routing::{get, post};
use serde_json::{Value, json};

use super::{CARD_DECLINES_LATER, CARD_PAYS, Customer, Refusal, SubStatus, json as render};
use crate::api::{StripeError, authorize};
use crate::{Sandbox, form};

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/v1/customers", post(create_customer).get(list_customers))
        .route(
            "/v1/billing_portal/configurations",
            post(super::portal::create_configuration),
        )
        .route(
            "/v1/billing_portal/sessions",
            post(super::portal::create_session),
        )
        .merge(super::portal_page::routes())
        .route("/v1/subscriptions", get(list_subscriptions))
        .route("/v1/customers/{id}", get(retrieve_customer))
        .route(
            "/v1/subscriptions/{id}",
            get(retrieve_subscription)
                .post(update_subscription)
                .delete(cancel_subscription),
        )
        .route("/v1/invoices/{id}", get(retrieve_invoice))
        .route("/v1/events", get(super::events::list))
        .route("/v1/events/{id}", get(super::events::retrieve))
        .route("/v1/test_helpers/test_clocks", post(super::clocks::create))
        .route(
            "/v1/test_helpers/test_clocks/{id}",
            get(super::clocks::retrieve),
        )
        .route(
            "/v1/test_helpers/test_clocks/{id}/advance",
            post(super::clocks::advance),
        )
        .route("/_sandbox/customers/{id}/card", post(replace_card))
}

pub(super) type Answer = Result<Json<Value>, StripeError>;

pub(super) fn params(body: &[u8]) -> Result<Value, StripeError> {
    form::parse(body).map_err(|e| StripeError::invalid(&e.param, e.message))
}

pub(super) fn text(p: &Value, name: &str) -> Option<String> {
    p.get(name).and_then(Value::as_str).map(str::to_owned)
}

/// A list parameter (`expand[]=a&expand[]=b`).
pub(super) fn strings(p: &Value, name: &str) -> Vec<String> {
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

pub(super) fn integer(p: &Value, name: &str) -> Result<Option<i64>, StripeError> {
    match text(p, name) {
        None => Ok(None),
        Some(t) => t
            .parse()
            .map(Some)
            .map_err(|_| StripeError::invalid(name, format!("Invalid integer: {t}"))),
    }
}

pub(super) fn missing(kind: &str, id: &str, param: &str) -> StripeError {
    StripeError {
        status: StatusCode::NOT_FOUND,
        kind: "invalid_request_error",
        code: Some("resource_missing"),
        message: format!("No such {kind}: '{id}'"),
        param: Some(param.to_owned()),
    }
}

async fn create_customer(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    authorize(&headers)?;
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
    let locales = strings(&p, "preferred_locales");
    let metadata = p
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or_default().to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let customer = Customer {
        id: format!("cus_{}", crate::random_id(14)),
        name: text(&p, "name"),
        email: text(&p, "email"),
        metadata,
        locales,
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

fn list(data: Vec<Value>, url: &str) -> Json<Value> {
    Json(json!({"object": "list", "url": url, "has_more": false, "data": data}))
}

/// Newest first, optionally those on `test_clock` (at most 100).
async fn list_customers(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    authorize(&headers)?;
    let clock = text(&params(query.unwrap_or_default().as_bytes())?, "test_clock");
    let books = sb.books();
    let mut found: Vec<&Customer> = books
        .customers
        .values()
        .filter(|c| clock.is_none() || c.test_clock == clock)
        .collect();
    found.sort_by_key(|c| std::cmp::Reverse(c.created));
    Ok(list(
        found.into_iter().take(100).map(render::customer).collect(),
        "/v1/customers",
    ))
}

/// The subscriptions of `customer` (any status but cancelled, unless `status=all`).
async fn list_subscriptions(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let (customer, all) = (
        text(&p, "customer"),
        text(&p, "status").as_deref() == Some("all"),
    );
    let books = sb.books();
    let data = books
        .subscriptions
        .values()
        .filter(|s| {
            customer.as_ref().is_none_or(|c| &s.customer == c)
                && (all || s.status != SubStatus::Canceled)
        })
        .map(|s| render::subscription(&books, s))
        .collect();
    Ok(list(data, "/v1/subscriptions"))
}

async fn retrieve_customer(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    authorize(&headers)?;
    let books = sb.books();
    let c = books
        .customers
        .get(&id)
        .ok_or_else(|| missing("customer", &id, "id"))?;
    Ok(Json(render::customer(c)))
}

/// The subscription, with `expand[]=default_payment_method` and `expand[]=latest_invoice`.
fn subscription_json(sb: &Sandbox, id: &str, query: Option<&str>) -> Answer {
    let expand = strings(&params(query.unwrap_or_default().as_bytes())?, "expand");
    let books = sb.books();
    let sub = books
        .subscriptions
        .get(id)
        .ok_or_else(|| missing("subscription", id, "id"))?;
    let mut json = render::subscription(&books, sub);
    for field in &expand {
        match field.as_str() {
            "default_payment_method" => {
                let customer = books.customers.get(&sub.customer);
                if let Some((pm, number)) =
                    customer.and_then(|c| c.payment_method.as_ref().zip(c.card.as_ref()))
                {
                    json["default_payment_method"] =
                        render::payment_method(pm, number, &sub.customer, sub.created);
                }
            }
            "latest_invoice" => {
                if let Some(inv) = sub
                    .latest_invoice
                    .as_ref()
                    .and_then(|i| books.invoices.get(i))
                {
                    json["latest_invoice"] = render::invoice(inv);
                }
            }
            other => {
                return Err(StripeError::invalid(
                    "expand",
                    format!("This property cannot be expanded ({other})."),
                ));
            }
        }
    }
    Ok(Json(json))
}

async fn retrieve_subscription(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(query): RawQuery,
) -> Answer {
    authorize(&headers)?;
    subscription_json(&sb, &id, query.as_deref())
}

/// `cancel_at_period_end=true|false`: stop renewing at the period's end, or resume.
async fn update_subscription(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    authorize(&headers)?;
    let p = params(&body)?;
    let cancel = match text(&p, "cancel_at_period_end").as_deref() {
        Some("true") => Some(true),
        Some("false") => Some(false),
        None => None,
        Some(other) => {
            return Err(StripeError::invalid(
                "cancel_at_period_end",
                format!("Invalid boolean: {other}"),
            ));
        }
    };
    sb.with_books(|books, out| match cancel {
        Some(cancel) => books.cancel_at_period_end(&id, cancel, out),
        None => books
            .subscriptions
            .get(&id)
            .map(|_| ())
            .ok_or(Refusal::Missing),
    })
    .map_err(|refusal| match refusal {
        Refusal::Missing => missing("subscription", &id, "id"),
        Refusal::Canceled => StripeError::invalid(
            "subscription",
            "A canceled subscription can only update its cancellation_details and metadata.".into(),
        ),
    })?;
    subscription_json(&sb, &id, None)
}

async fn cancel_subscription(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    authorize(&headers)?;
    sb.with_books(|books, out| {
        let customer = books
            .subscriptions
            .get(&id)
            .ok_or_else(|| missing("subscription", &id, "id"))?
            .customer
            .clone();
        let now = books.time_of(&customer);
        books.cancel_now(&id, now, out);
        Ok(())
    })?;
    subscription_json(&sb, &id, None)
}

async fn retrieve_invoice(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    authorize(&headers)?;
    let books = sb.books();
    let inv = books
        .invoices
        .get(&id)
        .ok_or_else(|| missing("invoice", &id, "id"))?;
    Ok(Json(render::invoice(inv)))
}

#[derive(serde::Deserialize)]
struct CardChange {
    number: String,
}

/// Sandbox only: the customer's card becomes `number` (4242… pays, 0341 declines every charge);
/// an open invoice is charged to it at once.
async fn replace_card(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    Json(change): Json<CardChange>,
) -> Answer {
    let number: String = change.number.chars().filter(char::is_ascii_digit).collect();
    if number != CARD_PAYS && number != CARD_DECLINES_LATER {
        return Err(StripeError::invalid(
            "number",
            format!("Use a test card: {CARD_PAYS} or {CARD_DECLINES_LATER}."),
        ));
    }
    if !sb.with_books(|books, out| books.replace_card(&id, &number, out)) {
        return Err(missing("customer", &id, "id"));
    }
    let books = sb.books();
    Ok(Json(render::customer(&books.customers[&id])))
}

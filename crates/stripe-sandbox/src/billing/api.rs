//! Billing's Stripe API in the sandbox: customers, subscriptions (retrieve, cancel at period
//! end, resume, cancel now), invoices, the event list Stripe keeps for 30 days, test clocks, and
//! a control endpoint (sandbox only) that replaces a customer's card, as the portal would.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use axum::routing::{get, post};

use super::answer::{Answer, missing, newest_first, params, text};
use super::{CARD_DECLINES_LATER, CARD_PAYS, Refusal, SubStatus, json as render};
use crate::Sandbox;
use crate::error::StripeError;

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route(
            "/v1/customers",
            post(super::customers::create).get(super::customers::list),
        )
        .route(
            "/v1/billing_portal/configurations",
            post(super::portal::create_configuration).get(super::portal::list_configurations),
        )
        .route(
            "/v1/billing_portal/configurations/{id}",
            get(super::portal::retrieve_configuration),
        )
        .route(
            "/v1/billing_portal/sessions",
            post(super::portal::create_session),
        )
        .merge(super::portal_page::routes())
        .route("/v1/subscriptions", get(list_subscriptions))
        .route(
            "/v1/customers/{id}",
            get(super::customers::retrieve).post(super::customers::update),
        )
        .route(
            "/v1/subscriptions/{id}",
            get(retrieve_subscription)
                .post(update_subscription)
                .delete(cancel_subscription),
        )
        .route("/v1/invoices", get(super::invoices::list))
        .route("/v1/invoices/{id}", get(super::invoices::retrieve))
        .route("/v1/invoices/{id}/lines", get(super::invoices::lines))
        .route("/v1/invoice_payments", get(super::invoice_payments::list))
        .route("/v1/events", get(super::events::list))
        .route("/v1/events/{id}", get(super::events::retrieve))
        .route(
            "/v1/test_helpers/test_clocks",
            post(super::clocks::create).get(super::clocks::list),
        )
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

/// The subscriptions of `customer` (any status but cancelled, unless `status=all`).
async fn list_subscriptions(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let (customer, all) = (
        text(&p, "customer"),
        text(&p, "status").as_deref() == Some("all"),
    );
    let books = sb.books();
    newest_first(
        books
            .subscriptions
            .values()
            .filter(|s| {
                customer.as_ref().is_none_or(|c| &s.customer == c)
                    && (all || s.status != SubStatus::Canceled)
            })
            .collect(),
        |s: &super::Subscription| (s.created, &s.id),
        |s| render::subscription(&books, s),
        &p,
        "/v1/subscriptions",
    )
}

/// The subscription as the API serves it (`expand[]` is the middleware's, `crate::expand`).
fn subscription_json(sb: &Sandbox, id: &str) -> Answer {
    let books = sb.books();
    let sub = books
        .subscriptions
        .get(id)
        .ok_or_else(|| missing("subscription", id, "id"))?;
    Ok(Json(render::subscription(&books, sub)))
}

async fn retrieve_subscription(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    subscription_json(&sb, &id)
}

/// `cancel_at_period_end=true|false`: stop renewing at the period's end, or resume.
async fn update_subscription(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    sb.authorize(&headers)?;
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
    subscription_json(&sb, &id)
}

async fn cancel_subscription(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
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
    subscription_json(&sb, &id)
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

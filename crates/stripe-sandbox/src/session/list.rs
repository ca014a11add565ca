//! `GET /v1/checkout/sessions` (newest first, by customer, subscription, payment intent and
//! status, paginated) and a session's `line_items`, as Stripe serves them.

use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::Session;
use crate::Sandbox;
use crate::billing::answer::params;
use crate::error::StripeError;

type Answer = Result<axum::Json<Value>, StripeError>;

pub async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(raw.unwrap_or_default().as_bytes())?;
    let wanted = |name: &str| p.get(name).and_then(Value::as_str).map(str::to_owned);
    let (customer, subscription, intent, status) = (
        wanted("customer"),
        wanted("subscription"),
        wanted("payment_intent"),
        wanted("status"),
    );
    if let Some(s) = status
        .as_deref()
        .filter(|s| !["open", "complete", "expired"].contains(s))
    {
        return Err(StripeError::invalid(
            "status",
            format!("Invalid status: must be one of open, complete, or expired; got {s}"),
        ));
    }
    let mut found: Vec<Session> = sb
        .sessions()
        .into_iter()
        .filter(|s| customer.is_none() || s.customer == customer)
        .filter(|s| subscription.is_none() || s.subscription == subscription)
        .filter(|s| intent.is_none() || s.payment_intent == intent)
        .filter(|s| status.as_deref().is_none_or(|w| s.status.as_str() == w))
        .collect();
    found.sort_by(|a, b| (b.created, &b.id).cmp(&(a.created, &a.id)));
    let data = found.iter().map(Session::to_json).collect();
    crate::list::page(data, &p, "/v1/checkout/sessions")
}

pub async fn line_items(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    RawQuery(raw): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(raw.unwrap_or_default().as_bytes())?;
    let session = sb
        .session(&id)
        .ok_or_else(|| StripeError::no_such_session(&id))?;
    crate::list::page(
        session.line_items_json(),
        &p,
        &format!("/v1/checkout/sessions/{id}/line_items"),
    )
}

impl Session {
    /// The session's lines as Checkout's `item` objects, each with the price made from its
    /// `price_data` (ids derived from the session's, so they read back the same).
    pub fn line_items_json(&self) -> Vec<Value> {
        let tail = crate::last_chars(&self.id, 14);
        self.line_items
            .iter()
            .enumerate()
            .map(|(i, line)| {
                let amount = if self.trial_end.is_some() { 0 } else { line.unit_amount * line.quantity };
                let recurring = line.interval.map(|interval| {
                    json!({"interval": interval.as_str(), "interval_count": 1, "meter": null, "usage_type": "licensed", "trial_period_days": null})
                });
                json!({
                    "id": format!("li_{tail}{i}"), "object": "item", "adjustable_quantity": null,
                    "amount_discount": 0, "amount_subtotal": amount, "amount_tax": 0,
                    "amount_total": amount, "currency": self.currency, "description": line.name,
                    "metadata": {}, "quantity": line.quantity,
                    "price": {
                        "id": format!("price_{tail}{i}"), "object": "price", "active": false,
                        "billing_scheme": "per_unit", "created": self.created,
                        "currency": self.currency, "livemode": false, "lookup_key": null,
                        "metadata": {}, "nickname": null, "product": format!("prod_{tail}{i}"),
                        "recurring": recurring, "tax_behavior": "unspecified",
                        "tiers_mode": null, "transform_quantity": null,
                        "type": if recurring.is_some() { "recurring" } else { "one_time" },
                        "unit_amount": line.unit_amount,
                        "unit_amount_decimal": line.unit_amount.to_string(),
                    },
                })
            })
            .collect()
    }
}

//! What the renewal rules need to know of Stripe's invoices and subscriptions, read leniently
//! from whatever API version sent them: since 2025-03-31 an invoice names its subscription
//! under `parent.subscription_details` (its lines under `parent.subscription_item_details`) and a
//! subscription's period is on its items; older versions have top-level `subscription`,
//! `subscription_details` and `current_period_end`. Both are read.

use serde_json::Value;

/// An invoice, from `invoice.*` events or the API.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvoiceFacts {
    pub id: String,
    pub subscription: Option<String>,
    pub customer: Option<String>,
    /// The subscription's metadata snapshot: `client_id` and `plan` set at checkout.
    pub client_id: Option<String>,
    pub plan: Option<String>,
    pub status: Option<String>,
    pub amount_paid: i64,
    pub amount_due: i64,
    pub currency: Option<String>,
    /// The service period paid for: the latest `period` of the subscription's lines (not the
    /// invoice's own `period_*`, which looks back one period).
    pub line_period: Option<(i64, i64)>,
    pub hosted_url: Option<String>,
    pub paid_at: Option<i64>,
    pub livemode: bool,
    /// `customer_address` and `customer_tax_ids`, as Stripe froze them on the invoice.
    pub buyer: Option<crate::domain::BuyerDetails>,
    /// The PaymentIntent that paid it: refunds and disputes name the payment by it. At the
    /// pinned API version it is only in the invoice's `payments` (when expanded) or read from
    /// `GET /v1/invoice_payments` (see `fulfil::prepare`).
    pub payment_intent: Option<String>,
}

/// A subscription as Stripe holds it now (read from the API, never from a possibly old event).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SubscriptionFacts {
    pub id: String,
    pub customer: Option<String>,
    pub client_id: Option<String>,
    pub plan: Option<String>,
    pub status: String,
    pub cancel_at_period_end: bool,
    pub current_period_end: Option<i64>,
    pub card_last4: Option<String>,
    /// `latest_invoice`, when it was expanded.
    pub latest_invoice: Option<InvoiceFacts>,
    pub livemode: bool,
    /// When the relay had Stripe's answer (Unix microseconds, system clock), 0 when read from an
    /// event: a read older than the one stored is never applied over it.
    pub read_at: i64,
}

fn text(v: &Value, path: &[&str]) -> Option<String> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    match cur {
        Value::String(s) => Some(s.clone()),
        // An expanded object stands where its id would be.
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

fn int(v: &Value, path: &[&str]) -> Option<i64> {
    let mut cur = v;
    for key in path {
        cur = cur.get(key)?;
    }
    cur.as_i64()
}

impl InvoiceFacts {
    /// `None` unless `object` is an invoice with an id.
    pub fn read(object: &Value) -> Option<Self> {
        if object
            .get("object")
            .and_then(Value::as_str)
            .is_some_and(|k| k != "invoice")
        {
            return None;
        }
        let id = text(object, &["id"]).filter(|id| id.starts_with("in_") && id.len() <= 255)?;
        let subscription = text(object, &["parent", "subscription_details", "subscription"])
            .or_else(|| text(object, &["subscription"]));
        let meta = object
            .pointer("/parent/subscription_details/metadata")
            .or_else(|| object.pointer("/subscription_details/metadata"))
            .cloned()
            .unwrap_or(Value::Null);
        let lines = object
            .pointer("/lines/data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        let line_period = lines
            .iter()
            .filter(|line| {
                let of = text(
                    line,
                    &["parent", "subscription_item_details", "subscription"],
                )
                .or_else(|| text(line, &["subscription"]));
                of.is_none() || of == subscription
            })
            .filter_map(|line| {
                Some((
                    int(line, &["period", "start"])?,
                    int(line, &["period", "end"])?,
                ))
            })
            .max_by_key(|(_, end)| *end);
        Some(Self {
            id,
            customer: text(object, &["customer"]),
            client_id: text(&meta, &["client_id"]),
            plan: text(&meta, &["plan"]),
            subscription,
            status: text(object, &["status"]),
            amount_paid: int(object, &["amount_paid"]).unwrap_or(0),
            amount_due: int(object, &["amount_due"]).unwrap_or(0),
            currency: text(object, &["currency"]).map(|c| c.to_ascii_lowercase()),
            line_period,
            hosted_url: text(object, &["hosted_invoice_url"]),
            paid_at: int(object, &["status_transitions", "paid_at"]),
            livemode: object
                .get("livemode")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            buyer: crate::domain::BuyerDetails::from_stripe(
                object.get("customer_address"),
                object.get("customer_tax_ids"),
            ),
            payment_intent: object
                .pointer("/payments/data")
                .and_then(Value::as_array)
                .and_then(|payments| paid_intent(payments)),
        })
    }
}

/// The PaymentIntent of the paid one among an invoice's payments (`InvoicePayment` objects).
pub fn paid_intent(payments: &[Value]) -> Option<String> {
    payments
        .iter()
        .filter(|p| p.get("status").and_then(Value::as_str) == Some("paid"))
        .find_map(|p| text(p, &["payment", "payment_intent"]))
}

impl SubscriptionFacts {
    pub fn read(object: &Value) -> Option<Self> {
        if object.get("object").and_then(Value::as_str) != Some("subscription") {
            return None;
        }
        let id = text(object, &["id"]).filter(|id| id.starts_with("sub_") && id.len() <= 255)?;
        let item_end = object
            .pointer("/items/data")
            .and_then(Value::as_array)
            .and_then(|items| {
                items
                    .iter()
                    .filter_map(|i| int(i, &["current_period_end"]))
                    .max()
            });
        let meta = object.get("metadata").cloned().unwrap_or(Value::Null);
        Some(Self {
            id,
            customer: text(object, &["customer"]),
            client_id: text(&meta, &["client_id"]),
            plan: text(&meta, &["plan"]),
            status: text(object, &["status"]).unwrap_or_default(),
            cancel_at_period_end: object
                .get("cancel_at_period_end")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            current_period_end: item_end.or_else(|| int(object, &["current_period_end"])),
            card_last4: text(object, &["default_payment_method", "card", "last4"])
                .filter(|l| l.len() == 4 && l.bytes().all(|b| b.is_ascii_digit())),
            latest_invoice: object
                .get("latest_invoice")
                .filter(|v| v.is_object())
                .and_then(InvoiceFacts::read),
            livemode: object
                .get("livemode")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            read_at: 0,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn line(sub_new: bool, start: i64, end: i64) -> Value {
        if sub_new {
            json!({"period": {"start": start, "end": end},
                   "parent": {"subscription_item_details": {"subscription": "sub_1"}}})
        } else {
            json!({"period": {"start": start, "end": end}, "subscription": "sub_1"})
        }
    }

    #[test]
    fn an_invoice_since_2025_03_31_names_its_subscription_under_parent() {
        let inv = json!({"id": "in_1", "object": "invoice", "status": "paid", "amount_paid": 4900,
            "currency": "eur", "customer": "cus_1", "period_start": 100, "period_end": 200,
            "parent": {"subscription_details": {"subscription": "sub_1",
                        "metadata": {"client_id": "39", "plan": "mensuel"}}},
            "lines": {"data": [line(true, 200, 300)]}});
        let f = InvoiceFacts::read(&inv).unwrap();
        assert_eq!(f.subscription.as_deref(), Some("sub_1"));
        assert_eq!(f.client_id.as_deref(), Some("39"));
        assert_eq!(
            f.line_period,
            Some((200, 300)),
            "the line's period, not the invoice's"
        );
    }

    #[test]
    fn an_older_invoice_has_top_level_subscription_fields() {
        let inv = json!({"id": "in_2", "object": "invoice", "subscription": "sub_1",
            "subscription_details": {"metadata": {"client_id": "39", "plan": "annuel"}},
            "amount_paid": 49900, "lines": {"data": [line(false, 10, 20), line(false, 20, 30)]}});
        let f = InvoiceFacts::read(&inv).unwrap();
        assert_eq!(f.subscription.as_deref(), Some("sub_1"));
        assert_eq!(f.plan.as_deref(), Some("annuel"));
        assert_eq!(f.line_period, Some((20, 30)));
    }

    #[test]
    fn a_subscription_period_is_on_its_items_or_at_the_top_in_older_versions() {
        let new = json!({"id": "sub_1", "object": "subscription", "status": "active",
            "items": {"data": [{"current_period_end": 500}]},
            "default_payment_method": {"id": "pm_1", "card": {"last4": "4242"}}});
        let old = json!({"id": "sub_1", "object": "subscription", "status": "past_due",
            "current_period_end": 400, "cancel_at_period_end": true});
        let new = SubscriptionFacts::read(&new).unwrap();
        assert_eq!(
            (new.current_period_end, new.card_last4.as_deref()),
            (Some(500), Some("4242"))
        );
        let old = SubscriptionFacts::read(&old).unwrap();
        assert_eq!(
            (old.current_period_end, old.cancel_at_period_end),
            (Some(400), true)
        );
        assert!(SubscriptionFacts::read(&json!({"id": "cus_1", "object": "customer"})).is_none());
    }
}

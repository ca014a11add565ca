//! Webhook events read tolerantly, whatever API version the account sends: unknown fields are
//! ignored and optional fields stay optional. Checkout events are read in one pass; the rarer
//! Billing events are read again as a tree.

use std::collections::HashMap;

use serde::Deserialize;

use crate::core::event::EventKind;
use crate::domain::{BuyerDetails, CheckoutStatus, PaymentStatus, SessionFacts, SessionId};
use crate::money_back::facts::{DisputeFacts, RefundFacts};
use crate::renewal::facts::{InvoiceFacts, SubscriptionFacts};

/// A verified webhook event, read leniently.
#[derive(Debug, Clone)]
pub struct WebhookEvent {
    pub id: String,
    pub event_type: String,
    /// The Checkout Session of `checkout.session.*` events, when it can be read.
    pub session: Option<SessionFacts>,
    /// Stripe's `livemode`: sent by a live account.
    pub livemode: bool,
    /// The invoice of `invoice.*` events.
    pub invoice: Option<InvoiceFacts>,
    /// The subscription id of `customer.subscription.*` events (its state is read from Stripe).
    pub subscription_id: Option<String>,
    /// The refund of `refund.*` events.
    pub refund: Option<RefundFacts>,
    /// The charge of `charge.refunded` (its refunds are read from Stripe).
    pub charge_id: Option<String>,
    /// The dispute of `charge.dispute.*` events.
    pub dispute: Option<DisputeFacts>,
}

#[derive(Deserialize)]
struct RawEvent {
    id: String,
    #[serde(rename = "type")]
    event_type: String,
    data: Option<RawData>,
    #[serde(default)]
    livemode: Option<bool>,
}

#[derive(Deserialize)]
struct RawData {
    object: Option<RawSession>,
}

#[derive(Deserialize)]
struct RawSession {
    id: Option<String>,
    object: Option<String>,
    client_reference_id: Option<String>,
    #[serde(default)]
    metadata: Option<HashMap<String, serde_json::Value>>,
    amount_total: Option<i64>,
    currency: Option<String>,
    payment_status: Option<String>,
    status: Option<String>,
    #[serde(default)]
    livemode: Option<bool>,
    mode: Option<String>,
    subscription: Option<serde_json::Value>,
    customer_details: Option<serde_json::Value>,
    /// An id, or the object when expanded.
    payment_intent: Option<serde_json::Value>,
}

/// Parses an event body. Errors only when it is not an event at all (no `id`/`type`).
pub fn parse_event(body: &[u8]) -> Result<WebhookEvent, String> {
    let raw: RawEvent =
        serde_json::from_slice(body).map_err(|e| format!("not a Stripe event: {e}"))?;
    if raw.id.is_empty()
        || raw.id.len() > 255
        || raw.event_type.is_empty()
        || raw.event_type.len() > 255
    {
        return Err("event id or type is empty or too long".into());
    }
    // Checkout events, by far the most frequent, are read in this one pass; the rarer Billing
    // events are read again as a tree (their objects have many shapes across API versions).
    let kind = EventKind::of(&raw.event_type);
    let billing = kind.about_billing() || kind.about_refund();
    let object = match billing {
        true => serde_json::from_slice::<serde_json::Value>(body)
            .ok()
            .and_then(|mut v| v.pointer_mut("/data/object").map(serde_json::Value::take)),
        false => None,
    };
    let invoice = match raw.event_type.starts_with("invoice.") {
        true => object.as_ref().and_then(InvoiceFacts::read),
        false => None,
    };
    let subscription_id = match raw.event_type.starts_with("customer.subscription.") {
        true => object
            .as_ref()
            .and_then(SubscriptionFacts::read)
            .map(|s| s.id),
        false => None,
    };
    let livemode = raw.livemode.unwrap_or(false);
    let refund = match kind {
        EventKind::Refund => object.as_ref().and_then(|o| RefundFacts::read(o, livemode)),
        _ => None,
    };
    let dispute = match kind {
        EventKind::Dispute => object
            .as_ref()
            .and_then(|o| DisputeFacts::read(o, livemode)),
        _ => None,
    };
    let charge_id = match kind {
        EventKind::ChargeRefunded => object
            .as_ref()
            .and_then(|o| o.get("id")?.as_str())
            .filter(|id| id.starts_with("ch_") || id.starts_with("py_"))
            .map(str::to_owned),
        _ => None,
    };
    let session = if raw.event_type.starts_with("checkout.session.") {
        let session = raw.data.and_then(|d| d.object);
        session.and_then(|o| {
            if o.object.as_deref().is_some_and(|k| k != "checkout.session") {
                return None;
            }
            let meta = o.metadata.unwrap_or_default();
            let text = |k: &str| meta.get(k).and_then(|v| v.as_str()).map(str::to_owned);
            Some(SessionFacts {
                id: SessionId::parse(o.id.as_deref()?)?,
                client_id: text("client_id").or(o.client_reference_id),
                plan: text("plan"),
                amount_total: o.amount_total,
                currency: o.currency.map(|c| c.to_ascii_lowercase()),
                payment_status: o.payment_status.as_deref().and_then(PaymentStatus::parse),
                status: o.status.as_deref().and_then(CheckoutStatus::parse),
                livemode: o.livemode.or(raw.livemode).unwrap_or(false),
                subscription: (o.mode.as_deref() == Some("subscription")).then(|| {
                    o.subscription
                        .as_ref()
                        .and_then(|s| s.as_str().or_else(|| s.get("id")?.as_str()))
                        .unwrap_or_default()
                        .to_owned()
                }),
                payment_intent: o
                    .payment_intent
                    .as_ref()
                    .and_then(|p| p.as_str().or_else(|| p.get("id")?.as_str()))
                    .map(str::to_owned),
                buyer: o
                    .customer_details
                    .as_ref()
                    .and_then(|d| BuyerDetails::from_stripe(d.get("address"), d.get("tax_ids"))),
            })
        })
    } else {
        None
    };
    Ok(WebhookEvent {
        id: raw.id,
        event_type: raw.event_type,
        session,
        livemode,
        invoice,
        subscription_id,
        refund,
        charge_id,
        dispute,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_fields_and_missing_optionals_are_tolerated() {
        let body = br#"{"id":"evt_1","type":"checkout.session.completed","api_version":"2019-01-01","new_field":{"x":1},
            "data":{"object":{"id":"cs_test_1","object":"checkout.session","metadata":{"client_id":"39","plan":"mensuel","n":3},
            "amount_total":4900,"currency":"EUR","payment_status":"paid","extra":[1,2]}}}"#;
        let e = parse_event(body).unwrap();
        let s = e.session.unwrap();
        assert_eq!(s.client_id.as_deref(), Some("39"));
        assert_eq!(s.currency.as_deref(), Some("eur"));
        assert_eq!(s.status, None);
    }

    #[test]
    fn client_reference_id_is_the_fallback() {
        let body = br#"{"id":"evt_1","type":"checkout.session.completed","data":{"object":{"id":"cs_1","client_reference_id":"7","payment_status":"paid"}}}"#;
        assert_eq!(
            parse_event(body)
                .unwrap()
                .session
                .unwrap()
                .client_id
                .as_deref(),
            Some("7")
        );
    }

    #[test]
    fn other_events_and_bad_sessions_carry_no_session() {
        let body =
            br#"{"id":"evt_2","type":"payment_intent.succeeded","data":{"object":{"id":"pi_1"}}}"#;
        assert!(parse_event(body).unwrap().session.is_none());
        let body = br#"{"id":"evt_3","type":"checkout.session.completed","data":{"object":{"id":"not-a-session"}}}"#;
        assert!(parse_event(body).unwrap().session.is_none());
    }

    #[test]
    fn a_refund_event_carries_its_refund_and_charge_refunded_its_charge() {
        let body = br#"{"id":"evt_4","type":"refund.updated","livemode":false,"data":{"object":{"id":"re_1","object":"refund","amount":4900,"payment_intent":"pi_1","status":"failed","created":1798761600}}}"#;
        let refund = parse_event(body).unwrap().refund.unwrap();
        assert_eq!((refund.id.as_str(), refund.amount), ("re_1", 4900));
        let body = br#"{"id":"evt_5","type":"charge.refunded","data":{"object":{"id":"ch_1","object":"charge","amount_refunded":4900}}}"#;
        let e = parse_event(body).unwrap();
        assert_eq!((e.charge_id.as_deref(), e.refund), (Some("ch_1"), None));
    }

    #[test]
    fn non_events_are_errors() {
        for body in [
            &b""[..],
            b"[]",
            b"{}",
            b"{\"id\":1,\"type\":\"x\"}",
            b"{\"id\":\"\",\"type\":\"x\"}",
            b"nul",
        ] {
            assert!(
                parse_event(body).is_err(),
                "{}",
                String::from_utf8_lossy(body)
            );
        }
    }
}

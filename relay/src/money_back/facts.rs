//! What the money-back rules need to know of Stripe's refunds, read leniently from a `refund.*`
//! event's object or from the API's list of a charge's refunds.

use serde_json::Value;

use crate::core::reversal::RefundStatus;

/// A refund as Stripe reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefundFacts {
    pub id: String,
    /// The PaymentIntent refunded: how the relay finds the payment.
    pub payment_intent: Option<String>,
    pub amount: i64,
    pub currency: Option<String>,
    pub status: RefundStatus,
    /// When Stripe created it (Unix seconds): the time access ends, for a full refund.
    pub created: i64,
    pub reason: Option<String>,
    /// `metadata[reason]`: the operator's words, when the relay made the refund.
    pub note: Option<String>,
    pub livemode: bool,
}

impl RefundFacts {
    /// `None` unless `object` is a refund with an id, an amount, a known status and a time.
    pub fn read(object: &Value, livemode: bool) -> Option<Self> {
        if object.get("object").and_then(Value::as_str) != Some("refund") {
            return None;
        }
        let text = |k: &str| match object.get(k)? {
            Value::String(s) => Some(s.clone()),
            // An expanded object stands where its id would be.
            Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
            _ => None,
        };
        Some(Self {
            id: text("id").filter(|id| id.starts_with("re_") || id.starts_with("pyr_"))?,
            payment_intent: text("payment_intent"),
            amount: object.get("amount")?.as_i64().filter(|a| *a > 0)?,
            currency: text("currency").map(|c| c.to_ascii_lowercase()),
            status: RefundStatus::parse(object.get("status")?.as_str()?)?,
            created: object.get("created")?.as_i64()?,
            reason: text("reason"),
            note: object
                .pointer("/metadata/reason")
                .and_then(Value::as_str)
                .map(str::to_owned),
            livemode: object
                .get("livemode")
                .and_then(Value::as_bool)
                .unwrap_or(livemode),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_refund_reads_with_its_payment_amount_status_and_time() {
        let r = RefundFacts::read(
            &json!({"id": "re_1", "object": "refund", "amount": 4900, "currency": "EUR",
                "payment_intent": {"id": "pi_1", "object": "payment_intent"},
                "status": "succeeded", "created": 1_798_761_600, "reason": null}),
            false,
        )
        .unwrap();
        assert_eq!(r.payment_intent.as_deref(), Some("pi_1"));
        assert_eq!((r.amount, r.status), (4900, RefundStatus::Succeeded));
        assert_eq!(r.currency.as_deref(), Some("eur"));
    }

    #[test]
    fn other_objects_and_unreadable_refunds_are_not_refunds() {
        for object in [
            json!({"id": "ch_1", "object": "charge", "amount": 4900}),
            json!({"id": "re_1", "object": "refund", "amount": 0, "status": "succeeded", "created": 1}),
            json!({"id": "re_1", "object": "refund", "amount": 10, "status": "lost", "created": 1}),
            json!({"id": "re_1", "object": "refund", "amount": 10, "status": "pending"}),
            json!({"id": "x_1", "object": "refund", "amount": 10, "status": "pending", "created": 1}),
        ] {
            assert_eq!(RefundFacts::read(&object, false), None, "{object}");
        }
    }
}

//! What the money-back rules need to know of Stripe's refunds and disputes, read leniently from a
//! `refund.*` or `charge.dispute.*` event's object, or from the API's list of a charge's refunds.

use serde_json::Value;

use crate::core::reversal::{DisputeStatus, RefundStatus};

/// `object[key]` as text: a string, or the id of an expanded object standing where it would be.
fn text(object: &Value, key: &str) -> Option<String> {
    match object.get(key)? {
        Value::String(s) => Some(s.clone()),
        Value::Object(o) => o.get("id").and_then(Value::as_str).map(str::to_owned),
        _ => None,
    }
}

/// A dispute (a card chargeback or inquiry, or a SEPA debit taken back) as Stripe reported it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DisputeFacts {
    pub id: String,
    pub payment_intent: Option<String>,
    pub amount: i64,
    pub currency: Option<String>,
    /// Stripe's own status (`needs_response`, `warning_closed`, `won`…), as stored.
    pub status: String,
    /// What that status means for access, a SEPA chargeback being lost at once.
    pub effect: DisputeStatus,
    pub reason: Option<String>,
    pub created: i64,
    /// `evidence_details.due_by`: the last moment to answer.
    pub due_by: Option<i64>,
    pub livemode: bool,
}

impl DisputeFacts {
    /// `None` unless `object` is a dispute with an id, an amount, a known status and a time.
    pub fn read(object: &Value, livemode: bool) -> Option<Self> {
        if object.get("object").and_then(Value::as_str) != Some("dispute") {
            return None;
        }
        let status = object.get("status")?.as_str()?.to_owned();
        let sepa = object
            .pointer("/payment_method_details/type")
            .and_then(Value::as_str)
            == Some("sepa_debit");
        Some(Self {
            id: text(object, "id").filter(|id| id.starts_with("du_") || id.starts_with("dp_"))?,
            payment_intent: text(object, "payment_intent"),
            amount: object.get("amount")?.as_i64().filter(|a| *a > 0)?,
            currency: text(object, "currency").map(|c| c.to_ascii_lowercase()),
            effect: DisputeStatus::parse(&status)?.effective(sepa),
            status,
            reason: text(object, "reason"),
            created: object.get("created")?.as_i64()?,
            due_by: object
                .pointer("/evidence_details/due_by")
                .and_then(Value::as_i64),
            livemode: object
                .get("livemode")
                .and_then(Value::as_bool)
                .unwrap_or(livemode),
        })
    }
}

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
        let text = |k: &str| text(object, k);
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
    fn a_dispute_reads_with_its_deadline_and_a_sepa_chargeback_reads_lost() {
        let card = json!({"id": "du_1", "object": "dispute", "amount": 4900, "currency": "eur",
            "payment_intent": "pi_1", "status": "needs_response", "reason": "fraudulent",
            "created": 1_798_761_600, "evidence_details": {"due_by": 1_799_366_400},
            "payment_method_details": {"type": "card"}});
        let d = DisputeFacts::read(&card, false).unwrap();
        assert_eq!(
            (d.effect, d.due_by),
            (DisputeStatus::Open, Some(1_799_366_400))
        );
        let mut sepa = card.clone();
        sepa["payment_method_details"]["type"] = "sepa_debit".into();
        assert_eq!(
            DisputeFacts::read(&sepa, false).unwrap().effect,
            DisputeStatus::Lost
        );
        sepa["status"] = "charge_refunded".into();
        assert_eq!(DisputeFacts::read(&sepa, false), None, "an unknown status");
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

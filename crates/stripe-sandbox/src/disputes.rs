//! Disputes as Stripe's test mode makes them (docs.stripe.com/testing, disputes): a payment by
//! the card 4000 0000 0000 0259 is disputed as soon as it is paid (`needs_response`, reason
//! `fraudulent`, `charge.dispute.created` then `charge.dispute.funds_withdrawn`); `POST
//! /v1/disputes/{id}` with `evidence[uncategorized_text]=winning_evidence` or
//! `losing_evidence` closes it won or lost (`charge.dispute.updated`, `charge.dispute.closed`,
//! and `charge.dispute.funds_reinstated` when won), `submit=false` keeping it a draft. A SEPA
//! debit from the test IBAN FR57…02608 settles and is then charged back: a SEPA chargeback
//! cannot be contested, so it is `lost` at once. Retrieve and list (by `payment_intent` or
//! `charge`).

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::billing::answer::{Answer, missing, newest_first, params, text};
use crate::charges::{Paid, of_payment};
use crate::error::StripeError;
use crate::{Sandbox, random_id};

/// A payment by this card is disputed as a fraud as soon as it is paid.
pub const CARD_DISPUTED: &str = "4000000000000259";
/// Stripe's French test IBAN whose debit succeeds and is then disputed.
pub const IBAN_DISPUTED: &str = "FR5720041010050500013M02608";
/// How long a card dispute leaves to answer, as Stripe's test mode gives.
const EVIDENCE_DAYS: i64 = 7;

#[derive(Debug, Clone)]
pub(crate) struct Dispute {
    pub id: String,
    pub payment_intent: String,
    pub charge: String,
    pub amount: i64,
    pub currency: String,
    pub reason: &'static str,
    pub status: &'static str,
    pub created: i64,
    pub due_by: Option<i64>,
    pub sepa: bool,
    pub evidence: Option<String>,
    pub submissions: u32,
    pub metadata: BTreeMap<String, String>,
}

impl Dispute {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id, "object": "dispute", "amount": self.amount,
            "balance_transactions": [], "charge": self.charge, "created": self.created,
            "currency": self.currency, "enhanced_eligibility_types": [],
            "evidence": {"uncategorized_text": self.evidence},
            "evidence_details": {"due_by": self.due_by, "enhanced_eligibility": {},
                "has_evidence": self.evidence.is_some(), "past_due": false,
                "submission_count": self.submissions},
            "is_charge_refundable": false, "livemode": false, "metadata": self.metadata,
            "network_reason_code": null, "payment_intent": self.payment_intent,
            "payment_method_details": if self.sepa { Value::Null } else {
                json!({"type": "card", "card": {"brand": "visa", "case_type": "chargeback",
                    "network_reason_code": "10.4"}})
            },
            "reason": self.reason, "status": self.status,
        })
    }

    /// Still open to evidence: a card chargeback not yet decided.
    fn open(&self) -> bool {
        matches!(self.status, "needs_response" | "warning_needs_response")
    }
}

impl Sandbox {
    /// The payment's bank disputes it now: a card fraud to answer, or a SEPA chargeback, lost.
    pub(crate) fn open_dispute(&self, paid: &Paid) {
        let dispute = Dispute {
            id: format!("du_{}", random_id(24)),
            payment_intent: paid.payment_intent.clone(),
            charge: paid.charge.clone(),
            amount: paid.amount,
            currency: paid.currency.clone(),
            reason: if paid.sepa { "general" } else { "fraudulent" },
            status: if paid.sepa { "lost" } else { "needs_response" },
            created: paid.now,
            due_by: (!paid.sepa).then_some(paid.now + EVIDENCE_DAYS * 86_400),
            sepa: paid.sepa,
            evidence: None,
            submissions: 0,
            metadata: BTreeMap::new(),
        };
        self.inner.disputes.lock().unwrap().push(dispute.clone());
        self.emit_object("charge.dispute.created", dispute.to_json(), paid.now, None);
        self.emit_object(
            "charge.dispute.funds_withdrawn",
            dispute.to_json(),
            paid.now,
            None,
        );
    }

    pub(crate) fn dispute(&self, id: &str) -> Option<Dispute> {
        let disputes = self.inner.disputes.lock().unwrap();
        disputes.iter().find(|d| d.id == id).cloned()
    }

    /// Whether a payment was disputed (its charge's `disputed`).
    pub(crate) fn disputed(&self, payment_intent: &str) -> bool {
        let disputes = self.inner.disputes.lock().unwrap();
        disputes.iter().any(|d| d.payment_intent == payment_intent)
    }
}

pub async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    sb.dispute(&id)
        .map(|d| Json(d.to_json()))
        .ok_or_else(|| missing("dispute", &id, "dispute"))
}

/// `GET /v1/disputes?payment_intent=…|charge=…`, newest first.
pub async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let disputes = sb.inner.disputes.lock().unwrap().clone();
    let found = of_payment(&disputes, &p, |d| (&d.payment_intent, &d.charge));
    newest_first(
        found,
        |d| (d.created, d.id.as_str()),
        Dispute::to_json,
        &p,
        "/v1/disputes",
    )
}

/// `POST /v1/disputes/{id}`: evidence and metadata; submitted unless `submit=false`. In test
/// mode the text `winning_evidence` wins the dispute and `losing_evidence` loses it.
pub async fn update(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(&body)?;
    for key in p.as_object().into_iter().flat_map(|m| m.keys()) {
        if !["evidence", "submit", "metadata", "expand"].contains(&key.as_str()) {
            return Err(StripeError::unknown(key));
        }
    }
    let submit = text(&p, "submit").is_none_or(|s| s != "false");
    let evidence = p
        .pointer("/evidence/uncategorized_text")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let (before, after) = {
        let mut disputes = sb.inner.disputes.lock().unwrap();
        let d = disputes
            .iter_mut()
            .find(|d| d.id == id)
            .ok_or_else(|| missing("dispute", &id, "dispute"))?;
        if !d.open() {
            return Err(StripeError::request_error(format!(
                "This dispute is already closed (status: {}).",
                d.status
            )));
        }
        let before = d.status;
        if let Some(text) = evidence.clone() {
            d.evidence = Some(text);
        }
        if let Some(m) = p.get("metadata").and_then(Value::as_object) {
            for (k, v) in m {
                d.metadata
                    .insert(k.clone(), v.as_str().unwrap_or_default().to_owned());
            }
        }
        if submit {
            d.submissions += 1;
            d.status = match d.evidence.as_deref() {
                Some("winning_evidence") => "won",
                Some("losing_evidence") => "lost",
                _ => "under_review",
            };
        }
        (before, d.clone())
    };
    let at = crate::now();
    let previous = json!({"status": before});
    sb.emit_object(
        "charge.dispute.updated",
        after.to_json(),
        at,
        Some(previous),
    );
    if matches!(after.status, "won" | "lost") {
        sb.emit_object("charge.dispute.closed", after.to_json(), at, None);
    }
    if after.status == "won" {
        sb.emit_object("charge.dispute.funds_reinstated", after.to_json(), at, None);
    }
    Ok(Json(after.to_json()))
}

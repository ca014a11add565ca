//! Refunds as Stripe makes them: `POST /v1/refunds` (by `payment_intent` or `charge`, the whole
//! amount or part of it, Stripe's errors for too large an amount or a charge already refunded,
//! `Idempotency-Key` answered with the first refund), retrieve and list; the events
//! `charge.refunded` and `refund.created`, then `refund.updated` (and `refund.failed`) when a
//! refund changes. A card refund succeeds at once; a SEPA refund is `pending` until it settles;
//! the test card 4000 0000 0000 5126 refunds `succeeded`, then `failed` later, as on Stripe.

use std::collections::BTreeMap;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use serde_json::{Value, json};

use crate::billing::answer::{Answer, integer, missing, newest_first, params, text};
use crate::charges::of_payment;
use crate::error::StripeError;
use crate::{Sandbox, now, random_id};

/// Refunds of a payment by this card succeed, then fail later (docs.stripe.com/testing).
pub const CARD_REFUND_FAILS: &str = "4000000000005126";
const REASONS: [&str; 3] = ["duplicate", "fraudulent", "requested_by_customer"];

#[derive(Debug, Clone)]
pub(crate) struct Refund {
    pub id: String,
    pub payment_intent: String,
    pub charge: String,
    pub amount: i64,
    pub currency: String,
    pub customer: Option<String>,
    pub status: &'static str,
    pub failure_reason: Option<&'static str>,
    pub reason: Option<String>,
    pub metadata: BTreeMap<String, String>,
    pub created: i64,
}

impl Refund {
    pub(crate) fn to_json(&self) -> Value {
        json!({
            "id": self.id, "object": "refund", "amount": self.amount,
            "balance_transaction": format!("txn_{}", crate::last_chars(&self.id, 24)),
            "charge": self.charge, "created": self.created, "currency": self.currency,
            "customer": self.customer, "description": null,
            "destination_details": null, "failure_reason": self.failure_reason,
            "metadata": self.metadata, "payment_intent": self.payment_intent,
            "reason": self.reason, "receipt_number": null, "status": self.status,
        })
    }

    /// Whether its money is on its way back or back (it counts against what is left).
    pub(crate) fn counts(&self) -> bool {
        !matches!(self.status, "failed" | "canceled")
    }
}

pub async fn create(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    sb.authorize(&headers)?;
    let p = params(&body)?;
    for key in p.as_object().into_iter().flat_map(|m| m.keys()) {
        let known = [
            "payment_intent",
            "charge",
            "amount",
            "reason",
            "metadata",
            "expand",
        ];
        if !known.contains(&key.as_str()) {
            return Err(StripeError::unknown(key));
        }
    }
    let key = headers
        .get("idempotency-key")
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned);
    if let Some(id) = key.as_ref().and_then(|k| sb.idempotent_refund(k)) {
        return Ok(Json(sb.refund(&id).expect("kept").to_json()));
    }
    let paid = match (text(&p, "payment_intent"), text(&p, "charge")) {
        (Some(pi), _) => sb
            .paid(&pi)
            .ok_or_else(|| missing("payment_intent", &pi, "payment_intent"))?,
        (None, Some(ch)) => sb
            .paid(&ch)
            .ok_or_else(|| missing("charge", &ch, "charge"))?,
        (None, None) => {
            return Err(StripeError::request_error(
                "One of the following params should be provided for this request: payment_intent or charge.".into(),
            ));
        }
    };
    if !paid.succeeded {
        return Err(refused(
            None,
            None,
            format!(
                "This PaymentIntent ({}) does not have a successful charge to refund.",
                paid.payment_intent
            ),
        ));
    }
    let left = paid.amount - sb.refunded(&paid.payment_intent);
    if left <= 0 {
        let message = format!("Charge {} has already been refunded.", paid.charge);
        return Err(refused(Some("charge_already_refunded"), None, message));
    }
    let amount = match integer(&p, "amount")? {
        None => left,
        Some(a) if a <= 0 => {
            return Err(StripeError::invalid(
                "amount",
                "Invalid positive integer".into(),
            ));
        }
        Some(a) if a > left => {
            let message = format!(
                "Refund amount ({}) is greater than unrefunded amount on charge ({})",
                euros(a),
                euros(left)
            );
            return Err(refused(Some("amount_too_large"), Some("amount"), message));
        }
        Some(a) => a,
    };
    let reason = text(&p, "reason");
    if let Some(r) = reason.as_deref().filter(|r| !REASONS.contains(r)) {
        return Err(StripeError::invalid(
            "reason",
            format!(
                "Invalid reason: must be one of duplicate, fraudulent, or requested_by_customer (got {r})"
            ),
        ));
    }
    let metadata = p
        .get("metadata")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_owned())))
                .collect()
        })
        .unwrap_or_default();
    let refund = Refund {
        id: format!("re_{}", random_id(24)),
        payment_intent: paid.payment_intent.clone(),
        charge: paid.charge.clone(),
        amount,
        currency: paid.currency.clone(),
        customer: paid.customer.clone(),
        status: if paid.sepa { "pending" } else { "succeeded" },
        failure_reason: None,
        reason,
        metadata,
        created: paid.now,
    };
    sb.keep_refund(refund.clone(), key);
    sb.emit_object("charge.refunded", sb.charge_json(&paid), paid.now, None);
    sb.emit_object("refund.created", refund.to_json(), paid.now, None);
    let later = match (paid.sepa, paid.card.as_deref()) {
        (true, _) => Some("succeeded"),
        (false, Some(CARD_REFUND_FAILS)) => Some("failed"),
        _ => None,
    };
    if let Some(outcome) = later {
        let (sandbox, id) = (sb.clone(), refund.id.clone());
        let after = sb.config().sepa_settle_after;
        tokio::spawn(async move {
            tokio::time::sleep(after).await;
            sandbox.settle_refund(&id, outcome);
        });
    }
    Ok(Json(refund.to_json()))
}

pub async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    sb.refund(&id)
        .map(|r| Json(r.to_json()))
        .ok_or_else(|| missing("refund", &id, "id"))
}

/// `GET /v1/refunds?payment_intent=…|charge=…`, newest first.
pub async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let refunds = sb.inner.refunds.lock().unwrap().clone();
    let found = of_payment(&refunds, &p, |r| (&r.payment_intent, &r.charge));
    newest_first(
        found,
        |r| (r.created, r.id.as_str()),
        Refund::to_json,
        &p,
        "/v1/refunds",
    )
}

fn refused(code: Option<&'static str>, param: Option<&str>, message: String) -> StripeError {
    StripeError {
        status: StatusCode::BAD_REQUEST,
        kind: "invalid_request_error",
        code,
        message,
        param: param.map(str::to_owned),
    }
}

/// « €49.00 », as Stripe writes amounts in its English errors.
fn euros(cents: i64) -> String {
    format!("€{}.{:02}", cents / 100, cents % 100)
}

impl Sandbox {
    pub(crate) fn refund(&self, id: &str) -> Option<Refund> {
        let refunds = self.inner.refunds.lock().unwrap();
        refunds.iter().find(|r| r.id == id).cloned()
    }

    /// What the refunds of a payment took back, or are taking back.
    pub fn refunded(&self, payment_intent: &str) -> i64 {
        let refunds = self.inner.refunds.lock().unwrap();
        refunds
            .iter()
            .filter(|r| r.payment_intent == payment_intent && r.counts())
            .map(|r| r.amount)
            .sum()
    }

    fn idempotent_refund(&self, key: &str) -> Option<String> {
        self.inner.refund_keys.lock().unwrap().get(key).cloned()
    }

    fn keep_refund(&self, refund: Refund, key: Option<String>) {
        if let Some(key) = key {
            let mut keys = self.inner.refund_keys.lock().unwrap();
            keys.insert(key, refund.id.clone());
        }
        self.inner.refunds.lock().unwrap().push(refund);
    }

    /// A refund reaches `outcome` (`succeeded` or `failed`) now: `refund.updated`, and
    /// `refund.failed` when it failed. Returns false for an unknown refund or one already there.
    pub fn settle_refund(&self, id: &str, outcome: &str) -> bool {
        let status = match outcome {
            "succeeded" => "succeeded",
            "failed" => "failed",
            _ => return false,
        };
        let (before, after) = {
            let mut refunds = self.inner.refunds.lock().unwrap();
            let Some(r) = refunds.iter_mut().find(|r| r.id == id) else {
                return false;
            };
            if r.status == status || r.status == "failed" {
                return false;
            }
            let before = r.to_json();
            r.status = status;
            if status == "failed" {
                r.failure_reason = Some("expired_or_canceled_card");
            }
            (before, r.clone())
        };
        let previous =
            json!({"status": before["status"], "failure_reason": before["failure_reason"]});
        self.emit_object("refund.updated", after.to_json(), now(), Some(previous));
        if status == "failed" {
            self.emit_object("refund.failed", after.to_json(), now(), None);
        }
        true
    }
}

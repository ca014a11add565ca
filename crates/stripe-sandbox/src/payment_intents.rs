//! `GET /v1/payment_intents/{id}`: the PaymentIntent behind a paid Checkout Session in mode
//! `payment` — succeeded by card, `processing` while a test SEPA debit settles, back to
//! `requires_payment_method` when it fails — or behind a charged invoice.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use crate::error::StripeError;
use crate::{PaymentStatus, Sandbox};

pub async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Result<Json<Value>, StripeError> {
    sb.authorize(&headers)?;
    sb.payment_intent(&id)
        .map(Json)
        .ok_or_else(|| crate::billing::answer::missing("payment_intent", &id, "intent"))
}

impl Sandbox {
    pub(crate) fn payment_intent(&self, id: &str) -> Option<Value> {
        let session = self
            .sessions()
            .into_iter()
            .find(|s| s.payment_intent.as_deref() == Some(id));
        let Some(session) = session else {
            return self.invoice_intent(id);
        };
        let sepa = session.payment_method.as_deref() == Some("sepa_debit");
        let status = match session.payment_status {
            PaymentStatus::Paid => "succeeded",
            PaymentStatus::Unpaid if self.sepa_pending(&session.id) => "processing",
            PaymentStatus::Unpaid => "requires_payment_method",
        };
        let amount = session.amount_total();
        let card = session.customer.as_deref().and_then(|c| {
            self.books()
                .customers
                .get(c)
                .and_then(|c| c.payment_method.clone())
        });
        Some(intent_json(Intent {
            id,
            amount,
            status,
            customer: session.customer.as_deref(),
            created: session.created,
            currency: &session.currency,
            description: session.description(),
            payment_method: if sepa { None } else { card },
            method_type: if sepa { "sepa_debit" } else { "card" },
            secret_tail: crate::last_chars(&session.id, 24),
        }))
    }

    /// The PaymentIntent that charged an invoice (see `billing::invoice_payments`).
    fn invoice_intent(&self, id: &str) -> Option<Value> {
        let paid = self.paid(id).filter(|p| p.payment_intent == id)?;
        let card = paid.customer.as_deref().and_then(|c| {
            self.books()
                .customers
                .get(c)
                .and_then(|c| c.payment_method.clone())
        });
        Some(intent_json(Intent {
            id,
            amount: paid.amount,
            status: if paid.succeeded {
                "succeeded"
            } else {
                "requires_payment_method"
            },
            customer: paid.customer.as_deref(),
            created: paid.created,
            currency: &paid.currency,
            description: "Subscription update".into(),
            payment_method: card,
            method_type: "card",
            secret_tail: crate::last_chars(id, 24),
        }))
    }
}

/// What a PaymentIntent's JSON is made of.
struct Intent<'a> {
    id: &'a str,
    amount: i64,
    status: &'static str,
    customer: Option<&'a str>,
    created: i64,
    currency: &'a str,
    description: String,
    payment_method: Option<String>,
    method_type: &'static str,
    secret_tail: String,
}

fn intent_json(i: Intent<'_>) -> Value {
    let received = if i.status == "succeeded" { i.amount } else { 0 };
    json!({
        "id": i.id, "object": "payment_intent", "amount": i.amount,
        "amount_capturable": 0, "amount_received": received, "application": null,
        "application_fee_amount": null, "automatic_payment_methods": null,
        "canceled_at": null, "cancellation_reason": null, "capture_method": "automatic",
        "client_secret": format!("{}_secret_{}", i.id, i.secret_tail),
        "confirmation_method": "automatic", "created": i.created,
        "currency": i.currency, "customer": i.customer,
        "description": i.description, "last_payment_error": null,
        "latest_charge": (i.status == "succeeded").then(|| crate::charges::charge_of(i.id)),
        "livemode": false, "metadata": {}, "next_action": null,
        "on_behalf_of": null, "payment_method": i.payment_method,
        "payment_method_types": [i.method_type],
        "processing": null, "receipt_email": null, "review": null,
        "setup_future_usage": null, "shipping": null, "statement_descriptor": null,
        "statement_descriptor_suffix": null, "status": i.status, "transfer_data": null,
        "transfer_group": null,
    })
}

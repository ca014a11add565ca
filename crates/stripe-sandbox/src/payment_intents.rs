//! `GET /v1/payment_intents/{id}`: the PaymentIntent behind a paid Checkout Session in mode
//! `payment` — succeeded by card, `processing` while a test SEPA debit settles, back to
//! `requires_payment_method` when it fails.

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
            .find(|s| s.payment_intent.as_deref() == Some(id))?;
        let sepa = session.payment_method.as_deref() == Some("sepa_debit");
        let status = match session.payment_status {
            PaymentStatus::Paid => "succeeded",
            PaymentStatus::Unpaid if self.sepa_pending(&session.id) => "processing",
            PaymentStatus::Unpaid => "requires_payment_method",
        };
        let amount = session.amount_total();
        let received = if status == "succeeded" { amount } else { 0 };
        let card = session.customer.as_deref().and_then(|c| {
            self.books()
                .customers
                .get(c)
                .and_then(|c| c.payment_method.clone())
        });
        Some(json!({
            "id": id, "object": "payment_intent", "amount": amount,
            "amount_capturable": 0, "amount_received": received, "application": null,
            "application_fee_amount": null, "automatic_payment_methods": null,
            "canceled_at": null, "cancellation_reason": null, "capture_method": "automatic",
            "client_secret": format!("{id}_secret_{}", crate::last_chars(&session.id, 24)),
            "confirmation_method": "automatic", "created": session.created,
            "currency": session.currency, "customer": session.customer,
            "description": session.description(), "last_payment_error": null,
            "latest_charge": (status == "succeeded").then(|| crate::charges::charge_of(id)), "livemode": false, "metadata": {}, "next_action": null,
            "on_behalf_of": null, "payment_method": if sepa { None } else { card },
            "payment_method_types": [if sepa { "sepa_debit" } else { "card" }],
            "processing": null, "receipt_email": null, "review": null,
            "setup_future_usage": null, "shipping": null, "statement_descriptor": null,
            "statement_descriptor_suffix": null, "status": status, "transfer_data": null,
            "transfer_group": null,
        }))
    }
}

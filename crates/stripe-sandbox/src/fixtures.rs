//! Events exactly as the sandbox sends them, for tests and the bench that deliver webhooks
//! themselves: one builder, the sandbox's own shapes (a complete Checkout Session, about 3 KB,
//! as Stripe sends it), and one way to sign a delivery.

use std::collections::BTreeMap;

use serde_json::{Value, json};

use crate::session::{LineItem, PaymentStatus, Session, Status};
use crate::webhook::{API_VERSION, signature_header};

/// The `event` envelope Stripe wraps around `object`.
pub fn event_body(id: &str, event_type: &str, object: Value, created: i64) -> String {
    event_json(id, event_type, object, created, None).to_string()
}

/// The event object, with `data.previous_attributes` for `*.updated` events.
pub fn event_json(
    id: &str,
    event_type: &str,
    object: Value,
    created: i64,
    previous: Option<Value>,
) -> Value {
    let mut data = json!({"object": object});
    if let Some(previous) = previous {
        data["previous_attributes"] = previous;
    }
    json!({
        "id": id, "object": "event", "api_version": API_VERSION,
        "created": created, "data": data, "livemode": false,
        "pending_webhooks": 1, "request": {"id": null, "idempotency_key": null},
        "type": event_type,
    })
}

/// A completed, paid one-off Checkout Session of `amount_cents` for `client` and `plan`.
pub fn paid_session(session_id: &str, client: &str, plan: &str, amount_cents: i64) -> Session {
    let now = crate::now();
    Session {
        id: session_id.to_owned(),
        mode: "payment".into(),
        currency: "eur".into(),
        line_items: vec![LineItem {
            name: format!("ERP BTP — abonnement {plan}"),
            unit_amount: amount_cents,
            quantity: 1,
            interval: None,
        }],
        success_url: "http://127.0.0.1:8080/payment-success?session_id={CHECKOUT_SESSION_ID}"
            .into(),
        cancel_url: Some("http://127.0.0.1:8080/payment-cancelled".into()),
        client_reference_id: Some(client.to_owned()),
        metadata: BTreeMap::from([
            ("client_id".to_owned(), client.to_owned()),
            ("plan".to_owned(), plan.to_owned()),
        ]),
        locale: Some("fr".into()),
        created: now,
        expires_at: now + 24 * 3600,
        status: Status::Complete,
        payment_status: PaymentStatus::Paid,
        payment_intent: Some(format!("pi_{}", crate::random_id(24))),
        payment_method: None,
        card: None,
        url: String::new(),
        customer: None,
        subscription: None,
        subscription_metadata: BTreeMap::new(),
        trial_end: None,
        collection: Default::default(),
        details: None,
    }
}

/// `checkout.session.completed` for a paid session of `amount_cents` (the plan's price, for
/// the relay to fulfil it).
pub fn paid_checkout_event(
    event_id: &str,
    session_id: &str,
    client: &str,
    plan: &str,
    amount_cents: i64,
) -> String {
    let session = paid_session(session_id, client, plan, amount_cents);
    event_body(
        event_id,
        "checkout.session.completed",
        session.to_json(),
        crate::now(),
    )
}

/// The `Stripe-Signature` header for `body`, signed now with `secret`.
pub fn sign_now(secret: &str, body: &str) -> String {
    signature_header(&[secret.to_owned()], crate::now(), body.as_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixture_event_is_the_sandboxs_full_session_shape() {
        let body = paid_checkout_event("evt_1", "cs_test_1", "39", "mensuel", 4900);
        let v: Value = serde_json::from_str(&body).unwrap();
        assert_eq!(v["data"]["object"]["amount_total"], 4900);
        assert_eq!(v["data"]["object"]["metadata"]["client_id"], "39");
        assert!(
            body.len() > 1500,
            "a real session object, not a stub: {}",
            body.len()
        );
    }
}

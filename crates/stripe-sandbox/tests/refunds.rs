//! Refunds as Stripe makes them: full and partial, by PaymentIntent or Charge, Stripe's errors,
//! idempotency keys, and the events each status change sends.

mod common;

use common::{KEY, SECRET, World, start};
use serde_json::Value;

/// A paid one-off session of 49 € by `card`; its PaymentIntent.
async fn paid(w: &World, card: &str) -> String {
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, _, _) = w.pay(&id, &World::card(card)).await;
    assert_eq!(status, 303);
    let session = w.get(&format!("/v1/checkout/sessions/{id}")).await;
    session["payment_intent"].as_str().unwrap().to_owned()
}

async fn refund(w: &World, body: &str) -> (u16, Value) {
    let (status, json) = w.post_form("/v1/refunds", Some(KEY), body).await;
    (status.as_u16(), json)
}

fn of_type<'a>(events: &'a [Value], kind: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["type"] == kind).collect()
}

#[tokio::test]
async fn partial_refunds_add_up_to_the_charge_and_no_further() {
    let w = start(&[SECRET]).await;
    let pi = paid(&w, "4242424242424242").await;
    let (status, part) = refund(&w, &format!("payment_intent={pi}&amount=1000")).await;
    assert_eq!((status, part["status"].as_str()), (200, Some("succeeded")));
    let charge = part["charge"].as_str().unwrap().to_owned();
    let (status, too_much) = refund(&w, &format!("charge={charge}&amount=3901")).await;
    assert_eq!(status, 400);
    assert_eq!(too_much["error"]["code"], "amount_too_large");
    assert_eq!(
        too_much["error"]["message"],
        "Refund amount (€39.01) is greater than unrefunded amount on charge (€39.00)"
    );
    let (status, rest) = refund(&w, &format!("charge={charge}")).await;
    assert_eq!((status, rest["amount"].as_i64()), (200, Some(3900)));
    let (status, again) = refund(&w, &format!("payment_intent={pi}")).await;
    assert_eq!(status, 400);
    assert_eq!(again["error"]["code"], "charge_already_refunded");
    let c = w.get(&format!("/v1/charges/{charge}")).await;
    assert_eq!(
        (c["amount_refunded"].as_i64(), c["refunded"].as_bool()),
        (Some(4900), Some(true))
    );
    let list = w.get(&format!("/v1/refunds?payment_intent={pi}")).await;
    assert_eq!(list["data"].as_array().unwrap().len(), 2);
    let charges = w.get(&format!("/v1/charges?payment_intent={pi}")).await;
    assert_eq!(charges["data"][0]["amount_refunded"], 4900);
    let intents = w.get("/v1/payment_intents").await;
    assert_eq!(intents["data"][0]["id"], pi.as_str());
    w.sandbox.idle().await;
    let events = w.receiver.events();
    assert_eq!(of_type(&events, "refund.created").len(), 2);
    assert_eq!(of_type(&events, "charge.refunded").len(), 2);
    let last = of_type(&events, "charge.refunded")[1];
    assert_eq!(last["data"]["object"]["amount_refunded"], 4900);
}

#[tokio::test]
async fn the_same_idempotency_key_gives_back_the_first_refund() {
    let w = start(&[SECRET]).await;
    let pi = paid(&w, "4242424242424242").await;
    let send = || {
        w.http
            .post(format!("{}/v1/refunds", w.base))
            .bearer_auth(KEY)
            .header("idempotency-key", "refund-FA-2026-000001-1000")
            .form(&[("payment_intent", pi.as_str()), ("amount", "1000")])
            .send()
    };
    let first: Value = send().await.unwrap().json().await.unwrap();
    let second: Value = send().await.unwrap().json().await.unwrap();
    assert_eq!(first["id"], second["id"]);
    assert_eq!(w.sandbox.refunded(&pi), 1000);
}

#[tokio::test]
async fn bad_refund_requests_get_stripes_errors() {
    let w = start(&[SECRET]).await;
    let (status, missing) = refund(&w, "payment_intent=pi_nothing").await;
    assert_eq!(
        (status, missing["error"]["code"].as_str()),
        (404, Some("resource_missing"))
    );
    let (status, neither) = refund(&w, "amount=100").await;
    assert_eq!(status, 400, "{neither}");
    let pi = paid(&w, "4242424242424242").await;
    for body in [
        format!("payment_intent={pi}&amount=0"),
        format!("payment_intent={pi}&reason=because"),
        format!("payment_intent={pi}&refund_application_fee=true"),
    ] {
        let (status, e) = refund(&w, &body).await;
        assert_eq!(status, 400, "{body}: {e}");
        assert_eq!(e["error"]["type"], "invalid_request_error");
    }
    let (status, _) = w
        .post_form("/v1/refunds", None, &format!("payment_intent={pi}"))
        .await;
    assert_eq!(status, 401);
    assert_eq!(w.sandbox.refunded(&pi), 0, "nothing was refunded");
}

#[tokio::test]
async fn card_5126_refunds_succeed_then_fail_and_tell_it() {
    let w = start(&[SECRET]).await;
    let pi = paid(&w, "4000000000005126").await;
    let (_, r) = refund(&w, &format!("payment_intent={pi}")).await;
    assert_eq!(r["status"], "succeeded");
    let id = r["id"].as_str().unwrap();
    assert!(w.sandbox.settle_refund(id, "failed"));
    assert!(
        !w.sandbox.settle_refund(id, "succeeded"),
        "a failed refund stays failed"
    );
    w.sandbox.idle().await;
    let events = w.receiver.events();
    let updated = of_type(&events, "refund.updated");
    assert_eq!(updated.len(), 1);
    assert_eq!(updated[0]["data"]["object"]["status"], "failed");
    assert_eq!(
        updated[0]["data"]["previous_attributes"]["status"],
        "succeeded"
    );
    assert_eq!(of_type(&events, "refund.failed").len(), 1);
    assert_eq!(
        w.sandbox.refunded(&pi),
        0,
        "its money can be refunded again"
    );
}

#[tokio::test]
async fn a_sepa_refund_is_pending_until_it_settles() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(
        &id,
        &[("method", "sepa"), ("iban", stripe_sandbox::IBAN_SUCCEEDS)],
    )
    .await;
    let pi = w.get(&format!("/v1/checkout/sessions/{id}")).await["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    let (status, early) = refund(&w, &format!("payment_intent={pi}")).await;
    assert_eq!(
        status, 400,
        "nothing to refund while the debit settles: {early}"
    );
    assert!(w.sandbox.settle(&id));
    let (_, r) = refund(&w, &format!("payment_intent={pi}")).await;
    assert_eq!(r["status"], "pending");
    assert!(
        w.sandbox
            .settle_refund(r["id"].as_str().unwrap(), "succeeded")
    );
    let again = w
        .get(&format!("/v1/refunds/{}", r["id"].as_str().unwrap()))
        .await;
    assert_eq!(again["status"], "succeeded");
}

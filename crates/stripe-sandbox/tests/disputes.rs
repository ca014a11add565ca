//! Disputes as Stripe's test mode makes them: the card 0259 is disputed once paid, evidence
//! `winning_evidence` or `losing_evidence` closes it won or lost, and a SEPA debit from the
//! disputed test IBAN is charged back, lost at once.

mod common;

use common::{KEY, SECRET, World, start};
use serde_json::Value;
use stripe_sandbox::disputes::{CARD_DISPUTED, IBAN_DISPUTED};

fn types(w: &World) -> Vec<String> {
    w.receiver.types()
}

/// A session paid with `card`; its dispute.
async fn disputed(w: &World) -> Value {
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, _, _) = w.pay(&id, &World::card(CARD_DISPUTED)).await;
    assert_eq!(status, 303);
    // The bank disputes it once the payment's events are delivered.
    w.sandbox.idle().await;
    let pi = w.get(&format!("/v1/checkout/sessions/{id}")).await["payment_intent"]
        .as_str()
        .unwrap()
        .to_owned();
    let list = w.get(&format!("/v1/disputes?payment_intent={pi}")).await;
    list["data"][0].clone()
}

#[tokio::test]
async fn card_0259_is_disputed_once_paid_and_winning_evidence_wins_it() {
    let w = start(&[SECRET]).await;
    let d = disputed(&w).await;
    assert_eq!(
        (d["status"].as_str(), d["reason"].as_str()),
        (Some("needs_response"), Some("fraudulent"))
    );
    assert!(d["evidence_details"]["due_by"].as_i64().unwrap() > d["created"].as_i64().unwrap());
    let id = d["id"].as_str().unwrap();
    let path = format!("/v1/disputes/{id}");
    let draft = w
        .ok(
            &path,
            "evidence[uncategorized_text]=winning_evidence&submit=false",
        )
        .await;
    assert_eq!(
        draft["status"], "needs_response",
        "a draft is not submitted"
    );
    let won = w
        .ok(&path, "evidence[uncategorized_text]=winning_evidence")
        .await;
    assert_eq!(won["status"], "won");
    let (status, again) = w.post_form(&path, Some(KEY), "submit=true").await;
    assert_eq!(status, 400, "closed: {again}");
    w.sandbox.idle().await;
    // Sent concurrently, as Stripe does: they may arrive in any order.
    let mut sent = types(&w)[1..].to_vec();
    sent.sort();
    assert_eq!(
        sent,
        [
            "charge.dispute.closed",
            "charge.dispute.created",
            "charge.dispute.funds_reinstated",
            "charge.dispute.funds_withdrawn",
            "charge.dispute.updated",
            "charge.dispute.updated"
        ]
    );
    let charge = w
        .get(&format!("/v1/charges/{}", d["charge"].as_str().unwrap()))
        .await;
    assert_eq!(charge["disputed"], true);
}

#[tokio::test]
async fn losing_evidence_loses_the_dispute() {
    let w = start(&[SECRET]).await;
    let d = disputed(&w).await;
    let path = format!("/v1/disputes/{}", d["id"].as_str().unwrap());
    let lost = w
        .ok(&path, "evidence[uncategorized_text]=losing_evidence")
        .await;
    assert_eq!(lost["status"], "lost");
    w.sandbox.idle().await;
    assert!(types(&w).ends_with(&[
        "charge.dispute.updated".into(),
        "charge.dispute.closed".into()
    ]));
}

#[tokio::test]
async fn a_sepa_debit_from_the_disputed_iban_is_charged_back_and_lost_at_once() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(&id, &[("method", "sepa"), ("iban", IBAN_DISPUTED)])
        .await;
    assert!(w.sandbox.settle(&id));
    w.sandbox.idle().await;
    let sent = types(&w);
    assert_eq!(sent.len(), 4, "{sent:?}");
    assert_eq!(
        sent[..2],
        [
            "checkout.session.completed",
            "checkout.session.async_payment_succeeded"
        ],
        "the bank takes the debit back once it is settled"
    );
    let events = w.receiver.events();
    let created = events
        .iter()
        .find(|e| e["type"] == "charge.dispute.created")
        .unwrap();
    let d = &created["data"]["object"];
    assert_eq!(
        (
            d["status"].as_str(),
            d["evidence_details"]["due_by"].as_i64()
        ),
        (Some("lost"), None)
    );
    let (status, e) = w
        .post_form(
            &format!("/v1/disputes/{}", d["id"].as_str().unwrap()),
            Some(KEY),
            "evidence[uncategorized_text]=winning_evidence",
        )
        .await;
    assert_eq!(status, 400, "a SEPA chargeback cannot be contested: {e}");
}

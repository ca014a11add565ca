//! Chargebacks end to end over real HTTP on SQLite and PostgreSQL: a card disputed at the
//! sandbox (Stripe's test card 0259) suspends the payment's access until the dispute is won,
//! a lost one keeps it removed and gets an avoir, a SEPA debit taken back is lost at once, an
//! inquiry or a prevented dispute changes nothing, a chargeback on a renewal invoice stops the
//! renewal at Stripe after the commit; in any order and duplicated.

mod common;

use common::billing::months_after;
use common::{Backend, DAY, World, now, start};
use serde_json::{Value, json};
use stripe_sandbox::disputes::{CARD_DISPUTED, IBAN_DISPUTED};
use stripe_sandbox::{DeliveryOptions, FlushOrder};

fn close_to(actual: Option<i64>, expected: i64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() <= 5)
}

/// Pays a monthly one-off with the disputed card; (its PaymentIntent, its dispute).
async fn pay_disputed(w: &World) -> (String, Value) {
    let (id, url) = w.checkout("mensuel").await;
    let (code, _) = w.pay_card(&url, CARD_DISPUTED).await;
    assert_eq!(code, 303);
    w.sandbox.idle().await;
    let intent = w.sandbox.session(&id).unwrap().payment_intent.unwrap();
    let list = w
        .stripe(
            reqwest::Method::GET,
            &format!("/v1/disputes?payment_intent={intent}"),
            &[],
        )
        .await;
    (intent, list["data"][0].clone())
}

/// Answers dispute `id` with Stripe's test evidence (`winning_evidence` or `losing_evidence`).
async fn answer(w: &World, id: &str, evidence: &str) {
    let form = [("evidence[uncategorized_text]", evidence.to_owned())];
    w.stripe(reqwest::Method::POST, &format!("/v1/disputes/{id}"), &form)
        .await;
    w.sandbox.idle().await;
}

async fn avoirs(w: &World) -> Vec<Value> {
    let (code, body) = w.get_json("/api/invoices", Some(&w.token)).await;
    assert_eq!(code, 200);
    let all = body["invoices"].as_array().unwrap().clone();
    all.into_iter().filter(|i| i["kind"] == "avoir").collect()
}

/// A signed `charge.dispute.*` event about payment `intent`, as Stripe sends it.
async fn deliver_dispute(w: &World, kind: &str, intent: &str, status: &str, at: i64) -> u16 {
    let body = json!({
        "id": format!("evt_{}", stripe_sandbox::random_id(12)), "object": "event", "type": kind,
        "livemode": false, "created": at,
        "data": {"object": {"id": format!("du_{}", &intent[3..]), "object": "dispute",
            "amount": 4900, "currency": "eur", "payment_intent": intent, "status": status,
            "reason": "general", "created": at, "evidence_details": {"due_by": at + 7 * DAY}}}
    })
    .to_string();
    w.send_webhook(&w.base, &body)
        .await
        .unwrap()
        .status()
        .as_u16()
}

async fn a_chargeback_suspends_access_until_it_is_won(backend: Backend) {
    let w = start(backend).await;
    let (_, dispute) = pay_disputed(&w).await;
    assert_eq!(dispute["status"], "needs_response");
    assert_eq!(
        w.expiry().await,
        dispute["created"].as_i64(),
        "suspended at the dispute"
    );
    let status = w.status().await;
    assert_eq!(status["status"], "expired");
    assert_eq!(
        status["renewal"]["money_back"]["kind"], "disputed",
        "{status}"
    );
    assert!(
        renew_page(&w)
            .await
            .contains("Paiement contesté auprès de votre banque : accès suspendu."),
        "the renew page says it"
    );
    let stored: (String, Option<i64>) =
        sqlx::query_as("SELECT reason, evidence_due_by FROM disputes")
            .fetch_one(&w.state.db.pool)
            .await
            .unwrap();
    assert_eq!(
        stored,
        (
            "fraudulent".to_owned(),
            dispute["evidence_details"]["due_by"].as_i64()
        )
    );
    answer(&w, dispute["id"].as_str().unwrap(), "winning_evidence").await;
    assert!(
        close_to(w.expiry().await, now() + 30 * DAY),
        "the period comes back"
    );
    assert!(avoirs(&w).await.is_empty());
    assert!(
        renew_page(&w)
            .await
            .contains("Contestation close en votre faveur.")
    );
}

/// The relay's renew page, opened by a fresh renew link, as the company sees it.
async fn renew_page(w: &World) -> String {
    let (code, link) = w.post_json("/api/renew-link", Some(&w.token), "{}").await;
    assert_eq!(code, 200, "{link}");
    let page = w
        .http
        .get(link["url"].as_str().unwrap())
        .send()
        .await
        .unwrap();
    page.text().await.unwrap()
}

async fn a_lost_chargeback_keeps_access_removed_and_gets_an_avoir(backend: Backend) {
    let w = start(backend).await;
    let (_, dispute) = pay_disputed(&w).await;
    answer(&w, dispute["id"].as_str().unwrap(), "losing_evidence").await;
    assert_eq!(w.expiry().await, dispute["created"].as_i64());
    let avoirs = avoirs(&w).await;
    assert_eq!(avoirs.len(), 1);
    assert_eq!(avoirs[0]["amount_cents"], 4900);
}

async fn a_sepa_debit_taken_back_is_lost_at_once(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    w.pay(&url, &[("method", "sepa"), ("iban", IBAN_DISPUTED)])
        .await;
    assert!(w.sandbox.settle(&id));
    w.sandbox.idle().await;
    let effect: String = sqlx::query_scalar("SELECT effect FROM disputes")
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap();
    assert_eq!(effect, "lost");
    assert_eq!(w.status().await["status"], "expired");
    assert_eq!(avoirs(&w).await.len(), 1);
}

async fn an_inquiry_or_a_prevented_dispute_changes_nothing(backend: Backend) {
    let w = start(backend).await;
    let id = w.buy("mensuel").await;
    let intent = w.sandbox.session(&id).unwrap().payment_intent.unwrap();
    let (paid, version) = (w.expiry().await, w.status().await["version"].as_i64());
    for status in ["warning_needs_response", "prevented"] {
        let code = deliver_dispute(&w, "charge.dispute.created", &intent, status, now()).await;
        assert_eq!(code, 200);
    }
    assert_eq!(w.expiry().await, paid);
    assert!(
        w.status().await["version"].as_i64() > version,
        "journalled and stored"
    );
    assert!(avoirs(&w).await.is_empty());
}

async fn dispute_events_reversed_and_duplicated_end_where_they_would_in_order(backend: Backend) {
    let w = start(backend).await;
    let (_, dispute) = pay_disputed(&w).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        duplicates: 1,
        ..Default::default()
    });
    // charge.dispute.updated, closed and funds_reinstated held, then sent last one first.
    answer(&w, dispute["id"].as_str().unwrap(), "winning_evidence").await;
    w.sandbox.flush(FlushOrder::Reverse).await;
    assert!(
        close_to(w.expiry().await, now() + 30 * DAY),
        "won in the end"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM disputes")
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "won");
    assert!(avoirs(&w).await.is_empty());
}

async fn a_chargeback_on_a_renewal_invoice_stops_the_renewal_at_stripe(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    w.advance(&clock, months_after(t0, 1) + 2 * 3600).await;
    let intent: String =
        sqlx::query_scalar("SELECT payment_intent FROM invoices ORDER BY period_end DESC LIMIT 1")
            .fetch_one(&w.state.db.pool)
            .await
            .unwrap();
    let at = months_after(t0, 1) + 3 * 3600;
    let code = deliver_dispute(&w, "charge.dispute.created", &intent, "needs_response", at).await;
    assert_eq!(code, 200);
    assert_eq!(
        w.paid_until().await,
        Some(at),
        "the period in progress is suspended"
    );
    let done = relay::money_back::stops::run_once(&w.state).await.unwrap();
    assert_eq!(done, 1);
    let sub = w
        .stripe(
            reqwest::Method::GET,
            &format!("/v1/subscriptions/{}", w.subscription_id().await),
            &[],
        )
        .await;
    assert_eq!(
        sub["cancel_at_period_end"], true,
        "no new charge while contested"
    );
    assert_eq!(
        relay::money_back::stops::run_once(&w.state).await.unwrap(),
        0,
        "once"
    );
    // Won: the period comes back, and renewal stays stopped until the company turns it on.
    deliver_dispute(&w, "charge.dispute.closed", &intent, "won", at + DAY).await;
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(
        relay::money_back::stops::run_once(&w.state).await.unwrap(),
        0
    );
}

on_both_backends!(
    a_chargeback_suspends_access_until_it_is_won,
    a_lost_chargeback_keeps_access_removed_and_gets_an_avoir,
    a_sepa_debit_taken_back_is_lost_at_once,
    an_inquiry_or_a_prevented_dispute_changes_nothing,
    dispute_events_reversed_and_duplicated_end_where_they_would_in_order,
    a_chargeback_on_a_renewal_invoice_stops_the_renewal_at_stripe,
);

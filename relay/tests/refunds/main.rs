//! Money going back, end to end over real HTTP on SQLite and PostgreSQL: refunds made at the
//! sandbox (as from Stripe's Dashboard) reach the relay as `refund.*` and `charge.refunded`
//! events and change access exactly as the rule says (DESIGN.md, « Money going back »), in any
//! order and duplicated; a refund of a payment the relay does not know changes nothing
//! (`operator`: `relay refund`, and two instances numbering avoirs).

#[path = "../common/mod.rs"]
mod common;
mod operator;

use common::billing::months_after;
use common::{Backend, DAY, World, now, start};
use serde_json::{Value, json};
use stripe_sandbox::{DeliveryOptions, FlushOrder};

fn close_to(actual: Option<i64>, expected: i64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() <= 5)
}

/// The PaymentIntent that paid session `id`.
pub(crate) fn intent(w: &World, id: &str) -> String {
    w.sandbox.session(id).unwrap().payment_intent.unwrap()
}

async fn refund(w: &World, intent: &str, amount: Option<i64>) -> Value {
    w.refund_at_stripe(intent, amount).await
}

async fn outcomes(w: &World, kind: &str) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT outcome FROM stripe_events WHERE event_type = $1 ORDER BY received_at",
    )
    .bind(kind)
    .fetch_all(&w.state.db.pool)
    .await
    .unwrap()
}

/// The company's avoirs, newest first: (number, amount, the facture it corrects).
pub(crate) async fn avoirs(w: &World) -> Vec<(String, i64, String)> {
    let (code, body) = w.get_json("/api/invoices", Some(&w.token)).await;
    assert_eq!(code, 200, "{body}");
    body["invoices"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["kind"] == "avoir")
        .map(|i| {
            let text = |k: &str| i[k].as_str().unwrap().to_owned();
            (
                text("number"),
                i["amount_cents"].as_i64().unwrap(),
                text("corrects"),
            )
        })
        .collect()
}

/// « AV-2026-000001 » for the year of the relay's clock.
fn avoir_number(w: &World, seq: u32) -> String {
    let year = relay::core::numbering::paris_year(w.state.clock.now());
    format!("AV-{year}-{seq:06}")
}

async fn a_full_refund_of_the_only_payment_ends_access_at_the_refund(backend: Backend) {
    let w = start(backend).await;
    let id = w.buy("mensuel").await;
    let before = w.status().await["version"].as_i64().unwrap();
    let r = refund(&w, &intent(&w, &id), None).await;
    assert_eq!(r["status"], "succeeded");
    assert_eq!(w.expiry().await, r["created"].as_i64());
    let status = w.status().await;
    assert_eq!(status["status"], "expired", "{status}");
    assert_eq!(
        status["renewal"]["money_back"]["kind"], "refunded",
        "{status}"
    );
    assert!(status["version"].as_i64().unwrap() > before);
    // charge.refunded reads the charge's refunds back: the same refund, applied by whichever
    // of the two events lands first.
    let mut both = outcomes(&w, "refund.created").await;
    both.extend(outcomes(&w, "charge.refunded").await);
    both.sort();
    assert_eq!(
        both,
        ["ignored: refund already succeeded", "refund succeeded"]
    );
    let (code, body) = w.get_json("/api/invoices", Some(&w.token)).await;
    assert_eq!(code, 200);
    let facture = body["invoices"][1]["number"].as_str().unwrap().to_owned();
    assert_eq!(avoirs(&w).await, [(avoir_number(&w, 1), 4900, facture)]);
    assert!(w.sandbox.deliveries().iter().all(|d| d.status == 200));
}

async fn a_refunded_prepaid_period_is_removed_whole(backend: Backend) {
    let w = start(backend).await;
    w.buy("mensuel").await;
    let second = w.buy("mensuel").await;
    assert!(close_to(w.expiry().await, now() + 60 * DAY));
    refund(&w, &intent(&w, &second), None).await;
    assert!(close_to(w.expiry().await, now() + 30 * DAY));
    assert_eq!(w.status().await["status"], "active");
}

async fn partial_refunds_change_nothing_until_they_add_up_to_the_payment(backend: Backend) {
    let w = start(backend).await;
    let id = w.buy("mensuel").await;
    let paid = w.expiry().await;
    refund(&w, &intent(&w, &id), Some(1000)).await;
    assert_eq!(w.expiry().await, paid, "a commercial gesture keeps access");
    let news = w.status().await["renewal"]["money_back"].clone();
    assert_eq!(
        (news["kind"].as_str(), news["amount_cents"].as_i64()),
        (Some("partially_refunded"), Some(1000))
    );
    let rest = refund(&w, &intent(&w, &id), None).await;
    assert_eq!(rest["amount"], 3900);
    assert_eq!(w.expiry().await, rest["created"].as_i64());
    assert_eq!(
        w.count("SELECT COUNT(*) FROM refunds WHERE status = 'succeeded'")
            .await,
        2
    );
    let numbered: Vec<(String, i64)> = avoirs(&w)
        .await
        .into_iter()
        .map(|(n, a, _)| (n, a))
        .collect();
    assert_eq!(
        numbered,
        [(avoir_number(&w, 2), 3900), (avoir_number(&w, 1), 1000)],
        "one avoir per refund, numbered without a gap"
    );
}

async fn a_refund_that_fails_after_succeeding_gives_the_period_back(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    w.pay_card(&url, "4000 0000 0000 5126").await;
    w.sandbox.idle().await;
    let paid = w.expiry().await;
    let r = refund(&w, &intent(&w, &id), None).await;
    assert_eq!(w.expiry().await, r["created"].as_i64());
    assert!(w.sandbox.settle_refund(r["id"].as_str().unwrap(), "failed"));
    w.sandbox.idle().await;
    assert_eq!(w.expiry().await, paid);
    // refund.updated and refund.failed say the same thing: the first one to land applies it.
    let mut both = outcomes(&w, "refund.updated").await;
    both.extend(outcomes(&w, "refund.failed").await);
    both.sort();
    assert_eq!(both, ["ignored: refund already failed", "refund failed"]);
    assert_eq!(
        avoirs(&w).await.len(),
        1,
        "the avoir stays: the credit is still owed"
    );
}

async fn a_refund_that_fails_before_succeeding_issues_no_avoir(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    w.pay(
        &url,
        &[("method", "sepa"), ("iban", stripe_sandbox::IBAN_SUCCEEDS)],
    )
    .await;
    assert!(w.sandbox.settle(&id));
    w.sandbox.idle().await;
    let paid = w.expiry().await;
    let r = refund(&w, &intent(&w, &id), None).await;
    assert_eq!(r["status"], "pending");
    assert_eq!(
        w.expiry().await,
        r["created"].as_i64(),
        "removed once the refund exists"
    );
    assert!(
        avoirs(&w).await.is_empty(),
        "no avoir before the money is back"
    );
    assert!(w.sandbox.settle_refund(r["id"].as_str().unwrap(), "failed"));
    w.sandbox.idle().await;
    assert_eq!(w.expiry().await, paid);
    assert!(avoirs(&w).await.is_empty());
    let status = w.status().await;
    assert!(
        status["renewal"].get("money_back").is_none(),
        "nothing went back: {status}"
    );
}

async fn refund_events_reversed_and_duplicated_end_where_they_would_in_order(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    w.pay_card(&url, "4000 0000 0000 5126").await;
    w.sandbox.idle().await;
    let paid = w.expiry().await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        duplicates: 2,
        ..Default::default()
    });
    let r = refund(&w, &intent(&w, &id), None).await;
    assert!(w.sandbox.settle_refund(r["id"].as_str().unwrap(), "failed"));
    assert_eq!(w.expiry().await, paid, "nothing delivered yet");
    // refund.failed first, then refund.updated, then refund.created (succeeded) last.
    w.sandbox.flush(FlushOrder::Reverse).await;
    assert_eq!(
        w.expiry().await,
        paid,
        "the refund failed: the period stays"
    );
    let status: String = sqlx::query_scalar("SELECT status FROM refunds")
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap();
    assert_eq!(status, "failed");
}

async fn the_first_of_three_payments_refunded_folds_the_other_two_again(backend: Backend) {
    let w = start(backend).await;
    let jan = |day: i64| 1_798_761_600 + (day - 1) * DAY; // 2027-01-01T00:00:00Z
    let mut ids = Vec::new();
    for day in [1, 10, 20] {
        w.state.clock.set(jan(day));
        ids.push(w.buy("mensuel").await);
    }
    assert!(close_to(w.expiry().await, jan(1) + 90 * DAY));
    let body = json!({
        "id": "evt_refund_jan15", "object": "event", "type": "refund.created", "livemode": false,
        "created": jan(15),
        "data": {"object": {"id": "re_jan15", "object": "refund", "amount": 4900, "currency": "eur",
            "payment_intent": intent(&w, &ids[0]), "status": "succeeded", "created": jan(15)}}
    })
    .to_string();
    let answer = w.send_webhook(&w.base, &body).await.unwrap();
    assert_eq!(answer.status(), 200);
    // Without the first: 10 January + 30 days, then 20 January's 30 days after that.
    assert!(close_to(w.expiry().await, jan(10) + 60 * DAY));
}

async fn a_refund_of_a_payment_the_relay_does_not_know_changes_nothing(backend: Backend) {
    let w = start(backend).await;
    w.buy("mensuel").await;
    let (paid, version) = (w.expiry().await, w.status().await["version"].clone());
    let body = json!({
        "id": "evt_refund_unknown", "object": "event", "type": "refund.created",
        "livemode": false, "created": now(),
        "data": {"object": {"id": "re_unknown", "object": "refund", "amount": 4900,
            "currency": "eur", "payment_intent": "pi_not_ours", "status": "succeeded",
            "created": now()}}
    })
    .to_string();
    let answer = w.send_webhook(&w.base, &body).await.unwrap();
    assert_eq!(answer.status(), 200, "journalled, not retried");
    assert_eq!(
        outcomes(&w, "refund.created").await,
        ["rejected: payment pi_not_ours unknown to this relay"]
    );
    assert_eq!(
        (w.expiry().await, w.status().await["version"].clone()),
        (paid, version)
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM refunds").await, 0);
}

async fn a_year_of_renewals_with_refunded_invoices_keeps_or_ends_the_period_as_the_rule_says(
    backend: Backend,
) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    for month in 1..=12 {
        w.advance(&clock, months_after(t0, month) + 2 * 3600).await;
    }
    assert_eq!(w.paid_until().await, Some(months_after(t0, 13)));
    let intents: Vec<String> = sqlx::query_scalar(
        "SELECT payment_intent FROM invoices WHERE payment_intent IS NOT NULL ORDER BY period_end",
    )
    .fetch_all(&w.state.db.pool)
    .await
    .unwrap();
    assert_eq!(
        intents.len() as i64,
        w.paid_invoices().await,
        "every paid invoice knows its payment"
    );
    // A past period refunded (month 6): access as it was, an avoir for its facture.
    w.refund_at_stripe(&intents[5], None).await;
    assert_eq!(w.paid_until().await, Some(months_after(t0, 13)));
    assert_eq!(avoirs(&w).await.len(), 1);
    // The period in progress refunded: it ends at the refund (on the test clock).
    let r = w.refund_at_stripe(intents.last().unwrap(), None).await;
    assert_eq!(r["created"].as_i64(), Some(months_after(t0, 12) + 2 * 3600));
    assert_eq!(w.paid_until().await, r["created"].as_i64());
    assert_eq!(avoirs(&w).await.len(), 2);
}

async fn refunds_whose_webhooks_were_lost_are_applied_by_reconciliation_once(backend: Backend) {
    let w = start(backend).await;
    let id = w.buy("mensuel").await;
    let paid = w.expiry().await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        drop: true,
        ..Default::default()
    });
    let r = refund(&w, &intent(&w, &id), None).await;
    w.sandbox.set_delivery_options(DeliveryOptions::default());
    assert_eq!(w.expiry().await, paid, "the refund's webhooks were lost");
    let report = relay::reconcile::run(&w.state, 24 * 3600).await.unwrap();
    assert_eq!(report.rejected, 0, "{:?}", report.lines);
    assert_eq!(w.expiry().await, r["created"].as_i64());
    assert_eq!(avoirs(&w).await.len(), 1);
    let again = relay::reconcile::run(&w.state, 24 * 3600).await.unwrap();
    assert_eq!(again.applied, 0, "{:?}", again.lines);
    assert_eq!(avoirs(&w).await.len(), 1);
}

on_both_backends!(
    a_year_of_renewals_with_refunded_invoices_keeps_or_ends_the_period_as_the_rule_says,
    refunds_whose_webhooks_were_lost_are_applied_by_reconciliation_once,
    a_full_refund_of_the_only_payment_ends_access_at_the_refund,
    a_refunded_prepaid_period_is_removed_whole,
    partial_refunds_change_nothing_until_they_add_up_to_the_payment,
    a_refund_that_fails_after_succeeding_gives_the_period_back,
    a_refund_that_fails_before_succeeding_issues_no_avoir,
    refund_events_reversed_and_duplicated_end_where_they_would_in_order,
    the_first_of_three_payments_refunded_folds_the_other_two_again,
    a_refund_of_a_payment_the_relay_does_not_know_changes_nothing,
);

//! Automatic renewal end to end, relay ⇄ sandbox over real HTTP, on test clocks: a year of
//! monthly renewals, a yearly plan over two years, a failed renewal repaired or left to lapse,
//! cancellation at period end, prepaid time used up first, no second checkout while live.
//! (How the events arrive, in any order, twice, lost, on two instances: `renewal_delivery.rs`.) Dates are checked
//! exactly (calendar months, as Stripe bills), so a period counted twice cannot hide.

mod common;

use common::billing::{CARD_DECLINES, CARD_PAYS, months_after};
use common::{Backend, DAY, World, start};

const HOUR: i64 = 3600;

/// Subscribes on a fresh clock; returns the clock and the start of the first period.
async fn subscribed(w: &World, plan: &str) -> (String, i64) {
    let (clock, start) = w.new_clock().await;
    let session = w.subscribe(plan, &clock).await;
    assert_eq!(w.session_state(&session).await, "fulfilled");
    (clock, start)
}

async fn a_year_of_monthly_renewals_keeps_access_exact_and_uninterrupted(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!(status, "active");
    assert_eq!(renewal["mode"], "auto");
    assert_eq!(renewal["card_last4"], "4242");
    assert_eq!(w.paid_until().await, Some(months_after(t0, 1)));
    for month in 1..=11 {
        let boundary = months_after(t0, month);
        // Half an hour after the period ended, the renewal invoice is not charged yet: the
        // margin keeps the company working.
        w.advance(&clock, boundary + HOUR / 2).await;
        let (status, expires, _) = w.renewal().await;
        assert_eq!(status, "active", "month {month}: access during the renewal");
        assert_eq!(expires, Some(boundary + 2 * DAY));
        w.advance(&clock, boundary + 2 * HOUR).await;
        assert_eq!(
            w.paid_until().await,
            Some(months_after(t0, month + 1)),
            "month {month}"
        );
        let (status, expires, renewal) = w.renewal().await;
        assert_eq!(status, "active");
        assert_eq!(expires, Some(months_after(t0, month + 1) + 2 * DAY));
        assert_eq!(renewal["state"], "active");
        let next =
            chrono::DateTime::parse_from_rfc3339(renewal["next_charge_at"].as_str().unwrap());
        assert_eq!(next.unwrap().timestamp(), months_after(t0, month + 1));
    }
    assert_eq!(
        w.paid_invoices().await,
        12,
        "the first invoice and eleven renewals"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 4900")
            .await,
        12
    );
    assert!(
        w.metrics()
            .await
            .contains("relay_renewals_total{result=\"paid\"}")
    );
}

async fn a_yearly_plan_renews_over_two_years(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "annuel").await;
    assert_eq!(w.paid_until().await, Some(months_after(t0, 12)));
    for year in 1..=2 {
        w.advance(&clock, months_after(t0, 12 * year) + 2 * HOUR)
            .await;
        assert_eq!(
            w.paid_until().await,
            Some(months_after(t0, 12 * (year + 1)))
        );
    }
    assert_eq!(
        w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 49900")
            .await,
        3
    );
}

async fn a_failed_renewal_is_past_due_in_its_grace_then_paid_by_a_new_card(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.replace_card(CARD_DECLINES).await;
    let boundary = months_after(t0, 1);
    w.advance(&clock, boundary + 2 * HOUR).await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!(
        (status.as_str(), renewal["state"].as_str()),
        ("active", Some("past_due"))
    );
    assert_eq!(renewal["payment_failed"], true);
    assert_eq!(
        expires,
        Some(boundary + 7 * DAY),
        "the grace, not the margin"
    );
    // After the margin would have ended, the grace still gives access.
    w.advance(&clock, boundary + 4 * DAY).await;
    assert_eq!(w.renewal().await.0, "active");
    w.replace_card(CARD_PAYS).await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!(
        (status.as_str(), renewal["state"].as_str()),
        ("active", Some("active"))
    );
    assert_eq!(renewal["payment_failed"], false);
    assert_eq!(w.paid_until().await, Some(months_after(t0, 2)));
    assert_eq!(expires, Some(months_after(t0, 2) + 2 * DAY));
}

async fn a_failed_renewal_left_alone_ends_access_after_the_grace_then_is_cancelled(
    backend: Backend,
) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    w.replace_card(CARD_DECLINES).await;
    let boundary = months_after(t0, 1);
    w.advance(&clock, boundary + 7 * DAY - 60).await;
    assert_eq!(
        w.renewal().await.0,
        "active",
        "a minute before the grace ends"
    );
    w.advance(&clock, boundary + 7 * DAY + 1).await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!(
        (status.as_str(), renewal["state"].as_str()),
        ("expired", Some("past_due"))
    );
    // Stripe's last retry fails an hour later and it cancels the subscription.
    w.advance(&clock, boundary + 8 * DAY).await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!(
        (status.as_str(), renewal["state"].as_str()),
        ("expired", Some("canceled"))
    );
    assert_eq!(
        expires,
        Some(boundary),
        "access ran to the paid period, plus the grace while retried"
    );
    assert_eq!(
        w.count(
            "SELECT COUNT(*) FROM stripe_events WHERE event_type = 'customer.subscription.deleted'"
        )
        .await,
        1
    );
    assert_eq!(w.paid_invoices().await, 1);
}

async fn cancelling_at_period_end_keeps_access_to_the_end_and_charges_nothing_more(
    backend: Backend,
) {
    let w = start(backend).await;
    let (clock, t0) = subscribed(&w, "mensuel").await;
    let sub = w.subscription_id().await;
    w.stripe(
        reqwest::Method::POST,
        &format!("/v1/subscriptions/{sub}"),
        &[("cancel_at_period_end", "true".into())],
    )
    .await;
    w.sandbox.idle().await;
    let (status, expires, renewal) = w.renewal().await;
    assert_eq!(status, "active");
    assert_eq!(
        expires,
        Some(months_after(t0, 1)),
        "no margin once renewal is off"
    );
    assert_eq!(
        (
            renewal["cancel_at_period_end"].as_bool(),
            renewal["next_charge_at"].as_str()
        ),
        (Some(true), None)
    );
    w.advance(&clock, months_after(t0, 1) + 3 * DAY).await;
    let (status, _, renewal) = w.renewal().await;
    assert_eq!(
        (status.as_str(), renewal["state"].as_str()),
        ("expired", Some("canceled"))
    );
    assert_eq!(w.paid_invoices().await, 1, "no further invoice");
    // Cancelled, the company may subscribe again.
    let (code, _) = w
        .post_json(
            "/api/stripe/create-checkout-session",
            Some(&w.token),
            r#"{"plan":"mensuel","renewal":"once"}"#,
        )
        .await;
    assert_eq!(code, 200);
}

async fn a_live_subscription_refuses_a_second_checkout_of_either_kind(backend: Backend) {
    let w = start(backend).await;
    subscribed(&w, "mensuel").await;
    for renewal in ["auto", "once"] {
        let (code, body) = w
            .post_json(
                "/api/stripe/create-checkout-session",
                Some(&w.token),
                &format!(r#"{{"plan":"annuel","renewal":"{renewal}"}}"#),
            )
            .await;
        assert_eq!(code, 409, "{body}");
        assert_eq!(body["error"]["code"], "subscription_live");
        assert!(
            body["error"]["message"]
                .as_str()
                .unwrap()
                .contains("Gérer le paiement")
        );
    }
}

async fn prepaid_time_is_used_up_before_the_first_automatic_charge(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.buy("mensuel").await;
    let prepaid = w.expiry().await.unwrap();
    assert!((prepaid - (t0 + 30 * DAY)).abs() <= 5);
    w.subscribe("annuel", &clock).await;
    assert_eq!(
        w.paid_until().await,
        Some(prepaid),
        "the first invoice is a zero one up to the prepaid end"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 0")
            .await,
        1
    );
    let (_, expires, renewal) = w.renewal().await;
    assert_eq!(expires, Some(prepaid + 2 * DAY));
    let next = chrono::DateTime::parse_from_rfc3339(renewal["next_charge_at"].as_str().unwrap());
    assert_eq!(
        next.unwrap().timestamp(),
        prepaid,
        "first charged when the prepaid time ends"
    );
    w.advance(&clock, prepaid + 2 * HOUR).await;
    assert_eq!(w.paid_until().await, Some(months_after(prepaid, 12)));
    assert_eq!(
        w.count("SELECT COUNT(*) FROM invoices WHERE amount_cents = 49900")
            .await,
        1
    );
}

async fn open_checkout(w: &World, clock: &str) -> (u16, serde_json::Value) {
    let body = format!(r#"{{"plan":"mensuel","renewal":"auto","test_clock":"{clock}"}}"#);
    w.post_json("/api/stripe/create-checkout-session", Some(&w.token), &body)
        .await
}

async fn only_the_latest_subscription_checkout_can_be_paid(backend: Backend) {
    let w = start(backend).await;
    let (clock, _) = w.new_clock().await;
    let (_, first) = open_checkout(&w, &clock).await;
    let (code, second) = open_checkout(&w, &clock).await;
    assert_eq!(code, 200, "{second}");
    w.sandbox.idle().await;
    let first_id = first["session_id"].as_str().unwrap();
    assert_eq!(
        w.session_state(first_id).await,
        "expired",
        "the earlier tab's checkout"
    );
    let (status, _) = w.pay_card(first["url"].as_str().unwrap(), CARD_PAYS).await;
    assert_eq!(status, 410, "an expired checkout cannot be paid");
    let (status, _) = w.pay_card(second["url"].as_str().unwrap(), CARD_PAYS).await;
    assert_eq!(status, 303);
    w.sandbox.idle().await;
    assert_eq!(w.count("SELECT COUNT(*) FROM invoices").await, 1);
    // Paid a moment ago, its webhook not in yet: a new checkout waits for it.
    let w = start(backend).await;
    let (clock, _) = w.new_clock().await;
    let (_, paid) = open_checkout(&w, &clock).await;
    w.sandbox
        .set_delivery_options(stripe_sandbox::DeliveryOptions {
            hold: true,
            ..Default::default()
        });
    w.pay_card(paid["url"].as_str().unwrap(), CARD_PAYS).await;
    let (code, body) = open_checkout(&w, &clock).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (409, Some("subscription_pending"))
    );
}

on_both_backends!(
    only_the_latest_subscription_checkout_can_be_paid,
    prepaid_time_is_used_up_before_the_first_automatic_charge,
    a_year_of_monthly_renewals_keeps_access_exact_and_uninterrupted,
    a_yearly_plan_renews_over_two_years,
    a_failed_renewal_is_past_due_in_its_grace_then_paid_by_a_new_card,
    a_failed_renewal_left_alone_ends_access_after_the_grace_then_is_cancelled,
    cancelling_at_period_end_keeps_access_to_the_end_and_charges_nothing_more,
    a_live_subscription_refuses_a_second_checkout_of_either_kind,
);

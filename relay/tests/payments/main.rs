//! The payment loop end to end over real HTTP, relay ⇄ sandbox: each way a checkout can end,
//! the renewal arithmetic, the success page before and after the webhook, checkout creation
//! errors (`checkout`) and the SIREN a company gives before it pays (`siren`). Expiries are
//! checked exactly, so a double fulfilment cannot hide.

mod checkout;
#[path = "../common/mod.rs"]
mod common;
mod siren;

use common::{Backend, DAY, World, now, start};
use stripe_sandbox::{DeliveryOptions, FlushOrder, IBAN_FAILS, IBAN_SUCCEEDS};

fn close_to(actual: Option<i64>, expected: i64) -> bool {
    actual.is_some_and(|a| (a - expected).abs() <= 5)
}

async fn card_4242_pays_and_extends_the_subscription_once(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    assert!(url.starts_with(&format!("{}/c/pay/{id}", w.sandbox_base)));
    let (code, location) = w.pay_card(&url, "4242 4242 4242 4242").await;
    assert_eq!(code, 303);
    assert_eq!(
        location.unwrap(),
        format!("{}/payment-success?session_id={id}", w.base)
    );
    w.sandbox.idle().await;
    assert!(close_to(w.expiry().await, now() + 30 * DAY));
    assert_eq!(w.session_state(&id).await, "fulfilled");
    let status = w.status().await;
    assert_eq!(
        (
            status["status"].as_str(),
            status["plan"].as_str(),
            status["days_remaining"].as_i64()
        ),
        (Some("active"), Some("mensuel"), Some(30))
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM stripe_events WHERE outcome = 'fulfilled'")
            .await,
        1
    );
    assert_paid_by_its_intent(&w, &id).await;
}

/// The relay kept the PaymentIntent that paid session `id`, as Stripe has it: what a refund or
/// a dispute of this payment will name.
async fn assert_paid_by_its_intent(w: &World, id: &str) {
    let stored: Option<String> =
        sqlx::query_scalar("SELECT payment_intent FROM checkout_sessions WHERE session_id = $1")
            .bind(id)
            .fetch_one(&w.state.db.pool)
            .await
            .unwrap();
    let at_stripe = w.sandbox.session(id).unwrap().payment_intent;
    assert!(at_stripe.as_deref().is_some_and(|p| p.starts_with("pi_")));
    assert_eq!(stored, at_stripe);
}

/// The text of the success page Stripe sends the buyer back to after session `id`.
async fn success_page(w: &World, id: &str) -> String {
    let page = w.get(&format!("/payment-success?session_id={id}")).await;
    page.text().await.unwrap()
}

/// Answers the 3-D Secure step of the checkout page at `url` (`confirm` or `refuse`).
async fn answer_3ds(w: &World, url: &str, action: &str) -> u16 {
    let answer = w
        .http
        .post(format!("{url}/3ds"))
        .form(&[("action", action)])
        .send()
        .await;
    answer.unwrap().status().as_u16()
}

async fn a_declined_card_or_refused_3ds_changes_nothing(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("annuel").await;
    assert_eq!(w.pay_card(&url, "4000000000000002").await, (200, None));
    assert_eq!(w.pay_card(&url, "4000002500003155").await.0, 200);
    assert_eq!(answer_3ds(&w, &url, "refuse").await, 200);
    w.sandbox.idle().await;
    assert_eq!(w.expiry().await, None);
    assert_eq!(w.session_state(&id).await, "open");
    assert_eq!(w.status().await["status"], "none");
}

async fn a_confirmed_3ds_payment_is_applied(backend: Backend) {
    let w = start(backend).await;
    let (_, url) = w.checkout("annuel").await;
    w.pay_card(&url, "4000002500003155").await;
    assert_eq!(answer_3ds(&w, &url, "confirm").await, 303);
    w.sandbox.idle().await;
    assert!(close_to(w.expiry().await, now() + 365 * DAY));
}

async fn sepa_is_pending_until_the_funds_arrive(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    assert_eq!(
        w.pay(&url, &[("method", "sepa"), ("iban", IBAN_SUCCEEDS)])
            .await
            .0,
        303
    );
    w.sandbox.idle().await;
    assert_eq!(w.status().await["status"], "pending");
    assert_eq!(w.session_state(&id).await, "pending");
    let page = success_page(&w, &id).await;
    assert!(page.contains("Paiement en cours"), "{page}");
    assert!(w.sandbox.settle(&id));
    w.sandbox.idle().await;
    assert_eq!(w.status().await["status"], "active");
    assert!(close_to(w.expiry().await, now() + 30 * DAY));
    assert_paid_by_its_intent(&w, &id).await;
}

async fn a_failed_sepa_debit_leaves_no_subscription(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    w.pay(&url, &[("method", "sepa"), ("iban", IBAN_FAILS)])
        .await;
    w.sandbox.idle().await;
    assert_eq!(w.status().await["status"], "pending");
    w.sandbox.settle(&id);
    w.sandbox.idle().await;
    assert_eq!(w.session_state(&id).await, "failed");
    assert_eq!(w.status().await["status"], "none");
    let page = success_page(&w, &id).await;
    assert!(page.contains("Le prélèvement a échoué"), "{page}");
}

async fn cancelling_returns_to_the_cancel_page_and_expiry_is_recorded(backend: Backend) {
    let w = start(backend).await;
    let (id, url) = w.checkout("mensuel").await;
    let back = w.http.get(format!("{url}/cancel")).send().await.unwrap();
    assert_eq!(
        back.headers()["location"].to_str().unwrap(),
        format!("{}/payment-cancelled", w.base)
    );
    let expire = w
        .http
        .post(format!(
            "{}/v1/checkout/sessions/{id}/expire",
            w.sandbox_base
        ))
        .bearer_auth(common::STRIPE_KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(expire.status(), 200);
    w.sandbox.idle().await;
    assert_eq!(w.session_state(&id).await, "expired");
    assert_eq!(w.expiry().await, None);
}

async fn an_early_renewal_adds_and_an_expired_one_restarts_from_now(backend: Backend) {
    let w = start(backend).await;
    w.buy("mensuel").await;
    let first = w.expiry().await.unwrap();
    w.buy("annuel").await;
    assert_eq!(
        w.expiry().await,
        Some(first + 365 * DAY),
        "early renewal adds to the current expiry"
    );
    w.set_expiry(now() - 10 * DAY).await;
    assert_eq!(w.status().await["status"], "expired");
    w.buy("mensuel").await;
    assert!(
        close_to(w.expiry().await, now() + 30 * DAY),
        "expired subscription restarts from now"
    );
}

async fn the_success_page_applies_a_payment_before_its_webhook(backend: Backend) {
    let w = start(backend).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        ..Default::default()
    });
    let (id, url) = w.checkout("mensuel").await;
    w.pay_card(&url, "4242424242424242").await;
    assert_eq!(w.expiry().await, None, "webhook held");
    let page = w.get(&format!("/payment-success?session_id={id}")).await;
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    assert!(
        html.contains("votre paiement est confirmé") && html.contains("prolongé de 30 jours"),
        "{html}"
    );
    let applied = w.expiry().await;
    assert!(close_to(applied, now() + 30 * DAY));
    w.sandbox.flush(FlushOrder::Forward).await;
    assert_eq!(
        w.expiry().await,
        applied,
        "the late webhook does not apply it again"
    );
    assert_eq!(
        w.count("SELECT COUNT(*) FROM stripe_events WHERE outcome = 'already fulfilled'")
            .await,
        1
    );
    let again = success_page(&w, &id).await;
    assert!(again.contains("votre paiement est confirmé"));
}

async fn the_success_page_shows_the_payment_but_not_the_companys_expiry(backend: Backend) {
    let w = start(backend).await;
    let id = w.buy("annuel").await;
    let expiry = erp_btp_protocol::fr::date(w.expiry().await.unwrap());
    let html = success_page(&w, &id).await;
    assert!(html.contains("Annuel est prolongé de 365 jours"), "{html}");
    assert!(
        !html.contains(&expiry),
        "anyone holding the URL must not learn {expiry}"
    );
}

async fn unknown_or_malformed_sessions_get_the_unknown_page(backend: Backend) {
    let w = start(backend).await;
    for query in [
        "session_id=cs_test_doesnotexist",
        "session_id=%3Cscript%3E",
        "",
    ] {
        let resp = w.get(&format!("/payment-success?{query}")).await;
        assert_eq!(resp.status(), 404, "{query}");
        assert!(
            resp.text()
                .await
                .unwrap()
                .contains("Session de paiement inconnue")
        );
    }
}

on_both_backends!(
    card_4242_pays_and_extends_the_subscription_once,
    a_declined_card_or_refused_3ds_changes_nothing,
    a_confirmed_3ds_payment_is_applied,
    sepa_is_pending_until_the_funds_arrive,
    a_failed_sepa_debit_leaves_no_subscription,
    cancelling_returns_to_the_cancel_page_and_expiry_is_recorded,
    an_early_renewal_adds_and_an_expired_one_restarts_from_now,
    the_success_page_applies_a_payment_before_its_webhook,
    the_success_page_shows_the_payment_but_not_the_companys_expiry,
    unknown_or_malformed_sessions_get_the_unknown_page,
);

/// Creates a one-off session directly at the sandbox for `amount` in `currency`, with the
/// metadata of `client` and `plan` and the `extra` form fields, and records it as the relay's
/// for them; its id and payment page.
async fn recorded_session(
    w: &World,
    (client, plan): (&str, &str),
    (amount, currency): (i64, &str),
    extra: &str,
) -> (String, String) {
    let body = format!(
        "mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]={currency}\
&line_items[0][price_data][unit_amount]={amount}&line_items[0][price_data][product_data][name]=X\
&metadata[client_id]={client}&metadata[plan]={plan}&success_url={}/ok{extra}",
        w.base
    );
    let resp = w
        .http
        .post(format!("{}/v1/checkout/sessions", w.sandbox_base))
        .bearer_auth(common::STRIPE_KEY)
        .header("content-type", "application/x-www-form-urlencoded")
        .body(body)
        .send()
        .await
        .unwrap();
    let session: serde_json::Value = resp.json().await.unwrap();
    // Recorded as the relay records the sessions it creates (the relay applies no other), so
    // that what is checked is the payment Stripe reports.
    let id = session["id"].as_str().unwrap().to_owned();
    common::created_sessions(&w.state.db, &[(id.clone(), client.into(), plan.into())]).await;
    (id, session["url"].as_str().unwrap().to_owned())
}

/// Pays such a session with card 4242: Stripe then reports a payment that the relay's rules
/// must check.
async fn pay_recorded_session(
    w: &World,
    client: &str,
    plan: &str,
    amount: i64,
    currency: &str,
) -> String {
    let (id, url) = recorded_session(w, (client, plan), (amount, currency), "").await;
    w.pay_card(&url, "4242424242424242").await;
    w.sandbox.idle().await;
    id
}

async fn a_wrong_amount_currency_or_client_is_recorded_not_applied(backend: Backend) {
    let w = start(backend).await;
    for (client, plan, amount, currency, reason) in [
        ("39", "mensuel", 100, "eur", "rejected: amount"),
        ("39", "annuel", 4900, "eur", "rejected: amount"),
        ("39", "mensuel", 4900, "usd", "rejected: currency"),
        (
            "999",
            "mensuel",
            4900,
            "eur",
            "rejected: unknown client 999",
        ),
        ("39", "hebdo", 4900, "eur", "rejected: unknown plan"),
    ] {
        let id = pay_recorded_session(&w, client, plan, amount, currency).await;
        assert_eq!(
            w.session_state(&id).await,
            "rejected",
            "{client} {plan} {amount} {currency}"
        );
        let outcome: String = {
            use sqlx::Row;
            sqlx::query("SELECT outcome FROM stripe_events WHERE session_id = $1")
                .bind(&id)
                .fetch_one(&w.state.db.pool)
                .await
                .unwrap()
                .get(0)
        };
        assert!(outcome.starts_with(reason), "{outcome}");
    }
    assert!(
        w.sandbox.deliveries().iter().all(|d| d.status == 200),
        "rejections are acknowledged"
    );
    assert_eq!(w.expiry().await, None);
}

on_both_backends!(a_wrong_amount_currency_or_client_is_recorded_not_applied);

//! The customer portal from the relay's side, over real HTTP with the sandbox as Stripe: a
//! session for the token's company (its portal configuration created once per Stripe mode, and
//! again if Stripe lost it), and each portal action reaching the relay through Stripe's webhooks:
//! stop renewal, resume it, a card that fails the next renewal, a card that pays it.

mod common;

use common::billing::months_after;
use common::{Backend, World, start};

const HOUR: i64 = 3600;

async fn portal_url(w: &World) -> String {
    let (code, body) = w.post_json("/api/billing-portal", Some(&w.token), "").await;
    assert_eq!(code, 200, "{body}");
    body["url"].as_str().unwrap().to_owned()
}

/// Submits one of the portal page's forms; returns the page shown after it.
async fn act(w: &World, url: &str, action: &str, fields: &[(&str, &str)]) -> String {
    let resp = w
        .http
        .post(format!("{url}/{action}"))
        .form(fields)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 303);
    let back = resp.headers()["location"].to_str().unwrap().to_owned();
    w.sandbox.idle().await;
    w.http.get(back).send().await.unwrap().text().await.unwrap()
}

async fn the_portal_stops_and_resumes_renewal_and_replaces_the_card(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    let url = portal_url(&w).await;
    assert!(
        url.starts_with(&format!("{}/p/session/bps_", w.sandbox_base)),
        "{url}"
    );
    let page = w.http.get(&url).send().await.unwrap().text().await.unwrap();
    assert!(
        page.contains("Prochain prélèvement de 49,00\u{a0}€") && page.contains("•••• 4242"),
        "{page}"
    );
    assert!(
        !page.contains("Reçus Stripe"),
        "invoice history is off: the factures are the relay's"
    );
    assert!(
        page.contains(&format!("{}/portal-return", w.base)),
        "the way back to the app"
    );

    let page = act(&w, &url, "cancel", &[]).await;
    assert!(page.contains("Renouvellement arrêté"), "{page}");
    let (_, expires, renewal) = w.renewal().await;
    assert_eq!(renewal["cancel_at_period_end"], true);
    assert_eq!(
        expires,
        Some(months_after(t0, 1)),
        "access to the end of the paid period"
    );
    act(&w, &url, "resume", &[]).await;
    assert_eq!(w.renewal().await.2["cancel_at_period_end"], false);

    act(&w, &url, "card", &[("card_number", "4000 0000 0000 0341")]).await;
    w.advance(&clock, months_after(t0, 1) + 2 * HOUR).await;
    assert_eq!(w.renewal().await.2["state"], "past_due");
    let again = portal_url(&w).await;
    let page = act(
        &w,
        &again,
        "card",
        &[("card_number", "4242 4242 4242 4242")],
    )
    .await;
    assert!(page.contains("Carte remplacée"), "{page}");
    let (status, _, renewal) = w.renewal().await;
    assert_eq!(
        (status.as_str(), renewal["state"].as_str()),
        ("active", Some("active"))
    );
    assert_eq!(
        w.paid_until().await,
        Some(months_after(t0, 2)),
        "the new card paid the open invoice"
    );
    assert_eq!(renewal["card_last4"], "4242");
    assert_eq!(
        w.count("SELECT COUNT(*) FROM stripe_settings").await,
        1,
        "one portal configuration, reused"
    );
}

async fn a_company_never_subscribed_gets_409_and_a_lost_configuration_is_made_again(
    backend: Backend,
) {
    let w = start(backend).await;
    let (code, body) = w.post_json("/api/billing-portal", Some(&w.token), "").await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (409, Some("no_customer"))
    );
    let (code, _) = w.post_json("/api/billing-portal", None, "").await;
    assert_eq!(code, 401);
    let (clock, _) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    w.state
        .db
        .set_stripe_setting(
            "portal_configuration:test",
            "bpc_from_another_account",
            relay::core::Timestamp::from_unix(0),
        )
        .await
        .unwrap();
    portal_url(&w).await;
    let kept = w
        .state
        .db
        .stripe_setting("portal_configuration:test")
        .await
        .unwrap();
    assert!(kept.is_some_and(|id| id.starts_with("bpc_") && id != "bpc_from_another_account"));
}

on_both_backends!(
    the_portal_stops_and_resumes_renewal_and_replaces_the_card,
    a_company_never_subscribed_gets_409_and_a_lost_configuration_is_made_again,
);

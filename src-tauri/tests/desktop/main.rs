//! The desktop app's behaviour against a real relay (in-process, sandbox Stripe, real HTTP):
//! login accepted or refused, the offline cache and what it trusts (`trust`), renewal
//! woken by the webhook, cancelling the wait, logout; and a command through Tauri's mock runtime.
//! The OS secret store is keyring-core's in-memory store here.

#[path = "../common/mod.rs"]
mod common;
mod siren;
mod trust;

use std::sync::{Arc, Once};
use std::time::Duration;

use common::{DAY, pay, renew_and_wait, session_file, start};
use erp_btp_desktop::desktop::{Desktop, WaitEnd};
use erp_btp_desktop::error::DesktopError;
use erp_btp_protocol::RenewalChoice;
use erp_btp_protocol::fr::Tone;

fn secret_store() {
    static ONCE: Once = Once::new();
    ONCE.call_once(|| keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn login_shows_the_status_and_keeps_the_token_out_of_files() {
    secret_store();
    let w = start().await;
    let view = w.desktop.login(&w.base, &w.token).await.unwrap();
    assert_eq!(
        (
            view.client_id.as_str(),
            view.status.as_str(),
            view.status_label.as_str()
        ),
        ("39", "none", "Aucun abonnement")
    );
    assert!(!view.offline && view.last_sync.is_some());
    assert_eq!(view.plans.len(), 2);
    let file = std::fs::read_to_string(session_file(&w)).unwrap();
    assert!(
        !file.contains(&w.token) && !file.contains(&w.token[7..]),
        "no token on disk"
    );
    assert_eq!(w.desktop.status().await.unwrap().client_id, "39");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_token_a_bad_address_or_no_relay_saves_nothing() {
    secret_store();
    let w = start().await;
    assert!(matches!(
        w.desktop.login(&w.base, "erpbtp_wrong").await,
        Err(DesktopError::TokenRefused)
    ));
    assert!(matches!(
        w.desktop.login("abonnements.fr", &w.token).await,
        Err(DesktopError::InvalidRelayUrl)
    ));
    assert!(matches!(
        w.desktop.login("http://127.0.0.1:9", &w.token).await,
        Err(DesktopError::RelayUnreachable)
    ));
    assert!(!session_file(&w).exists());
    let err = w.desktop.status().await.unwrap_err();
    assert!(matches!(err, DesktopError::NotLoggedIn));
    let json = serde_json::to_value(&err).unwrap();
    assert_eq!(json["code"], "not_logged_in");
    assert!(
        json["message"]
            .as_str()
            .unwrap()
            .starts_with("Connectez-vous")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn renewing_opens_checkout_and_the_wait_ends_when_the_webhook_lands() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let started = w
        .desktop
        .start_renewal("mensuel", RenewalChoice::Once)
        .await
        .unwrap();
    assert_eq!(
        w.opened.lock().unwrap().as_slice(),
        [started.checkout_url.clone()]
    );
    assert!(
        started
            .checkout_url
            .starts_with(&format!("{}/sandbox-stripe/c/pay/cs_test_", w.base))
    );
    let url = started.checkout_url.clone();
    let payer = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(300)).await;
        pay(&url).await;
    });
    let outcome = w
        .desktop
        .wait_for_payment(started.since_version)
        .await
        .unwrap();
    payer.await.unwrap();
    assert_eq!(outcome.outcome, WaitEnd::Changed);
    assert_eq!(
        (
            outcome.status.status.as_str(),
            outcome.status.days_remaining
        ),
        ("active", 30)
    );
    assert!(outcome.status.expires_on.is_some());
    assert!(matches!(
        w.desktop.start_renewal("hebdo", RenewalChoice::Once).await,
        Err(DesktopError::UnknownPlan(_))
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_wait_can_be_cancelled_and_nothing_changes() {
    secret_store();
    let w = Arc::new(start().await);
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let started = w
        .desktop
        .start_renewal("annuel", RenewalChoice::Once)
        .await
        .unwrap();
    let canceller = {
        let w = w.clone();
        tokio::spawn(async move {
            tokio::time::sleep(Duration::from_millis(300)).await;
            w.desktop.cancel_wait();
        })
    };
    let outcome = tokio::time::timeout(
        Duration::from_secs(5),
        w.desktop.wait_for_payment(started.since_version),
    )
    .await
    .unwrap()
    .unwrap();
    canceller.await.unwrap();
    assert_eq!(
        (outcome.outcome, outcome.status.status.as_str()),
        (WaitEnd::Cancelled, "none")
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_web_renewal_opens_a_short_lived_link_and_logout_forgets_everything() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    w.desktop.open_web_renewal().await.unwrap();
    let link = w.opened.lock().unwrap()[0].clone();
    assert!(
        link.starts_with(&format!("{}/renew-subscription?link=39.", w.base))
            && !link.contains(&w.token)
    );
    w.desktop.logout().unwrap();
    assert!(!session_file(&w).exists());
    assert!(matches!(
        w.desktop.status().await,
        Err(DesktopError::NotLoggedIn)
    ));
    let _ = &w.state;
}

#[test]
fn a_command_through_the_tauri_mock_runtime_answers_the_error_shape() {
    secret_store();
    let app = erp_btp_desktop::run_app(tauri::test::mock_builder())
        .build(tauri::generate_context!())
        .unwrap();
    // The setup hook runs with the event loop, which the mock app does not start: give it its state.
    let dir = std::env::temp_dir().join(format!("erp-btp-mock-{}", stripe_sandbox::random_id(8)));
    tauri::Manager::manage(&app, Desktop::new(dir, Arc::new(|_: &str| Ok(()))));
    let webview = tauri::WebviewWindowBuilder::new(&app, "main", Default::default())
        .build()
        .unwrap();
    let request = |cmd: &str, body: serde_json::Value| tauri::webview::InvokeRequest {
        cmd: cmd.into(),
        callback: tauri::ipc::CallbackFn(0),
        error: tauri::ipc::CallbackFn(1),
        url: webview.url().unwrap(),
        body: tauri::ipc::InvokeBody::Json(body),
        headers: Default::default(),
        invoke_key: tauri::test::INVOKE_KEY.to_string(),
    };
    let err = tauri::test::get_ipc_response(
        &webview,
        request(
            "login",
            serde_json::json!({"relayUrl": "pas une adresse", "token": "x"}),
        ),
    )
    .unwrap_err();
    assert_eq!(err["code"], "invalid_relay_url");
    assert!(err["message"].as_str().unwrap().contains("https://"));
    assert!(
        tauri::test::get_ipc_response(&webview, request("cancel_wait", serde_json::json!({})))
            .is_ok()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn automatic_renewal_shows_its_sentence_and_manage_payment_opens_the_portal() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    assert!(matches!(
        w.desktop.open_billing_portal().await,
        Err(DesktopError::NoPaymentMethod)
    ));
    renew_and_wait(&w, "mensuel", RenewalChoice::Auto).await;
    // The subscription's events arrive in any order: the card comes with the last of them.
    w.sandbox.idle().await;
    let view = w.desktop.status().await.unwrap();
    let line = view.renewal.expect("a renewal sentence");
    assert!(line.live && line.tone == Tone::Ok, "{line:?}");
    assert!(
        line.text.starts_with("Renouvellement automatique le ")
            && line.text.ends_with("carte •••• 4242"),
        "{}",
        line.text
    );
    assert!(matches!(
        w.desktop.start_renewal("annuel", RenewalChoice::Once).await,
        Err(DesktopError::SubscriptionLive)
    ));
    w.desktop.open_billing_portal().await.unwrap();
    let opened = w.opened.lock().unwrap().last().cloned().unwrap();
    assert!(
        opened.starts_with(&format!("{}/sandbox-stripe/p/session/bps_", w.base)),
        "{opened}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_week_before_an_expiry_that_will_not_renew_a_notification_is_shown_once() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    renew_and_wait(&w, "mensuel", RenewalChoice::Once).await;
    assert!(
        w.notified.lock().unwrap().is_empty(),
        "30 days left: nothing to say"
    );
    w.state.clock.advance(24 * DAY);
    w.desktop.status().await.unwrap();
    w.desktop.status().await.unwrap();
    let shown = w.notified.lock().unwrap().clone();
    assert_eq!(shown.len(), 1, "once, whatever the refreshes: {shown:?}");
    assert_eq!(shown[0].0, "ERP BTP : abonnement bientôt expiré");
    assert!(
        shown[0]
            .1
            .contains("(6 jours) et ne se renouvellera pas tout seul"),
        "{}",
        shown[0].1
    );
}

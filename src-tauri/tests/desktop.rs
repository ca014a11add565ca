//! The desktop app's behaviour against a real relay (in-process, sandbox Stripe, real HTTP):
//! login accepted or refused, the offline cache (fallback, tampering, clock set back), renewal
//! woken by the webhook, cancelling the wait, logout; and a command through Tauri's mock runtime.
//! The OS secret store is keyring-core's in-memory store here.

mod common;

use std::sync::{Arc, Once};
use std::time::Duration;

use common::{DAY, edit_login, edit_session, go_offline, pay, renew_and_wait, session_file, start};
use erp_btp_desktop::desktop::{Desktop, WaitEnd};
use erp_btp_desktop::error::DesktopError;
use erp_btp_protocol::RenewalChoice;

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
async fn offline_the_verified_cache_is_shown_and_marked_as_such() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let started = w
        .desktop
        .start_renewal("annuel", RenewalChoice::Once)
        .await
        .unwrap();
    pay(&started.checkout_url).await;
    let paid = w
        .desktop
        .wait_for_payment(started.since_version)
        .await
        .unwrap()
        .status;
    go_offline(&w);
    let offline = w.desktop.status().await.unwrap();
    assert!(offline.offline);
    assert_eq!(
        (offline.status.as_str(), offline.expires_on.clone()),
        ("active", paid.expires_on.clone())
    );
    assert!(offline.notice.unwrap().contains("Relais injoignable"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_tampered_cache_is_discarded_and_said_so() {
    use base64::Engine;
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let path = session_file(&w);
    go_offline(&w);
    edit_session(&path, |s| {
        let token = s["entitlement"].as_str().unwrap().to_owned();
        let (head, sig) = token.split_once('.').unwrap();
        let b64 = base64::engine::general_purpose::URL_SAFE_NO_PAD;
        let forged = String::from_utf8(b64.decode(head).unwrap())
            .unwrap()
            .replace("\"status\":\"none\"", "\"status\":\"active\"")
            .replace(
                "\"expires_at\":null",
                "\"expires_at\":\"2099-01-01T00:00:00Z\"",
            );
        s["entitlement"] = format!("{}.{sig}", b64.encode(forged)).into();
    });
    let err = w.desktop.status().await.unwrap_err();
    assert!(matches!(err, DesktopError::CacheTampered), "{err:?}");
    assert!(err.to_string().contains("modifiées sur le disque"));
    assert!(
        matches!(
            w.desktop.status().await,
            Err(DesktopError::RelayUnreachable)
        ),
        "the forged entitlement is gone"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_clock_set_back_does_not_give_days_back() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let started = w
        .desktop
        .start_renewal("mensuel", RenewalChoice::Once)
        .await
        .unwrap();
    pay(&started.checkout_url).await;
    assert_eq!(
        w.desktop
            .wait_for_payment(started.since_version)
            .await
            .unwrap()
            .status
            .days_remaining,
        30
    );
    // This app already saw a date ten days later than the clock says now.
    let later = chrono::Utc::now().timestamp() + 10 * DAY;
    edit_login(&w, |l| l.max_seen = later);
    go_offline(&w);
    // The file no longer holds the time seen nor the relay's address: editing it changes neither.
    edit_session(&session_file(&w), |s| {
        s["max_seen"] = 0.into();
        s["relay_url"] = w.base.clone().into();
    });
    let view = w.desktop.status().await.unwrap();
    assert_eq!(view.days_remaining, 20);
    assert!(view.notice.unwrap().contains("horloge"));
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
async fn another_companys_entitlement_in_the_cache_is_not_trusted() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    // Company 40 of the same relay: its entitlement is genuinely signed, but not ours.
    let other_token = w
        .state
        .db
        .add_client(
            &relay::domain::ClientId::parse("40").unwrap(),
            "Charpentes Martin",
        )
        .await
        .unwrap();
    let other_dir = w.dir.join("other");
    let other = Desktop::new(other_dir.clone(), std::sync::Arc::new(|_: &str| Ok(())));
    other.login(&w.base, &other_token).await.unwrap();
    let theirs: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(other_dir.join("session.json")).unwrap())
            .unwrap();
    go_offline(&w);
    edit_session(&session_file(&w), |s| {
        s["entitlement"] = theirs["entitlement"].clone()
    });
    assert!(matches!(
        w.desktop.status().await,
        Err(DesktopError::CacheTampered)
    ));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_renewal_does_not_start_on_an_answer_the_pinned_key_did_not_sign() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    // Another key pinned: the relay now answers with entitlements it cannot vouch for.
    edit_login(&w, |l| {
        l.public_key = "A".repeat(43);
    });
    assert!(matches!(
        w.desktop
            .start_renewal("mensuel", RenewalChoice::Once)
            .await,
        Err(DesktopError::UntrustedAnswer)
    ));
    assert!(w.opened.lock().unwrap().is_empty(), "nothing opened");
    use sqlx::Row;
    let created: i64 = sqlx::query("SELECT COUNT(*) FROM checkout_sessions")
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_eq!(created, 0, "no checkout created");
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
    assert!(line.live && line.tone == "ok", "{line:?}");
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

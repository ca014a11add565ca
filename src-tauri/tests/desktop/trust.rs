//! What the app trusts when the relay cannot be reached or answers oddly: the verified cache
//! shown offline, a tampered cache or another company's entitlement discarded, a clock set back
//! that gives no days back, and no renewal started on an answer the pinned key did not sign.

use erp_btp_desktop::desktop::Desktop;
use erp_btp_desktop::error::DesktopError;
use erp_btp_protocol::{RenewalChoice, SubscriptionState};

use super::common::{
    DAY, edit_login, edit_session, go_offline, renew_and_wait, session_file, start,
};
use super::secret_store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offline_the_verified_cache_is_shown_and_marked_as_such() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let paid = renew_and_wait(&w, "annuel", RenewalChoice::Once)
        .await
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
    let paid = renew_and_wait(&w, "mensuel", RenewalChoice::Once).await;
    assert_eq!(paid.status.days_remaining, 30);
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

/// An older, validly signed `session.json` restored from a backup used to be trusted offline:
/// the highest version seen is kept in the keyring, and a cache below it is discarded.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_older_signed_cache_restored_from_a_backup_is_not_trusted() {
    secret_store();
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let backup = std::fs::read(session_file(&w)).unwrap();
    let paid = renew_and_wait(&w, "mensuel", RenewalChoice::Once).await;
    assert_eq!(paid.status.status, SubscriptionState::Active);
    go_offline(&w);
    assert!(
        w.desktop.status().await.is_ok(),
        "the current cache is trusted"
    );
    std::fs::write(session_file(&w), backup).unwrap();
    let err = w.desktop.status().await.unwrap_err();
    assert!(matches!(err, DesktopError::CacheTampered), "{err:?}");
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

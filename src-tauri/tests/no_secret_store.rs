//! On a machine without an OS secret store (no Secret Service on the session bus), logging in
//! fails with one French sentence saying what is missing and how to fix it, and saves nothing.
//! Its own test binary: keyring-core's default store is process-wide, and none is installed here.

mod common;

use erp_btp_desktop::error::DesktopError;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_a_secret_store_login_says_what_to_install_and_saves_nothing() {
    let w = common::start().await;
    let err = w.desktop.login(&w.base, &w.token).await.unwrap_err();
    assert!(
        matches!(err, DesktopError::SecretStoreUnavailable(_)),
        "{err:?}"
    );
    let message = err.to_string();
    assert!(
        message.contains("trousseau") && message.contains("GNOME Keyring"),
        "{message}"
    );
    assert_eq!(
        serde_json::to_value(&err).unwrap()["code"],
        "secret_store_unavailable"
    );
    assert!(
        !common::session_file(&w).exists(),
        "nothing saved without the token stored"
    );
}

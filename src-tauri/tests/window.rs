//! The real window: the built app under Xvfb against `relay serve --sandbox`, logged in through
//! the real Secret Service (gnome-keyring in a private D-Bus session), screenshot taken and the
//! window title and logged-in state checked (see tests/desktop-window.sh).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Mutex;

/// One window at a time: each run starts its own Xvfb (on a display Xvfb picks), and two windows
/// painting at once on two cores would make the first-paint figures meaningless.
static ONE_DISPLAY: Mutex<()> = Mutex::new(());

/// Runs tests/desktop-window.sh with the subscription in `state`; its output.
fn window(state: &str, shot: &str) -> String {
    let _display = ONE_DISPLAY.lock().unwrap_or_else(|e| e.into_inner());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
    // The relay binary is built beside this test's binary by `cargo test --workspace`.
    let relay = std::env::current_exe()
        .unwrap()
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("relay");
    assert!(
        relay.exists(),
        "{} is built by `cargo test --workspace`",
        relay.display()
    );
    let out = Command::new("bash")
        .arg(root.join("tests/desktop-window.sh"))
        .arg(env!("CARGO_BIN_EXE_erp-btp-desktop"))
        .arg(&relay)
        .arg(root.join("target/screenshots").join(shot))
        .arg(state)
        .current_dir(&root)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(out.status.success(), "{text}");
    assert!(text.contains("first_paint_ms="), "{text}");
    text
}

#[test]
fn the_window_opens_under_xvfb_logged_in_and_showing_the_status() {
    window("once", "desktop-window.png");
}

#[test]
fn each_automatic_renewal_state_shows_in_the_window() {
    for state in ["auto", "past_due", "cancelled"] {
        window(state, &format!("desktop-window-{state}.png"));
    }
}

#[test]
fn a_payment_disputed_at_the_bank_shows_in_the_window() {
    window("disputed", "desktop-window-disputed.png");
}

#[test]
fn a_company_without_a_siren_is_asked_for_it_in_the_window() {
    window("no_siren", "desktop-window-no-siren.png");
}

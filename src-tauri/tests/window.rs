//! The real window: the built app under Xvfb against `relay serve --sandbox`, logged in through
//! the real Secret Service (gnome-keyring in a private D-Bus session), screenshot taken and the
//! window title and logged-in state checked (see tests/desktop-window.sh).

use std::path::PathBuf;
use std::process::Command;

#[test]
fn the_window_opens_under_xvfb_logged_in_and_showing_the_status() {
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
        .arg(root.join("target/screenshots/desktop-window.png"))
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
}

//! The front end's own tests, run from `cargo test`: Vitest unit tests of the UI logic, and the
//! end-to-end run of the built ui/dist in headless Chromium with Tauri's IPC scripted.

use std::path::PathBuf;
use std::process::Command;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn run(program: &str, args: &[&str]) {
    let out = Command::new(program)
        .args(args)
        .current_dir(root())
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e}"));
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        out.status.success(),
        "{program} {args:?} failed (run `bash tests/setup.sh` first):\n{text}"
    );
}

#[test]
fn the_ui_logic_passes_its_vitest_suite() {
    run("npm", &["test", "--prefix", "ui", "--silent"]);
}

#[test]
fn the_built_ui_logs_in_shows_status_waits_for_payment_and_goes_offline_in_chromium() {
    assert!(
        root().join("ui/dist/index.html").exists(),
        "ui/dist is built by tests/setup.sh"
    );
    run("node", &["tests/browser/desktop-ui.mjs", "ui/dist"]);
}

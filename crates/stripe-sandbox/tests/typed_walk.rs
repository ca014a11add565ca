//! The sandbox through a whole subscription flow, driven by the official `stripe` Python library
//! at the API version the relay pins (installed by tests/setup.sh), every answer and event walked
//! against that library's type annotations (`shapes/walk.py`).

mod common;

use std::process::Command;

use common::{KEY, SECRET, start};

fn python(args: &[&str]) -> std::process::Output {
    Command::new("python3")
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/shapes"))
        .args(args)
        .output()
        .expect("python3 runs (tests/setup.sh installs stripe==16.0.1)")
}

#[tokio::test(flavor = "multi_thread")]
async fn every_answer_of_a_subscription_flow_has_every_field_stripe_python_types() {
    let w = start(&[SECRET]).await;
    let base = w.base.clone();
    let out = tokio::task::spawn_blocking(move || {
        python(&[
            "walk.py",
            &base,
            KEY,
            "http://app.test",
            stripe_sandbox::webhook::API_VERSION,
        ])
    })
    .await
    .unwrap();
    let printed = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{printed}{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for kind in [
        "checkout.session",
        "subscription",
        "invoice",
        "event",
        "payment_intent",
        "refund",
        "charge",
        "invoice_payment",
        "dispute",
    ] {
        assert!(
            printed.contains(&format!("{kind} ×")),
            "{kind} walked: {printed}"
        );
    }
}

#[test]
fn the_committed_field_lists_are_what_the_pinned_library_says() {
    let out = python(&["generate.py"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let committed = include_str!("../shapes/shapes.json");
    assert!(
        String::from_utf8_lossy(&out.stdout) == committed,
        "shapes/shapes.json is stale: run `python3 generate.py > shapes.json` in crates/stripe-sandbox/shapes"
    );
}

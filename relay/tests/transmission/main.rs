//! Transmission to the approved platform, against the offline platform on its own port: every
//! facture and avoir reaches it once as a Factur-X with its 212 « Encaissée » (a refund's
//! negative), the 212s pass pyfrctc's CDAR XSD and the BR-FR-CDV Schematron, a platform that is
//! down loses nothing, a rejected (213) and a refused (210) document are reported, and two
//! instances on one database send each document once. Helpers here; the tests in `sending`,
//! `problems`, `standard` and `console`.

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Duration;

use common::{Backend, World, start_with};
use pa_sandbox::{Credentials, FlowView, PaSandbox};
use serde_json::Value;

mod console;
mod problems;
mod sending;
mod standard;

/// An offline platform on its own port with the relay's test credentials, and its base URL.
async fn platform() -> (PaSandbox, String) {
    platform_for("relay-tests", "pa-secret-for-tests").await
}

async fn platform_for(client_id: &str, client_secret: &str) -> (PaSandbox, String) {
    let pa = PaSandbox::new(Credentials {
        client_id: client_id.into(),
        client_secret: client_secret.into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = pa.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    (pa, base)
}

/// The platform on its own port and a relay with `PA_MODE=on` pointed at it.
async fn with_platform(backend: Backend, extra: &[(&str, &str)]) -> (World, PaSandbox) {
    let (pa, base) = platform().await;
    let vars = pa_env(&base);
    let mut env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    env.extend_from_slice(extra);
    (start_with(backend, &env).await, pa)
}

fn pa_env(base: &str) -> Vec<(&'static str, String)> {
    vec![
        ("PA_MODE", "on".into()),
        ("PA_FLOW_API", format!("{base}/afnor-flow")),
        ("PA_DIRECTORY_API", format!("{base}/afnor-directory")),
        ("PA_TOKEN_URL", format!("{base}/token")),
        ("PA_CLIENT_ID", "relay-tests".into()),
        ("PA_CLIENT_SECRET", "pa-secret-for-tests".into()),
    ]
}

/// Adds company `id`, named `name`, with `siren` on file; its API token.
async fn company(w: &World, id: &str, name: &str, siren: &str) -> String {
    let client = relay::domain::ClientId::parse(id).unwrap();
    let token = w.state.db.add_client(&client, name).await.unwrap();
    let siren = relay::siren::Siren::parse(siren).unwrap();
    w.state.db.claim_siren(&client, &siren).await.unwrap();
    token
}

/// The transmission status of company `token`'s latest facture once it is `want`, or the last
/// one seen after 10 s.
async fn transmission_becomes(w: &World, token: &str, want: &str) -> Value {
    let mut seen = Value::Null;
    for _ in 0..100 {
        let (_, body) = w.get_json("/api/invoices", Some(token)).await;
        seen = body["invoices"][0]["transmission"].clone();
        if seen == want {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    seen
}

/// Company `token` buys a month once with the test card; the sandbox delivers what follows.
async fn pay_once(w: &World, token: &str) {
    let (code, body) = w
        .post_json(
            "/api/stripe/create-checkout-session",
            Some(token),
            r#"{"plan":"mensuel","renewal":"once"}"#,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    w.pay_card(body["url"].as_str().unwrap(), "4242424242424242")
        .await;
    w.sandbox.idle().await;
}

/// The flows the relay sent and the platform accepted, by tracking id.
fn accepted(pa: &PaSandbox) -> Vec<FlowView> {
    pa.flows()
        .into_iter()
        .filter(|f| f.direction == "Out" && f.ack_status == "Ok")
        .collect()
}

/// Waits until `done` holds of the platform's flows (15 s at most).
async fn until(pa: &PaSandbox, what: &str, done: impl Fn(&[FlowView]) -> bool) {
    for _ in 0..150 {
        if done(&pa.flows()) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{what}: flows {:#?}", pa.flows());
}

async fn invoices(w: &World) -> Vec<Value> {
    let (code, body) = w.get_json("/api/invoices", Some(&w.token)).await;
    assert_eq!(code, 200, "{body}");
    body["invoices"].as_array().unwrap().clone()
}

fn tracking(flows: &[FlowView]) -> Vec<String> {
    let mut ids: Vec<String> = flows.iter().filter_map(|f| f.tracking_id.clone()).collect();
    ids.sort();
    ids
}

/// Runs tests/validation/cdar.py (pyfrctc's XSD, the BR-FR-CDV Schematron) over `dir`.
fn check_cdar(dir: &Path) {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let python = root.join("target/pa-venv/bin/python");
    let out = std::process::Command::new(&python)
        .arg(root.join("tests/validation/cdar.py"))
        .arg(dir)
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "{} runs (tests/setup.sh installs pyfrctc): {e}",
                python.display()
            )
        });
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "the CDAR validators: {text}");
    assert!(text.contains("problem"), "{text}");
}

fn relay_cli(w: &World, args: &[&str]) -> String {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
        .args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap())
        .env("DATABASE_URL", &w.db.url)
        .output()
        .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "relay {args:?}: {text}");
    text
}

/// Runs tests/validation/validate.py (XSD, totals, mentions, three Schematrons) over `dir`.
fn validate_factures(dir: &Path) -> String {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/validation/validate.py"))
        .arg(dir)
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
    report
}

//! Transmission to the approved platform, against the offline platform on its own port: every
//! facture and avoir reaches it once as a Factur-X with its 212 « Encaissée » (a refund's
//! negative), the 212s pass pyfrctc's CDAR XSD and the BR-FR-CDV Schematron, a platform that is
//! down loses nothing, a rejected (213) and a refused (210) document are reported, and two
//! instances on one database send each document once.

#[path = "../common/mod.rs"]
mod common;

use std::path::Path;
use std::time::Duration;

use common::{Backend, World, start_with};
use pa_sandbox::{Credentials, FlowView, PaSandbox};
use serde_json::Value;

/// The platform on its own port and a relay with `PA_MODE=on` pointed at it.
async fn with_platform(backend: Backend, extra: &[(&str, &str)]) -> (World, PaSandbox) {
    let pa = PaSandbox::new(Credentials {
        client_id: "relay-tests".into(),
        client_secret: "pa-secret-for-tests".into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = pa.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
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

async fn every_facture_and_avoir_reaches_the_platform_once_with_its_212(backend: Backend) {
    let (w, pa) = with_platform(backend, &[]).await;
    let first = w.buy("mensuel").await;
    w.buy("mensuel").await;
    let intent = w.sandbox.session(&first).unwrap().payment_intent.unwrap();
    w.refund_at_stripe(&intent, Some(1000)).await;
    until(&pa, "two factures, one avoir and three 212", |f| {
        f.iter()
            .filter(|f| f.direction == "Out" && f.ack_status == "Ok")
            .count()
            == 6
    })
    .await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let (fa1, fa2, av1) = (
        format!("FA-{year}-000001"),
        format!("FA-{year}-000002"),
        format!("AV-{year}-000001"),
    );
    let mut want = vec![
        fa1.clone(),
        format!("{fa1}-212"),
        fa2.clone(),
        format!("{fa2}-212"),
        av1.clone(),
        format!("{av1}-212"),
    ];
    want.sort();
    assert_eq!(tracking(&accepted(&pa)), want, "each message once");
    let documents: Vec<_> = accepted(&pa)
        .into_iter()
        .filter(|f| f.syntax == "Factur-X")
        .collect();
    assert!(
        documents
            .iter()
            .all(|d| d.statuses.iter().any(|(c, _)| *c == 200)),
        "deposited"
    );

    // The Factur-X sent is the very file the company downloads.
    let list = invoices(&w).await;
    for item in &list {
        let number = item["number"].as_str().unwrap();
        let flow = documents
            .iter()
            .find(|d| d.tracking_id.as_deref() == Some(number))
            .unwrap();
        let sent = pa.file(&flow.flow_id).unwrap();
        let pdf = w
            .http
            .get(format!("{}/api/invoices/{number}/pdf", w.base))
            .bearer_auth(&w.token)
            .send()
            .await
            .unwrap();
        assert_eq!(
            pdf.bytes().await.unwrap().to_vec(),
            sent,
            "{number}: same bytes"
        );
    }

    // The company sees each document received by the buyer's platform.
    for _ in 0..50 {
        if invoices(&w)
            .await
            .iter()
            .all(|i| i["transmission"] == "received")
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let list = invoices(&w).await;
    assert!(
        list.iter()
            .all(|i| i["transmission"] == "received" && i["transmission_at"].is_string()),
        "{list:#?}"
    );

    // The 212s: 49 € cashed twice, 10 € given back on the first facture.
    let dir = std::env::temp_dir().join(format!("cdar-{}", stripe_sandbox::random_id(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let statuses: Vec<_> = accepted(&pa)
        .into_iter()
        .filter(|f| f.syntax == "CDAR")
        .collect();
    for s in &statuses {
        let xml = String::from_utf8(pa.file(&s.flow_id).unwrap()).unwrap();
        let name = s.tracking_id.clone().unwrap();
        match name.starts_with("AV-") {
            true => {
                assert!(xml.contains(">-10.00</ram:ValueAmount>"), "{xml}");
                assert!(xml.contains(&format!(
                    "<ram:IssuerAssignedID>{fa1}</ram:IssuerAssignedID>"
                )));
            }
            false => assert!(xml.contains(">49.00</ram:ValueAmount>"), "{xml}"),
        }
        std::fs::write(dir.join(format!("{name}.xml")), xml).unwrap();
    }
    check_cdar(&dir);

    let metrics = w.metrics().await;
    assert!(metrics.contains("relay_pa_flows_sent_total 6"), "{metrics}");
    assert!(metrics.contains("relay_pa_outbox_depth 0"), "{metrics}");
}

async fn a_platform_down_for_a_while_loses_nothing_and_sends_once(backend: Backend) {
    let (w, pa) = with_platform(backend, &[]).await;
    pa.set_down(true);
    w.buy("mensuel").await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(pa.flows().is_empty());
    let metrics = w.metrics().await;
    assert!(!metrics.contains("relay_pa_outbox_depth 0"), "{metrics}");
    // The relay's clock moves past the back-off: the platform is back.
    w.state.clock.advance(3600);
    pa.set_down(false);
    until(&pa, "the facture and its 212", |flows| {
        flows
            .iter()
            .filter(|f| f.direction == "Out" && f.ack_status == "Ok")
            .count()
            == 2
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(accepted(&pa).len(), 2, "{:#?}", pa.flows());
}

async fn a_rejected_and_a_refused_document_are_reported(backend: Backend) {
    let (w, pa) = with_platform(backend, &[]).await;
    // Magic buyer SIRENs: the platform rejects (213) or the buyer refuses (210).
    for (id, siren) in [
        ("61", pa_sandbox::REJECTED_SIREN),
        ("62", pa_sandbox::REFUSED_SIREN),
    ] {
        let client = relay::domain::ClientId::parse(id).unwrap();
        let token = w
            .state
            .db
            .add_client(&client, "Toitures Martin")
            .await
            .unwrap();
        let siren = relay::siren::Siren::parse(siren).unwrap();
        w.state.db.claim_siren(&client, &siren).await.unwrap();
        let (code, body) = w
            .post_json(
                "/api/stripe/create-checkout-session",
                Some(&token),
                r#"{"plan":"mensuel","renewal":"once"}"#,
            )
            .await;
        assert_eq!(code, 200, "{body}");
        w.pay_card(body["url"].as_str().unwrap(), "4242424242424242")
            .await;
        w.sandbox.idle().await;
        let want = if id == "61" { "rejected" } else { "refused" };
        let mut seen = Value::Null;
        for _ in 0..100 {
            let (_, body) = w.get_json("/api/invoices", Some(&token)).await;
            seen = body["invoices"][0]["transmission"].clone();
            if seen == want {
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        assert_eq!(seen, want, "company {id}");
    }
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("relay_pa_documents_problems_total{status=\"213\"} 1"),
        "{metrics}"
    );
    assert!(
        metrics.contains("relay_pa_documents_problems_total{status=\"210\"} 1"),
        "{metrics}"
    );
    let list = relay_cli(&w, &["pa", "list", "--problems"]);
    assert!(
        list.contains("213 Rejetée") && list.contains("210 Refusée"),
        "{list}"
    );

    // The rejected facture counts as never issued: once the company's SIREN is corrected, it
    // is rendered again under its own number and goes through.
    let rejected = list
        .lines()
        .find(|l| l.contains("213"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    relay_cli(
        &w,
        &["clients", "set", "--id", "61", "--siren", "552100554"],
    );
    relay_cli(&w, &["pa", "resend", &rejected]);
    until(&pa, "the corrected facture deposited", |flows| {
        flows.iter().any(|f| {
            f.tracking_id.as_deref() == Some(rejected.as_str())
                && f.statuses.iter().any(|(c, _)| *c == 202)
        })
    })
    .await;
    let resent = pa
        .flows()
        .into_iter()
        .rev()
        .find(|f| f.tracking_id.as_deref() == Some(rejected.as_str()))
        .unwrap();
    let pdf = pa.file(&resent.flow_id).unwrap();
    assert!(pdf.starts_with(b"%PDF"));
    let list = relay_cli(&w, &["pa", "list", "--problems"]);
    assert!(!list.contains(&rejected), "{list}");
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

/// `relay doctor` gets a token and checks both services; a wrong secret is a ✘ that names
/// what to check, never the secret.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn doctor_checks_the_platform_token_and_both_services() {
    let (w, _pa) = with_platform(Backend::Sqlite, &[]).await;
    let base = w
        .state
        .settings
        .pa
        .api
        .as_ref()
        .unwrap()
        .token_url
        .as_str()
        .trim_end_matches("/token")
        .to_owned();
    let doctor = |secret: &str| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_relay"));
        cmd.arg("doctor")
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .env("DATABASE_URL", &w.db.url)
            .env("STRIPE_SECRET_KEY", "sk_test_doctor")
            .env("STRIPE_PUBLISHABLE_KEY", "pk_test_doctor")
            .env("STRIPE_WEBHOOK_SECRET", "whsec_doctor");
        for (k, v) in pa_env(&base) {
            cmd.env(
                k,
                if k == "PA_CLIENT_SECRET" {
                    secret.to_owned()
                } else {
                    v
                },
            );
        }
        let out = cmd.output().unwrap();
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    let good = doctor("pa-secret-for-tests");
    assert!(
        good.contains("✔ Plateforme agréée : jeton obtenu, service Flow joignable"),
        "{good}"
    );
    assert!(
        good.contains("✔ Plateforme agréée : jeton obtenu, service Annuaire joignable"),
        "{good}"
    );
    let bad = doctor("wrong-secret-value");
    assert!(bad.contains("✘ Plateforme agréée, service Flow"), "{bad}");
    assert!(
        bad.contains("PA_CLIENT_SECRET") && !bad.contains("wrong-secret-value"),
        "{bad}"
    );
}

on_both_backends!(
    every_facture_and_avoir_reaches_the_platform_once_with_its_212,
    a_platform_down_for_a_while_loses_nothing_and_sends_once,
    a_rejected_and_a_refused_document_are_reported,
);

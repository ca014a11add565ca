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

    // The accountant's index says where each document stands and that its 212 went.
    let to = std::env::temp_dir().join(format!("export-{}", stripe_sandbox::random_id(8)));
    relay_cli(
        &w,
        &[
            "invoices",
            "export",
            "--year",
            &year,
            "--to",
            to.to_str().unwrap(),
        ],
    );
    let csv = std::fs::read_to_string(to.join(format!("factures-{year}.csv"))).unwrap();
    let header = csv.lines().next().unwrap();
    assert!(
        header.ends_with(";transmission à la plateforme agréée;statut 212 Encaissée;problème"),
        "{header}"
    );
    for number in [&fa1, &fa2, &av1] {
        let row = csv
            .lines()
            .find(|r| r.starts_with(number.as_str()))
            .unwrap();
        assert!(
            row.contains(";202 Reçue le ") && row.contains(";envoyé le "),
            "{row}"
        );
    }

    let metrics = w.metrics().await;
    assert!(metrics.contains("relay_pa_flows_sent_total 6"), "{metrics}");
    assert!(metrics.contains("relay_pa_outbox_depth 0"), "{metrics}");
}

/// A year of automatic renewals and a refund: the subscription's facture, twelve renewals'
/// and the avoir reach the platform once each, with their 212.
async fn a_year_of_renewals_with_a_refund_reaches_the_platform_once(backend: Backend) {
    use common::billing::months_after;
    let (w, pa) = with_platform(backend, &[]).await;
    let (clock, t0) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    for month in 1..=12 {
        w.advance(&clock, months_after(t0, month) + 2 * 3600).await;
    }
    let intents: Vec<String> = sqlx::query_scalar(
        "SELECT payment_intent FROM invoices WHERE payment_intent IS NOT NULL ORDER BY period_end",
    )
    .fetch_all(&w.state.db.pool)
    .await
    .unwrap();
    w.refund_at_stripe(&intents[5], None).await;
    let factures = w.count("SELECT COUNT(*) FROM factures").await;
    let avoirs = w.count("SELECT COUNT(*) FROM avoirs").await;
    assert_eq!((factures, avoirs), (13, 1));
    let all = 2 * (factures + avoirs) as usize;
    until(&pa, "a year of documents and their 212", |flows| {
        flows
            .iter()
            .filter(|f| f.direction == "Out" && f.ack_status == "Ok")
            .count()
            >= all
    })
    .await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let ids = tracking(&accepted(&pa));
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!((ids.len(), unique.len()), (all, all), "{ids:?}");
    assert_eq!(ids.iter().filter(|i| i.starts_with("AV-")).count(), 2);
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

/// A seller who opted for VAT on debits: every facture says so and dates its VAT at issue
/// (BT-8 = 5), still valid for the independent validators, and no 212 is sent.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_seller_taxed_on_debits_prints_the_option_and_reports_no_payment() {
    let (w, pa) = with_platform(Backend::Sqlite, &[("SELLER_VAT_ON_DEBITS", "true")]).await;
    w.buy("mensuel").await;
    until(&pa, "the facture", |flows| {
        flows.iter().any(|f| f.ack_status == "Ok")
    })
    .await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let sent = accepted(&pa);
    assert_eq!(sent.len(), 1, "the facture alone: {sent:#?}");
    assert_eq!(sent[0].syntax, "Factur-X");
    let pdf = pa.file(&sent[0].flow_id).unwrap();
    let dir = std::env::temp_dir().join(format!("debits-{}", stripe_sandbox::random_id(8)));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(format!("{}.pdf", sent[0].tracking_id.as_deref().unwrap()));
    std::fs::write(&path, &pdf).unwrap();
    let text = std::process::Command::new("pdftotext")
        .arg(&path)
        .arg("-")
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&text.stdout).replace('\n', " ");
    assert!(
        text.contains("Option pour le paiement de la taxe d'après les débits"),
        "{text}"
    );
    let (_, xml) = {
        let number = sent[0].tracking_id.clone().unwrap();
        let r = w
            .http
            .get(format!("{}/api/invoices/{number}/xml", w.base))
            .bearer_auth(&w.token)
            .send()
            .await
            .unwrap();
        (r.status(), r.text().await.unwrap())
    };
    assert!(
        xml.contains("<ram:DueDateTypeCode>5</ram:DueDateTypeCode>"),
        "{xml}"
    );
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/validation/validate.py"))
        .arg(&dir)
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && report.contains("1 factures checked"),
        "{report}"
    );
}

/// pyfrctc and mcp-facture-electronique-fr, written by others, drive the offline platform with
/// a facture the relay issued (tests/validation/pa_clients.py).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_written_by_others_speak_to_the_offline_platform() {
    let pa = PaSandbox::new(Credentials {
        client_id: "independent-client".into(),
        client_secret: "independent-secret".into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = pa.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (w, relay_pa) = with_platform(Backend::Sqlite, &[]).await;
    w.buy("mensuel").await;
    until(&relay_pa, "a facture", |f| {
        f.iter().any(|f| f.syntax == "Factur-X")
    })
    .await;
    let facture = relay_pa
        .flows()
        .into_iter()
        .find(|f| f.syntax == "Factur-X")
        .unwrap();
    let path = std::env::temp_dir().join(format!("client-{}.pdf", stripe_sandbox::random_id(8)));
    std::fs::write(&path, relay_pa.file(&facture.flow_id).unwrap()).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(root.join("target/pa-venv/bin/python"))
            .arg(root.join("tests/validation/pa_clients.py"))
            .args([base.as_str(), "independent-client", "independent-secret"])
            .arg(&path)
            .output()
            .expect("target/pa-venv (tests/setup.sh)")
    })
    .await
    .unwrap();
    let text =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success() && text.contains("both clients: ok"),
        "{text}"
    );
    assert!(
        pa.flows()
            .iter()
            .any(|f| f.direction == "Out" && f.ack_status == "Ok")
    );
}

/// The real binary, serving with transmission on, its output discarded.
fn relay_process(db_url: &str, platform: &str) -> (std::process::Child, String) {
    let port = common::process::free_port();
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.arg("serve")
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("STRIPE_SECRET_KEY", "sk_test_process_key")
        .env("STRIPE_PUBLISHABLE_KEY", "pk_test_process_key")
        .env("STRIPE_WEBHOOK_SECRET", "whsec_process")
        .env("STRIPE_API_BASE", common::process::silent_stripe())
        .env("DATABASE_URL", db_url)
        .env("RELAY_ADDR", format!("127.0.0.1:{port}"))
        .env("RELAY_METRICS_ADDR", "127.0.0.1:0")
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    for (k, v) in pa_env(platform) {
        cmd.env(k, v);
    }
    (cmd.spawn().unwrap(), format!("http://127.0.0.1:{port}"))
}

/// Two instances send one database's documents while one is killed (`kill -9`) and started
/// again, and a message whose answer was lost is claimed again: each document and each 212
/// reaches the platform once.
async fn two_instances_and_kill_9_send_each_document_once(backend: Backend) {
    const PAYMENTS: usize = 12;
    let w = common::start(backend).await;
    for _ in 0..PAYMENTS {
        w.buy("mensuel").await;
    }
    // Transmission turned on before these factures were issued.
    sqlx::query("INSERT INTO pa_state (id, since) VALUES (1, 0)")
        .execute(&w.state.db.pool)
        .await
        .unwrap();
    let pa = PaSandbox::new(Credentials {
        client_id: "relay-tests".into(),
        client_secret: "pa-secret-for-tests".into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let platform = format!("http://{}", listener.local_addr().unwrap());
    let router = pa.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let (mut a, _) = relay_process(&w.db.url, &platform);
    let (mut b, b_base) = relay_process(&w.db.url, &platform);
    common::process::wait_healthy(&w.http, &b_base).await;
    let kill_after = Duration::from_millis(50 + rand::random::<u64>() % 400);
    tokio::time::sleep(kill_after).await;
    b.kill().unwrap(); // SIGKILL, perhaps between a POST and its record
    b.wait().unwrap();
    // Its lease runs out; a message it had sent without recording the answer is searched first.
    sqlx::query("UPDATE pa_transmissions SET lease_until = 0 WHERE state = 'sending'")
        .execute(&w.state.db.pool)
        .await
        .unwrap();
    let (mut b, _) = relay_process(&w.db.url, &platform);
    let all = 2 * PAYMENTS;
    until(&pa, "every facture and its 212", |flows| {
        flows
            .iter()
            .filter(|f| f.direction == "Out" && f.ack_status == "Ok")
            .count()
            >= all
    })
    .await;
    // An answer lost after the platform took the flow: the next claim adopts it.
    sqlx::query(
        "UPDATE pa_transmissions SET state = 'queued', flow_id = NULL, ack_status = NULL,
            next_at = 0, attempts = 1 WHERE doc = (SELECT MIN(doc) FROM pa_transmissions)
            AND message = 'document'",
    )
    .execute(&w.state.db.pool)
    .await
    .unwrap();
    for _ in 0..100 {
        let sent: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM pa_transmissions WHERE ack_status = 'Ok'")
                .fetch_one(&w.state.db.pool)
                .await
                .unwrap();
        if sent == all as i64 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    tokio::time::sleep(Duration::from_secs(1)).await;
    a.kill().unwrap();
    b.kill().unwrap();
    let ids = tracking(&accepted(&pa));
    let mut unique = ids.clone();
    unique.dedup();
    assert_eq!(ids.len(), all, "killed after {kill_after:?}: {ids:?}");
    assert_eq!(unique, ids, "each message once");
    let recorded: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM pa_transmissions WHERE ack_status = 'Ok'")
            .fetch_one(&w.state.db.pool)
            .await
            .unwrap();
    assert_eq!(recorded, all as i64, "every message recorded as taken");
}

/// The buyer's electronic address (BT-49) comes from the platform's Directory, read in the
/// background once the SIREN is set: a company whose directory line carries a suffix gets its
/// factures addressed there, and the validators accept them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buyer_address_comes_from_the_directory() {
    let (w, _pa) = with_platform(Backend::Sqlite, &[]).await;
    let client = relay::domain::ClientId::parse("63").unwrap();
    let token = w
        .state
        .db
        .add_client(&client, "Menuiserie Petit")
        .await
        .unwrap();
    let siren = relay::siren::Siren::parse(pa_sandbox::SUFFIX_SIREN).unwrap();
    w.state.db.claim_siren(&client, &siren).await.unwrap();
    let addressed = |id: &'static str| {
        let pool = w.state.db.pool.clone();
        async move {
            sqlx::query_scalar::<_, Option<String>>(
                "SELECT addressing_id FROM clients WHERE id = $1 AND addressing_checked_at IS NOT NULL",
            )
            .bind(id)
            .fetch_optional(&pool)
            .await
            .unwrap()
        }
    };
    let mut found = None;
    for _ in 0..100 {
        found = addressed("63").await;
        if found.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(found, Some(Some("302000005_FACTURES".into())));
    assert_eq!(
        addressed("39").await,
        Some(Some("552100554".into())),
        "the SIREN alone"
    );
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
    let (_, list) = w.get_json("/api/invoices", Some(&token)).await;
    let number = list["invoices"][0]["number"].as_str().unwrap().to_owned();
    let xml = w
        .http
        .get(format!("{}/api/invoices/{number}/xml", w.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        xml.contains(r#"<ram:URIID schemeID="0225">302000005_FACTURES</ram:URIID>"#),
        "{xml}"
    );
    let pdf = w
        .http
        .get(format!("{}/api/invoices/{number}/pdf", w.base))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .bytes()
        .await
        .unwrap();
    let dir = std::env::temp_dir().join(format!("bt49-{}", stripe_sandbox::random_id(8)));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(format!("{number}.pdf")), &pdf).unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let out = std::process::Command::new("python3")
        .arg(root.join("tests/validation/validate.py"))
        .arg(&dir)
        .output()
        .unwrap();
    let report =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    assert!(out.status.success(), "{report}");
}

/// A status the buyer's side gives later (207 En litige, through the platform's control route)
/// reaches the company's list and the platform's page; the control route refuses an unknown flow or code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_status_from_the_platform_reaches_the_company() {
    let pa = PaSandbox::new(Credentials {
        client_id: "relay-tests".into(),
        client_secret: "pa-secret-for-tests".into(),
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let router = pa.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let vars = pa_env(&base);
    let env: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let w = start_with(Backend::Sqlite, &env).await;
    w.buy("mensuel").await;
    until(&pa, "the facture", |f| {
        f.iter()
            .any(|f| f.syntax == "Factur-X" && f.ack_status == "Ok")
    })
    .await;
    let flow = pa
        .flows()
        .into_iter()
        .find(|f| f.syntax == "Factur-X")
        .unwrap();
    let http = reqwest::Client::new();
    let control = |body: &'static str, id: String| {
        let http = http.clone();
        let url = format!("{base}/control/flows/{id}/status");
        async move {
            http.post(url)
                .header("content-type", "application/json")
                .body(body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(
        control(
            r#"{"code":207,"reason":"TX_TVA_ERR"}"#,
            flow.flow_id.clone()
        )
        .await,
        204
    );
    assert_eq!(control(r#"{"code":207}"#, "unknown-flow".into()).await, 404);
    assert_eq!(control(r#"{"code":999}"#, flow.flow_id.clone()).await, 400);
    let mut seen = Value::Null;
    for _ in 0..100 {
        seen = invoices(&w).await[0]["transmission"].clone();
        if seen == "disputed" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "disputed");
    let page = reqwest::get(format!("{base}/"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(page.contains("207 En litige (TX_TVA_ERR)"), "{page}");
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
    two_instances_and_kill_9_send_each_document_once,
    a_year_of_renewals_with_a_refund_reaches_the_platform_once,
);

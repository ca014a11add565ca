//! Sending: every document and 212 reaches the platform once, through renewals, refunds, an
//! outage, two instances and `kill -9`.

use std::time::Duration;

use super::common::{self, Backend};
use super::*;

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
    let (pa, platform) = platform().await;
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

crate::on_both_backends!(
    every_facture_and_avoir_reaches_the_platform_once_with_its_212,
    a_year_of_renewals_with_a_refund_reaches_the_platform_once,
    a_platform_down_for_a_while_loses_nothing_and_sends_once,
    two_instances_and_kill_9_send_each_document_once,
);

//! The standard, checked by others: VAT on debits through the validators, two independent
//! XP Z12-013 clients, the Directory's electronic address.

use std::path::Path;
use std::time::Duration;

use super::common::Backend;
use super::*;

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
    let report = validate_factures(&dir);
    assert!(report.contains("1 factures checked"), "{report}");
}

/// pyfrctc and mcp-facture-electronique-fr, written by others, drive the offline platform with
/// a facture the relay issued (tests/validation/pa_clients.py).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_clients_written_by_others_speak_to_the_offline_platform() {
    let (pa, base) = platform_for("independent-client", "independent-secret").await;
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

/// The buyer's electronic address (BT-49) comes from the platform's Directory, read in the
/// background once the SIREN is set: a company whose directory line carries a suffix gets its
/// factures addressed there, and the validators accept them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_buyer_address_comes_from_the_directory() {
    let (w, _pa) = with_platform(Backend::Sqlite, &[]).await;
    let token = company(&w, "63", "Menuiserie Petit", pa_sandbox::SUFFIX_SIREN).await;
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
    pay_once(&w, &token).await;
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
    validate_factures(&dir);
}

//! What the platform says back: rejected (213), refused (210) and later statuses, and the
//! operator's tools (`relay pa list|resend`, `relay doctor`).

use std::time::Duration;

use serde_json::Value;

use super::common::Backend;
use super::*;

async fn a_rejected_and_a_refused_document_are_reported(backend: Backend) {
    let (w, pa) = with_platform(backend, &[]).await;
    // Magic buyer SIRENs: the platform rejects (213) or the buyer refuses (210).
    let mut tokens = Vec::new();
    for (id, siren) in [
        ("61", pa_sandbox::REJECTED_SIREN),
        ("62", pa_sandbox::REFUSED_SIREN),
    ] {
        let token = company(&w, id, "Toitures Martin", siren).await;
        tokens.push(token.clone());
        pay_once(&w, &token).await;
        let want = if id == "61" { "rejected" } else { "refused" };
        let seen = transmission_becomes(&w, &token, want).await;
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

    // The rejected facture counts as never issued: its number stays, and once the company's
    // SIREN is corrected a new facture bills the same payment and goes through, once.
    let rejected = list
        .lines()
        .find(|l| l.contains("213"))
        .unwrap()
        .split('\t')
        .next()
        .unwrap()
        .to_owned();
    let rejected_client = relay::domain::ClientId::parse("61").unwrap();
    let expiry = w
        .state
        .db
        .subscription(&rejected_client)
        .await
        .unwrap()
        .map(|s| s.expires_at);
    relay_cli(
        &w,
        &["clients", "set", "--id", "61", "--siren", "552100554"],
    );
    let said = relay_cli(&w, &["pa", "resend", &rejected]);
    let new = said.lines().last().unwrap().trim().to_owned();
    assert!(new.starts_with("FA-") && new != rejected, "{said}");
    until(&pa, "the replacement deposited", |flows| {
        flows.iter().any(|f| {
            f.tracking_id.as_deref() == Some(new.as_str())
                && f.statuses.iter().any(|(c, _)| *c == 202)
        })
    })
    .await;
    let replacement = pa
        .flows()
        .into_iter()
        .find(|f| f.tracking_id.as_deref() == Some(new.as_str()))
        .unwrap();
    assert!(pa.file(&replacement.flow_id).unwrap().starts_with(b"%PDF"));
    until(&pa, "the replacement's 212", |flows| {
        flows
            .iter()
            .any(|f| f.tracking_id.as_deref() == Some(format!("{new}-212").as_str()))
    })
    .await;
    assert!(
        !pa.flows()
            .iter()
            .any(|f| f.tracking_id.as_deref() == Some(format!("{rejected}-212").as_str())),
        "no 212 for a facture never issued"
    );
    let xml = String::from_utf8(
        w.http
            .get(format!("{}/api/invoices/{new}/xml", w.base))
            .bearer_auth(&tokens[0])
            .send()
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap()
            .to_vec(),
    )
    .unwrap();
    assert!(
        xml.contains(r#"<ram:ID schemeID="0002">552100554</ram:ID>"#),
        "the corrected buyer"
    );
    let problems = relay_cli(&w, &["pa", "list", "--problems"]);
    assert!(!problems.contains(&rejected), "{problems}");
    let all = relay_cli(&w, &["pa", "list"]);
    assert!(all.contains(&format!("remplacée par {new}")), "{all}");
    // One payment, one facture: access as it was, folded from the stored payments.
    let after = w
        .state
        .db
        .subscription(&rejected_client)
        .await
        .unwrap()
        .map(|s| s.expires_at);
    assert_eq!(after, expiry);
    assert!(w.state.db.unexplained_access().await.unwrap().is_empty());
}

/// A status the buyer's side gives later (207 En litige, through the platform's control route)
/// reaches the company's list and the platform's page; the control route refuses an unknown flow or code.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_later_status_from_the_platform_reaches_the_company() {
    let (pa, base) = platform().await;
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

crate::on_both_backends!(a_rejected_and_a_refused_document_are_reported,);

//! The operator's side of refunds: `relay refund` as the operator runs it (refused before
//! Stripe when too much, a commercial gesture with its reason on the avoir, the rest with
//! renewal stopped, a renewal invoice with its renewal stopped at Stripe), and two instances
//! numbering avoirs in one gap-free series.

use serde_json::json;

use super::common::billing::months_after;
use super::common::{self, Backend, World, now, start};
use super::intent;

/// `relay refund …` run as the operator runs it, against this world's database and sandbox.
async fn relay_refund(w: &World, args: &[&str]) -> (i32, String) {
    let vars = common::env(&w.db.url, &w.base, &w.sandbox_base);
    let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(env!("CARGO_BIN_EXE_relay"))
            .arg("refund")
            .args(&args)
            .env_clear()
            .env("PATH", std::env::var("PATH").unwrap())
            .envs(vars)
            .output()
            .unwrap()
    })
    .await
    .unwrap();
    w.sandbox.idle().await;
    let said =
        String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr);
    (out.status.code().unwrap_or(-1), said)
}

async fn the_operator_refunds_from_the_command_line_and_the_events_do_the_rest(backend: Backend) {
    let w = start(backend).await;
    let id = w.buy("mensuel").await;
    let paid = w.expiry().await;
    let (_, body) = w.get_json("/api/invoices", Some(&w.token)).await;
    let facture = body["invoices"][0]["number"].as_str().unwrap().to_owned();
    let pi = intent(&w, &id);

    let (code, said) = relay_refund(&w, &["--invoice", &facture, "--amount", "60,00"]).await;
    assert_eq!(code, 1, "{said}");
    assert!(
        said.contains("il ne reste que 49,00\u{a0}€ à rembourser"),
        "{said}"
    );
    assert_eq!(
        w.sandbox.refunded(&pi),
        0,
        "refused before Stripe was called"
    );

    let gesture = [
        "--invoice",
        &facture,
        "--amount",
        "10,00",
        "--reason",
        "geste commercial",
    ];
    let (code, said) = relay_refund(&w, &gesture).await;
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("Stripe a accepté le remboursement re_") && said.contains("de 10,00\u{a0}€"),
        "{said}"
    );
    assert_eq!(w.expiry().await, paid, "a partial refund keeps access");
    let (_, body) = w.get_json("/api/invoices", Some(&w.token)).await;
    let avoir = &body["invoices"][0];
    assert_eq!(
        (avoir["kind"].as_str(), avoir["amount_cents"].as_i64()),
        (Some("avoir"), Some(1000))
    );
    let xml = w
        .http
        .get(format!(
            "{}/api/invoices/{}/xml",
            w.base,
            avoir["number"].as_str().unwrap()
        ))
        .bearer_auth(&w.token)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(xml.contains("Remboursement : geste commercial"), "{xml}");

    let (code, said) = relay_refund(&w, &["--invoice", &facture, "--cancel-renewal"]).await;
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("de 39,00\u{a0}€")
            && said.contains("Aucun renouvellement automatique à arrêter."),
        "{said}"
    );
    assert_eq!(w.status().await["status"], "expired");
    let (code, said) = relay_refund(&w, &["--invoice", &facture]).await;
    assert_eq!(
        (code, said.contains("déjà été remboursé en entier")),
        (1, true),
        "{said}"
    );
    let (code, said) = relay_refund(&w, &["--invoice", "FA-1999-000001"]).await;
    assert_eq!(
        (code, said.trim()),
        (1, "Facture FA-1999-000001 introuvable.")
    );
    let (code, said) = relay_refund(&w, &["--invoice", "AV-2026-000001"]).await;
    assert_eq!(code, 2, "{said}");
}

async fn a_renewal_refunded_from_the_command_line_can_stop_the_renewal_too(backend: Backend) {
    let w = start(backend).await;
    let (clock, t0) = w.new_clock().await;
    w.subscribe("mensuel", &clock).await;
    w.advance(&clock, months_after(t0, 1) + 2 * 3600).await;
    let (_, body) = w.get_json("/api/invoices", Some(&w.token)).await;
    let facture = body["invoices"][0]["number"].as_str().unwrap().to_owned();
    let args = ["--invoice", &facture, "--amount", "5", "--cancel-renewal"];
    let (code, said) = relay_refund(&w, &args).await;
    assert_eq!(code, 0, "{said}");
    assert!(
        said.contains("de 5,00\u{a0}€") && said.contains("Renouvellement automatique arrêté"),
        "{said}"
    );
    let path = format!("/v1/subscriptions/{}", w.subscription_id().await);
    let sub = w.stripe(reqwest::Method::GET, &path, &[]).await;
    assert_eq!(sub["cancel_at_period_end"], true);
    assert_eq!(
        w.paid_until().await,
        Some(months_after(t0, 2)),
        "a gesture keeps the period"
    );
}

crate::on_both_backends!(
    the_operator_refunds_from_the_command_line_and_the_events_do_the_rest,
    a_renewal_refunded_from_the_command_line_can_stop_the_renewal_too,
);

/// Two instances on one PostgreSQL, 20 refunds each delivered to both at once: one avoir each,
/// numbered 1 to 20.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_number_avoirs_in_one_gap_free_series() {
    let w = start(Backend::Postgres).await;
    let other = common::start_relay(&w.db.url, &w.sandbox_base).await;
    let ids: Vec<String> = (0..20).map(|i| format!("cs_test_av_{i}")).collect();
    w.created_sessions(&ids, "mensuel").await;
    for (i, id) in ids.iter().enumerate() {
        let body = stripe_sandbox::fixtures::paid_checkout_event(
            &format!("evt_av_paid_{i}"),
            id,
            "39",
            "mensuel",
            4900,
        );
        assert_eq!(w.send_webhook(&w.base, &body).await.unwrap().status(), 200);
    }
    let mut sent = Vec::new();
    for (i, id) in ids.iter().enumerate() {
        let intent: String = sqlx::query_scalar(
            "SELECT payment_intent FROM checkout_sessions WHERE session_id = $1",
        )
        .bind(id)
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap();
        let body = json!({
            "id": format!("evt_av_refund_{i}"), "object": "event", "type": "refund.created",
            "livemode": false, "created": now(),
            "data": {"object": {"id": format!("re_av_{i}"), "object": "refund", "amount": 4900,
                "currency": "eur", "payment_intent": intent, "status": "succeeded",
                "created": now()}}
        })
        .to_string();
        for base in [&w.base, &other.base] {
            sent.push(tokio::spawn(w.send_webhook(base, &body)));
        }
    }
    for answer in sent {
        assert_eq!(answer.await.unwrap().unwrap().status(), 200);
    }
    let seqs: Vec<i64> = sqlx::query_scalar("SELECT id % 1000000 FROM avoirs ORDER BY id")
        .fetch_all(&w.state.db.pool)
        .await
        .unwrap();
    assert_eq!(
        seqs,
        (1..=20).collect::<Vec<_>>(),
        "unique and without a gap"
    );
    other.stop();
}

//! The relay's foundation over real HTTP and the real binary: plans, config, pages, tokens,
//! operations endpoints, the command line, and one configuration error per variable.

mod common;

use std::process::{Command, Output};

use common::{Backend, TestDb, World, start};

async fn plans_are_the_contracts_table(backend: Backend) {
    let w = start(backend).await;
    let (code, body) = w.get_json("/api/stripe/plans", None).await;
    assert_eq!(code, 200);
    let plans = body["plans"].as_array().unwrap();
    assert_eq!(plans.len(), 2);
    assert_eq!(plans[0]["id"], "mensuel");
    assert_eq!(plans[0]["price_cents"], 4900);
    assert_eq!(plans[0]["duration_days"], 30);
    assert_eq!(plans[1]["id"], "annuel");
    assert_eq!(plans[1]["price_cents"], 49900);
    assert_eq!(plans[1]["currency"], "eur");
    assert_eq!(plans[1]["features"][2], "2 mois offerts");
}

async fn config_gives_the_publishable_key_and_never_the_secret(backend: Backend) {
    let w = start(backend).await;
    let resp = w.get("/api/stripe/config").await;
    let text = resp.text().await.unwrap();
    assert_eq!(
        text,
        r#"{"publishable_key":"pk_test_relay_tests_key","mode":"test"}"#
    );
    assert!(!text.contains("sk_test") && !text.contains("whsec"));
}

async fn api_calls_without_a_valid_token_get_401_with_the_error_shape(backend: Backend) {
    let w = start(backend).await;
    for token in [None, Some("erpbtp_wrong"), Some("")] {
        let (code, body) = w.get_json("/api/subscription", token).await;
        assert_eq!(code, 401, "{token:?}");
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(body["error"]["message"].as_str().unwrap().contains("Jeton"));
    }
    let (code, body) = w
        .post_json(
            "/api/stripe/create-checkout-session",
            None,
            r#"{"plan":"mensuel"}"#,
        )
        .await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (401, Some("unauthorized"))
    );
    let resp = w
        .http
        .get(format!("{}/api/subscription", w.base))
        .header("authorization", format!("Basic {}", w.token))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 401);
}

async fn a_revoked_token_is_refused_on_the_next_request(backend: Backend) {
    let w = start(backend).await;
    assert_eq!(w.get_json("/api/subscription", Some(&w.token)).await.0, 200);
    w.state.db.revoke_client(&w.client).await.unwrap();
    let (code, body) = w.get_json("/api/subscription", Some(&w.token)).await;
    assert_eq!(code, 401);
    assert_eq!(body["error"]["code"], "unauthorized");
}

async fn tokens_are_stored_only_as_hashes(backend: Backend) {
    let w = start(backend).await;
    assert!(
        w.token.starts_with("erpbtp_") && w.token.len() >= 7 + 43,
        "256-bit token"
    );
    use sqlx::Row;
    let stored: String = sqlx::query("SELECT token_hash FROM clients")
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap()
        .get(0);
    assert_ne!(stored, w.token);
    assert!(!stored.contains(&w.token[7..]));
    assert_eq!(stored, relay::db::clients::hash_token(&w.token));
}

async fn healthz_checks_the_database_and_metrics_count_requests(backend: Backend) {
    let w = start(backend).await;
    let (code, body) = w.get_json("/healthz", None).await;
    assert_eq!((code, body["database"].as_str()), (200, Some("ok")));
    w.get_json("/api/stripe/plans", None).await;
    w.get_json("/api/subscription", None).await;
    let metrics = w.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"relay_http_requests_total{route="/api/stripe/plans",status="200"} 1"#),
        "{metrics}"
    );
    assert!(
        metrics.contains(r#"relay_http_requests_total{route="/api/subscription",status="401"} 1"#),
        "{metrics}"
    );
    assert!(metrics.contains("relay_long_polls_waiting 0"));
    w.state.db.pool.close().await;
    let (code, body) = w.get_json("/healthz", None).await;
    assert_eq!(
        (code, body["database"].as_str()),
        (503, Some("unreachable"))
    );
}

on_both_backends!(
    plans_are_the_contracts_table,
    config_gives_the_publishable_key_and_never_the_secret,
    api_calls_without_a_valid_token_get_401_with_the_error_shape,
    a_revoked_token_is_refused_on_the_next_request,
    tokens_are_stored_only_as_hashes,
    healthz_checks_the_database_and_metrics_count_requests,
);

#[tokio::test]
async fn the_pricing_page_shows_both_plans_in_french_with_security_headers() {
    let w = start(Backend::Sqlite).await;
    let resp = w.get("/pricing").await;
    assert_eq!(resp.status(), 200);
    let headers = resp.headers().clone();
    assert!(
        headers["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'self'")
    );
    assert_eq!(headers["x-content-type-options"], "nosniff");
    assert_eq!(headers["x-frame-options"], "DENY");
    let html = resp.text().await.unwrap();
    assert!(html.contains("lang=\"fr\""));
    for text in [
        "49\u{a0}€ / mois",
        "499\u{a0}€ / an",
        "Accès complet",
        "Support prioritaire",
        "2 mois offerts",
        "89\u{a0}€ d&#39;économie",
    ] {
        assert!(html.contains(text), "missing {text:?}");
    }
    assert_eq!(w.get("/static/app.css").await.status(), 200);
}

#[tokio::test]
async fn plans_come_from_the_file_named_in_relay_plans_file() {
    let db = TestDb::new(Backend::Sqlite).await;
    let file = std::env::temp_dir().join(format!("plans_{}.json", stripe_sandbox::random_id(8)));
    std::fs::write(&file, r#"{"plans":[{"id":"trimestriel","name":"Trimestriel","price_cents":13900,"currency":"eur","duration_days":90,"features":["Accès complet"]}]}"#).unwrap();
    let path = file.display().to_string();
    let (base, _state, _stop) = common::start_relay_with(
        &db.url,
        "http://127.0.0.1:9",
        &[("RELAY_PLANS_FILE", &path)],
    )
    .await;
    let body: serde_json::Value = reqwest::get(format!("{base}/api/stripe/plans"))
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(body["plans"].as_array().unwrap().len(), 1);
    assert_eq!(
        (
            body["plans"][0]["id"].as_str(),
            body["plans"][0]["price_cents"].as_i64()
        ),
        (Some("trimestriel"), Some(13900))
    );
    std::fs::write(&file, r#"{"plans":[{"id":"x","name":"X","price_cents":0,"currency":"eur","duration_days":30,"features":[]}]}"#).unwrap();
    let out = relay(
        &["serve"],
        &[
            ("STRIPE_SECRET_KEY", "sk_test_cli_secret_value"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_test_cli_value"),
            ("STRIPE_WEBHOOK_SECRET", "whsec_cli_secret_value"),
            ("DATABASE_URL", &db.url),
            ("RELAY_ADDR", "127.0.0.1:0"),
            ("RELAY_PLANS_FILE", &path),
        ],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !out.status.success() && stderr.contains("RELAY_PLANS_FILE") && stderr.contains("prix"),
        "{stderr}"
    );
    std::fs::remove_file(file).unwrap();
}

#[tokio::test]
async fn the_cancelled_page_says_nothing_was_charged() {
    let w = start(Backend::Sqlite).await;
    let resp = w.get("/payment-cancelled").await;
    assert_eq!(resp.status(), 200);
    let html = resp.text().await.unwrap();
    assert!(html.contains("aucun montant n'a été débité"), "{html}");
    assert!(html.contains("href=\"/pricing\""));
}

#[tokio::test]
async fn unknown_paths_and_oversized_bodies_get_json_errors() {
    let w = start(Backend::Sqlite).await;
    let (code, body) = w.get_json("/nope", None).await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (404, Some("not_found"))
    );
    let huge = "x".repeat(relay::BODY_LIMIT + 1);
    let resp = w
        .http
        .post(format!("{}/api/stripe/webhook", w.base))
        .body(huge)
        .header("stripe-signature", "t=1,v1=00")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 413);
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 0);
}

// --- the binary ---

fn relay(args: &[&str], vars: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_relay"));
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default());
    for (k, v) in vars {
        cmd.env(k, v);
    }
    cmd.output().unwrap()
}

fn good_env(db: &str) -> Vec<(&'static str, String)> {
    vec![
        ("STRIPE_SECRET_KEY", "sk_test_cli_secret_value".into()),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_cli_value".into()),
        ("STRIPE_WEBHOOK_SECRET", "whsec_cli_secret_value".into()),
        ("DATABASE_URL", db.into()),
        ("RELAY_ADDR", "127.0.0.1:0".into()),
    ]
}

/// Runs `relay serve` with one variable changed; it must stop at once with one line naming it.
fn assert_config_error(var: &str, value: &str, expect: &str) {
    let db = format!(
        "sqlite://{}/cfg_{}.db",
        std::env::temp_dir().display(),
        stripe_sandbox::random_id(8)
    );
    let mut vars: Vec<(&str, String)> = good_env(&db)
        .into_iter()
        .filter(|(k, _)| *k != var)
        .collect();
    if !value.is_empty() {
        vars.push((var, value.into()));
    }
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = relay(&["serve"], &vars);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{var}: {stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains(var) && stderr.contains(expect),
        "{var}: {stderr}"
    );
    assert!(!stderr.contains("panicked"));
    for secret in ["cli_secret_value", "sk_live_abcdefgh", "whsec_"] {
        if secret != "whsec_" || var != "STRIPE_WEBHOOK_SECRET" {
            assert!(!stderr.contains(secret), "secret leaked: {stderr}");
        }
    }
}

#[test]
fn a_missing_secret_key_stops_start_up_naming_it() {
    assert_config_error("STRIPE_SECRET_KEY", "", "absente");
}

#[test]
fn a_malformed_secret_key_stops_start_up_without_echoing_it() {
    assert_config_error("STRIPE_SECRET_KEY", "xk_cli_secret_value", "sk_test_");
}

#[test]
fn a_live_key_outside_production_is_refused() {
    assert_config_error("STRIPE_SECRET_KEY", "sk_live_abcdefgh", "APP_ENV");
}

#[test]
fn a_publishable_key_of_the_other_mode_is_refused() {
    assert_config_error("STRIPE_PUBLISHABLE_KEY", "pk_live_abcdefgh", "mode live");
}

#[test]
fn a_missing_publishable_key_is_named() {
    assert_config_error("STRIPE_PUBLISHABLE_KEY", "", "absente");
}

#[test]
fn a_webhook_secret_without_whsec_is_refused() {
    assert_config_error("STRIPE_WEBHOOK_SECRET", "cli_secret_value", "whsec_");
}

#[test]
fn a_relative_app_url_is_refused() {
    assert_config_error("APP_URL", "votre-domaine.com", "URL absolue");
}

#[test]
fn an_unknown_database_scheme_is_refused() {
    assert_config_error("DATABASE_URL", "mysql://x", "sqlite://");
}

#[test]
fn a_bad_listen_address_is_refused() {
    assert_config_error("RELAY_ADDR", "localhost", "IP:port");
}

#[test]
fn an_unknown_app_env_is_refused() {
    assert_config_error("APP_ENV", "prod", "production");
}

#[test]
fn a_bad_stripe_api_base_is_refused() {
    assert_config_error("STRIPE_API_BASE", "api.stripe.com", "URL absolue");
}

#[test]
fn an_unreachable_database_stops_start_up_naming_database_url() {
    let mut vars = good_env("postgres://postgres@127.0.0.1:1/none");
    vars.retain(|(k, _)| *k != "RELAY_ADDR");
    vars.push(("RELAY_ADDR", "127.0.0.1:0".into()));
    let vars: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let out = relay(&["serve"], &vars);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("DATABASE_URL"), "{stderr}");
}

async fn the_clients_commands_add_list_and_revoke(backend: Backend) {
    let db = TestDb::new(backend).await;
    let vars = [("DATABASE_URL", db.url.as_str())];
    let added = relay(
        &[
            "clients",
            "add",
            "--id",
            "39",
            "--name",
            "Maçonnerie Dupont",
        ],
        &vars,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );
    let stdout = String::from_utf8(added.stdout).unwrap();
    let token = stdout.trim_end().lines().last().unwrap();
    assert!(
        token.starts_with("erpbtp_") && !token.contains(' '),
        "token alone on the last line: {stdout}"
    );
    let again = relay(&["clients", "add", "--id", "39", "--name", "Autre"], &vars);
    assert!(!again.status.success());
    assert!(String::from_utf8_lossy(&again.stderr).contains("existe déjà"));
    let bad = relay(&["clients", "add", "--id", "a b", "--name", "X"], &vars);
    assert!(!bad.status.success());

    let list = String::from_utf8(relay(&["clients", "list"], &vars).stdout).unwrap();
    assert!(
        list.contains("39\tMaçonnerie Dupont") && list.contains("actif"),
        "{list}"
    );
    assert!(!list.contains(&token[7..]), "list never shows tokens");

    let conn = relay::db::Db::connect(&db.url).await.unwrap();
    assert!(conn.client_for_token(token).await.unwrap().is_some());
    assert!(
        relay(&["clients", "revoke", "--id", "39"], &vars)
            .status
            .success()
    );
    assert!(conn.client_for_token(token).await.unwrap().is_none());
    assert!(
        String::from_utf8(relay(&["clients", "list"], &vars).stdout)
            .unwrap()
            .contains("révoqué")
    );
    assert!(
        !relay(&["clients", "revoke", "--id", "40"], &vars)
            .status
            .success()
    );
}

async fn migrate_and_doctor_report_on_the_database(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut vars = good_env(&db.url);
    let doctor = |vars: &Vec<(&'static str, String)>| {
        let v: Vec<(&str, &str)> = vars.iter().map(|(k, v)| (*k, v.as_str())).collect();
        relay(&["doctor"], &v)
    };
    let before = doctor(&vars);
    let text = String::from_utf8_lossy(&before.stdout).to_string();
    assert_eq!(before.status.code(), Some(1), "{text}");
    assert!(
        text.contains("✘ 2 migration(s) en attente") && text.contains("relay migrate"),
        "{text}"
    );
    assert!(
        relay(&["migrate"], &[("DATABASE_URL", db.url.as_str())])
            .status
            .success()
    );
    let after = doctor(&vars);
    let text = String::from_utf8_lossy(&after.stdout).to_string();
    assert_eq!(after.status.code(), Some(0), "{text}");
    assert!(
        text.contains("✔ Migrations à jour")
            && text.contains("✔ Clés Stripe cohérentes, mode test"),
        "{text}"
    );
    assert!(!text.contains("cli_secret_value"));
    vars.retain(|(k, _)| *k != "STRIPE_WEBHOOK_SECRET");
    let broken = doctor(&vars);
    let text = String::from_utf8_lossy(&broken.stdout).to_string();
    assert_eq!(broken.status.code(), Some(1));
    assert!(
        text.contains("✘") && text.contains("STRIPE_WEBHOOK_SECRET") && text.contains("→"),
        "{text}"
    );
}

on_both_backends!(
    the_clients_commands_add_list_and_revoke,
    migrate_and_doctor_report_on_the_database
);

#[tokio::test]
async fn world_helpers_start_clean() {
    let w: World = start(Backend::Sqlite).await;
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 0);
    assert_eq!(w.status().await["status"], "none");
}

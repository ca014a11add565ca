//! The `relay` binary: one configuration error per variable (one line naming it, no secret, no
//! panic), the clients commands, `migrate` and `doctor` on both backends, and the plans file;
//! `production`: what the relay refuses to do in production or with real payments; `admins`: the
//! console's operators.

mod admins;
#[path = "../common/mod.rs"]
mod common;
mod production;

use std::process::{Command, Output};

use common::{Backend, TestDb};

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
        ("RELAY_METRICS_ADDR", "127.0.0.1:0".into()),
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

    // A SIREN with a wrong check digit is refused, and nothing is stored.
    let typo = relay(
        &[
            "clients",
            "add",
            "--id",
            "40",
            "--name",
            "Charpente Martin",
            "--siren",
            "732 829 321",
        ],
        &vars,
    );
    assert!(!typo.status.success());
    assert!(String::from_utf8_lossy(&typo.stderr).contains("clé de contrôle ne correspond pas"));
    let refused = relay(&["clients", "set", "--id", "39", "--siren", "12345"], &vars);
    assert!(String::from_utf8_lossy(&refused.stderr).contains("9 chiffres attendus"));
    let set = relay(
        &["clients", "set", "--id", "39", "--siren", "732 829 320"],
        &vars,
    );
    assert!(
        set.status.success(),
        "{}",
        String::from_utf8_lossy(&set.stderr)
    );
    let added = relay(
        &[
            "clients",
            "add",
            "--id",
            "41",
            "--name",
            "Plâtrerie Roux",
            "--siren",
            "552100554",
        ],
        &vars,
    );
    assert!(
        added.status.success(),
        "{}",
        String::from_utf8_lossy(&added.stderr)
    );

    let list = String::from_utf8(relay(&["clients", "list"], &vars).stdout).unwrap();
    assert!(
        list.contains("39\tMaçonnerie Dupont\tSIREN 732829320") && list.contains("actif"),
        "{list}"
    );
    assert!(
        list.contains("41\tPlâtrerie Roux\tSIREN 552100554"),
        "{list}"
    );
    assert!(
        !list.contains("\n40\t") && !list.starts_with("40\t"),
        "nothing stored for the typo: {list}"
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
    // Every migration of the backend's folder is pending on a new database.
    let folder = match backend {
        Backend::Sqlite => "sqlite",
        Backend::Postgres => "postgres",
    };
    let migrations = std::fs::read_dir(format!(
        "{}/../migrations/{folder}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
    .count();
    assert!(
        text.contains(&format!("✘ {migrations} migration(s) en attente"))
            && text.contains("relay migrate"),
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
async fn plans_come_from_the_file_named_in_relay_plans_file() {
    let db = TestDb::new(Backend::Sqlite).await;
    let file = std::env::temp_dir().join(format!("plans_{}.json", stripe_sandbox::random_id(8)));
    std::fs::write(&file, r#"{"plans":[{"id":"trimestriel","name":"Trimestriel","price_cents":13900,"currency":"eur","duration_days":90,"features":["Accès complet"]}]}"#).unwrap();
    let path = file.display().to_string();
    let running = common::start_relay_with(
        &db.url,
        "http://127.0.0.1:9",
        &[("RELAY_PLANS_FILE", &path)],
    )
    .await;
    let body: serde_json::Value = reqwest::get(format!("{}/api/stripe/plans", running.base))
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
            ("RELAY_METRICS_ADDR", "127.0.0.1:0"),
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

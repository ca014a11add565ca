//! What the relay refuses to start with: the sandbox in production, with a live key or on a
//! database that served real payments; production without its signing key (or with a key file
//! others can read) or without the factures' seller; and a SQLite file others could read.

use super::common::{Backend, TestDb};
use super::relay;

/// `serve --sandbox` with these variables must refuse to start with one French line.
fn assert_sandbox_refused(vars: &[(&str, &str)], expect: &str) {
    let mut all = vec![
        ("RELAY_ADDR", "127.0.0.1:0"),
        ("RELAY_METRICS_ADDR", "127.0.0.1:0"),
        ("RUST_LOG", "off"),
    ];
    all.extend_from_slice(vars);
    let out = relay(&["serve", "--sandbox"], &all);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_ne!(out.status.code(), Some(0), "{stderr}");
    assert_eq!(stderr.trim().lines().count(), 1, "one line: {stderr}");
    assert!(
        stderr.contains("--sandbox refusé") && stderr.contains(expect),
        "{stderr}"
    );
}

#[tokio::test]
async fn the_sandbox_never_runs_in_production_with_a_live_key_or_on_real_payments() {
    let db = TestDb::new(Backend::Sqlite).await;
    assert_sandbox_refused(
        &[("APP_ENV", "production"), ("DATABASE_URL", &db.url)],
        "APP_ENV=production",
    );
    let live = format!("{}{}", "sk_live_", stripe_sandbox::random_id(24));
    assert_sandbox_refused(
        &[("STRIPE_SECRET_KEY", &live), ("DATABASE_URL", &db.url)],
        "clé live",
    );
    // A database that served a real Stripe: one session recorded with origin `test`.
    let real = relay::db::Db::connect(&db.url).await.unwrap();
    real.migrate().await.unwrap();
    let client = relay::domain::ClientId::parse("39").unwrap();
    real.add_client(&client, "Maçonnerie Dupont").await.unwrap();
    let session = relay::domain::SessionId::parse("cs_test_real_one").unwrap();
    real.record_new_session(
        &session,
        &client,
        &relay::domain::PlanId::parse("mensuel").unwrap(),
        4900,
        false,
        relay::domain::PaymentOrigin::Test,
        relay::core::Timestamp::from_unix(0),
    )
    .await
    .unwrap();
    real.pool.close().await;
    assert_sandbox_refused(&[("DATABASE_URL", &db.url)], "1 paiement(s)");
}

#[tokio::test]
async fn production_refuses_to_keep_the_signing_key_in_the_database() {
    let db = TestDb::new(Backend::Sqlite).await;
    let live = format!("{}{}", "sk_live_", stripe_sandbox::random_id(24));
    let publishable = format!("{}{}", "pk_live_", stripe_sandbox::random_id(24));
    let base = [
        ("APP_ENV", "production"),
        ("STRIPE_SECRET_KEY", live.as_str()),
        ("STRIPE_PUBLISHABLE_KEY", publishable.as_str()),
        ("STRIPE_WEBHOOK_SECRET", "whsec_cli_secret_value"),
        ("DATABASE_URL", db.url.as_str()),
        ("RELAY_ADDR", "127.0.0.1:0"),
        ("RELAY_METRICS_ADDR", "127.0.0.1:0"),
    ];
    let out = relay(&["serve"], &base);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ENTITLEMENT_SIGNING_KEY") && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
    assert!(!stderr.contains(&live));
    // A key file readable by others is refused too.
    let file = std::env::temp_dir().join(format!("signing_{}.key", stripe_sandbox::random_id(8)));
    std::fs::write(&file, "A".repeat(43)).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let path = file.display().to_string();
    let mut vars = base.to_vec();
    vars.push(("ENTITLEMENT_SIGNING_KEY_FILE", &path));
    let out = relay(&["serve"], &vars);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("chmod 600"), "{stderr}");
    // With its key, production still needs the factures' seller, and lists what is missing.
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
    vars.push(("SELLER_NAME", "ERP BTP SAS"));
    let out = relay(&["serve"], &vars);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.trim().lines().count() == 1 && stderr.contains("SELLER_* incomplet"),
        "{stderr}"
    );
    assert!(
        stderr.contains("SELLER_SIREN manquant") && !stderr.contains("SELLER_NAME"),
        "{stderr}"
    );
    std::fs::remove_file(&file).unwrap();
}

#[tokio::test]
async fn a_new_sqlite_database_is_readable_by_its_owner_only() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new(Backend::Sqlite).await;
    let out = relay(&["migrate"], &[("DATABASE_URL", &db.url)]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let path = db.url.trim_start_matches("sqlite://");
    let mode = std::fs::metadata(path).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "{mode:o}");
}

/// `relay reconcile` used to skip the production checks: without `ENTITLEMENT_SIGNING_KEY` it
/// wrote a signing seed in clear into the database. Now it refuses, as `serve` does, and any
/// command refuses a production SQLite file that others may read.
#[tokio::test]
async fn reconcile_in_production_without_the_signing_key_refuses_and_writes_no_seed() {
    use std::os::unix::fs::PermissionsExt;
    let db = TestDb::new(Backend::Sqlite).await;
    let out = relay(&["migrate"], &[("DATABASE_URL", db.url.as_str())]);
    assert!(out.status.success());
    let live = format!("{}{}", "sk_live_", stripe_sandbox::random_id(24));
    let publishable = format!("{}{}", "pk_live_", stripe_sandbox::random_id(24));
    let vars = [
        ("APP_ENV", "production"),
        ("STRIPE_SECRET_KEY", live.as_str()),
        ("STRIPE_PUBLISHABLE_KEY", publishable.as_str()),
        ("STRIPE_WEBHOOK_SECRET", "whsec_cli_secret_value"),
        ("STRIPE_API_BASE", "http://127.0.0.1:9"),
        ("DATABASE_URL", db.url.as_str()),
    ];
    let out = relay(&["reconcile", "--since", "1h"], &vars);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("ENTITLEMENT_SIGNING_KEY") && stderr.trim().lines().count() == 1,
        "{stderr}"
    );
    assert!(!stderr.contains(&live));
    let check = relay::db::Db::connect(&db.url).await.unwrap();
    let seeds: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM signing_keys")
        .fetch_one(&check.pool)
        .await
        .unwrap();
    assert_eq!(seeds, 0, "no seed written in clear");
    check.pool.close().await;
    let path = db.url.trim_start_matches("sqlite://");
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o644)).unwrap();
    let out = relay(
        &["migrate"],
        &[("APP_ENV", "production"), ("DATABASE_URL", &db.url)],
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("chmod 600"), "{stderr}");
}

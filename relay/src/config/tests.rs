//! The settings read from a given environment: defaults, each variable's checks and errors.

use super::*;
use erp_btp_protocol::StripeMode;
use std::collections::HashMap;

pub(super) fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
    let mut env: HashMap<&str, &str> = HashMap::from([
        ("STRIPE_SECRET_KEY", "sk_test_abcdef123456"),
        ("STRIPE_PUBLISHABLE_KEY", "pk_test_abcdef123456"),
        ("STRIPE_WEBHOOK_SECRET", "whsec_abcdef123456"),
    ]);
    env.extend(vars.iter().copied());
    Settings::from_lookup(
        |k| env.get(k).filter(|v| !v.is_empty()).map(|v| v.to_string()),
        false,
    )
}

#[test]
fn defaults_follow_the_contract() {
    let s = settings(&[]).unwrap();
    assert_eq!(s.app_url.as_str(), "http://127.0.0.1:8080/");
    assert_eq!(s.addr.to_string(), "127.0.0.1:8080");
    assert_eq!(s.database_url.expose(), "sqlite://relay.db");
    let stripe = s.stripe.unwrap();
    assert_eq!(stripe.api_base, "https://api.stripe.com/");
    assert_eq!(stripe.mode, StripeMode::Test);
}

#[test]
fn renewal_settings_default_to_the_contract_and_refuse_nonsense() {
    let s = settings(&[]).unwrap();
    assert_eq!(
        (s.renewal.margin, s.renewal.grace),
        (2 * 86_400, 7 * 86_400)
    );
    assert_eq!(s.reconcile_every, None);
    let s = settings(&[
        ("RELAY_RENEWAL_MARGIN", "36h"),
        ("RELAY_GRACE_DAYS", "3"),
        ("RELAY_RECONCILE_EVERY", "15m"),
    ])
    .unwrap();
    assert_eq!((s.renewal.margin, s.renewal.grace), (36 * 3600, 3 * 86_400));
    assert_eq!(s.reconcile_every, Some(Duration::from_secs(900)));
    for (var, value) in [
        ("RELAY_GRACE_DAYS", "-1"),
        ("RELAY_RENEWAL_MARGIN", "2 jours"),
        ("RELAY_RECONCILE_EVERY", "souvent"),
    ] {
        let e = settings(&[(var, value)]).unwrap_err();
        assert_eq!(e.var, var, "{e}");
    }
}

#[test]
fn errors_never_contain_the_secret_value() {
    let e = settings(&[("STRIPE_SECRET_KEY", "xk_verysecret_value")]).unwrap_err();
    assert!(!e.to_string().contains("verysecret"));
    assert!(!format!("{:?}", Secret::new("sk_test_hidden")).contains("hidden"));
}

#[test]
fn sandbox_needs_no_stripe_variables() {
    let s = Settings::from_lookup(|_| None, true).unwrap();
    assert!(s.stripe.is_none());
}

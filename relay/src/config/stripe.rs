//! The Stripe variables: keys whose prefixes must agree on one mode (test or live), the webhook
//! secrets (a list while one is rolled), and the API base the sandbox or Stripe answers on.

use erp_btp_protocol::StripeMode;
use url::Url;

use super::{AppEnv, ConfigError, Secret, err};

#[derive(Debug, Clone)]
pub struct StripeSettings {
    pub secret_key: Secret,
    pub publishable_key: String,
    pub webhook_secrets: Vec<Secret>,
    /// Always ends with `/`: async-stripe appends `v1/…`.
    pub api_base: String,
    pub mode: StripeMode,
}

fn key_mode(value: &str, prefixes: &[(&str, StripeMode)]) -> Option<StripeMode> {
    prefixes
        .iter()
        .find(|(p, _)| value.starts_with(p) && value.len() > p.len() + 3)
        .map(|(_, m)| *m)
}

pub(super) fn stripe_settings(
    get: &impl Fn(&str) -> Option<String>,
    env: AppEnv,
    warnings: &mut Vec<String>,
) -> Result<StripeSettings, ConfigError> {
    let missing = |var| err(var, "est absente (requise sauf avec relay serve --sandbox)");
    let secret = get("STRIPE_SECRET_KEY").ok_or_else(|| missing("STRIPE_SECRET_KEY"))?;
    let mode = key_mode(
        secret.trim(),
        &[
            ("sk_test_", StripeMode::Test),
            ("rk_test_", StripeMode::Test),
            ("sk_live_", StripeMode::Live),
            ("rk_live_", StripeMode::Live),
        ],
    )
    .ok_or_else(|| {
        err(
            "STRIPE_SECRET_KEY",
            "doit commencer par sk_test_, sk_live_, rk_test_ ou rk_live_",
        )
    })?;
    if mode == StripeMode::Live && env != AppEnv::Production {
        return Err(err(
            "STRIPE_SECRET_KEY",
            "est une clé live : refusée tant que APP_ENV n'est pas production",
        ));
    }
    let publishable =
        get("STRIPE_PUBLISHABLE_KEY").ok_or_else(|| missing("STRIPE_PUBLISHABLE_KEY"))?;
    let pk_mode = key_mode(
        publishable.trim(),
        &[
            ("pk_test_", StripeMode::Test),
            ("pk_live_", StripeMode::Live),
        ],
    )
    .ok_or_else(|| {
        err(
            "STRIPE_PUBLISHABLE_KEY",
            "doit commencer par pk_test_ ou pk_live_",
        )
    })?;
    if pk_mode != mode {
        return Err(err(
            "STRIPE_PUBLISHABLE_KEY",
            format!(
                "est en mode {} alors que STRIPE_SECRET_KEY est en mode {}",
                mode_name(pk_mode),
                mode_name(mode)
            ),
        ));
    }
    if mode == StripeMode::Test && env == AppEnv::Production {
        warnings.push("clés Stripe de test alors que APP_ENV=production : aucun paiement réel ne sera encaissé".into());
    }
    let secrets_text =
        get("STRIPE_WEBHOOK_SECRET").ok_or_else(|| missing("STRIPE_WEBHOOK_SECRET"))?;
    let webhook_secrets: Vec<Secret> = secrets_text
        .split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(Secret::new)
        .collect();
    if webhook_secrets.is_empty()
        || webhook_secrets
            .iter()
            .any(|s| !s.expose().starts_with("whsec_") || s.expose().len() < 10)
    {
        return Err(err(
            "STRIPE_WEBHOOK_SECRET",
            "doit être un secret whsec_… (ou une liste séparée par des virgules pendant un renouvellement)",
        ));
    }
    let base_text = get("STRIPE_API_BASE").unwrap_or_else(|| "https://api.stripe.com".into());
    let base = Url::parse(base_text.trim())
        .ok()
        .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
        .ok_or_else(|| {
            err(
                "STRIPE_API_BASE",
                format!("« {base_text} » n'est pas une URL absolue http(s)://…"),
            )
        })?;
    Ok(StripeSettings {
        secret_key: Secret::new(secret.trim()),
        publishable_key: publishable.trim().to_owned(),
        webhook_secrets,
        api_base: format!("{}/", base.as_str().trim_end_matches('/')),
        mode,
    })
}

pub fn mode_name(mode: StripeMode) -> &'static str {
    match mode {
        StripeMode::Test => "test",
        StripeMode::Live => "live",
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::settings;
    use super::*;

    #[test]
    fn a_live_key_needs_production_and_a_test_key_in_production_is_a_warning() {
        let live = [
            ("STRIPE_SECRET_KEY", "sk_live_abcdef123456"),
            ("STRIPE_PUBLISHABLE_KEY", "pk_live_abcdef123456"),
        ];
        assert_eq!(settings(&live).unwrap_err().var, "STRIPE_SECRET_KEY");
        let mut prod = live.to_vec();
        prod.push(("APP_ENV", "production"));
        assert_eq!(
            settings(&prod).unwrap().stripe.unwrap().mode,
            StripeMode::Live
        );
        // The test key and http APP_URL; transmission is warned about on its own.
        assert_eq!(
            settings(&[
                ("APP_ENV", "production"),
                ("PA_MODE", "on"),
                ("PA_FLOW_API", "https://pa.example/f"),
                ("PA_DIRECTORY_API", "https://pa.example/d"),
                ("PA_TOKEN_URL", "https://pa.example/t"),
                ("PA_CLIENT_ID", "c"),
                ("PA_CLIENT_SECRET", "s")
            ])
            .unwrap()
            .warnings
            .len(),
            2
        );
    }

    #[test]
    fn mixed_modes_and_rolled_secrets() {
        assert_eq!(
            settings(&[("STRIPE_PUBLISHABLE_KEY", "pk_live_abcdef123456")])
                .unwrap_err()
                .var,
            "STRIPE_PUBLISHABLE_KEY"
        );
        let s = settings(&[(
            "STRIPE_WEBHOOK_SECRET",
            "whsec_old_123456, whsec_new_123456",
        )])
        .unwrap();
        assert_eq!(s.stripe.unwrap().webhook_secrets.len(), 2);
        assert_eq!(
            settings(&[("STRIPE_WEBHOOK_SECRET", "whsec_ok_123456,nope")])
                .unwrap_err()
                .var,
            "STRIPE_WEBHOOK_SECRET"
        );
    }
}

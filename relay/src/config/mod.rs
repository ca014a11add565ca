//! Typed settings read from the environment (the contract's table), validated once at start-up.
//! Every problem names its variable in one French line and never repeats a secret's value.

use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

use url::Url;

mod pa;
pub use pa::{PaApi, PaSettings};
mod renewal;
pub use renewal::parse_duration;
mod stripe;
mod values;
use stripe::stripe_settings;
pub use stripe::{StripeSettings, mode_name};
use values::{positive, signing_key};

/// A secret string whose `Debug` and `Display` never show it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppEnv {
    Development,
    Production,
}

#[derive(Debug, Clone)]
pub struct Settings {
    /// `None` until `serve --sandbox` fills it with the in-process sandbox's keys.
    pub stripe: Option<StripeSettings>,
    pub app_url: Url,
    pub database_url: Secret,
    pub addr: SocketAddr,
    /// `RELAY_METRICS_ADDR`: where `/metrics` is served, apart from the public address.
    pub metrics_addr: SocketAddr,
    pub env: AppEnv,
    pub plans_file: Option<PathBuf>,
    pub signing_key: Option<Secret>,
    pub log_json: bool,
    /// A live secret key is in the environment (even when `--sandbox` does not read it).
    pub live_key_configured: bool,
    /// `STRIPE_SECRET_KEY` when it is a `sk_test_` key: the one key `serve --sandbox`'s
    /// simulated Stripe accepts (else it generates one at start).
    pub sandbox_key: Option<Secret>,
    /// `RELAY_MAX_WAITS_PER_TOKEN`: long polls one token may hold at once.
    pub max_waits_per_token: usize,
    /// `RELAY_MAX_LONG_POLLS`: long polls the relay holds at once, all tokens together.
    pub max_long_polls: usize,
    /// `RELAY_SUCCESS_LOOKUPS_PER_SEC`: Stripe look-ups the public success page may make.
    pub success_lookups_per_sec: usize,
    /// `RELAY_HEADER_TIMEOUT_SECS`: a connection whose request headers take longer is closed.
    pub header_timeout: Duration,
    /// `RELAY_REQUEST_TIMEOUT_SECS`: a request not answered by then gets 408 (long polls
    /// excepted: they end by themselves within their own `wait`).
    pub request_timeout: Duration,
    /// `RELAY_RENEWAL_MARGIN` and `RELAY_GRACE_DAYS`.
    pub renewal: crate::core::renewal::RenewalPolicy,
    /// `RELAY_RECONCILE_EVERY`: how often `serve` reconciles with Stripe's event list (off when
    /// not set).
    pub reconcile_every: Option<Duration>,
    /// `PA_*` and `SELLER_VAT_ON_DEBITS`: transmission to the approved platform.
    pub pa: PaSettings,
    /// `RELAY_ADMIN`: the operator console at `/admin` (`on` unless `off`).
    pub console: bool,
    /// `SELLER_*`: who the factures are from; in development, gaps take a demonstration value.
    pub seller: Result<crate::factures::Seller, crate::factures::seller::SellerProblems>,
    /// Non-fatal remarks for the operator (e.g. a test key in production).
    pub warnings: Vec<String>,
}

/// A configuration problem: which variable, and what is wrong with it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub var: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "configuration invalide : {} {}", self.var, self.problem)
    }
}

impl std::error::Error for ConfigError {}

pub(crate) fn err(var: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        problem: problem.into(),
    }
}

impl Settings {
    /// Reads the process environment. With `sandbox`, the Stripe variables are not needed.
    pub fn from_env(sandbox: bool) -> Result<Self, ConfigError> {
        Self::from_lookup(
            |name| std::env::var(name).ok().filter(|v| !v.trim().is_empty()),
            sandbox,
        )
    }

    pub fn from_lookup(
        get: impl Fn(&str) -> Option<String>,
        sandbox: bool,
    ) -> Result<Self, ConfigError> {
        let env = match get("APP_ENV").as_deref().map(str::trim) {
            None | Some("development") => AppEnv::Development,
            Some("production") => AppEnv::Production,
            Some(other) => {
                return Err(err(
                    "APP_ENV",
                    format!("vaut « {other} » : valeurs possibles development ou production"),
                ));
            }
        };
        let mut warnings = Vec::new();
        let stripe = if sandbox {
            None
        } else {
            Some(stripe_settings(&get, env, &mut warnings)?)
        };
        let app_url_text = get("APP_URL").unwrap_or_else(|| "http://127.0.0.1:8080".into());
        let app_url = Url::parse(app_url_text.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                err(
                    "APP_URL",
                    format!("« {app_url_text} » n'est pas une URL absolue http(s)://…"),
                )
            })?;
        if env == AppEnv::Production && app_url.scheme() != "https" {
            warnings.push("APP_URL n'est pas en https alors que APP_ENV=production".into());
        }
        let database_url = get("DATABASE_URL").unwrap_or_else(|| "sqlite://relay.db".into());
        if !(database_url.starts_with("sqlite:")
            || database_url.starts_with("postgres://")
            || database_url.starts_with("postgresql://"))
        {
            return Err(err(
                "DATABASE_URL",
                "doit commencer par sqlite:// ou postgres://",
            ));
        }
        let addr_text = get("RELAY_ADDR").unwrap_or_else(|| "127.0.0.1:8080".into());
        let addr = addr_text.trim().parse().map_err(|_| {
            err(
                "RELAY_ADDR",
                format!("« {addr_text} » n'est pas une adresse IP:port (ex. 0.0.0.0:8080)"),
            )
        })?;
        let metrics_text = get("RELAY_METRICS_ADDR").unwrap_or_else(|| "127.0.0.1:9464".into());
        let metrics_addr = metrics_text.trim().parse().map_err(|_| {
            err(
                "RELAY_METRICS_ADDR",
                format!("« {metrics_text} » n'est pas une adresse IP:port (ex. 127.0.0.1:9464)"),
            )
        })?;
        let log_json = match get("LOG_FORMAT").as_deref() {
            None | Some("text") => false,
            Some("json") => true,
            Some(other) => {
                return Err(err(
                    "LOG_FORMAT",
                    format!("vaut « {other} » : valeurs possibles text ou json"),
                ));
            }
        };
        let max_waits_per_token = positive(&get, "RELAY_MAX_WAITS_PER_TOKEN", 4)?;
        let max_long_polls = positive(&get, "RELAY_MAX_LONG_POLLS", 10_000)?;
        let success_lookups_per_sec = positive(&get, "RELAY_SUCCESS_LOOKUPS_PER_SEC", 5)?;
        let seconds =
            |var, default| positive(&get, var, default).map(|s| Duration::from_secs(s as u64));
        let header_timeout = seconds("RELAY_HEADER_TIMEOUT_SECS", 30)?;
        let request_timeout = seconds("RELAY_REQUEST_TIMEOUT_SECS", 30)?;
        let renewal = renewal::renewal_policy(&get)?;
        let reconcile_every = match get("RELAY_RECONCILE_EVERY") {
            None => None,
            Some(text) if text.trim() == "off" => None,
            Some(text) => Some(
                renewal::parse_duration(&text)
                    .filter(|s| *s >= 1)
                    .map(|s| Duration::from_secs(s as u64))
                    .ok_or_else(|| {
                        err(
                            "RELAY_RECONCILE_EVERY",
                            format!(
                                "vaut « {text} » : une durée est attendue (ex. 15m, 1h) ou off"
                            ),
                        )
                    })?,
            ),
        };
        let pa = pa::pa_settings(&get, env, &mut warnings)?;
        let console = match get("RELAY_ADMIN").as_deref().map(str::trim) {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(err(
                    "RELAY_ADMIN",
                    format!("vaut « {other} » : valeurs possibles on ou off"),
                ));
            }
        };
        Ok(Settings {
            pa,
            console,
            stripe,
            app_url,
            database_url: Secret::new(database_url),
            addr,
            metrics_addr,
            env,
            plans_file: get("RELAY_PLANS_FILE").map(PathBuf::from),
            signing_key: signing_key(&get)?,
            log_json,
            live_key_configured: get("STRIPE_SECRET_KEY").is_some_and(|k| {
                let k = k.trim();
                k.starts_with("sk_live_") || k.starts_with("rk_live_")
            }),
            sandbox_key: get("STRIPE_SECRET_KEY")
                .map(|k| k.trim().to_owned())
                .filter(|k| k.starts_with("sk_test_"))
                .map(Secret::new),
            max_waits_per_token,
            max_long_polls,
            success_lookups_per_sec,
            header_timeout,
            request_timeout,
            renewal,
            reconcile_every,
            seller: crate::factures::Seller::from_lookup(&get, env == AppEnv::Development),
            warnings,
        })
    }

    /// What serving needs beyond reading the settings: in production the entitlement key
    /// comes from the environment (or its file), never generated and kept in the database; and
    /// the factures' seller is complete (in development, a demonstration seller fills gaps).
    pub fn check_for_serving(&self) -> Result<(), ConfigError> {
        if self.env == AppEnv::Production && self.signing_key.is_none() {
            return Err(err(
                "ENTITLEMENT_SIGNING_KEY",
                "est absente : en production, fournissez-la (ou ENTITLEMENT_SIGNING_KEY_FILE) ; 32 octets aléatoires en base64url",
            ));
        }
        if let Err(problems) = &self.seller {
            return Err(err(
                "SELLER_*",
                format!(
                    "incomplet, les factures ne peuvent pas être émises : {}",
                    problems.0.join(" ; ")
                ),
            ));
        }
        Ok(())
    }

    /// `APP_URL` joined with `path` (which starts with `/`), keeping any base path.
    pub fn public_url(&self, path: &str) -> String {
        format!("{}{path}", self.app_url.as_str().trim_end_matches('/'))
    }
}

#[cfg(test)]
mod tests;

//! The approved platform's settings: `PA_MODE` (`off` | `on`), the platform's Flow and Directory
//! services and OAuth2 client credentials (`PA_*`), and `SELLER_VAT_ON_DEBITS`. With `on`, every
//! `PA_*` is required; the client secret is a [`Secret`].

use url::Url;

use super::{AppEnv, ConfigError, Secret, err};

/// Where and how the relay reaches its platform.
#[derive(Debug, Clone)]
pub struct PaApi {
    /// `PA_FLOW_API`: the Flow Service's base URL (its routes start with `/v1/`).
    pub flow: Url,
    /// `PA_DIRECTORY_API`: the Directory Service's base URL.
    pub directory: Url,
    pub token_url: Url,
    pub client_id: String,
    pub client_secret: Secret,
}

#[derive(Debug, Clone)]
pub struct PaSettings {
    /// `Some` when `PA_MODE=on`.
    pub api: Option<PaApi>,
    /// `PA_MODE` was set explicitly (`serve --sandbox` turns it on unless it says `off`).
    pub mode_set: bool,
    /// `SELLER_VAT_ON_DEBITS=true`: no 212 is sent and every facture says so.
    pub vat_on_debits: bool,
}

pub fn pa_settings(
    get: &impl Fn(&str) -> Option<String>,
    env: AppEnv,
    warnings: &mut Vec<String>,
) -> Result<PaSettings, ConfigError> {
    let mode = get("PA_MODE");
    let on = match mode.as_deref().map(str::trim) {
        None | Some("off") => false,
        Some("on") => true,
        Some(other) => {
            return Err(err(
                "PA_MODE",
                format!("vaut « {other} » : valeurs possibles off ou on"),
            ));
        }
    };
    let vat_on_debits = match get("SELLER_VAT_ON_DEBITS").as_deref().map(str::trim) {
        None | Some("false") => false,
        Some("true") => true,
        Some(other) => {
            return Err(err(
                "SELLER_VAT_ON_DEBITS",
                format!("vaut « {other} » : valeurs possibles true ou false"),
            ));
        }
    };
    if !on && env == AppEnv::Production {
        warnings.push("PA_MODE=off en production : à partir du 1er septembre 2027, les factures doivent être transmises par une plateforme agréée (PA_MODE=on)".into());
    }
    let api = match on {
        false => None,
        true => Some(api(get)?),
    };
    Ok(PaSettings {
        api,
        mode_set: mode.is_some(),
        vat_on_debits,
    })
}

fn api(get: &impl Fn(&str) -> Option<String>) -> Result<PaApi, ConfigError> {
    let url = |var: &'static str| -> Result<Url, ConfigError> {
        let text = get(var).ok_or_else(|| err(var, "est absente alors que PA_MODE=on"))?;
        Url::parse(text.trim())
            .ok()
            .filter(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some())
            .ok_or_else(|| {
                err(
                    var,
                    format!("« {text} » n'est pas une URL absolue http(s)://…"),
                )
            })
    };
    let (flow, directory, token_url) = (
        url("PA_FLOW_API")?,
        url("PA_DIRECTORY_API")?,
        url("PA_TOKEN_URL")?,
    );
    let client_id = get("PA_CLIENT_ID")
        .ok_or_else(|| err("PA_CLIENT_ID", "est absente alors que PA_MODE=on"))?;
    let client_secret = get("PA_CLIENT_SECRET")
        .ok_or_else(|| err("PA_CLIENT_SECRET", "est absente alors que PA_MODE=on"))?;
    Ok(PaApi {
        flow,
        directory,
        token_url,
        client_id: client_id.trim().to_owned(),
        client_secret: Secret::new(client_secret.trim()),
    })
}

#[cfg(test)]
mod tests {
    use super::super::tests::settings;

    #[test]
    fn transmission_is_off_by_default_and_on_needs_every_pa_variable() {
        let s = settings(&[]).unwrap();
        assert!(s.pa.api.is_none() && !s.pa.vat_on_debits);
        let e = settings(&[("PA_MODE", "on")]).unwrap_err();
        assert_eq!(e.var, "PA_FLOW_API", "{e}");
        let full = [
            ("PA_MODE", "on"),
            ("PA_FLOW_API", "https://pa.example/flow-service"),
            ("PA_DIRECTORY_API", "https://pa.example/directory-service"),
            ("PA_TOKEN_URL", "https://pa.example/oauth2/token"),
            ("PA_CLIENT_ID", "relay"),
            ("PA_CLIENT_SECRET", "s3cr3t-value"),
        ];
        let s = settings(&full).unwrap();
        let api = s.pa.api.unwrap();
        assert_eq!(api.client_id, "relay");
        assert!(!format!("{api:?}").contains("s3cr3t"));
        for var in [
            "PA_DIRECTORY_API",
            "PA_TOKEN_URL",
            "PA_CLIENT_ID",
            "PA_CLIENT_SECRET",
        ] {
            let partial: Vec<_> = full.iter().copied().filter(|(k, _)| *k != var).collect();
            assert_eq!(settings(&partial).unwrap_err().var, var);
        }
        assert_eq!(settings(&[("PA_MODE", "oui")]).unwrap_err().var, "PA_MODE");
        assert_eq!(
            settings(&[("SELLER_VAT_ON_DEBITS", "yes")])
                .unwrap_err()
                .var,
            "SELLER_VAT_ON_DEBITS"
        );
        assert!(
            settings(&[("SELLER_VAT_ON_DEBITS", "true")])
                .unwrap()
                .pa
                .vat_on_debits
        );
    }

    #[test]
    fn production_without_transmission_is_warned_about() {
        let mut warnings = Vec::new();
        super::pa_settings(&|_| None, super::AppEnv::Production, &mut warnings).unwrap();
        assert!(
            warnings.iter().any(|w| w.contains("PA_MODE=off")),
            "{warnings:?}"
        );
        let mut warnings = Vec::new();
        super::pa_settings(&|_| None, super::AppEnv::Development, &mut warnings).unwrap();
        assert!(warnings.is_empty());
    }
}

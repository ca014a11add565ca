//! The login, kept in the OS secret store (Secret Service on Linux, through keyring-core) and
//! never in a file: the company's API token, and what editing the app's files must not change
//! (the relay's address and key, the company, the latest time and entitlement version seen). Tests install
//! keyring-core's own in-memory store.

use keyring_core::{Entry, Error};

use crate::error::DesktopError;

const SERVICE: &str = "fr.erp-btp.abonnement";

/// Installs the platform's secret store as keyring-core's default, if there is one. Without it,
/// every token operation answers `SecretStoreUnavailable` with the reason.
pub fn install_platform_store() -> Result<(), String> {
    #[cfg(target_os = "linux")]
    {
        let store = zbus_secret_service_keyring_store::Store::new().map_err(|e| e.to_string())?;
        keyring_core::set_default_store(store);
        Ok(())
    }
    #[cfg(not(target_os = "linux"))]
    {
        Err("aucun trousseau pris en charge sur ce système".into())
    }
}

/// The login of one installation (keyed by its data folder).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub token: String,
    /// The relay's entitlement public key, pinned at login.
    pub public_key: String,
    pub relay_url: String,
    /// The company the token belongs to: an entitlement for another one is not trusted.
    pub client_id: String,
    /// Latest time this app has seen (its clock or a signed `issued_at`): a clock set back
    /// before it does not give days back.
    pub max_seen: i64,
    /// Highest entitlement version this app has seen: an older, validly signed `session.json`
    /// restored from a backup is not trusted (0 when logged in by a version that kept none).
    pub max_version: i64,
}

const FIELDS: [&str; 5] = [
    "api-token",
    "relay-public-key",
    "relay-url",
    "client-id",
    "max-seen",
];

fn entry(account: &str, what: &str) -> Result<Entry, DesktopError> {
    Entry::new(SERVICE, &format!("{what}@{account}")).map_err(unavailable)
}

fn unavailable(e: Error) -> DesktopError {
    let detail = match e {
        Error::NoDefaultStore => "aucun service de trousseau trouvé".to_owned(),
        Error::NoStorageAccess(_) => "le trousseau est verrouillé ou inaccessible".to_owned(),
        other => other.to_string(),
    };
    DesktopError::SecretStoreUnavailable(detail)
}

fn set(account: &str, what: &str, value: &str) -> Result<(), DesktopError> {
    entry(account, what)?
        .set_password(value)
        .map_err(unavailable)
}

/// Saves the login; the token last, so that a login cut short is not taken as complete.
pub fn save_login(account: &str, login: &Login) -> Result<(), DesktopError> {
    set(account, "relay-public-key", &login.public_key)?;
    set(account, "relay-url", &login.relay_url)?;
    set(account, "client-id", &login.client_id)?;
    save_max_seen(account, login.max_seen)?;
    save_max_version(account, login.max_version)?;
    set(account, "api-token", &login.token)
}

pub fn save_max_version(account: &str, version: i64) -> Result<(), DesktopError> {
    set(account, MAX_VERSION, &version.to_string())
}

/// Kept beside the token, but not required: a login saved before it existed stays valid.
const MAX_VERSION: &str = "max-version";

pub fn save_max_seen(account: &str, max_seen: i64) -> Result<(), DesktopError> {
    set(account, "max-seen", &max_seen.to_string())
}

/// The saved login; `None` if any part is missing (never logged in, or logged in by an older
/// version that kept less here: it logs in again).
pub fn load_login(account: &str) -> Result<Option<Login>, DesktopError> {
    let read = |what| match entry(account, what)?.get_password() {
        Ok(value) => Ok(Some(value)),
        Err(Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    };
    let [token, public_key, relay_url, client_id, max_seen] = FIELDS.map(read);
    let max_version = read(MAX_VERSION)?.and_then(|v| v.parse().ok()).unwrap_or(0);
    Ok(
        match (token?, public_key?, relay_url?, client_id?, max_seen?) {
            (Some(token), Some(public_key), Some(relay_url), Some(client_id), Some(max_seen)) => {
                Some(Login {
                    token,
                    public_key,
                    relay_url,
                    client_id,
                    max_seen: max_seen.parse().unwrap_or(0),
                    max_version,
                })
            }
            _ => None,
        },
    )
}

pub fn delete_login(account: &str) -> Result<(), DesktopError> {
    for what in FIELDS.into_iter().chain([MAX_VERSION]) {
        match entry(account, what)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => {}
            Err(e) => return Err(unavailable(e)),
        }
    }
    Ok(())
}

//! The company's API token, kept in the OS secret store (Secret Service on Linux, through
//! keyring-core) and never in a file. Tests install keyring-core's own in-memory store.

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

/// The login of one installation (keyed by its data folder): the company's API token, and the
/// relay's entitlement public key pinned at login, which must not be changeable from the disk.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Login {
    pub token: String,
    pub public_key: String,
}

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

pub fn save_login(account: &str, login: &Login) -> Result<(), DesktopError> {
    entry(account, "relay-public-key")?
        .set_password(&login.public_key)
        .map_err(unavailable)?;
    entry(account, "api-token")?
        .set_password(&login.token)
        .map_err(unavailable)
}

pub fn load_login(account: &str) -> Result<Option<Login>, DesktopError> {
    let read = |what| match entry(account, what)?.get_password() {
        Ok(value) => Ok(Some(value)),
        Err(Error::NoEntry) => Ok(None),
        Err(e) => Err(unavailable(e)),
    };
    Ok(match (read("api-token")?, read("relay-public-key")?) {
        (Some(token), Some(public_key)) => Some(Login { token, public_key }),
        _ => None,
    })
}

pub fn delete_login(account: &str) -> Result<(), DesktopError> {
    for what in ["api-token", "relay-public-key"] {
        match entry(account, what)?.delete_credential() {
            Ok(()) | Err(Error::NoEntry) => {}
            Err(e) => return Err(unavailable(e)),
        }
    }
    Ok(())
}

//! What the app keeps on disk between runs (`session.json` in its data folder): the last
//! entitlement the relay signed, when it was fetched, and the plans. Never the token, nor what
//! an edit could turn to its advantage (relay address, company, latest time seen: those are in
//! the OS secret store). The entitlement is trusted only if it verifies with the key pinned
//! there and names the logged-in company, so editing the file cannot extend access.

use std::path::{Path, PathBuf};

use erp_btp_protocol::entitlement::{decode_public_key, verify};
use erp_btp_protocol::{EntitlementPayload, Plan};
use serde::{Deserialize, Serialize};

use crate::error::DesktopError;

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    pub entitlement: Option<String>,
    /// Unix seconds of the last successful read from the relay.
    pub last_sync: Option<i64>,
    pub plans: Vec<Plan>,
    /// Key of the last system notification shown (see `reminders`).
    #[serde(default)]
    pub notified: Option<String>,
}

fn path(dir: &Path) -> PathBuf {
    dir.join("session.json")
}

impl Session {
    /// The saved session; `None` when the app was never logged in here. An unreadable file is
    /// discarded and reported as tampered.
    pub fn load(dir: &Path) -> Result<Option<Session>, DesktopError> {
        let text = match std::fs::read_to_string(path(dir)) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(e.into()),
        };
        match serde_json::from_str(&text) {
            Ok(session) => Ok(Some(session)),
            Err(_) => {
                std::fs::remove_file(path(dir))?;
                Err(DesktopError::CacheTampered)
            }
        }
    }

    /// Writes the file atomically (temporary file, then rename).
    pub fn save(&self, dir: &Path) -> Result<(), DesktopError> {
        std::fs::create_dir_all(dir)?;
        let tmp = dir.join("session.json.tmp");
        std::fs::write(&tmp, serde_json::to_vec_pretty(self).expect("serialisable"))?;
        std::fs::rename(tmp, path(dir))?;
        Ok(())
    }

    pub fn delete(dir: &Path) -> Result<(), DesktopError> {
        match std::fs::remove_file(path(dir)) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e.into()),
            _ => Ok(()),
        }
    }

    /// The cached entitlement, verified with the pinned key and naming `client_id`.
    pub fn verified(
        &self,
        public_key: &str,
        client_id: &str,
    ) -> Result<EntitlementPayload, DesktopError> {
        let token = self
            .entitlement
            .as_deref()
            .ok_or(DesktopError::RelayUnreachable)?;
        trusted(public_key, Some(client_id), token).ok_or(DesktopError::CacheTampered)
    }
}

/// What `entitlement` says, if it verifies with `public_key` and is about `client_id` (when
/// known: at login, the first entitlement names the company). One check for the relay's
/// answers and for the cache.
pub fn trusted(
    public_key: &str,
    client_id: Option<&str>,
    entitlement: &str,
) -> Option<EntitlementPayload> {
    let key = decode_public_key(public_key).ok()?;
    verify(&key, entitlement)
        .ok()
        .map(|e| e.payload)
        .filter(|p| client_id.is_none_or(|id| p.client_id == id))
}

/// The time to judge expiry by: the clock, unless it is behind a time already seen.
pub fn effective_now(clock: i64, max_seen: i64, issued_at: Option<i64>) -> i64 {
    clock.max(max_seen).max(issued_at.unwrap_or(i64::MIN))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_clock_set_back_does_not_go_back_in_time() {
        assert_eq!(effective_now(1_000, 5_000, None), 5_000);
        assert_eq!(effective_now(9_000, 5_000, Some(6_000)), 9_000);
        assert_eq!(
            effective_now(1_000, 0, Some(7_000)),
            7_000,
            "a signed issued_at is a floor too"
        );
    }

    #[test]
    fn an_unreadable_file_is_discarded_as_tampered() {
        let dir = std::env::temp_dir().join(format!("erp-btp-cache-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(path(&dir), "{not json").unwrap();
        assert!(matches!(
            Session::load(&dir),
            Err(DesktopError::CacheTampered)
        ));
        assert!(!path(&dir).exists());
        assert_eq!(Session::load(&dir).unwrap(), None);
        let session = Session {
            last_sync: Some(5),
            ..Default::default()
        };
        session.save(&dir).unwrap();
        assert_eq!(Session::load(&dir).unwrap(), Some(session));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}

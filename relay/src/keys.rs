//! The relay's Ed25519 key, which signs entitlements, and the short-lived renew links derived
//! from it. The seed comes from `ENTITLEMENT_SIGNING_KEY` (base64url, 32 bytes) or, failing that,
//! is generated once and kept in the database so that every instance signs with the same key.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::SigningKey;
use std::collections::HashMap;
use std::sync::Mutex;

use erp_btp_protocol::EntitlementPayload;
use erp_btp_protocol::entitlement::{encode_public_key, key_id, sign};
use hmac::{Hmac, Mac};
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use crate::config::Secret;
use crate::core::Timestamp;
use crate::db::Db;
use crate::domain::ClientId;

/// How long a renew link stays valid.
pub const RENEW_LINK_TTL_SECS: i64 = 15 * 60;

/// How long a renew link an operator sends from the console stays valid: long enough for an
/// e-mail read on a building site the next days, short enough that a forwarded old mail is dead.
pub const SENT_RENEW_LINK_TTL_SECS: i64 = 72 * 3600;

pub struct Keys {
    pub signing: SigningKey,
    pub key_id: String,
    pub public_key: String,
    link_key: [u8; 32],
    /// Seals the secrets the relay reads back (`sealed`), apart from the link key.
    sealing_key: [u8; 32],
    /// Last entitlement signed per client: a payload is the same for a whole second, and a
    /// signature costs more than the rest of a status read.
    signed: Mutex<HashMap<String, (EntitlementPayload, String)>>,
}

impl Keys {
    pub fn from_seed(seed: [u8; 32]) -> Self {
        let signing = SigningKey::from_bytes(&seed);
        let verifying = signing.verifying_key();
        let link_key: [u8; 32] = Sha256::new()
            .chain_update(b"erp-btp renew-link v1")
            .chain_update(seed)
            .finalize()
            .into();
        let sealing_key: [u8; 32] = Sha256::new()
            .chain_update(b"erp-btp sealing v1")
            .chain_update(seed)
            .finalize()
            .into();
        Self {
            key_id: key_id(&verifying),
            public_key: encode_public_key(&verifying),
            signing,
            link_key,
            sealing_key,
            signed: Mutex::default(),
        }
    }

    /// `secret` sealed for the database (an operator's TOTP secret).
    pub fn seal(&self, secret: &[u8]) -> String {
        crate::sealed::seal(&self.sealing_key, secret)
    }

    /// What [`Self::seal`] sealed; `None` if it was changed or sealed by another signing key.
    pub fn open(&self, sealed: &str) -> Option<Vec<u8>> {
        crate::sealed::open(&self.sealing_key, sealed)
    }

    /// Signs `payload`, reusing the signature when the same client asks again within the second.
    pub fn sign_cached(&self, payload: EntitlementPayload) -> String {
        if let Some((cached, token)) = self.signed.lock().unwrap().get(&payload.client_id) {
            if *cached == payload {
                return token.clone();
            }
        }
        let token = sign(&self.signing, &payload);
        let mut signed = self.signed.lock().unwrap();
        if signed.len() >= 100_000 {
            signed.clear();
        }
        signed.insert(payload.client_id.clone(), (payload, token.clone()));
        token
    }

    pub async fn load(configured: Option<&Secret>, db: &Db) -> Result<Self, String> {
        if let Some(secret) = configured {
            let bytes = URL_SAFE_NO_PAD
                .decode(secret.expose().trim())
                .ok()
                .and_then(|b| <[u8; 32]>::try_from(b).ok());
            return bytes.map(Self::from_seed).ok_or_else(|| {
                "ENTITLEMENT_SIGNING_KEY doit être 32 octets en base64url sans remplissage"
                    .to_owned()
            });
        }
        let read = || async {
            sqlx::query("SELECT seed FROM signing_keys ORDER BY created_at, key_id LIMIT 1")
                .fetch_optional(&db.pool)
                .await
                .map(|row| {
                    row.and_then(|r| URL_SAFE_NO_PAD.decode(r.get::<String, _>(0)).ok())
                        .and_then(|b| <[u8; 32]>::try_from(b).ok())
                })
        };
        if let Some(seed) = read().await.map_err(|e| e.to_string())? {
            return Ok(Self::from_seed(seed));
        }
        let mut seed = [0u8; 32];
        rand::thread_rng().fill_bytes(&mut seed);
        let keys = Self::from_seed(seed);
        // Two instances starting together both insert; the first row wins for both.
        sqlx::query("INSERT INTO signing_keys (key_id, seed, created_at) VALUES ($1, $2, $3) ON CONFLICT (key_id) DO NOTHING")
            .bind(&keys.key_id)
            .bind(URL_SAFE_NO_PAD.encode(seed))
            .bind(crate::clock::system_now())
            .execute(&db.pool)
            .await
            .map_err(|e| e.to_string())?;
        let seed = read()
            .await
            .map_err(|e| e.to_string())?
            .ok_or("signing key vanished")?;
        Ok(Self::from_seed(seed))
    }

    fn link_mac(&self, message: &str) -> Hmac<Sha256> {
        let mut mac = Hmac::<Sha256>::new_from_slice(&self.link_key).expect("any key length");
        mac.update(message.as_bytes());
        mac
    }

    /// `<client>.<expiry>.<hmac of message(client, expiry)>`.
    fn link_token(
        &self,
        client: &ClientId,
        expires: i64,
        message: impl Fn(&ClientId, i64) -> String,
    ) -> String {
        let mac = hex::encode(
            self.link_mac(&message(client, expires))
                .finalize()
                .into_bytes(),
        );
        format!("{client}.{expires}.{mac}")
    }

    /// The client of a valid token made by [`Self::link_token`], unexpired and no longer-lived
    /// than `ttl`.
    fn check_link_token(
        &self,
        token: &str,
        now: Timestamp,
        ttl: i64,
        message: impl Fn(&ClientId, i64) -> String,
    ) -> Option<ClientId> {
        let mut parts = token.splitn(3, '.');
        let client = ClientId::parse(parts.next()?)?;
        let expires: i64 = parts.next()?.parse().ok()?;
        let mac = hex::decode(parts.next()?).ok()?;
        if expires < now.unix() || expires > now.plus(ttl).unix() {
            return None;
        }
        self.link_mac(&message(&client, expires))
            .verify_slice(&mac)
            .ok()?;
        Some(client)
    }

    /// Opens the renewal page for one client until its expiry.
    pub fn renew_token(&self, client: &ClientId, now: Timestamp) -> String {
        self.link_token(client, now.plus(RENEW_LINK_TTL_SECS).unix(), renew_message)
    }

    /// The renew link an operator sends to a company: the same link, valid
    /// [`SENT_RENEW_LINK_TTL_SECS`]; with its expiry.
    pub fn sent_renew_token(&self, client: &ClientId, now: Timestamp) -> (String, Timestamp) {
        let expires = now.plus(SENT_RENEW_LINK_TTL_SECS);
        (
            self.link_token(client, expires.unix(), renew_message),
            expires,
        )
    }

    /// The client of a valid, unexpired renew token (the desktop's or an operator's).
    pub fn check_renew_token(&self, token: &str, now: Timestamp) -> Option<ClientId> {
        self.check_link_token(token, now, SENT_RENEW_LINK_TTL_SECS, renew_message)
    }

    /// Opens one facture's PDF or XML, for the system browser, until its expiry.
    pub fn facture_token(&self, client: &ClientId, number: &str, now: Timestamp) -> String {
        self.link_token(client, now.plus(FACTURE_LINK_TTL_SECS).unix(), |c, e| {
            facture_message(number, c, e)
        })
    }

    /// The client of a valid, unexpired link to facture `number`.
    pub fn check_facture_token(
        &self,
        token: &str,
        number: &str,
        now: Timestamp,
    ) -> Option<ClientId> {
        self.check_link_token(token, now, FACTURE_LINK_TTL_SECS, |c, e| {
            facture_message(number, c, e)
        })
    }
}

/// How long a facture link opens it: enough to click it from the desktop app's list.
pub const FACTURE_LINK_TTL_SECS: i64 = 15 * 60;

fn renew_message(client: &ClientId, expires: i64) -> String {
    format!("renew-subscription:{client}:{expires}")
}

fn facture_message(number: &str, client: &ClientId, expires: i64) -> String {
    format!("facture:{number}:{client}:{expires}")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(unix: i64) -> Timestamp {
        Timestamp::from_unix(unix)
    }

    #[test]
    fn a_renew_token_opens_for_its_client_until_it_expires() {
        let keys = Keys::from_seed([7; 32]);
        let client = ClientId::parse("39").unwrap();
        let token = keys.renew_token(&client, at(1000));
        assert_eq!(
            keys.check_renew_token(&token, at(1000)),
            Some(client.clone())
        );
        assert_eq!(
            keys.check_renew_token(&token, at(1000 + RENEW_LINK_TTL_SECS)),
            Some(client)
        );
        assert_eq!(
            keys.check_renew_token(&token, at(1001 + RENEW_LINK_TTL_SECS)),
            None
        );
    }

    #[test]
    fn a_renew_link_sent_by_an_operator_opens_for_three_days() {
        let keys = Keys::from_seed([7; 32]);
        let client = ClientId::parse("39").unwrap();
        let (token, expires) = keys.sent_renew_token(&client, at(1000));
        assert_eq!(expires, at(1000 + 72 * 3600));
        assert_eq!(
            keys.check_renew_token(&token, expires),
            Some(client.clone())
        );
        assert_eq!(keys.check_renew_token(&token, expires.plus(1)), None);
        // A token claiming a later expiry than any link gets is refused even with a good MAC.
        let far = keys.link_token(&client, 1000 + 73 * 3600, renew_message);
        assert_eq!(keys.check_renew_token(&far, at(1000)), None);
    }

    #[test]
    fn a_forged_or_foreign_token_is_refused() {
        let keys = Keys::from_seed([7; 32]);
        let token = keys.renew_token(&ClientId::parse("39").unwrap(), at(1000));
        assert_eq!(
            keys.check_renew_token(&token.replacen("39", "40", 1), at(1000)),
            None
        );
        assert_eq!(
            Keys::from_seed([8; 32]).check_renew_token(&token, at(1000)),
            None
        );
        for bad in ["", "39", "39.1", "39.x.00", "..", "39.2000.zz"] {
            assert_eq!(keys.check_renew_token(bad, at(1000)), None, "{bad}");
        }
    }

    #[test]
    fn a_facture_link_opens_that_facture_only_and_is_no_renew_link() {
        let keys = Keys::from_seed([7; 32]);
        let client = ClientId::parse("39").unwrap();
        let link = keys.facture_token(&client, "FA-2026-000001", at(1000));
        assert_eq!(
            keys.check_facture_token(&link, "FA-2026-000001", at(1000)),
            Some(client)
        );
        assert_eq!(
            keys.check_facture_token(&link, "FA-2026-000002", at(1000)),
            None
        );
        assert_eq!(keys.check_renew_token(&link, at(1000)), None);
        let late = 1001 + FACTURE_LINK_TTL_SECS;
        assert_eq!(
            keys.check_facture_token(&link, "FA-2026-000001", at(late)),
            None
        );
    }
}

//! Client companies and their API tokens. A token is 256 random bits shown once; only its
//! SHA-256 is stored (a high-entropy token needs no slow hash), so a database leak reveals none.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use rand::RngCore;
use sha2::{Digest, Sha256};
use sqlx::Row;

use super::Db;
use crate::domain::ClientId;
use crate::siren::Siren;

pub const TOKEN_PREFIX: &str = "erpbtp_";

#[derive(Debug, Clone)]
pub struct ClientRecord {
    pub id: ClientId,
    pub name: String,
    pub siren: Option<String>,
    pub created_at: i64,
    pub revoked_at: Option<i64>,
}

/// A company as its factures name it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Company {
    pub name: String,
    pub siren: Option<String>,
}

/// What [`Db::claim_siren`] found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SirenClaim {
    Set,
    /// The same SIREN was already on file: nothing to do.
    AlreadyThis,
    /// Another SIREN is on file (this one).
    AlreadyOther(String),
}

#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("le client {0} existe déjà")]
    Exists(ClientId),
    #[error("aucun client {0}")]
    Unknown(ClientId),
    #[error(transparent)]
    Db(#[from] sqlx::Error),
}

pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    rand::thread_rng().fill_bytes(&mut bytes);
    format!("{TOKEN_PREFIX}{}", URL_SAFE_NO_PAD.encode(bytes))
}

pub fn hash_token(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

impl Db {
    /// Registers a client with an empty subscription; returns its new token.
    pub async fn add_client(&self, id: &ClientId, name: &str) -> Result<String, ClientError> {
        let token = new_token();
        let now = crate::clock::system_now();
        let mut tx = self.pool.begin().await?;
        let inserted = sqlx::query(
            "INSERT INTO clients (id, name, token_hash, created_at) VALUES ($1, $2, $3, $4) ON CONFLICT (id) DO NOTHING",
        )
        .bind(id.as_str())
        .bind(name)
        .bind(hash_token(&token))
        .bind(now)
        .execute(&mut *tx)
        .await?;
        if inserted.rows_affected() == 0 {
            return Err(ClientError::Exists(id.clone()));
        }
        sqlx::query(
            "INSERT INTO subscriptions (client_id, version, updated_at) VALUES ($1, 0, $2)",
        )
        .bind(id.as_str())
        .bind(now)
        .execute(&mut *tx)
        .await?;
        tx.commit().await?;
        Ok(token)
    }

    /// Gives an existing client a new token (the old one stops working) and lifts a revocation.
    pub async fn reissue_token(&self, id: &ClientId) -> Result<String, ClientError> {
        let token = new_token();
        let done =
            sqlx::query("UPDATE clients SET token_hash = $2, revoked_at = NULL WHERE id = $1")
                .bind(id.as_str())
                .bind(hash_token(&token))
                .execute(&self.pool)
                .await?;
        self.status_cache.forget(id.as_str());
        if done.rows_affected() == 0 {
            return Err(ClientError::Unknown(id.clone()));
        }
        Ok(token)
    }

    pub async fn list_clients(&self) -> Result<Vec<ClientRecord>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, name, created_at, revoked_at, siren FROM clients ORDER BY created_at, id",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| ClientRecord {
                id: ClientId::parse(r.get(0))
                    .unwrap_or_else(|| ClientId::parse("invalid").unwrap()),
                name: r.get(1),
                created_at: r.get(2),
                revoked_at: r.get(3),
                siren: r.get(4),
            })
            .collect())
    }

    pub async fn revoke_client(&self, id: &ClientId) -> Result<(), ClientError> {
        let done =
            sqlx::query("UPDATE clients SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL")
                .bind(id.as_str())
                .bind(crate::clock::system_now())
                .execute(&self.pool)
                .await?;
        self.status_cache.forget(id.as_str());
        if done.rows_affected() == 0 && !self.client_exists(id).await? {
            return Err(ClientError::Unknown(id.clone()));
        }
        Ok(())
    }

    /// The client owning `token`, if the token exists and is not revoked.
    pub async fn client_for_token(&self, token: &str) -> Result<Option<ClientId>, sqlx::Error> {
        let row =
            sqlx::query("SELECT id FROM clients WHERE token_hash = $1 AND revoked_at IS NULL")
                .bind(hash_token(token))
                .fetch_optional(&self.pool)
                .await?;
        Ok(row.and_then(|r| ClientId::parse(r.get(0))))
    }

    pub async fn client_exists(&self, id: &ClientId) -> Result<bool, sqlx::Error> {
        let row = sqlx::query("SELECT 1 FROM clients WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Registered and not revoked.
    pub async fn client_is_active(&self, id: &ClientId) -> Result<bool, sqlx::Error> {
        let row = sqlx::query("SELECT 1 FROM clients WHERE id = $1 AND revoked_at IS NULL")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.is_some())
    }

    /// Renames a company: its later factures carry the new name.
    pub async fn rename_client(&self, id: &ClientId, name: &str) -> Result<(), ClientError> {
        let done = sqlx::query("UPDATE clients SET name = $2 WHERE id = $1")
            .bind(id.as_str())
            .bind(name)
            .execute(&self.pool)
            .await?;
        match done.rows_affected() {
            0 => Err(ClientError::Unknown(id.clone())),
            _ => Ok(()),
        }
    }

    /// Records the company's SIREN (already checked).
    pub async fn set_siren(&self, id: &ClientId, siren: &Siren) -> Result<(), ClientError> {
        let done = sqlx::query(
            "UPDATE clients SET siren = $2, addressing_id = NULL, addressing_checked_at = NULL
             WHERE id = $1",
        )
        .bind(id.as_str())
        .bind(siren.as_str())
        .execute(&self.pool)
        .await?;
        match done.rows_affected() {
            0 => Err(ClientError::Unknown(id.clone())),
            _ => Ok(()),
        }
    }

    /// Records `siren` for a company that has none on file. Once on file, a SIREN changes only
    /// through the operator ([`Self::set_siren`]): a token holder must not move the company's
    /// factures to another legal entity.
    pub async fn claim_siren(
        &self,
        id: &ClientId,
        siren: &Siren,
    ) -> Result<SirenClaim, ClientError> {
        let done = sqlx::query(
            "UPDATE clients SET siren = $2, addressing_id = NULL, addressing_checked_at = NULL
             WHERE id = $1 AND siren IS NULL",
        )
        .bind(id.as_str())
        .bind(siren.as_str())
        .execute(&self.pool)
        .await?;
        if done.rows_affected() == 1 {
            return Ok(SirenClaim::Set);
        }
        match self.company(id).await? {
            None => Err(ClientError::Unknown(id.clone())),
            Some(c) if c.siren.as_deref() == Some(siren.as_str()) => Ok(SirenClaim::AlreadyThis),
            Some(c) => Ok(SirenClaim::AlreadyOther(c.siren.unwrap_or_default())),
        }
    }

    /// The company's name and SIREN (`None` for an unknown id).
    pub async fn company(&self, id: &ClientId) -> Result<Option<Company>, sqlx::Error> {
        let row = sqlx::query("SELECT name, siren FROM clients WHERE id = $1")
            .bind(id.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| Company {
            name: r.get(0),
            siren: r.get(1),
        }))
    }
}

impl Db {
    /// Companies whose SIREN's electronic address (BT-49) was never looked up, `limit` at most.
    pub async fn companies_to_address(
        &self,
        limit: i64,
    ) -> Result<Vec<(String, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT id, siren FROM clients WHERE siren IS NOT NULL
                AND addressing_checked_at IS NULL AND revoked_at IS NULL ORDER BY id LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Keeps the address the Directory gave for `siren` (none: the SIREN stands for it), unless
    /// the company's SIREN changed meanwhile.
    pub async fn set_addressing(
        &self,
        id: &str,
        siren: &str,
        address: Option<&str>,
        at: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "UPDATE clients SET addressing_id = $3, addressing_checked_at = $4
             WHERE id = $1 AND siren = $2",
        )
        .bind(id)
        .bind(siren)
        .bind(address)
        .bind(at)
        .execute(&self.pool)
        .await
        .map(|_| ())
    }
}

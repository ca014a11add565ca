//! The console's operators, their sessions, failed logins and audit trail. A session token is
//! 256 random bits in the operator's cookie; only its SHA-256 is stored, as for API tokens.

use sqlx::Row;

use super::Db;
use super::clients::hash_token;
use crate::core::Timestamp;
use crate::core::console::{FAILURE_WINDOW_SECS, Role};

#[derive(Debug, Clone)]
pub struct Operator {
    pub email: String,
    pub role: Role,
    pub password_hash: String,
    pub created_at: i64,
    /// The TOTP secret, sealed (`Keys::seal`), when the second factor is on.
    pub totp_sealed: Option<String>,
    /// The step of the last TOTP code taken.
    pub totp_last_step: Option<i64>,
}

/// One line of the audit trail.
#[derive(Debug, Clone)]
pub struct AuditLine {
    pub at: i64,
    pub email: String,
    pub action: String,
    pub detail: String,
    pub address: String,
}

/// The columns [`operator`] reads, in every query that returns an operator.
const OPERATOR: &str =
    "o.email, o.role, o.password_hash, o.created_at, o.totp_sealed, o.totp_last_step";

fn operator(row: &sqlx::any::AnyRow) -> Result<Operator, sqlx::Error> {
    let role: String = row.try_get("role")?;
    Ok(Operator {
        email: row.try_get("email")?,
        role: Role::parse(&role).unwrap_or(Role::Lecture),
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
        totp_sealed: row.try_get("totp_sealed")?,
        totp_last_step: row.try_get("totp_last_step")?,
    })
}

/// Ends every session of `email`, inside the caller's transaction.
pub(super) async fn end_sessions(
    tx: &mut sqlx::Transaction<'_, sqlx::Any>,
    email: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query("DELETE FROM operator_sessions WHERE email = $1")
        .bind(email)
        .execute(&mut **tx)
        .await?;
    Ok(())
}

impl Db {
    /// Adds an operator; false when the e-mail is already one.
    pub async fn add_operator(
        &self,
        email: &str,
        role: Role,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "INSERT INTO operators (email, role, password_hash, created_at, updated_at)
             VALUES ($1, $2, $3, $4, $4) ON CONFLICT (email) DO NOTHING",
        )
        .bind(email)
        .bind(role.as_str())
        .bind(password_hash)
        .bind(now.unix())
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }

    pub async fn operators(&self) -> Result<Vec<Operator>, sqlx::Error> {
        let sql = format!("SELECT {OPERATOR} FROM operators o ORDER BY o.email");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(&self.pool)
            .await?;
        rows.iter().map(operator).collect()
    }

    pub async fn operator(&self, email: &str) -> Result<Option<Operator>, sqlx::Error> {
        let sql = format!("SELECT {OPERATOR} FROM operators o WHERE o.email = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(email)
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(operator).transpose()
    }

    /// Removes an operator and ends their sessions; false when there was none.
    pub async fn remove_operator(&self, email: &str) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        end_sessions(&mut tx, email).await?;
        let done = sqlx::query("DELETE FROM operators WHERE email = $1")
            .bind(email)
            .execute(&mut *tx)
            .await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Sets a new password and ends every session of the operator; false when there is none.
    pub async fn set_operator_password(
        &self,
        email: &str,
        password_hash: &str,
        now: Timestamp,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE operators SET password_hash = $2, updated_at = $3 WHERE email = $1",
        )
        .bind(email)
        .bind(password_hash)
        .bind(now.unix())
        .execute(&mut *tx)
        .await?;
        end_sessions(&mut tx, email).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Opens a session for `email` with the token given (its hash is stored).
    pub async fn open_operator_session(
        &self,
        token: &str,
        email: &str,
        address: &str,
        now: Timestamp,
        expires_at: i64,
    ) -> Result<(), sqlx::Error> {
        // Expired sessions go with each login: there are a few a day.
        sqlx::query("DELETE FROM operator_sessions WHERE expires_at <= $1")
            .bind(now.unix())
            .execute(&self.pool)
            .await?;
        sqlx::query(
            "INSERT INTO operator_sessions (token_hash, email, address, created_at, expires_at)
             VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(hash_token(token))
        .bind(email)
        .bind(address)
        .bind(now.unix())
        .bind(expires_at)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The operator a live session token belongs to.
    pub async fn operator_of_session(
        &self,
        token: &str,
        now: Timestamp,
    ) -> Result<Option<Operator>, sqlx::Error> {
        let sql = format!(
            "SELECT {OPERATOR} FROM operator_sessions s JOIN operators o ON o.email = s.email
             WHERE s.token_hash = $1 AND s.expires_at > $2"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(hash_token(token))
            .bind(now.unix())
            .fetch_optional(&self.pool)
            .await?;
        row.as_ref().map(operator).transpose()
    }

    pub async fn close_operator_session(&self, token: &str) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM operator_sessions WHERE token_hash = $1")
            .bind(hash_token(token))
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    /// Failed logins within the window on `email` and from `address`.
    pub async fn login_failures(
        &self,
        email: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<(i64, i64), sqlx::Error> {
        let since = now.unix() - FAILURE_WINDOW_SECS;
        let row = sqlx::query(
            "SELECT
               (SELECT COUNT(*) FROM operator_login_failures WHERE email = $1 AND at > $3),
               (SELECT COUNT(*) FROM operator_login_failures WHERE address = $2 AND at > $3)",
        )
        .bind(email)
        .bind(address)
        .bind(since)
        .fetch_one(&self.pool)
        .await?;
        Ok((row.try_get(0)?, row.try_get(1)?))
    }

    pub async fn record_login_failure(
        &self,
        email: &str,
        address: &str,
        now: Timestamp,
    ) -> Result<(), sqlx::Error> {
        sqlx::query("DELETE FROM operator_login_failures WHERE at <= $1")
            .bind(now.unix() - FAILURE_WINDOW_SECS)
            .execute(&self.pool)
            .await?;
        sqlx::query("INSERT INTO operator_login_failures (email, address, at) VALUES ($1, $2, $3)")
            .bind(email)
            .bind(address)
            .bind(now.unix())
            .execute(&self.pool)
            .await?;
        Ok(())
    }

    pub async fn audit(&self, line: &AuditLine) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO operator_audit (at, email, action, detail, address) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(line.at)
        .bind(&line.email)
        .bind(&line.action)
        .bind(&line.detail)
        .bind(&line.address)
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The latest `limit` lines of the audit trail, newest first.
    pub async fn audit_lines(&self, limit: i64) -> Result<Vec<AuditLine>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT at, email, action, detail, address FROM operator_audit ORDER BY at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        rows.iter()
            .map(|r| {
                Ok(AuditLine {
                    at: r.try_get("at")?,
                    email: r.try_get("email")?,
                    action: r.try_get("action")?,
                    detail: r.try_get("detail")?,
                    address: r.try_get("address")?,
                })
            })
            .collect()
    }
}

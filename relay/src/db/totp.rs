//! An operator's second factor in the database: the sealed TOTP secret, turned on or off (which
//! ends the operator's sessions, as a new password does), and the step of the last code taken,
//! moved forward in one statement so that two instances never both take the same code.

use super::Db;
use crate::core::Timestamp;

impl Db {
    /// Stores `sealed` as `email`'s TOTP secret (`None` turns the second factor off) and ends the
    /// operator's sessions; false when there is no such operator.
    pub async fn set_operator_totp(
        &self,
        email: &str,
        sealed: Option<&str>,
        now: Timestamp,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let done = sqlx::query(
            "UPDATE operators SET totp_sealed = $2, totp_last_step = NULL, updated_at = $3
             WHERE email = $1",
        )
        .bind(email)
        .bind(sealed)
        .bind(now.unix())
        .execute(&mut *tx)
        .await?;
        super::operators::end_sessions(&mut tx, email).await?;
        tx.commit().await?;
        Ok(done.rows_affected() == 1)
    }

    /// Records that `email` used the code of `step`; false when that step or a later one was
    /// already used (a code replayed, or taken by another instance in the meantime).
    pub async fn use_totp_step(&self, email: &str, step: i64) -> Result<bool, sqlx::Error> {
        let done = sqlx::query(
            "UPDATE operators SET totp_last_step = $2
             WHERE email = $1 AND (totp_last_step IS NULL OR totp_last_step < $2)",
        )
        .bind(email)
        .bind(step)
        .execute(&self.pool)
        .await?;
        Ok(done.rows_affected() == 1)
    }
}

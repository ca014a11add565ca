//! `relay pa resend`: a document sent again. A facture rejected by a platform (213) counts as
//! never issued: its number stays in the series, never reused (CGI art. 242 nonies A, I, 7° — a
//! unique number — and a platform refuses a number it has seen as `DOUBLON`), and a new facture,
//! numbered after the current year's last under the numbers' lock, bills the same payment with
//! the company's identity as it is now. The rejected one gives its payment up (`source`
//! prefixed `rejected:`), so that access, refunds and avoirs follow the replacement, and its
//! unsent 212 is voided. Any other document is queued again as it is.

use sqlx::Row;

use super::transmissions::series_code;
use super::{Backend, Db};
use crate::core::Timestamp;
use crate::core::numbering::{Series, paris_year};

/// What `relay pa resend` did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Resent {
    /// Never queued for the platform: nothing to send again.
    Unknown,
    /// Queued again as it is.
    Queued,
    /// Rejected, replaced by the facture with this key.
    Replaced(i64),
}

const REPLACE: &str = "WITH last AS (SELECT id, issued_at FROM factures
        WHERE id > $1 * 1000000 AND id < ($1 + 1) * 1000000 ORDER BY id DESC LIMIT 1)
    INSERT INTO factures (id, client_id, source, plan, period_start, period_end, total_cents,
        currency, paid_at, hosted_url, buyer_details, buyer_name, buyer_siren, buyer_address,
        issued_at, origin, replaces)
    SELECT $1 * 1000000 + COALESCE((SELECT id % 1000000 FROM last), 0) + 1, f.client_id, $3,
        f.plan, f.period_start, f.period_end, f.total_cents, f.currency, f.paid_at, f.hosted_url,
        f.buyer_details, c.name, c.siren, c.addressing_id,
        {latest}($2, COALESCE((SELECT issued_at FROM last), $2)), f.origin, f.id
    FROM factures f JOIN clients c ON c.id = f.client_id WHERE f.id = $4
    RETURNING id";

impl Db {
    /// Sends document `doc` of `series` again (see the module's rule for a rejected facture).
    pub async fn pa_resend(
        &self,
        series: Series,
        doc: i64,
        now: Timestamp,
    ) -> Result<Resent, sqlx::Error> {
        use sqlx::Connection;
        let backend = self.backend;
        let mut conn = self.pool.acquire().await?;
        // The numbers' lock on PostgreSQL, as the writer takes it; the write lock at once on
        // SQLite (a serving relay writes too).
        let begin = match backend {
            Backend::Postgres => super::batch::BEGIN_POSTGRES,
            Backend::Sqlite => "BEGIN IMMEDIATE",
        };
        let mut tx = conn.begin_with(begin).await?;
        let outcome = resend(&mut tx, backend, series, doc, now).await?;
        tx.commit().await?;
        Ok(outcome)
    }
}

async fn resend(
    conn: &mut sqlx::AnyConnection,
    backend: Backend,
    series: Series,
    doc: i64,
    now: Timestamp,
) -> Result<Resent, sqlx::Error> {
    let status: Option<Option<i64>> = sqlx::query_scalar(
        "SELECT status_code FROM pa_transmissions WHERE series = $1 AND doc = $2
            AND message = 'document'",
    )
    .bind(series_code(series))
    .bind(doc)
    .fetch_optional(&mut *conn)
    .await?;
    let Some(status) = status else {
        return Ok(Resent::Unknown);
    };
    if status == Some(213) && series == Series::Facture {
        let source: Option<String> =
            sqlx::query_scalar("SELECT source FROM factures WHERE id = $1")
                .bind(doc)
                .fetch_optional(&mut *conn)
                .await?;
        let Some(source) = source.filter(|s| !s.starts_with("rejected:")) else {
            // Replaced already: say by which.
            let by: Option<i64> = sqlx::query_scalar("SELECT id FROM factures WHERE replaces = $1")
                .bind(doc)
                .fetch_optional(&mut *conn)
                .await?;
            return Ok(by.map_or(Resent::Unknown, Resent::Replaced));
        };
        sqlx::query("UPDATE factures SET source = $2 WHERE id = $1")
            .bind(doc)
            .bind(format!("rejected:{source}"))
            .execute(&mut *conn)
            .await?;
        let latest = match backend {
            Backend::Postgres => "GREATEST",
            Backend::Sqlite => "max",
        };
        let row = sqlx::query(sqlx::AssertSqlSafe(REPLACE.replace("{latest}", latest)))
            .bind(paris_year(now.unix()))
            .bind(now.unix())
            .bind(source)
            .bind(doc)
            .fetch_one(&mut *conn)
            .await?;
        sqlx::query(
            "UPDATE pa_transmissions SET state = 'void', last_error = 'facture rejetée, remplacée'
             WHERE series = 'FA' AND doc = $1 AND message = 'payment' AND state <> 'sent'",
        )
        .bind(doc)
        .execute(&mut *conn)
        .await?;
        return Ok(Resent::Replaced(row.get(0)));
    }
    sqlx::query(
        "UPDATE pa_transmissions SET state = 'queued', next_at = $3, attempts = 0,
            flow_id = NULL, ack_status = NULL, ack_detail = NULL, last_error = NULL,
            lease_until = NULL, sent_at = NULL, status_code = NULL, status_reason = NULL,
            status_at = NULL
         WHERE series = $1 AND doc = $2",
    )
    .bind(series_code(series))
    .bind(doc)
    .bind(now.unix())
    .execute(&mut *conn)
    .await?;
    Ok(Resent::Queued)
}

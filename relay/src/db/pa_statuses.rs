//! What the approved platform said of each document: the lifecycle statuses it sent back (kept
//! once per flow, the latest on the document's row), how far they were read, and the messages
//! as `relay pa list`, the invoices' route and the export read them.

use sqlx::Row;
use sqlx::any::AnyRow;

use super::Db;
use super::transmissions::{Key, Message, Transmission, series_code, series_of};
use crate::core::numbering::Series;

const LIST: &str = "SELECT t.series, t.doc, t.message, COALESCE(f.client_id, a.client_id), t.state,
    t.attempts, t.flow_id, t.ack_status, t.ack_detail, t.last_error, t.sent_at, t.status_code,
    t.status_reason, t.status_at,
    (SELECT r.id FROM factures r WHERE t.series = 'FA' AND r.replaces = t.doc)
    FROM pa_transmissions t
    LEFT JOIN factures f ON t.series = 'FA' AND f.id = t.doc
    LEFT JOIN avoirs a ON t.series = 'AV' AND a.id = t.doc";

fn transmission(r: &AnyRow) -> Transmission {
    Transmission {
        key: Key {
            series: series_of(&r.get::<String, _>(0)),
            doc: r.get(1),
            message: Message::parse(&r.get::<String, _>(2)),
        },
        client: r.get::<Option<String>, _>(3).unwrap_or_default(),
        state: r.get(4),
        attempts: r.get(5),
        flow_id: r.get(6),
        ack_status: r.get(7),
        ack_detail: r.get(8),
        last_error: r.get(9),
        sent_at: r.get(10),
        status_code: r.get(11),
        status_reason: r.get(12),
        status_at: r.get(13),
        replaced_by: r.get(14),
    }
}

impl Db {
    /// Keeps a status the platform sent (once per flow) and makes it the document's latest when
    /// it is not older than the one kept. Whether it was new.
    pub async fn pa_status(
        &self,
        flow_id: &str,
        (series, doc): (Series, i64),
        (code, reason_code, reason): (u16, Option<&str>, Option<&str>),
        at: i64,
    ) -> Result<bool, sqlx::Error> {
        let mut tx = self.pool.begin().await?;
        let new = sqlx::query(
            "INSERT INTO pa_statuses (flow_id, series, doc, code, reason_code, reason, at)
             VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (flow_id) DO NOTHING",
        )
        .bind(flow_id)
        .bind(series_code(series))
        .bind(doc)
        .bind(i64::from(code))
        .bind(reason_code)
        .bind(reason)
        .bind(at)
        .execute(&mut *tx)
        .await?
        .rows_affected()
            == 1;
        if new {
            let text = reason.or(reason_code);
            sqlx::query(
                "UPDATE pa_transmissions SET status_code = $4, status_reason = $5, status_at = $6
                 WHERE series = $1 AND doc = $2 AND message = $3
                    AND (status_at IS NULL OR status_at <= $6)",
            )
            .bind(series_code(series))
            .bind(doc)
            .bind(Message::Document.as_str())
            .bind(i64::from(code))
            .bind(text)
            .bind(at)
            .execute(&mut *tx)
            .await?;
        }
        tx.commit().await?;
        Ok(new)
    }

    /// How far the platform's lifecycle flows were read.
    pub async fn pa_cursor(&self) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT lc_cursor FROM pa_state WHERE id = 1")
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.and_then(|r| r.get(0)))
    }

    pub async fn pa_set_cursor(&self, cursor: &str) -> Result<(), sqlx::Error> {
        sqlx::query("UPDATE pa_state SET lc_cursor = $1 WHERE id = 1")
            .bind(cursor)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Every message, or those of one company, in document order.
    pub async fn pa_list(&self, client: Option<&str>) -> Result<Vec<Transmission>, sqlx::Error> {
        let sql = match client {
            Some(_) => format!(
                "{LIST} WHERE COALESCE(f.client_id, a.client_id) = $1 ORDER BY t.series, t.doc, t.message"
            ),
            None => format!("{LIST} ORDER BY t.series, t.doc, t.message"),
        };
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        if let Some(client) = client {
            query = query.bind(client);
        }
        Ok(query
            .fetch_all(&self.pool)
            .await?
            .iter()
            .map(transmission)
            .collect())
    }
}

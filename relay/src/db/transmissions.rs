//! The transmission outbox's storage (see migration 0018): queueing the documents issued since
//! transmission was turned on, claiming due messages with a lease (two instances never hold the
//! same message: the claim re-checks its condition on the row it updates), and recording what
//! the platform answered and the statuses it sent back. SQL stores; `pa::` decides.

use sqlx::Row;

use super::Db;
use crate::core::Timestamp;
use crate::core::numbering::Series;

/// What one row sends: the document, or its payment status 212.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Message {
    Document,
    Payment,
}

impl Message {
    pub fn as_str(self) -> &'static str {
        match self {
            Message::Document => "document",
            Message::Payment => "payment",
        }
    }
    pub(super) fn parse(s: &str) -> Self {
        match s {
            "payment" => Message::Payment,
            _ => Message::Document,
        }
    }
}

pub(super) fn series_code(series: Series) -> &'static str {
    match series {
        Series::Facture => "FA",
        Series::Avoir => "AV",
    }
}

pub(super) fn series_of(code: &str) -> Series {
    match code {
        "AV" => Series::Avoir,
        _ => Series::Facture,
    }
}

/// A message's key: its document's series and key (year × 1,000,000 + number), and what it sends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Key {
    pub series: Series,
    pub doc: i64,
    pub message: Message,
}

impl Key {
    pub fn year_seq(&self) -> (i64, i64) {
        (self.doc / 1_000_000, self.doc % 1_000_000)
    }
}

/// A message claimed for sending.
#[derive(Debug, Clone)]
pub struct Claimed {
    pub key: Key,
    /// Set when an earlier attempt got the platform's answer.
    pub flow_id: Option<String>,
    pub attempts: i64,
}

/// One row as `relay pa list` and the invoices' route read it.
#[derive(Debug, Clone)]
pub struct Transmission {
    pub key: Key,
    pub client: String,
    pub state: String,
    pub attempts: i64,
    pub flow_id: Option<String>,
    pub ack_status: Option<String>,
    pub ack_detail: Option<String>,
    pub last_error: Option<String>,
    pub sent_at: Option<i64>,
    pub status_code: Option<i64>,
    pub status_reason: Option<String>,
    pub status_at: Option<i64>,
    /// For a rejected facture replaced by a new one: the replacement's key.
    pub replaced_by: Option<i64>,
}

const DUE: &str =
    "((state = 'queued' AND next_at <= $1) OR (state = 'sending' AND lease_until < $1))";

impl Db {
    /// When transmission was first turned on (now, the first time it is asked).
    pub async fn pa_since(&self, now: Timestamp) -> Result<i64, sqlx::Error> {
        sqlx::query("INSERT INTO pa_state (id, since) VALUES (1, $1) ON CONFLICT (id) DO NOTHING")
            .bind(now.unix())
            .execute(&self.pool)
            .await?;
        sqlx::query("SELECT since FROM pa_state WHERE id = 1")
            .fetch_one(&self.pool)
            .await
            .map(|r| r.get(0))
    }

    /// Queues every document issued since `since` past the highest one queued, with its 212
    /// unless `payments` is false. How many rows were queued.
    pub async fn pa_enqueue(
        &self,
        since: i64,
        payments: bool,
        now: Timestamp,
    ) -> Result<u64, sqlx::Error> {
        let mut queued = 0;
        for series in [Series::Facture, Series::Avoir] {
            let table = match series {
                Series::Facture => "factures",
                Series::Avoir => "avoirs",
            };
            let messages: &[Message] = match payments {
                true => &[Message::Document, Message::Payment],
                false => &[Message::Document],
            };
            for message in messages {
                let sql = format!(
                    "INSERT INTO pa_transmissions (series, doc, message, state, attempts, next_at,
                        queued_at)
                     SELECT $1, d.id, $2, 'queued', 0, $3, $3 FROM {table} d
                     WHERE d.id > (SELECT COALESCE(MAX(doc), 0) FROM pa_transmissions
                            WHERE series = $1 AND message = $2)
                        AND d.issued_at >= $4
                     ON CONFLICT (series, doc, message) DO NOTHING"
                );
                queued += sqlx::query(sqlx::AssertSqlSafe(sql))
                    .bind(series_code(series))
                    .bind(message.as_str())
                    .bind(now.unix())
                    .bind(since)
                    .execute(&self.pool)
                    .await?
                    .rows_affected();
            }
        }
        Ok(queued)
    }

    /// Claims up to `limit` due messages until `lease_until`; a 212 only once the platform
    /// deposited its document (never for a rejected one, which counts as never issued).
    pub async fn pa_claim(
        &self,
        now: Timestamp,
        lease_until: i64,
        limit: i64,
    ) -> Result<Vec<Claimed>, sqlx::Error> {
        let sql = format!(
            "UPDATE pa_transmissions SET state = 'sending', lease_until = $2,
                attempts = attempts + 1
             WHERE (series, doc, message) IN (SELECT series, doc, message FROM pa_transmissions t
                    WHERE {DUE} AND (message = 'document' OR EXISTS (SELECT 1
                        FROM pa_transmissions d WHERE d.series = t.series AND d.doc = t.doc
                            AND d.message = 'document' AND d.ack_status = 'Ok'
                            AND d.status_code IS NOT NULL AND d.status_code <> 213))
                    ORDER BY doc LIMIT $3)
                AND {DUE}
             RETURNING series, doc, message, flow_id, attempts"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(now.unix())
            .bind(lease_until)
            .bind(limit)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows
            .iter()
            .map(|r| Claimed {
                key: Key {
                    series: series_of(&r.get::<String, _>(0)),
                    doc: r.get(1),
                    message: Message::parse(&r.get::<String, _>(2)),
                },
                flow_id: r.get(3),
                attempts: r.get(4),
            })
            .collect())
    }

    /// An update of one message: `set` binds its values from `$4` on.
    fn pa_update(
        key: Key,
        set: &str,
    ) -> sqlx::query::Query<'static, sqlx::Any, sqlx::any::AnyArguments> {
        let sql = format!(
            "UPDATE pa_transmissions SET {set} WHERE series = $1 AND doc = $2 AND message = $3"
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(series_code(key.series))
            .bind(key.doc)
            .bind(key.message.as_str())
    }

    /// The platform took the message as flow `flow_id`; its acknowledgement is still to come.
    pub async fn pa_sent(
        &self,
        key: Key,
        flow_id: &str,
        now: Timestamp,
    ) -> Result<(), sqlx::Error> {
        let set = "state = 'sent', flow_id = $4, sent_at = $5, ack_status = 'Pending',
             lease_until = NULL, last_error = NULL";
        Self::pa_update(key, set)
            .bind(flow_id.to_owned())
            .bind(now.unix())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Not sent this time: again at `next_at`.
    pub async fn pa_retry(&self, key: Key, error: &str, next_at: i64) -> Result<(), sqlx::Error> {
        let set = "state = 'queued', last_error = $4, next_at = $5, lease_until = NULL";
        Self::pa_update(key, set)
            .bind(error.to_owned())
            .bind(next_at)
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// The platform refused it: it stays failed until `relay pa resend`.
    pub async fn pa_failed(&self, key: Key, error: &str) -> Result<(), sqlx::Error> {
        let set = "state = 'failed', last_error = $4, lease_until = NULL";
        Self::pa_update(key, set)
            .bind(error.to_owned())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// The platform's acknowledgement of a sent flow; an `Error` one fails the message.
    pub async fn pa_ack(&self, key: Key, status: &str, detail: &str) -> Result<(), sqlx::Error> {
        let set = "ack_status = $4, ack_detail = $5,
             state = CASE WHEN $4 = 'Error' THEN 'failed' ELSE state END";
        Self::pa_update(key, set)
            .bind(status.to_owned())
            .bind(detail.to_owned())
            .execute(&self.pool)
            .await
            .map(|_| ())
    }

    /// Sent messages whose acknowledgement is still pending.
    pub async fn pa_pending_acks(&self, limit: i64) -> Result<Vec<(Key, String)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT series, doc, message, flow_id FROM pa_transmissions
             WHERE state = 'sent' AND ack_status = 'Pending' ORDER BY doc LIMIT $1",
        )
        .bind(limit)
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let key = Key {
                    series: series_of(&r.get::<String, _>(0)),
                    doc: r.get(1),
                    message: Message::parse(&r.get::<String, _>(2)),
                };
                (key, r.get(3))
            })
            .collect())
    }

    /// Messages not yet with the platform, and the oldest one's queueing time.
    pub async fn pa_outbox(&self) -> Result<(i64, Option<i64>), sqlx::Error> {
        let row = sqlx::query(
            "SELECT COUNT(*), MIN(queued_at) FROM pa_transmissions
             WHERE state IN ('queued', 'sending')",
        )
        .fetch_one(&self.pool)
        .await?;
        Ok((row.get(0), row.get(1)))
    }
}

//! Avoirs (credit notes): issued inside the transaction of the event that returned the money,
//! numbered after the year's last avoir in their own series by one statement of fixed text (the
//! batch's lock orders instances on PostgreSQL, the single writer on SQLite; a rollback gives
//! the number back), at most one per refund or dispute. Read back as [`Facture`]s of kind
//! [`DocumentKind::Avoir`], with the buyer, plan and period of the facture they correct.

use sqlx::{AnyConnection, Row};

use super::Backend;
use crate::core::Timestamp;
use crate::core::numbering::{Series, number, paris_year};
use crate::domain::{ClientId, PaymentOrigin, PlanId};
use crate::factures::{DocumentKind, Facture};

const INSERT: &str = "WITH last AS (SELECT id, issued_at FROM avoirs
        WHERE id > $1 * 1000000 AND id < ($1 + 1) * 1000000 ORDER BY id DESC LIMIT 1)
    INSERT INTO avoirs (id, client_id, source, corrects, total_cents, currency, reason,
        returned_at, issued_at, origin)
    SELECT $1 * 1000000 + COALESCE((SELECT id % 1000000 FROM last), 0) + 1, f.client_id, $2,
        f.id, $4, f.currency, $5, $6, {latest}($7, COALESCE((SELECT issued_at FROM last), $7)), $8
    FROM factures f WHERE f.id = $3
        AND NOT EXISTS (SELECT 1 FROM avoirs WHERE source = $2)";

/// Money of one facture that went back, before its avoir has a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AvoirDraft<'a> {
    /// The refund (`re_…`) or dispute (`du_…`): one avoir each.
    pub source: &'a str,
    pub total_cents: i64,
    /// In French, as the avoir's note says it.
    pub reason: &'a str,
    pub returned_at: i64,
}

/// Issues the avoir of `draft` correcting the facture `corrects` (its key: year × 1,000,000 +
/// number) unless its refund or dispute already has one; whether it did.
pub async fn issue(
    conn: &mut AnyConnection,
    corrects: i64,
    draft: &AvoirDraft<'_>,
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let latest = match Backend::of(conn) {
        Backend::Postgres => "GREATEST",
        Backend::Sqlite => "max",
    };
    let sql = INSERT.replace("{latest}", latest);
    let done = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(paris_year(now.unix()))
        .bind(draft.source)
        .bind(corrects)
        .bind(draft.total_cents)
        .bind(draft.reason)
        .bind(draft.returned_at)
        .bind(now.unix())
        .bind(origin.as_str())
        .execute(&mut *conn)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// The avoirs, with the facture each corrects (`f`), as [`super::factures`] reads a series.
pub(super) const SELECT: &str = "SELECT d.id / 1000000, d.id % 1000000, d.client_id, d.source,
    f.plan, f.period_start, f.period_end, d.total_cents, d.currency, d.returned_at, f.buyer_name,
    f.buyer_siren, f.buyer_details, d.issued_at, f.id / 1000000, f.id % 1000000, f.issued_at,
    d.reason, f.buyer_address
    FROM avoirs d JOIN factures f ON f.id = d.corrects";

pub(super) fn avoir(r: &sqlx::any::AnyRow) -> Facture {
    let details: Option<String> = r.get(12);
    Facture {
        kind: DocumentKind::Avoir {
            corrects: number(Series::Facture, r.get(14), r.get(15)),
            corrects_issued_at: r.get(16),
            reason: r.get(17),
        },
        year: r.get(0),
        seq: r.get(1),
        client: ClientId::parse(&r.get::<String, _>(2)).expect("stored client ids are valid"),
        source: r.get(3),
        plan: PlanId::parse(&r.get::<String, _>(4)).expect("stored plan ids are valid"),
        period: (r.get(5), r.get(6)),
        total_cents: r.get(7),
        currency: r.get(8),
        paid_at: r.get(9),
        hosted_url: None,
        buyer_name: r.get(10),
        buyer_siren: r.get(11),
        buyer_address: r.get(18),
        buyer: details
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or_default(),
        issued_at: r.get(13),
    }
}

//! Issuing a batch's factures inside the payment transaction, in two statements: one reserves
//! the batch's numbers in the year's series (the row lock orders instances on PostgreSQL, the
//! single writer on SQLite), one stores the factures with their buyer's name and SIREN as they
//! are now. A rollback gives the numbers back, so the series has no gap; the payment's own claim
//! (its session or invoice, in the same transaction) keeps it from being billed twice. Then
//! reading them back, and keeping each one's document once it is rendered.

use sqlx::{AnyConnection, Row};

use super::{Db, placeholder_rows};
use crate::domain::{ClientId, PaymentOrigin};
use crate::factures::render::Rendered;
use crate::factures::{Facture, FactureDraft, number, paris_year};

/// Values bound per facture in the insert.
const PER_ROW: usize = 11;

/// Numbers and stores `drafts` (in order), issued at `now` or later than the series' last
/// facture; returns their numbers.
pub async fn issue(
    conn: &mut AnyConnection,
    drafts: &[FactureDraft],
    origin: PaymentOrigin,
    now: i64,
) -> Result<Vec<String>, sqlx::Error> {
    if drafts.is_empty() {
        return Ok(Vec::new());
    }
    let year = paris_year(now);
    let row = sqlx::query(
        "INSERT INTO facture_series (year, last, last_issued) VALUES ($1, $2, $3)
         ON CONFLICT (year) DO UPDATE SET last = facture_series.last + excluded.last,
             last_issued = CASE WHEN facture_series.last_issued > excluded.last_issued
                 THEN facture_series.last_issued ELSE excluded.last_issued END
         RETURNING last, last_issued",
    )
    .bind(year)
    .bind(drafts.len() as i64)
    .bind(now)
    .fetch_one(&mut *conn)
    .await?;
    let (last, issued_at): (i64, i64) = (row.get(0), row.get(1));
    let first = last - drafts.len() as i64 + 1;
    let values: Vec<String> = placeholder_rows(drafts.len(), PER_ROW, 4)
        .iter()
        .map(|p| format!("({p})"))
        .collect();
    // VALUES names its columns column1… on both SQLite and PostgreSQL.
    let sql = format!(
        "INSERT INTO factures (year, seq, client_id, source, plan, period_start, period_end,
             total_cents, currency, paid_at, hosted_url, buyer_details, buyer_name, buyer_siren,
             issued_at, origin)
         SELECT $1, v.column1, v.column2, v.column3, v.column4, v.column5, v.column6, v.column7,
             v.column8, v.column9, v.column10, v.column11, c.name, c.siren, $2, $3
         FROM (VALUES {}) AS v JOIN clients c ON c.id = v.column2",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(year)
        .bind(issued_at)
        .bind(origin.as_str());
    let mut numbers = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let seq = first + i as i64;
        numbers.push(number(year, seq));
        query = query
            .bind(seq)
            .bind(d.client.as_str())
            .bind(d.source.as_str())
            .bind(d.plan.as_str())
            .bind(d.period.0)
            .bind(d.period.1)
            .bind(d.total_cents)
            .bind(d.currency.as_str())
            .bind(d.paid_at)
            .bind(d.hosted_url.as_deref())
            .bind(d.buyer_details.as_deref());
    }
    let stored = query.execute(&mut *conn).await?.rows_affected();
    if stored != drafts.len() as u64 {
        // A draft's company vanished inside the transaction: fail it rather than leave a gap.
        return Err(sqlx::Error::Protocol(format!(
            "{} of {} factures stored",
            stored,
            drafts.len()
        )));
    }
    Ok(numbers)
}

const COLUMNS: &str = "year, seq, client_id, source, plan, period_start, period_end, total_cents,
    currency, paid_at, hosted_url, buyer_name, buyer_siren, buyer_details, issued_at";

fn facture(r: &sqlx::any::AnyRow) -> Facture {
    let details: Option<String> = r.get(13);
    Facture {
        year: r.get(0),
        seq: r.get(1),
        client: ClientId::parse(&r.get::<String, _>(2)).expect("stored client ids are valid"),
        source: r.get(3),
        plan: r.get(4),
        period: (r.get(5), r.get(6)),
        total_cents: r.get(7),
        currency: r.get(8),
        paid_at: r.get(9),
        hosted_url: r.get(10),
        buyer_name: r.get(11),
        buyer_siren: r.get(12),
        buyer: details
            .and_then(|d| serde_json::from_str(&d).ok())
            .unwrap_or_default(),
        issued_at: r.get(14),
    }
}

impl Db {
    /// A company's factures, newest first.
    pub async fn factures_of(&self, client: &ClientId) -> Result<Vec<Facture>, sqlx::Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM factures WHERE client_id = $1 ORDER BY year DESC, seq DESC"
        );
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client.as_str())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(facture).collect())
    }

    /// Every facture of a calendar year, in number order.
    pub async fn factures_of_year(&self, year: i64) -> Result<Vec<Facture>, sqlx::Error> {
        let sql = format!("SELECT {COLUMNS} FROM factures WHERE year = $1 ORDER BY seq");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(year)
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(facture).collect())
    }

    /// One facture, if it is `client`'s (never another company's).
    pub async fn facture(
        &self,
        client: &ClientId,
        (year, seq): (i64, i64),
    ) -> Result<Option<Facture>, sqlx::Error> {
        let sql = format!(
            "SELECT {COLUMNS} FROM factures WHERE year = $1 AND seq = $2 AND client_id = $3"
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(year)
            .bind(seq)
            .bind(client.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(facture))
    }

    /// The document rendered for facture (year, seq), if it was.
    pub async fn facture_document(
        &self,
        (year, seq): (i64, i64),
    ) -> Result<Option<Rendered>, sqlx::Error> {
        let row = sqlx::query(
            "SELECT xml, pdf, sha256 FROM facture_documents WHERE year = $1 AND seq = $2",
        )
        .bind(year)
        .bind(seq)
        .fetch_optional(&self.pool)
        .await?;
        Ok(row.map(|r| Rendered {
            xml: r.get(0),
            pdf: r.get(1),
            sha256: r.get(2),
        }))
    }

    /// Keeps a facture's document; the first one stored wins (two instances rendering the same
    /// facture keep one file), and it is what every later download gives.
    pub async fn keep_facture_document(
        &self,
        (year, seq): (i64, i64),
        doc: &Rendered,
        now: i64,
    ) -> Result<Rendered, sqlx::Error> {
        sqlx::query(
            "INSERT INTO facture_documents (year, seq, xml, pdf, sha256, rendered_at)
             VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (year, seq) DO NOTHING",
        )
        .bind(year)
        .bind(seq)
        .bind(doc.xml.as_str())
        .bind(doc.pdf.as_slice())
        .bind(doc.sha256.as_str())
        .bind(now)
        .execute(&self.pool)
        .await?;
        Ok(self
            .facture_document((year, seq))
            .await?
            .expect("stored just now or before"))
    }
}

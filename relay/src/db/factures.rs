//! Issuing a batch's factures inside the payment transaction, in one statement of fixed text that
//! reads the year's last number and stores the factures after it, with their buyer's name and
//! SIREN as they are now (an advisory lock orders instances on PostgreSQL, the single writer does
//! on SQLite). A rollback gives the numbers back, so the series has no gap; the payment's own claim
//! (its session or invoice, in the same transaction) keeps it from being billed twice. Then
//! reading them back, and keeping each one's document once it is rendered.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Row};

use super::{Backend, Db};
use crate::core::Timestamp;
use crate::core::numbering::{Series, paris_year};
use crate::domain::{BuyerDetails, ClientId, PaymentOrigin, PlanId};
use crate::factures::render::Rendered;
use crate::factures::{Facture, FactureDraft};
use crate::siren::Siren;

/// The batch's factures from one JSON array (`$4`) in a statement whose text never changes, so
/// that it is prepared once per connection and binds four values whatever the batch's size. The
/// year's last facture (`$1`) is read by the same statement: its number is followed, its date of
/// issue never preceded.
const INSERT_SQLITE: &str = "WITH last AS (SELECT id, issued_at FROM factures
        WHERE id > $1 * 1000000 AND id < ($1 + 1) * 1000000 ORDER BY id DESC LIMIT 1)
    INSERT OR FAIL INTO factures (id, client_id, source, plan, period_start,
        period_end, total_cents, currency, paid_at, hosted_url, buyer_details, buyer_name,
        buyer_siren, buyer_address, issued_at, origin)
    SELECT $1 * 1000000 + COALESCE((SELECT id % 1000000 FROM last), 0) + 1 + j.key,
        j.value ->> 'client', j.value ->> 'source', j.value ->> 'plan',
        j.value ->> 'start', j.value ->> 'end', j.value ->> 'total', j.value ->> 'currency',
        j.value ->> 'paid_at', j.value ->> 'hosted_url', j.value ->> 'buyer', c.name, c.siren,
        c.addressing_id, max($2, COALESCE((SELECT issued_at FROM last), $2)), $3
    FROM jsonb_each($4) AS j JOIN clients c ON c.id = j.value ->> 'client'";
const INSERT_POSTGRES: &str = "WITH last AS (SELECT id, issued_at FROM factures
        WHERE id > $1 * 1000000 AND id < ($1 + 1) * 1000000 ORDER BY id DESC LIMIT 1)
    INSERT INTO factures (id, client_id, source, plan,
        period_start, period_end, total_cents, currency, paid_at, hosted_url, buyer_details,
        buyer_name, buyer_siren, buyer_address, issued_at, origin)
    SELECT $1 * 1000000 + COALESCE((SELECT id % 1000000 FROM last), 0) + j.ord,
        j.client, j.source, j.plan, j.start, j.\"end\", j.total, j.currency, j.paid_at,
        j.hosted_url, j.buyer, c.name, c.siren, c.addressing_id,
        GREATEST($2, COALESCE((SELECT issued_at FROM last), $2)), $3
    FROM ROWS FROM (json_to_recordset($4::json) AS (client text, source text, plan text,
            start bigint, \"end\" bigint, total bigint, currency text, paid_at bigint,
            hosted_url text, buyer text))
        WITH ORDINALITY AS j(client, source, plan, start, \"end\", total, currency, paid_at,
            hosted_url, buyer, ord)
    JOIN clients c ON c.id = j.client";

/// Numbers and stores `drafts` (in order), issued at `now` or later than the series' last
/// facture. On PostgreSQL the transaction began with [`super::batch::BEGIN_POSTGRES`], which
/// holds the numbers' lock.
pub async fn issue(
    conn: &mut AnyConnection,
    drafts: &[FactureDraft],
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    if drafts.is_empty() {
        return Ok(());
    }
    let backend = Backend::of(conn);
    fill_sirens(conn, drafts).await?;
    #[derive(serde::Serialize)]
    struct Row<'a> {
        client: &'a str,
        source: &'a str,
        plan: &'a str,
        start: i64,
        end: i64,
        total: i64,
        currency: &'a str,
        paid_at: i64,
        hosted_url: Option<&'a str>,
        buyer: Option<&'a str>,
    }
    let rows: Vec<Row> = drafts
        .iter()
        .map(|d| Row {
            client: d.client.as_str(),
            source: &d.source,
            plan: d.plan.as_str(),
            start: d.period.0,
            end: d.period.1,
            total: d.total_cents,
            currency: &d.currency,
            paid_at: d.paid_at,
            hosted_url: d.hosted_url.as_deref(),
            buyer: d.buyer_details.as_deref(),
        })
        .collect();
    let sql = match backend {
        Backend::Postgres => INSERT_POSTGRES,
        Backend::Sqlite => INSERT_SQLITE,
    };
    let query = sqlx::query(sql)
        .bind(paris_year(now.unix()))
        .bind(now.unix())
        .bind(origin.as_str())
        .bind(super::json_rows::json_array(&rows));
    let stored = query.execute(&mut *conn).await?.rows_affected();
    if stored != drafts.len() as u64 {
        // A draft's company vanished inside the transaction: fail it rather than leave a gap.
        return Err(sqlx::Error::Protocol(format!(
            "{} of {} factures stored",
            stored,
            drafts.len()
        )));
    }
    Ok(())
}

/// A company with no SIREN on file (one that subscribed before it was asked for) gets the one
/// inside the French VAT number it gave Stripe, so that its facture names it (BT-47). Rare: one
/// statement per draft carrying a French VAT number.
async fn fill_sirens(conn: &mut AnyConnection, drafts: &[FactureDraft]) -> Result<(), sqlx::Error> {
    for draft in drafts {
        let Some(siren) = draft
            .buyer_details
            .as_deref()
            // Most payers give no VAT number (`"vat":null`): no parse on the writer's thread.
            .filter(|json| json.contains("\"vat\":\""))
            .and_then(|json| serde_json::from_str::<BuyerDetails>(json).ok())
            .and_then(|b| b.vat)
            .and_then(|vat| Siren::of_french_vat(&vat))
        else {
            continue;
        };
        sqlx::query("UPDATE clients SET siren = $2 WHERE id = $1 AND siren IS NULL")
            .bind(draft.client.as_str())
            .bind(siren.as_str())
            .execute(&mut *conn)
            .await?;
    }
    Ok(())
}

/// A document's key in its series' table: FA-2026-000001 is 2026000001.
pub fn key((year, seq): (i64, i64)) -> i64 {
    year * 1_000_000 + seq
}

/// The table that keeps each series' rendered documents.
fn documents(series: Series) -> &'static str {
    match series {
        Series::Facture => "facture_documents",
        Series::Avoir => "avoir_documents",
    }
}

const SELECT: &str = "SELECT d.id / 1000000, d.id % 1000000, d.client_id, d.source, d.plan,
    d.period_start, d.period_end, d.total_cents, d.currency, d.paid_at, d.hosted_url, d.buyer_name,
    d.buyer_siren, d.buyer_details, d.issued_at, d.buyer_address FROM factures d";

fn facture(r: &AnyRow) -> Facture {
    let details: Option<String> = r.get(13);
    Facture {
        kind: crate::factures::DocumentKind::Facture,
        year: r.get(0),
        seq: r.get(1),
        client: ClientId::parse(&r.get::<String, _>(2)).expect("stored client ids are valid"),
        source: r.get(3),
        plan: PlanId::parse(&r.get::<String, _>(4)).expect("stored plan ids are valid"),
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
        buyer_address: r.get(15),
    }
}

/// How a series' documents are read: the statement (its table aliased `d`) and the row's reader.
fn reading(series: Series) -> (&'static str, fn(&AnyRow) -> Facture) {
    match series {
        Series::Facture => (SELECT, facture),
        Series::Avoir => (super::avoirs::SELECT, super::avoirs::avoir),
    }
}

impl Db {
    /// A company's factures or avoirs, newest first.
    pub async fn documents_of(
        &self,
        series: Series,
        client: &ClientId,
    ) -> Result<Vec<Facture>, sqlx::Error> {
        let (select, read) = reading(series);
        let sql = format!("{select} WHERE d.client_id = $1 ORDER BY d.id DESC");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(client.as_str())
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(read).collect())
    }

    /// Every facture or avoir of a calendar year, in number order.
    pub async fn documents_of_year(
        &self,
        series: Series,
        year: i64,
    ) -> Result<Vec<Facture>, sqlx::Error> {
        let (select, read) = reading(series);
        let sql = format!("{select} WHERE d.id > $1 AND d.id < $2 ORDER BY d.id");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key((year, 0)))
            .bind(key((year + 1, 0)))
            .fetch_all(&self.pool)
            .await?;
        Ok(rows.iter().map(read).collect())
    }

    /// One facture or avoir, if it is `client`'s (never another company's).
    pub async fn document_of(
        &self,
        series: Series,
        client: &ClientId,
        (year, seq): (i64, i64),
    ) -> Result<Option<Facture>, sqlx::Error> {
        let (select, read) = reading(series);
        let sql = format!("{select} WHERE d.id = $1 AND d.client_id = $2");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key((year, seq)))
            .bind(client.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(read))
    }

    /// One facture or avoir, whoever's it is (the transmission's sender reads it).
    pub async fn document_at(
        &self,
        series: Series,
        (year, seq): (i64, i64),
    ) -> Result<Option<Facture>, sqlx::Error> {
        let (select, read) = reading(series);
        let sql = format!("{select} WHERE d.id = $1");
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key((year, seq)))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.as_ref().map(read))
    }

    /// The document rendered for facture or avoir (year, seq) of `series`, if it was.
    pub async fn document(
        &self,
        series: Series,
        (year, seq): (i64, i64),
    ) -> Result<Option<Rendered>, sqlx::Error> {
        let sql = format!(
            "SELECT xml, pdf, sha256 FROM {} WHERE id = $1",
            documents(series)
        );
        let row = sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key((year, seq)))
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| Rendered {
            xml: r.get(0),
            pdf: r.get(1),
            sha256: r.get(2),
        }))
    }

    /// Keeps a document; the first one stored wins (two instances rendering the same document
    /// keep one file), and it is what every later download gives.
    pub async fn keep_document(
        &self,
        series: Series,
        (year, seq): (i64, i64),
        doc: &Rendered,
        now: Timestamp,
    ) -> Result<Rendered, sqlx::Error> {
        let sql = format!(
            "INSERT INTO {} (id, xml, pdf, sha256, rendered_at)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT (id) DO NOTHING",
            documents(series)
        );
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .bind(key((year, seq)))
            .bind(doc.xml.as_str())
            .bind(doc.pdf.as_slice())
            .bind(doc.sha256.as_str())
            .bind(now.unix())
            .execute(&self.pool)
            .await?;
        Ok(self
            .document(series, (year, seq))
            .await?
            .expect("stored just now or before"))
    }
}

//! Issuing a batch's factures inside the payment transaction: one statement reserves the
//! batch's numbers in the year's series (the row lock orders instances on PostgreSQL, the single
//! writer on SQLite), one reads the buyers, one stores the factures. A rollback gives the
//! numbers back, so the series has no gap; a facture's source is unique, so none is issued twice.

use std::collections::HashMap;

use sqlx::{AnyConnection, Row};

use super::placeholder_rows;
use crate::domain::PaymentOrigin;
use crate::factures::{FactureDraft, number, paris_year, split_ttc};

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
    let buyers = buyers(conn, drafts).await?;
    let values: Vec<String> = placeholder_rows(drafts.len(), 15, 4)
        .iter()
        .map(|p| format!("({p}, $1, $2, $3)"))
        .collect();
    let sql = format!(
        "INSERT INTO factures (number, seq, client_id, source, plan, period_start, period_end,
             total_cents, net_cents, tax_cents, currency, paid_at, buyer_name, buyer_siren, hosted_url,
             year, issued_at, origin)
         VALUES {}",
        values.join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql))
        .bind(year)
        .bind(issued_at)
        .bind(origin.as_str());
    let mut numbers = Vec::with_capacity(drafts.len());
    for (i, d) in drafts.iter().enumerate() {
        let seq = first + i as i64;
        let (net, tax) = split_ttc(d.total_cents);
        let (name, siren) = buyers.get(d.client.as_str()).cloned().unwrap_or_default();
        numbers.push(number(year, seq));
        query = query
            .bind(number(year, seq))
            .bind(seq)
            .bind(d.client.as_str())
            .bind(d.source.as_str())
            .bind(d.plan.as_str())
            .bind(d.period.0)
            .bind(d.period.1)
            .bind(d.total_cents)
            .bind(net)
            .bind(tax)
            .bind(d.currency.as_str())
            .bind(d.paid_at)
            .bind(name)
            .bind(siren)
            .bind(d.hosted_url.as_deref());
    }
    query.execute(&mut *conn).await?;
    Ok(numbers)
}

/// Name and SIREN of each buyer, as they are now: the facture keeps them.
async fn buyers(
    conn: &mut AnyConnection,
    drafts: &[FactureDraft],
) -> Result<HashMap<String, (String, Option<String>)>, sqlx::Error> {
    let mut ids: Vec<&str> = drafts.iter().map(|d| d.client.as_str()).collect();
    ids.sort_unstable();
    ids.dedup();
    let sql = format!(
        "SELECT id, name, siren FROM clients WHERE id IN ({})",
        placeholder_rows(ids.len(), 1, 1).join(", ")
    );
    let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
    for id in &ids {
        query = query.bind(*id);
    }
    let rows = query.fetch_all(&mut *conn).await?;
    Ok(rows
        .iter()
        .map(|r| (r.get(0), (r.get(1), r.get(2))))
        .collect())
}

//! Statements of automatic renewal, each inside the caller's transaction except the customer's
//! creation: the facts a renewal step reads (the stored renewal, the invoice's holder, whether
//! an invoice was applied) and the result it stores. The rules themselves, and why any order of
//! delivery ends in the same state, are in [`crate::core::renewal_steps`].

use sqlx::{AnyConnection, Row};

use super::{Backend, Db};
use crate::core::Timestamp;
use crate::core::renewal::{RenewalRow, parse_state, state_word};
use crate::core::renewal_steps::StoredRenewal;
use crate::domain::{ClientId, PaymentOrigin, PlanId, SessionId};
use crate::renewal::facts::InvoiceFacts;

/// The company holding this Stripe customer, which the relay created for it: who an invoice or
/// subscription belongs to, whatever its metadata says (see [`crate::core::renewal::owner`]).
pub async fn holder(
    conn: &mut AnyConnection,
    customer: Option<&str>,
) -> Result<Option<ClientId>, sqlx::Error> {
    let Some(customer) = customer else {
        return Ok(None);
    };
    let row = sqlx::query("SELECT client_id FROM subscriptions WHERE customer_id = $1")
        .bind(customer)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.and_then(|r| ClientId::parse(r.get(0))))
}

/// Records a paid invoice once, with the PaymentIntent that paid it (kept when a later reading
/// names it); false when it was already applied.
pub async fn record_invoice(
    conn: &mut AnyConnection,
    client: &ClientId,
    inv: &InvoiceFacts,
    plan: &PlanId,
    period: (i64, i64),
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO invoices (invoice_id, client_id, subscription_id, plan, period_start, period_end,
             amount_cents, currency, hosted_url, paid_at, origin, created_at, payment_intent)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         ON CONFLICT (invoice_id) DO NOTHING RETURNING invoice_id",
    )
    .bind(&inv.id)
    .bind(client.as_str())
    .bind(inv.subscription.as_deref())
    .bind(plan.as_str())
    .bind(period.0)
    .bind(period.1)
    .bind(inv.amount_paid)
    .bind(inv.currency.as_deref().unwrap_or("eur"))
    .bind(inv.hosted_url.as_deref())
    .bind(inv.paid_at)
    .bind(origin.as_str())
    .bind(now.unix())
    .bind(inv.payment_intent.as_deref())
    .fetch_optional(&mut *conn)
    .await?;
    if row.is_none() && inv.payment_intent.is_some() {
        // Applied before from a read that did not name its payment (a subscription's latest
        // invoice): this one does.
        sqlx::query(
            "UPDATE invoices SET payment_intent = $2
             WHERE invoice_id = $1 AND payment_intent IS NULL",
        )
        .bind(&inv.id)
        .bind(inv.payment_intent.as_deref())
        .execute(&mut *conn)
        .await?;
    }
    Ok(row.is_some())
}

/// The company's renewal as stored, locked for the rest of the transaction on PostgreSQL (a
/// second relay's writer waits for this one's commit); `None` when the company has no row.
pub async fn renewal_of(
    conn: &mut AnyConnection,
    client: &ClientId,
) -> Result<Option<StoredRenewal>, sqlx::Error> {
    macro_rules! read {
        ($lock:literal) => {
            concat!(
                "SELECT subscription_id, renewal_state, paid_until, current_period_end,
                    cancel_at_period_end, payment_failed, card_last4, customer_id, plan,
                    subscription_read_at
                FROM subscriptions WHERE client_id = $1",
                $lock
            )
        };
    }
    let sql = match Backend::of(conn) {
        Backend::Postgres => read!(" FOR UPDATE"),
        Backend::Sqlite => read!(""),
    };
    let row = sqlx::query(sql)
        .bind(client.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.map(|r| StoredRenewal {
        row: RenewalRow {
            subscription_id: r.get(0),
            state: r
                .get::<Option<String>, _>(1)
                .as_deref()
                .and_then(parse_state),
            paid_until: r.get(2),
            current_period_end: r.get(3),
            cancel_at_period_end: r.get::<i64, _>(4) != 0,
            payment_failed: r.get::<i64, _>(5) != 0,
            card_last4: r.get(6),
        },
        customer_id: r.get(7),
        plan: r
            .get::<Option<String>, _>(8)
            .as_deref()
            .and_then(PlanId::parse),
        read_at: r.get(9),
    }))
}

/// Stores what a renewal step returned (see [`crate::core::renewal_steps`]); returns the new
/// version.
pub async fn store_renewal(
    conn: &mut AnyConnection,
    client: &ClientId,
    renewal: &StoredRenewal,
    now: Timestamp,
) -> Result<i64, sqlx::Error> {
    let row = &renewal.row;
    sqlx::query_scalar(
        "UPDATE subscriptions SET subscription_id = $2, renewal_state = $3, paid_until = $4,
             current_period_end = $5, cancel_at_period_end = $6, payment_failed = $7,
             card_last4 = $8, customer_id = $9, plan = $10, subscription_read_at = $11,
             version = version + 1, updated_at = $12
         WHERE client_id = $1 RETURNING version",
    )
    .bind(client.as_str())
    .bind(row.subscription_id.as_deref())
    .bind(row.state.map(state_word))
    .bind(row.paid_until)
    .bind(row.current_period_end)
    .bind(i64::from(row.cancel_at_period_end))
    .bind(i64::from(row.payment_failed))
    .bind(row.card_last4.as_deref())
    .bind(renewal.customer_id.as_deref())
    .bind(renewal.plan.as_ref().map(PlanId::as_str))
    .bind(renewal.read_at)
    .bind(now.unix())
    .fetch_one(&mut *conn)
    .await
}

/// Whether this invoice was applied already.
pub async fn invoice_recorded(
    conn: &mut AnyConnection,
    invoice: &str,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query("SELECT 1 FROM invoices WHERE invoice_id = $1")
        .bind(invoice)
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.is_some())
}

impl Db {
    /// The company's Stripe customer and the test clock it lives on, if created.
    pub async fn customer(
        &self,
        client: &ClientId,
    ) -> Result<Option<(String, Option<String>)>, sqlx::Error> {
        let row = sqlx::query("SELECT customer_id, test_clock FROM subscriptions WHERE client_id = $1 AND customer_id IS NOT NULL")
            .bind(client.as_str())
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| (r.get(0), r.get(1))))
    }

    /// Stores the company's new customer unless another checkout stored one first; returns the
    /// one kept (the other stays unused at Stripe).
    pub async fn keep_customer(
        &self,
        client: &ClientId,
        customer: &str,
        test_clock: Option<&str>,
    ) -> Result<String, sqlx::Error> {
        sqlx::query("UPDATE subscriptions SET customer_id = $2, test_clock = $3 WHERE client_id = $1 AND customer_id IS NULL")
            .bind(client.as_str())
            .bind(customer)
            .bind(test_clock)
            .execute(&self.pool)
            .await?;
        let kept = self.customer(client).await?;
        Ok(kept.map_or_else(|| customer.to_owned(), |(id, _)| id))
    }

    pub async fn stripe_setting(&self, key: &str) -> Result<Option<String>, sqlx::Error> {
        let row = sqlx::query("SELECT value FROM stripe_settings WHERE key = $1")
            .bind(key)
            .fetch_optional(&self.pool)
            .await?;
        Ok(row.map(|r| r.get(0)))
    }

    pub async fn set_stripe_setting(
        &self,
        key: &str,
        value: &str,
        now: Timestamp,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO stripe_settings (key, value, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
        )
        .bind(key)
        .bind(value)
        .bind(now.unix())
        .execute(&self.pool)
        .await?;
        Ok(())
    }

    /// The company's subscription checkouts still open in the relay's record.
    pub async fn open_recurring_sessions(
        &self,
        client: &ClientId,
    ) -> Result<Vec<SessionId>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT session_id FROM checkout_sessions WHERE client_id = $1 AND state = 'open' AND recurring = 1",
        )
        .bind(client.as_str())
        .fetch_all(&self.pool)
        .await?;
        Ok(rows
            .iter()
            .filter_map(|r| SessionId::parse(r.get(0)))
            .collect())
    }

    /// Companies by renewal state, `none` for those without automatic renewal.
    pub async fn renewal_states(&self) -> Result<Vec<(String, i64)>, sqlx::Error> {
        let rows = sqlx::query(
            "SELECT COALESCE(renewal_state, 'none'), COUNT(*) FROM subscriptions GROUP BY 1 ORDER BY 1",
        )
        .fetch_all(&self.pool)
        .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    /// Event ids already in the journal, of `ids`.
    pub async fn journalled(&self, ids: &[String]) -> Result<Vec<String>, sqlx::Error> {
        if ids.is_empty() {
            return Ok(Vec::new());
        }
        let sql = format!(
            "SELECT event_id FROM stripe_events WHERE event_id IN ({})",
            super::placeholder_rows(ids.len(), 1, 1).join(", ")
        );
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql));
        for id in ids {
            query = query.bind(id);
        }
        let rows = query.fetch_all(&self.pool).await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }
}

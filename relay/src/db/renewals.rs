//! Statements of automatic renewal, each inside the caller's transaction except the customer's
//! creation. Every update is guarded so that any order of delivery ends in the same state: a
//! paid period only ever moves `paid_until` forward, a failure counts only for a period not yet
//! paid, and a cancelled subscription stays cancelled.

use sqlx::{AnyConnection, Row};

use super::Db;
use crate::core::renewal::{state_of, state_word};
use crate::domain::{ClientId, PaymentOrigin, SessionId};
use crate::renewal::facts::{InvoiceFacts, SubscriptionFacts};

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

/// Records a paid invoice once; false when it was already applied.
pub async fn record_invoice(
    conn: &mut AnyConnection,
    client: &ClientId,
    inv: &InvoiceFacts,
    plan: &str,
    period: (i64, i64),
    origin: PaymentOrigin,
    now: i64,
) -> Result<bool, sqlx::Error> {
    let row = sqlx::query(
        "INSERT INTO invoices (invoice_id, client_id, subscription_id, plan, period_start, period_end,
             amount_cents, currency, hosted_url, paid_at, origin, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
         ON CONFLICT (invoice_id) DO NOTHING RETURNING invoice_id",
    )
    .bind(&inv.id)
    .bind(client.as_str())
    .bind(inv.subscription.as_deref())
    .bind(plan)
    .bind(period.0)
    .bind(period.1)
    .bind(inv.amount_paid)
    .bind(inv.currency.as_deref().unwrap_or("eur"))
    .bind(inv.hosted_url.as_deref())
    .bind(inv.paid_at)
    .bind(origin.as_str())
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.is_some())
}

/// A paid period: `paid_until = max(paid_until, end)`; the company's subscription becomes this
/// one if it had none (or only a cancelled one); the newest period paid clears a failure.
/// Returns the new `paid_until` and version.
pub async fn extend_paid(
    conn: &mut AnyConnection,
    client: &ClientId,
    inv: &InvoiceFacts,
    plan: &str,
    end: i64,
    now: i64,
) -> Result<Option<(i64, i64)>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE subscriptions SET
             subscription_id = CASE WHEN subscription_id IS NULL OR renewal_state = 'canceled' THEN $2 ELSE subscription_id END,
             customer_id = COALESCE(customer_id, $3),
             renewal_state = CASE
                 WHEN subscription_id IS NULL OR renewal_state IS NULL THEN 'active'
                 WHEN renewal_state = 'canceled' AND subscription_id <> $2 THEN 'active'
                 WHEN renewal_state = 'past_due' AND subscription_id = $2 AND (paid_until IS NULL OR $4 >= paid_until) THEN 'active'
                 ELSE renewal_state END,
             payment_failed = CASE WHEN paid_until IS NULL OR $4 >= paid_until THEN 0 ELSE payment_failed END,
             paid_until = CASE WHEN paid_until IS NULL OR paid_until < $4 THEN $4 ELSE paid_until END,
             current_period_end = CASE WHEN current_period_end IS NULL OR current_period_end < $4 THEN $4 ELSE current_period_end END,
             plan = $5, version = version + 1, updated_at = $6
         WHERE client_id = $1 RETURNING paid_until, version",
    )
    .bind(client.as_str())
    .bind(inv.subscription.as_deref())
    .bind(inv.customer.as_deref())
    .bind(end)
    .bind(plan)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| (r.get(0), r.get(1))))
}

/// A failed renewal charge: `past_due`, unless that period is paid already (a late event), the
/// invoice was applied, or the subscription is not the company's live one. Returns the version.
pub async fn mark_failed(
    conn: &mut AnyConnection,
    client: &ClientId,
    inv: &InvoiceFacts,
    end: i64,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query(
        "UPDATE subscriptions SET renewal_state = 'past_due', payment_failed = 1,
             version = version + 1, updated_at = $5
         WHERE client_id = $1 AND subscription_id = $2 AND renewal_state <> 'canceled'
           AND (paid_until IS NULL OR paid_until < $3)
           AND NOT EXISTS (SELECT 1 FROM invoices WHERE invoice_id = $4)
         RETURNING version",
    )
    .bind(client.as_str())
    .bind(inv.subscription.as_deref())
    .bind(end)
    .bind(&inv.id)
    .bind(now)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.get(0)))
}

/// The subscription as just read from Stripe becomes the company's renewal state, unless the
/// company has moved on to another live subscription or a later read was applied already; a
/// cancelled one never comes back.
pub async fn sync_subscription(
    conn: &mut AnyConnection,
    client: &ClientId,
    sub: &SubscriptionFacts,
    now: i64,
) -> Result<Option<i64>, sqlx::Error> {
    let state = state_of(&sub.status).map(state_word);
    let row = sqlx::query(
        "UPDATE subscriptions SET subscription_id = $2, customer_id = COALESCE(customer_id, $3),
             renewal_state = CASE WHEN renewal_state = 'canceled' AND subscription_id = $2 THEN 'canceled' ELSE $4 END,
             payment_failed = CASE WHEN $4 = 'past_due' THEN 1 WHEN $4 = 'active' THEN 0 ELSE payment_failed END,
             cancel_at_period_end = $5, current_period_end = $6, card_last4 = COALESCE($7, card_last4),
             subscription_read_at = $9, version = version + 1, updated_at = $8
         WHERE client_id = $1 AND (subscription_id IS NULL OR subscription_id = $2 OR renewal_state = 'canceled')
           AND (subscription_read_at IS NULL OR subscription_read_at < $9)
         RETURNING version",
    )
    .bind(client.as_str())
    .bind(&sub.id)
    .bind(sub.customer.as_deref())
    .bind(state)
    .bind(i64::from(sub.cancel_at_period_end))
    .bind(sub.current_period_end)
    .bind(sub.card_last4.as_deref())
    .bind(now)
    .bind(sub.read_at)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.get(0)))
}

/// When the subscription last applied to the company was read from Stripe.
pub async fn subscription_read_at(
    conn: &mut AnyConnection,
    client: &ClientId,
) -> Result<Option<i64>, sqlx::Error> {
    let row = sqlx::query("SELECT subscription_read_at FROM subscriptions WHERE client_id = $1")
        .bind(client.as_str())
        .fetch_optional(&mut *conn)
        .await?;
    Ok(row.and_then(|r| r.get(0)))
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
        now: i64,
    ) -> Result<(), sqlx::Error> {
        sqlx::query(
            "INSERT INTO stripe_settings (key, value, created_at) VALUES ($1, $2, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, created_at = excluded.created_at",
        )
        .bind(key)
        .bind(value)
        .bind(now)
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

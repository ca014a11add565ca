//! Access rebuilt from the stored facts: each company's one-off payments (the factures of its
//! Checkout Sessions: when paid, the time bought, the PaymentIntent), its automatic-renewal
//! invoices (the period each paid) and the refunds and disputes of each, folded by
//! [`crate::core::reversal::access_of`]. The stored `expires_at` and `paid_until` are that
//! fold's cached result: the writer stores it again after a refund ([`store_access`]), and a
//! company whose cache the fold does not rebuild (an expiry set by hand, payments older than
//! the factures) is reported after the migrations.

use std::collections::{BTreeMap, HashMap};

use sqlx::{AnyConnection, Row};

use super::Db;
use crate::core::Timestamp;
use crate::core::access::{Access, Payment};
use crate::core::money_news;
use crate::core::reversal::{Dispute, DisputeStatus, Paid, Refund, RefundStatus, access_of};
use crate::domain::ClientId;

/// A company whose stored access is not what its payments bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexplained {
    pub client: String,
    pub stored: Access,
    pub rebuilt: Access,
}

/// `client`'s payments (every company's when `None`), each with its refunds and disputes, in the order
/// they were applied: by the batch's time, then by facture number (given in the batch's
/// order); an invoice that billed nothing (a first charge deferred to the end of prepaid time)
/// has no number and goes first in its batch.
pub async fn paid_by_company(
    conn: &mut AnyConnection,
    client: Option<&ClientId>,
) -> Result<BTreeMap<String, Vec<Paid>>, sqlx::Error> {
    let (only, of, whose) = match client {
        Some(_) => (
            "AND f.client_id = $1",
            "WHERE i.client_id = $1",
            "WHERE client_id = $1",
        ),
        None => ("", "", ""),
    };
    let once = format!(
        "SELECT f.client_id, f.paid_at, f.id, f.period_end - f.period_start, f.total_cents,
             s.payment_intent
         FROM factures f LEFT JOIN checkout_sessions s ON s.session_id = f.source
         WHERE f.source LIKE 'cs_%' {only}"
    );
    let invoices = format!(
        "SELECT i.client_id, i.created_at, COALESCE(f.id, 0), i.period_end, i.amount_cents,
             i.payment_intent
         FROM invoices i LEFT JOIN factures f ON f.source = i.invoice_id {of}"
    );
    let refunds =
        format!("SELECT payment_intent, amount_cents, status, created_at FROM refunds {whose}");
    let disputes = format!("SELECT payment_intent, effect, created_at FROM disputes {whose}");
    let run = |sql: String| {
        let query = sqlx::query(sqlx::AssertSqlSafe(sql));
        match client {
            Some(c) => query.bind(c.as_str().to_owned()),
            None => query,
        }
    };
    let mut disputed: HashMap<String, Vec<Dispute>> = HashMap::new();
    for r in run(disputes).fetch_all(&mut *conn).await? {
        let effect: String = r.get(1);
        disputed.entry(r.get(0)).or_default().push(Dispute {
            status: DisputeStatus::from_word(&effect).unwrap_or(DisputeStatus::Open),
            created: r.get(2),
        });
    }
    let mut by_intent: HashMap<String, Vec<Refund>> = HashMap::new();
    for r in run(refunds).fetch_all(&mut *conn).await? {
        let status: String = r.get(2);
        by_intent.entry(r.get(0)).or_default().push(Refund {
            amount: r.get(1),
            status: RefundStatus::parse(&status).unwrap_or(RefundStatus::Pending),
            created: r.get(3),
        });
    }
    let mut paid: BTreeMap<String, Vec<((i64, i64), Paid)>> = BTreeMap::new();
    for (sql, one_off) in [(once, true), (invoices, false)] {
        for r in run(sql).fetch_all(&mut *conn).await? {
            let (at, end_or_duration): (i64, i64) = (r.get(1), r.get(3));
            let payment = match one_off {
                true => Payment::OneOff {
                    paid_at: at,
                    duration: end_or_duration,
                },
                false => Payment::Invoice {
                    period_end: end_or_duration,
                },
            };
            let intent: Option<String> = r.get(5);
            paid.entry(r.get(0)).or_default().push((
                (at, r.get(2)),
                Paid {
                    payment,
                    at,
                    amount: r.get(4),
                    refunds: of_intent(&by_intent, intent.as_deref()),
                    disputes: of_intent(&disputed, intent.as_deref()),
                },
            ));
        }
    }
    Ok(paid
        .into_iter()
        .map(|(client, mut facts)| {
            facts.sort_by_key(|(order, _)| *order);
            (client, facts.into_iter().map(|(_, p)| p).collect())
        })
        .collect())
}

/// What went back of the payment `intent` paid.
fn of_intent<T: Clone>(by: &HashMap<String, Vec<T>>, intent: Option<&str>) -> Vec<T> {
    intent.and_then(|i| by.get(i).cloned()).unwrap_or_default()
}

/// Stores `client`'s access as the fold of its payments gives it now, and the news of money
/// that went back ([`money_news::latest`]); its new version, `None` when the company is gone.
pub async fn store_access(
    conn: &mut AnyConnection,
    client: &ClientId,
    now: Timestamp,
) -> Result<Option<i64>, sqlx::Error> {
    let paid = paid_by_company(conn, Some(client)).await?;
    let paid = paid.get(client.as_str()).map_or(&[][..], Vec::as_slice);
    let access = access_of(paid);
    let news = money_news::latest(paid);
    let row = sqlx::query(
        "UPDATE subscriptions SET expires_at = $2, paid_until = $3, version = version + 1,
             updated_at = $4, money_back_kind = $5, money_back_amount = $6, money_back_at = $7
         WHERE client_id = $1 RETURNING version",
    )
    .bind(client.as_str())
    .bind(access.prepaid_until)
    .bind(access.paid_until)
    .bind(now.unix())
    .bind(news.map(|n| n.kind.as_str()))
    .bind(news.and_then(|n| n.amount))
    .bind(news.map(|n| n.at))
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.map(|r| r.get(0)))
}

impl Db {
    /// `client`'s payments with their refunds and disputes, in the order they were applied.
    pub async fn company_payments(&self, client: &ClientId) -> Result<Vec<Paid>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let mut paid = paid_by_company(&mut conn, Some(client)).await?;
        Ok(paid.remove(client.as_str()).unwrap_or_default())
    }

    /// Every company whose stored access differs from the fold of its stored payments.
    pub async fn unexplained_access(&self) -> Result<Vec<Unexplained>, sqlx::Error> {
        let mut conn = self.pool.acquire().await?;
        let mut paid = paid_by_company(&mut conn, None).await?;
        let stored = sqlx::query("SELECT client_id, expires_at, paid_until FROM subscriptions")
            .fetch_all(&mut *conn)
            .await?;
        Ok(stored
            .iter()
            .filter_map(|r| {
                let client: String = r.get(0);
                let stored = Access {
                    prepaid_until: r.get(1),
                    paid_until: r.get(2),
                };
                let rebuilt = access_of(&paid.remove(&client).unwrap_or_default());
                (rebuilt != stored).then_some(Unexplained {
                    client,
                    stored,
                    rebuilt,
                })
            })
            .collect())
    }
}

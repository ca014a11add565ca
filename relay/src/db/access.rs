//! Access rebuilt from the stored facts: each company's one-off payments (the factures of its
//! Checkout Sessions: when paid, and the time bought) and its automatic-renewal invoices (the
//! period each paid), folded by [`crate::core::access::fold`]. The stored `expires_at` and
//! `paid_until` are that fold's cached result; a company whose cache the fold does not rebuild
//! (an expiry set by hand, payments older than the factures) is reported after the migrations.

use std::collections::BTreeMap;

use sqlx::Row;

use super::Db;
use crate::core::access::{Access, Payment, fold};

/// A company whose stored access is not what its payments bought.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Unexplained {
    pub client: String,
    pub stored: Access,
    pub rebuilt: Access,
}

impl Db {
    /// Every company whose stored access differs from the fold of its stored payments.
    pub async fn unexplained_access(&self) -> Result<Vec<Unexplained>, sqlx::Error> {
        // Payments in the order they were applied: by the batch's time, then by facture number
        // (given in the batch's order); an invoice that billed nothing (a first charge deferred
        // to the end of prepaid time) has no number and goes first in its batch.
        let mut payments: BTreeMap<String, Vec<((i64, i64), Payment)>> = BTreeMap::new();
        let once = sqlx::query(
            "SELECT client_id, paid_at, id, period_end - period_start FROM factures
             WHERE source LIKE 'cs_%'",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &once {
            let (paid_at, duration) = (r.get(1), r.get(3));
            payments
                .entry(r.get(0))
                .or_default()
                .push(((paid_at, r.get(2)), Payment::OneOff { paid_at, duration }));
        }
        let invoices = sqlx::query(
            "SELECT i.client_id, i.created_at, COALESCE(f.id, 0), i.period_end FROM invoices i
             LEFT JOIN factures f ON f.source = i.invoice_id",
        )
        .fetch_all(&self.pool)
        .await?;
        for r in &invoices {
            let period_end = r.get(3);
            payments
                .entry(r.get(0))
                .or_default()
                .push(((r.get(1), r.get(2)), Payment::Invoice { period_end }));
        }
        let stored = sqlx::query("SELECT client_id, expires_at, paid_until FROM subscriptions")
            .fetch_all(&self.pool)
            .await?;
        Ok(stored
            .iter()
            .filter_map(|r| {
                let client: String = r.get(0);
                let stored = Access {
                    prepaid_until: r.get(1),
                    paid_until: r.get(2),
                };
                let mut facts = payments.remove(&client).unwrap_or_default();
                facts.sort_by_key(|(order, _)| *order);
                let rebuilt = fold(facts.into_iter().map(|(_, p)| p));
                (rebuilt != stored).then_some(Unexplained {
                    client,
                    stored,
                    rebuilt,
                })
            })
            .collect())
    }
}

//! The relay's factures, the legal invoices of its payments: one per payment, a number from one
//! gap-free series per calendar year (Europe/Paris), the TTC price split into HT and 20 % TVA
//! by the EN 16931 rounding rules. The payment path collects a draft per payment applied and
//! `db::factures::issue` numbers and stores the batch's drafts in the same transaction.

use crate::domain::ClientId;

const VAT_PERCENT: i64 = 20;

/// What a payment bills, before it has a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactureDraft {
    pub client: ClientId,
    /// The Checkout Session (`cs_…`) or Stripe invoice (`in_…`) paid: one facture each.
    pub source: String,
    pub plan: String,
    pub period: (i64, i64),
    pub total_cents: i64,
    pub currency: String,
    pub paid_at: i64,
    /// Stripe's own page for the payment, shown as « reçu Stripe ».
    pub hosted_url: Option<String>,
}

/// A TTC amount as (HT, TVA): HT rounded to the cent, TVA the rest, so that HT + TVA = TTC
/// exactly (49 € → 40,83 + 8,17; 499 € → 415,83 + 83,17).
pub fn split_ttc(total_cents: i64) -> (i64, i64) {
    let net = (total_cents * 100 * 2 + (100 + VAT_PERCENT)) / (2 * (100 + VAT_PERCENT));
    (net, total_cents - net)
}

/// The calendar year in Europe/Paris of a Unix time. On 1 January France is on UTC+1 (no
/// summer time then), so the year turns at 23:00 UTC on 31 December.
pub fn paris_year(ts: i64) -> i64 {
    use chrono::Datelike;
    i64::from(
        chrono::DateTime::from_timestamp(ts + 3600, 0)
            .unwrap_or_default()
            .year(),
    )
}

/// « FA-2026-000001 ».
pub fn number(year: i64, seq: i64) -> String {
    format!("FA-{year}-{seq:06}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttc_prices_split_into_ht_and_twenty_percent_vat() {
        assert_eq!(split_ttc(4900), (4083, 817));
        assert_eq!(split_ttc(49900), (41583, 8317));
        assert_eq!(split_ttc(120), (100, 20));
        for ttc in [1, 99, 4900, 12345, 49900] {
            let (ht, tva) = split_ttc(ttc);
            assert_eq!(ht + tva, ttc);
            assert!(
                (ht * 120 - ttc * 100).abs() <= 60,
                "HT rounded to the cent: {ttc}"
            );
        }
    }

    #[test]
    fn the_series_turns_at_midnight_in_paris() {
        let new_year_utc = 1_798_761_600; // 2027-01-01T00:00:00Z
        assert_eq!(paris_year(new_year_utc - 3601), 2026);
        assert_eq!(paris_year(new_year_utc - 3600), 2027, "midnight in Paris");
        assert_eq!(number(2026, 1), "FA-2026-000001");
    }
}

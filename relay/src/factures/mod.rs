//! The relay's factures, the legal invoices of its payments: one per payment, a number from one
//! gap-free series per calendar year (Europe/Paris), the TTC price split into HT and 20 % TVA
//! by the EN 16931 rounding rules. The payment path collects a draft per payment applied and
//! `db::factures::issue` numbers and stores the batch's drafts in the same transaction; the
//! document ([`cii`] XML inside a [`pdf`] PDF/A-3b) is rendered after the commit, once, and kept.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::domain::ClientId;

pub mod cii;
pub mod export;
mod fonts;
pub mod pdf;
pub mod render;
pub mod seller;
mod xmp;

pub use seller::Seller;

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
    /// The billing address and VAT number Stripe collected, as [`BuyerDetails`] JSON.
    pub buyer_details: Option<String>,
}

/// The billing details Stripe collected at checkout (address, VAT number), kept on the facture.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BuyerDetails {
    pub line1: Option<String>,
    pub line2: Option<String>,
    pub postal_code: Option<String>,
    pub city: Option<String>,
    pub country: Option<String>,
    /// A VAT number that belongs to the buyer's SIREN; one that does not is left out.
    pub vat: Option<String>,
}

impl BuyerDetails {
    /// From Stripe's `address` object and `tax_ids` list (`[{"type": "eu_vat", "value"}]`), as
    /// a session's `customer_details` or an invoice's `customer_address` / `customer_tax_ids`
    /// carry them; `None` when Stripe collected nothing.
    pub fn from_stripe(
        address: Option<&serde_json::Value>,
        tax_ids: Option<&serde_json::Value>,
    ) -> Option<Self> {
        let field = |k: &str| {
            address
                .and_then(|a| a.get(k))
                .and_then(serde_json::Value::as_str)
                .map(|v| v.chars().take(200).collect::<String>())
                .filter(|v| !v.trim().is_empty())
        };
        let vat = tax_ids
            .and_then(serde_json::Value::as_array)
            .into_iter()
            .flatten()
            .find(|t| t.get("type").and_then(serde_json::Value::as_str) == Some("eu_vat"))
            .and_then(|t| t.get("value")?.as_str())
            .map(|v| v.chars().take(40).collect::<String>());
        let d = Self {
            line1: field("line1"),
            line2: field("line2"),
            postal_code: field("postal_code"),
            city: field("city"),
            country: field("country"),
            vat,
        };
        (d != Self::default()).then_some(d)
    }

    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("plain strings")
    }
}

/// An issued facture, as stored: what it bills and to whom, never changed afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facture {
    pub year: i64,
    pub seq: i64,
    pub client: ClientId,
    pub source: String,
    pub plan: String,
    pub period: (i64, i64),
    pub total_cents: i64,
    pub currency: String,
    pub paid_at: i64,
    pub hosted_url: Option<String>,
    pub buyer_name: String,
    pub buyer_siren: Option<String>,
    pub buyer: BuyerDetails,
    pub issued_at: i64,
}

impl Facture {
    pub fn number(&self) -> String {
        number(self.year, self.seq)
    }
    /// (HT, TVA).
    pub fn split(&self) -> (i64, i64) {
        split_ttc(self.total_cents)
    }
}

/// A TTC amount as (HT, TVA): HT rounded to the cent, TVA the rest, so that HT + TVA = TTC
/// exactly (49 € → 40,83 + 8,17; 499 € → 415,83 + 83,17).
pub fn split_ttc(total_cents: i64) -> (i64, i64) {
    let net = (total_cents * 100 * 2 + (100 + VAT_PERCENT)) / (2 * (100 + VAT_PERCENT));
    (net, total_cents - net)
}

/// The calendar year in Europe/Paris of a Unix time.
pub fn paris_year(ts: i64) -> i64 {
    i64::from(paris_date(ts).year())
}

/// The date in Europe/Paris: UTC+1, or UTC+2 from the last Sunday of March to the last Sunday
/// of October (01:00 UTC both), as the EU's summer-time rule has it.
pub fn paris_date(ts: i64) -> NaiveDate {
    let utc = chrono::DateTime::from_timestamp(ts, 0).unwrap_or_default();
    let year = utc.year();
    let last_sunday_1am = |month: u32| {
        let last =
            NaiveDate::from_ymd_opt(year, month, 31).expect("March and October have 31 days");
        let back = last.weekday().num_days_from_sunday();
        (last - chrono::Days::new(u64::from(back)))
            .and_hms_opt(1, 0, 0)
            .expect("valid time")
            .and_utc()
            .timestamp()
    };
    let summer = (last_sunday_1am(3)..last_sunday_1am(10)).contains(&ts);
    (utc + chrono::Duration::hours(if summer { 2 } else { 1 })).date_naive()
}

/// « 02/12/2026 », in Europe/Paris.
pub fn short_date(ts: i64) -> String {
    paris_date(ts).format("%d/%m/%Y").to_string()
}

/// `text` cut after its first `n` characters (not bytes: a payer may type `€` first).
pub fn split_chars(text: &str, n: usize) -> (&str, &str) {
    text.split_at(text.char_indices().nth(n).map_or(text.len(), |(i, _)| i))
}

/// Whether a buyer VAT number collected by Stripe may go on the facture: a French one must be
/// `FR`, the key of its SIREN, then that SIREN (the company's own, when the relay knows it);
/// another country's must at least look like a VAT number.
pub fn acceptable_vat(vat: &str, buyer_siren: Option<&str>) -> bool {
    let vat: String = vat
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    match vat.strip_prefix("FR") {
        // Byte positions are only taken in ASCII text: a payer may type anything.
        Some(rest) if rest.len() == 11 && rest.is_ascii() => {
            let embedded = &rest[2..];
            crate::siren::Siren::parse(embedded).is_ok_and(|s| s.owns_vat(&vat))
                && buyer_siren.is_none_or(|known| known == embedded)
        }
        Some(_) => false,
        None => {
            let (country, rest) = split_chars(&vat, 2);
            country.bytes().all(|b| b.is_ascii_uppercase())
                && (8..=12).contains(&rest.len())
                && rest.bytes().all(|b| b.is_ascii_alphanumeric())
        }
    }
}

/// « FA-2026-000001 ».
pub fn number(year: i64, seq: i64) -> String {
    format!("FA-{year}-{seq:06}")
}

/// « FA-2026-000001 » back into (year, seq).
pub fn parse_number(text: &str) -> Option<(i64, i64)> {
    let (year, seq) = text.strip_prefix("FA-")?.split_once('-')?;
    let digits = |s: &str, n: usize| s.len() == n && s.bytes().all(|b| b.is_ascii_digit());
    (digits(year, 4) && digits(seq, 6))
        .then(|| (year.parse().unwrap_or(0), seq.parse().unwrap_or(0)))
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
        assert_eq!(parse_number("FA-2026-000001"), Some((2026, 1)));
        for bad in [
            "FA-2026-1",
            "FA-20x6-000001",
            "2026-000001",
            "FA-2026-000001/pdf",
            "FA--000001",
        ] {
            assert_eq!(parse_number(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_vat_number_typed_with_non_ascii_characters_is_refused_without_a_panic() {
        for typed in [
            "€1234567890",
            "FR€12345678",
            "FRé234567890",
            "éé",
            "€",
            "",
            "F€",
        ] {
            assert!(!acceptable_vat(typed, None), "{typed}");
        }
        assert_eq!(split_chars("€1234", 2), ("€1", "234"));
        assert_eq!(split_chars("F", 2), ("F", ""));
    }

    #[test]
    fn a_buyer_vat_number_goes_on_the_facture_only_if_it_is_the_companys() {
        assert!(acceptable_vat("FR44732829320", Some("732829320")));
        assert!(acceptable_vat("fr 44 732 829 320", None));
        assert!(
            !acceptable_vat("FR45732829320", Some("732829320")),
            "wrong key"
        );
        assert!(
            !acceptable_vat("FR96552100554", Some("732829320")),
            "another company's"
        );
        assert!(!acceptable_vat("FR44732829321", None), "not a SIREN");
        assert!(!acceptable_vat("FR447328293", None), "too short");
        assert!(
            acceptable_vat("BE0123456789", Some("732829320")),
            "a Belgian number is kept"
        );
        assert!(!acceptable_vat("X", None));
    }

    #[test]
    fn dates_are_read_in_paris_summer_and_winter_time() {
        // 2026-03-29 01:00 UTC: summer time starts; 2026-10-25 01:00 UTC: it ends.
        assert_eq!(short_date(1_774_746_000 - 1), "29/03/2026", "02:59 UTC+1");
        assert_eq!(
            short_date(1_782_856_800),
            "01/07/2026",
            "2026-06-30 22:00 UTC is midnight in Paris"
        );
        assert_eq!(short_date(1_782_856_800 - 1), "30/06/2026");
        assert_eq!(
            short_date(1_798_758_000),
            "01/01/2027",
            "23:00 UTC on 31 December"
        );
    }
}

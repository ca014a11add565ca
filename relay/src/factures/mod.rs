//! The relay's factures, the legal invoices of its payments: one per payment, a number from one
//! gap-free series per calendar year (Europe/Paris), the TTC price split into HT and 20 % TVA
//! by the EN 16931 rounding rules. The payment path collects a draft per payment applied and
//! `db::factures::issue` numbers and stores the batch's drafts in the same transaction; the
//! document ([`cii`] XML inside a [`pdf`] PDF/A-3b) is rendered after the commit, once, and kept.

use crate::core::amounts::split_ttc;
pub use crate::core::numbering::paris_date;
use crate::core::numbering::{Series, number};
use crate::domain::{BuyerDetails, ClientId, PlanId};

pub mod cii;
pub mod export;
mod fonts;
pub mod pdf;
mod pen;
pub mod quiet;
pub mod render;
pub mod seller;
mod xmp;
pub mod zip;

pub use seller::Seller;

/// What a payment bills, before it has a number.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FactureDraft {
    pub client: ClientId,
    /// The Checkout Session (`cs_…`) or Stripe invoice (`in_…`) paid: one facture each.
    pub source: String,
    pub plan: PlanId,
    pub period: (i64, i64),
    pub total_cents: i64,
    pub currency: String,
    pub paid_at: i64,
    /// Stripe's own page for the payment, shown as « reçu Stripe ».
    pub hosted_url: Option<String>,
    /// The billing address and VAT number Stripe collected, as [`BuyerDetails`] JSON.
    pub buyer_details: Option<String>,
}

/// Which document: a facture, or an avoir (credit note) that corrects one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DocumentKind {
    /// Type 380: a payment billed.
    Facture,
    /// Type 381: money of the facture `corrects` (issued at `corrects_issued_at`) went back
    /// (a refund, a lost chargeback) at the document's `paid_at`, for `reason`.
    Avoir {
        corrects: String,
        corrects_issued_at: i64,
        reason: String,
    },
}

/// An issued facture or avoir, as stored: what it bills (or credits) and to whom, never
/// changed afterwards. An avoir's `source` is the refund or dispute, its `paid_at` when the
/// money went back; its buyer, plan and period are those of the facture it corrects.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Facture {
    pub kind: DocumentKind,
    pub year: i64,
    pub seq: i64,
    pub client: ClientId,
    pub source: String,
    pub plan: PlanId,
    pub period: (i64, i64),
    pub total_cents: i64,
    pub currency: String,
    pub paid_at: i64,
    pub hosted_url: Option<String>,
    pub buyer_name: String,
    pub buyer_siren: Option<String>,
    /// BT-49 as the Directory gave it when the facture was issued (the SIREN alone when null).
    pub buyer_address: Option<String>,
    pub buyer: BuyerDetails,
    pub issued_at: i64,
}

impl Facture {
    pub fn series(&self) -> Series {
        match self.kind {
            DocumentKind::Facture => Series::Facture,
            DocumentKind::Avoir { .. } => Series::Avoir,
        }
    }

    pub fn number(&self) -> String {
        number(self.series(), self.year, self.seq)
    }

    /// The facture an avoir corrects.
    pub fn corrects(&self) -> Option<&str> {
        match &self.kind {
            DocumentKind::Facture => None,
            DocumentKind::Avoir { corrects, .. } => Some(corrects),
        }
    }
    /// (HT, TVA).
    pub fn split(&self) -> (i64, i64) {
        split_ttc(self.total_cents)
    }
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

#[cfg(test)]
mod tests {
    use super::*;

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

//! A facture's amounts: the TTC price paid, split into HT and 20 % TVA by the EN 16931 rules
//! (a line's net amount rounded to the cent, the VAT the rest of the price paid).

/// The one VAT rate the relay bills (France, standard rate, CGI art. 278).
pub const VAT_PERCENT: i64 = 20;

/// A TTC amount as (HT, TVA): HT = round(TTC / 1.2) to the cent, TVA = TTC − HT, so that
/// HT + TVA = TTC exactly (49 € → 40,83 + 8,17; 499 € → 415,83 + 83,17).
pub fn split_ttc(total_cents: i64) -> (i64, i64) {
    let net = (total_cents * 100 * 2 + (100 + VAT_PERCENT)) / (2 * (100 + VAT_PERCENT));
    (net, total_cents - net)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ttc_prices_split_into_ht_and_twenty_percent_vat() {
        assert_eq!(split_ttc(4900), (4083, 817));
        assert_eq!(split_ttc(49900), (41583, 8317));
        assert_eq!(split_ttc(120), (100, 20));
        assert_eq!(split_ttc(1), (1, 0));
    }

    /// Every amount from 0,01 € to 1 000 €, as a facture with one line and one VAT category
    /// writes it (partial refunds will bring arbitrary amounts), against EN 16931's rules:
    /// BR-CO-10 and BR-CO-13 (Σ line net = total HT, no allowance or charge: BR-CO-11/12 sum
    /// nothing), BR-CO-14 (total VAT = the category's), BR-CO-15 (TTC = HT + TVA), BR-CO-16 (due =
    /// TTC, nothing prepaid, no rounding amount) and BR-CO-17 (the category's VAT = its base ×
    /// 20 %, rounded to the cent: here within one cent, where the Schematron of Factur-X 1.07
    /// allows one euro).
    #[test]
    fn every_amount_up_to_a_thousand_euros_meets_the_en16931_amount_rules() {
        for ttc in 1..=100_000 {
            let (ht, tva) = split_ttc(ttc);
            let (line_net, category_base, category_vat) = (ht, ht, tva);
            assert_eq!(line_net, category_base, "BR-CO-10/13 at {ttc}");
            assert_eq!(tva, category_vat, "BR-CO-14 at {ttc}");
            assert_eq!(ht + tva, ttc, "BR-CO-15/16 at {ttc}");
            let exact_vat_x100 = category_base * VAT_PERCENT; // hundredths of a cent
            let rounded = (exact_vat_x100 + 50) / 100;
            assert!((category_vat - rounded).abs() <= 1, "BR-CO-17 at {ttc}");
            assert!(
                (ht * (100 + VAT_PERCENT) - ttc * 100).abs() <= 60,
                "HT is TTC / 1.2 rounded to the cent at {ttc}"
            );
            assert!(ht >= 0 && tva >= 0, "no negative part at {ttc}");
        }
    }
}

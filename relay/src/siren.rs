//! The SIREN, France's 9-digit company number, as `relay clients add|set --siren` takes it: the
//! digits (spaces allowed, as it is printed: « 732 829 320 ») with a Luhn check digit, so that a
//! mistyped number is refused before anything is stored. Also the French VAT number built on it:
//! `FR` + a two-digit key + the SIREN, key = (12 + 3 × (SIREN mod 97)) mod 97.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Siren(String);

impl Siren {
    pub fn parse(text: &str) -> Result<Self, String> {
        let digits: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        if digits.len() != 9 || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "SIREN « {} » invalide : 9 chiffres attendus (ex. 732 829 320)",
                text.chars().take(40).collect::<String>()
            ));
        }
        if !luhn(&digits) {
            return Err(format!(
                "SIREN {digits} invalide : la clé de contrôle ne correspond pas, vérifiez le numéro sur l'extrait Kbis"
            ));
        }
        Ok(Self(digits))
    }

    /// The SIREN made of `first_eight` (below 10⁸) and the check digit that completes it: made-up
    /// companies for demonstrations, tests and benchmarks.
    pub fn completing(first_eight: u32) -> Self {
        let stem = format!("{:08}", first_eight % 100_000_000);
        (0..10)
            .map(|d| format!("{stem}{d}"))
            .find(|digits| luhn(digits))
            .map(Self)
            .expect("one digit of ten completes a Luhn sum")
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// « 732 829 320 », as printed.
    pub fn spaced(&self) -> String {
        erp_btp_protocol::fr::siren(&self.0)
    }

    /// The French VAT number of this company: « FR44732829320 ».
    pub fn vat_number(&self) -> String {
        let n: u64 = self.0.parse().expect("nine digits");
        format!("FR{:02}{}", (12 + 3 * (n % 97)) % 97, self.0)
    }

    /// The SIREN inside a French VAT number (spaces allowed, any case) whose key matches it;
    /// `None` for another country's number or a wrong key.
    pub fn of_french_vat(vat: &str) -> Option<Self> {
        let vat: String = vat.chars().filter(|c| !c.is_whitespace()).collect();
        let rest = vat
            .get(..2)?
            .eq_ignore_ascii_case("FR")
            .then(|| vat.get(2..))??;
        let siren = Self::parse(rest.get(2..)?).ok()?;
        siren.owns_vat(&vat).then_some(siren)
    }

    /// Whether `vat` (spaces allowed) is this company's French VAT number.
    pub fn owns_vat(&self, vat: &str) -> bool {
        let vat: String = vat.chars().filter(|c| !c.is_whitespace()).collect();
        vat.eq_ignore_ascii_case(&self.vat_number())
    }
}

impl fmt::Display for Siren {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Luhn's check: from the right, every second digit doubled (minus 9 above 9), sum ≡ 0 mod 10.
fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match i % 2 {
                1 if d * 2 > 9 => d * 2 - 9,
                1 => d * 2,
                _ => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_real_siren_passes_and_a_mistyped_one_is_refused() {
        assert_eq!(Siren::parse("732 829 320").unwrap().as_str(), "732829320");
        assert_eq!(Siren::parse("552100554").unwrap().to_string(), "552100554");
        let wrong = Siren::parse("732829321").unwrap_err();
        assert!(wrong.contains("clé de contrôle"), "{wrong}");
        assert!(Siren::parse("73282932").unwrap_err().contains("9 chiffres"));
        assert!(Siren::parse("73282932A").is_err());
    }

    #[test]
    fn any_eight_digits_complete_into_a_valid_siren() {
        for stem in [0, 12_345_678, 99_999_999, 73_282_932] {
            let siren = Siren::completing(stem);
            assert_eq!(Siren::parse(siren.as_str()).as_ref(), Ok(&siren));
        }
        assert_eq!(Siren::completing(73_282_932).as_str(), "732829320");
    }

    #[test]
    fn a_french_vat_number_gives_its_siren_only_when_its_key_matches() {
        assert_eq!(
            Siren::of_french_vat("fr 44 732 829 320").map(|s| s.to_string()),
            Some("732829320".into())
        );
        for other in [
            "FR45732829320",
            "DE123456789",
            "FR44",
            "",
            "€€44732829320",
            "FR4473282932€",
        ] {
            assert_eq!(Siren::of_french_vat(other), None, "{other}");
        }
    }

    #[test]
    fn the_vat_key_follows_from_the_siren() {
        let siren = Siren::parse("732829320").unwrap();
        assert_eq!(siren.vat_number(), "FR44732829320");
        assert_eq!(siren.spaced(), "732 829 320");
        assert!(siren.owns_vat("FR 44 732829320"));
        assert!(!siren.owns_vat("FR45732829320"));
        assert!(!siren.owns_vat("FR44552100554"));
        assert_eq!(
            Siren::parse("552100554").unwrap().vat_number(),
            "FR96552100554"
        );
    }
}

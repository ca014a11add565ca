//! The SIREN, France's 9-digit company number, as `relay clients add|set --siren` takes it: the
//! digits (spaces allowed, as it is printed: « 732 829 320 ») with a Luhn check digit, so that a
//! mistyped number is refused before anything is stored.

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

    pub fn as_str(&self) -> &str {
        &self.0
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
    sum % 10 == 0
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
}

//! The operator's refund (`relay refund`): the amount typed in euros, how much of a facture may
//! still be refunded, and the idempotency key that makes the same command, run again after a
//! timeout, the same refund at Stripe. Pure.

use std::fmt;

/// Why a refund is refused before Stripe is called.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RefundRefused {
    /// The amount is not a positive number of euros with at most two decimals.
    NotAnAmount(String),
    /// The payment was already refunded whole.
    NothingLeft,
    /// More than what is left to refund.
    TooMuch { asked: i64, left: i64 },
}

impl fmt::Display for RefundRefused {
    /// In French, for the operator.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::NotAnAmount(text) => write!(
                f,
                "« {text} » n'est pas un montant en euros (ex. 10,00 ou 10)"
            ),
            Self::NothingLeft => f.write_str("ce paiement a déjà été remboursé en entier"),
            Self::TooMuch { asked, left } => write!(
                f,
                "{} demandés, mais il ne reste que {} à rembourser",
                euros(*asked),
                euros(*left)
            ),
        }
    }
}

/// « 10,00 », « 10.5 », « 10 » → cents; `None` for anything else (no sign, at most two
/// decimals, below a billion euros).
pub fn parse_euros(text: &str) -> Option<i64> {
    let text = text.trim().replace(['\u{a0}', ' '], "");
    let text = text.strip_suffix('€').unwrap_or(&text);
    let (units, decimals) = match text.split_once([',', '.']) {
        Some((_, "")) => return None,
        Some((u, d)) => (u, d),
        None => (text, ""),
    };
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if units.is_empty()
        || units.len() > 9
        || decimals.len() > 2
        || !digits(units)
        || !digits(decimals)
    {
        return None;
    }
    let cents = format!("{decimals:0<2}").parse::<i64>().ok()?;
    Some(units.parse::<i64>().ok()? * 100 + cents)
}

/// What to refund of a payment of `total` of which `refunded` already went back (or is going
/// back): `asked`, or all that is left when `None`.
pub fn refundable(total: i64, refunded: i64, asked: Option<i64>) -> Result<i64, RefundRefused> {
    let left = total - refunded;
    if left <= 0 {
        return Err(RefundRefused::NothingLeft);
    }
    match asked {
        None => Ok(left),
        Some(asked) if asked > left => Err(RefundRefused::TooMuch { asked, left }),
        Some(asked) => Ok(asked),
    }
}

/// Stripe's `Idempotency-Key` for refunding `amount` of facture `number` after `refunded`
/// went back: the same command run again (a timeout, a retry) is the same refund, while a
/// later partial refund of the same amount, once the first is known, is a new one.
pub fn idempotency_key(number: &str, amount: i64, refunded: i64) -> String {
    format!("relay-refund-{number}-{amount}-after-{refunded}")
}

/// « 10,00 € ».
pub fn euros(cents: i64) -> String {
    format!("{},{:02}\u{a0}€", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn euros_are_read_as_a_french_operator_types_them() {
        for (typed, cents) in [
            ("10,00", 1000),
            ("10.5", 1050),
            ("10", 1000),
            (" 1 234,56 € ", 123_456),
            ("0,01", 1),
        ] {
            assert_eq!(parse_euros(typed), Some(cents), "{typed}");
        }
        for bad in [
            "", "-5", "10,001", "1e3", "dix", ",50", "10,", "€", "10,0,0",
        ] {
            assert_eq!(parse_euros(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_refund_never_exceeds_what_is_left() {
        assert_eq!(refundable(4900, 0, None), Ok(4900));
        assert_eq!(refundable(4900, 1000, Some(1000)), Ok(1000));
        assert_eq!(refundable(4900, 1000, None), Ok(3900));
        assert_eq!(
            refundable(4900, 1000, Some(4000)),
            Err(RefundRefused::TooMuch {
                asked: 4000,
                left: 3900
            })
        );
        assert_eq!(
            refundable(4900, 4900, None),
            Err(RefundRefused::NothingLeft)
        );
        assert_eq!(
            RefundRefused::TooMuch {
                asked: 4000,
                left: 3900
            }
            .to_string(),
            "40,00\u{a0}€ demandés, mais il ne reste que 39,00\u{a0}€ à rembourser"
        );
    }

    #[test]
    fn the_same_command_is_the_same_refund_and_a_later_one_is_new() {
        let first = idempotency_key("FA-2026-000123", 1000, 0);
        assert_eq!(first, idempotency_key("FA-2026-000123", 1000, 0));
        assert_ne!(first, idempotency_key("FA-2026-000123", 1000, 1000));
        assert_ne!(first, idempotency_key("FA-2026-000124", 1000, 0));
    }
}

//! The automatic-renewal settings read from the environment: the margin after a paid period
//! while Stripe renews, and the grace after a failed charge (their rule is
//! [`crate::core::renewal::RenewalRow::access_end`]).

use super::{ConfigError, err};
use crate::core::DAY;
use crate::core::renewal::RenewalPolicy;

/// `RELAY_RENEWAL_MARGIN` and `RELAY_GRACE_DAYS`, each its default when unset.
pub fn renewal_policy(get: &impl Fn(&str) -> Option<String>) -> Result<RenewalPolicy, ConfigError> {
    let mut policy = RenewalPolicy::default();
    if let Some(text) = get("RELAY_RENEWAL_MARGIN") {
        policy.margin = parse_duration(&text).ok_or_else(|| {
            err(
                "RELAY_RENEWAL_MARGIN",
                format!("vaut « {text} » : une durée est attendue (ex. 2d, 48h, 30m)"),
            )
        })?;
    }
    if let Some(text) = get("RELAY_GRACE_DAYS") {
        let days: i64 = text
            .trim()
            .parse()
            .ok()
            .filter(|d| (0..=60).contains(d))
            .ok_or_else(|| {
                err(
                    "RELAY_GRACE_DAYS",
                    format!("vaut « {text} » : un nombre de jours entre 0 et 60 est attendu"),
                )
            })?;
        policy.grace = days * DAY;
    }
    Ok(policy)
}

/// `90s`, `30m`, `72h`, `2d` (or bare seconds) → seconds.
pub fn parse_duration(text: &str) -> Option<i64> {
    let text = text.trim();
    let (number, unit) = match text.char_indices().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, _)) => text.split_at(i),
        None => (text, "s"),
    };
    let n: i64 = number.parse().ok()?;
    let unit = match unit {
        "s" => 1,
        "m" => 60,
        "h" => 3600,
        "d" => DAY,
        _ => return None,
    };
    n.checked_mul(unit)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_an_operator_writes_them() {
        assert_eq!(parse_duration("72h"), Some(72 * 3600));
        assert_eq!(parse_duration("2d"), Some(2 * DAY));
        assert_eq!(parse_duration("90"), Some(90));
        assert_eq!(parse_duration("2 days"), None);
        assert_eq!(parse_duration("h"), None);
    }
}

//! French formatting shared by the relay's pages and the desktop app: dates as a French reader
//! writes them (« 1er août 2026 », « 21 février 2026 »), from Unix seconds, in UTC, amounts, and
//! the one sentence on automatic renewal.

use crate::{MoneyBack, MoneyBackKind, RenewalMode, RenewalState, RenewalStatus};

const MONTHS: [&str; 12] = [
    "janvier",
    "février",
    "mars",
    "avril",
    "mai",
    "juin",
    "juillet",
    "août",
    "septembre",
    "octobre",
    "novembre",
    "décembre",
];

/// (year, month 1-12, day 1-31) of a Unix time, proleptic Gregorian, UTC.
fn civil(ts: i64) -> (i64, usize, i64) {
    // Howard Hinnant's days-to-civil algorithm.
    let z = ts.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month as usize, day)
}

/// « 21 février 2026 », « 1er août 2026 ».
pub fn date(ts: i64) -> String {
    let (year, month, day) = civil(ts);
    let day = if day == 1 {
        "1er".to_owned()
    } else {
        day.to_string()
    };
    format!("{day} {} {year}", MONTHS[month - 1])
}

/// How a sentence reads: good news, a warning, or something to fix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "lowercase")]
pub enum Tone {
    Ok,
    Warn,
    Bad,
}

/// The sentence on automatic renewal and its tone, with the dates
/// already written in French: the next charge, and `until`, the end of access. `None` for a
/// company that never renewed automatically.
pub fn renewal_sentence(
    r: &RenewalStatus,
    next_charge_on: Option<&str>,
    until: &str,
) -> Option<(String, Tone)> {
    let auto = r.mode == RenewalMode::Auto;
    if auto && r.payment_failed {
        let text = format!("Le prélèvement a échoué : mettez à jour votre carte avant le {until}.");
        return Some((text, Tone::Bad));
    }
    if let (true, Some(next)) = (auto, next_charge_on) {
        let card = r
            .card_last4
            .as_deref()
            .map(|l| format!(" — carte •••• {l}"))
            .unwrap_or_default();
        return Some((
            format!("Renouvellement automatique le {next}{card}"),
            Tone::Ok,
        ));
    }
    let stopped = auto || r.state == Some(RenewalState::Canceled);
    stopped.then(|| {
        let text = format!("Renouvellement automatique désactivé — accès jusqu'au {until}.");
        (text, Tone::Warn)
    })
}

/// The sentence on money that went back and its tone, its date already written in French.
/// `None` for a kind this app does not know (a newer relay's).
pub fn money_back_sentence(m: &MoneyBack, on: &str) -> Option<(String, Tone)> {
    Some(match m.kind {
        MoneyBackKind::Refunded => (format!("Paiement remboursé le {on}."), Tone::Warn),
        MoneyBackKind::PartiallyRefunded => (
            format!(
                "Remboursement partiel de {} le {on}.",
                euros_cents(m.amount_cents.unwrap_or_default())
            ),
            Tone::Ok,
        ),
        MoneyBackKind::RefundPending => ("Remboursement en cours.".to_owned(), Tone::Warn),
        MoneyBackKind::Disputed => (
            "Paiement contesté auprès de votre banque : accès suspendu.".to_owned(),
            Tone::Bad,
        ),
        MoneyBackKind::DisputeWon => ("Contestation close en votre faveur.".to_owned(), Tone::Ok),
        MoneyBackKind::DisputeLost => (
            format!("Contestation close le {on} : le paiement a été repris par votre banque."),
            Tone::Bad,
        ),
        MoneyBackKind::Unknown => return None,
    })
}

/// A SIREN as printed on a Kbis, « 552 100 554 », when it is nine digits; anything else as it
/// came (a payer or an older record may hold another text).
pub fn siren(text: &str) -> String {
    match text.len() == 9 && text.bytes().all(|b| b.is_ascii_digit()) {
        true => format!("{} {} {}", &text[0..3], &text[3..6], &text[6..9]),
        false => text.to_owned(),
    }
}

/// « 10,00 € »: an amount given back, always with its cents.
pub fn euros_cents(cents: i64) -> String {
    format!("{},{:02}\u{a0}€", cents / 100, cents % 100)
}

/// « 49 € », « 49,90 € » (no-break space before the sign).
pub fn euros(cents: i64) -> String {
    if cents % 100 == 0 {
        format!("{}\u{a0}€", cents / 100)
    } else {
        format!("{},{:02}\u{a0}€", cents / 100, cents % 100)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_siren_reads_in_three_groups_and_anything_else_as_it_came() {
        assert_eq!(siren("552100554"), "552 100 554");
        assert_eq!(siren("€52100554"), "€52100554");
        assert_eq!(siren("55210055"), "55210055");
    }

    #[test]
    fn dates_read_as_in_french() {
        assert_eq!(date(1_771_666_200), "21 février 2026");
        assert_eq!(date(1_785_542_400), "1er août 2026");
        assert_eq!(date(0), "1er janvier 1970");
        assert_eq!(date(951_782_400), "29 février 2000");
        assert_eq!(date(1_798_675_200), "31 décembre 2026");
    }

    #[test]
    fn money_back_reads_in_french() {
        let m = |kind, amount_cents| MoneyBack {
            kind,
            amount_cents,
            at: "2026-12-05T09:30:00Z".into(),
        };
        let on = "5 décembre 2026";
        let said = |k, a| money_back_sentence(&m(k, a), on).map(|(t, _)| t);
        assert_eq!(
            said(MoneyBackKind::PartiallyRefunded, Some(1000)).unwrap(),
            "Remboursement partiel de 10,00\u{a0}€ le 5 décembre 2026."
        );
        assert_eq!(
            said(MoneyBackKind::Refunded, None).unwrap(),
            "Paiement remboursé le 5 décembre 2026."
        );
        assert_eq!(
            money_back_sentence(&m(MoneyBackKind::Disputed, None), on).unwrap(),
            (
                "Paiement contesté auprès de votre banque : accès suspendu.".to_owned(),
                Tone::Bad
            )
        );
        assert_eq!(said(MoneyBackKind::Unknown, None), None);
    }

    #[test]
    fn amounts_read_as_in_french() {
        assert_eq!(euros(4900), "49\u{a0}€");
        assert_eq!(euros(4990), "49,90\u{a0}€");
    }
}

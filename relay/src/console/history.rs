//! The company page's « Historique de l'abonnement »: [`crate::core::history`] in French, one
//! line per payment, refund and dispute with its effect on the period the company has paid for.

use erp_btp_protocol::fr;

use super::error::ConsoleError;
use crate::core::DAY;
use crate::core::history::{Effect, Entry, What, history};
use crate::core::reversal::{DisputeStatus, RefundStatus};
use crate::domain::ClientId;
use crate::state::AppState;

pub struct HistoryLine {
    pub date: String,
    pub what: String,
    pub amount: String,
    pub effect: String,
    /// `good` (extended), `bad` (shortened) or `muted`.
    pub tone: &'static str,
}

/// `client`'s history, newest first.
pub async fn of_company(
    state: &AppState,
    client: &ClientId,
) -> Result<Vec<HistoryLine>, ConsoleError> {
    let paid = state.db.company_payments(client).await?;
    Ok(history(&paid).iter().rev().map(line).collect())
}

fn line(e: &Entry) -> HistoryLine {
    let (effect, tone) = effect(e.effect);
    HistoryLine {
        date: super::when(e.at),
        what: what(e.what, e.amount),
        amount: e.amount.map(fr::euros_cents).unwrap_or_else(|| "—".into()),
        effect,
        tone,
    }
}

fn what(what: What, amount: Option<i64>) -> String {
    match what {
        What::OneOff => "Paiement ponctuel".into(),
        What::Renewal => "Prélèvement du renouvellement automatique".into(),
        What::Refund { status, paid } => {
            let part = match amount.is_some_and(|a| a < paid) {
                true => "Remboursement partiel",
                false => "Remboursement",
            };
            let status = match status {
                RefundStatus::Pending | RefundStatus::RequiresAction => " (en cours)",
                RefundStatus::Succeeded => "",
                RefundStatus::Failed => " (échoué)",
                RefundStatus::Canceled => " (annulé)",
            };
            format!("{part}{status}")
        }
        What::Dispute { status } => match status {
            DisputeStatus::Inquiry => "Demande d'information de la banque".into(),
            DisputeStatus::Open => "Contestation bancaire en cours".into(),
            DisputeStatus::Won => "Contestation bancaire (gagnée)".into(),
            DisputeStatus::Lost => "Contestation bancaire (perdue)".into(),
            DisputeStatus::Prevented => "Contestation bancaire (évitée)".into(),
        },
    }
}

fn effect(effect: Effect) -> (String, &'static str) {
    match effect {
        Effect::Extended { from: None, to } => (format!("payé jusqu'au {}", fr::date(to)), "good"),
        Effect::Extended { from: Some(f), to } => (
            format!("payé jusqu'au {} ({})", fr::date(to), days(to - f, '+')),
            "good",
        ),
        Effect::Shortened { from, to: Some(t) } => (
            format!("payé jusqu'au {} ({})", fr::date(t), days(from - t, '−')),
            "bad",
        ),
        Effect::Shortened { to: None, .. } => ("plus aucune période payée".into(), "bad"),
        Effect::Unchanged => ("sans effet sur l'accès".into(), "muted"),
    }
}

/// « +30 jours », « −1 jour » (to the nearest day: a refund a minute after its payment takes
/// back 30 days, not 29), « +5 h » under half a day.
fn days(seconds: i64, sign: char) -> String {
    match (seconds + DAY / 2) / DAY {
        0 => format!("{sign}{} h", (seconds / 3600).max(1)),
        1 => format!("{sign}1 jour"),
        n => format!("{sign}{n} jours"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_effect_reads_in_french_with_the_days_it_moved() {
        let t = 1_796_630_100;
        assert_eq!(
            effect(Effect::Extended {
                from: Some(t),
                to: t + 30 * DAY
            }),
            (
                "payé jusqu'au 6 janvier 2027 (+30 jours)".to_owned(),
                "good"
            )
        );
        assert_eq!(
            effect(Effect::Shortened {
                from: t + DAY,
                to: Some(t)
            })
            .0,
            "payé jusqu'au 7 décembre 2026 (−1 jour)"
        );
        assert_eq!(days(7200, '+'), "+2 h");
        assert_eq!(days(30 * DAY - 60, '−'), "−30 jours");
        assert_eq!(
            what(
                What::Refund {
                    status: RefundStatus::Pending,
                    paid: 4900
                },
                Some(900)
            ),
            "Remboursement partiel (en cours)"
        );
    }
}

//! System notifications the admin should not miss while the app sits in the background on a
//! site laptop: an expiry within 7 days that will not renew by itself, and a failed renewal
//! charge. Each is shown once (its key is kept with the session), whatever the number of
//! refreshes, until the situation changes.

use std::sync::Arc;

use erp_btp_protocol::SubscriptionState;

use crate::view::{StatusView, Tone, WARN_DAYS};

/// Shows a system notification (title, body); failures are the desktop's business, not ours.
pub type Notifier = Arc<dyn Fn(&str, &str) + Send + Sync>;

pub fn silent() -> Notifier {
    Arc::new(|_, _| {})
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reminder {
    /// What it is about: the same key is never shown twice.
    pub key: String,
    pub title: String,
    pub body: String,
}

/// The reminder `view` calls for, if any.
pub fn reminder(view: &StatusView) -> Option<Reminder> {
    let until = view.expires_on.as_deref().unwrap_or("—");
    if let Some(r) = view
        .renewal
        .as_ref()
        .filter(|r| r.live && r.tone == Tone::Bad)
    {
        return Some(Reminder {
            key: format!("failed:{until}"),
            title: "ERP BTP : prélèvement échoué".into(),
            body: format!(
                "{} Ouvrez l'application, puis « Gérer le paiement ».",
                r.text
            ),
        });
    }
    let renews = view
        .renewal
        .as_ref()
        .is_some_and(|r| r.live && r.tone == Tone::Ok);
    let soon = view.status == SubscriptionState::Active && view.days_remaining <= WARN_DAYS;
    (soon && !renews).then(|| Reminder {
        key: format!("expiry:{until}"),
        title: "ERP BTP : abonnement bientôt expiré".into(),
        body: format!(
            "Votre abonnement expire le {until} ({} jour{}) et ne se renouvellera pas tout seul : renouvelez-le depuis l'application.",
            view.days_remaining,
            if view.days_remaining > 1 { "s" } else { "" }
        ),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::view::RenewalLine;

    fn view(days: i64, renewal: Option<(Tone, bool)>) -> StatusView {
        StatusView {
            client_id: "39".into(),
            plan: Some("Mensuel".into()),
            status: SubscriptionState::Active,
            status_label: "Actif".into(),
            expires_on: Some("26 février 2026".into()),
            days_remaining: days,
            expiring_soon: days <= WARN_DAYS,
            version: 1,
            last_sync: None,
            offline: false,
            notice: None,
            test_mode: true,
            renewal: renewal.map(|(tone, live)| RenewalLine {
                text:
                    "Le prélèvement a échoué : mettez à jour votre carte avant le 26 février 2026."
                        .into(),
                tone,
                live,
            }),
            money_back: None,
            plans: vec![],
        }
    }

    #[test]
    fn an_expiry_that_will_not_renew_by_itself_is_announced_a_week_ahead() {
        let r = reminder(&view(5, None)).unwrap();
        assert_eq!(r.key, "expiry:26 février 2026");
        assert!(
            r.body.contains("expire le 26 février 2026 (5 jours)"),
            "{}",
            r.body
        );
        assert_eq!(reminder(&view(8, None)), None, "not yet");
        assert_eq!(
            reminder(&view(5, Some((Tone::Ok, true)))),
            None,
            "it renews by itself"
        );
        assert!(
            reminder(&view(5, Some((Tone::Warn, true)))).is_some(),
            "renewal stopped"
        );
    }

    #[test]
    fn a_failed_renewal_is_announced_at_once() {
        let r = reminder(&view(30, Some((Tone::Bad, true)))).unwrap();
        assert_eq!(r.key, "failed:26 février 2026");
        assert!(r.body.starts_with("Le prélèvement a échoué"));
    }
}

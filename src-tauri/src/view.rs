//! What the window shows, computed here so the UI only displays it: plan and status in French,
//! the expiry as a French reader writes it, days left, the 7-day warning, and whether the
//! figures come from the relay or from the offline cache.

use erp_btp_protocol::{EntitlementPayload, Plan, StripeMode, SubscriptionState, fr};
use serde::{Deserialize, Serialize};

const DAY: i64 = 86_400;
/// Days before expiry from which the app warns.
pub const WARN_DAYS: i64 = 7;

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct PlanOption {
    pub id: String,
    pub name: String,
    /// « 49 € »
    pub price: String,
    /// « 30 jours »
    pub duration: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StatusView {
    pub client_id: String,
    /// Plan name (« Mensuel »), if ever paid.
    pub plan: Option<String>,
    /// `active`, `expired`, `none` or `pending`.
    pub status: String,
    /// « Actif », « Expiré », « Aucun abonnement », « Paiement en cours ».
    pub status_label: String,
    /// « 21 février 2026 »
    pub expires_on: Option<String>,
    pub days_remaining: i64,
    pub expiring_soon: bool,
    pub version: i64,
    /// Unix seconds of the last successful read from the relay.
    pub last_sync: Option<i64>,
    /// True when the relay could not be reached and the cache is shown.
    pub offline: bool,
    /// A remark for the user (e.g. the computer's clock is behind).
    pub notice: Option<String>,
    /// True unless the relay's Stripe is live: the window then says « Mode test ».
    pub test_mode: bool,
    pub plans: Vec<PlanOption>,
}

pub fn plan_options(plans: &[Plan]) -> Vec<PlanOption> {
    plans
        .iter()
        .map(|p| PlanOption {
            id: p.id.clone(),
            name: p.name.clone(),
            price: fr::euros(p.price_cents),
            duration: format!("{} jours", p.duration_days),
        })
        .collect()
}

/// The view of a verified entitlement at time `now` (already corrected for a clock set back).
/// Offline, the state is recomputed from the signed expiry: an expiry passed since the last
/// sync shows as expired even without the relay.
pub fn status_view(
    payload: &EntitlementPayload,
    plans: &[Plan],
    now: i64,
    last_sync: Option<i64>,
    offline: bool,
) -> StatusView {
    let expires_at = payload
        .expires_at
        .as_deref()
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
        .map(|d| d.timestamp());
    let status = match (payload.status, expires_at) {
        (SubscriptionState::Active, Some(e)) if e <= now => SubscriptionState::Expired,
        (s, _) => s,
    };
    let days_remaining = match expires_at {
        Some(e) if e > now => (e - now + DAY - 1) / DAY,
        _ => 0,
    };
    let label = match status {
        SubscriptionState::Active => "Actif",
        SubscriptionState::Expired => "Expiré",
        SubscriptionState::None => "Aucun abonnement",
        SubscriptionState::Pending => "Paiement en cours",
    };
    let plan = payload.plan.as_deref().map(|id| {
        plans
            .iter()
            .find(|p| p.id == id)
            .map(|p| p.name.clone())
            .unwrap_or_else(|| id.to_owned())
    });
    StatusView {
        client_id: payload.client_id.clone(),
        plan,
        status: status.as_str().to_owned(),
        status_label: label.to_owned(),
        expires_on: expires_at.map(fr::date),
        days_remaining,
        expiring_soon: status == SubscriptionState::Active && days_remaining <= WARN_DAYS,
        version: payload.version,
        last_sync,
        offline,
        notice: None,
        test_mode: payload.mode != Some(StripeMode::Live),
        plans: plan_options(plans),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_771_666_200; // 2026-02-21T09:30:00Z

    fn payload(status: SubscriptionState, expires: Option<&str>) -> EntitlementPayload {
        EntitlementPayload {
            typ: erp_btp_protocol::ENTITLEMENT_TYP.into(),
            key_id: "k".into(),
            client_id: "39".into(),
            plan: Some("mensuel".into()),
            status,
            expires_at: expires.map(str::to_owned),
            issued_at: "2026-02-21T09:30:00Z".into(),
            version: 4,
            mode: Some(erp_btp_protocol::StripeMode::Test),
        }
    }

    fn plans() -> Vec<Plan> {
        vec![Plan {
            id: "mensuel".into(),
            name: "Mensuel".into(),
            price_cents: 4900,
            currency: "eur".into(),
            duration_days: 30,
            features: vec![],
        }]
    }

    #[test]
    fn an_active_subscription_reads_in_french_and_warns_in_its_last_week() {
        let v = status_view(
            &payload(SubscriptionState::Active, Some("2026-02-26T09:30:00Z")),
            &plans(),
            NOW,
            Some(NOW),
            false,
        );
        assert_eq!(
            (
                v.status_label.as_str(),
                v.plan.as_deref(),
                v.expires_on.as_deref()
            ),
            ("Actif", Some("Mensuel"), Some("26 février 2026"))
        );
        assert_eq!((v.days_remaining, v.expiring_soon), (5, true));
        assert_eq!(v.plans[0].price, "49\u{a0}€");
        let far = status_view(
            &payload(SubscriptionState::Active, Some("2026-03-23T09:30:00Z")),
            &plans(),
            NOW,
            None,
            false,
        );
        assert_eq!((far.days_remaining, far.expiring_soon), (30, false));
    }

    #[test]
    fn mode_test_is_shown_unless_the_relay_says_live() {
        let mut p = payload(SubscriptionState::Active, Some("2026-02-26T09:30:00Z"));
        assert!(status_view(&p, &plans(), NOW, None, false).test_mode);
        p.mode = None;
        assert!(
            status_view(&p, &plans(), NOW, None, false).test_mode,
            "an older relay says nothing"
        );
        p.mode = Some(StripeMode::Live);
        assert!(!status_view(&p, &plans(), NOW, None, false).test_mode);
    }

    #[test]
    fn offline_an_expiry_passed_since_the_last_sync_shows_expired() {
        let v = status_view(
            &payload(SubscriptionState::Active, Some("2026-02-20T09:30:00Z")),
            &plans(),
            NOW,
            Some(NOW - 5 * DAY),
            true,
        );
        assert_eq!(
            (
                v.status.as_str(),
                v.status_label.as_str(),
                v.days_remaining,
                v.offline
            ),
            ("expired", "Expiré", 0, true)
        );
    }
}

//! What the window shows, computed here so the UI only displays it: plan and status in French,
//! the expiry as a French reader writes it, days left, the 7-day warning, and whether the
//! figures come from the relay or from the offline cache.

use erp_btp_protocol::{
    EntitlementPayload, Plan, RenewalMode, RenewalStatus, StripeMode, SubscriptionState, fr,
};
pub use fr::Tone;
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
    /// The plan can renew automatically.
    pub renewable: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct StatusView {
    pub client_id: String,
    /// Plan name (« Mensuel »), if ever paid.
    pub plan: Option<String>,
    pub status: SubscriptionState,
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
    /// Automatic renewal, when the company has it (or just stopped it).
    pub renewal: Option<RenewalLine>,
    /// Money that went back: « Paiement remboursé le … », « Paiement contesté auprès de votre
    /// banque : accès suspendu »…
    pub money_back: Option<MoneyBackLine>,
    pub plans: Vec<PlanOption>,
}

/// One sentence on automatic renewal and how it reads: « Renouvellement automatique le
/// 24 décembre 2026 — carte •••• 4242 » (`ok`), a failed charge (`bad`), renewal off (`warn`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct RenewalLine {
    pub text: String,
    pub tone: Tone,
    /// The subscription is live: Stripe charges by itself and no new checkout can be opened.
    pub live: bool,
}

/// One sentence on money that went back, and how it reads.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct MoneyBackLine {
    pub text: String,
    pub tone: Tone,
}

/// The money-back sentence from the signed renewal facts.
pub fn money_back_line(renewal: Option<&RenewalStatus>) -> Option<MoneyBackLine> {
    let m = renewal?.money_back.as_ref()?;
    let on = date_of(Some(&m.at)).map(fr::date).unwrap_or_default();
    let (text, tone) = fr::money_back_sentence(m, &on)?;
    Some(MoneyBackLine { text, tone })
}

fn date_of(rfc3339: Option<&str>) -> Option<i64> {
    rfc3339
        .and_then(|e| chrono::DateTime::parse_from_rfc3339(e).ok())
        .map(|d| d.timestamp())
}

/// The renewal sentence from the signed renewal facts; `expires_on` is the end of access.
pub fn renewal_line(
    renewal: Option<&RenewalStatus>,
    expires_on: Option<&str>,
) -> Option<RenewalLine> {
    let r = renewal?;
    let next = date_of(r.next_charge_at.as_deref()).map(fr::date);
    let (text, tone) = fr::renewal_sentence(r, next.as_deref(), expires_on.unwrap_or("—"))?;
    Some(RenewalLine {
        text,
        tone,
        live: r.mode == RenewalMode::Auto,
    })
}

pub fn plan_options(plans: &[Plan]) -> Vec<PlanOption> {
    plans
        .iter()
        .map(|p| PlanOption {
            id: p.id.clone(),
            name: p.name.clone(),
            price: fr::euros(p.price_cents),
            duration: format!("{} jours", p.duration_days),
            renewable: p.interval.is_some(),
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
    let renewal = renewal_line(
        payload.renewal.as_ref(),
        expires_at.map(fr::date).as_deref(),
    );
    // A subscription that renews by itself is not about to expire.
    let renews = renewal
        .as_ref()
        .is_some_and(|r| r.live && r.tone == Tone::Ok);
    StatusView {
        client_id: payload.client_id.clone(),
        plan,
        status,
        status_label: label.to_owned(),
        expires_on: expires_at.map(fr::date),
        days_remaining,
        expiring_soon: status == SubscriptionState::Active
            && days_remaining <= WARN_DAYS
            && !renews,
        version: payload.version,
        last_sync,
        offline,
        notice: None,
        test_mode: payload.mode != Some(StripeMode::Live),
        money_back: money_back_line(payload.renewal.as_ref()),
        renewal,
        plans: plan_options(plans),
    }
}

#[cfg(test)]
#[path = "view_tests.rs"]
mod tests;

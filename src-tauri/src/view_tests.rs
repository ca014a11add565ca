//! What the window says, from signed payloads: statuses, renewal and money-back sentences.

use super::*;
use erp_btp_protocol::RenewalState;

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
        renewal: None,
    }
}

fn plans() -> Vec<Plan> {
    vec![Plan {
        interval: None,
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

fn renewing(failed: bool, next: Option<&str>) -> RenewalStatus {
    RenewalStatus {
        money_back: None,
        mode: RenewalMode::Auto,
        state: Some(if failed {
            RenewalState::PastDue
        } else {
            RenewalState::Active
        }),
        paid_until: Some("2026-02-24T09:30:00Z".into()),
        next_charge_at: next.map(str::to_owned),
        cancel_at_period_end: next.is_none() && !failed,
        payment_failed: failed,
        card_last4: Some("4242".into()),
    }
}

#[test]
fn each_renewal_state_reads_as_one_french_sentence() {
    let mut p = payload(SubscriptionState::Active, Some("2026-02-26T09:30:00Z"));
    p.renewal = Some(renewing(false, Some("2026-02-24T09:30:00Z")));
    let v = status_view(&p, &plans(), NOW, None, false);
    let line = v.renewal.unwrap();
    assert_eq!(
        line.text,
        "Renouvellement automatique le 24 février 2026 — carte •••• 4242"
    );
    assert!(line.live && line.tone == Tone::Ok);
    assert!(!v.expiring_soon, "it renews by itself");
    p.renewal = Some(renewing(true, Some("2026-02-24T09:30:00Z")));
    let v = status_view(&p, &plans(), NOW, Some(NOW - DAY), true);
    assert_eq!(
        v.status,
        SubscriptionState::Active,
        "a renewal in its grace is access, offline too"
    );
    assert_eq!(
        v.renewal.unwrap().text,
        "Le prélèvement a échoué : mettez à jour votre carte avant le 26 février 2026."
    );
    p.renewal = Some(renewing(false, None));
    assert_eq!(
        status_view(&p, &plans(), NOW, None, false)
            .renewal
            .unwrap()
            .text,
        "Renouvellement automatique désactivé — accès jusqu'au 26 février 2026."
    );
    p.renewal = None;
    assert_eq!(status_view(&p, &plans(), NOW, None, false).renewal, None);
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
            v.status,
            v.status_label.as_str(),
            v.days_remaining,
            v.offline
        ),
        (SubscriptionState::Expired, "Expiré", 0, true)
    );
}

#[test]
fn a_chargeback_is_said_in_french_with_its_tone() {
    let mut p = payload(SubscriptionState::Expired, Some("2026-02-20T09:30:00Z"));
    let mut renewal = renewing(false, None);
    renewal.money_back = Some(erp_btp_protocol::MoneyBack {
        kind: erp_btp_protocol::MoneyBackKind::Disputed,
        amount_cents: None,
        at: "2026-02-20T09:30:00Z".into(),
    });
    p.renewal = Some(renewal);
    let v = status_view(&p, &[], NOW, None, false);
    assert_eq!(
        v.money_back,
        Some(MoneyBackLine {
            text: "Paiement contesté auprès de votre banque : accès suspendu.".into(),
            tone: Tone::Bad
        })
    );
    assert_eq!(
        status_view(
            &payload(SubscriptionState::Active, None),
            &[],
            NOW,
            None,
            false
        )
        .money_back,
        None
    );
}

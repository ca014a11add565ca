//! The renewal steps' rules, and that any order of delivery ends in the same renewal.

use super::*;
use crate::core::DAY;

fn plan(id: &str) -> PlanId {
    PlanId::parse(id).unwrap()
}

const P: i64 = 1_790_000_000;
const MONTH: i64 = 30 * DAY;

fn renewing(sub: &str, paid_until: i64) -> StoredRenewal {
    StoredRenewal {
        row: RenewalRow {
            subscription_id: Some(sub.into()),
            state: Some(RenewalState::Active),
            paid_until: Some(paid_until),
            current_period_end: Some(paid_until),
            ..Default::default()
        },
        customer_id: Some("cus_1".into()),
        plan: Some(plan("mensuel")),
        read_at: None,
    }
}

fn read(sub: &str, status: &str, read_at: i64) -> SubscriptionFacts {
    SubscriptionFacts {
        id: sub.into(),
        customer: Some("cus_1".into()),
        client_id: None,
        plan: Some("mensuel".into()),
        status: status.into(),
        cancel_at_period_end: false,
        current_period_end: Some(P + MONTH),
        card_last4: Some("4242".into()),
        latest_invoice: None,
        livemode: false,
        read_at,
    }
}

#[test]
fn a_first_paid_invoice_starts_renewal_through_its_subscription() {
    let after = invoice_paid(
        &StoredRenewal::default(),
        Some("sub_1"),
        Some("cus_1"),
        &plan("mensuel"),
        P,
    );
    assert_eq!(after.row.subscription_id.as_deref(), Some("sub_1"));
    assert_eq!(after.row.state, Some(RenewalState::Active));
    assert_eq!(after.row.paid_until, Some(P));
    assert_eq!(after.customer_id.as_deref(), Some("cus_1"));
    assert_eq!(after.plan, Some(plan("mensuel")));
}

#[test]
fn an_older_paid_period_never_moves_paid_until_back_nor_clears_a_newer_failure() {
    let mut stored = renewing("sub_1", P + MONTH);
    stored.row.state = Some(RenewalState::PastDue);
    stored.row.payment_failed = true;
    let after = invoice_paid(&stored, Some("sub_1"), None, &plan("mensuel"), P);
    assert_eq!(after.row.paid_until, Some(P + MONTH));
    assert_eq!(after.row.state, Some(RenewalState::PastDue));
    assert!(after.row.payment_failed);
}

#[test]
fn paying_the_failed_period_clears_the_failure() {
    let mut stored = renewing("sub_1", P);
    stored.row.state = Some(RenewalState::PastDue);
    stored.row.payment_failed = true;
    let after = invoice_paid(&stored, Some("sub_1"), None, &plan("mensuel"), P + MONTH);
    assert_eq!(after.row.state, Some(RenewalState::Active));
    assert!(!after.row.payment_failed);
    assert_eq!(after.row.current_period_end, Some(P + MONTH));
}

#[test]
fn a_new_subscription_paid_after_a_cancelled_one_takes_over() {
    let mut stored = renewing("sub_old", P);
    stored.row.state = Some(RenewalState::Canceled);
    let after = invoice_paid(
        &stored,
        Some("sub_new"),
        Some("cus_2"),
        &plan("annuel"),
        P + MONTH,
    );
    assert_eq!(after.row.subscription_id.as_deref(), Some("sub_new"));
    assert_eq!(after.row.state, Some(RenewalState::Active));
    assert_eq!(
        after.customer_id.as_deref(),
        Some("cus_1"),
        "the customer first stored is kept"
    );
    let late = invoice_paid(&stored, Some("sub_old"), None, &plan("mensuel"), P + MONTH);
    assert_eq!(
        late.row.state,
        Some(RenewalState::Canceled),
        "a late invoice of the cancelled subscription does not revive it"
    );
}

#[test]
fn a_failed_charge_counts_only_for_an_unpaid_period_of_the_live_subscription() {
    let stored = renewing("sub_1", P);
    let failed = payment_failed(&stored, Some("sub_1"), P + MONTH, false).unwrap();
    assert_eq!(failed.row.state, Some(RenewalState::PastDue));
    assert!(failed.row.payment_failed);
    assert_eq!(
        payment_failed(&stored, Some("sub_1"), P, false),
        None,
        "period paid"
    );
    assert_eq!(
        payment_failed(&stored, Some("sub_1"), P + MONTH, true),
        None,
        "invoice applied"
    );
    assert_eq!(
        payment_failed(&stored, Some("sub_2"), P + MONTH, false),
        None,
        "another subscription"
    );
    assert_eq!(payment_failed(&stored, None, P + MONTH, false), None);
    let mut cancelled = stored.clone();
    cancelled.row.state = Some(RenewalState::Canceled);
    assert_eq!(
        payment_failed(&cancelled, Some("sub_1"), P + MONTH, false),
        None
    );
}

#[test]
fn a_read_applies_only_if_later_and_for_the_companys_subscription() {
    let stored = renewing("sub_1", P);
    let applied = subscription_read(&stored, &read("sub_1", "past_due", 10)).unwrap();
    assert_eq!(applied.row.state, Some(RenewalState::PastDue));
    assert!(applied.row.payment_failed);
    assert_eq!(applied.read_at, Some(10));
    assert_eq!(applied.row.current_period_end, Some(P + MONTH));
    assert_eq!(applied.row.paid_until, Some(P), "a read pays nothing");
    assert_eq!(
        subscription_read(&applied, &read("sub_1", "active", 9)),
        Err(ReadRefused::Older)
    );
    assert_eq!(
        subscription_read(&stored, &read("sub_2", "active", 10)),
        Err(ReadRefused::AnotherLive)
    );
}

#[test]
fn a_cancelled_subscription_never_comes_back_but_a_new_one_replaces_it() {
    let mut stored = renewing("sub_1", P);
    stored.row.state = Some(RenewalState::Canceled);
    let same = subscription_read(&stored, &read("sub_1", "active", 5)).unwrap();
    assert_eq!(same.row.state, Some(RenewalState::Canceled));
    let new = subscription_read(&stored, &read("sub_2", "active", 5)).unwrap();
    assert_eq!(new.row.subscription_id.as_deref(), Some("sub_2"));
    assert_eq!(new.row.state, Some(RenewalState::Active));
}

#[test]
fn a_read_keeps_the_stored_card_when_stripe_gives_none() {
    let mut stored = renewing("sub_1", P);
    stored.row.card_last4 = Some("1111".into());
    let mut sub = read("sub_1", "incomplete", 5);
    sub.card_last4 = None;
    let after = subscription_read(&stored, &sub).unwrap();
    assert_eq!(after.row.card_last4.as_deref(), Some("1111"));
    assert_eq!(after.row.state, None, "incomplete: no renewal state yet");
}

/// One renewal event, as the writer applies it.
#[derive(Clone, Copy, Debug)]
enum Step {
    Paid(i64),
    Failed(i64),
}

fn apply(stored: &StoredRenewal, step: Step, paid: &mut Vec<i64>) -> StoredRenewal {
    match step {
        Step::Paid(end) => {
            paid.push(end);
            invoice_paid(stored, Some("sub_1"), None, &plan("mensuel"), end)
        }
        Step::Failed(end) => payment_failed(stored, Some("sub_1"), end, paid.contains(&end))
            .unwrap_or_else(|| stored.clone()),
    }
}

#[test]
fn any_order_of_paid_and_failed_periods_ends_in_the_same_renewal() {
    // Two periods: the first paid after failing once, the second paid; Stripe may deliver the
    // four notifications in any order.
    let steps = [
        Step::Failed(P + MONTH),
        Step::Paid(P + MONTH),
        Step::Failed(P + 2 * MONTH),
        Step::Paid(P + 2 * MONTH),
    ];
    let start = renewing("sub_1", P);
    let mut ends = Vec::new();
    for order in permutations(steps.len()) {
        let mut paid = Vec::new();
        let end = order
            .iter()
            .fold(start.clone(), |s, &i| apply(&s, steps[i], &mut paid));
        ends.push((order, end));
    }
    let (_, first) = &ends[0];
    assert_eq!(first.row.state, Some(RenewalState::Active));
    assert_eq!(first.row.paid_until, Some(P + 2 * MONTH));
    for (order, end) in &ends {
        assert_eq!(end, first, "order {order:?}");
    }
}

fn permutations(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for rest in permutations(n - 1) {
        for at in 0..=rest.len() {
            let mut p = rest.clone();
            p.insert(at, n - 1);
            out.push(p);
        }
    }
    out
}

//! The money-going-back rules, case by case (DESIGN.md's formula and the refunds issue's cases).

use super::*;
use crate::core::DAY;

/// 1 January 2027, 00:00 UTC.
const JAN1: i64 = 1_798_761_600;

fn jan(day: i64) -> i64 {
    JAN1 + (day - 1) * DAY
}

fn month(paid_at: i64) -> Payment {
    Payment::OneOff {
        paid_at,
        duration: 30 * DAY,
    }
}

fn refund(amount: i64, status: RefundStatus, created: i64) -> Refund {
    Refund {
        amount,
        status,
        created,
    }
}

fn chargeback(status: DisputeStatus, created: i64) -> Dispute {
    Dispute { status, created }
}

#[test]
fn a_refund_of_the_only_payment_ends_access_at_the_refund() {
    let access = access_after(&[month(jan(1))], &[Some(jan(15))]);
    assert_eq!(access.prepaid_until, Some(jan(15)));
}

#[test]
fn a_refunded_prepaid_period_is_removed_whole() {
    // 1 January + 30 days, renewed early on 10 January: to 2 March; the renewal refunded on
    // 12 January leaves the first month alone.
    let payments = [month(jan(1)), month(jan(10))];
    assert_eq!(fold(payments).prepaid_until, Some(jan(61)));
    let access = access_after(&payments, &[None, Some(jan(12))]);
    assert_eq!(access.prepaid_until, Some(jan(31)));
}

#[test]
fn the_first_of_three_payments_refunded_folds_the_other_two_again() {
    // Payments on 1, 10 and 20 January; the first refunded on 15 January: the second now
    // starts at its own payment (10 January → 9 February), the third adds to it (11 March).
    let payments = [month(jan(1)), month(jan(10)), month(jan(20))];
    let access = access_after(&payments, &[Some(jan(15)), None, None]);
    assert_eq!(access.prepaid_until, Some(jan(10) + 60 * DAY));
}

#[test]
fn a_refund_of_a_past_period_changes_nothing() {
    let payments = [month(jan(1)), month(jan(100))];
    let access = access_after(&payments, &[Some(jan(110)), None]);
    assert_eq!(access, fold(payments));
}

#[test]
fn a_refunded_renewal_invoice_ends_its_paid_period_at_the_refund() {
    let payments = [
        Payment::Invoice {
            period_end: jan(32),
        },
        Payment::Invoice {
            period_end: jan(60),
        },
    ];
    let access = access_after(&payments, &[None, Some(jan(40))]);
    assert_eq!(access.paid_until, Some(jan(40)));
    let access = access_after(&payments, &[None, Some(jan(20))]);
    assert_eq!(
        access.paid_until,
        Some(jan(32)),
        "refunded before its period began: the earlier period stands"
    );
}

#[test]
fn two_reversals_apply_in_time_order() {
    let payments = [month(jan(1)), month(jan(10)), month(jan(20))];
    let access = access_after(&payments, &[Some(jan(15)), Some(jan(16)), None]);
    assert_eq!(
        access.prepaid_until,
        Some(jan(20) + 30 * DAY),
        "the third alone, from its payment"
    );
    let none = access_after(&payments, &[Some(jan(15)), Some(jan(16)), Some(jan(17))]);
    assert_eq!(none.prepaid_until, Some(jan(17)));
}

#[test]
fn only_a_full_refund_takes_the_period_and_partial_ones_count_when_they_add_up() {
    let gesture = [refund(1000, RefundStatus::Succeeded, jan(5))];
    assert_eq!(reversed_at(4900, &gesture, &[]), None);
    let adding_up = [
        refund(1000, RefundStatus::Succeeded, jan(5)),
        refund(3900, RefundStatus::Pending, jan(8)),
    ];
    assert_eq!(reversed_at(4900, &adding_up, &[]), Some(jan(8)));
    assert_eq!(
        reversed_at(4900, &[refund(4900, RefundStatus::Pending, jan(3))], &[]),
        Some(jan(3)),
        "access goes when the refund is created, before it succeeds"
    );
}

#[test]
fn a_refund_that_fails_gives_the_period_back() {
    let failed = [refund(4900, RefundStatus::Failed, jan(3))];
    assert_eq!(reversed_at(4900, &failed, &[]), None);
    let canceled = [refund(4900, RefundStatus::Canceled, jan(3))];
    assert_eq!(reversed_at(4900, &canceled, &[]), None);
}

#[test]
fn a_chargeback_suspends_until_won_and_an_inquiry_or_prevented_dispute_changes_nothing() {
    assert_eq!(
        reversed_at(4900, &[], &[chargeback(DisputeStatus::Open, jan(9))]),
        Some(jan(9))
    );
    assert_eq!(
        reversed_at(4900, &[], &[chargeback(DisputeStatus::Lost, jan(9))]),
        Some(jan(9))
    );
    for status in [
        DisputeStatus::Won,
        DisputeStatus::Inquiry,
        DisputeStatus::Prevented,
    ] {
        assert_eq!(
            reversed_at(4900, &[], &[chargeback(status, jan(9))]),
            None,
            "{status:?}"
        );
    }
}

#[test]
fn the_earlier_of_a_full_refund_and_a_chargeback_counts() {
    let refunds = [refund(4900, RefundStatus::Succeeded, jan(12))];
    let disputes = [chargeback(DisputeStatus::Open, jan(9))];
    assert_eq!(reversed_at(4900, &refunds, &disputes), Some(jan(9)));
}

#[test]
fn stripe_statuses_read_as_the_rules_need_them() {
    assert_eq!(
        DisputeStatus::parse("warning_needs_response"),
        Some(DisputeStatus::Inquiry)
    );
    assert_eq!(
        DisputeStatus::parse("under_review"),
        Some(DisputeStatus::Open)
    );
    assert_eq!(DisputeStatus::parse("charge_refunded"), None);
    assert_eq!(
        RefundStatus::parse("requires_action"),
        Some(RefundStatus::RequiresAction)
    );
    assert_eq!(RefundStatus::parse("refunded"), None);
}

#[test]
fn a_refund_status_only_moves_forward() {
    use RefundStatus::*;
    assert!(RefundStatus::moves(None, Pending));
    assert!(RefundStatus::moves(Some(Pending), Succeeded));
    assert!(
        RefundStatus::moves(Some(Succeeded), Failed),
        "fails after succeeding"
    );
    assert!(
        RefundStatus::moves(Some(Pending), Failed),
        "fails before succeeding"
    );
    assert!(
        !RefundStatus::moves(Some(Succeeded), Pending),
        "an older notice, late"
    );
    assert!(!RefundStatus::moves(Some(Failed), Succeeded));
    assert!(
        !RefundStatus::moves(Some(Succeeded), Succeeded),
        "a duplicate"
    );
    for s in [Pending, RequiresAction, Succeeded, Failed, Canceled] {
        assert_eq!(RefundStatus::parse(s.as_str()), Some(s));
    }
}

#[test]
fn access_of_stored_payments_folds_each_with_what_went_back_of_it() {
    let paid = |at: i64, refunds: Vec<Refund>| Paid {
        payment: month(at),
        at,
        amount: 4900,
        refunds,
        disputes: vec![],
    };
    // Payments on 1, 10 and 20 January; the first refunded in two parts, the whole by 15 January.
    let stored = [
        paid(
            jan(1),
            vec![
                refund(900, RefundStatus::Succeeded, jan(12)),
                refund(4000, RefundStatus::Pending, jan(15)),
            ],
        ),
        paid(jan(10), vec![]),
        paid(
            jan(20),
            vec![refund(1000, RefundStatus::Succeeded, jan(21))],
        ),
    ];
    // Without the first: 10 January + 30 days, then 20 January adds 30 more: 11 March.
    assert_eq!(access_of(&stored).prepaid_until, Some(jan(10) + 60 * DAY));
    assert_eq!(access_of(&[]), Access::default());
}

#[test]
fn an_avoir_gives_the_operators_reason_else_stripes_in_french() {
    assert_eq!(
        avoir_reason(Some("requested_by_customer"), Some(" geste commercial ")),
        "Remboursement : geste commercial"
    );
    assert_eq!(
        avoir_reason(Some("duplicate"), Some("")),
        "Remboursement d'un paiement en double"
    );
    assert_eq!(avoir_reason(None, None), "Remboursement");
    assert_eq!(
        avoir_reason(Some("expired_uncaptured_charge"), None),
        "Remboursement"
    );
}

#[test]
fn a_dispute_status_only_moves_forward_and_a_sepa_chargeback_is_lost_at_once() {
    assert!(DisputeStatus::moves(None, "needs_response"));
    assert!(DisputeStatus::moves(
        Some("warning_needs_response"),
        "needs_response"
    ));
    assert!(DisputeStatus::moves(Some("needs_response"), "under_review"));
    assert!(DisputeStatus::moves(Some("under_review"), "won"));
    assert!(
        !DisputeStatus::moves(Some("won"), "under_review"),
        "an older notice, late"
    );
    assert!(!DisputeStatus::moves(Some("lost"), "lost"), "a duplicate");
    assert!(!DisputeStatus::moves(
        Some("needs_response"),
        "warning_closed"
    ));
    assert_eq!(DisputeStatus::Open.effective(true), DisputeStatus::Lost);
    assert_eq!(DisputeStatus::Open.effective(false), DisputeStatus::Open);
    assert_eq!(DisputeStatus::Won.effective(true), DisputeStatus::Won);
    for s in [
        DisputeStatus::Inquiry,
        DisputeStatus::Open,
        DisputeStatus::Won,
        DisputeStatus::Lost,
    ] {
        assert_eq!(DisputeStatus::from_word(s.as_str()), Some(s));
    }
    assert_eq!(
        dispute_avoir_reason(Some("fraudulent")),
        "Contestation perdue auprès de la banque (paiement déclaré frauduleux)"
    );
    assert_eq!(
        dispute_avoir_reason(None),
        "Contestation perdue auprès de la banque"
    );
}

//! A company's subscription history, as the operator console shows it: each payment, refund
//! and dispute in time order, with what it did to the period the company has paid for. The
//! effect is the access fold ([`super::reversal::access_of`]) over what was known just before
//! and just after the entry, so the page can never disagree with the stored access. A dispute
//! is shown with its current status (the store keeps no history of a dispute's statuses).
//! Pure.

use super::access::Payment;
use super::reversal::{Dispute, DisputeStatus, Paid, Refund, RefundStatus, access_of};

/// What happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum What {
    /// A one-off payment (a Checkout Session).
    OneOff,
    /// An automatic-renewal invoice paid.
    Renewal,
    /// A refund (its amount is the entry's) of a payment of `paid` cents.
    Refund { status: RefundStatus, paid: i64 },
    /// A dispute (chargeback or inquiry) of a payment.
    Dispute { status: DisputeStatus },
}

/// What an entry did to the end of the paid period.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Effect {
    /// The paid period now ends later (`from` is `None` for a first payment).
    Extended {
        from: Option<i64>,
        to: i64,
    },
    /// The paid period now ends earlier (`to` is `None`: nothing paid is left).
    Shortened {
        from: i64,
        to: Option<i64>,
    },
    Unchanged,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Entry {
    pub at: i64,
    pub what: What,
    /// Cents paid, refunded or disputed (`None` for a dispute: its amount is the payment's).
    pub amount: Option<i64>,
    pub effect: Effect,
}

/// `paid` (a company's payments in the order they were applied, with their refunds and
/// disputes) as a history, oldest first.
pub fn history(paid: &[Paid]) -> Vec<Entry> {
    // (time, rank, payment index, what, amount): a payment before what went back of it.
    let mut steps: Vec<(i64, u8, usize, What, Option<i64>)> = Vec::new();
    for (i, p) in paid.iter().enumerate() {
        let what = match p.payment {
            Payment::OneOff { .. } => What::OneOff,
            Payment::Invoice { .. } => What::Renewal,
        };
        steps.push((p.at, 0, i, what, Some(p.amount)));
        for r in &p.refunds {
            let what = What::Refund {
                status: r.status,
                paid: p.amount,
            };
            steps.push((r.created.max(p.at), 1, i, what, Some(r.amount)));
        }
        for d in &p.disputes {
            let what = What::Dispute { status: d.status };
            steps.push((d.created.max(p.at), 2, i, what, None));
        }
    }
    // Payments keep the order they were applied in; the rest fall in by time.
    steps.sort_by_key(|&(at, rank, i, _, _)| (at, rank, i));
    let mut known: Vec<Option<Paid>> = vec![None; paid.len()];
    let mut end = None;
    steps
        .into_iter()
        .map(|(at, _, i, what, amount)| {
            learn(&mut known, &paid[i], i, what, at);
            let now_known: Vec<Paid> = known.iter().flatten().cloned().collect();
            let after = end_of(&now_known);
            let effect = match (end, after) {
                (from, Some(to)) if from.is_none_or(|f| to > f) => Effect::Extended { from, to },
                (Some(from), to) if to.is_none_or(|t| t < from) => Effect::Shortened { from, to },
                _ => Effect::Unchanged,
            };
            end = after;
            Entry {
                at,
                what,
                amount,
                effect,
            }
        })
        .collect()
}

/// Adds one step's fact to what is known of payment `i`.
fn learn(known: &mut [Option<Paid>], payment: &Paid, i: usize, what: What, at: i64) {
    let slot = known[i].get_or_insert_with(|| Paid {
        refunds: Vec::new(),
        disputes: Vec::new(),
        ..payment.clone()
    });
    match what {
        What::OneOff | What::Renewal => {}
        What::Refund { status, .. } => {
            let amount = payment
                .refunds
                .iter()
                .find(|r| r.status == status && r.created.max(payment.at) == at)
                .map_or(0, |r| r.amount);
            slot.refunds.push(Refund {
                amount,
                status,
                created: at,
            });
        }
        What::Dispute { status } => slot.disputes.push(Dispute {
            status,
            created: at,
        }),
    }
}

/// The end of the period `paid` pays for, if any.
fn end_of(paid: &[Paid]) -> Option<i64> {
    let access = access_of(paid);
    access.prepaid_until.max(access.paid_until)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::DAY;

    const T: i64 = 1_771_666_200;

    fn once(at: i64, days: i64, amount: i64) -> Paid {
        Paid {
            payment: Payment::OneOff {
                paid_at: at,
                duration: days * DAY,
            },
            at,
            amount,
            refunds: vec![],
            disputes: vec![],
        }
    }

    #[test]
    fn each_payment_extends_the_paid_period_from_where_it_was() {
        let h = history(&[once(T, 30, 4900), once(T + 10 * DAY, 30, 4900)]);
        assert_eq!(h.len(), 2);
        assert_eq!(
            h[0].effect,
            Effect::Extended {
                from: None,
                to: T + 30 * DAY
            }
        );
        assert_eq!(
            h[1].effect,
            Effect::Extended {
                from: Some(T + 30 * DAY),
                to: T + 60 * DAY
            }
        );
        assert_eq!(h[1].what, What::OneOff);
        assert_eq!(h[1].amount, Some(4900));
    }

    #[test]
    fn a_full_refund_shortens_the_period_and_a_partial_one_changes_nothing() {
        let mut second = once(T + 10 * DAY, 30, 4900);
        second.refunds = vec![
            Refund {
                amount: 900,
                status: RefundStatus::Succeeded,
                created: T + 11 * DAY,
            },
            Refund {
                amount: 4000,
                status: RefundStatus::Succeeded,
                created: T + 12 * DAY,
            },
        ];
        let h = history(&[once(T, 30, 4900), second]);
        assert_eq!(h.len(), 4);
        assert_eq!(h[2].effect, Effect::Unchanged, "a commercial gesture");
        assert_eq!(h[2].amount, Some(900));
        assert_eq!(
            h[3].effect,
            Effect::Shortened {
                from: T + 60 * DAY,
                to: Some(T + 30 * DAY)
            },
            "the prepaid month is removed whole"
        );
        assert!(matches!(h[3].what, What::Refund { paid: 4900, .. }));
    }

    #[test]
    fn a_lost_chargeback_on_the_only_payment_leaves_nothing_paid_and_a_failed_refund_nothing_changed()
     {
        let mut only = once(T, 30, 4900);
        only.refunds = vec![Refund {
            amount: 4900,
            status: RefundStatus::Failed,
            created: T + DAY,
        }];
        only.disputes = vec![Dispute {
            status: DisputeStatus::Lost,
            created: T + 2 * DAY,
        }];
        let h = history(&[only]);
        assert_eq!(h[1].effect, Effect::Unchanged, "a failed refund");
        assert_eq!(
            h[2].effect,
            Effect::Shortened {
                from: T + 30 * DAY,
                to: Some(T + 2 * DAY)
            },
            "a period in progress ends at the chargeback"
        );
        assert_eq!(h[2].amount, None);
    }

    #[test]
    fn the_history_ends_where_the_stored_access_fold_ends() {
        let mut second = once(T + 40 * DAY, 365, 49900);
        second.refunds = vec![Refund {
            amount: 49900,
            status: RefundStatus::Succeeded,
            created: T + 41 * DAY,
        }];
        let invoice = Paid {
            payment: Payment::Invoice {
                period_end: T + 100 * DAY,
            },
            ..once(T + 50 * DAY, 0, 4900)
        };
        let paid = [once(T, 30, 4900), second, invoice];
        let last = history(&paid)
            .into_iter()
            .rev()
            .find_map(|e| match e.effect {
                Effect::Extended { to, .. } => Some(Some(to)),
                Effect::Shortened { to, .. } => Some(to),
                Effect::Unchanged => None,
            })
            .flatten();
        assert_eq!(last, end_of(&paid));
        assert_eq!(history(&[]), vec![]);
    }

    #[test]
    fn a_refund_stamped_before_its_payment_is_shown_after_it() {
        let mut only = once(T, 30, 4900);
        only.refunds = vec![Refund {
            amount: 4900,
            status: RefundStatus::Succeeded,
            created: T - 5,
        }];
        let h = history(&[only]);
        assert_eq!(h[0].what, What::OneOff);
        assert_eq!(h[1].at, T);
    }
}

//! A company's access as a fold over its payments, in the order they were applied: the renewal
//! rule. A one-off payment adds its plan's duration to the later of now, the prepaid time and a
//! period already paid by a subscription (`max(now, expiry) + duration`: an early renewal adds to
//! the current expiry, an expired one restarts from its payment); an automatic-renewal invoice
//! moves the paid period's end forward, never back. What renewal adds past that end (margin,
//! grace) is [`super::renewal::RenewalRow::access_end`].

/// One payment, as the rule needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Payment {
    /// A one-off payment at `paid_at` (Unix seconds) buying `duration` seconds.
    OneOff { paid_at: i64, duration: i64 },
    /// An automatic-renewal invoice paying a period that ends at `period_end`.
    Invoice { period_end: i64 },
}

/// What a company's payments bought.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Access {
    /// End of one-off prepaid time (`subscriptions.expires_at`).
    pub prepaid_until: Option<i64>,
    /// End of the latest period an automatic-renewal invoice paid (`subscriptions.paid_until`).
    pub paid_until: Option<i64>,
}

impl Access {
    /// This access after one more payment. Pure.
    pub fn then(self, payment: Payment) -> Access {
        match payment {
            Payment::OneOff { paid_at, duration } => {
                let from = [Some(paid_at), self.prepaid_until, self.paid_until]
                    .into_iter()
                    .flatten()
                    .max()
                    .unwrap_or(paid_at);
                Access {
                    prepaid_until: Some(from.saturating_add(duration)),
                    ..self
                }
            }
            Payment::Invoice { period_end } => Access {
                paid_until: self.paid_until.max(Some(period_end)),
                ..self
            },
        }
    }
}

/// The access all `payments` bought, applied in order. Pure.
pub fn fold(payments: impl IntoIterator<Item = Payment>) -> Access {
    payments.into_iter().fold(Access::default(), Access::then)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::DAY;

    const T: i64 = 1_771_666_200;

    fn once(paid_at: i64, days: i64) -> Payment {
        Payment::OneOff {
            paid_at,
            duration: days * DAY,
        }
    }

    #[test]
    fn a_first_payment_starts_at_its_payment() {
        assert_eq!(fold([once(T, 30)]).prepaid_until, Some(T + 30 * DAY));
        assert_eq!(fold([]), Access::default());
    }

    #[test]
    fn an_early_renewal_adds_to_the_current_expiry() {
        assert_eq!(
            fold([once(T, 30), once(T + 10 * DAY, 365)]).prepaid_until,
            Some(T + 395 * DAY)
        );
    }

    #[test]
    fn an_expired_subscription_restarts_from_its_payment() {
        assert_eq!(
            fold([once(T, 30), once(T + 400 * DAY, 30)]).prepaid_until,
            Some(T + 430 * DAY)
        );
    }

    #[test]
    fn two_payments_at_the_same_instant_add_up() {
        assert_eq!(
            fold([once(T, 30), once(T, 30)]).prepaid_until,
            Some(T + 60 * DAY)
        );
    }

    #[test]
    fn prepaid_time_bought_during_a_paid_period_starts_at_its_end() {
        let access = fold([
            Payment::Invoice {
                period_end: T + 20 * DAY,
            },
            once(T, 30),
        ]);
        assert_eq!(access.prepaid_until, Some(T + 50 * DAY));
        assert_eq!(access.paid_until, Some(T + 20 * DAY));
    }

    #[test]
    fn an_older_invoice_never_moves_the_paid_period_back() {
        let access = fold([
            Payment::Invoice {
                period_end: T + 60 * DAY,
            },
            Payment::Invoice {
                period_end: T + 30 * DAY,
            },
        ]);
        assert_eq!(access.paid_until, Some(T + 60 * DAY));
        assert_eq!(access.prepaid_until, None);
    }

    #[test]
    fn a_past_paid_period_does_not_delay_a_new_payment() {
        let access = fold([
            Payment::Invoice {
                period_end: T - DAY,
            },
            once(T, 30),
        ]);
        assert_eq!(access.prepaid_until, Some(T + 30 * DAY));
    }
}

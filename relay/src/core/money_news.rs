//! What the company is told about money that went back (the desktop's and the renew page's
//! sentence): the latest refund or dispute of its payments, an open chargeback first (its
//! access is suspended), nothing older than its latest payment. Pure.

use super::reversal::{DisputeStatus, Paid, RefundStatus};

/// What happened to the company's money, latest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NewsKind {
    /// A payment refunded whole (« Paiement remboursé le … »).
    Refunded,
    /// Part of a payment refunded (« Remboursement partiel de 10,00 € le … »).
    PartiallyRefunded,
    /// A refund on its way (« Remboursement en cours »).
    RefundPending,
    /// A chargeback open at the company's bank: access suspended.
    Disputed,
    /// A chargeback closed in the company's favour.
    DisputeWon,
    /// A chargeback closed against the company: the payment was taken back.
    DisputeLost,
}

impl NewsKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Refunded => "refunded",
            Self::PartiallyRefunded => "partially_refunded",
            Self::RefundPending => "refund_pending",
            Self::Disputed => "disputed",
            Self::DisputeWon => "dispute_won",
            Self::DisputeLost => "dispute_lost",
        }
    }

    pub fn parse(word: &str) -> Option<Self> {
        use NewsKind::*;
        [
            Refunded,
            PartiallyRefunded,
            RefundPending,
            Disputed,
            DisputeWon,
            DisputeLost,
        ]
        .into_iter()
        .find(|k| k.as_str() == word)
    }
}

/// One piece of news: what, how much (for a partial refund), when (Unix seconds).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct News {
    pub kind: NewsKind,
    pub amount: Option<i64>,
    pub at: i64,
}

/// The news to tell about `paid` (each payment with its time, refunds and disputes).
pub fn latest(paid: &[Paid]) -> Option<News> {
    let since = paid.iter().map(|p| p.at).max()?;
    let mut all = Vec::new();
    for p in paid {
        for d in &p.disputes {
            let kind = match d.status {
                DisputeStatus::Open => NewsKind::Disputed,
                DisputeStatus::Won => NewsKind::DisputeWon,
                DisputeStatus::Lost => NewsKind::DisputeLost,
                DisputeStatus::Inquiry | DisputeStatus::Prevented => continue,
            };
            all.push(News {
                kind,
                amount: None,
                at: d.created,
            });
        }
        let live: Vec<_> = p
            .refunds
            .iter()
            .filter(|r| r.status.takes_money_back())
            .collect();
        let Some(at) = live.iter().map(|r| r.created).max() else {
            continue;
        };
        let total: i64 = live.iter().map(|r| r.amount).sum();
        let pending = live.iter().any(|r| {
            matches!(
                r.status,
                RefundStatus::Pending | RefundStatus::RequiresAction
            )
        });
        let (kind, amount) = match (pending, total >= p.amount) {
            (true, _) => (NewsKind::RefundPending, None),
            (false, true) => (NewsKind::Refunded, None),
            (false, false) => (NewsKind::PartiallyRefunded, Some(total)),
        };
        all.push(News { kind, amount, at });
    }
    let open = all
        .iter()
        .filter(|n| n.kind == NewsKind::Disputed)
        .max_by_key(|n| n.at);
    open.or_else(|| all.iter().filter(|n| n.at >= since).max_by_key(|n| n.at))
        .copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::core::access::Payment;
    use crate::core::reversal::{Dispute, Refund};

    const T: i64 = 1_798_761_600;

    fn paid(at: i64, refunds: Vec<Refund>, disputes: Vec<Dispute>) -> Paid {
        Paid {
            payment: Payment::OneOff {
                paid_at: at,
                duration: 30 * 86_400,
            },
            at,
            amount: 4900,
            refunds,
            disputes,
        }
    }

    fn refund(amount: i64, status: RefundStatus, created: i64) -> Refund {
        Refund {
            amount,
            status,
            created,
        }
    }

    #[test]
    fn a_refund_is_told_whole_partial_or_on_its_way() {
        let whole = [paid(
            T,
            vec![refund(4900, RefundStatus::Succeeded, T + 9)],
            vec![],
        )];
        assert_eq!(latest(&whole).unwrap().kind, NewsKind::Refunded);
        let part = [paid(
            T,
            vec![refund(1000, RefundStatus::Succeeded, T + 9)],
            vec![],
        )];
        assert_eq!(
            latest(&part),
            Some(News {
                kind: NewsKind::PartiallyRefunded,
                amount: Some(1000),
                at: T + 9
            })
        );
        let pending = [paid(
            T,
            vec![refund(4900, RefundStatus::Pending, T + 9)],
            vec![],
        )];
        assert_eq!(latest(&pending).unwrap().kind, NewsKind::RefundPending);
        let failed = [paid(
            T,
            vec![refund(4900, RefundStatus::Failed, T + 9)],
            vec![],
        )];
        assert_eq!(latest(&failed), None, "a failed refund gave nothing back");
    }

    #[test]
    fn an_open_chargeback_comes_first_and_old_news_is_forgotten_after_a_new_payment() {
        let open = Dispute {
            status: DisputeStatus::Open,
            created: T + 5,
        };
        let later_refund = vec![refund(1000, RefundStatus::Succeeded, T + 90)];
        let both = [
            paid(T, vec![], vec![open]),
            paid(T + 50, later_refund, vec![]),
        ];
        assert_eq!(latest(&both).unwrap().kind, NewsKind::Disputed);
        let won = Dispute {
            status: DisputeStatus::Won,
            created: T + 5,
        };
        let old = [paid(T, vec![], vec![won]), paid(T + 50, vec![], vec![])];
        assert_eq!(latest(&old), None, "a new payment since");
        let inquiry = Dispute {
            status: DisputeStatus::Inquiry,
            created: T + 5,
        };
        assert_eq!(latest(&[paid(T, vec![], vec![inquiry])]), None);
        assert_eq!(latest(&[]), None);
        for k in [
            NewsKind::Refunded,
            NewsKind::DisputeLost,
            NewsKind::RefundPending,
        ] {
            assert_eq!(NewsKind::parse(k.as_str()), Some(k));
        }
    }
}

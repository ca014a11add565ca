//! Money going back, as the batch applies it: the refunds an event names (one for `refund.*`,
//! a charge's for `charge.refunded`) and a dispute, each through [`crate::money_back::apply`],
//! turned into the event's outcome.

use sqlx::AnyConnection;

use super::Outcome;
use crate::core::Timestamp;
use crate::domain::PaymentOrigin;
use crate::money_back::apply::{self as money_back, Unchanged};
use crate::money_back::facts::{DisputeFacts, RefundFacts};

/// Applies each refund; the outcome is the last one that changed something, else why the
/// first changed nothing.
pub(super) async fn refunds(
    conn: &mut AnyConnection,
    refunds: &[&RefundFacts],
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<Outcome, sqlx::Error> {
    let mut changed = None;
    let mut unchanged = None;
    for facts in refunds {
        match money_back::refund(conn, facts, origin, now).await? {
            Ok(refunded) => changed = Some(Outcome::Refund(refunded)),
            Err(not) => {
                unchanged.get_or_insert(not_applied(not));
            }
        }
    }
    Ok(changed.or(unchanged).expect("at least one refund"))
}

/// Applies a dispute.
pub(super) async fn dispute(
    conn: &mut AnyConnection,
    facts: &DisputeFacts,
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<Outcome, sqlx::Error> {
    Ok(match money_back::dispute(conn, facts, origin, now).await? {
        Ok(disputed) => Outcome::Dispute(disputed),
        Err(not) => not_applied(not),
    })
}

/// The outcome of a refund or dispute that changed nothing.
fn not_applied(not: Unchanged) -> Outcome {
    match not {
        Unchanged::Rejected(rejection) => Outcome::Rejected(rejection),
        Unchanged::AlreadyKnown(status) => {
            Outcome::Ignored(format!("refund already {}", status.as_str()))
        }
        Unchanged::DisputeKnown(status) => Outcome::Ignored(format!("dispute already {status}")),
    }
}

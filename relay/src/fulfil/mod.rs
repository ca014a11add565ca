//! The payment rules applied, top-down. For a batch of work (verified webhook events, or sessions
//! the success page looked up), [`apply_batch`] decides what each piece means
//! ([`crate::core::session::decide`], pure), claims
//! every paid session of the batch in one statement, extends the claimed payments' subscriptions
//! together in one more, applies each other decision, then journals the events and issues the
//! factures; all inside the caller's transaction. One fulfilment path keyed on the Checkout Session
//! id serves the webhook and the success page; a session leaves `open`/`pending` at most once.

use std::collections::HashSet;

use sqlx::AnyConnection;

use crate::core::Timestamp;
use crate::core::event::EventKind;
use crate::core::session::{Decision, News, OPEN_OR_PENDING, agrees_with_stored, decide};
use crate::db::batch;
use crate::db::payments as q;
use crate::domain::{PaymentOrigin, PlanId, SessionFacts, SessionState};
use crate::factures::FactureDraft;
use crate::money_back::apply::{Disputed, Refunded};
use crate::money_back::facts::{DisputeFacts, RefundFacts};
use crate::plans::Catalogue;
use crate::renewal::apply::{self as renewal, Effect, NotApplied};
use crate::renewal::facts::{InvoiceFacts, SubscriptionFacts};

mod extend;
mod journal;
pub mod log;
mod reversal;
#[cfg(test)]
mod tests;
mod work;

pub use work::{Outcome, Work, fetch_subscription, prepare};

use extend::{ClaimedPayment, Done, Extensions};

/// Applies a batch in the caller's transaction: decide, claim the payments, apply, journal.
/// Returns one outcome per work, in order.
pub async fn apply_batch(
    conn: &mut AnyConnection,
    works: &[&Work],
    plans: &Catalogue,
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<Vec<Outcome>, sqlx::Error> {
    let decisions: Vec<Result<Step, Outcome>> = works
        .iter()
        .map(|w| match w.mode_mismatch(origin) {
            Some(mismatch) => Err(Outcome::WrongMode {
                mismatch,
                object: w.object_id().to_owned(),
            }),
            None => decide_work(w, plans),
        })
        .collect();
    let mut seen = HashSet::new();
    let paid: Vec<&SessionFacts> = decisions
        .iter()
        .filter_map(|d| match d {
            Ok(Step::Session(facts, Decision::Fulfil { .. } | Decision::Link { .. })) => {
                Some(*facts)
            }
            _ => None,
        })
        .filter(|facts| seen.insert(facts.id.as_str()))
        .collect();
    let batch::Claimed {
        sessions: mut claimed,
        access,
    } = batch::claim_for_fulfilment(conn, &paid, now).await?;
    let mut extensions = Extensions::new(access);
    let mut done = Done::new(works.len());
    for (index, (work, decision)) in works.iter().zip(decisions).enumerate() {
        let step = match decision {
            Err(outcome) => {
                done.outcomes[index] = Some(outcome);
                continue;
            }
            Ok(Step::Session(facts, Decision::Fulfil { client, plan }))
                if claimed.remove(facts.id.as_str()) =>
            {
                extensions.push(ClaimedPayment {
                    index,
                    client,
                    plan,
                    plan_id: PlanId::of(plan),
                    facts,
                });
                continue;
            }
            Ok(step) => step,
        };
        // What follows may touch a subscription extended earlier in the batch: extend first.
        extensions.flush(conn, &mut done, now).await?;
        let factures = &mut done.factures;
        let outcome = match step {
            Step::Renewal(news) => renew(conn, news, work, plans, (origin, now), factures).await?,
            Step::Refunds(refunds) => reversal::refunds(conn, &refunds, origin, now).await?,
            Step::Dispute(dispute) => reversal::dispute(conn, dispute, origin, now).await?,
            Step::Session(facts, decision) => {
                let subscription = work.subscription();
                let claim = Claim {
                    claimed: &mut claimed,
                    factures,
                    origin,
                    now,
                };
                apply(conn, facts, decision, subscription, plans, claim).await?
            }
        };
        // A renewal, a refund or a dispute may have moved the company's access: read it again.
        if let Outcome::Renewal { client, .. }
        | Outcome::Refund(Refunded { client, .. })
        | Outcome::Dispute(Disputed { client, .. }) = &outcome
        {
            extensions.forget(client);
        }
        done.outcomes[index] = Some(outcome);
    }
    extensions.flush(conn, &mut done, now).await?;
    let Done { outcomes, factures } = done;
    let mut outcomes: Vec<Outcome> = outcomes
        .into_iter()
        .map(|o| o.expect("every work has its outcome"))
        .collect();
    journal::journal(conn, works, &mut outcomes, origin, now).await?;
    crate::db::factures::issue(conn, &factures, origin, now).await?;
    Ok(outcomes)
}

/// What to do with one work: a session decision, a renewal event, or refunds.
enum Step<'w, 'p> {
    Session(&'w SessionFacts, Decision<'p>),
    Renewal(RenewalNews<'w>),
    Refunds(Vec<&'w RefundFacts>),
    Dispute(&'w DisputeFacts),
}

enum RenewalNews<'w> {
    InvoicePaid(&'w InvoiceFacts),
    PaymentFailed(&'w InvoiceFacts),
    Subscription,
}

fn decide_work<'w, 'p>(work: &'w Work, plans: &'p Catalogue) -> Result<Step<'w, 'p>, Outcome> {
    let news = match work {
        Work::Lookup { .. } => Some(News::LookedUp),
        Work::Event { event, .. } => match (EventKind::of(&event.event_type), &event.invoice) {
            (EventKind::InvoicePaid, Some(inv)) => {
                return Ok(Step::Renewal(RenewalNews::InvoicePaid(inv)));
            }
            (EventKind::InvoicePaymentFailed, Some(inv)) => {
                return Ok(Step::Renewal(RenewalNews::PaymentFailed(inv)));
            }
            (EventKind::InvoicePaid | EventKind::InvoicePaymentFailed, None) => {
                return Err(Outcome::Ignored("unreadable invoice object".into()));
            }
            (EventKind::Subscription, _) => {
                return match work.subscription() {
                    Some(_) => Ok(Step::Renewal(RenewalNews::Subscription)),
                    None => Err(Outcome::Ignored("subscription unknown to Stripe".into())),
                };
            }
            (EventKind::Refund | EventKind::ChargeRefunded, _) => {
                let refunds = work.refunds();
                return match refunds.is_empty() {
                    true => Err(Outcome::Ignored("no readable refund".into())),
                    false => Ok(Step::Refunds(refunds)),
                };
            }
            (EventKind::Dispute, _) => {
                return match &event.dispute {
                    Some(dispute) => Ok(Step::Dispute(dispute)),
                    None => Err(Outcome::Ignored("unreadable dispute object".into())),
                };
            }
            (EventKind::Session(news), _) => Some(News::from(news)),
            _ => None,
        },
    };
    match (news, work.facts()) {
        (Some(news), Some(facts)) => Ok(Step::Session(facts, decide(news, facts, plans))),
        (_, None) if work.is_session_event() => {
            Err(Outcome::Ignored("unreadable session object".into()))
        }
        _ => Err(Outcome::Ignored("event type not handled".into())),
    }
}

async fn renew(
    conn: &mut AnyConnection,
    news: RenewalNews<'_>,
    work: &Work,
    plans: &Catalogue,
    (origin, now): (PaymentOrigin, Timestamp),
    factures: &mut Vec<FactureDraft>,
) -> Result<Outcome, sqlx::Error> {
    let applied = match news {
        RenewalNews::InvoicePaid(inv) => {
            renewal::invoice_paid(conn, inv, plans, origin, now, factures).await?
        }
        RenewalNews::PaymentFailed(inv) => renewal::payment_failed(conn, inv, now).await?,
        RenewalNews::Subscription => {
            let sub = work.subscription().expect("decided on it");
            renewal::subscription(conn, sub, None, plans, origin, now, factures).await?
        }
    };
    Ok(match applied {
        Ok((client, effect, version)) => Outcome::Renewal {
            client,
            effect,
            version,
        },
        Err(NotApplied::Rejected(rejection)) => Outcome::Rejected(rejection),
        Err(NotApplied::Ignored(reason)) => Outcome::Ignored(reason),
    })
}

/// This batch's claims, and what applying one needs.
struct Claim<'c> {
    claimed: &'c mut HashSet<String>,
    /// A draft per payment applied, numbered at the end of the batch.
    factures: &'c mut Vec<FactureDraft>,
    origin: PaymentOrigin,
    now: Timestamp,
}

/// Applies one decision; a payment only when this batch's claim moved its session (a later
/// duplicate in the same batch finds it gone).
async fn apply(
    conn: &mut AnyConnection,
    facts: &SessionFacts,
    decision: Decision<'_>,
    subscription: Option<&SubscriptionFacts>,
    plans: &Catalogue,
    claim: Claim<'_>,
) -> Result<Outcome, sqlx::Error> {
    let Claim {
        claimed,
        factures,
        origin,
        now,
    } = claim;
    match decision {
        Decision::Ignore(reason) => Ok(Outcome::Ignored(reason)),
        Decision::Link { client } => {
            if !claimed.remove(facts.id.as_str()) {
                return already(conn, facts).await;
            }
            let synced = match subscription {
                Some(sub) => {
                    renewal::subscription(conn, sub, Some(&client), plans, origin, now, factures)
                        .await?
                        .ok()
                }
                None => None,
            };
            let version = match synced {
                Some((_, _, version)) => Some(version),
                None => q::bump_version(conn, client.as_str(), now).await?,
            };
            Ok(match version {
                Some(version) => Outcome::Renewal {
                    client,
                    effect: Effect::Linked,
                    version,
                },
                None => extend::company_gone(conn, facts, &client, now).await?,
            })
        }
        // Claimed payments are extended by the batch (see [`extend`]); this one was not claimed.
        Decision::Fulfil { .. } => already(conn, facts).await,
        Decision::Reject(rejection) => {
            let (to, reason) = (SessionState::Rejected, rejection.to_string());
            if !q::claim(conn, facts, OPEN_OR_PENDING, to, Some(&reason), now).await? {
                return already(conn, facts).await;
            }
            Ok(Outcome::Rejected(rejection))
        }
        Decision::Move(t) => {
            if !q::claim(conn, facts, t.from, t.to, t.reason.as_deref(), now).await? {
                return already(conn, facts).await;
            }
            let client = facts.client_id.clone().unwrap_or_default();
            let change = match t.visible {
                true => q::bump_version(conn, &client, now)
                    .await?
                    .map(|v| (client, v)),
                false => None,
            };
            Ok(Outcome::Moved { to: t.to, change })
        }
    }
}

/// A session this batch did not move: already handled, or not the relay's to handle (unknown,
/// or its metadata disagrees with what the relay stored when it created it).
async fn already(conn: &mut AnyConnection, facts: &SessionFacts) -> Result<Outcome, sqlx::Error> {
    let stored = q::stored(conn, &facts.id).await?;
    Ok(match agrees_with_stored(stored.as_ref(), facts) {
        Ok(state) => Outcome::AlreadyHandled(state),
        Err(reason) => Outcome::Rejected(reason),
    })
}

//! The batch's claimed payments, extended together: each company's access is folded with its
//! payments in the batch and written in one statement (see [`batch::extend_subscriptions`]),
//! and each payment gets its facture draft in batch order.

use sqlx::AnyConnection;

use super::Outcome;
use crate::core::DAY;
use crate::core::Timestamp;
use crate::core::rejection::Rejection;
use crate::db::batch;
use crate::db::payments as q;
use crate::domain::{BuyerDetails, ClientId, PlanId, SessionFacts, SessionState};
use crate::factures::FactureDraft;
use erp_btp_protocol::Plan;

/// A claimed session whose company is gone: its claim is undone in the same transaction, the
/// session recorded as rejected.
pub(super) async fn company_gone(
    conn: &mut AnyConnection,
    facts: &SessionFacts,
    client: &ClientId,
    now: Timestamp,
) -> Result<Outcome, sqlx::Error> {
    let rejection = Rejection::UnknownClient(client.to_string());
    let reason = rejection.to_string();
    q::set_state(conn, &facts.id, SessionState::Rejected, &reason, now).await?;
    Ok(Outcome::Rejected(rejection))
}

/// A payment this batch claimed, whose subscription is extended together with the others'.
pub(super) struct ClaimedPayment<'w, 'p> {
    /// Its work's place in the batch.
    pub index: usize,
    pub client: ClientId,
    pub plan: &'p Plan,
    /// The plan's id, as the subscription and the facture store it.
    pub plan_id: PlanId,
    pub facts: &'w SessionFacts,
}

/// What the batch has produced so far: an outcome per work, a facture draft per payment
/// applied (numbered at the end of the batch).
pub(super) struct Done {
    pub outcomes: Vec<Option<Outcome>>,
    pub factures: Vec<FactureDraft>,
}

impl Done {
    pub fn new(works: usize) -> Self {
        Self {
            outcomes: vec![None; works],
            factures: Vec::new(),
        }
    }
}

/// The claimed payments not yet extended, and each company's access as the batch last knew it.
pub(super) struct Extensions<'w, 'p> {
    waiting: Vec<ClaimedPayment<'w, 'p>>,
    known: batch::KnownAccess,
}

impl<'w, 'p> Extensions<'w, 'p> {
    pub fn new(known: batch::KnownAccess) -> Self {
        Self {
            waiting: Vec::new(),
            known,
        }
    }

    pub fn push(&mut self, payment: ClaimedPayment<'w, 'p>) {
        self.waiting.push(payment);
    }

    /// The company's access changed outside the fold (a renewal): read it again when needed.
    pub fn forget(&mut self, client: &ClientId) {
        self.known.remove(client.as_str());
    }

    /// Extends the waiting payments' subscriptions together and records their outcomes; a
    /// payment whose company is gone is rejected, its claim undone in the same transaction.
    pub async fn flush(
        &mut self,
        conn: &mut AnyConnection,
        done: &mut Done,
        now: Timestamp,
    ) -> Result<(), sqlx::Error> {
        if self.waiting.is_empty() {
            return Ok(());
        }
        let rows: Vec<batch::Extension> = self
            .waiting
            .iter()
            .map(|p| batch::Extension {
                client: &p.client,
                plan: &p.plan_id,
                duration_days: p.plan.duration_days,
            })
            .collect();
        let extended = batch::extend_subscriptions(conn, &rows, &mut self.known, now).await?;
        for (payment, result) in self.waiting.drain(..).zip(extended) {
            let ClaimedPayment {
                index,
                client,
                plan,
                plan_id,
                facts,
            } = payment;
            done.outcomes[index] = Some(match result {
                Some((expires_at, version)) => {
                    done.factures.push(FactureDraft {
                        client: client.clone(),
                        source: facts.id.to_string(),
                        plan: plan_id.clone(),
                        period: (expires_at - plan.duration_days * DAY, expires_at),
                        total_cents: plan.price_cents,
                        currency: plan.currency.clone(),
                        paid_at: now.unix(),
                        hosted_url: None,
                        buyer_details: facts.buyer.as_ref().map(BuyerDetails::to_json),
                    });
                    Outcome::Fulfilled {
                        client,
                        plan: plan_id,
                        expires_at,
                        version,
                    }
                }
                None => company_gone(conn, facts, &client, now).await?,
            });
        }
        Ok(())
    }
}

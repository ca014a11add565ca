//! Renewal events applied inside the writer's transaction, in any order and any number of
//! times: `invoice.paid` keyed on the invoice id, `invoice.payment_failed`, and the subscription
//! as read from Stripe for `customer.subscription.*` notifications and for a paid subscription
//! checkout (whose first invoice is the same invoice as its `invoice.paid`: it counts once).

use erp_btp_protocol::RenewalState;
use sqlx::AnyConnection;

use super::facts::{InvoiceFacts, SubscriptionFacts};
use crate::core::Timestamp;
use crate::core::rejection::Rejection;
use crate::core::renewal::{check_invoice, owner, state_of, state_word};
use crate::core::renewal_steps::{self as steps, StoredRenewal};
use crate::db::renewals as q;
use crate::domain::{ClientId, PaymentOrigin, PlanId};
use crate::factures::FactureDraft;
use crate::plans::Catalogue;

/// What a renewal event did to the company's renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A subscription checkout linked the company to its subscription.
    Linked,
    InvoicePaid {
        plan: PlanId,
        paid_until: i64,
    },
    PaymentFailed,
    Synced(Option<RenewalState>),
}

impl Effect {
    pub fn label(&self) -> String {
        match self {
            Effect::Linked => "subscription linked".into(),
            Effect::InvoicePaid { .. } => "invoice paid".into(),
            Effect::PaymentFailed => "renewal payment failed".into(),
            Effect::Synced(state) => {
                format!("subscription {}", state.map_or("incomplete", state_word))
            }
        }
    }
}

/// Why a renewal event changed nothing: refused, or nothing left to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NotApplied {
    Rejected(Rejection),
    Ignored(String),
}

/// Either a change (the client, what, its new version) or why nothing changed.
pub type Applied = Result<(ClientId, Effect, i64), NotApplied>;

fn ignored(reason: impl Into<String>) -> Applied {
    Err(NotApplied::Ignored(reason.into()))
}

/// `invoice.paid`: the line's period counts once, for the plan it paid.
pub async fn invoice_paid(
    conn: &mut AnyConnection,
    inv: &InvoiceFacts,
    plans: &Catalogue,
    origin: PaymentOrigin,
    now: Timestamp,
    factures: &mut Vec<FactureDraft>,
) -> Result<Applied, sqlx::Error> {
    if inv.status.as_deref().is_some_and(|s| s != "paid") {
        return Ok(ignored(format!(
            "invoice is {}",
            inv.status.as_deref().unwrap_or("?")
        )));
    }
    let (plan, end) = match check_invoice(inv, plans) {
        Ok(checked) => checked,
        Err(reason) => return Ok(Err(NotApplied::Rejected(reason))),
    };
    let client = match invoice_owner(conn, inv).await? {
        Ok(client) => client,
        Err(reason) => return Ok(Err(NotApplied::Rejected(reason))),
    };
    let period = inv.line_period.expect("checked");
    let plan_id = PlanId::of(plan);
    if !q::record_invoice(conn, &client, inv, &plan_id, period, origin, now).await? {
        return Ok(ignored("invoice already applied"));
    }
    let stored = stored_renewal(conn, &client).await?;
    let paid = steps::invoice_paid(
        &stored,
        inv.subscription.as_deref(),
        inv.customer.as_deref(),
        &plan_id,
        end,
    );
    let version = q::store_renewal(conn, &client, &paid, now).await?;
    let paid_until = paid.row.paid_until.unwrap_or(end);
    // A zero invoice (the first charge deferred to the end of prepaid time) bills nothing.
    if inv.amount_paid > 0 {
        factures.push(FactureDraft {
            client: client.clone(),
            source: inv.id.clone(),
            plan: plan_id.clone(),
            period,
            total_cents: inv.amount_paid,
            currency: inv
                .currency
                .clone()
                .unwrap_or_else(|| plan.currency.clone()),
            paid_at: inv.paid_at.unwrap_or(now.unix()),
            hosted_url: inv.hosted_url.clone(),
            buyer_details: inv.buyer.as_ref().map(crate::domain::BuyerDetails::to_json),
        });
    }
    Ok(Ok((
        client,
        Effect::InvoicePaid {
            plan: plan_id,
            paid_until,
        },
        version,
    )))
}

/// `invoice.payment_failed`: `past_due` while that period is unpaid.
pub async fn payment_failed(
    conn: &mut AnyConnection,
    inv: &InvoiceFacts,
    now: Timestamp,
) -> Result<Applied, sqlx::Error> {
    let client = match invoice_owner(conn, inv).await? {
        Ok(client) => client,
        Err(reason) => return Ok(Err(NotApplied::Rejected(reason))),
    };
    let Some((_, end)) = inv.line_period else {
        return Ok(ignored("invoice line has no period"));
    };
    let stored = stored_renewal(conn, &client).await?;
    let applied = q::invoice_recorded(conn, &inv.id).await?;
    Ok(
        match steps::payment_failed(&stored, inv.subscription.as_deref(), end, applied) {
            Some(failed) => {
                let version = q::store_renewal(conn, &client, &failed, now).await?;
                Ok((client, Effect::PaymentFailed, version))
            }
            None => ignored("period already paid, or not the company's live subscription"),
        },
    )
}

/// The subscription as Stripe holds it now; its latest invoice, when paid, counts as its
/// `invoice.paid` would (once, by invoice id).
pub async fn subscription(
    conn: &mut AnyConnection,
    sub: &SubscriptionFacts,
    client: Option<&ClientId>,
    plans: &Catalogue,
    origin: PaymentOrigin,
    now: Timestamp,
    factures: &mut Vec<FactureDraft>,
) -> Result<Applied, sqlx::Error> {
    let named = client.map(ClientId::as_str).or(sub.client_id.as_deref());
    let holder = q::holder(conn, sub.customer.as_deref()).await?;
    let client = match owner(holder, named) {
        Ok(client) => client,
        Err(reason) => return Ok(Err(NotApplied::Rejected(reason))),
    };
    if let Some(inv) = sub
        .latest_invoice
        .as_ref()
        .filter(|i| i.status.as_deref() == Some("paid"))
    {
        invoice_paid(conn, inv, plans, origin, now, factures)
            .await?
            .ok();
    }
    let stored = stored_renewal(conn, &client).await?;
    Ok(match steps::subscription_read(&stored, sub) {
        Ok(read) => {
            let version = q::store_renewal(conn, &client, &read, now).await?;
            Ok((client, Effect::Synced(state_of(&sub.status)), version))
        }
        Err(refused) => ignored(refused.reason()),
    })
}

/// The company's stored renewal: its row exists, since the relay created the customer that
/// named it.
async fn stored_renewal(
    conn: &mut AnyConnection,
    client: &ClientId,
) -> Result<StoredRenewal, sqlx::Error> {
    q::renewal_of(conn, client)
        .await?
        .ok_or(sqlx::Error::RowNotFound)
}

/// The company an invoice is for: the holder of its customer (see [`owner`]).
async fn invoice_owner(
    conn: &mut AnyConnection,
    inv: &InvoiceFacts,
) -> Result<Result<ClientId, Rejection>, sqlx::Error> {
    let holder = q::holder(conn, inv.customer.as_deref()).await?;
    Ok(owner(holder, inv.client_id.as_deref()))
}

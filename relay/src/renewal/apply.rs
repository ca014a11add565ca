//! Renewal events applied inside the writer's transaction, in any order and any number of
//! times: `invoice.paid` keyed on the invoice id, `invoice.payment_failed`, and the subscription
//! as read from Stripe for `customer.subscription.*` notifications and for a paid subscription
//! checkout (whose first invoice is the same invoice as its `invoice.paid`: it counts once).

use erp_btp_protocol::RenewalState;
use sqlx::AnyConnection;

use super::facts::{InvoiceFacts, SubscriptionFacts};
use crate::core::rejection::Rejection;
use crate::core::renewal::{check_invoice, owner, read_is_newer, state_of, state_word};
use crate::db::renewals as q;
use crate::domain::{ClientId, PaymentOrigin};
use crate::factures::FactureDraft;
use crate::plans::Catalogue;

/// What a renewal event did to the company's renewal.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// A subscription checkout linked the company to its subscription.
    Linked,
    InvoicePaid {
        plan: String,
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
    now: i64,
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
    if !q::record_invoice(conn, &client, inv, &plan.id, period, origin, now).await? {
        return Ok(ignored("invoice already applied"));
    }
    let (paid_until, version) = q::extend_paid(conn, &client, inv, &plan.id, end, now)
        .await?
        .expect("the owner's row exists");
    // A zero invoice (the first charge deferred to the end of prepaid time) bills nothing.
    if inv.amount_paid > 0 {
        factures.push(FactureDraft {
            client: client.clone(),
            source: inv.id.clone(),
            plan: plan.id.clone(),
            period,
            total_cents: inv.amount_paid,
            currency: inv
                .currency
                .clone()
                .unwrap_or_else(|| plan.currency.clone()),
            paid_at: inv.paid_at.unwrap_or(now),
            hosted_url: inv.hosted_url.clone(),
            buyer_details: inv.buyer.as_ref().map(crate::domain::BuyerDetails::to_json),
        });
    }
    Ok(Ok((
        client,
        Effect::InvoicePaid {
            plan: plan.id.clone(),
            paid_until,
        },
        version,
    )))
}

/// `invoice.payment_failed`: `past_due` while that period is unpaid.
pub async fn payment_failed(
    conn: &mut AnyConnection,
    inv: &InvoiceFacts,
    now: i64,
) -> Result<Applied, sqlx::Error> {
    let client = match invoice_owner(conn, inv).await? {
        Ok(client) => client,
        Err(reason) => return Ok(Err(NotApplied::Rejected(reason))),
    };
    let Some((_, end)) = inv.line_period else {
        return Ok(ignored("invoice line has no period"));
    };
    Ok(match q::mark_failed(conn, &client, inv, end, now).await? {
        Some(version) => Ok((client, Effect::PaymentFailed, version)),
        None => ignored("period already paid, or not the company's live subscription"),
    })
}

/// The subscription as Stripe holds it now; its latest invoice, when paid, counts as its
/// `invoice.paid` would (once, by invoice id).
pub async fn subscription(
    conn: &mut AnyConnection,
    sub: &SubscriptionFacts,
    client: Option<&ClientId>,
    plans: &Catalogue,
    origin: PaymentOrigin,
    now: i64,
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
    if !read_is_newer(q::subscription_read_at(conn, &client).await?, sub.read_at) {
        return Ok(ignored(
            "older read of the subscription than the one applied",
        ));
    }
    Ok(match q::sync_subscription(conn, &client, sub, now).await? {
        Some(version) => Ok((client, Effect::Synced(state_of(&sub.status)), version)),
        None => ignored("the company has another live subscription"),
    })
}

/// The company an invoice is for: the holder of its customer (see [`owner`]).
async fn invoice_owner(
    conn: &mut AnyConnection,
    inv: &InvoiceFacts,
) -> Result<Result<ClientId, Rejection>, sqlx::Error> {
    let holder = q::holder(conn, inv.customer.as_deref()).await?;
    Ok(owner(holder, inv.client_id.as_deref()))
}

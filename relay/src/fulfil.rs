//! The payment rules applied to one piece of work inside a transaction: a verified webhook event
//! (its effect, then its journal entry; a duplicate is recognised by its event id) or a session
//! looked up by the success page. One fulfilment function keyed on the Checkout Session id
//! serves both.

use std::collections::HashSet;

use erp_btp_protocol::Plan;
use sqlx::AnyConnection;

use crate::db::payments as q;
use crate::domain::ClientId;
use crate::plans::Catalogue;
use crate::stripe::{SessionFacts, WebhookEvent};

#[derive(Debug, Clone)]
pub enum Work {
    Event {
        event: WebhookEvent,
        payload: String,
    },
    /// The success page retrieved this session from Stripe.
    Lookup(SessionFacts),
}

impl Work {
    /// Client the work is about, to order a batch's row locks the same way on every instance.
    pub fn sort_key(&self) -> &str {
        let facts = match self {
            Work::Event { event, .. } => event.session.as_ref(),
            Work::Lookup(facts) => Some(facts),
        };
        facts.and_then(|f| f.client_id.as_deref()).unwrap_or("")
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    Fulfilled {
        client: ClientId,
        plan: String,
        expires_at: i64,
        version: i64,
    },
    /// The session had already left `open`/`pending`; its current state.
    AlreadyHandled(String),
    Pending {
        client: String,
        version: Option<i64>,
    },
    Failed {
        client: String,
        version: Option<i64>,
    },
    Expired,
    Rejected(String),
    Ignored(String),
    Duplicate,
}

impl Outcome {
    pub fn label(&self) -> String {
        match self {
            Outcome::Fulfilled { .. } => "fulfilled".into(),
            Outcome::AlreadyHandled(state) => format!("already {state}"),
            Outcome::Pending { .. } => "pending".into(),
            Outcome::Failed { .. } => "payment failed".into(),
            Outcome::Expired => "expired".into(),
            Outcome::Rejected(reason) => format!("rejected: {reason}"),
            Outcome::Ignored(reason) => format!("ignored: {reason}"),
            Outcome::Duplicate => "duplicate".into(),
        }
    }

    /// The client whose visible state changed, and its new version.
    pub fn change(&self) -> Option<(&str, i64)> {
        match self {
            Outcome::Fulfilled {
                client, version, ..
            } => Some((client.as_str(), *version)),
            Outcome::Pending {
                client,
                version: Some(v),
            }
            | Outcome::Failed {
                client,
                version: Some(v),
            } => Some((client, *v)),
            _ => None,
        }
    }
}

/// Checks a paid session against the plan catalogue: known plan, exact amount and currency,
/// well-formed client id. Pure; whether the client exists is asked of the database after.
pub fn check_payment<'a>(
    facts: &SessionFacts,
    plans: &'a Catalogue,
) -> Result<(ClientId, &'a Plan), String> {
    let client = facts
        .client_id
        .as_deref()
        .and_then(ClientId::parse)
        .ok_or("no valid client_id in metadata")?;
    let plan_id = facts.plan.as_deref().ok_or("no plan in metadata")?;
    let plan = plans
        .get(plan_id)
        .ok_or_else(|| format!("unknown plan {plan_id}"))?;
    if facts.amount_total != Some(plan.price_cents) {
        return Err(format!(
            "amount {:?} does not match plan {} ({} cents)",
            facts.amount_total, plan.id, plan.price_cents
        ));
    }
    if facts.currency.as_deref() != Some(plan.currency.as_str()) {
        return Err(format!(
            "currency {:?} does not match plan {} ({})",
            facts.currency, plan.id, plan.currency
        ));
    }
    Ok((client, plan))
}

/// The event type (or `lookup`) and session of a piece of work, when it is about a session.
fn session_of(work: &Work) -> Option<(&str, &SessionFacts)> {
    match work {
        Work::Lookup(facts) => Some(("lookup", facts)),
        Work::Event { event, .. } => event
            .session
            .as_ref()
            .map(|f| (event.event_type.as_str(), f)),
    }
}

/// Whether this kind of work on this session means "the money is there: fulfil".
fn is_payment(kind: &str, facts: &SessionFacts) -> bool {
    match kind {
        "checkout.session.completed" | "lookup" => facts.payment_status == "paid",
        "checkout.session.async_payment_succeeded" => true,
        _ => false,
    }
}

/// Claims, in one statement, every session of the batch that is paid and passes the payment
/// checks; [`apply`] then only extends the subscriptions of those it finds in the returned set.
pub async fn claim_payments(
    conn: &mut AnyConnection,
    works: &[&Work],
    plans: &Catalogue,
    now: i64,
) -> Result<HashSet<String>, sqlx::Error> {
    let mut seen = HashSet::new();
    let paid: Vec<&SessionFacts> = works
        .iter()
        .filter_map(|w| session_of(w))
        .filter(|(kind, facts)| is_payment(kind, facts) && check_payment(facts, plans).is_ok())
        .map(|(_, facts)| facts)
        .filter(|facts| seen.insert(facts.id.as_str()))
        .collect();
    q::claim_for_fulfilment(conn, &paid, now).await
}

/// Applies the effect of `work`, the batch's payments being already claimed in `claimed`; a
/// webhook event is journalled afterwards by the writer, for the whole batch at once (see
/// [`crate::db::payments::insert_events`]).
pub async fn apply(
    conn: &mut AnyConnection,
    work: &Work,
    plans: &Catalogue,
    claimed: &mut HashSet<String>,
    now: i64,
) -> Result<Outcome, sqlx::Error> {
    match work {
        Work::Lookup(facts) => apply_session(conn, "lookup", facts, plans, claimed, now).await,
        Work::Event { event, .. } => match &event.session {
            Some(facts) => apply_session(conn, &event.event_type, facts, plans, claimed, now).await,
            None if event.event_type.starts_with("checkout.session.") => {
                Ok(Outcome::Ignored("unreadable session object".into()))
            }
            None => Ok(Outcome::Ignored("event type not handled".into())),
        },
    }
}

async fn apply_session(
    conn: &mut AnyConnection,
    kind: &str,
    facts: &SessionFacts,
    plans: &Catalogue,
    claimed: &mut HashSet<String>,
    now: i64,
) -> Result<Outcome, sqlx::Error> {
    let client = facts.client_id.clone().unwrap_or_default();
    match kind {
        _ if is_payment(kind, facts) => fulfil(conn, facts, plans, claimed, now).await,
        "checkout.session.completed" | "lookup"
            if facts.payment_status == "unpaid" && facts.status.as_deref() != Some("open") =>
        {
            if q::claim(conn, facts, &["open"], "pending", None, now).await? {
                Ok(Outcome::Pending {
                    version: q::bump_version(conn, &client, now).await?,
                    client,
                })
            } else {
                already(conn, facts).await
            }
        }
        "checkout.session.async_payment_failed" => {
            if q::claim(
                conn,
                facts,
                &["open", "pending"],
                "failed",
                Some("delayed payment failed"),
                now,
            )
            .await?
            {
                Ok(Outcome::Failed {
                    version: q::bump_version(conn, &client, now).await?,
                    client,
                })
            } else {
                already(conn, facts).await
            }
        }
        "checkout.session.expired" => {
            if q::claim(conn, facts, &["open"], "expired", None, now).await? {
                Ok(Outcome::Expired)
            } else {
                already(conn, facts).await
            }
        }
        "lookup" => Ok(Outcome::Ignored(format!(
            "session is {} and {}",
            facts.status.as_deref().unwrap_or("?"),
            facts.payment_status
        ))),
        "checkout.session.completed" => Ok(Outcome::Ignored(format!(
            "payment_status {}",
            facts.payment_status
        ))),
        _ => Ok(Outcome::Ignored("event type not handled".into())),
    }
}

async fn already(conn: &mut AnyConnection, facts: &SessionFacts) -> Result<Outcome, sqlx::Error> {
    Ok(Outcome::AlreadyHandled(
        q::session_state(conn, &facts.id).await?.unwrap_or_default(),
    ))
}

/// Fulfils a paid session at most once: only the work that finds it in `claimed` (it was moved
/// from `open`/`pending` to `fulfilled` by [`claim_payments`] in this transaction) extends the
/// subscription; a later duplicate in the same batch finds it gone.
async fn fulfil(
    conn: &mut AnyConnection,
    facts: &SessionFacts,
    plans: &Catalogue,
    claimed: &mut HashSet<String>,
    now: i64,
) -> Result<Outcome, sqlx::Error> {
    let (client, plan) = match check_payment(facts, plans) {
        Ok(ok) => ok,
        Err(reason) => return reject(conn, facts, reason, now).await,
    };
    if !claimed.remove(facts.id.as_str()) {
        return already(conn, facts).await;
    }
    match q::extend_subscription(conn, &client, &plan.id, plan.duration_days, now).await? {
        Some((expires_at, version)) => Ok(Outcome::Fulfilled {
            client,
            plan: plan.id.clone(),
            expires_at,
            version,
        }),
        None => {
            // Undo the claim in the same transaction: the session is recorded as rejected.
            let reason = format!("unknown client {client}");
            q::set_state(conn, &facts.id, "rejected", &reason, now).await?;
            Ok(Outcome::Rejected(reason))
        }
    }
}

async fn reject(
    conn: &mut AnyConnection,
    facts: &SessionFacts,
    reason: String,
    now: i64,
) -> Result<Outcome, sqlx::Error> {
    if q::claim(
        conn,
        facts,
        &["open", "pending"],
        "rejected",
        Some(&reason),
        now,
    )
    .await?
    {
        Ok(Outcome::Rejected(reason))
    } else {
        already(conn, facts).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::SessionId;

    fn facts(amount: i64, currency: &str, plan: &str, client: &str) -> SessionFacts {
        SessionFacts {
            id: SessionId::parse("cs_test_1").unwrap(),
            client_id: Some(client.into()),
            plan: Some(plan.into()),
            amount_total: Some(amount),
            currency: Some(currency.into()),
            payment_status: "paid".into(),
            status: Some("complete".into()),
        }
    }

    #[test]
    fn a_payment_must_match_the_plan_exactly() {
        let plans = Catalogue::default();
        assert!(check_payment(&facts(4900, "eur", "mensuel", "39"), &plans).is_ok());
        assert!(
            check_payment(&facts(4899, "eur", "mensuel", "39"), &plans)
                .unwrap_err()
                .contains("amount")
        );
        assert!(
            check_payment(&facts(4900, "usd", "mensuel", "39"), &plans)
                .unwrap_err()
                .contains("currency")
        );
        assert!(
            check_payment(&facts(4900, "eur", "hebdo", "39"), &plans)
                .unwrap_err()
                .contains("unknown plan")
        );
        assert!(
            check_payment(&facts(4900, "eur", "mensuel", "bad id"), &plans)
                .unwrap_err()
                .contains("client_id")
        );
        assert!(check_payment(&facts(4900, "eur", "annuel", "39"), &plans).is_err());
    }
}

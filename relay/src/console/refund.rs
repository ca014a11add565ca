//! « Rembourser » on a facture: a confirmation page that says what is left to refund, then the
//! request to Stripe through `money_back::ask`, the path `relay refund` takes. The avoir and the
//! access change follow from the refund's events; the request is written to the audit trail.
//! `admin` only.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use serde::Deserialize;

use super::error::ConsoleError;
use super::session::{Peer, SignedIn};
use crate::core::refund::{euros, parse_euros};
use crate::money_back::ask::{NotAsked, ask, target};
use crate::routes::pages::page;
use crate::state::AppState;

impl From<NotAsked> for ConsoleError {
    fn from(e: NotAsked) -> Self {
        match e {
            NotAsked::Db(e) => ConsoleError::Db(e),
            NotAsked::Unknown(_) | NotAsked::NotANumber(_) => ConsoleError::NotFound,
            other => ConsoleError::Invalid(other.to_string()),
        }
    }
}

#[derive(Template)]
#[template(path = "console/refund.html")]
struct ConfirmPage {
    me: SignedIn,
    section: &'static str,
    number: String,
    client: String,
    total: String,
    refunded: String,
    left: String,
}

pub async fn confirm(
    State(state): State<AppState>,
    me: SignedIn,
    Path(number): Path<String>,
) -> Result<Response, ConsoleError> {
    me.may_act(&me.csrf)?;
    let t = target(&state.db, &number).await?;
    Ok(page(
        ConfirmPage {
            me,
            section: "companies",
            client: t.client.to_string(),
            total: euros(t.total_cents),
            refunded: euros(t.refunded),
            left: euros(t.total_cents - t.refunded),
            number,
        },
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
pub struct RefundForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    amount: String,
    #[serde(default)]
    reason: String,
}

#[derive(Template)]
#[template(path = "console/refund_done.html")]
struct DonePage {
    me: SignedIn,
    section: &'static str,
    said: String,
    client: String,
}

pub async fn refund(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Path(number): Path<String>,
    Form(f): Form<RefundForm>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    let asked = match f.amount.trim() {
        "" => None,
        typed => match parse_euros(typed) {
            Some(cents) if cents > 0 => Some(cents),
            _ => {
                return Err(ConsoleError::Invalid(format!(
                    "« {typed} » n'est pas un montant en euros (ex. 10,00)."
                )));
            }
        },
    };
    let done = ask(&state.db, &state.billing, &number, asked, Some(&f.reason)).await?;
    let reason = f.reason.trim();
    let detail = format!(
        "{number} : {}{}",
        euros(done.amount),
        if reason.is_empty() {
            String::new()
        } else {
            format!(" ({reason})")
        }
    );
    me.audit(&state, address, "remboursement demandé", detail)
        .await?;
    Ok(page(
        DonePage {
            me,
            section: "companies",
            said: done.said(&number),
            client: done.target.client.to_string(),
        },
        StatusCode::OK,
    ))
}

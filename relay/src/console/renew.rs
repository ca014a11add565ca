//! « Renvoyer le lien de renouvellement »: an `admin` operator makes a fresh link to the
//! company's renewal page (the one the desktop app opens), valid three days, to send by e-mail
//! or read over the phone to an admin whose desktop app cannot reach the relay. The link is a
//! bearer credential: it is shown once on the answer page, never stored, and the audit trail
//! says who made it, for whom and until when, without it.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;

use super::error::ConsoleError;
use super::login::CsrfOnly;
use super::session::{Peer, SignedIn};
use super::when;
use crate::domain::ClientId;
use crate::routes::pages::page;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/renew_link.html")]
struct LinkPage {
    me: SignedIn,
    section: &'static str,
    id: String,
    name: String,
    url: String,
    until: String,
}

pub async fn send(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    let row = super::companies::found(&state, &id).await?;
    if row.revoked_at.is_some() {
        return Err(ConsoleError::Invalid(
            "Le jeton de cette entreprise est révoqué : elle ne peut plus renouveler.".into(),
        ));
    }
    let client = ClientId::parse(&row.id).ok_or(ConsoleError::NotFound)?;
    let (token, expires) = state
        .keys
        .sent_renew_token(&client, state.clock.timestamp());
    let until = when(expires.unix());
    me.audit(
        &state,
        address,
        "lien de renouvellement créé",
        format!("{client}, valable jusqu'au {until}"),
    )
    .await?;
    Ok(page(
        LinkPage {
            me,
            section: "companies",
            url: state
                .settings
                .public_url(&format!("/renew-subscription?link={token}")),
            id: row.id,
            name: row.name,
            until,
        },
        StatusCode::OK,
    ))
}

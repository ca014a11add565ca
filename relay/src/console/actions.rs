//! What an `admin` operator does to companies from the console: add one (its API token shown
//! once), rename it, set its SIREN, revoke its token after a confirmation step. Every form is
//! checked for the session's CSRF token and the role, and every change is written to the audit
//! trail; a `lecture` operator sees none of the forms and is refused if they post one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::ConsoleError;
use super::login::CsrfOnly;
use super::session::{Peer, SignedIn};
use crate::db::clients::ClientError;
use crate::domain::ClientId;
use crate::routes::pages::page;
use crate::siren::Siren;
use crate::state::AppState;

impl From<ClientError> for ConsoleError {
    fn from(e: ClientError) -> Self {
        match e {
            ClientError::Exists(id) => ConsoleError::Invalid(format!(
                "L'identifiant {id} est déjà celui d'une entreprise."
            )),
            ClientError::Unknown(_) => ConsoleError::NotFound,
            ClientError::Db(e) => ConsoleError::Db(e),
        }
    }
}

fn client_id(text: &str) -> Result<ClientId, ConsoleError> {
    ClientId::parse(text.trim()).ok_or_else(|| {
        ConsoleError::Invalid(format!(
            "Identifiant « {} » invalide : 1 à 64 caractères parmi lettres, chiffres, - et _.",
            text.trim()
        ))
    })
}

fn name(text: &str) -> Result<&str, ConsoleError> {
    let name = text.trim();
    match name.chars().count() {
        1..=200 => Ok(name),
        _ => Err(ConsoleError::Invalid(
            "Le nom doit contenir 1 à 200 caractères.".into(),
        )),
    }
}

fn siren(text: &str) -> Result<Siren, ConsoleError> {
    Siren::parse(text).map_err(|e| ConsoleError::Invalid(format!("SIREN refusé : {e}.")))
}

fn to_company(id: &ClientId) -> Response {
    Redirect::to(&format!("/admin/companies/{id}")).into_response()
}

#[derive(Template)]
#[template(path = "console/company_new.html")]
struct NewPage {
    me: SignedIn,
    section: &'static str,
}

pub async fn new(me: SignedIn) -> Result<Response, ConsoleError> {
    me.may_act(&me.csrf)?;
    Ok(page(
        NewPage {
            me,
            section: "companies",
        },
        StatusCode::OK,
    ))
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    siren: String,
}

#[derive(Template)]
#[template(path = "console/token.html")]
struct TokenPage {
    me: SignedIn,
    section: &'static str,
    id: String,
    name: String,
    token: String,
}

pub async fn add(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Form(f): Form<AddForm>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    // Everything is checked before anything is stored.
    let id = client_id(&f.id)?;
    let name = name(&f.name)?.to_owned();
    let siren = match f.siren.trim() {
        "" => None,
        text => Some(siren(text)?),
    };
    let token = state.db.add_client(&id, &name).await?;
    if let Some(siren) = &siren {
        state.db.set_siren(&id, siren).await?;
    }
    me.audit(
        &state,
        address,
        "entreprise ajoutée",
        format!("{id} ({name})"),
    )
    .await?;
    Ok(page(
        TokenPage {
            me,
            section: "companies",
            id: id.to_string(),
            name,
            token,
        },
        StatusCode::CREATED,
    ))
}

#[derive(Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

pub async fn rename(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<NameForm>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    let id = client_id(&id)?;
    let name = name(&f.name)?;
    state.db.rename_client(&id, name).await?;
    me.audit(
        &state,
        address,
        "entreprise renommée",
        format!("{id} → {name}"),
    )
    .await?;
    Ok(to_company(&id))
}

#[derive(Deserialize)]
pub struct SirenForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    siren: String,
}

pub async fn set_siren(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<SirenForm>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    let id = client_id(&id)?;
    let siren = siren(&f.siren)?;
    state.db.set_siren(&id, &siren).await?;
    me.audit(
        &state,
        address,
        "SIREN enregistré",
        format!("{id} : {}", siren.as_str()),
    )
    .await?;
    Ok(to_company(&id))
}

#[derive(Template)]
#[template(path = "console/revoke.html")]
struct RevokePage {
    me: SignedIn,
    section: &'static str,
    id: String,
    name: String,
}

/// The confirmation step before a revocation.
pub async fn confirm_revoke(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    me.may_act(&me.csrf)?;
    let row = super::companies::found(&state, &id).await?;
    Ok(page(
        RevokePage {
            me,
            section: "companies",
            id: row.id,
            name: row.name,
        },
        StatusCode::OK,
    ))
}

pub async fn revoke(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    let id = client_id(&id)?;
    state.db.revoke_client(&id).await?;
    me.audit(&state, address, "jeton révoqué", id.to_string())
        .await?;
    Ok(to_company(&id))
}

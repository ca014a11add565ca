//! Logging in and out. Failed attempts are stored (so that every instance counts them) and
//! limited per account and per address (`core::console::login_allowed`); every login, refusal
//! and logout is written to the audit trail. An operator whose second factor is on
//! (`relay admins totp`) also gives the code of their authenticator application; a wrong or
//! missing code is refused with the same words as a wrong password, so that the answer never
//! tells a guesser that the password was right.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::ConsoleError;
use super::password;
use super::session::{self, LOGIN_COOKIE, Peer, SignedIn};
use crate::core::Timestamp;
use crate::core::console::{SESSION_SECS, login_allowed};
use crate::core::totp::accepted_step;
use crate::db::clients::new_token;
use crate::db::operators::{AuditLine, Operator};
use crate::routes::pages::page;
use crate::state::AppState;

#[derive(Template)]
#[template(path = "console/login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    email: &'a str,
    error: Option<&'a str>,
}

/// The form, with a fresh double-submit CSRF token in its cookie and its field.
fn form(state: &AppState, email: &str, error: Option<&str>, status: StatusCode) -> Response {
    let csrf = new_token();
    let mut response = page(
        LoginPage {
            csrf: &csrf,
            email,
            error,
        },
        status,
    );
    let cookie = session::set_cookie(state, LOGIN_COOKIE, &csrf, 3600);
    let headers = response.headers_mut();
    headers.insert(header::SET_COOKIE, cookie.parse().expect("a cookie"));
    headers.insert(header::CACHE_CONTROL, "no-store".parse().expect("a header"));
    response
}

pub async fn show(State(state): State<AppState>) -> Response {
    form(&state, "", None, StatusCode::OK)
}

#[derive(Deserialize)]
pub struct Credentials {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    password: String,
    /// The TOTP code, for an operator whose second factor is on.
    #[serde(default)]
    code: String,
}

const REFUSED: &str = "Adresse e-mail, mot de passe ou code incorrect.";
const LIMITED: &str = "Trop de tentatives de connexion : réessayez dans un quart d'heure.";

/// Checks the operator's TOTP code when their second factor is on: `Err` with the audit
/// trail's reason when it is missing, wrong, already used, or the secret cannot be opened.
async fn second_factor(
    state: &AppState,
    operator: &Operator,
    code: &str,
    now: Timestamp,
) -> Result<Result<(), &'static str>, ConsoleError> {
    let Some(sealed) = &operator.totp_sealed else {
        return Ok(Ok(()));
    };
    if code.trim().is_empty() {
        return Ok(Err("code de double authentification manquant"));
    }
    let Some(secret) = state.keys.open(sealed) else {
        // The signing key changed since the secret was sealed: `relay admins totp` again.
        return Ok(Err("secret de double authentification illisible"));
    };
    let step = accepted_step(&secret, now.unix(), code, operator.totp_last_step);
    Ok(match step {
        Some(step) if state.db.use_totp_step(&operator.email, step).await? => Ok(()),
        _ => Err("code de double authentification refusé"),
    })
}

pub async fn submit(
    State(state): State<AppState>,
    Peer(address): Peer,
    headers: HeaderMap,
    Form(form_in): Form<Credentials>,
) -> Result<Response, ConsoleError> {
    let expected = session::cookie(&headers, LOGIN_COOKIE).unwrap_or_default();
    if expected.is_empty() || !session::same(expected, &form_in.csrf) {
        return Err(ConsoleError::Csrf);
    }
    let email = form_in.email.trim().to_lowercase();
    let now = state.clock.timestamp();
    let audit = |action: &str, detail: &str| AuditLine {
        at: now.unix(),
        email: email.clone(),
        action: action.into(),
        detail: detail.into(),
        address: address.clone(),
    };
    let (account, from_address) = state.db.login_failures(&email, &address, now).await?;
    if !login_allowed(account, from_address) {
        state
            .db
            .audit(&audit("connexion refusée", "trop de tentatives"))
            .await?;
        return Ok(form(
            &state,
            &email,
            Some(LIMITED),
            StatusCode::TOO_MANY_REQUESTS,
        ));
    }
    let operator = state.db.operator(&email).await?;
    let stored = operator
        .as_ref()
        .map_or(password::decoy().to_owned(), |o| o.password_hash.clone());
    let given = form_in.password;
    // Argon2id takes tens of milliseconds of CPU: off the async workers.
    let matches = tokio::task::spawn_blocking(move || password::verify(&given, &stored))
        .await
        .unwrap_or(false);
    let Some(operator) = operator.filter(|_| matches) else {
        state.db.record_login_failure(&email, &address, now).await?;
        state
            .db
            .audit(&audit(
                "connexion refusée",
                "mot de passe ou compte inconnu",
            ))
            .await?;
        return Ok(form(&state, &email, Some(REFUSED), StatusCode::FORBIDDEN));
    };
    if let Err(why) = second_factor(&state, &operator, &form_in.code, now).await? {
        state.db.record_login_failure(&email, &address, now).await?;
        state.db.audit(&audit("connexion refusée", why)).await?;
        return Ok(form(&state, &email, Some(REFUSED), StatusCode::FORBIDDEN));
    }
    let token = new_token();
    state
        .db
        .open_operator_session(
            &token,
            &operator.email,
            &address,
            now,
            now.unix() + SESSION_SECS,
        )
        .await?;
    state
        .db
        .audit(&audit(
            "connexion",
            &format!("rôle {}", operator.role.as_str()),
        ))
        .await?;
    let mut response = Redirect::to("/admin").into_response();
    let headers = response.headers_mut();
    headers.append(
        header::SET_COOKIE,
        session::session_cookie(&state, &token)
            .parse()
            .expect("a cookie"),
    );
    headers.append(
        header::SET_COOKIE,
        session::set_cookie(&state, LOGIN_COOKIE, "", 0)
            .parse()
            .expect("a cookie"),
    );
    Ok(response)
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    pub csrf: String,
}

pub async fn logout(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Form(f): Form<CsrfOnly>,
) -> Result<Response, ConsoleError> {
    if !me.checks(&f.csrf) {
        return Err(ConsoleError::Csrf);
    }
    state.db.close_operator_session(me.token()).await?;
    me.audit(&state, address, "déconnexion", String::new())
        .await?;
    let mut response = Redirect::to("/admin/login").into_response();
    response.headers_mut().insert(
        header::SET_COOKIE,
        session::set_cookie(&state, session::COOKIE, "", 0)
            .parse()
            .expect("a cookie"),
    );
    Ok(response)
}

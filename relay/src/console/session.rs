//! Who is asking: the signed-in operator (a server-side session named by an `HttpOnly`,
//! `SameSite=Strict` cookie), the CSRF token that each form carries, and the peer's address.

use std::net::SocketAddr;

use axum::extract::{ConnectInfo, FromRequestParts};
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use sha2::{Digest, Sha256};
use subtle::ConstantTimeEq;

use super::error::ConsoleError;
use crate::core::console::{Role, SESSION_SECS};
use crate::state::AppState;

/// The session cookie.
pub const COOKIE: &str = "relay_console";
/// The login form's own CSRF cookie (double submit: no session exists yet).
pub const LOGIN_COOKIE: &str = "relay_console_login";

/// The operator behind a request, from a live session.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub email: String,
    pub role: Role,
    /// What every form of this session must send back.
    pub csrf: String,
    token: String,
}

impl SignedIn {
    /// The session's token, to end it at logout.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// Whether a form's CSRF field is this session's.
    pub fn checks(&self, form_csrf: &str) -> bool {
        same(&self.csrf, form_csrf)
    }

    /// Writes what this operator did, from `address`, to the audit trail.
    pub async fn audit(
        &self,
        state: &AppState,
        address: String,
        action: &str,
        detail: String,
    ) -> Result<(), ConsoleError> {
        let line = crate::db::operators::AuditLine {
            at: state.clock.timestamp().unix(),
            email: self.email.clone(),
            action: action.into(),
            detail,
            address,
        };
        Ok(state.db.audit(&line).await?)
    }

    /// Refuses a form unless it carries this session's CSRF token and the operator may act
    /// (role `admin`).
    pub fn may_act(&self, form_csrf: &str) -> Result<(), ConsoleError> {
        if !self.checks(form_csrf) {
            return Err(ConsoleError::Csrf);
        }
        match self.role.acts() {
            true => Ok(()),
            false => Err(ConsoleError::Forbidden),
        }
    }
}

/// Constant-time equality of two tokens (a mismatch in length is a mismatch).
pub fn same(a: &str, b: &str) -> bool {
    a.len() == b.len() && bool::from(a.as_bytes().ct_eq(b.as_bytes()))
}

/// A session's CSRF token: derived from its secret token, so that nothing more is stored and
/// no page without the cookie can compute it.
pub fn csrf_of(token: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"relay-console-csrf\0");
    h.update(token.as_bytes());
    hex::encode(h.finalize())
}

/// The value of cookie `name` in a request.
pub fn cookie<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for the console's cookies: `HttpOnly`, `SameSite=Strict`, scoped to
/// `/admin`, `Secure` when the relay is served over https or in production.
pub fn set_cookie(state: &AppState, name: &str, value: &str, max_age: i64) -> String {
    let secure = state.settings.app_url.scheme() == "https"
        || state.settings.env == crate::config::AppEnv::Production;
    format!(
        "{name}={value}; Path=/admin; Max-Age={max_age}; HttpOnly; SameSite=Strict{}",
        if secure { "; Secure" } else { "" }
    )
}

/// The session cookie for a new session.
pub fn session_cookie(state: &AppState, token: &str) -> String {
    set_cookie(state, COOKIE, token, SESSION_SECS)
}

impl FromRequestParts<AppState> for SignedIn {
    type Rejection = ConsoleError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = cookie(&parts.headers, COOKIE).ok_or(ConsoleError::SignedOut)?;
        let operator = state
            .db
            .operator_of_session(token, state.clock.timestamp())
            .await?
            .ok_or(ConsoleError::SignedOut)?;
        Ok(SignedIn {
            email: operator.email,
            role: operator.role,
            csrf: csrf_of(token),
            token: token.to_owned(),
        })
    }
}

/// The peer's IP address (« inconnue » when the request did not come over a socket).
#[derive(Debug, Clone)]
pub struct Peer(pub String);

impl<S: Send + Sync> FromRequestParts<S> for Peer {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        Ok(Peer(
            parts
                .extensions
                .get::<ConnectInfo<SocketAddr>>()
                .map_or_else(|| "inconnue".into(), |c| c.0.ip().to_string()),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cookie_is_found_among_others_and_only_by_its_exact_name() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; relay_console_login=x; relay_console=tok"
                .parse()
                .unwrap(),
        );
        assert_eq!(cookie(&headers, COOKIE), Some("tok"));
        assert_eq!(cookie(&headers, LOGIN_COOKIE), Some("x"));
        assert_eq!(cookie(&headers, "relay"), None);
    }

    #[test]
    fn a_csrf_token_is_the_sessions_own_and_compared_whole() {
        let csrf = csrf_of("t1");
        assert_ne!(csrf, csrf_of("t2"));
        assert!(same(&csrf, &csrf_of("t1")));
        assert!(!same(&csrf, &csrf[..10]));
        assert!(!same(&csrf, ""));
    }
}

//! What goes wrong in the console, each with a stable code and a French page (or, signed out,
//! the way to the login form).

use askama::Template;
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};

use crate::routes::pages::page;

#[derive(Debug, thiserror::Error)]
pub enum ConsoleError {
    #[error("not signed in")]
    SignedOut,
    #[error("the form's CSRF token is missing or not this session's")]
    Csrf,
    #[error("the operator's role may not act")]
    Forbidden,
    #[error("not found")]
    NotFound,
    /// What the operator typed cannot be used; the French reason.
    #[error("invalid input: {0}")]
    Invalid(String),
    #[error("storage: {0}")]
    Db(#[from] sqlx::Error),
}

impl ConsoleError {
    /// The stable code, shown on the page for support.
    pub fn code(&self) -> &'static str {
        match self {
            Self::SignedOut => "signed_out",
            Self::Csrf => "csrf",
            Self::Forbidden => "forbidden",
            Self::NotFound => "not_found",
            Self::Invalid(_) => "invalid",
            Self::Db(_) => "storage",
        }
    }

    fn parts(&self) -> (StatusCode, &'static str, &str) {
        match self {
            Self::SignedOut => (StatusCode::SEE_OTHER, "", ""),
            Self::Invalid(reason) => (StatusCode::BAD_REQUEST, "Saisie refusée", reason),
            Self::Csrf => (
                StatusCode::FORBIDDEN,
                "Formulaire refusé",
                "Ce formulaire a expiré ou ne vient pas de la console : rechargez la page et recommencez.",
            ),
            Self::Forbidden => (
                StatusCode::FORBIDDEN,
                "Action réservée",
                "Votre rôle (lecture) permet de consulter, pas d'agir : demandez à un opérateur admin.",
            ),
            Self::NotFound => (
                StatusCode::NOT_FOUND,
                "Introuvable",
                "Cette page ou cette entreprise n'existe pas.",
            ),
            Self::Db(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "Base de données indisponible",
                "La base de données n'a pas répondu : réessayez dans un instant ; si cela dure, voyez les journaux du relais.",
            ),
        }
    }
}

#[derive(Template)]
#[template(path = "console/message.html")]
pub struct MessagePage<'a> {
    pub title: &'a str,
    pub text: &'a str,
    pub code: &'a str,
}

impl IntoResponse for ConsoleError {
    fn into_response(self) -> Response {
        if let Self::SignedOut = self {
            return Redirect::to("/admin/login").into_response();
        }
        let (status, title, text) = self.parts();
        let mut response = page(
            MessagePage {
                title,
                text,
                code: self.code(),
            },
            status,
        );
        // The console's middleware logs it with the request (`console::log_failures`).
        response.extensions_mut().insert(std::sync::Arc::new(self));
        response
            .headers_mut()
            .insert(header::CACHE_CONTROL, "no-store".parse().expect("a header"));
        response
    }
}

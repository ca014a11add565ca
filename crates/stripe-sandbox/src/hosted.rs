//! The hosted checkout page at a session's `url`, in French: Stripe's test cards (4242… pays,
//! 0002 is declined, 3155 asks for 3-D Secure) and a test SEPA mandate. Success redirects to
//! `success_url`, « Retour » to `cancel_url`, as Stripe Checkout does.

use askama::Template;
use axum::Form;
use axum::Router;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use serde::Deserialize;

use crate::details::BillingDetails;
use crate::session::{Session, Status};
use crate::{IBAN_FAILS, IBAN_SUCCEEDS, Sandbox, format_eur};

pub const CARD_PAYS: &str = "4242424242424242";
pub const CARD_DECLINED: &str = "4000000000000002";
pub const CARD_3DS: &str = "4000002500003155";

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/c/pay/{id}", get(show).post(pay))
        .route("/c/pay/{id}/3ds", post(three_ds))
        .route("/c/pay/{id}/cancel", get(cancel))
}

#[derive(Template)]
#[template(path = "checkout.html")]
struct CheckoutPage<'a> {
    s: &'a Session,
    base: &'a str,
    amount: String,
    error: Option<&'a str>,
    method: &'a str,
    iban_ok: &'a str,
    iban_ko: &'a str,
    iban_disputed: &'a str,
    /// The billing fields as first shown: the customer's, else a test address.
    prefill: BillingDetails,
}

#[derive(Template)]
#[template(path = "three_ds.html")]
struct ThreeDsPage<'a> {
    s: &'a Session,
    base: &'a str,
    amount: String,
}

#[derive(Template)]
#[template(path = "closed.html")]
struct ClosedPage<'a> {
    s: &'a Session,
    status: &'a str,
}

fn render(t: impl Template, status: StatusCode) -> Response {
    match t.render() {
        Ok(html) => (status, Html(html)).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

fn checkout_page(sandbox: &Sandbox, s: &Session, error: Option<&str>, method: &str) -> Response {
    // Like Stripe's hosted page, a refusal re-renders the form (HTTP 200) with the message.
    render(
        CheckoutPage {
            s,
            base: sandbox.public_base(),
            amount: amount(s),
            error,
            method,
            iban_ok: IBAN_SUCCEEDS,
            iban_ko: IBAN_FAILS,
            iban_disputed: crate::disputes::IBAN_DISPUTED,
            prefill: s
                .details
                .clone()
                .or_else(|| {
                    s.customer
                        .as_deref()
                        .and_then(|c| sandbox.customer_details(c))
                })
                .unwrap_or_else(BillingDetails::test_address),
        },
        StatusCode::OK,
    )
}

fn amount(s: &Session) -> String {
    if s.currency == "eur" {
        format_eur(s.amount_total())
    } else {
        format!(
            "{:.2} {}",
            s.amount_total() as f64 / 100.0,
            s.currency.to_uppercase()
        )
    }
}

/// Finds the session, or answers with the page Stripe shows for a finished or unknown one.
fn open_session(sandbox: &Sandbox, id: &str) -> Result<Session, Response> {
    let Some(s) = sandbox.session(id) else {
        return Err((StatusCode::NOT_FOUND, Html("<!doctype html><html lang=fr><meta charset=utf-8><title>Session introuvable</title><p>Cette session de paiement n'existe pas (Stripe sandbox, mode test).</p></html>")).into_response());
    };
    match s.status {
        Status::Open => Ok(s),
        Status::Complete => Err(render(
            ClosedPage {
                s: &s,
                status: "déjà payée",
            },
            StatusCode::OK,
        )),
        Status::Expired => Err(render(
            ClosedPage {
                s: &s,
                status: "expirée",
            },
            StatusCode::GONE,
        )),
    }
}

async fn show(State(sandbox): State<Sandbox>, Path(id): Path<String>) -> Response {
    match open_session(&sandbox, &id) {
        Ok(s) => checkout_page(&sandbox, &s, None, "card"),
        Err(page) => page,
    }
}

#[derive(Deserialize)]
struct PayForm {
    method: String,
    #[serde(default)]
    card_number: String,
    #[serde(default)]
    expiry: String,
    #[serde(default)]
    cvc: String,
    #[serde(default)]
    iban: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    line1: String,
    #[serde(default)]
    postal_code: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    country: String,
    #[serde(default)]
    tax_id: String,
}

async fn pay(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
    Form(f): Form<PayForm>,
) -> Response {
    let s = match open_session(&sandbox, &id) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let fields = [
        &f.name,
        &f.line1,
        &f.postal_code,
        &f.city,
        &f.country,
        &f.tax_id,
    ]
    .map(String::as_str);
    let details = match BillingDetails::from_form(&s.collection, fields) {
        Ok(d) => d,
        Err(problem) => return checkout_page(&sandbox, &s, Some(problem), &f.method),
    };
    let s = sandbox.update_session(&id, |s| s.details = Some(details));
    if f.method == "sepa" && s.mode == "subscription" {
        return checkout_page(
            &sandbox,
            &s,
            Some(
                "Le renouvellement automatique se règle par carte bancaire : le prélèvement SEPA n'est pas proposé ici.",
            ),
            "card",
        );
    }
    if f.method == "sepa" {
        let iban: String = f
            .iban
            .chars()
            .filter(|c| !c.is_whitespace())
            .collect::<String>()
            .to_uppercase();
        let succeeds = match iban.as_str() {
            IBAN_SUCCEEDS => true,
            crate::disputes::IBAN_DISPUTED => {
                sandbox.dispute_debit_later(&id);
                true
            }
            IBAN_FAILS => false,
            _ => {
                return checkout_page(
                    &sandbox,
                    &s,
                    Some(
                        "IBAN refusé : en mode test, utilisez l'un des IBAN de test indiqués ci-dessous.",
                    ),
                    "sepa",
                );
            }
        };
        let done = sandbox.complete(&id, None, Some(succeeds));
        return Redirect::to(&done.success_redirect()).into_response();
    }
    let number: String = f.card_number.chars().filter(char::is_ascii_digit).collect();
    if let Some(problem) = card_problem(&f.expiry, &f.cvc) {
        return checkout_page(&sandbox, &s, Some(problem), "card");
    }
    match number.as_str() {
        // 5126 and 0259 pay like 4242; 5126's refunds fail later, 0259 is disputed at once.
        CARD_PAYS | crate::refunds::CARD_REFUND_FAILS | crate::disputes::CARD_DISPUTED => {
            Redirect::to(
                &sandbox
                    .complete(&id, Some(&number), None)
                    .success_redirect(),
            )
            .into_response()
        }
        CARD_3DS => render(
            ThreeDsPage {
                s: &s,
                base: sandbox.public_base(),
                amount: amount(&s),
            },
            StatusCode::OK,
        ),
        // 0341 attaches to a customer but declines every charge, so a checkout cannot start with it.
        CARD_DECLINED | crate::billing::CARD_DECLINES_LATER => checkout_page(
            &sandbox,
            &s,
            Some("Votre carte a été refusée. Essayez une autre carte."),
            "card",
        ),
        _ => checkout_page(
            &sandbox,
            &s,
            Some(
                "Carte non acceptée : en mode test, seules les cartes de test Stripe indiquées ci-dessous fonctionnent.",
            ),
            "card",
        ),
    }
}

/// Expiry `MM/AA` in the future and a 3-digit CVC, as Stripe's form checks before paying.
fn card_problem(expiry: &str, cvc: &str) -> Option<&'static str> {
    let digits: String = expiry.chars().filter(char::is_ascii_digit).collect();
    let valid_expiry = digits.len() == 4 && {
        let month: u32 = digits[..2].parse().unwrap_or(0);
        let year: i64 = 2000 + digits[2..].parse::<i64>().unwrap_or(0);
        let now_year = 1970 + crate::now() / 31_557_600;
        (1..=12).contains(&month) && year >= now_year
    };
    if !valid_expiry {
        return Some("Date d'expiration invalide : saisissez une date future au format MM/AA.");
    }
    if cvc.len() != 3 || !cvc.chars().all(|c| c.is_ascii_digit()) {
        return Some("Code de sécurité (CVC) invalide : 3 chiffres.");
    }
    None
}

#[derive(Deserialize)]
struct ThreeDsForm {
    action: String,
}

async fn three_ds(
    State(sandbox): State<Sandbox>,
    Path(id): Path<String>,
    Form(f): Form<ThreeDsForm>,
) -> Response {
    let s = match open_session(&sandbox, &id) {
        Ok(s) => s,
        Err(page) => return page,
    };
    if f.action == "confirm" {
        Redirect::to(
            &sandbox
                .complete(&id, Some(CARD_3DS), None)
                .success_redirect(),
        )
        .into_response()
    } else {
        checkout_page(
            &sandbox,
            &s,
            Some("L'authentification 3-D Secure a échoué : le paiement n'a pas été effectué."),
            "card",
        )
    }
}

async fn cancel(State(sandbox): State<Sandbox>, Path(id): Path<String>) -> Response {
    match sandbox.session(&id).and_then(|s| s.cancel_url) {
        Some(url) => Redirect::to(&url).into_response(),
        None => (
            StatusCode::NOT_FOUND,
            "Aucune page de retour pour cette session.",
        )
            .into_response(),
    }
}

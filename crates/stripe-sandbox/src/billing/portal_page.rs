//! The customer portal's French page at a portal session's `url`, honouring its configuration:
//! the subscription and its next charge, the card on file and its replacement with a test card
//! (which pays an unpaid renewal at once, as Stripe does), stopping renewal at the period's end
//! and resuming it. Each action sends the webhooks Stripe sends for it.

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use erp_btp_protocol::fr;
use serde::Deserialize;

use super::{Books, CARD_DECLINES_LATER, CARD_PAYS, InvoiceStatus, SubStatus};
use crate::{Sandbox, format_eur};

pub(crate) fn routes() -> Router<Sandbox> {
    Router::new()
        .route("/p/session/{id}", get(show))
        .route("/p/session/{id}/card", post(card))
        .route("/p/session/{id}/cancel", post(cancel))
        .route("/p/session/{id}/resume", post(resume))
}

struct SubView {
    plan: String,
    state: String,
    cancelling: bool,
}

#[derive(Template)]
#[template(path = "portal.html")]
struct PortalPage {
    id: String,
    base: String,
    company: String,
    sub: Option<SubView>,
    card: Option<String>,
    can_update_card: bool,
    can_cancel: bool,
    history: bool,
    receipts: Vec<(String, String)>,
    return_url: Option<String>,
    message: Option<&'static str>,
    bad: bool,
}

fn sub_view(books: &Books, customer: &str) -> Option<(String, SubView)> {
    let s = books
        .subscriptions
        .values()
        .filter(|s| s.customer == customer && s.status != SubStatus::Canceled)
        .max_by_key(|s| s.created)?;
    let price = format_eur(s.price.unit_amount);
    let every = match s.price.interval {
        super::Interval::Month => "mois",
        super::Interval::Year => "an",
    };
    let state = match (s.status, s.cancel_at_period_end) {
        (_, true) => format!(
            "Renouvellement arrêté : l'abonnement prend fin le {}.",
            fr::date(s.period_end)
        ),
        (SubStatus::PastDue, _) => {
            "Le dernier prélèvement a échoué : remplacez la carte pour régler l'échéance."
                .to_owned()
        }
        _ => format!(
            "Prochain prélèvement de {price} le {}.",
            fr::date(s.period_end)
        ),
    };
    let view = SubView {
        plan: format!("{} — {price} par {every}", s.price.product_name),
        state,
        cancelling: s.cancel_at_period_end,
    };
    Some((s.id.clone(), view))
}

#[derive(Deserialize)]
struct Done {
    done: Option<String>,
}

async fn show(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    Query(q): Query<Done>,
) -> Response {
    let books = sb.books();
    let Some(session) = books.portal_sessions.get(&id) else {
        return (
            StatusCode::NOT_FOUND,
            "Session du portail inconnue ou expirée (Stripe sandbox).",
        )
            .into_response();
    };
    let config = books.portal_configurations.get(&session.configuration);
    let customer = books.customers.get(&session.customer);
    let (message, bad) = match q.done.as_deref() {
        Some("card") => (Some("Carte remplacée."), false),
        Some("cancel") => (
            Some("Le renouvellement s'arrêtera à la fin de la période payée."),
            false,
        ),
        Some("resume") => (Some("Le renouvellement automatique reprend."), false),
        Some("refused") => (
            Some("Carte non acceptée : utilisez une carte de test indiquée ci-dessous."),
            true,
        ),
        _ => (None, false),
    };
    let receipts = books
        .invoices
        .values()
        .filter(|i| i.customer == session.customer && i.status == InvoiceStatus::Paid)
        .map(|i| {
            (
                i.number.clone(),
                format!("https://invoice.stripe.com/i/sandbox/{}", i.id),
            )
        })
        .collect();
    let page = PortalPage {
        id: id.clone(),
        base: sb.public_base().to_owned(),
        company: customer
            .and_then(|c| c.name.clone())
            .unwrap_or_else(|| "Votre abonnement".into()),
        sub: sub_view(&books, &session.customer).map(|(_, v)| v),
        card: customer
            .and_then(|c| c.card.as_deref())
            .map(|n| crate::last_chars(n, 4)),
        can_update_card: config.is_some_and(|c| c.payment_method_update),
        can_cancel: config.is_some_and(|c| c.subscription_cancel),
        history: config.is_some_and(|c| c.invoice_history),
        receipts,
        return_url: session.return_url.clone(),
        message,
        bad,
    };
    match page.render() {
        Ok(html) => Html(html).into_response(),
        Err(e) => (StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
    }
}

/// The session's customer and configuration features, or the page's 404.
fn session_of(sb: &Sandbox, id: &str) -> Result<(String, bool, bool), Response> {
    let books = sb.books();
    let session = books
        .portal_sessions
        .get(id)
        .ok_or_else(|| (StatusCode::NOT_FOUND, "Session du portail inconnue.").into_response())?;
    let config = books.portal_configurations.get(&session.configuration);
    Ok((
        session.customer.clone(),
        config.is_some_and(|c| c.payment_method_update),
        config.is_some_and(|c| c.subscription_cancel),
    ))
}

fn back(sb: &Sandbox, id: &str, done: &str) -> Response {
    Redirect::to(&format!("{}/p/session/{id}?done={done}", sb.public_base())).into_response()
}

#[derive(Deserialize)]
struct CardForm {
    card_number: String,
}

async fn card(
    State(sb): State<Sandbox>,
    Path(id): Path<String>,
    Form(f): Form<CardForm>,
) -> Response {
    let (customer, allowed, _) = match session_of(&sb, &id) {
        Ok(s) => s,
        Err(page) => return page,
    };
    let number: String = f.card_number.chars().filter(char::is_ascii_digit).collect();
    if !allowed || (number != CARD_PAYS && number != CARD_DECLINES_LATER) {
        return back(&sb, &id, "refused");
    }
    sb.with_books(|books, out| books.replace_card(&customer, &number, out));
    back(&sb, &id, "card")
}

async fn set_cancel(sb: &Sandbox, id: &str, cancel: bool) -> Response {
    let (customer, _, allowed) = match session_of(sb, id) {
        Ok(s) => s,
        Err(page) => return page,
    };
    if allowed {
        sb.with_books(|books, out| {
            if let Some((sub, _)) = sub_view(books, &customer) {
                let _ = books.cancel_at_period_end(&sub, cancel, out);
            }
        });
    }
    back(sb, id, if cancel { "cancel" } else { "resume" })
}

async fn cancel(State(sb): State<Sandbox>, Path(id): Path<String>) -> Response {
    set_cancel(&sb, &id, true).await
}

async fn resume(State(sb): State<Sandbox>, Path(id): Path<String>) -> Response {
    set_cancel(&sb, &id, false).await
}

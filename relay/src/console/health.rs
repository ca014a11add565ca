//! The console's health page: the answers to « les webhooks arrivent-ils ? » and « nos factures
//! sont-elles bien déposées ? » — the database, Stripe's mode and secrets (never their values),
//! the last event and the day's outcomes, the webhook route's answers, and the transmission to
//! the approved platform with what is still to be dealt with and whether it answers now;
//! the events received per minute; « Réconcilier » over a window.

use askama::Template;
use axum::Form;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::Response;
use erp_btp_protocol::StripeMode;

use super::error::ConsoleError;
use super::session::{Peer, SignedIn};
use super::when;
use crate::core::DAY;
use crate::core::numbering::number;
use crate::db::transmissions::Message;
use crate::routes::pages::page;
use crate::state::AppState;

/// No event for this long reads as a warning: Stripe sends several a day to a live relay.
const QUIET_SECS: i64 = DAY;

pub struct Problem {
    pub document: String,
    pub client: String,
    pub standing: String,
    pub next: String,
}

#[derive(Template)]
#[template(path = "console/health.html")]
struct HealthPage {
    me: SignedIn,
    section: &'static str,
    db_ms: u128,
    stripe_mode: &'static str,
    secrets: usize,
    last_event: Option<String>,
    quiet: bool,
    /// The last 24 hours: applied, rejected, ignored.
    day: [i64; 3],
    /// Deliveries of an event already journalled, since this instance started.
    duplicates: u64,
    /// This instance's answers on the webhook route: 2xx, 4xx, 5xx.
    answers: [u64; 3],
    /// The share of 4xx and of 5xx among them, « 0,4 % ».
    shares: [String; 2],
    traffic: super::traffic::Traffic,
    pa_on: bool,
    platform: Vec<Reach>,
    outbox: i64,
    oldest: Option<String>,
    problems: Vec<Problem>,
}

/// « il y a 3 min » for a number of seconds.
pub fn ago(secs: i64) -> String {
    match secs.max(0) {
        s if s < 60 => format!("il y a {s} s"),
        s if s < 3600 => format!("il y a {} min", s / 60),
        s if s < DAY => format!("il y a {} h", s / 3600),
        s => format!("il y a {} j", s / DAY),
    }
}

/// `part` of `all` as a French percentage with one decimal (« 0,4 % »; « 0 % » of nothing).
fn share(part: u64, all: u64) -> String {
    if all == 0 {
        return "0\u{a0}%".into();
    }
    let tenths = (part * 1000 + all / 2) / all;
    format!("{},{}\u{a0}%", tenths / 10, tenths % 10)
}

/// Whether one of the platform's services answers its health check now.
pub struct Reach {
    pub service: &'static str,
    pub ok: bool,
    pub detail: String,
}

/// How long the page waits for the platform: a platform that hangs must not hang the page.
const PLATFORM_WAIT: std::time::Duration = std::time::Duration::from_secs(5);

/// A token, then `GET /v1/healthcheck` of the Flow and Directory services (as `relay doctor`),
/// both at once; nothing when transmission is off.
async fn platform(state: &AppState) -> Vec<Reach> {
    let Some(api) = state.settings.pa.api.clone() else {
        return Vec::new();
    };
    let client = crate::pa::client::PaClient::new(api);
    let check = |flow: bool, service: &'static str| {
        let client = &client;
        async move {
            let started = std::time::Instant::now();
            let (ok, detail) = match tokio::time::timeout(PLATFORM_WAIT, client.healthy(flow)).await
            {
                Ok(Ok(())) => (
                    true,
                    format!("joignable ({} ms)", started.elapsed().as_millis()),
                ),
                Ok(Err(e)) => (false, e.to_string()),
                Err(_) => (false, "pas de réponse en 5 s".to_owned()),
            };
            Reach {
                service,
                ok,
                detail,
            }
        }
    };
    let (flow, directory) = tokio::join!(check(true, "Flow"), check(false, "Annuaire"));
    vec![flow, directory]
}

pub async fn show(State(state): State<AppState>, me: SignedIn) -> Result<Response, ConsoleError> {
    let now = state.clock.timestamp().unix();
    let started = std::time::Instant::now();
    let (last, day) = state.db.events_since(now - DAY).await?;
    let db_ms = started.elapsed().as_millis();
    let minutes = super::traffic::MINUTES as i64 * 60;
    let traffic = super::traffic::traffic(&state.db.received_since(now - minutes).await?, now);
    let platform = platform(&state).await;
    let answers = state.metrics.answers("/api/stripe/webhook");
    let total: u64 = answers.iter().sum();
    let (outbox, oldest) = state.db.pa_outbox().await?;
    let problems = state
        .db
        .pa_list(None)
        .await?
        .iter()
        .filter(|t| crate::pa::is_problem(t))
        .map(|t| {
            let (year, seq) = t.key.year_seq();
            let mut document = number(t.key.series, year, seq);
            if t.key.message == Message::Payment {
                document.push_str(" (statut 212 Encaissée)");
            }
            Problem {
                document,
                client: t.client.clone(),
                standing: crate::pa::described(t),
                next: crate::pa::next_step(t).unwrap_or_default(),
            }
        })
        .collect();
    Ok(page(
        HealthPage {
            me,
            section: "health",
            db_ms,
            stripe_mode: match (state.origin.as_str(), state.stripe_settings.mode) {
                ("sandbox", _) => "Stripe simulé (aucun paiement réel)",
                (_, StripeMode::Live) => "live (paiements réels)",
                (_, StripeMode::Test) => "test",
            },
            secrets: state.stripe_settings.webhook_secrets.len(),
            last_event: last.map(|t| format!("{} ({})", when(t), ago(now - t))),
            quiet: last.is_none_or(|t| now - t > QUIET_SECS),
            day,
            answers,
            shares: [answers[1], answers[2]].map(|part| share(part, total)),
            duplicates: state.metrics.webhook_outcomes("duplicate"),
            traffic,
            pa_on: state.settings.pa.api.is_some(),
            platform,
            outbox,
            oldest: oldest.map(|t| format!("{} ({})", when(t), ago(now - t))),
            problems,
        },
        StatusCode::OK,
    ))
}

#[derive(serde::Deserialize)]
pub struct ReconcileForm {
    #[serde(default)]
    csrf: String,
    /// The window, in hours.
    #[serde(default)]
    hours: i64,
}

#[derive(Template)]
#[template(path = "console/reconciled.html")]
struct ReconciledPage {
    me: SignedIn,
    section: &'static str,
    hours: i64,
    lines: Vec<String>,
    summary: String,
}

/// « Réconcilier »: applies the events of the window that Stripe's event list has and the
/// journal lacks (`relay reconcile`'s run), and shows what it did.
pub async fn reconcile(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Form(f): Form<ReconcileForm>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    // Stripe keeps 30 days of events.
    if !(1..=720).contains(&f.hours) {
        return Err(ConsoleError::Invalid(
            "La période va d'une heure à 30 jours.".into(),
        ));
    }
    let report = crate::reconcile::run(&state, f.hours * 3600)
        .await
        .map_err(|e| {
            ConsoleError::Invalid(format!("Réconciliation impossible : {}.", e.parts().2))
        })?;
    let detail = format!("{} h : {}", f.hours, report.summary());
    me.audit(&state, address, "réconciliation", detail).await?;
    Ok(page(
        ReconciledPage {
            me,
            section: "health",
            hours: f.hours,
            summary: report.summary(),
            lines: report.lines,
        },
        StatusCode::OK,
    ))
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_share_reads_as_a_french_percentage() {
        assert_eq!(super::share(0, 0), "0\u{a0}%");
        assert_eq!(super::share(1, 250), "0,4\u{a0}%");
        assert_eq!(super::share(1, 3), "33,3\u{a0}%");
        assert_eq!(super::share(7, 7), "100,0\u{a0}%");
    }

    #[test]
    fn an_age_reads_in_the_largest_whole_unit() {
        assert_eq!(super::ago(42), "il y a 42 s");
        assert_eq!(super::ago(3 * 60 + 5), "il y a 3 min");
        assert_eq!(super::ago(5 * 3600), "il y a 5 h");
        assert_eq!(super::ago(3 * 86_400 + 7), "il y a 3 j");
        assert_eq!(super::ago(-5), "il y a 0 s");
    }
}

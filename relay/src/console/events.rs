//! The console's events journal: every verified Stripe event, newest first, with its type,
//! time, company and outcome, filtered by outcome class, type and company; one event's raw body
//! on its own page, with « Rejouer » for a rejected one.

use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use serde::Deserialize;

use super::error::ConsoleError;
use super::session::{Peer, SignedIn};
use super::when;
use crate::core::journal::{OutcomeClass, replay_refused};
use crate::db::events::{EventFilter, EventLine};
use crate::routes::pages::page;
use crate::state::AppState;

/// Events per page.
pub const PAGE: i64 = 50;

#[derive(Deserialize, Default)]
pub struct JournalQuery {
    #[serde(default)]
    resultat: String,
    #[serde(default, rename = "type")]
    event_type: String,
    #[serde(default)]
    entreprise: String,
    #[serde(default)]
    page: Option<i64>,
}

pub struct EventView {
    pub at: String,
    pub class: OutcomeClass,
    pub line: EventLine,
}

impl EventView {
    pub fn of(line: EventLine) -> Self {
        EventView {
            at: when(line.received_at),
            class: OutcomeClass::of(&line.outcome),
            line,
        }
    }

    pub fn client(&self) -> &str {
        self.line.client.as_deref().unwrap_or("")
    }
}

pub struct Choice {
    pub value: String,
    pub label: String,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/events.html")]
struct JournalPage {
    me: SignedIn,
    section: &'static str,
    outcomes: Vec<Choice>,
    types: Vec<Choice>,
    company: String,
    events: Vec<EventView>,
    page: i64,
    more: bool,
    query: JournalQuery,
}

impl JournalPage {
    /// The journal's address with the same filters, at page `n`.
    fn at(&self, n: i64) -> String {
        let mut q = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in [
            ("resultat", &self.query.resultat),
            ("type", &self.query.event_type),
            ("entreprise", &self.query.entreprise),
        ] {
            if !v.is_empty() {
                q.append_pair(k, v);
            }
        }
        q.append_pair("page", &n.to_string());
        format!("/admin/events?{}", q.finish())
    }
}

pub async fn journal(
    State(state): State<AppState>,
    me: SignedIn,
    Query(query): Query<JournalQuery>,
) -> Result<Response, ConsoleError> {
    let class = OutcomeClass::from_slug(&query.resultat);
    let non_empty = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
    let filter = EventFilter {
        outcome: class,
        event_type: non_empty(&query.event_type),
        client: non_empty(&query.entreprise),
    };
    let page_no = query.page.unwrap_or(1).max(1);
    // One more than a page tells whether a next page exists.
    let mut lines = state
        .db
        .console_events(&filter, (page_no - 1) * PAGE, PAGE + 1)
        .await?;
    let more = lines.len() as i64 > PAGE;
    lines.truncate(PAGE as usize);
    let types = state
        .db
        .event_types()
        .await?
        .into_iter()
        .map(|t| Choice {
            current: filter.event_type.as_deref() == Some(&t),
            label: t.clone(),
            value: t,
        })
        .collect();
    let outcomes = OutcomeClass::ALL
        .into_iter()
        .map(|c| Choice {
            value: c.slug().into(),
            label: c.label().into(),
            current: class == Some(c),
        })
        .collect();
    Ok(page(
        JournalPage {
            me,
            section: "events",
            outcomes,
            types,
            company: filter.client.unwrap_or_default(),
            events: lines.into_iter().map(EventView::of).collect(),
            page: page_no,
            more,
            query,
        },
        StatusCode::OK,
    ))
}

#[derive(Template)]
#[template(path = "console/event.html")]
struct EventPage {
    me: SignedIn,
    section: &'static str,
    event: EventView,
    body: String,
    /// Why « Rejouer » is not offered; none when it is.
    no_replay: Option<&'static str>,
}

pub async fn show(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let (line, payload) = state
        .db
        .console_event(&id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    // Laid out for reading; the stored body stays byte for byte as Stripe signed it.
    let body = serde_json::from_str::<serde_json::Value>(&payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or(payload);
    Ok(page(
        EventPage {
            me,
            section: "events",
            no_replay: replay_refused(&line.outcome),
            event: EventView::of(line),
            body,
        },
        StatusCode::OK,
    ))
}

/// « Rejouer »: runs the current rules on a rejected event's stored body (verified when it
/// arrived) once its cause is fixed. The event leaves the journal and the writer journals it
/// again with its new outcome; should the relay fail in between, the event is still at Stripe
/// and the next reconciliation applies it. Refused for security rejections and for anything
/// not rejected, so a replay is never applied twice.
pub async fn replay(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Path(id): Path<String>,
    Form(f): Form<super::login::CsrfOnly>,
) -> Result<Response, ConsoleError> {
    me.may_act(&f.csrf)?;
    let (line, payload) = state
        .db
        .console_event(&id)
        .await?
        .ok_or(ConsoleError::NotFound)?;
    if let Some(refused) = replay_refused(&line.outcome) {
        return Err(ConsoleError::Invalid(format!(
            "Cet événement ne se rejoue pas : {refused}."
        )));
    }
    if !state
        .db
        .unjournal(&id, &line.outcome, state.clock.now())
        .await?
    {
        return Err(ConsoleError::Invalid(
            "Cet événement vient d'être rejoué.".into(),
        ));
    }
    let outcome = match crate::reconcile::apply(&state, payload).await {
        Ok(Ok(outcome)) => outcome.label(),
        Ok(Err(reason)) => format!("not an event: {reason}"),
        Err(e) => {
            return Err(ConsoleError::Invalid(format!(
                "Le relais n'a pas pu appliquer l'événement ({}) : la prochaine réconciliation l'appliquera.",
                e.parts().2
            )));
        }
    };
    let detail = format!("{id} : {} → {outcome}", line.outcome);
    me.audit(&state, address, "événement rejoué", detail)
        .await?;
    Ok(Redirect::to(&format!("/admin/events/{id}")).into_response())
}

//! The console's companies: the list (search by name, id or SIREN; filter by state; pages of
//! [`PAGE`]) and each company's page. States come from the stored results of the billing
//! core's projection through `core::console::company_state`.

use std::collections::HashMap;

use askama::Template;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::response::Response;
use erp_btp_protocol::fr;
use serde::Deserialize;

use super::error::ConsoleError;
use super::events::EventView;
use super::session::SignedIn;
use crate::core::console::{CompanyState, company_state};
use crate::db::console::CompanyRow;
use crate::db::events::EventFilter;
use crate::domain::ClientId;
use crate::routes::pages::page;
use crate::state::AppState;

/// Companies per page.
pub const PAGE: usize = 50;

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    etat: String,
    #[serde(default)]
    page: Option<usize>,
}

pub struct CompanyLine {
    pub id: String,
    pub name: String,
    pub siren: String,
    pub state: CompanyState,
    pub revoked: bool,
    pub plan: String,
    pub expiry: String,
    pub last_payment: String,
}

pub struct Filter {
    pub slug: &'static str,
    pub label: &'static str,
    pub count: usize,
    pub current: bool,
}

#[derive(Template)]
#[template(path = "console/companies.html")]
struct ListPage {
    me: SignedIn,
    section: &'static str,
    q: String,
    filters: Vec<Filter>,
    all_count: usize,
    state: String,
    lines: Vec<CompanyLine>,
    total: usize,
    page: usize,
    pages: usize,
}

impl ListPage {
    /// The list's address with the same search and filter, at page `n`.
    fn at(&self, n: usize) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            query.append_pair("q", &self.q);
        }
        if !self.state.is_empty() {
            query.append_pair("etat", &self.state);
        }
        query.append_pair("page", &n.to_string());
        format!("/admin?{}", query.finish())
    }

    /// The list's address with the same search, filtered on `slug` (all when empty).
    fn filtered(&self, slug: &str) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            query.append_pair("q", &self.q);
        }
        if !slug.is_empty() {
            query.append_pair("etat", slug);
        }
        format!("/admin?{}", query.finish())
    }
}

fn day(t: Option<i64>) -> String {
    t.map(fr::date).unwrap_or_else(|| "—".into())
}

fn line(row: CompanyRow, state: CompanyState) -> CompanyLine {
    CompanyLine {
        state,
        revoked: row.revoked_at.is_some(),
        siren: row.siren.unwrap_or_else(|| "—".into()),
        plan: row.plan.unwrap_or_else(|| "—".into()),
        expiry: day(row.facts.expires_at),
        last_payment: day(row.last_paid_at),
        id: row.id,
        name: row.name,
    }
}

pub async fn list(
    State(state): State<AppState>,
    me: SignedIn,
    Query(query): Query<ListQuery>,
) -> Result<Response, ConsoleError> {
    let now = state.clock.timestamp();
    let wanted = CompanyState::from_slug(&query.etat);
    let rows = state.db.console_companies(&query.q).await?;
    let mut counts: HashMap<CompanyState, usize> = HashMap::new();
    let all_count = rows.len();
    let mut lines = Vec::new();
    for row in rows {
        let s = company_state(&row.facts, now);
        *counts.entry(s).or_default() += 1;
        if wanted.is_none_or(|w| w == s) {
            lines.push(line(row, s));
        }
    }
    let total = lines.len();
    let pages = total.div_ceil(PAGE).max(1);
    let page_no = query.page.unwrap_or(1).clamp(1, pages);
    let lines: Vec<_> = lines
        .into_iter()
        .skip((page_no - 1) * PAGE)
        .take(PAGE)
        .collect();
    let filters = CompanyState::ALL
        .into_iter()
        .map(|s| Filter {
            slug: s.slug(),
            label: s.label(),
            count: counts.get(&s).copied().unwrap_or(0),
            current: wanted == Some(s),
        })
        .collect();
    Ok(page(
        ListPage {
            me,
            section: "companies",
            q: query.q.trim().to_owned(),
            filters,
            all_count,
            state: wanted.map(|s| s.slug().to_owned()).unwrap_or_default(),
            lines,
            total,
            page: page_no,
            pages,
        },
        StatusCode::OK,
    ))
}

/// A checkout session's stored state, as the operator reads it.
fn session_words(state: &str) -> &str {
    match state {
        "open" => "ouverte, sans paiement",
        "pending" => "paiement en cours (prélèvement)",
        "fulfilled" => "payée",
        "failed" => "paiement échoué",
        "expired" => "expirée sans paiement",
        "rejected" => "refusée",
        other => other,
    }
}

pub struct SessionLine {
    pub id: String,
    pub plan: String,
    pub state: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "console/company.html")]
struct CompanyPage {
    me: SignedIn,
    section: &'static str,
    c: CompanyLine,
    renewal: String,
    history: Vec<super::history::HistoryLine>,
    factures: Vec<super::documents::FactureLine>,
    sessions: Vec<SessionLine>,
    events: Vec<EventView>,
}

/// The company `id` as the console reads it, or the console's 404.
pub async fn found(state: &AppState, id: &str) -> Result<CompanyRow, ConsoleError> {
    state
        .db
        .console_company(id)
        .await?
        .ok_or(ConsoleError::NotFound)
}

pub async fn show(
    State(state): State<AppState>,
    me: SignedIn,
    Path(id): Path<String>,
) -> Result<Response, ConsoleError> {
    let now = state.clock.timestamp();
    let row = found(&state, &id).await?;
    let client = ClientId::parse(&row.id).ok_or(ConsoleError::NotFound)?;
    let renewal = match (
        row.facts.renewal_state.as_deref(),
        row.facts.cancel_at_period_end,
    ) {
        (None, _) => "aucun (paiements ponctuels)".to_owned(),
        (Some("active"), false) => "actif".to_owned(),
        (Some("active"), true) => "arrêté à la fin de la période payée".to_owned(),
        (Some("past_due"), _) => "échec du dernier prélèvement".to_owned(),
        (Some("canceled"), _) => "arrêté".to_owned(),
        (Some(other), _) => other.to_owned(),
    };
    let state_now = company_state(&row.facts, now);
    let factures = super::documents::of_company(&state, &client).await?;
    let history = super::history::of_company(&state, &client).await?;
    let sessions = state
        .db
        .console_sessions(&id)
        .await?
        .into_iter()
        .map(|s| SessionLine {
            created: fr::date(s.created_at),
            state: match s.reason {
                Some(r) => format!("{} ({r})", session_words(&s.state)),
                None => session_words(&s.state).to_owned(),
            },
            plan: s.plan,
            id: s.id,
        })
        .collect();
    let filter = EventFilter {
        client: Some(id.clone()),
        ..EventFilter::default()
    };
    let events = state.db.console_events(&filter, 0, 20).await?;
    Ok(page(
        CompanyPage {
            me,
            section: "companies",
            c: line(row, state_now),
            renewal,
            history,
            factures,
            sessions,
            events: events.into_iter().map(EventView::of).collect(),
        },
        StatusCode::OK,
    ))
}

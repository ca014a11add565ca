//! The batch's events journalled in one call with what each did (its verified body,
//! its type, its outcome); an event id already stored is a duplicate delivery.

use std::collections::HashSet;

use sqlx::AnyConnection;

use super::{Outcome, Work};
use crate::core::Timestamp;
use crate::db::journal::{EventRow, insert_events};
use crate::domain::PaymentOrigin;

/// Journals the batch's events in one call with what they did; an event id already
/// stored (or twice in the batch) is a duplicate delivery, whose effect was a no-op since every
/// transition is guarded by state.
pub(super) async fn journal(
    conn: &mut AnyConnection,
    works: &[&Work],
    outcomes: &mut [Outcome],
    origin: PaymentOrigin,
    now: Timestamp,
) -> Result<(), sqlx::Error> {
    let rows: Vec<EventRow> = works
        .iter()
        .zip(outcomes.iter())
        .filter_map(|(work, outcome)| match work {
            Work::Event { event, payload, .. } => Some(EventRow {
                id: &event.id,
                event_type: &event.event_type,
                session: event.session.as_ref().map(|s| &s.id),
                client: outcome.change().map(|(client, _)| client),
                payload,
                outcome: outcome.label(),
                origin,
            }),
            Work::Lookup { .. } => None,
        })
        .collect();
    let new = insert_events(conn, &rows, now).await?;
    let mut journalled = HashSet::new();
    for (work, outcome) in works.iter().zip(outcomes.iter_mut()) {
        if let Work::Event { event, .. } = work {
            if !new.contains(&event.id) || !journalled.insert(event.id.as_str()) {
                *outcome = Outcome::Duplicate;
            }
        }
    }
    Ok(())
}

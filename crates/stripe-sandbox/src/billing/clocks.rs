//! Test clocks (`/v1/test_helpers/test_clocks`): create, list, retrieve, advance. An advance answers
//! at once with status `advancing` and runs the engine in the background until `ready`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;

use super::TestClock;
use super::answer::{Answer, integer, missing, newest_first, one, params, text};
use super::json as render;
use crate::Sandbox;
use crate::error::StripeError;

pub(super) async fn create(State(sb): State<Sandbox>, headers: HeaderMap, body: Bytes) -> Answer {
    sb.authorize(&headers)?;
    let p = params(&body)?;
    let frozen_time = integer(&p, "frozen_time")?.ok_or_else(|| {
        StripeError::missing("frozen_time", "Missing required param: frozen_time.")
    })?;
    let clock = TestClock {
        id: format!("clock_{}", crate::random_id(24)),
        name: text(&p, "name"),
        frozen_time,
        advancing: false,
        created: crate::now(),
    };
    let json = render::test_clock(&clock);
    sb.books().clocks.insert(clock.id.clone(), clock);
    Ok(Json(json))
}

/// Newest first, paginated.
pub(super) async fn list(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    let books = sb.books();
    newest_first(
        books.clocks.values().collect(),
        |c: &TestClock| (c.created, &c.id),
        render::test_clock,
        &p,
        "/v1/test_helpers/test_clocks",
    )
}

pub(super) async fn retrieve(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    one(
        &sb.books().clocks,
        &id,
        "test_helpers.test_clock",
        render::test_clock,
    )
}

/// Answers at once with status `advancing`; the clock is `ready` once every renewal, retry and
/// cancellation up to `frozen_time` has run and its events are sent.
pub(super) async fn advance(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    sb.authorize(&headers)?;
    let target = integer(&params(&body)?, "frozen_time")?.ok_or_else(|| {
        StripeError::missing("frozen_time", "Missing required param: frozen_time.")
    })?;
    let json = {
        let mut books = sb.books();
        let clock = books
            .clocks
            .get_mut(&id)
            .ok_or_else(|| missing("test_helpers.test_clock", &id, "id"))?;
        if clock.advancing {
            return Err(StripeError::invalid(
                "test_clock",
                "The test clock is already advancing.".into(),
            ));
        }
        if target <= clock.frozen_time {
            return Err(StripeError::invalid(
                "frozen_time",
                "The frozen time must be after the current frozen time of the test clock.".into(),
            ));
        }
        clock.advancing = true;
        render::test_clock(clock)
    };
    let sandbox = sb.clone();
    tokio::spawn(async move {
        sandbox.with_books(|books, out| books.advance(&id, target, out));
        if let Some(clock) = sandbox.books().clocks.get_mut(&id) {
            clock.advancing = false;
        }
    });
    Ok(Json(json))
}

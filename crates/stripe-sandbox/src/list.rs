//! Stripe's list objects: `limit` (1 to 100, default 10), `starting_after` / `ending_before`
//! cursors naming an object of the list, `has_more`, and the list's own `url`.

use axum::Json;
use serde_json::{Value, json};

use crate::error::StripeError;

/// One page of `newest_first` (objects with an `id`), as the query `p` asks.
pub(crate) fn page(
    newest_first: Vec<Value>,
    p: &Value,
    url: &str,
) -> Result<Json<Value>, StripeError> {
    let limit = match p.get("limit").and_then(Value::as_str) {
        None => 10,
        Some(t) => t
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=100).contains(n))
            .ok_or_else(|| {
                StripeError::invalid("limit", "This value must be between 1 and 100.".into())
            })?,
    };
    let position = |param: &str| -> Result<Option<usize>, StripeError> {
        let Some(id) = p.get(param).and_then(Value::as_str) else {
            return Ok(None);
        };
        newest_first
            .iter()
            .position(|o| o["id"] == id)
            .map(Some)
            .ok_or_else(|| StripeError::invalid(param, format!("No such object: '{id}'")))
    };
    let (after, before) = (position("starting_after")?, position("ending_before")?);
    let (start, end) = match (after, before) {
        (Some(_), Some(_)) => {
            return Err(StripeError::invalid(
                "ending_before",
                "You may only specify one of these parameters: ending_before, starting_after."
                    .into(),
            ));
        }
        (Some(a), None) => (a + 1, (a + 1 + limit).min(newest_first.len())),
        (None, Some(b)) => (b.saturating_sub(limit), b),
        (None, None) => (0, limit.min(newest_first.len())),
    };
    let has_more = if before.is_some() {
        start > 0
    } else {
        end < newest_first.len()
    };
    let data: Vec<Value> = newest_first
        .into_iter()
        .skip(start)
        .take(end - start)
        .collect();
    Ok(Json(
        json!({"object": "list", "url": url, "has_more": has_more, "data": data}),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn items(n: usize) -> Vec<Value> {
        (0..n).map(|i| json!({"id": format!("o_{i}")})).collect()
    }

    fn ids(page: &Value) -> Vec<&str> {
        page["data"]
            .as_array()
            .unwrap()
            .iter()
            .map(|o| o["id"].as_str().unwrap())
            .collect()
    }

    #[test]
    fn pages_follow_the_cursor_and_say_when_more_remain() {
        let first = page(items(5), &json!({"limit": "2"}), "/v1/x").unwrap().0;
        assert_eq!(ids(&first), ["o_0", "o_1"]);
        assert_eq!(first["has_more"], true);
        let last = page(
            items(5),
            &json!({"limit": "2", "starting_after": "o_3"}),
            "/v1/x",
        )
        .unwrap()
        .0;
        assert_eq!(ids(&last), ["o_4"]);
        assert_eq!(last["has_more"], false);
        let back = page(
            items(5),
            &json!({"limit": "2", "ending_before": "o_3"}),
            "/v1/x",
        )
        .unwrap()
        .0;
        assert_eq!(ids(&back), ["o_1", "o_2"]);
        assert_eq!(back["has_more"], true);
    }

    #[test]
    fn a_limit_outside_one_to_a_hundred_or_an_unknown_cursor_is_refused() {
        assert!(page(items(1), &json!({"limit": "0"}), "/v1/x").is_err());
        assert!(page(items(1), &json!({"limit": "101"}), "/v1/x").is_err());
        assert!(page(items(1), &json!({"starting_after": "nope"}), "/v1/x").is_err());
    }
}

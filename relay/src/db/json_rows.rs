//! A batch's rows carried as JSON through statements of fixed text: into them as one array
//! (see [`super::batch`]), and out of SQLite's as one array per statement (`json_group_array`).

use sqlx::Row;
use sqlx::any::AnyRow;

/// What SQLite aggregated into one JSON array (`json_group_array`).
pub(super) fn from_json<T: serde::de::DeserializeOwned>(json: &str) -> Result<T, sqlx::Error> {
    serde_json::from_str(json).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// The JSON array a SQLite batch statement aggregated into its first row (`json_group_array`),
/// or nothing when no row came back.
pub(super) fn first_json<T: serde::de::DeserializeOwned + Default>(
    rows: &[AnyRow],
) -> Result<T, sqlx::Error> {
    rows.first()
        .map_or_else(|| Ok(T::default()), |r| from_json(&r.get::<String, _>(0)))
}

/// A batch's rows as the JSON array its statement of fixed text reads.
pub(super) fn json_array<T: serde::Serialize>(rows: &[T]) -> String {
    serde_json::to_string(rows).expect("rows of plain strings and numbers")
}

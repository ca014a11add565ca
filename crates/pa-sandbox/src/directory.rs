//! The Directory Service routes a seller's software uses (XP Z12-013 annex B, 1.1.0): a legal
//! unit by SIREN, and its directory lines (where its invoices are addressed). Every SIREN with a
//! valid check digit exists here, named « Entreprise » and its number, and is addressed by its
//! SIREN alone, except [`UNKNOWN_SIREN`], which the directory does not know (404), and
//! [`SUFFIX_SIREN`], whose one directory line is addressed « 302000005_FACTURES ».

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::Problem;
use crate::lifecycle::{SUFFIX_SIREN, UNKNOWN_SIREN};
use crate::{PaSandbox, auth};

fn problem(status: StatusCode, message: &str) -> Problem {
    Problem {
        status,
        message: message.into(),
    }
}

fn available(pa: &PaSandbox, headers: &HeaderMap) -> Result<(), Problem> {
    if pa.store().down {
        return Err(problem(
            StatusCode::SERVICE_UNAVAILABLE,
            "Service unavailable",
        ));
    }
    auth::check(pa, headers).map_err(|e| problem(e.status, &e.message))
}

/// A SIREN the directory knows: nine digits, Luhn-valid, not the magic unknown one.
fn known(siren: &str) -> bool {
    siren.len() == 9
        && siren.bytes().all(|b| b.is_ascii_digit())
        && luhn(siren)
        && siren != UNKNOWN_SIREN
}

fn luhn(digits: &str) -> bool {
    let sum: u32 = digits
        .bytes()
        .rev()
        .enumerate()
        .map(|(i, b)| {
            let d = u32::from(b - b'0');
            match i % 2 {
                1 if d * 2 > 9 => d * 2 - 9,
                1 => d * 2,
                _ => d,
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// `GET /v1/siren/code-insee:{siren}`.
pub async fn siren(
    State(pa): State<PaSandbox>,
    headers: HeaderMap,
    Path(code): Path<String>,
) -> Result<Json<Value>, Problem> {
    available(&pa, &headers)?;
    let siren = code
        .strip_prefix("code-insee:")
        .ok_or_else(|| problem(StatusCode::NOT_FOUND, "Unknown route"))?;
    if !(siren.len() == 9 && siren.bytes().all(|b| b.is_ascii_digit())) {
        return Err(problem(StatusCode::BAD_REQUEST, "siren must be 9 digits"));
    }
    if !known(siren) {
        return Err(problem(
            StatusCode::NOT_FOUND,
            "No legal unit with this SIREN",
        ));
    }
    Ok(Json(json!({
        "siren": siren,
        "businessName": format!("Entreprise {siren}"),
        "entityType": "PrivateVatRegistered",
        "administrativeStatus": "A",
    })))
}

#[derive(Deserialize)]
pub struct LineSearch {
    filters: Option<LineFilters>,
}

#[derive(Deserialize)]
pub struct LineFilters {
    siren: Option<Filter>,
}

#[derive(Deserialize)]
pub struct Filter {
    value: String,
}

/// `POST /v1/directory-line/search` with `{"filters": {"siren": {"value": …}}}`.
pub async fn lines(
    State(pa): State<PaSandbox>,
    headers: HeaderMap,
    Json(search): Json<LineSearch>,
) -> Result<Json<Value>, Problem> {
    available(&pa, &headers)?;
    let siren = search
        .filters
        .and_then(|f| f.siren)
        .map(|f| f.value)
        .ok_or_else(|| problem(StatusCode::BAD_REQUEST, "filters.siren is required"))?;
    let (address, suffix) = match siren.as_str() {
        SUFFIX_SIREN => (format!("{siren}_FACTURES"), Some("FACTURES")),
        _ => (siren.clone(), None),
    };
    let results: Vec<Value> = match known(&siren) {
        true => vec![json!({
            "addressingIdentifier": address,
            "addressingSuffix": suffix,
            "siren": siren,
            "platform": {"platformType": "PDP", "platformStatus": "Active"},
            "legalUnit": {
                "businessName": format!("Entreprise {siren}"),
                "entityType": "PrivateVatRegistered",
                "administrativeStatus": "A",
            },
        })],
        false => vec![],
    };
    Ok(Json(
        json!({"totalNumberOfResults": results.len(), "results": results}),
    ))
}

//! Reading the Flow Service (XP Z12-013 annex A, 1.1.0): `POST /v1/flows/search` (filters,
//! `updatedAfter` strictly after, in `updatedAt` order, 100 at most), `GET /v1/flows/{flowId}`
//! with its `docType`, `GET /v1/healthcheck`, and the sandbox's outage control.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::PaSandbox;
use crate::error::FlowError;
use crate::flows::available;
use crate::store::Flow;

#[derive(Deserialize)]
pub struct SearchRequest {
    limit: Option<i64>,
    #[serde(rename = "where")]
    filters: Option<Filters>,
}

#[derive(Deserialize, serde::Serialize, Default)]
#[serde(rename_all = "camelCase")]
pub struct Filters {
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_after: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    updated_before: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    processing_rule: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_type: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    flow_direction: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tracking_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    ack_status: Option<String>,
}

/// `POST /v1/flows/search`: the matching flows in `updatedAt` order, `limit` (≤ 100) at most.
pub async fn search(
    State(pa): State<PaSandbox>,
    headers: HeaderMap,
    Json(request): Json<SearchRequest>,
) -> Result<Json<Value>, FlowError> {
    available(&pa, &headers)?;
    let limit = request.limit.unwrap_or(25);
    if !(1..=100).contains(&limit) {
        return Err(FlowError::bad_request("limit must be between 1 and 100"));
    }
    let filters = request
        .filters
        .ok_or_else(|| FlowError::bad_request("where is required"))?;
    let instant =
        |value: &Option<String>, what: &str| -> Result<Option<DateTime<Utc>>, FlowError> {
            value
                .as_deref()
                .map(|v| {
                    DateTime::parse_from_rfc3339(v)
                        .map(|d| d.with_timezone(&Utc))
                        .map_err(|_| {
                            FlowError::bad_request(format!("{what} is not an RFC 3339 date-time"))
                        })
                })
                .transpose()
        };
    let after = instant(&filters.updated_after, "updatedAfter")?;
    let before = instant(&filters.updated_before, "updatedBefore")?;
    let within = |list: &Option<Vec<String>>, value: &str| {
        list.as_ref().is_none_or(|l| l.iter().any(|v| v == value))
    };
    let store = pa.store();
    let mut found: Vec<&Flow> = store
        .flows
        .iter()
        .filter(|f| after.is_none_or(|a| f.updated_at > a))
        .filter(|f| before.is_none_or(|b| f.updated_at < b))
        .filter(|f| within(&filters.flow_type, f.flow_type))
        .filter(|f| within(&filters.flow_direction, f.direction))
        .filter(|f| {
            filters.processing_rule.is_none()
                || f.processing_rule
                    .as_deref()
                    .is_some_and(|r| within(&filters.processing_rule, r))
        })
        .filter(|f| filters.tracking_id.is_none() || f.tracking_id == filters.tracking_id)
        .filter(|f| {
            filters
                .ack_status
                .as_deref()
                .is_none_or(|s| f.ack.status == s)
        })
        .collect();
    found.sort_by_key(|f| f.updated_at);
    let results: Vec<Value> = found
        .iter()
        .take(limit as usize)
        .map(|f| f.json())
        .collect();
    Ok(Json(
        json!({"limit": limit, "filters": filters, "results": results}),
    ))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GetQuery {
    doc_type: Option<String>,
}

/// `GET /v1/flows/{flowId}?docType=Metadata|Original|Converted|ReadableView`.
pub async fn get_flow(
    State(pa): State<PaSandbox>,
    headers: HeaderMap,
    Path(flow_id): Path<String>,
    Query(query): Query<GetQuery>,
) -> Result<Response, FlowError> {
    available(&pa, &headers)?;
    let store = pa.store();
    let not_found = || {
        FlowError::new(
            StatusCode::NOT_FOUND,
            "NOT_FOUND",
            "No flow with this flowId",
        )
    };
    let flow = store.find(&flow_id).ok_or_else(not_found)?;
    let doc = query.doc_type.as_deref().unwrap_or("Metadata");
    match doc {
        "Metadata" => Ok(Json(flow.json()).into_response()),
        // The sandbox converts nothing; a Factur-X is its own readable view.
        "Original" | "ReadableView" if doc == "Original" || flow.syntax == "Factur-X" => {
            let (content_type, ext) = match flow.syntax.as_str() {
                "Factur-X" => ("application/pdf", "pdf"),
                _ => ("application/xml", "xml"),
            };
            let name = flow
                .name
                .clone()
                .unwrap_or_else(|| format!("{}.{ext}", flow.id));
            Ok((
                [
                    (header::CONTENT_TYPE, content_type.to_owned()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment;filename={name}"),
                    ),
                ],
                flow.file.clone(),
            )
                .into_response())
        }
        "Converted" | "ReadableView" => Err(not_found()),
        _ => Err(FlowError::bad_request(
            "docType must be one of Metadata, Original, Converted, ReadableView",
        )),
    }
}

/// `GET /v1/healthcheck`: 200 with an empty body, 503 during an outage.
pub async fn healthcheck(State(pa): State<PaSandbox>) -> Result<StatusCode, FlowError> {
    match pa.store().down {
        true => Err(FlowError::unavailable()),
        false => Ok(StatusCode::OK),
    }
}

#[derive(Deserialize)]
pub struct Outage {
    down: bool,
}

/// `POST /control/outage` with `{"down": true|false}`.
pub async fn control_outage(State(pa): State<PaSandbox>, Json(o): Json<Outage>) -> StatusCode {
    pa.set_down(o.down);
    StatusCode::NO_CONTENT
}

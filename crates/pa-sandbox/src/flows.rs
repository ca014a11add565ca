//! The Flow Service (XP Z12-013 annex A, 1.1.0): `POST /v1/flows` takes a multipart flow
//! (`flowInfo` as JSON or plain text, unknown fields ignored, and `file`), checks it and answers
//! 202 with its `flowId`; what the checks found is the flow's acknowledgement (`Ok`, or `Error`
//! with reason codes), read with `GET /v1/flows/{flowId}` or `POST /v1/flows/search`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::PaSandbox;
use crate::auth;
use crate::check::{self, Refusal};
use crate::error::FlowError;
use crate::lifecycle;
use crate::store::{Ack, AckDetail, Flow, new_flow_id, stamp};

const SYNTAXES: [&str; 5] = ["CII", "UBL", "Factur-X", "CDAR", "FRR"];
const RULES: [&str; 6] = [
    "B2B",
    "B2BInt",
    "B2C",
    "OutOfScope",
    "ArchiveOnly",
    "NotApplicable",
];
const PROFILES: [&str; 3] = ["Basic", "CIUS", "Extended-CTC-FR"];

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FlowInfo {
    flow_syntax: Option<String>,
    tracking_id: Option<String>,
    name: Option<String>,
    processing_rule: Option<String>,
    flow_profile: Option<String>,
    sha256: Option<String>,
}

fn available(pa: &PaSandbox, headers: &HeaderMap) -> Result<(), FlowError> {
    if pa.store().down {
        return Err(FlowError::unavailable());
    }
    auth::check(pa, headers)
}

/// `POST /v1/flows`.
pub async fn submit(
    State(pa): State<PaSandbox>,
    headers: HeaderMap,
    mut multipart: Multipart,
) -> Result<(StatusCode, Json<Value>), FlowError> {
    available(&pa, &headers)?;
    let (mut info, mut file): (Option<FlowInfo>, Option<(Bytes, Option<String>)>) = (None, None);
    while let Some(field) = multipart
        .next_field()
        .await
        .map_err(|e| FlowError::bad_request(format!("Malformed multipart body: {e}")))?
    {
        match field.name() {
            Some("flowInfo") => {
                let text = field
                    .text()
                    .await
                    .map_err(|e| FlowError::bad_request(e.to_string()))?;
                info = Some(serde_json::from_str(&text).map_err(|e| {
                    FlowError::bad_request(format!("flowInfo is not valid JSON: {e}"))
                })?);
            }
            Some("file") => {
                let name = field.file_name().map(str::to_owned);
                let bytes = field.bytes().await.map_err(|e| {
                    FlowError::new(
                        StatusCode::PAYLOAD_TOO_LARGE,
                        "FILE_TOO_LARGE",
                        e.to_string(),
                    )
                })?;
                file = Some((bytes, name));
            }
            _ => {}
        }
    }
    let missing = |what: &str| {
        FlowError::new(
            StatusCode::BAD_REQUEST,
            "MISSING_REQUIRED_FIELD",
            format!("{what} is required"),
        )
    };
    let info = info.ok_or_else(|| missing("flowInfo"))?;
    let (bytes, file_name) = file.ok_or_else(|| missing("file"))?;
    let syntax = info
        .flow_syntax
        .clone()
        .ok_or_else(|| missing("flowInfo.flowSyntax"))?;
    let one_of = |value: &Option<String>, allowed: &[&str], what: &str| match value {
        Some(v) if !allowed.contains(&v.as_str()) => Err(FlowError::bad_request(format!(
            "{what} must be one of {}",
            allowed.join(", ")
        ))),
        _ => Ok(()),
    };
    one_of(&Some(syntax.clone()), &SYNTAXES, "flowSyntax")?;
    one_of(&info.processing_rule, &RULES, "processingRule")?;
    one_of(&info.flow_profile, &PROFILES, "flowProfile")?;
    if info
        .tracking_id
        .as_ref()
        .is_some_and(|t| t.chars().count() > 36)
    {
        return Err(FlowError::bad_request(
            "trackingId is longer than 36 characters",
        ));
    }
    if info.name.as_ref().is_some_and(|n| n.chars().count() > 255) {
        return Err(FlowError::bad_request("name is longer than 255 characters"));
    }
    if let Some(sha) = &info.sha256
        && !(sha.len() == 64 && sha.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')))
    {
        return Err(FlowError::bad_request(
            "sha256 must be 64 lowercase hex digits",
        ));
    }
    let mut store = pa.store();
    let at = store.tick();
    let checked = check::file(&bytes, info.sha256.as_deref());
    let sha256 = checked.clone().unwrap_or_else(|_| {
        use sha2::Digest;
        hex::encode(sha2::Sha256::digest(&bytes))
    });
    let (flow_type, outcome) = match syntax.as_str() {
        "CDAR" => (
            "CustomerInvoiceLC",
            checked.and_then(|_| check::cdar(&bytes)).map(Kind::Status),
        ),
        "Factur-X" => (
            "CustomerInvoice",
            checked
                .and_then(|_| check::factur_x(&bytes))
                .map(Kind::Invoice),
        ),
        "CII" => (
            "CustomerInvoice",
            checked
                .and_then(|_| {
                    let text = std::str::from_utf8(&bytes).map_err(|_| Refusal {
                        code: "InvalidSchema",
                        message: "Not UTF-8".into(),
                    })?;
                    check::cii(text)
                })
                .map(Kind::Invoice),
        ),
        _ => (
            "CustomerInvoice",
            Err(Refusal {
                code: "FlowTypeError",
                message: format!("{syntax} flows are not handled by this sandbox"),
            }),
        ),
    };
    let duplicate = |tracking: &Option<String>| {
        tracking.as_ref().is_some_and(|t| {
            store.flows.iter().any(|f| {
                // A rejected invoice counts as never issued: it may come again, corrected.
                let rejected = f
                    .invoice
                    .as_ref()
                    .is_some_and(|(_, st)| st.iter().any(|s| s.code == 213));
                f.direction == "Out"
                    && f.ack.status == "Ok"
                    && f.tracking_id.as_ref() == Some(t)
                    && !rejected
            })
        })
    };
    let outcome = match outcome {
        Ok(_) if duplicate(&info.tracking_id) => Err(Refusal {
            code: "AlreadyExistingFlow",
            message: "A flow with this trackingId was already received".into(),
        }),
        other => other,
    };
    let id = new_flow_id();
    let (ack, invoice) = match &outcome {
        Ok(Kind::Invoice(invoice)) => (ok(), Some((invoice.clone(), vec![]))),
        Ok(Kind::Status(_)) => (ok(), None),
        Err(refusal) => (
            Ack {
                status: "Error",
                details: vec![AckDetail {
                    reason_code: refusal.code,
                    reason_message: refusal.message.clone(),
                }],
            },
            None,
        ),
    };
    store.flows.push(Flow {
        id: id.clone(),
        tracking_id: info.tracking_id.clone(),
        name: info.name.clone().or(file_name),
        flow_type,
        direction: "Out",
        syntax: syntax.clone(),
        profile: info.flow_profile.clone(),
        processing_rule: info.processing_rule.clone(),
        processing_rule_source: if info.processing_rule.is_some() {
            "Input"
        } else {
            "Computed"
        },
        submitted_at: at,
        updated_at: at,
        ack,
        file: bytes.to_vec(),
        invoice: invoice.clone(),
    });
    let index = store.flows.len() - 1;
    match outcome {
        Ok(Kind::Invoice(invoice)) => {
            for (code, reason) in lifecycle::on_receipt(&invoice) {
                lifecycle::add_status(&mut store, index, code, reason);
            }
        }
        Ok(Kind::Status(message)) => record_seller_status(&mut store, &message, at),
        Err(_) => {}
    }
    let mut answer = json!({
        "flowId": id,
        "submittedAt": stamp(at),
        "flowSyntax": syntax,
        "sha256": sha256,
    });
    for (key, value) in [
        ("trackingId", info.tracking_id),
        ("name", info.name),
        ("processingRule", info.processing_rule),
        ("flowProfile", info.flow_profile),
    ] {
        if let Some(v) = value {
            answer[key] = json!(v);
        }
    }
    Ok((StatusCode::ACCEPTED, Json(answer)))
}

enum Kind {
    Invoice(check::Invoice),
    Status(check::StatusMessage),
}

fn ok() -> Ack {
    Ack {
        status: "Ok",
        details: vec![],
    }
}

/// A status the seller sent (a 212 « Encaissée ») joins its invoice's history.
fn record_seller_status(
    store: &mut crate::store::Store,
    message: &check::StatusMessage,
    at: DateTime<Utc>,
) {
    let code = message.code.parse().unwrap_or(0);
    if let Some(flow) = store.flows.iter_mut().rev().find(|f| {
        f.invoice
            .as_ref()
            .is_some_and(|(i, _)| i.number == message.invoice_number)
    }) && let Some((_, statuses)) = flow.invoice.as_mut()
    {
        statuses.push(lifecycle::Status {
            code,
            reason: None,
            at,
        });
    }
}

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

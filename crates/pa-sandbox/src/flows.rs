//! The Flow Service (XP Z12-013 annex A, 1.1.0): `POST /v1/flows` takes a multipart flow
//! (`flowInfo` as JSON or plain text, unknown fields ignored, and `file`), checks it and answers
//! 202 with its `flowId`; what the checks found is the flow's acknowledgement (`Ok`, or `Error`
//! with reason codes), read with `GET /v1/flows/{flowId}` or `POST /v1/flows/search` (`reading`).

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Multipart, State};
use axum::http::{HeaderMap, StatusCode};
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

pub(crate) fn available(pa: &PaSandbox, headers: &HeaderMap) -> Result<(), FlowError> {
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

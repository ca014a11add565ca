//! The statuses the platform gives an invoice it received (XP Z12-012's lifecycle), each sent
//! back to the seller as an incoming CDAR flow of type `CustomerInvoiceLC`. A good invoice is
//! deposited (200) and received by the buyer's platform (202). As Stripe has magic cards, the
//! sandbox has magic buyer SIRENs (all with a valid check digit): 213 000 003 gets the invoice
//! rejected (213, `REJ_SEMAN`), 210 000 006 refused by the buyer (210, `TX_TVA_ERR`), 205 000 003
//! approved (205). `POST /control/flows/{flowId}/status` gives any status to any invoice.

use axum::Json;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use chrono::{DateTime, Utc};
use serde::Deserialize;

use crate::PaSandbox;
use crate::check::Invoice;
use crate::error::FlowError;
use crate::store::{Ack, Flow, Store, new_flow_id};

pub const REJECTED_SIREN: &str = "213000003";
pub const REFUSED_SIREN: &str = "210000006";
pub const APPROVED_SIREN: &str = "205000003";
/// A SIREN whose directory line carries a suffix: its invoices go to « 302000005_FACTURES ».
pub const SUFFIX_SIREN: &str = "302000005";
/// A SIREN the Directory does not know (404).
pub const UNKNOWN_SIREN: &str = "404000002";

/// One status of an invoice.
#[derive(Debug, Clone)]
pub struct Status {
    pub code: u16,
    pub reason: Option<&'static str>,
    pub at: DateTime<Utc>,
}

/// The French label of a status code (XP Z12-012), as CDAR's `ProcessCondition` carries it.
pub fn label(code: u16) -> &'static str {
    match code {
        200 => "Déposée",
        201 => "Émise",
        202 => "Reçue",
        203 => "Mise à disposition",
        204 => "Prise en charge",
        205 => "Approuvée",
        206 => "Approuvée partiellement",
        207 => "En litige",
        208 => "Suspendue",
        210 => "Refusée",
        211 => "Paiement transmis",
        212 => "Encaissée",
        213 => "Rejetée",
        _ => "Statut",
    }
}

fn reason_text(code: &str) -> &'static str {
    match code {
        "REJ_SEMAN" => "Rejet sémantique",
        "DOUBLON" => "Facture en doublon",
        "ADR_ERR" => "Adresse de facturation erronée",
        "TX_TVA_ERR" => "Taux de TVA erroné",
        "MONTANTTOTAL_ERR" => "Montant total erroné",
        "DEST_ERR" => "Erreur de destinataire",
        _ => "Motif non précisé",
    }
}

/// The statuses a freshly received invoice goes through at once.
pub fn on_receipt(invoice: &Invoice) -> Vec<(u16, Option<&'static str>)> {
    match invoice.buyer_siren.as_deref() {
        Some(REJECTED_SIREN) => vec![(213, Some("REJ_SEMAN"))],
        Some(REFUSED_SIREN) => vec![(200, None), (202, None), (210, Some("TX_TVA_ERR"))],
        Some(APPROVED_SIREN) => vec![(200, None), (202, None), (205, None)],
        _ => vec![(200, None), (202, None)],
    }
}

/// Gives the invoice of flow `index` a status and sends it back as a CDAR flow.
pub fn add_status(store: &mut Store, index: usize, code: u16, reason: Option<&'static str>) {
    let at = store.tick();
    let flow = &mut store.flows[index];
    let Some((invoice, statuses)) = flow.invoice.as_mut() else {
        return;
    };
    statuses.push(Status { code, reason, at });
    let sequence = statuses.len();
    let cdar = cdar(invoice, code, reason, at, sequence);
    flow.updated_at = at;
    let tracking = format!("{}-{code}-{sequence}", invoice.number);
    store.flows.push(Flow {
        id: new_flow_id(),
        tracking_id: Some(tracking.chars().take(36).collect()),
        name: Some(format!("CDV-{code}.xml")),
        flow_type: "CustomerInvoiceLC",
        direction: "In",
        syntax: "CDAR".into(),
        profile: None,
        processing_rule: Some("B2B".into()),
        processing_rule_source: "Computed",
        submitted_at: at,
        updated_at: at,
        ack: Ack {
            status: "Ok",
            details: vec![],
        },
        file: cdar.into_bytes(),
        invoice: None,
    });
}

/// A CDAR lifecycle message (UN/CEFACT D22B, XP Z12-012) for status `code` of `invoice`.
fn cdar(
    invoice: &Invoice,
    code: u16,
    reason: Option<&str>,
    at: DateTime<Utc>,
    sequence: usize,
) -> String {
    let stamp = at.format("%Y%m%d%H%M%S");
    let esc = |s: &str| s.replace('&', "&amp;").replace('<', "&lt;");
    let reason = reason
        .map(|r| {
            format!(
                "<ram:ReasonCode>{r}</ram:ReasonCode><ram:Reason>{}</ram:Reason>",
                reason_text(r)
            )
        })
        .unwrap_or_default();
    let buyer = invoice.buyer_siren.as_deref().unwrap_or_default();
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100">
<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>{number}_{code}_{stamp}</ram:ID><ram:Name>CDV-{code}</ram:Name><ram:IssueDateTime><udt:DateTimeString format="204">{stamp}</udt:DateTimeString></ram:IssueDateTime><ram:SenderTradeParty><ram:RoleCode>WK</ram:RoleCode></ram:SenderTradeParty><ram:IssuerTradeParty><ram:GlobalID schemeID="0238">9999</ram:GlobalID><ram:Name>Plateforme agréée simulée</ram:Name><ram:RoleCode>WK</ram:RoleCode></ram:IssuerTradeParty><ram:RecipientTradeParty><ram:GlobalID schemeID="0002">{seller}</ram:GlobalID><ram:RoleCode>SE</ram:RoleCode><ram:URIUniversalCommunication><ram:URIID schemeID="0225">{seller}</ram:URIID></ram:URIUniversalCommunication></ram:RecipientTradeParty></rsm:ExchangedDocument>
<rsm:AcknowledgementDocument><ram:MultipleReferencesIndicator><udt:Indicator>false</udt:Indicator></ram:MultipleReferencesIndicator><ram:TypeCode>23</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="204">{stamp}</udt:DateTimeString></ram:IssueDateTime><ram:ReferenceReferencedDocument><ram:IssuerAssignedID>{number}</ram:IssuerAssignedID><ram:StatusCode>{status}</ram:StatusCode><ram:TypeCode>{type_code}</ram:TypeCode><ram:FormattedIssueDateTime><qdt:DateTimeString format="102">{date}</qdt:DateTimeString></ram:FormattedIssueDateTime><ram:ProcessConditionCode>{code}</ram:ProcessConditionCode><ram:ProcessCondition>{label}</ram:ProcessCondition><ram:IssuerTradeParty><ram:GlobalID schemeID="0002">{seller}</ram:GlobalID></ram:IssuerTradeParty><ram:RecipientTradeParty><ram:GlobalID schemeID="0002">{buyer}</ram:GlobalID></ram:RecipientTradeParty><ram:SpecifiedDocumentStatus>{reason}<ram:SequenceNumeric>{sequence}</ram:SequenceNumeric></ram:SpecifiedDocumentStatus></ram:ReferenceReferencedDocument></rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>
"#,
        number = esc(&invoice.number),
        seller = esc(&invoice.seller_siren),
        buyer = esc(buyer),
        type_code = esc(&invoice.type_code),
        date = esc(&invoice.issue_date),
        label = label(code),
        status = document_status(code),
    )
}

/// UNTDID 4343 (the document's status) for a lifecycle code, as XP Z12-012's table gives it.
fn document_status(code: u16) -> u8 {
    match code {
        210 | 213 => 8,
        205 | 206 => 1,
        207 => 46,
        212 => 47,
        _ => 43,
    }
}

#[derive(Deserialize)]
pub struct StatusRequest {
    code: u16,
    reason: Option<String>,
}

/// `POST /control/flows/{flowId}/status` with `{"code", "reason"}`: a test's way to make the
/// buyer refuse, approve or dispute an invoice.
pub async fn control_status(
    State(pa): State<PaSandbox>,
    Path(flow_id): Path<String>,
    Json(request): Json<StatusRequest>,
) -> Result<StatusCode, FlowError> {
    if label(request.code) == "Statut" {
        return Err(FlowError::bad_request("Unknown lifecycle status code"));
    }
    let reason = request.reason.as_deref().map(|r| {
        // Codes are a closed list here: keep the static text the CDAR needs.
        [
            "REJ_SEMAN",
            "DOUBLON",
            "ADR_ERR",
            "TX_TVA_ERR",
            "MONTANTTOTAL_ERR",
            "DEST_ERR",
        ]
        .into_iter()
        .find(|c| *c == r)
        .unwrap_or("AUTRE")
    });
    let mut store = pa.store();
    let index = store
        .flows
        .iter()
        .position(|f| f.id == flow_id && f.invoice.is_some())
        .ok_or_else(|| {
            FlowError::new(StatusCode::NOT_FOUND, "NOT_FOUND", "No such invoice flow")
        })?;
    add_status(&mut store, index, request.code, reason);
    Ok(StatusCode::NO_CONTENT)
}

//! The company's factures and avoirs: `GET /api/invoices` lists them as stored, `GET
//! /api/invoices/{number}/pdf` and `/xml` give one (rendered at its first download and kept, so
//! every later download is the same file). Bearer, or a short signed link for the system
//! browser; never another company's facture (it is simply not found).

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::header::{AUTHORIZATION, CACHE_CONTROL, CONTENT_DISPOSITION, CONTENT_TYPE};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use erp_btp_protocol::{DocumentKind, InvoiceSummary, InvoicesResponse};
use serde::Deserialize;

use crate::auth::{BearerClient, bearer_token};
use crate::core::Timestamp;
use crate::core::numbering::{Series, parse_number};
use crate::db::transmissions::Message;
use crate::domain::ClientId;
use crate::error::AppError;
use crate::factures::{Facture, render};
use crate::routes::subscription::rfc3339;
use crate::state::AppState;

pub async fn list(
    State(state): State<AppState>,
    BearerClient(client): BearerClient,
) -> Result<Json<InvoicesResponse>, AppError> {
    let now = state.clock.timestamp();
    let mut documents = state.db.documents_of(Series::Facture, &client).await?;
    documents.extend(state.db.documents_of(Series::Avoir, &client).await?);
    // Newest first; an avoir issued with its facture's payment comes after it.
    documents.sort_by_key(|d| std::cmp::Reverse((d.issued_at, d.series() == Series::Avoir, d.seq)));
    let sent = state.db.pa_list(Some(client.as_str())).await?;
    let invoices = documents
        .iter()
        .map(|f| {
            let mut item = summary(&state, f, now);
            let t = sent.iter().find(|t| {
                t.key.series == f.series()
                    && t.key.message == Message::Document
                    && t.key.year_seq() == (f.year, f.seq)
            });
            let (transmission, at) = crate::pa::standing(t);
            item.transmission = transmission;
            item.transmission_at = at.map(rfc3339);
            item
        })
        .collect();
    Ok(Json(InvoicesResponse { invoices }))
}

fn summary(state: &AppState, f: &Facture, now: Timestamp) -> InvoiceSummary {
    let number = f.number();
    let (net, tax) = f.split();
    let link = state.keys.facture_token(&f.client, &number, now);
    let url = |kind: &str| {
        state
            .settings
            .public_url(&format!("/api/invoices/{number}/{kind}?link={link}"))
    };
    InvoiceSummary {
        created: rfc3339(f.issued_at),
        period_start: rfc3339(f.period.0),
        period_end: rfc3339(f.period.1),
        amount_excl_tax_cents: net,
        tax_cents: tax,
        amount_cents: f.total_cents,
        currency: f.currency.clone(),
        status: "paid".into(),
        pdf_url: url("pdf"),
        xml_url: url("xml"),
        hosted_url: f.hosted_url.clone(),
        kind: match f.series() {
            Series::Facture => DocumentKind::Facture,
            Series::Avoir => DocumentKind::Avoir,
        },
        corrects: f.corrects().map(str::to_owned),
        number,
        transmission: Default::default(),
        transmission_at: None,
    }
}

#[derive(Deserialize)]
pub struct LinkQuery {
    link: Option<String>,
}

#[derive(Clone, Copy)]
enum Kind {
    Pdf,
    Xml,
}

/// `GET /api/invoices/{number}/pdf` and `/xml`.
pub async fn download(
    State(state): State<AppState>,
    Path((number, kind)): Path<(String, String)>,
    Query(query): Query<LinkQuery>,
    headers: HeaderMap,
) -> Result<Response, AppError> {
    let kind = match kind.as_str() {
        "pdf" => Kind::Pdf,
        "xml" => Kind::Xml,
        _ => return Err(AppError::NotFound),
    };
    let series = [Series::Facture, Series::Avoir]
        .into_iter()
        .find_map(|s| parse_number(s, &number).map(|key| (s, key)));
    let (series, key) = series.ok_or(AppError::NotFound)?;
    let client = reader(&state, &number, query.link.as_deref(), &headers).await?;
    let f = state
        .db
        .document_of(series, &client, key)
        .await?
        .ok_or(AppError::NotFound)?;
    let seller = state.settings.seller.as_ref().map_err(|p| {
        AppError::Facture(crate::factures::pdf::PdfError::new(format!(
            "seller incomplete: {}",
            p.0.join("; ")
        )))
    })?;
    let renderer = render::Renderer {
        db: &state.db,
        seller,
        plans: &state.plans,
        metrics: &state.metrics,
    };
    let doc = render::document(&renderer, &f, state.clock.timestamp()).await?;
    let (body, content_type, name) = match kind {
        Kind::Pdf => (doc.pdf, "application/pdf", format!("{number}.pdf")),
        Kind::Xml => (
            doc.xml.into_bytes(),
            "application/xml",
            format!("{number}-factur-x.xml"),
        ),
    };
    let mut response = body.into_response();
    let h = response.headers_mut();
    h.insert(CONTENT_TYPE, HeaderValue::from_static(content_type));
    let disposition = format!("inline; filename=\"{name}\"");
    h.insert(
        CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).expect("ASCII name"),
    );
    h.insert(CACHE_CONTROL, HeaderValue::from_static("private, no-store"));
    let sha = HeaderValue::from_str(&doc.sha256).expect("hex");
    h.insert("x-facture-sha256", sha);
    Ok(response)
}

/// The company asking: the bearer token's, else the signed link's (for this facture only).
async fn reader(
    state: &AppState,
    number: &str,
    link: Option<&str>,
    headers: &HeaderMap,
) -> Result<ClientId, AppError> {
    if headers.contains_key(AUTHORIZATION) {
        let token = bearer_token(headers)?;
        return state
            .db
            .client_for_token(token)
            .await?
            .ok_or(AppError::Unauthorized);
    }
    let link = link.ok_or(AppError::Unauthorized)?;
    let client = state
        .keys
        .check_facture_token(link, number, state.clock.timestamp())
        .ok_or(AppError::Unauthorized)?;
    // A revoked company's links stop with its token.
    match state.db.client_is_active(&client).await? {
        true => Ok(client),
        false => Err(AppError::Unauthorized),
    }
}

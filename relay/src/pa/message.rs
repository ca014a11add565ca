//! What one outbox row sends, built from the stored document: the facture's or avoir's Factur-X
//! (the very bytes the company downloads, rendered and kept first if it never was), or the CDAR
//! 212 of the money it records (a facture's payment, or an avoir's refund as a negative amount
//! on the facture it corrects).

use crate::core::numbering::paris_date;
use crate::db::transmissions::{Key, Message};
use crate::factures::{DocumentKind, Facture, render};
use crate::state::AppState;

use super::cdar;
use super::client::Outgoing;

/// Why a message cannot be built; it is not sent until an operator steps in.
#[derive(Debug, thiserror::Error)]
pub enum Unbuildable {
    #[error("document introuvable")]
    Missing,
    #[error("SIREN de l'acheteur absent : la facture ne peut pas être transmise")]
    NoBuyerSiren,
    #[error("vendeur incomplet (SELLER_*) : {0}")]
    Seller(String),
    #[error("document impossible à produire : {0}")]
    Render(String),
    #[error("base de données : {0}")]
    Db(#[from] sqlx::Error),
}

/// The platform's `trackingId` of a message: the document's number, `-212` for its status.
pub fn tracking_id(key: Key) -> String {
    let (year, seq) = key.year_seq();
    let number = crate::core::numbering::number(key.series, year, seq);
    match key.message {
        Message::Document => number,
        Message::Payment => format!("{number}-212"),
    }
}

/// The message of `key`.
pub async fn build(state: &AppState, key: Key) -> Result<Outgoing, Unbuildable> {
    let f = state
        .db
        .document_at(key.series, key.year_seq())
        .await?
        .ok_or(Unbuildable::Missing)?;
    let number = f.number();
    let tracking = tracking_id(key);
    let seller = state
        .settings
        .seller
        .as_ref()
        .map_err(|p| Unbuildable::Seller(p.0.join(" ; ")))?;
    let buyer_siren = f.buyer_siren.clone().ok_or(Unbuildable::NoBuyerSiren)?;
    let outgoing = match key.message {
        Message::Document => {
            let renderer = render::Renderer {
                db: &state.db,
                seller,
                plans: &state.plans,
                metrics: &state.metrics,
            };
            let doc = render::document_quietly(&renderer, &f, state.clock.timestamp())
                .await
                .map_err(|e| Unbuildable::Render(e.to_string()))?;
            Outgoing {
                syntax: "Factur-X",
                profile: Some("CIUS"),
                tracking_id: tracking.clone(),
                name: format!("{number}.pdf"),
                mime: "application/pdf",
                file: doc.pdf,
            }
        }
        Message::Payment => {
            let xml = cdar::cashed(&cashed(&f, &buyer_siren, seller, state));
            Outgoing {
                syntax: "CDAR",
                profile: None,
                tracking_id: tracking.clone(),
                name: format!("{number}-212.xml"),
                mime: "application/xml",
                file: xml.into_bytes(),
            }
        }
    };
    Ok(outgoing)
}

fn cashed<'a>(
    f: &'a Facture,
    buyer_siren: &'a str,
    seller: &'a crate::factures::Seller,
    state: &AppState,
) -> cdar::Cashed<'a> {
    let day = |ts: i64| paris_date(ts).format("%Y%m%d").to_string();
    let now = chrono::DateTime::from_timestamp(state.clock.now(), 0)
        .unwrap_or_default()
        .format("%Y%m%d%H%M%S")
        .to_string();
    let (number, issued_at, amount, sequence) = match &f.kind {
        DocumentKind::Facture => (f.number(), f.issued_at, f.total_cents, 1),
        DocumentKind::Avoir {
            corrects,
            corrects_issued_at,
            ..
        } => (
            corrects.clone(),
            *corrects_issued_at,
            -f.total_cents,
            1 + f.seq as u32,
        ),
    };
    cdar::Cashed {
        number,
        type_code: 380,
        issue_date: day(issued_at),
        seller_siren: seller.siren.as_str(),
        seller_name: &seller.name,
        buyer_siren,
        buyer_name: &f.buyer_name,
        amount_cents: amount,
        currency: &f.currency,
        cashed_on: day(f.paid_at),
        now,
        sequence,
    }
}

//! A company's factures and avoirs as the console lists them: amounts, a signed link to each
//! PDF and XML (the company's own downloads), and where each stands at the approved platform.

use erp_btp_protocol::fr;

use super::error::ConsoleError;
use crate::core::numbering::Series;
use crate::db::transmissions::Message;
use crate::domain::ClientId;
use crate::pa;
use crate::state::AppState;

pub struct FactureLine {
    pub number: String,
    pub kind: &'static str,
    pub date: String,
    pub amount: String,
    pub link: String,
    /// The document at the platform, and its 212 « Encaissée » (empty when none is sent).
    pub transmission: String,
    pub payment_status: String,
    /// A facture with money left to refund (never an avoir): the page offers « Rembourser… ».
    pub refundable: bool,
}

/// A company's factures and avoirs, newest first, with where each stands at the platform.
pub async fn of_company(
    state: &AppState,
    client: &ClientId,
) -> Result<Vec<FactureLine>, ConsoleError> {
    let now = state.clock.timestamp();
    let mut docs = state.db.documents_of(Series::Facture, client).await?;
    docs.extend(state.db.documents_of(Series::Avoir, client).await?);
    docs.sort_by_key(|d| std::cmp::Reverse((d.issued_at, d.series() == Series::Avoir, d.seq)));
    let sent = state.db.pa_list(Some(client.as_str())).await?;
    let standing = |f: &crate::factures::Facture, message: Message| {
        sent.iter()
            .find(|t| {
                t.key.series == f.series()
                    && t.key.message == message
                    && t.key.year_seq() == (f.year, f.seq)
            })
            .map(pa::described)
    };
    let mut lines = Vec::with_capacity(docs.len());
    for f in &docs {
        let refundable = match f.series() {
            Series::Facture => state
                .db
                .refund_target(crate::db::factures::key((f.year, f.seq)))
                .await?
                .is_some_and(|t| t.refunded < t.total_cents),
            Series::Avoir => false,
        };
        lines.push(FactureLine {
            number: f.number(),
            kind: match f.series() {
                Series::Facture => "facture",
                Series::Avoir => "avoir",
            },
            date: fr::date(f.issued_at),
            amount: crate::core::refund::euros(f.total_cents),
            // A signed link of a quarter of an hour, as the company's own downloads use.
            link: state.keys.facture_token(&f.client, &f.number(), now),
            transmission: standing(f, Message::Document).unwrap_or_else(|| "non transmise".into()),
            payment_status: standing(f, Message::Payment).unwrap_or_default(),
            refundable,
        });
    }
    Ok(lines)
}

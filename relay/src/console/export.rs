//! The accountant's export from the « Argent » page: the factures and avoirs of a year or of a
//! month, as `relay invoices export` writes them (PDF Factur-X, XML and the CSV index, the same
//! code), in one ZIP. The archive is written to an unnamed temporary file (created `0600` and
//! unlinked at once, so nothing is left behind if the relay stops) and streamed from it, so
//! that a year of factures never sits in memory. Both roles may download; each download is in
//! the audit trail.

use std::io::{BufWriter, Seek};
use std::os::unix::fs::OpenOptionsExt;

use axum::body::Body;
use axum::extract::{Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use chrono::{Datelike, Timelike};
use serde::Deserialize;

use super::error::ConsoleError;
use super::session::{Peer, SignedIn};
use crate::factures::export::{Period, export};
use crate::factures::render::Renderer;
use crate::factures::zip::ZipWriter;
use crate::state::AppState;

#[derive(Deserialize)]
pub struct ExportQuery {
    #[serde(default)]
    periode: String,
}

/// « 2026 » or « 2026-11 ».
pub fn period(text: &str) -> Option<Period> {
    let digits = |t: &str, len| t.len() == len && t.bytes().all(|b| b.is_ascii_digit());
    let text = text.trim();
    let (year, month) = match text.split_once('-') {
        Some((y, m)) if digits(m, 2) => (y, Some(m.parse::<u32>().ok()?)),
        Some(_) => return None,
        None => (text, None),
    };
    let year = year.parse::<i64>().ok().filter(|_| digits(year, 4))?;
    let valid = (2000..=2100).contains(&year) && month.is_none_or(|m| (1..=12).contains(&m));
    valid.then_some(Period { year, month })
}

pub async fn download(
    State(state): State<AppState>,
    Peer(address): Peer,
    me: SignedIn,
    Query(q): Query<ExportQuery>,
) -> Result<Response, ConsoleError> {
    let period = period(&q.periode).ok_or_else(|| {
        ConsoleError::Invalid(format!(
            "Période « {} » invalide : une année (2026) ou un mois (2026-11).",
            q.periode.trim()
        ))
    })?;
    let seller = state.settings.seller.as_ref().map_err(|p| {
        ConsoleError::Invalid(format!(
            "Vendeur des factures incomplet : {}.",
            p.0.join(" ; ")
        ))
    })?;
    let renderer = Renderer {
        db: &state.db,
        seller,
        plans: &state.plans,
        metrics: &state.metrics,
    };
    let failed =
        |e: &dyn std::fmt::Display| ConsoleError::Invalid(format!("Export impossible : {e}."));
    let file = hidden_file().map_err(|e| failed(&e))?;
    let now = state.clock.timestamp();
    let paris = crate::core::numbering::paris_time(now.unix());
    let stamp = (
        paris.year() as u16,
        paris.month() as u16,
        paris.day() as u16,
        paris.hour() as u16,
        paris.minute() as u16,
    );
    let mut zip = ZipWriter::new(BufWriter::new(file), stamp);
    let report = export(&renderer, period, &mut zip, now)
        .await
        .map_err(|e| failed(&e))?;
    let mut file = zip
        .finish()
        .and_then(|w| w.into_inner().map_err(|e| e.into_error()))
        .map_err(|e| failed(&e))?;
    file.rewind().map_err(|e| failed(&e))?;
    let name = period.archive_name();
    me.audit(
        &state,
        address,
        "export comptable téléchargé",
        format!(
            "{name} : {} document(s), {} en échec",
            report.written,
            report.failed.len()
        ),
    )
    .await?;
    let stream = tokio_util::io::ReaderStream::new(tokio::fs::File::from_std(file));
    Ok((
        [
            (header::CONTENT_TYPE, "application/zip".to_owned()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(stream),
    )
        .into_response())
}

/// A new file readable by its owner only, already unlinked: it disappears with its handle.
fn hidden_file() -> std::io::Result<std::fs::File> {
    let path =
        std::env::temp_dir().join(format!("relay-export-{:016x}.zip", rand::random::<u64>()));
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)?;
    std::fs::remove_file(&path)?;
    Ok(file)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_period_is_a_year_or_a_month_of_one() {
        assert_eq!(
            period("2026"),
            Some(Period {
                year: 2026,
                month: None
            })
        );
        assert_eq!(
            period(" 2026-11 "),
            Some(Period {
                year: 2026,
                month: Some(11)
            })
        );
        for bad in [
            "",
            "26",
            "2026-13",
            "2026-0",
            "1999",
            "2026-11-01",
            "deux mille",
            "+2026",
            "2026-+1",
            "2026-1",
        ] {
            assert_eq!(period(bad), None, "{bad}");
        }
    }
}

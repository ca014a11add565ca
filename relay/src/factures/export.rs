//! `relay invoices export --year 2026 --to DIR` (and the console's ZIP download of a year or a
//! month): every facture and avoir of the period for the accountant, as the files the companies
//! downloaded (rendered and kept first if never downloaded) and an index `factures-2026.csv`
//! (`factures-2026-11.csv` for a month) as a French spreadsheet opens it (UTF-8 with
//! BOM, `;`, decimal comma), an avoir's amounts negative so that a column sums to what was kept.
//! It never stops midway: a facture that cannot be written is listed with the reason (in the
//! index's last column too) and the others are written all the same. Every file is created
//! readable by its owner only (`0600`): factures name companies and amounts. Two columns say
//! where each document stands with the approved platform and whether its 212 « Encaissée » went.

use std::fmt::Write as _;
use std::io::Write as _;
use std::os::unix::fs::OpenOptionsExt;
use std::path::Path;

use chrono::Datelike;

use super::render::{Renderer, document};
use super::zip::ZipWriter;
use super::{Facture, short_date};
use crate::core::Timestamp;
use crate::core::numbering::Series;
use crate::core::numbering::paris_date;
use crate::db::transmissions::{Message, Transmission};

/// What an export wrote, and what it could not (facture number, reason).
#[derive(Debug, Default)]
pub struct Exported {
    pub written: usize,
    pub failed: Vec<(String, String)>,
}

/// The documents of a year (their number's), or of one of its months (in Paris time).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Period {
    pub year: i64,
    pub month: Option<u32>,
}

impl Period {
    /// `factures-2026.csv`, `factures-2026-11.csv`.
    pub fn index_name(self) -> String {
        match self.month {
            None => format!("factures-{}.csv", self.year),
            Some(m) => format!("factures-{}-{m:02}.csv", self.year),
        }
    }

    /// `factures-2026.zip`, `factures-2026-11.zip`: the console's download.
    pub fn archive_name(self) -> String {
        self.index_name().replace(".csv", ".zip")
    }

    fn holds(self, f: &Facture) -> bool {
        self.month
            .is_none_or(|m| paris_date(f.issued_at).month() == m)
    }
}

/// Where an export's files go.
pub trait Sink {
    fn put(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()>;
}

/// A folder, each file created readable by its owner only.
pub struct Folder<'a>(pub &'a Path);

impl Sink for Folder<'_> {
    fn put(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        write_private(&self.0.join(name), bytes)
    }
}

impl<W: std::io::Write> Sink for ZipWriter<W> {
    fn put(&mut self, name: &str, bytes: &[u8]) -> std::io::Result<()> {
        self.add(name, bytes)
    }
}

/// Writes the period's factures and their index to `sink`. Errors only when nothing can be
/// written at all (the database, the folder, the index itself).
pub async fn export(
    r: &Renderer<'_>,
    period: Period,
    sink: &mut (dyn Sink + Send),
    now: Timestamp,
) -> anyhow::Result<Exported> {
    let mut factures = r.db.documents_of_year(Series::Facture, period.year).await?;
    factures.extend(r.db.documents_of_year(Series::Avoir, period.year).await?);
    factures.retain(|f| period.holds(f));
    let mut csv = String::from(
        "\u{feff}numéro;date d'émission;entreprise;raison sociale;SIREN;début de période;fin de période;HT;TVA;TTC;devise;acquittée ou remboursée le;paiement Stripe;SHA-256 du PDF;type;facture corrigée;transmission à la plateforme agréée;statut 212 Encaissée;problème\r\n",
    );
    let mut report = Exported::default();
    let sent = r.db.pa_list(None).await?;
    for f in &factures {
        let of = |message: Message| {
            sent.iter().find(|t| {
                t.key.series == f.series()
                    && t.key.message == message
                    && t.key.year_seq() == (f.year, f.seq)
            })
        };
        let platform = [
            transmission(of(Message::Document)),
            payment_status(of(Message::Payment)),
        ];
        let written = match document(r, f, now).await {
            Ok(doc) => sink
                .put(&format!("{}.pdf", f.number()), &doc.pdf)
                .and_then(|()| sink.put(&format!("{}.xml", f.number()), doc.xml.as_bytes()))
                .map(|()| doc.sha256)
                .map_err(|e| format!("écriture impossible : {e}")),
            Err(e) => Err(format!("document impossible à produire : {e}")),
        };
        match written {
            Ok(sha256) => {
                report.written += 1;
                row(&mut csv, f, &sha256, &platform, "");
            }
            Err(reason) => {
                row(&mut csv, f, "", &platform, &reason);
                report.failed.push((f.number(), reason));
            }
        }
    }
    sink.put(&period.index_name(), csv.as_bytes())?;
    Ok(report)
}

/// Creates (or replaces) `path` with mode `0600`, whatever the umask.
fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(true)
        .mode(0o600)
        .open(path)?;
    // A file that existed keeps its mode through `open`: narrow it too.
    use std::os::unix::fs::PermissionsExt;
    file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    file.write_all(bytes)
}

/// The document's standing with the platform, in French.
fn transmission(t: Option<&Transmission>) -> String {
    let Some(t) = t else {
        return "non transmise".into();
    };
    let on = |at: Option<i64>| {
        at.map(|a| format!(" le {}", short_date(a)))
            .unwrap_or_default()
    };
    match (t.status_code, t.state.as_str()) {
        (Some(code), _) => {
            let reason = t
                .status_reason
                .as_deref()
                .map(|r| format!(" : {r}"))
                .unwrap_or_default();
            format!(
                "{code} {}{}{reason}",
                crate::pa::cdar::label(code as u16),
                on(t.status_at)
            )
        }
        (None, "sent") => format!("transmise{}", on(t.sent_at)),
        (None, "failed") => "refusée par la plateforme (relay pa list --problems)".into(),
        (None, _) => "en attente d'envoi".into(),
    }
}

/// Whether the 212 of the document's money went.
fn payment_status(t: Option<&Transmission>) -> String {
    match t {
        None => "non envoyé".into(),
        Some(t) if t.ack_status.as_deref() == Some("Ok") => {
            format!(
                "envoyé le {}",
                t.sent_at.map(short_date).unwrap_or_default()
            )
        }
        Some(t) if t.state == "failed" => "refusé par la plateforme".into(),
        Some(_) => "en attente d'envoi".into(),
    }
}

fn row(csv: &mut String, f: &Facture, sha256: &str, platform: &[String; 2], problem: &str) {
    let (net, tax) = f.split();
    // What went back counts against what was billed.
    let sign = match f.series() {
        Series::Facture => 1,
        Series::Avoir => -1,
    };
    let kind = match f.series() {
        Series::Facture => "facture",
        Series::Avoir => "avoir",
    };
    // Text that a payer or an operator typed is neutralised; the relay's own cells are not.
    let cells = [
        f.number(),
        short_date(f.issued_at),
        neutral(f.client.as_str()),
        neutral(&f.buyer_name),
        neutral(f.buyer_siren.as_deref().unwrap_or_default()),
        short_date(f.period.0),
        short_date(f.period.1),
        decimal(sign * net),
        decimal(sign * tax),
        decimal(sign * f.total_cents),
        f.currency.to_uppercase(),
        short_date(f.paid_at),
        f.source.clone(),
        sha256.to_owned(),
        kind.to_owned(),
        f.corrects().unwrap_or_default().to_owned(),
        platform[0].clone(),
        platform[1].clone(),
        problem.to_owned(),
    ];
    let quoted: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    let _ = write!(csv, "{}\r\n", quoted.join(";"));
}

/// « 40,83 », « -8,33 ».
fn decimal(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    let cents = cents.unsigned_abs();
    format!("{sign}{},{:02}", cents / 100, cents % 100)
}

/// Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, TAB, CR first) is shown
/// as text: OWASP's « CSV injection » advice, a leading apostrophe.
fn neutral(text: &str) -> String {
    match text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        true => format!("'{text}"),
        false => text.to_owned(),
    }
}

/// A cell quoted when it holds the separator, a quote or a line break.
fn cell(text: &str) -> String {
    if text.contains([';', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_only_when_they_must_be() {
        assert_eq!(cell("Dupont"), "Dupont");
        assert_eq!(cell("Dupont; fils"), "\"Dupont; fils\"");
        assert_eq!(
            cell("« Le \"Bon\" Bâtisseur »"),
            "\"« Le \"\"Bon\"\" Bâtisseur »\""
        );
        assert_eq!(decimal(41583), "415,83");
        assert_eq!(decimal(-833), "-8,33", "an avoir's amounts");
        assert_eq!(decimal(-5), "-0,05");
    }

    #[test]
    fn text_that_a_spreadsheet_would_run_is_neutralised() {
        for formula in ["=1+1", "+33 6", "-2", "@SUM(A1)", "\tx", "\rx"] {
            assert_eq!(neutral(formula), format!("'{formula}"));
        }
        assert_eq!(neutral("Dupont = BTP"), "Dupont = BTP");
        assert_eq!(neutral(""), "");
        assert_eq!(
            cell(&neutral("=HYPERLINK(\"x\";\"y\")")),
            "\"'=HYPERLINK(\"\"x\"\";\"\"y\"\")\""
        );
    }
}

//! `relay invoices export --year 2026 --to DIR`: every facture of a year for the accountant, as
//! the files the companies downloaded (rendered and kept first if never downloaded) and an index
//! `factures-2026.csv` as a French spreadsheet opens it (UTF-8 with BOM, `;`, decimal comma).

use std::fmt::Write as _;
use std::path::Path;

use super::render::{Renderer, document};
use super::{Facture, short_date};

/// Writes the year's factures and their index into `dir`; returns how many.
pub async fn export(r: &Renderer<'_>, year: i64, dir: &Path, now: i64) -> anyhow::Result<usize> {
    let factures = r.db.factures_of_year(year).await?;
    std::fs::create_dir_all(dir)?;
    let mut csv = String::from(
        "\u{feff}numéro;date d'émission;entreprise;raison sociale;SIREN;début de période;fin de période;HT;TVA;TTC;devise;acquittée le;paiement Stripe;SHA-256 du PDF\r\n",
    );
    for f in &factures {
        let doc = document(r, f, now)
            .await
            .map_err(|e| anyhow::anyhow!("{}: {e}", f.number()))?;
        std::fs::write(dir.join(format!("{}.pdf", f.number())), &doc.pdf)?;
        std::fs::write(dir.join(format!("{}.xml", f.number())), &doc.xml)?;
        row(&mut csv, f, &doc.sha256);
    }
    std::fs::write(dir.join(format!("factures-{year}.csv")), csv)?;
    Ok(factures.len())
}

fn row(csv: &mut String, f: &Facture, sha256: &str) {
    let (net, tax) = f.split();
    let cells = [
        f.number(),
        short_date(f.issued_at),
        f.client.to_string(),
        f.buyer_name.clone(),
        f.buyer_siren.clone().unwrap_or_default(),
        short_date(f.period.0),
        short_date(f.period.1),
        decimal(net),
        decimal(tax),
        decimal(f.total_cents),
        f.currency.to_uppercase(),
        short_date(f.paid_at),
        f.source.clone(),
        sha256.to_owned(),
    ];
    let quoted: Vec<String> = cells.iter().map(|c| cell(c)).collect();
    let _ = write!(csv, "{}\r\n", quoted.join(";"));
}

/// « 40,83 ».
fn decimal(cents: i64) -> String {
    format!("{},{:02}", cents / 100, cents % 100)
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
    }
}

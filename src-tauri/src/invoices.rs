//! The « Factures » view: the company's factures and avoirs as the relay issued them, each opened in the
//! system browser (a short signed link of the relay's, fetched fresh at each click) or saved
//! as a PDF into the downloads folder.

use erp_btp_protocol::{DocumentKind, InvoiceSummary, Transmission, fr};
use serde::Serialize;

use crate::desktop::Desktop;
use crate::error::DesktopError;
use crate::urls::openable;

/// One facture or avoir, written for the admin.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(test, derive(ts_rs::TS))]
pub struct InvoiceView {
    /// « FA-2026-000001 », « AV-2026-000001 ».
    pub number: String,
    /// « Facture », or « Avoir sur la facture FA-2026-000001 ».
    pub label: String,
    /// What the app says once it opened in the browser.
    pub opened: String,
    /// « 2 décembre 2026 ».
    pub issued_on: String,
    /// « du 2 décembre 2026 au 2 janvier 2027 ».
    pub period: String,
    /// « 49 € TTC (40,83 € HT + 8,17 € TVA) », « 10 € TTC remboursés (…) » for an avoir.
    pub amounts: String,
    /// Where it stands with the approved platforms (« Reçue par votre plateforme agréée le
    /// 7 décembre 2026 »); empty while the relay does not transmit.
    pub transmission: String,
}

/// The document's transmission, as the buyer reads it.
fn transmission(i: &InvoiceSummary) -> String {
    let on = i
        .transmission_at
        .as_deref()
        .map(|t| format!(" le {}", fr::date(timestamp(t))))
        .unwrap_or_default();
    match i.transmission {
        Transmission::NotSent => String::new(),
        Transmission::Sent => format!("Transmise à la plateforme agréée{on}"),
        Transmission::Failed => {
            "Transmission à la plateforme agréée en cours de correction par votre fournisseur"
                .into()
        }
        Transmission::Deposited => format!("Déposée sur la plateforme agréée{on}"),
        Transmission::Received => format!("Reçue par votre plateforme agréée{on}"),
        Transmission::Approved => format!("Approuvée{on}"),
        Transmission::Disputed => format!("En litige depuis{on}"),
        Transmission::Refused => format!("Refusée par votre entreprise{on}"),
        Transmission::Rejected => {
            format!("Rejetée par la plateforme agréée{on} : une facture corrigée suivra")
        }
        Transmission::Unknown => {
            "Statut de transmission non reconnu par cette version de l'application".into()
        }
    }
}

fn timestamp(rfc3339: &str) -> i64 {
    chrono::DateTime::parse_from_rfc3339(rfc3339).map_or(0, |d| d.timestamp())
}

pub fn invoice_view(i: &InvoiceSummary) -> InvoiceView {
    let (label, opened, returned) = match (i.kind, &i.corrects) {
        (DocumentKind::Avoir, Some(facture)) => (
            format!("Avoir sur la facture {facture}"),
            format!("L'avoir {} s'est ouvert dans le navigateur.", i.number),
            " remboursés",
        ),
        (DocumentKind::Avoir, None) => (
            "Avoir".to_owned(),
            format!("L'avoir {} s'est ouvert dans le navigateur.", i.number),
            " remboursés",
        ),
        (DocumentKind::Facture, _) => (
            "Facture".to_owned(),
            format!("La facture {} s'est ouverte dans le navigateur.", i.number),
            "",
        ),
    };
    InvoiceView {
        number: i.number.clone(),
        label,
        opened,
        issued_on: fr::date(timestamp(&i.created)),
        period: format!(
            "du {} au {}",
            fr::date(timestamp(&i.period_start)),
            fr::date(timestamp(&i.period_end))
        ),
        amounts: format!(
            "{} TTC{returned} ({} HT + {} TVA)",
            fr::euros(i.amount_cents),
            fr::euros(i.amount_excl_tax_cents),
            fr::euros(i.tax_cents)
        ),
        transmission: transmission(i),
    }
}

impl Desktop {
    /// The company's factures, newest first.
    pub async fn invoices(&self) -> Result<Vec<InvoiceView>, DesktopError> {
        let (_, login, client) = self.logged_in()?;
        let list = client.invoices(&login.token).await?;
        Ok(list.iter().map(invoice_view).collect())
    }

    /// Opens facture `number`'s PDF in the system browser, by a link made for this click.
    pub async fn open_invoice(&self, number: &str) -> Result<(), DesktopError> {
        let (_, login, client) = self.logged_in()?;
        let list = client.invoices(&login.token).await?;
        let found = list
            .iter()
            .find(|i| i.number == number)
            .ok_or(DesktopError::UnknownInvoice(number.to_owned()))?;
        let url = openable(&found.pdf_url, client.base())?;
        self.open(url.as_str())
    }

    /// Saves facture `number`'s PDF into the downloads folder; returns where.
    pub async fn save_invoice(&self, number: &str) -> Result<String, DesktopError> {
        let valid = number.len() == 14
            && (number.starts_with("FA-") || number.starts_with("AV-"))
            && number[3..].bytes().all(|b| b.is_ascii_digit() || b == b'-');
        if !valid {
            return Err(DesktopError::UnknownInvoice(
                number.chars().take(40).collect(),
            ));
        }
        let (_, login, client) = self.logged_in()?;
        let pdf = client.invoice_pdf(&login.token, number).await?;
        let dir = self.downloads();
        std::fs::create_dir_all(dir).map_err(|e| DesktopError::Storage(e.to_string()))?;
        let path = dir.join(format!("{number}.pdf"));
        std::fs::write(&path, pdf).map_err(|e| DesktopError::Storage(e.to_string()))?;
        Ok(path.display().to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_facture_reads_in_french() {
        let view = invoice_view(&InvoiceSummary {
            number: "FA-2026-000001".into(),
            created: "2026-12-02T09:30:00Z".into(),
            period_start: "2026-12-02T09:30:00Z".into(),
            period_end: "2027-01-01T09:30:00Z".into(),
            amount_excl_tax_cents: 4083,
            tax_cents: 817,
            amount_cents: 4900,
            currency: "eur".into(),
            status: "paid".into(),
            pdf_url: "https://relais.test/api/invoices/FA-2026-000001/pdf?link=x".into(),
            xml_url: "https://relais.test/api/invoices/FA-2026-000001/xml?link=x".into(),
            hosted_url: None,
            kind: DocumentKind::Facture,
            corrects: None,
            transmission: Transmission::Received,
            transmission_at: Some("2026-12-07T10:00:00Z".into()),
        });
        assert_eq!(
            view.transmission,
            "Reçue par votre plateforme agréée le 7 décembre 2026"
        );
        assert_eq!(view.label, "Facture");
        assert_eq!(view.issued_on, "2 décembre 2026");
        assert_eq!(view.period, "du 2 décembre 2026 au 1er janvier 2027");
        assert_eq!(
            view.amounts,
            "49\u{a0}€ TTC (40,83\u{a0}€ HT + 8,17\u{a0}€ TVA)"
        );
    }

    #[test]
    fn an_avoir_names_the_facture_it_corrects_and_what_went_back() {
        let view = invoice_view(&InvoiceSummary {
            number: "AV-2026-000001".into(),
            created: "2026-12-05T09:30:00Z".into(),
            period_start: "2026-12-02T09:30:00Z".into(),
            period_end: "2027-01-01T09:30:00Z".into(),
            amount_excl_tax_cents: 833,
            tax_cents: 167,
            amount_cents: 1000,
            currency: "eur".into(),
            status: "paid".into(),
            pdf_url: "https://relais.test/api/invoices/AV-2026-000001/pdf?link=x".into(),
            xml_url: "https://relais.test/api/invoices/AV-2026-000001/xml?link=x".into(),
            hosted_url: None,
            kind: DocumentKind::Avoir,
            corrects: Some("FA-2026-000001".into()),
            transmission: Transmission::NotSent,
            transmission_at: None,
        });
        assert_eq!(
            view.transmission, "",
            "nothing said while the relay does not transmit"
        );
        assert_eq!(view.label, "Avoir sur la facture FA-2026-000001");
        assert_eq!(
            view.opened,
            "L'avoir AV-2026-000001 s'est ouvert dans le navigateur."
        );
        assert_eq!(
            view.amounts,
            "10\u{a0}€ TTC remboursés (8,33\u{a0}€ HT + 1,67\u{a0}€ TVA)"
        );
    }
}

//! A facture's document, made once from what was stored at issue: the CII XML, the PDF/A-3
//! that embeds it, and the SHA-256 of the PDF that proves a later download is the same file.

use sha2::{Digest, Sha256};

use super::{Facture, Seller, acceptable_vat, cii, pdf};
use crate::core::Timestamp;
use crate::db::Db;
use crate::metrics::Metrics;
use crate::plans::Catalogue;

/// The rendered facture or avoir, as kept in `facture_documents` or `avoir_documents`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub xml: String,
    pub pdf: Vec<u8>,
    pub sha256: String,
}

/// Renders `f`; the plan's name comes from the catalogue (its id when the plan was retired).
pub fn render(f: &Facture, seller: &Seller, plans: &Catalogue) -> Result<Rendered, pdf::PdfError> {
    let plan_name = plans
        .get(f.plan.as_str())
        .map_or(f.plan.as_str(), |p| p.name.as_str());
    let xml = cii::xml(f, seller, plan_name);
    let pdf = pdf::render(f, seller, plan_name, &xml)?;
    let sha256 = hex::encode(Sha256::digest(&pdf));
    Ok(Rendered { xml, pdf, sha256 })
}

/// Why a facture's document could not be given.
#[derive(Debug, thiserror::Error)]
pub enum RenderError {
    #[error("facture storage failed")]
    Storage(#[from] sqlx::Error),
    #[error("facture not rendered")]
    Pdf(#[from] pdf::PdfError),
}

/// Where a facture's document is made: the database that keeps it, the seller and plans it
/// names, and the metrics that count it.
pub struct Renderer<'a> {
    pub db: &'a Db,
    pub seller: &'a Seller,
    pub plans: &'a std::sync::Arc<Catalogue>,
    pub metrics: &'a Metrics,
}

/// The facture's document: the one kept, else rendered now (off the async threads) from what
/// was stored at issue, and kept. A buyer VAT number that is not the company's is left out
/// (a VAT number arrives with the payment, too late to refuse), logged and counted.
pub async fn document(
    r: &Renderer<'_>,
    f: &Facture,
    now: Timestamp,
) -> Result<Rendered, RenderError> {
    make(r, f, now, false).await
}

/// [`document`], made on the low-priority thread ([`super::quiet`]) when it must be rendered:
/// for work no one waits on.
pub async fn document_quietly(
    r: &Renderer<'_>,
    f: &Facture,
    now: Timestamp,
) -> Result<Rendered, RenderError> {
    make(r, f, now, true).await
}

async fn make(
    r: &Renderer<'_>,
    f: &Facture,
    now: Timestamp,
    quiet: bool,
) -> Result<Rendered, RenderError> {
    let key = (f.year, f.seq);
    if let Some(doc) = r.db.document(f.series(), key).await? {
        return Ok(doc);
    }
    let mut f2 = f.clone();
    let rejected = f2
        .buyer
        .vat
        .take_if(|vat| !acceptable_vat(vat, f.buyer_siren.as_deref()));
    if let Some(vat) = &rejected {
        tracing::warn!(
            facture = %f.number(),
            client = %f.client,
            "buyer VAT number {vat} left out of the facture: not the VAT number of SIREN {}",
            f.buyer_siren.as_deref().unwrap_or("(unknown)")
        );
    }
    let (seller, plans) = (r.seller.clone(), r.plans.clone());
    let work = move || render(&f2, &seller, &plans);
    let doc = match quiet {
        true => super::quiet::run(work)
            .await
            .map_err(|_| pdf::PdfError::new("rendering panicked".into()))??,
        false => tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| pdf::PdfError::new(e.to_string()))??,
    };
    r.metrics.observe_facture(rejected.is_some());
    Ok(r.db.keep_document(f.series(), key, &doc, now).await?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_pdf_embeds_the_xml_and_declares_factur_x_in_its_metadata() {
        let (f, seller) = cii::tests::sample();
        let r = render(&f, &seller, &Catalogue::default()).unwrap();
        std::fs::write(std::env::temp_dir().join("facture-sample.pdf"), &r.pdf).unwrap();
        assert!(r.pdf.starts_with(b"%PDF-1.7"));
        let text = String::from_utf8_lossy(&r.pdf);
        assert!(text.contains("(factur-x.xml)"), "the embedded file's name");
        assert!(text.contains("/AFRelationship/Alternative"));
        assert!(text.contains("<fx:ConformanceLevel>EN 16931</fx:ConformanceLevel>"));
        assert!(text.contains("<pdfaid:part>3</pdfaid:part>"));
        assert!(text.trim_end().ends_with("%%EOF"));
        assert_eq!(r.sha256.len(), 64);
    }

    #[test]
    fn an_avoir_renders_as_a_factur_x_that_says_avoir() {
        let (a, seller) = cii::tests::sample_avoir();
        let r = render(&a, &seller, &Catalogue::default()).unwrap();
        let dir = std::env::temp_dir().join("avoir-sample");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(format!("{}.pdf", a.number())), &r.pdf).unwrap();
        assert!(r.xml.contains("<ram:TypeCode>381</ram:TypeCode>"));
        assert!(String::from_utf8_lossy(&r.pdf).contains("(factur-x.xml)"));
    }

    /// A billing address typed with `工地` made the facture unrenderable forever: krilla's
    /// PDF/A-3b check refuses a glyph the font lacks. Every buyer field now takes any script.
    #[test]
    fn a_facture_renders_whatever_the_payer_typed_in_any_buyer_field() {
        let typed = [
            "Dupont Ωμέγα",
            "Жилстрой",
            "شركة البناء",
            "工地 北京市",
            "🏗👷\u{200D}\u{2642}\u{FE0F} 🚧",
            "Cafe\u{301} n\u{303}",
            "\u{10000}\u{E000}\ttab",
        ];
        let (mut f, seller) = cii::tests::sample();
        for text in typed {
            f.buyer_name = text.into();
            f.buyer.line1 = Some(text.into());
            f.buyer.line2 = Some(text.into());
            f.buyer.postal_code = Some(text.into());
            f.buyer.city = Some(text.into());
            let r = render(&f, &seller, &Catalogue::default())
                .unwrap_or_else(|e| panic!("{text:?}: {e}"));
            assert!(r.pdf.starts_with(b"%PDF-1.7"), "{text:?}");
            let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
            assert!(r.xml.contains(&escaped), "the XML keeps {text:?} exactly");
        }
    }
}

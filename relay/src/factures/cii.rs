//! The facture as UN/CEFACT CII XML, Factur-X profile EN 16931 (`factur-x.xml`): one line for
//! the subscription period, 20 % standard-rated VAT, already paid by card, with what the French
//! reform adds (BR-FR): the PMT / PMD / AAB notes, the billing framework BT-23 `S2` (a service
//! invoice already paid), both parties' SIREN (scheme 0002) and electronic addresses (BT-34 and
//! BT-49, scheme 0225). Element order follows the Factur-X XSD.

use std::fmt::Write;

use super::{DocumentKind, Facture, Seller, paris_date};

pub const PROFILE_EN16931: &str = "urn:cen.eu:en16931:2017";
/// A line's VAT: standard rate (category S), 20 %.
const LINE_VAT: &str = "<ram:ApplicableTradeTax><ram:TypeCode>VAT</ram:TypeCode><ram:CategoryCode>S</ram:CategoryCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>";
/// UNTDID 4461 « bank card ».
const CARD: &str = "48";
pub const PENALTY_NOTE_FIXED: &str =
    "Indemnité forfaitaire pour frais de recouvrement en cas de retard de paiement : 40 €.";
pub const NO_DISCOUNT: &str = "Pas d'escompte pour paiement anticipé.";

/// What the document's notes and line say, shared with the PDF so that both read the same.
pub struct Wording {
    /// « FACTURE » or « AVOIR ».
    pub title: &'static str,
    pub designation: String,
    pub penalties: String,
    /// How it was paid, or how the money went back.
    pub paid: String,
    /// An avoir's reason and the facture it corrects.
    pub correction: Option<String>,
}

impl Wording {
    pub fn new(f: &Facture, seller: &Seller, plan_name: &str) -> Self {
        let on = super::short_date(f.paid_at);
        let (title, paid, correction) = match &f.kind {
            DocumentKind::Facture => (
                "FACTURE",
                format!(
                    "Facture acquittée le {on} par carte bancaire (paiement Stripe {}).",
                    f.source
                ),
                None,
            ),
            DocumentKind::Avoir {
                corrects,
                corrects_issued_at,
                reason,
            } => (
                "AVOIR",
                format!(
                    "Avoir remboursé le {on} sur le moyen de paiement d'origine (Stripe {}).",
                    f.source
                ),
                Some(format!(
                    "{reason}. Avoir sur la facture N° {corrects} du {}.",
                    super::short_date(*corrects_issued_at)
                )),
            ),
        };
        Self {
            title,
            designation: format!("Abonnement ERP BTP — formule {plan_name}"),
            penalties: format!(
                "Pénalités de retard : {} ; exigibles dès le lendemain de l'échéance.",
                seller.penalty_rate
            ),
            paid,
            correction,
        }
    }
}

/// UNTDID 1001: a commercial invoice, or a credit note.
fn type_code(f: &Facture) -> &'static str {
    match f.kind {
        DocumentKind::Facture => "380",
        DocumentKind::Avoir { .. } => "381",
    }
}

/// An avoir's reference to the facture it corrects (BT-25, BT-26; BR-FR-CO-05).
fn preceding_invoice(f: &Facture) -> String {
    match &f.kind {
        DocumentKind::Facture => String::new(),
        DocumentKind::Avoir {
            corrects,
            corrects_issued_at,
            ..
        } => format!(
            "<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID><ram:FormattedIssueDateTime><qdt:DateTimeString format=\"102\">{}</qdt:DateTimeString></ram:FormattedIssueDateTime></ram:InvoiceReferencedDocument>",
            esc(corrects),
            day(*corrects_issued_at)
        ),
    }
}

/// The XML of `f`, sold by `seller`, for the plan called `plan_name`.
pub fn xml(f: &Facture, seller: &Seller, plan_name: &str) -> String {
    let words = Wording::new(f, seller, plan_name);
    let (net, tax) = f.split();
    let (start, end) = (day(f.period.0), day(f.period.1));
    let cur = esc(&f.currency.to_uppercase());
    let mut x = String::with_capacity(6000);
    x.push_str(concat!(
        r#"<?xml version="1.0" encoding="UTF-8"?>"#,
        "\n",
        r#"<rsm:CrossIndustryInvoice xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100" xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100">"#,
        "\n"
    ));
    let _ = write!(
        x,
        "<rsm:ExchangedDocumentContext>\
<ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>S2</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter>\
<ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>{PROFILE_EN16931}</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter>\
</rsm:ExchangedDocumentContext>\n\
<rsm:ExchangedDocument><ram:ID>{number}</ram:ID><ram:TypeCode>{type_code}</ram:TypeCode>\
<ram:IssueDateTime>{issued}</ram:IssueDateTime>\
{pmt}{pmd}{aab}{bar}{reason}</rsm:ExchangedDocument>\n",
        number = f.number(),
        type_code = type_code(f),
        // UNTDID 4451 ACD « reason », apart from the PMT / PMD / AAB notes (BR-FR-06).
        reason = words
            .correction
            .as_deref()
            .map_or(String::new(), |c| note(c, "ACD")),
        issued = date_time(day(f.issued_at)),
        pmt = note(PENALTY_NOTE_FIXED, "PMT"),
        pmd = note(&words.penalties, "PMD"),
        aab = note(NO_DISCOUNT, "AAB"),
        // The business process (BAR, XP Z12-012): a domestic sale between companies, under which
        // the reform's rules ask for the buyer's SIREN (BR-FR-11) and address (BR-FR-12).
        bar = note("B2B", "BAR"),
    );
    x.push_str("<rsm:SupplyChainTradeTransaction>\n");
    let _ = writeln!(
        x,
        "<ram:IncludedSupplyChainTradeLineItem>\
<ram:AssociatedDocumentLineDocument><ram:LineID>1</ram:LineID></ram:AssociatedDocumentLineDocument>\
<ram:SpecifiedTradeProduct><ram:Name>{name}</ram:Name></ram:SpecifiedTradeProduct>\
<ram:SpecifiedLineTradeAgreement><ram:NetPriceProductTradePrice><ram:ChargeAmount>{net}</ram:ChargeAmount></ram:NetPriceProductTradePrice></ram:SpecifiedLineTradeAgreement>\
<ram:SpecifiedLineTradeDelivery><ram:BilledQuantity unitCode=\"C62\">1</ram:BilledQuantity></ram:SpecifiedLineTradeDelivery>\
<ram:SpecifiedLineTradeSettlement>{vat}{period}\
<ram:SpecifiedTradeSettlementLineMonetarySummation><ram:LineTotalAmount>{net}</ram:LineTotalAmount></ram:SpecifiedTradeSettlementLineMonetarySummation>\
</ram:SpecifiedLineTradeSettlement></ram:IncludedSupplyChainTradeLineItem>",
        name = esc(&words.designation),
        net = amount(net),
        vat = LINE_VAT,
        period = period(&start, &end),
    );
    x.push_str("<ram:ApplicableHeaderTradeAgreement>");
    seller_party(&mut x, seller);
    buyer_party(&mut x, f);
    x.push_str("</ram:ApplicableHeaderTradeAgreement>\n<ram:ApplicableHeaderTradeDelivery/>\n");
    let _ = writeln!(
        x,
        "<ram:ApplicableHeaderTradeSettlement><ram:InvoiceCurrencyCode>{cur}</ram:InvoiceCurrencyCode>\
<ram:SpecifiedTradeSettlementPaymentMeans><ram:TypeCode>{CARD}</ram:TypeCode><ram:Information>Carte bancaire (Stripe)</ram:Information></ram:SpecifiedTradeSettlementPaymentMeans>\
<ram:ApplicableTradeTax><ram:CalculatedAmount>{tax}</ram:CalculatedAmount><ram:TypeCode>VAT</ram:TypeCode><ram:BasisAmount>{net}</ram:BasisAmount><ram:CategoryCode>S</ram:CategoryCode><ram:DueDateTypeCode>{vat_due}</ram:DueDateTypeCode><ram:RateApplicablePercent>20</ram:RateApplicablePercent></ram:ApplicableTradeTax>\
{period}\
<ram:SpecifiedTradePaymentTerms><ram:Description>{paid}</ram:Description><ram:DueDateDateTime>{due}</ram:DueDateDateTime></ram:SpecifiedTradePaymentTerms>\
<ram:SpecifiedTradeSettlementHeaderMonetarySummation>\
<ram:LineTotalAmount>{net}</ram:LineTotalAmount><ram:TaxBasisTotalAmount>{net}</ram:TaxBasisTotalAmount>\
<ram:TaxTotalAmount currencyID=\"{cur}\">{tax}</ram:TaxTotalAmount><ram:GrandTotalAmount>{ttc}</ram:GrandTotalAmount>\
<ram:TotalPrepaidAmount>{ttc}</ram:TotalPrepaidAmount><ram:DuePayableAmount>0.00</ram:DuePayableAmount>\
</ram:SpecifiedTradeSettlementHeaderMonetarySummation>{preceding}</ram:ApplicableHeaderTradeSettlement>",
        tax = amount(tax),
        net = amount(net),
        ttc = amount(f.total_cents),
        period = period(&start, &end),
        paid = esc(&words.paid),
        // BR-FR-CO-09: an invoice already paid (S2) is due on the day it was paid; an avoir,
        // on the day its money went back.
        due = date_time(day(f.paid_at)),
        preceding = preceding_invoice(f),
        // BT-8 (UNTDID 2475): VAT on services falls due when paid (72), or at the invoice's date
        // (5) when the seller opted for debits.
        vat_due = if seller.vat_on_debits { 5 } else { 72 },
    );
    x.push_str("</rsm:SupplyChainTradeTransaction>\n</rsm:CrossIndustryInvoice>\n");
    x
}

fn seller_party(x: &mut String, s: &Seller) {
    let _ = write!(
        x,
        "<ram:SellerTradeParty><ram:Name>{name}</ram:Name><ram:Description>{legal}</ram:Description>\
<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{siren}</ram:ID></ram:SpecifiedLegalOrganization>\
<ram:PostalTradeAddress><ram:PostcodeCode>{pc}</ram:PostcodeCode><ram:LineOne>{line}</ram:LineOne><ram:CityName>{city}</ram:CityName><ram:CountryID>{country}</ram:CountryID></ram:PostalTradeAddress>\
<ram:URIUniversalCommunication><ram:URIID schemeID=\"0225\">{siren}</ram:URIID></ram:URIUniversalCommunication>\
<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{vat}</ram:ID></ram:SpecifiedTaxRegistration></ram:SellerTradeParty>",
        name = esc(&s.name),
        legal = esc(&s.legal_line()),
        siren = s.siren,
        pc = esc(&s.postal_code),
        line = esc(&s.address),
        city = esc(&s.city),
        country = esc(&s.country),
        vat = esc(&s.vat),
    );
}

fn buyer_party(x: &mut String, f: &Facture) {
    let b = &f.buyer;
    let _ = write!(
        x,
        "<ram:BuyerTradeParty><ram:Name>{}</ram:Name>",
        esc(&f.buyer_name)
    );
    if let Some(siren) = &f.buyer_siren {
        let _ = write!(
            x,
            "<ram:SpecifiedLegalOrganization><ram:ID schemeID=\"0002\">{}</ram:ID></ram:SpecifiedLegalOrganization>",
            esc(siren)
        );
    }
    x.push_str("<ram:PostalTradeAddress>");
    let optional = [
        ("PostcodeCode", &b.postal_code),
        ("LineOne", &b.line1),
        ("LineTwo", &b.line2),
        ("CityName", &b.city),
    ];
    for (tag, value) in optional {
        if let Some(v) = value.as_deref().filter(|v| !v.trim().is_empty()) {
            let _ = write!(x, "<ram:{tag}>{}</ram:{tag}>", esc(v));
        }
    }
    let country = b.country.as_deref().unwrap_or("FR");
    let _ = write!(
        x,
        "<ram:CountryID>{}</ram:CountryID></ram:PostalTradeAddress>",
        esc(country)
    );
    // BT-49: the address the Directory gave, else the SIREN (a company's default address).
    if let Some(address) = f.buyer_address.as_ref().or(f.buyer_siren.as_ref()) {
        let _ = write!(
            x,
            "<ram:URIUniversalCommunication><ram:URIID schemeID=\"0225\">{}</ram:URIID></ram:URIUniversalCommunication>",
            esc(address)
        );
    }
    if let Some(vat) = &b.vat {
        let _ = write!(
            x,
            "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">{}</ram:ID></ram:SpecifiedTaxRegistration>",
            esc(vat)
        );
    }
    x.push_str("</ram:BuyerTradeParty>");
}

fn note(content: &str, subject: &str) -> String {
    format!(
        "<ram:IncludedNote><ram:Content>{}</ram:Content><ram:SubjectCode>{subject}</ram:SubjectCode></ram:IncludedNote>",
        esc(content)
    )
}

fn period(start: &str, end: &str) -> String {
    format!(
        "<ram:BillingSpecifiedPeriod><ram:StartDateTime>{}</ram:StartDateTime><ram:EndDateTime>{}</ram:EndDateTime></ram:BillingSpecifiedPeriod>",
        date_time(start.to_owned()),
        date_time(end.to_owned())
    )
}

/// « 20261202 », CII's format 102, in Europe/Paris.
fn day(ts: i64) -> String {
    paris_date(ts).format("%Y%m%d").to_string()
}

fn date_time(yyyymmdd: String) -> String {
    format!("<udt:DateTimeString format=\"102\">{yyyymmdd}</udt:DateTimeString>")
}

/// Cents as « 40.83 »: two decimals, as EN 16931 asks.
pub fn amount(cents: i64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

pub fn esc(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

#[cfg(test)]
#[path = "cii_tests.rs"]
pub(crate) mod tests;

//! What the platform checks in a flow before it accepts it, with XP Z12-013's reason codes: the
//! file is not empty, its SHA-256 is the one announced, its syntax is the one announced, and a
//! Factur-X is a PDF that embeds a UN/CEFACT CII invoice whose number, type, date and parties
//! can be read; a CDAR is a `CrossDomainAcknowledgementAndResponse` naming its invoice.

use std::io::Read;

use quick_xml::Reader;
use quick_xml::events::Event;

/// The largest file accepted (the platforms we know of accept a few tens of megabytes).
pub const MAX_FILE: usize = 20 * 1024 * 1024;

/// The invoice a Factur-X carries, as the platform reads it from the embedded CII.
#[derive(Debug, Clone)]
pub struct Invoice {
    /// BT-1.
    pub number: String,
    /// BT-3: 380 an invoice, 381 a credit note.
    pub type_code: String,
    /// BT-2, `YYYYMMDD`.
    pub issue_date: String,
    pub seller_siren: String,
    pub buyer_siren: Option<String>,
}

/// A lifecycle message sent by the seller (a 212 « Encaissée », say).
#[derive(Debug, Clone)]
pub struct StatusMessage {
    pub invoice_number: String,
    pub code: String,
}

/// A refusal, with the standard's reason code and a message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Refusal {
    pub code: &'static str,
    pub message: String,
}

fn refuse(code: &'static str, message: impl Into<String>) -> Refusal {
    Refusal {
        code,
        message: message.into(),
    }
}

/// The checks common to every flow.
pub fn file(bytes: &[u8], announced_sha256: Option<&str>) -> Result<String, Refusal> {
    if bytes.is_empty() {
        return Err(refuse("EmptyFlow", "The file is empty"));
    }
    if bytes.len() > MAX_FILE {
        return Err(refuse("FileSizeExceeded", "The file is larger than 20 MB"));
    }
    use sha2::Digest;
    let actual = hex::encode(sha2::Sha256::digest(bytes));
    match announced_sha256 {
        Some(sha) if sha != actual => Err(refuse(
            "ChecksumMismatch",
            format!("sha256 {sha} announced, {actual} computed"),
        )),
        _ => Ok(actual),
    }
}

/// A Factur-X: a PDF whose embedded `factur-x.xml` is a CII invoice.
pub fn factur_x(pdf: &[u8]) -> Result<Invoice, Refusal> {
    if !pdf.starts_with(b"%PDF-") {
        return Err(refuse(
            "FlowTypeError",
            "A Factur-X flow must be a PDF file",
        ));
    }
    let xml = embedded_cii(pdf)
        .ok_or_else(|| refuse("InvalidSchema", "No CII invoice embedded in the PDF"))?;
    cii(&xml)
}

/// A CII invoice's identifying fields.
pub fn cii(xml: &str) -> Result<Invoice, Refusal> {
    let fields = fields(xml).map_err(|e| refuse("InvalidSchema", e))?;
    let get = |path: &str| {
        fields
            .iter()
            .find(|(p, _)| p == path)
            .map(|(_, v)| v.trim().to_owned())
    };
    let root = "CrossIndustryInvoice/";
    let party = |who: &str, what: &str| {
        get(&format!(
            "{root}SupplyChainTradeTransaction/ApplicableHeaderTradeAgreement/{who}/{what}"
        ))
    };
    let missing = |what: &str| refuse("InvalidSchema", format!("{what} missing"));
    Ok(Invoice {
        number: get(&format!("{root}ExchangedDocument/ID")).ok_or_else(|| missing("BT-1"))?,
        type_code: get(&format!("{root}ExchangedDocument/TypeCode"))
            .ok_or_else(|| missing("BT-3"))?,
        issue_date: get(&format!(
            "{root}ExchangedDocument/IssueDateTime/DateTimeString"
        ))
        .ok_or_else(|| missing("BT-2"))?,
        seller_siren: party("SellerTradeParty", "SpecifiedLegalOrganization/ID")
            .ok_or_else(|| missing("BT-30"))?,
        buyer_siren: party("BuyerTradeParty", "SpecifiedLegalOrganization/ID"),
    })
}

/// A CDAR lifecycle message: the invoice it names and its status code.
pub fn cdar(xml: &[u8]) -> Result<StatusMessage, Refusal> {
    let text = std::str::from_utf8(xml).map_err(|_| refuse("InvalidSchema", "Not UTF-8"))?;
    let fields = fields(text).map_err(|e| refuse("InvalidSchema", e))?;
    let doc = "CrossDomainAcknowledgementAndResponse/AcknowledgementDocument/ReferenceReferencedDocument/";
    let get = |name: &str| {
        fields
            .iter()
            .find(|(p, _)| p == &format!("{doc}{name}"))
            .map(|(_, v)| v.trim().to_owned())
    };
    match (get("IssuerAssignedID"), get("ProcessConditionCode")) {
        (Some(invoice_number), Some(code)) => Ok(StatusMessage {
            invoice_number,
            code,
        }),
        _ => Err(refuse(
            "InvalidSchema",
            "Not a CDAR naming an invoice and a status",
        )),
    }
}

/// Every element's text, keyed by the path of local names from the root.
pub fn fields(xml: &str) -> Result<Vec<(String, String)>, String> {
    let mut reader = Reader::from_str(xml);
    let (mut path, mut out) = (Vec::<String>::new(), Vec::new());
    let mut text = String::new();
    loop {
        match reader.read_event().map_err(|e| format!("XML: {e}"))? {
            Event::Start(e) => {
                path.push(e.local_name().as_ref().to_owned());
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                _ => text.push_str(match r.as_ref() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                }),
            },
            Event::End(_) => {
                out.push((path.join("/"), std::mem::take(&mut text)));
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if out.is_empty() {
        return Err("no XML element".into());
    }
    Ok(out)
}

/// The CII embedded in a PDF: the first stream (deflated or not) holding a CII root element.
fn embedded_cii(pdf: &[u8]) -> Option<String> {
    let mut rest = pdf;
    while let Some(start) = find(rest, b"stream") {
        let after = &rest[start + 6..];
        let body_start = match after {
            [b'\r', b'\n', ..] => 2,
            [b'\n', ..] => 1,
            _ => {
                rest = after;
                continue;
            }
        };
        let body = &after[body_start..];
        let end = find(body, b"endstream")?;
        let raw = &body[..end];
        let mut inflated = Vec::new();
        let text = match flate2::read::ZlibDecoder::new(raw).read_to_end(&mut inflated) {
            Ok(_) => String::from_utf8(inflated).ok(),
            Err(_) => std::str::from_utf8(raw).ok().map(str::to_owned),
        };
        if let Some(text) = text.filter(|t| t.contains("CrossIndustryInvoice")) {
            return Some(text);
        }
        rest = &body[end + 9..];
    }
    None
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    const CII: &str = r#"<?xml version="1.0"?><rsm:CrossIndustryInvoice xmlns:rsm="r" xmlns:ram="a" xmlns:udt="u"><rsm:ExchangedDocument><ram:ID>FA-2026-000001</ram:ID><ram:TypeCode>380</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="102">20261207</udt:DateTimeString></ram:IssueDateTime></rsm:ExchangedDocument><rsm:SupplyChainTradeTransaction><ram:ApplicableHeaderTradeAgreement><ram:SellerTradeParty><ram:Name>S</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">552100554</ram:ID></ram:SpecifiedLegalOrganization></ram:SellerTradeParty><ram:BuyerTradeParty><ram:Name>Dupont &amp; fils</ram:Name><ram:SpecifiedLegalOrganization><ram:ID schemeID="0002">213000003</ram:ID></ram:SpecifiedLegalOrganization></ram:BuyerTradeParty></ram:ApplicableHeaderTradeAgreement></rsm:SupplyChainTradeTransaction></rsm:CrossIndustryInvoice>"#;

    #[test]
    fn a_cii_invoice_gives_its_number_date_and_parties() {
        let invoice = cii(CII).unwrap();
        assert_eq!(invoice.number, "FA-2026-000001");
        assert_eq!(invoice.type_code, "380");
        assert_eq!(invoice.issue_date, "20261207");
        assert_eq!(invoice.seller_siren, "552100554");
        assert_eq!(invoice.buyer_siren.as_deref(), Some("213000003"));
    }

    #[test]
    fn a_pdf_embedding_a_deflated_cii_is_read() {
        use std::io::Write;
        let mut z = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        z.write_all(CII.as_bytes()).unwrap();
        let mut pdf = b"%PDF-1.7\n1 0 obj<</Filter/FlateDecode>>stream\n".to_vec();
        pdf.extend(z.finish().unwrap());
        pdf.extend(b"\nendstream\nendobj\n%%EOF");
        assert_eq!(factur_x(&pdf).unwrap().number, "FA-2026-000001");
    }

    #[test]
    fn bad_files_get_the_standard_reason_codes() {
        assert_eq!(file(b"", None).unwrap_err().code, "EmptyFlow");
        assert_eq!(
            file(b"x", Some(&"0".repeat(64))).unwrap_err().code,
            "ChecksumMismatch"
        );
        assert_eq!(factur_x(b"<xml/>").unwrap_err().code, "FlowTypeError");
        assert_eq!(
            factur_x(b"%PDF-1.7 no stream").unwrap_err().code,
            "InvalidSchema"
        );
        assert_eq!(cdar(b"<a>").unwrap_err().code, "InvalidSchema");
    }
}

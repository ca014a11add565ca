//! CDAR lifecycle messages (UN/CEFACT CrossDomainAcknowledgementAndResponse D22B, as XP Z12-012
//! and the DGFiP's BR-FR-CDV rules profile it): the 212 « Encaissée » the relay sends for each
//! payment, and the statuses the platform sends back, read for their document, code and reason.
//! Checked in the tests by pyfrctc's CDAR XSD and its BR-FR-CDV Schematron, never by this code.

use quick_xml::Reader;
use quick_xml::events::Event;

/// A payment (or, negative, money given back) reported with status 212.
#[derive(Debug, Clone)]
pub struct Cashed<'a> {
    /// The facture the money pays (BT-1), its type (380) and date of issue (`YYYYMMDD`, BT-2).
    pub number: String,
    pub type_code: u16,
    pub issue_date: String,
    pub seller_siren: &'a str,
    pub seller_name: &'a str,
    pub buyer_siren: &'a str,
    pub buyer_name: &'a str,
    /// Cashed, tax included, in cents: negative for a refund.
    pub amount_cents: i64,
    pub currency: &'a str,
    /// The day the money was cashed (or given back), `YYYYMMDD`.
    pub cashed_on: String,
    /// When the message is written, `YYYYMMDDHHMMSS` (UTC).
    pub now: String,
    /// Distinguishes several 212 of one facture (a payment, then a refund).
    pub sequence: u32,
}

fn esc(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn amount(cents: i64) -> String {
    let sign = if cents < 0 { "-" } else { "" };
    format!("{sign}{}.{:02}", cents.abs() / 100, cents.abs() % 100)
}

/// The 212 « Encaissée » of `c`: one amount block (`MEN`) at the one VAT rate the relay bills
/// (20 %), with the day the money was cashed, since VAT on services falls due on that day (CGI
/// art. 269, 2, c) and one status may report several payments of one facture.
pub fn cashed(c: &Cashed<'_>) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<rsm:CrossDomainAcknowledgementAndResponse xmlns:qdt="urn:un:unece:uncefact:data:standard:QualifiedDataType:100" xmlns:udt="urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100" xmlns:ram="urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100" xmlns:rsm="urn:un:unece:uncefact:data:standard:CrossDomainAcknowledgementAndResponse:100">
<rsm:ExchangedDocumentContext><ram:BusinessProcessSpecifiedDocumentContextParameter><ram:ID>REGULATED</ram:ID></ram:BusinessProcessSpecifiedDocumentContextParameter><ram:GuidelineSpecifiedDocumentContextParameter><ram:ID>urn.cpro.gouv.fr:1p0:CDV:invoice</ram:ID></ram:GuidelineSpecifiedDocumentContextParameter></rsm:ExchangedDocumentContext>
<rsm:ExchangedDocument><ram:ID>{number}_212_{now}_{sequence}</ram:ID><ram:Name>{number}-212-Encaissee</ram:Name><ram:IssueDateTime><udt:DateTimeString format="204">{now}</udt:DateTimeString></ram:IssueDateTime><ram:SenderTradeParty><ram:RoleCode>SE</ram:RoleCode></ram:SenderTradeParty><ram:IssuerTradeParty><ram:GlobalID schemeID="0002">{seller}</ram:GlobalID><ram:Name>{seller_name}</ram:Name><ram:RoleCode>SE</ram:RoleCode></ram:IssuerTradeParty><ram:RecipientTradeParty><ram:GlobalID schemeID="0002">{buyer}</ram:GlobalID><ram:Name>{buyer_name}</ram:Name><ram:RoleCode>BY</ram:RoleCode><ram:URIUniversalCommunication><ram:URIID schemeID="0225">{buyer}</ram:URIID></ram:URIUniversalCommunication></ram:RecipientTradeParty><ram:RecipientTradeParty><ram:GlobalID schemeID="0238">9998</ram:GlobalID><ram:Name>PPF</ram:Name><ram:RoleCode>DFH</ram:RoleCode></ram:RecipientTradeParty></rsm:ExchangedDocument>
<rsm:AcknowledgementDocument><ram:MultipleReferencesIndicator><udt:Indicator>false</udt:Indicator></ram:MultipleReferencesIndicator><ram:TypeCode>23</ram:TypeCode><ram:IssueDateTime><udt:DateTimeString format="204">{now}</udt:DateTimeString></ram:IssueDateTime><ram:ReferenceReferencedDocument><ram:IssuerAssignedID>{number}</ram:IssuerAssignedID><ram:StatusCode>47</ram:StatusCode><ram:TypeCode>{type_code}</ram:TypeCode><ram:FormattedIssueDateTime><qdt:DateTimeString format="102">{issue_date}</qdt:DateTimeString></ram:FormattedIssueDateTime><ram:ProcessConditionCode>212</ram:ProcessConditionCode><ram:ProcessCondition>Encaissée</ram:ProcessCondition><ram:IssuerTradeParty><ram:GlobalID schemeID="0002">{seller}</ram:GlobalID></ram:IssuerTradeParty><ram:SpecifiedDocumentStatus><ram:SequenceNumeric>{sequence}</ram:SequenceNumeric><ram:SpecifiedDocumentCharacteristic><ram:TypeCode>MEN</ram:TypeCode><ram:ValueChangedIndicator><udt:IndicatorString>false</udt:IndicatorString></ram:ValueChangedIndicator><ram:ValueAmount currencyID="{currency}">{amount}</ram:ValueAmount><ram:ValueDateTime><udt:DateTimeString format="102">{cashed_on}</udt:DateTimeString></ram:ValueDateTime><ram:ValuePercent>20.00</ram:ValuePercent></ram:SpecifiedDocumentCharacteristic></ram:SpecifiedDocumentStatus></ram:ReferenceReferencedDocument></rsm:AcknowledgementDocument>
</rsm:CrossDomainAcknowledgementAndResponse>
"#,
        number = esc(&c.number),
        now = c.now,
        sequence = c.sequence,
        seller = esc(c.seller_siren),
        seller_name = esc(c.seller_name),
        buyer = esc(c.buyer_siren),
        buyer_name = esc(c.buyer_name),
        type_code = c.type_code,
        issue_date = c.issue_date,
        currency = esc(&c.currency.to_uppercase()),
        amount = amount(c.amount_cents),
        cashed_on = c.cashed_on,
    )
}

/// A status the platform sent back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    /// The document it is about (BT-1).
    pub number: String,
    pub code: u16,
    pub reason_code: Option<String>,
    pub reason: Option<String>,
}

/// Reads a CDAR's referenced document, status code and reason (the first referenced document).
pub fn received(xml: &[u8]) -> Option<Received> {
    let text = std::str::from_utf8(xml).ok()?;
    let mut reader = Reader::from_str(text);
    let mut path: Vec<String> = Vec::new();
    let (mut number, mut code, mut reason_code, mut reason) = (None, None, None, None);
    let mut value = String::new();
    loop {
        match reader.read_event().ok()? {
            Event::Start(e) => {
                path.push(e.local_name().as_ref().to_owned());
                value.clear();
            }
            Event::Text(t) => value.push_str(&t.xml10_content()),
            Event::GeneralRef(r) => value.push_str(match r.as_ref() {
                "amp" => "&",
                "lt" => "<",
                "gt" => ">",
                _ => "",
            }),
            Event::End(_) => {
                let n = path.len();
                let parent = n.checked_sub(2).map(|i| path[i].as_str());
                let name = path.last().map(String::as_str);
                let text = value.trim().to_owned();
                match (parent, name) {
                    (Some("ReferenceReferencedDocument"), Some("IssuerAssignedID"))
                        if number.is_none() =>
                    {
                        number = Some(text)
                    }
                    (Some("ReferenceReferencedDocument"), Some("ProcessConditionCode"))
                        if code.is_none() =>
                    {
                        code = text.parse().ok()
                    }
                    (Some("SpecifiedDocumentStatus"), Some("ReasonCode"))
                        if reason_code.is_none() =>
                    {
                        reason_code = Some(text)
                    }
                    (Some("SpecifiedDocumentStatus"), Some("Reason")) if reason.is_none() => {
                        reason = Some(text)
                    }
                    _ => {}
                }
                value.clear();
                path.pop();
            }
            Event::Eof => break,
            _ => {}
        }
    }
    Some(Received {
        number: number?,
        code: code?,
        reason_code,
        reason,
    })
}

/// The French name of a lifecycle status (XP Z12-012).
pub fn label(code: u16) -> &'static str {
    match code {
        200 => "Déposée",
        201 => "Émise",
        202 => "Reçue",
        203 => "Mise à disposition",
        204 => "Prise en charge",
        205 => "Approuvée",
        206 => "Approuvée partiellement",
        207 => "En litige",
        208 => "Suspendue",
        210 => "Refusée",
        211 => "Paiement transmis",
        212 => "Encaissée",
        213 => "Rejetée",
        _ => "Statut inconnu",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    pub fn sample(amount_cents: i64) -> Cashed<'static> {
        Cashed {
            number: "FA-2026-000001".into(),
            type_code: 380,
            issue_date: "20261207".into(),
            seller_siren: "552100554",
            seller_name: "Logiciels BTP & Cie",
            buyer_siren: "123456782",
            buyer_name: "Entreprise Démo BTP",
            amount_cents,
            currency: "eur",
            cashed_on: "20261207".into(),
            now: "20261207101500".into(),
            sequence: 1,
        }
    }

    #[test]
    fn a_212_names_the_facture_the_amount_cashed_and_the_rate() {
        let xml = cashed(&sample(4900));
        assert!(xml.contains("<ram:IssuerAssignedID>FA-2026-000001</ram:IssuerAssignedID>"));
        assert!(xml.contains(r#"<ram:ValueAmount currencyID="EUR">49.00</ram:ValueAmount>"#));
        assert!(xml.contains("<ram:ValuePercent>20.00</ram:ValuePercent>"));
        assert!(xml.contains("Logiciels BTP &amp; Cie"));
        assert!(cashed(&sample(-1250)).contains(">-12.50</ram:ValueAmount>"));
        // For a look by hand with tests/validation/cdar.py.
        let dir = std::env::temp_dir().join("cdar-sample");
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join("212.xml"), &xml).unwrap();
        std::fs::write(dir.join("212-refund.xml"), cashed(&sample(-1250))).unwrap();
    }

    #[test]
    fn a_received_status_gives_its_document_code_and_reason() {
        let xml = br#"<r:A xmlns:r="x" xmlns:ram="y"><r:AcknowledgementDocument><ram:ReferenceReferencedDocument><ram:IssuerAssignedID>FA-2026-000003</ram:IssuerAssignedID><ram:ProcessConditionCode>213</ram:ProcessConditionCode><ram:IssuerTradeParty><ram:GlobalID>1</ram:GlobalID></ram:IssuerTradeParty><ram:SpecifiedDocumentStatus><ram:ReasonCode>REJ_SEMAN</ram:ReasonCode><ram:Reason>Rejet &amp; co</ram:Reason><ram:SequenceNumeric>1</ram:SequenceNumeric></ram:SpecifiedDocumentStatus></ram:ReferenceReferencedDocument></r:AcknowledgementDocument></r:A>"#;
        let r = received(xml).unwrap();
        assert_eq!(
            r,
            Received {
                number: "FA-2026-000003".into(),
                code: 213,
                reason_code: Some("REJ_SEMAN".into()),
                reason: Some("Rejet & co".into()),
            }
        );
        assert_eq!(received(b"<a/>"), None);
        assert_eq!(received(b"\xff"), None);
    }
}

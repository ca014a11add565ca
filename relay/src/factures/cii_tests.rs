//! The CII XML of a sample facture and of its avoir, checked part by part (the independent
//! validators run over real documents in `relay/tests/facture_documents.rs`).

use super::*;
use crate::domain::BuyerDetails;
use crate::domain::ClientId;

pub(crate) fn sample() -> (Facture, Seller) {
    let seller = Seller::from_lookup(&|_: &str| None, true).unwrap();
    let f = Facture {
        kind: DocumentKind::Facture,
        year: 2026,
        seq: 7,
        client: ClientId::parse("39").unwrap(),
        source: "cs_test_a1b2c3d4e5f6g7h8i9j0k1l2m3n4o5p6q7r8s9t0u1v2w3x4y5z6A7B8C9D0E1F2".into(),
        plan: crate::domain::PlanId::parse("mensuel").unwrap(),
        period: (1_796_169_600, 1_798_848_000), // 2026-12-02 → 2027-01-02 (UTC midnight)
        total_cents: 4900,
        currency: "eur".into(),
        paid_at: 1_796_169_600,
        hosted_url: None,
        buyer_name: "Maçonnerie Dupont & Fils".into(),
        buyer_siren: Some("552100554".into()),
        buyer_address: None,
        buyer: BuyerDetails {
            line1: Some("3 rue des Bâtisseurs".into()),
            postal_code: Some("69002".into()),
            city: Some("Lyon".into()),
            country: Some("FR".into()),
            ..Default::default()
        },
        issued_at: 1_796_169_600,
    };
    (f, seller)
}

/// The sample facture's avoir: 10 € of it refunded on 5 December 2026.
pub(crate) fn sample_avoir() -> (Facture, Seller) {
    let (f, seller) = sample();
    let avoir = Facture {
        kind: DocumentKind::Avoir {
            corrects: f.number(),
            corrects_issued_at: f.issued_at,
            reason: "Remboursement à la demande du client".into(),
        },
        seq: 3,
        source: "re_3MtwBwLkdIwHu7ix28a3tqPa".into(),
        total_cents: 1000,
        paid_at: 1_796_428_800,
        issued_at: 1_796_428_800,
        ..f
    };
    (avoir, seller)
}

#[test]
fn an_avoir_is_a_381_that_names_the_facture_it_corrects_and_why() {
    let (a, seller) = sample_avoir();
    let x = xml(&a, &seller, "Mensuel");
    for part in [
        "<ram:ID>AV-2026-000003</ram:ID><ram:TypeCode>381</ram:TypeCode>",
        "<ram:IssuerAssignedID>FA-2026-000007</ram:IssuerAssignedID>",
        "<qdt:DateTimeString format=\"102\">20261202</qdt:DateTimeString>",
        "<ram:SubjectCode>ACD</ram:SubjectCode>",
        "Avoir sur la facture N° FA-2026-000007 du 02/12/2026.",
        "<ram:GrandTotalAmount>10.00</ram:GrandTotalAmount>",
        "<ram:LineTotalAmount>8.33</ram:LineTotalAmount>",
        "<ram:DueDateDateTime><udt:DateTimeString format=\"102\">20261205</udt:DateTimeString>",
    ] {
        assert!(x.contains(part), "{part} missing in\n{x}");
    }
}

#[test]
fn the_xml_carries_the_totals_the_notes_and_both_sirens() {
    let (f, seller) = sample();
    let x = xml(&f, &seller, "Mensuel");
    for part in [
        "<ram:ID>FA-2026-000007</ram:ID>",
        "<ram:ID>S2</ram:ID>",
        "<ram:LineTotalAmount>40.83</ram:LineTotalAmount>",
        "<ram:TaxTotalAmount currencyID=\"EUR\">8.17</ram:TaxTotalAmount>",
        "<ram:GrandTotalAmount>49.00</ram:GrandTotalAmount>",
        "<ram:DuePayableAmount>0.00</ram:DuePayableAmount>",
        "<ram:SubjectCode>PMT</ram:SubjectCode>",
        "<ram:SubjectCode>PMD</ram:SubjectCode>",
        "<ram:SubjectCode>AAB</ram:SubjectCode>",
        "<ram:URIID schemeID=\"0225\">732829320</ram:URIID>",
        "<ram:URIID schemeID=\"0225\">552100554</ram:URIID>",
        "<ram:StartDateTime><udt:DateTimeString format=\"102\">20261202</udt:DateTimeString>",
        "<ram:EndDateTime><udt:DateTimeString format=\"102\">20270102</udt:DateTimeString>",
        "Maçonnerie Dupont &amp; Fils",
    ] {
        assert!(x.contains(part), "{part} missing in\n{x}");
    }
}

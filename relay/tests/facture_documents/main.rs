//! The factures as the company and its accountant get them: listed by `GET /api/invoices`,
//! downloaded by signed link or bearer token (the same bytes every time, never another
//! company's), and accepted by validators independent of the relay (the `factur-x` library's
//! XSD check, the CEN's EN 16931 Schematron, Factur-X's and the French reform's), all run once
//! over every facture this test issues, by `tests/validation/validate.py` (`failures`: the
//! validators reject a facture that breaks a rule; the export goes on past a facture it cannot
//! write).

#[path = "../common/mod.rs"]
mod common;
mod failures;
mod support;

use std::process::Command;

use common::billing::months_after;
use common::{Backend, start};
use relay::domain::ClientId;
use relay::siren::Siren;
use support::{download, export, fresh_dir, invoices, validate};

const HOUR: i64 = 3600;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_facture_downloads_as_a_factur_x_that_independent_validators_accept() {
    let w = start(Backend::Sqlite).await;
    let siren = Siren::parse("552 100 554").unwrap();
    w.state.db.set_siren(&w.client, &siren).await.unwrap();
    // The one-off payments give their billing address and VAT number on Stripe's page: the
    // company's own VAT number, then one whose key is wrong, with an address in several
    // scripts (it once made the facture unrenderable).
    let mut paid = Vec::new();
    for (plan, vat, line1) in [
        ("mensuel", "FR96552100554", "3 rue des Bâtisseurs"),
        (
            "annuel",
            "FR45552100554",
            "工地 3 rue Ωμέγα Жилстрой شركة 🏗 Cafe\u{301}",
        ),
    ] {
        let (id, url) = w.checkout(plan).await;
        paid.push(id);
        let fields = [
            ("method", "card"),
            ("card_number", common::billing::CARD_PAYS),
            ("expiry", "12/34"),
            ("cvc", "123"),
            ("line1", line1),
            ("postal_code", "69002"),
            ("city", "Lyon"),
            ("country", "FR"),
            ("tax_id", vat),
        ];
        assert_eq!(w.pay(&url, &fields).await.0, 303);
        w.sandbox.idle().await;
    }
    let (clock, _) = w.new_clock().await;
    let prepaid = w.expiry().await.unwrap();
    w.subscribe("mensuel", &clock).await;
    for month in 0..2 {
        w.advance(&clock, months_after(prepaid, month) + 2 * HOUR)
            .await;
    }
    // The monthly one-off refunded whole, then 10 € of the annual one back, then the latest
    // renewal charged back by the bank and lost: three avoirs.
    for (session, amount) in [(&paid[0], None), (&paid[1], Some(1000))] {
        let intent = w.sandbox.session(session).unwrap().payment_intent.unwrap();
        w.refund_at_stripe(&intent, amount).await;
    }
    let renewal: String =
        sqlx::query_scalar("SELECT payment_intent FROM invoices ORDER BY period_end DESC LIMIT 1")
            .fetch_one(&w.state.db.pool)
            .await
            .unwrap();
    let at = w.state.clock.now();
    let lost = serde_json::json!({
        "id": "evt_dispute_lost", "object": "event", "type": "charge.dispute.closed",
        "livemode": false, "created": at,
        "data": {"object": {"id": "du_lost_renewal", "object": "dispute", "amount": 4900,
            "currency": "eur", "payment_intent": renewal, "status": "lost",
            "reason": "fraudulent", "created": at}}
    })
    .to_string();
    assert_eq!(w.send_webhook(&w.base, &lost).await.unwrap().status(), 200);
    let list = invoices(&w, &w.token).await;
    let totals: Vec<(i64, i64, i64)> = list
        .iter()
        .map(|i| {
            let cents = |k: &str| i[k].as_i64().unwrap();
            (
                cents("amount_excl_tax_cents"),
                cents("tax_cents"),
                cents("amount_cents"),
            )
        })
        .collect();
    assert_eq!(
        totals,
        [
            (4083, 817, 4900),
            (833, 167, 1000),
            (4083, 817, 4900),
            (4083, 817, 4900),
            (4083, 817, 4900),
            (41583, 8317, 49900),
            (4083, 817, 4900)
        ],
        "newest first: three avoirs, two renewals, the annual one-off, the monthly one-off"
    );
    let kinds: Vec<(&str, Option<&str>)> = list
        .iter()
        .map(|i| (i["kind"].as_str().unwrap(), i["corrects"].as_str()))
        .collect();
    let number = |i: usize| list[i]["number"].as_str().unwrap();
    assert_eq!(
        kinds,
        [
            ("avoir", Some(number(3))),
            ("avoir", Some(number(5))),
            ("avoir", Some(number(6))),
            ("facture", None),
            ("facture", None),
            ("facture", None),
            ("facture", None)
        ]
    );
    assert!(number(0).starts_with("AV-") && number(0).ends_with("-000003"));
    assert!(
        list.iter()
            .all(|i| i["status"] == "paid" && i["currency"] == "eur")
    );
    assert!(
        list[3]["hosted_url"].is_string(),
        "a renewal links Stripe's receipt"
    );
    assert!(
        list[6]["hosted_url"].is_null() && list[0]["hosted_url"].is_null(),
        "a one-off checkout has none, nor an avoir"
    );

    let other = ClientId::parse("40").unwrap();
    let other_token = w
        .state
        .db
        .add_client(&other, "Charpente Martin")
        .await
        .unwrap();
    assert!(invoices(&w, &other_token).await.is_empty());

    let dir = fresh_dir("factures");
    let mut xmls = Vec::new();
    for i in &list {
        let number = i["number"].as_str().unwrap();
        let (code, pdf) = download(&w, i["pdf_url"].as_str().unwrap(), None).await;
        assert_eq!(code, 200, "the signed link opens {number} without a token");
        assert!(pdf.starts_with(b"%PDF-"));
        let by_token = format!("{}/api/invoices/{number}/pdf", w.base);
        assert_eq!(
            download(&w, &by_token, Some(&w.token)).await,
            (200, pdf.clone()),
            "same bytes"
        );
        assert_eq!(
            download(&w, &by_token, Some(&other_token)).await.0,
            404,
            "not another company's"
        );
        assert_eq!(download(&w, &by_token, None).await.0, 401);
        let (code, xml) = download(&w, i["xml_url"].as_str().unwrap(), None).await;
        assert_eq!(code, 200);
        let xml = String::from_utf8(xml).unwrap();
        assert!(xml.contains(&format!("<ram:ID>{number}</ram:ID>")));
        xmls.push(xml);
        std::fs::write(dir.join(format!("{number}.pdf")), &pdf).unwrap();
    }
    // Newest first: two avoirs (each with its facture's buyer), two renewals (the address the
    // subscription checkout gave), the annual one-off (its VAT number left out), the monthly
    // one-off (its VAT number kept).
    let buyer_vat = "<ram:SpecifiedTaxRegistration><ram:ID schemeID=\"VA\">FR96552100554</ram:ID>";
    for i in [2, 6] {
        assert!(
            xmls[i].contains("<ram:LineOne>3 rue des Bâtisseurs</ram:LineOne>")
                && xmls[i].contains(buyer_vat)
        );
    }
    assert!(
        xmls[5].contains("<ram:CityName>Lyon</ram:CityName>") && !xmls[5].contains("FR45552100554")
    );
    assert!(
        xmls[3].contains("<ram:LineOne>1 rue de la Paix</ram:LineOne>")
            && xmls[0].contains("<ram:LineOne>1 rue de la Paix</ram:LineOne>"),
        "{}",
        xmls[3]
    );
    assert!(xmls[1].contains(&format!(
        "<ram:InvoiceReferencedDocument><ram:IssuerAssignedID>{}</ram:IssuerAssignedID>",
        number(5)
    )));
    assert!(
        xmls[0].contains("Contestation perdue auprès de la banque (paiement déclaré frauduleux)")
    );
    let metrics = w.metrics().await;
    assert!(
        metrics.contains("relay_facture_buyer_vat_left_out_total 2"),
        "the annual one-off's facture and its avoir: {metrics}"
    );
    assert!(
        metrics.contains("relay_factures_rendered_total 7"),
        "{metrics}"
    );
    let pdf_url = list[0]["pdf_url"].as_str().unwrap();
    let other_number = list[1]["number"].as_str().unwrap();
    let moved = pdf_url.replacen(list[0]["number"].as_str().unwrap(), other_number, 1);
    assert_eq!(
        download(&w, &moved, None).await.0,
        401,
        "a link opens its own facture only"
    );

    let (ok, report) = validate(&dir);
    println!("{report}");
    assert!(ok, "{report}");
    assert!(report.contains("7 factures checked"), "{report}");
    let texts: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|f| f.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "pdf"))
        .map(|p| {
            let out = Command::new("pdftotext").arg(&p).arg("-").output().unwrap();
            String::from_utf8_lossy(&out.stdout).into_owned()
        })
        .collect();
    assert!(
        texts
            .iter()
            .any(|t| t.contains("工地 3 rue Ωμέγα Жилстрой")),
        "the address is printed as typed: {texts:?}"
    );

    // The accountant's export, year by year (the renewals run on the test clock, in later
    // years): the same files, and an index a French spreadsheet reads.
    let to = fresh_dir("export");
    let mut years: Vec<&str> = list
        .iter()
        .map(|i| &i["number"].as_str().unwrap()[3..7])
        .collect();
    years.dedup();
    let mut exported = 0;
    for year in &years {
        let out = export(&w, year, &to);
        let said = String::from_utf8_lossy(&out.stdout);
        assert!(
            out.status.success(),
            "{said}{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let count: usize = said.split(' ').next().unwrap().parse().unwrap();
        assert!(said.contains(&format!("facture(s) de {year}")), "{said}");
        exported += count;
    }
    assert_eq!(exported, 7);
    for i in &list {
        let number = i["number"].as_str().unwrap();
        let exported = std::fs::read(to.join(format!("{number}.pdf"))).unwrap();
        assert_eq!(
            exported,
            std::fs::read(dir.join(format!("{number}.pdf"))).unwrap(),
            "{number}"
        );
    }
    let first_year = years.last().unwrap();
    let csv = std::fs::read_to_string(to.join(format!("factures-{first_year}.csv"))).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert!(
        rows[0].starts_with("\u{feff}numéro;date d'émission;"),
        "{csv}"
    );
    assert!(
        rows[2].contains(";Maçonnerie Dupont;552100554;")
            && rows[2].contains(";415,83;83,17;499,00;EUR;"),
        "{csv}"
    );
    let avoir_year = &number(0)[3..7];
    let csv = std::fs::read_to_string(to.join(format!("factures-{avoir_year}.csv"))).unwrap();
    assert!(
        csv.lines().any(|r| r.starts_with(number(1))
            && r.contains(";-8,33;-1,67;-10,00;EUR;")
            && r.contains(&format!(";avoir;{};", number(5)))),
        "an avoir's amounts are negative and it names its facture: {csv}"
    );
}

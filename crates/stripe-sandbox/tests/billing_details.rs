//! What Checkout collects about the buyer, as Stripe does: the billing address when
//! `billing_address_collection=required`, a VAT number with `tax_id_collection[enabled]=true`,
//! both in the session's `customer_details` (typed by async-stripe), copied onto the customer with
//! `customer_update[…]=auto`, and onto its invoices; and the parameter rules Stripe enforces.

mod common;

use common::{CREATE, KEY, SECRET, World, start};
use reqwest::StatusCode;

const COLLECT: &str = "&billing_address_collection=required&tax_id_collection[enabled]=true";

fn card_with(fields: &[(&'static str, &'static str)]) -> Vec<(&'static str, &'static str)> {
    let mut form = World::card("4242 4242 4242 4242").to_vec();
    form.extend_from_slice(fields);
    form
}

#[tokio::test]
async fn a_required_address_is_asked_for_and_lands_in_customer_details_with_the_vat_number() {
    let w = start(&[SECRET]).await;
    let (status, s) = w
        .post_form(
            "/v1/checkout/sessions",
            Some(KEY),
            &format!("{CREATE}{COLLECT}"),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{s}");
    assert_eq!(s["billing_address_collection"], "required");
    assert_eq!(s["tax_id_collection"]["enabled"], true);
    let id = s["id"].as_str().unwrap();
    let page = w.http.get(s["url"].as_str().unwrap()).send().await.unwrap();
    let page = page.text().await.unwrap();
    assert!(
        page.contains("Adresse de facturation") && page.contains("value=\"75002\""),
        "prefilled test address"
    );

    let (status, _, body) = w
        .pay(
            id,
            &card_with(&[
                ("line1", ""),
                ("postal_code", "69002"),
                ("city", "Lyon"),
                ("country", "FR"),
            ]),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("Adresse de facturation incomplète"), "{body}");
    let (_, _, body) = w
        .pay(
            id,
            &card_with(&[
                ("line1", "3 rue"),
                ("postal_code", "69002"),
                ("city", "Lyon"),
                ("country", "FR"),
                ("tax_id", "FR12"),
            ]),
        )
        .await;
    assert!(body.contains("Numéro de TVA non reconnu"), "{body}");
    // A tax ID typed with a non-ASCII character first once panicked the pay handler.
    for typed in ["€1234567890", "É€", "€"] {
        let (status, _, body) = w
            .pay(
                id,
                &card_with(&[
                    ("line1", "3 rue"),
                    ("postal_code", "69002"),
                    ("city", "Lyon"),
                    ("country", "FR"),
                    ("tax_id", typed),
                ]),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{typed}");
        assert!(
            body.contains("Numéro de TVA non reconnu"),
            "{typed}: {body}"
        );
    }
    assert_eq!(
        w.get(&format!("/v1/checkout/sessions/{id}")).await["status"],
        "open"
    );

    let fields = [
        ("name", "Maçonnerie Dupont"),
        ("line1", "3 rue des Bâtisseurs"),
        ("postal_code", "69002"),
        ("city", "Lyon"),
        ("country", "fr"),
        // Stripe checks a VAT number's format on the page, not its key (verified later).
        ("tax_id", "FR 45 552100554"),
    ];
    let (status, _, _) = w.pay(id, &card_with(&fields)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let done = w.get(&format!("/v1/checkout/sessions/{id}")).await;
    let d = &done["customer_details"];
    assert_eq!(d["address"]["line1"], "3 rue des Bâtisseurs");
    assert_eq!(d["address"]["country"], "FR");
    assert_eq!(d["tax_ids"][0]["type"], "eu_vat");
    assert_eq!(d["tax_ids"][0]["value"], "FR45552100554");
    let typed: stripe_shared::CheckoutSession =
        miniserde::json::from_str(&done.to_string()).unwrap();
    let address = typed.customer_details.unwrap().address.unwrap();
    assert_eq!(address.postal_code.as_deref(), Some("69002"));
    w.sandbox.idle().await;
    let events = w.receiver.events();
    let completed = events
        .iter()
        .find(|e| e["type"] == "checkout.session.completed")
        .unwrap();
    assert_eq!(
        completed["data"]["object"]["customer_details"]["address"]["city"],
        "Lyon"
    );
}

#[tokio::test]
async fn customer_update_copies_the_address_onto_the_customer_and_its_invoices() {
    let w = start(&[SECRET]).await;
    let (_, customer) = w.post_form("/v1/customers", Some(KEY), "name=Dupont").await;
    let cus = customer["id"].as_str().unwrap();
    let body = format!(
        "mode=subscription&customer={cus}&line_items[0][quantity]=1&line_items[0][price_data][currency]=eur\
&line_items[0][price_data][unit_amount]=4900&line_items[0][price_data][product_data][name]=Mensuel\
&line_items[0][price_data][recurring][interval]=month&success_url=http%3A%2F%2Fapp.test%2Fok{COLLECT}\
&customer_update[name]=auto&customer_update[address]=auto"
    );
    let (status, s) = w.post_form("/v1/checkout/sessions", Some(KEY), &body).await;
    assert_eq!(status, StatusCode::OK, "{s}");
    let fields = [
        ("name", "Maçonnerie Dupont SARL"),
        ("line1", "3 rue"),
        ("postal_code", "69002"),
        ("city", "Lyon"),
        ("country", "FR"),
        ("tax_id", "FR96552100554"),
    ];
    let (status, _, _) = w.pay(s["id"].as_str().unwrap(), &card_with(&fields)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let customer = w.get(&format!("/v1/customers/{cus}")).await;
    assert_eq!(customer["name"], "Maçonnerie Dupont SARL");
    assert_eq!(customer["address"]["postal_code"], "69002");
    let session = w
        .get(&format!(
            "/v1/checkout/sessions/{}",
            s["id"].as_str().unwrap()
        ))
        .await;
    let sub = w
        .get(&format!(
            "/v1/subscriptions/{}",
            session["subscription"].as_str().unwrap()
        ))
        .await;
    let first = &w
        .get(&format!(
            "/v1/invoices/{}",
            sub["latest_invoice"].as_str().unwrap()
        ))
        .await;
    assert_eq!(first["customer_address"]["city"], "Lyon", "{first}");
    assert_eq!(first["customer_name"], "Maçonnerie Dupont SARL");
    assert_eq!(first["customer_tax_ids"][0]["value"], "FR96552100554");
}

#[tokio::test]
async fn the_collection_parameters_follow_stripes_rules() {
    let w = start(&[SECRET]).await;
    for (extra, param) in [
        ("&customer_update[name]=auto", "customer_update"),
        (
            "&billing_address_collection=always",
            "billing_address_collection",
        ),
        (
            "&tax_id_collection[enabled]=yes",
            "tax_id_collection[enabled]",
        ),
    ] {
        let (status, e) = w
            .post_form(
                "/v1/checkout/sessions",
                Some(KEY),
                &format!("{CREATE}{extra}"),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{extra}: {e}");
        assert_eq!(e["error"]["param"], param);
    }
    let (_, customer) = w.post_form("/v1/customers", Some(KEY), "name=Dupont").await;
    let with_customer = format!(
        "{CREATE}&customer={}&tax_id_collection[enabled]=true",
        customer["id"].as_str().unwrap()
    );
    let (status, e) = w
        .post_form("/v1/checkout/sessions", Some(KEY), &with_customer)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{e}");
    assert!(
        e["error"]["message"]
            .as_str()
            .unwrap()
            .contains("customer_update[name]")
    );
}

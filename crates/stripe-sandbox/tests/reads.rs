//! Reading objects back as a Stripe user does: the lists Stripe serves (invoices, sessions, test
//! clocks, portal configurations) with their filters and cursors, a session's line items, the
//! PaymentIntent of a paid session, a customer update, and `expand[]` on any expandable field,
//! dotted and through lists, with Stripe's 400 for a path that cannot be expanded.

mod common;

use common::{DAY, KEY, SECRET, T0, World, start};
use reqwest::StatusCode;
use serde_json::Value;

fn ids(list: &Value) -> Vec<&str> {
    list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["id"].as_str().unwrap())
        .collect()
}

#[tokio::test]
async fn invoices_list_by_customer_subscription_and_status_newest_first_page_by_page() {
    let w = start(&[SECRET]).await;
    let (clock, customer, sub) = w.subscribed("4242424242424242").await;
    w.advance(&clock, T0 + 32 * DAY).await;
    w.advance(&clock, T0 + 63 * DAY).await;
    let all = w.get(&format!("/v1/invoices?customer={customer}")).await;
    assert_eq!(all["url"], "/v1/invoices");
    let all = ids(&all);
    assert_eq!(all.len(), 3, "the first invoice and two renewals");
    let first = w
        .get(&format!(
            "/v1/invoices?subscription={sub}&status=paid&limit=2"
        ))
        .await;
    assert_eq!(
        (ids(&first), first["has_more"].clone()),
        (all[..2].to_vec(), true.into())
    );
    let rest = w
        .get(&format!(
            "/v1/invoices?subscription={sub}&limit=2&starting_after={}",
            all[1]
        ))
        .await;
    assert_eq!(
        (ids(&rest), rest["has_more"].clone()),
        (vec![all[2]], false.into())
    );
    assert!(ids(&w.get("/v1/invoices?status=draft").await).is_empty());
    let lines = w.get(&format!("/v1/invoices/{}/lines", all[0])).await;
    assert_eq!(lines["data"][0]["object"], "line_item");
    assert_eq!(lines["data"][0]["subscription"], sub.as_str());
    let (status, error) = w.get_status("/v1/invoices?status=late").await;
    assert_eq!(
        (status, error["error"]["param"].as_str()),
        (StatusCode::BAD_REQUEST, Some("status"))
    );
}

#[tokio::test]
async fn expand_replaces_ids_by_objects_at_any_depth_and_through_lists() {
    let w = start(&[SECRET]).await;
    let (_, customer, sub) = w.subscribed("4242424242424242").await;
    let session = ids(&w
        .get(&format!("/v1/checkout/sessions?customer={customer}"))
        .await)[0]
        .to_owned();
    let expanded = w
        .get(&format!("/v1/checkout/sessions/{session}?expand[]=subscription.latest_invoice.customer&expand[]=customer"))
        .await;
    assert_eq!(expanded["subscription"]["object"], "subscription");
    assert_eq!(expanded["subscription"]["id"], sub.as_str());
    assert_eq!(
        expanded["subscription"]["latest_invoice"]["customer"]["id"],
        customer.as_str()
    );
    assert_eq!(expanded["customer"]["object"], "customer");
    let list = w
        .get(&format!("/v1/invoices?customer={customer}&expand[]=data.parent.subscription_details.subscription"))
        .await;
    assert_eq!(
        list["data"][0]["parent"]["subscription_details"]["subscription"]["id"],
        sub.as_str()
    );
    let items = w
        .get(&format!(
            "/v1/subscriptions/{sub}?expand[]=items.data.price.product"
        ))
        .await;
    assert_eq!(
        items["items"]["data"][0]["price"]["product"]["name"],
        "Mensuel"
    );
    let customer = w
        .get(&format!("/v1/customers/{customer}?expand[]=invoice_settings.default_payment_method&expand[]=test_clock"))
        .await;
    assert_eq!(
        customer["invoice_settings"]["default_payment_method"]["card"]["last4"],
        "4242"
    );
    assert_eq!(customer["test_clock"]["object"], "test_helpers.test_clock");
}

#[tokio::test]
async fn a_path_that_cannot_be_expanded_gets_stripes_400() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    for (path, named) in [
        ("livemode", "livemode"),
        ("metadata", "metadata"),
        ("nothing_here", "nothing_here"),
        ("customer_details.address", "address"),
    ] {
        let (status, error) = w
            .get_status(&format!("/v1/checkout/sessions/{id}?expand[]={path}"))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}");
        assert_eq!(error["error"]["type"], "invalid_request_error");
        assert_eq!(
            error["error"]["message"],
            format!("This property cannot be expanded ({named}).")
        );
    }
    let (status, error) = w
        .get_status(&format!("/v1/checkout/sessions/{id}?expand[]=a.b.c.d.e"))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(
        error["error"]["message"],
        "You cannot expand more than 4 levels of a property."
    );
}

#[tokio::test]
async fn a_paid_session_has_its_line_items_and_its_payment_intent() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let lines = w
        .get(&format!("/v1/checkout/sessions/{id}/line_items"))
        .await;
    assert_eq!(lines["data"][0]["object"], "item");
    assert_eq!(
        (
            lines["data"][0]["amount_total"].as_i64(),
            lines["data"][0]["price"]["type"].as_str()
        ),
        (Some(4900), Some("one_time"))
    );
    let (status, _, _) = w.pay(&id, &World::card("4242424242424242")).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let session = w
        .get(&format!(
            "/v1/checkout/sessions/{id}?expand[]=payment_intent"
        ))
        .await;
    let intent = &session["payment_intent"];
    assert_eq!(
        (
            intent["object"].as_str(),
            intent["status"].as_str(),
            intent["amount_received"].as_i64()
        ),
        (Some("payment_intent"), Some("succeeded"), Some(4900))
    );
    let again = w
        .get(&format!(
            "/v1/payment_intents/{}",
            intent["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(again["id"], intent["id"]);
    let listed = w
        .get(&format!(
            "/v1/checkout/sessions?payment_intent={}",
            intent["id"].as_str().unwrap()
        ))
        .await;
    assert_eq!(ids(&listed), [id.as_str()]);
    let (status, error) = w.get_status("/v1/payment_intents/pi_missing").await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::NOT_FOUND, Some("resource_missing"))
    );
}

#[tokio::test]
async fn a_customer_update_changes_what_it_names_and_refuses_unknown_parameters() {
    let w = start(&[SECRET]).await;
    let c = w
        .ok(
            "/v1/customers",
            "name=Dupont&metadata[client_id]=39&metadata[old]=x",
        )
        .await;
    let id = c["id"].as_str().unwrap();
    let updated = w
        .ok(
            &format!("/v1/customers/{id}"),
            "email=compta%40dupont.test&metadata[old]=&metadata[plan]=mensuel",
        )
        .await;
    assert_eq!(updated["name"], "Dupont");
    assert_eq!(updated["email"], "compta@dupont.test");
    assert_eq!(
        updated["metadata"],
        serde_json::json!({"client_id": "39", "plan": "mensuel"})
    );
    let (status, error) = w
        .post_form(&format!("/v1/customers/{id}"), Some(KEY), "balance=-100")
        .await;
    assert_eq!(
        (status, error["error"]["code"].as_str()),
        (StatusCode::BAD_REQUEST, Some("parameter_unknown"))
    );
}

#[tokio::test]
async fn clocks_and_portal_configurations_list_and_read_back() {
    let w = start(&[SECRET]).await;
    let (clock, _, _) = w.subscribed("4242424242424242").await;
    assert_eq!(
        ids(&w.get("/v1/test_helpers/test_clocks").await),
        [clock.as_str()]
    );
    let config = w
        .ok(
            "/v1/billing_portal/configurations",
            "features[invoice_history][enabled]=true",
        )
        .await;
    let id = config["id"].as_str().unwrap();
    assert_eq!(ids(&w.get("/v1/billing_portal/configurations").await), [id]);
    let read = w
        .get(&format!("/v1/billing_portal/configurations/{id}"))
        .await;
    assert_eq!(read["features"]["invoice_history"]["enabled"], true);
    let (status, _) = w
        .get_status("/v1/billing_portal/configurations/bpc_missing")
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

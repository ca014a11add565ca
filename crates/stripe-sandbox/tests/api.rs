//! The sandbox's Stripe API over real HTTP: form encoding, complete objects that async-stripe's
//! strict parser accepts, Stripe's error objects for bad parameters and keys.

mod common;

use common::{CREATE, KEY, SECRET, start};
use serde_json::Value;

#[tokio::test]
async fn a_session_created_with_async_stripe_parses_and_retrieves() {
    use stripe_checkout::checkout_session::*;
    let w = start(&[SECRET]).await;
    let client = stripe::ClientBuilder::new(KEY)
        .url(format!("{}/", w.base))
        .build()
        .unwrap();
    let mut data = CreateCheckoutSessionLineItemsPriceData::new(stripe_types::Currency::EUR);
    data.unit_amount = Some(49900);
    data.product_data = Some(ProductData::new("Annuel"));
    let mut item = CreateCheckoutSessionLineItems::new();
    item.price_data = Some(data);
    item.quantity = Some(1);
    let created = CreateCheckoutSession::new()
        .mode(stripe_shared::CheckoutSessionMode::Payment)
        .line_items(vec![item])
        .success_url("http://app.test/ok?session_id={CHECKOUT_SESSION_ID}")
        .cancel_url("http://app.test/cancel")
        .client_reference_id("39")
        .metadata([("plan".to_owned(), "annuel".to_owned())])
        .locale(stripe_shared::CheckoutSessionLocale::Fr)
        .send(&client)
        .await
        .unwrap();
    assert!(created.id.as_str().starts_with("cs_test_"));
    assert_eq!(created.amount_total, Some(49900));
    assert_eq!(created.metadata.as_ref().unwrap()["plan"], "annuel");
    let got = RetrieveCheckoutSession::new(created.id.clone())
        .send(&client)
        .await
        .unwrap();
    assert_eq!(got.id, created.id);
    assert_eq!(
        got.payment_status,
        stripe_shared::CheckoutSessionPaymentStatus::Unpaid
    );
    assert!(
        got.url
            .unwrap()
            .starts_with(&format!("{}/c/pay/cs_test_", w.base))
    );
}

#[tokio::test]
async fn a_form_encoded_create_returns_a_complete_checkout_session() {
    let w = start(&[SECRET]).await;
    let s = w.create().await;
    assert_eq!(s["object"], "checkout.session");
    assert_eq!(s["mode"], "payment");
    assert_eq!(s["status"], "open");
    assert_eq!(s["payment_status"], "unpaid");
    assert_eq!(s["amount_total"], 4900);
    assert_eq!(s["currency"], "eur");
    assert_eq!(s["client_reference_id"], "39");
    assert_eq!(s["metadata"]["plan"], "mensuel");
    assert_eq!(
        s["success_url"],
        "http://app.test/payment-success?session_id={CHECKOUT_SESSION_ID}"
    );
    assert!(s["expires_at"].as_i64().unwrap() > s["created"].as_i64().unwrap());
}

#[tokio::test]
async fn bad_parameters_get_stripes_error_objects() {
    let w = start(&[SECRET]).await;
    let cases = [
        ("line_items[0][quantity]=1", "parameter_missing", "mode"),
        (
            "mode=payment&success_url=http%3A%2F%2Fx.fr",
            "parameter_missing",
            "line_items",
        ),
        ("mode=payment&bogus=1", "parameter_unknown", "bogus"),
        (
            &CREATE.replace("unit_amount]=4900", "unit_amount]=abc"),
            "parameter_invalid_string",
            "line_items[0][price_data][unit_amount]",
        ),
        (
            &CREATE.replace("currency]=eur", "currency]=EURO"),
            "parameter_invalid_string",
            "line_items[0][price_data][currency]",
        ),
        (
            &CREATE.replace("success_url=http", "success_url=ftp"),
            "parameter_invalid_string",
            "success_url",
        ),
    ];
    for (body, code, param) in cases {
        let (status, err) = w.post_form("/v1/checkout/sessions", Some(KEY), body).await;
        assert_eq!(status, 400, "{body}");
        assert_eq!(err["error"]["type"], "invalid_request_error");
        assert_eq!(err["error"]["code"], code, "{body}");
        assert_eq!(err["error"]["param"], param, "{body}");
    }
}

#[tokio::test]
async fn a_return_url_off_the_relays_origin_is_refused_as_an_open_redirect() {
    let w = start(&[SECRET]).await;
    for (from, to, param) in [
        (
            "success_url=http%3A%2F%2Fapp.test",
            "success_url=https%3A%2F%2Fevil.example",
            "success_url",
        ),
        (
            "cancel_url=http%3A%2F%2Fapp.test",
            "cancel_url=http%3A%2F%2Fapp.test.evil.example",
            "cancel_url",
        ),
        (
            "success_url=http%3A%2F%2Fapp.test",
            "success_url=http%3A%2F%2Fapp.test%3A8443",
            "success_url",
        ),
    ] {
        let body = CREATE.replace(from, to);
        let (status, err) = w.post_form("/v1/checkout/sessions", Some(KEY), &body).await;
        assert_eq!(status, 400, "{to}");
        assert_eq!(err["error"]["param"], param, "{to}");
    }
    assert!(w.sandbox.events().is_empty());
}

#[tokio::test]
async fn a_100000_level_form_key_answers_400_instead_of_overflowing_the_stack() {
    let w = start(&[SECRET]).await;
    let body = format!("{CREATE}&a{}=1", "[]".repeat(100_000));
    let (status, err) = w.post_form("/v1/checkout/sessions", Some(KEY), &body).await;
    assert_eq!(status, 400);
    assert!(
        err["error"]["message"]
            .as_str()
            .unwrap()
            .contains("nested too deeply"),
        "{err}"
    );
    let many: Vec<String> = (0..2_000).map(|i| format!("metadata[k{i}]=v")).collect();
    let (status, _) = w
        .post_form(
            "/v1/checkout/sessions",
            Some(KEY),
            &format!("{CREATE}&{}", many.join("&")),
        )
        .await;
    assert_eq!(status, 400, "2,000 parameters");
}

#[tokio::test]
async fn delivery_options_beyond_ten_duplicates_or_an_hour_of_delay_are_refused() {
    let w = start(&[SECRET]).await;
    let set = |body: serde_json::Value| {
        let (http, url) = (w.http.clone(), format!("{}/_sandbox/options", w.base));
        async move {
            http.post(url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(set(serde_json::json!({"duplicates": 11})).await, 400);
    assert_eq!(
        set(serde_json::json!({"delay_ms": 3_600_001u64})).await,
        400
    );
    assert_eq!(
        set(serde_json::json!({"duplicates": 4_000_000_000u64})).await,
        400
    );
    assert_eq!(
        w.sandbox.delivery_options().duplicates,
        0,
        "nothing changed"
    );
    assert_eq!(
        set(serde_json::json!({"duplicates": 10, "delay_ms": 3_600_000})).await,
        200
    );
}

#[tokio::test]
async fn a_missing_or_non_test_key_is_refused_with_401() {
    let w = start(&[SECRET]).await;
    for key in [
        None,
        Some("sk_live_abcdefghijkl"),
        Some("pk_test_abcdefghijkl"),
        // Another test key of the right shape: Stripe takes the account's key, not any key.
        Some("sk_test_abcdefghijkl"),
    ] {
        let (status, err) = w.post_form("/v1/checkout/sessions", key, CREATE).await;
        assert_eq!(status, 401, "{key:?}");
        assert!(
            !err["error"]["message"]
                .as_str()
                .unwrap()
                .contains("abcdefghijkl"),
            "key echoed in full"
        );
    }
    let basic = w
        .http
        .post(format!("{}/v1/checkout/sessions", w.base))
        .basic_auth(KEY, Some(""))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(CREATE)
        .send()
        .await
        .unwrap();
    assert_eq!(basic.status(), 200, "curl -u sk_test_…: works as on Stripe");
    // A non-ASCII key (Basic auth is decoded to text) once panicked the key's echo.
    let odd = w
        .http
        .post(format!("{}/v1/checkout/sessions", w.base))
        .basic_auth("sk_€€€€€€€€€€", Some(""))
        .body(CREATE)
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), 401);
    let resp = w
        .http
        .get(format!("{}/v1/checkout/sessions/cs_test_nope", w.base))
        .bearer_auth(KEY)
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 404);
    assert_eq!(
        resp.json::<Value>().await.unwrap()["error"]["code"],
        "resource_missing"
    );
}

/// Stripe answers an unknown path, or a method a path does not take, with its own 404 error,
/// never an empty 405 or another server's error shape.
#[tokio::test]
async fn unknown_routes_answer_stripes_unrecognized_request_url() {
    let w = start(&[SECRET]).await;
    for (method, path) in [
        (reqwest::Method::GET, "/v1/nope"),
        (reqwest::Method::DELETE, "/v1/checkout/sessions"),
    ] {
        let resp = w
            .http
            .request(method.clone(), format!("{}{path}", w.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        assert_eq!(resp.status(), 404, "{method} {path}");
        let body: Value = resp.json().await.unwrap();
        assert_eq!(body["error"]["type"], "invalid_request_error");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(
            message.starts_with(&format!("Unrecognized request URL ({method}: {path})")),
            "{message}"
        );
    }
}

/// A visitor without the key once listed every customer, paid a forged checkout and stopped a
/// company's renewal: every API route now takes the sandbox's one key, as Stripe does.
#[tokio::test]
async fn a_visitor_without_the_sandbox_key_reads_and_changes_nothing() {
    let w = start(&[SECRET]).await;
    let (status, customer) = w
        .post_form(
            "/v1/customers",
            Some(KEY),
            "name=Dupont&metadata[client_id]=39",
        )
        .await;
    assert_eq!(status, 200, "{customer}");
    let id = customer["id"].as_str().unwrap();
    for key in [None, Some("sk_test_any_other_test_key")] {
        for (method, path) in [
            (reqwest::Method::GET, "/v1/customers".to_owned()),
            (reqwest::Method::GET, format!("/v1/customers/{id}")),
            (reqwest::Method::GET, "/v1/subscriptions".to_owned()),
            (reqwest::Method::GET, "/v1/events".to_owned()),
            (reqwest::Method::POST, "/v1/checkout/sessions".to_owned()),
            (
                reqwest::Method::POST,
                "/v1/billing_portal/sessions".to_owned(),
            ),
        ] {
            let mut req = w
                .http
                .request(method.clone(), format!("{}{path}", w.base))
                .header("content-type", "application/x-www-form-urlencoded")
                .body(format!("customer={id}"));
            if let Some(k) = key {
                req = req.bearer_auth(k);
            }
            let resp = req.send().await.unwrap();
            assert_eq!(resp.status(), 401, "{method} {path} with {key:?}");
            let body: Value = resp.json().await.unwrap();
            assert_eq!(body["error"]["type"], "invalid_request_error");
            assert!(!body.to_string().contains("Dupont"), "{body}");
        }
    }
}

/// The portal's « return » link is a redirect like Checkout's: only to the relay's origin.
#[tokio::test]
async fn a_portal_session_returning_to_another_site_is_refused() {
    let w = start(&[SECRET]).await;
    let (_, customer) = w.post_form("/v1/customers", Some(KEY), "name=Dupont").await;
    let id = customer["id"].as_str().unwrap();
    let (status, _) = w
        .post_form(
            "/v1/billing_portal/configurations",
            Some(KEY),
            "features[invoice_history][enabled]=true",
        )
        .await;
    assert_eq!(status, 200);
    let (status, err) = w
        .post_form(
            "/v1/billing_portal/sessions",
            Some(KEY),
            &format!("customer={id}&return_url=https%3A%2F%2Fevil.test%2F"),
        )
        .await;
    assert_eq!(status, 400, "{err}");
    assert_eq!(err["error"]["param"], "return_url");
    let (status, ok) = w
        .post_form(
            "/v1/billing_portal/sessions",
            Some(KEY),
            &format!("customer={id}&return_url=http%3A%2F%2Fapp.test%2Fabonnement"),
        )
        .await;
    assert_eq!(status, 200, "{ok}");
}

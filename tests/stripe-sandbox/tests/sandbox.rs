//! The sandbox over real HTTP: Stripe's form encoding and errors, async-stripe's strict parser,
//! each test card and SEPA outcome through the hosted page, and webhook delivery (signature,
//! retries, duplicates, reordering, rolled secrets) into a real receiving server.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use stripe_sandbox::webhook::sign;
use stripe_sandbox::{
    DeliveryOptions, FlushOrder, RetryPolicy, Sandbox, SandboxConfig, WebhookTarget,
};

const KEY: &str = "sk_test_sandbox_key_123";
const SECRET: &str = "whsec_test_secret_abc";

/// A webhook endpoint that records what it receives and fails the first `fail_first` calls.
#[derive(Clone, Default)]
struct Receiver {
    received: Arc<Mutex<Vec<(String, String)>>>,
    fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    fn events(&self) -> Vec<Value> {
        let got = self.received.lock().unwrap();
        got.iter()
            .map(|(_, body)| serde_json::from_str(body).unwrap())
            .collect()
    }
    fn types(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

struct World {
    sandbox: Sandbox,
    base: String,
    receiver: Receiver,
    http: reqwest::Client,
}

async fn start(secrets: &[&str]) -> World {
    let receiver = Receiver::default();
    let r = receiver.clone();
    let hook = axum::Router::new().route(
        "/hook",
        axum::routing::post(move |headers: HeaderMap, body: Bytes| {
            let r = r.clone();
            async move {
                let sig = headers["stripe-signature"].to_str().unwrap().to_owned();
                if r.fail_first.load(Ordering::SeqCst) > 0 {
                    r.fail_first.fetch_sub(1, Ordering::SeqCst);
                    return StatusCode::INTERNAL_SERVER_ERROR;
                }
                r.received
                    .lock()
                    .unwrap()
                    .push((sig, String::from_utf8(body.to_vec()).unwrap()));
                StatusCode::OK
            }
        }),
    );
    let hook_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let hook_url = format!("http://{}/hook", hook_listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(hook_listener, hook).await });

    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let sandbox = Sandbox::new(SandboxConfig {
        public_base: base.clone(),
        webhook: Some(WebhookTarget {
            url: hook_url,
            secrets: secrets.iter().map(|s| s.to_string()).collect(),
        }),
        retry: RetryPolicy {
            initial: Duration::from_millis(20),
            max_attempts: 4,
        },
        sepa_settle_after: Duration::from_secs(3600),
    });
    let router = sandbox.router();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    World {
        sandbox,
        base,
        receiver,
        http,
    }
}

const CREATE: &str = "mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]=eur\
&line_items[0][price_data][unit_amount]=4900&line_items[0][price_data][product_data][name]=Mensuel\
&client_reference_id=39&metadata[client_id]=39&metadata[plan]=mensuel\
&success_url=http%3A%2F%2Fapp.test%2Fpayment-success%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D\
&cancel_url=http%3A%2F%2Fapp.test%2Fpayment-cancelled&locale=fr";

impl World {
    async fn post_form(&self, path: &str, key: Option<&str>, body: &str) -> (StatusCode, Value) {
        let mut req = self
            .http
            .post(format!("{}{path}", self.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body.to_owned());
        if let Some(k) = key {
            req = req.bearer_auth(k);
        }
        let resp = req.send().await.unwrap();
        (resp.status(), resp.json().await.unwrap())
    }

    async fn create(&self) -> Value {
        let (status, session) = self
            .post_form("/v1/checkout/sessions", Some(KEY), CREATE)
            .await;
        assert_eq!(status, 200, "{session}");
        session
    }

    /// Submits the hosted page's form as a browser would; returns status, Location and body.
    async fn pay(&self, id: &str, fields: &[(&str, &str)]) -> (StatusCode, Option<String>, String) {
        let resp = self
            .http
            .post(format!("{}/c/pay/{id}", self.base))
            .form(fields)
            .send()
            .await
            .unwrap();
        let location = resp
            .headers()
            .get("location")
            .map(|l| l.to_str().unwrap().to_owned());
        (resp.status(), location, resp.text().await.unwrap())
    }

    fn card<'a>(number: &'a str) -> [(&'static str, &'a str); 4] {
        [
            ("method", "card"),
            ("card_number", number),
            ("expiry", "12/34"),
            ("cvc", "123"),
        ]
    }
}

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
async fn a_missing_or_non_test_key_is_refused_with_401() {
    let w = start(&[SECRET]).await;
    for key in [
        None,
        Some("sk_live_abcdefghijkl"),
        Some("pk_test_abcdefghijkl"),
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

#[tokio::test]
async fn card_4242_pays_redirects_and_sends_a_signed_completed_event() {
    let w = start(&[SECRET]).await;
    let s = w.create().await;
    let id = s["id"].as_str().unwrap();
    let page = w
        .http
        .get(s["url"].as_str().unwrap())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        page.contains("49,00\u{a0}€") && page.contains("aucun paiement réel"),
        "{page}"
    );
    let (status, location, _) = w.pay(id, &World::card("4242 4242 4242 4242")).await;
    assert_eq!(status, 303);
    assert_eq!(
        location.unwrap(),
        format!("http://app.test/payment-success?session_id={id}")
    );
    w.sandbox.idle().await;
    let got = w.receiver.received.lock().unwrap().clone();
    assert_eq!(got.len(), 1);
    let (header, body) = &got[0];
    let t: i64 = header
        .split(',')
        .next()
        .unwrap()
        .strip_prefix("t=")
        .unwrap()
        .parse()
        .unwrap();
    assert!((stripe_sandbox::now() - t).abs() < 5);
    assert_eq!(
        header,
        &format!("t={t},v1={}", sign(SECRET, t, body.as_bytes()))
    );
    let event: Value = serde_json::from_str(body).unwrap();
    assert!(event["id"].as_str().unwrap().starts_with("evt_"));
    assert_eq!(event["object"], "event");
    assert_eq!(event["type"], "checkout.session.completed");
    assert_eq!(event["data"]["object"]["payment_status"], "paid");
    assert_eq!(event["data"]["object"]["status"], "complete");
    assert!(event["api_version"].is_string() && event["created"].is_i64());
}

#[tokio::test]
async fn card_0002_is_declined_visibly_and_the_session_stays_open() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, location, body) = w.pay(&id, &World::card("4000000000000002")).await;
    assert_eq!(status, 200);
    assert!(location.is_none());
    assert!(body.contains("Votre carte a été refusée"));
    assert_eq!(
        w.sandbox.session(&id).unwrap().status,
        stripe_sandbox::Status::Open
    );
    assert!(w.sandbox.events().is_empty());
}

#[tokio::test]
async fn card_3155_asks_for_3ds_then_confirm_pays_and_refuse_returns_to_the_form() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, _, body) = w.pay(&id, &World::card("4000002500003155")).await;
    assert_eq!(status, 200);
    assert!(body.contains("3-D Secure"));
    let refuse = w
        .http
        .post(format!("{}/c/pay/{id}/3ds", w.base))
        .form(&[("action", "refuse")])
        .send()
        .await
        .unwrap();
    assert_eq!(refuse.status(), 200);
    assert!(refuse.text().await.unwrap().contains("a échoué"));
    assert!(w.sandbox.events().is_empty());
    let confirm = w
        .http
        .post(format!("{}/c/pay/{id}/3ds", w.base))
        .form(&[("action", "confirm")])
        .send()
        .await
        .unwrap();
    assert_eq!(confirm.status(), 303);
    assert_eq!(
        w.sandbox.events()[0].event_type,
        "checkout.session.completed"
    );
}

#[tokio::test]
async fn bad_expiry_or_unknown_card_is_refused_without_paying() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let (status, _, body) = w
        .pay(
            &id,
            &[
                ("method", "card"),
                ("card_number", "4242424242424242"),
                ("expiry", "13/20"),
                ("cvc", "123"),
            ],
        )
        .await;
    assert_eq!(status, 200);
    assert!(body.contains("expiration invalide"));
    let (status, location, _) = w.pay(&id, &World::card("5555555555554444")).await;
    assert_eq!((status, location), (StatusCode::OK, None));
    assert!(w.sandbox.events().is_empty());
}

#[tokio::test]
async fn sepa_completes_unpaid_then_succeeds_or_fails_later() {
    for (iban, outcome) in [
        (stripe_sandbox::IBAN_SUCCEEDS, "succeeded"),
        (stripe_sandbox::IBAN_FAILS, "failed"),
    ] {
        let w = start(&[SECRET]).await;
        let id = w.create().await["id"].as_str().unwrap().to_owned();
        let (status, location, _) = w.pay(&id, &[("method", "sepa"), ("iban", iban)]).await;
        assert_eq!(status, 303);
        assert!(location.unwrap().ends_with(&id));
        w.sandbox.idle().await;
        let first = &w.receiver.events()[0];
        assert_eq!(first["type"], "checkout.session.completed");
        assert_eq!(first["data"]["object"]["payment_status"], "unpaid");
        assert!(w.sandbox.settle(&id));
        assert!(!w.sandbox.settle(&id), "settles once");
        w.sandbox.idle().await;
        let second = &w.receiver.events()[1];
        assert_eq!(
            second["type"],
            format!("checkout.session.async_payment_{outcome}")
        );
        let paid = if outcome == "succeeded" {
            "paid"
        } else {
            "unpaid"
        };
        assert_eq!(second["data"]["object"]["payment_status"], paid);
    }
}

#[tokio::test]
async fn cancel_goes_to_cancel_url_and_expire_sends_an_expired_event() {
    let w = start(&[SECRET]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    let resp = w
        .http
        .get(format!("{}/c/pay/{id}/cancel", w.base))
        .send()
        .await
        .unwrap();
    assert_eq!(
        resp.headers()["location"],
        "http://app.test/payment-cancelled"
    );
    let (status, s) = w
        .post_form(&format!("/v1/checkout/sessions/{id}/expire"), Some(KEY), "")
        .await;
    assert_eq!(status, 200);
    assert_eq!(s["status"], "expired");
    let (status, _) = w
        .post_form(&format!("/v1/checkout/sessions/{id}/expire"), Some(KEY), "")
        .await;
    assert_eq!(status, 400, "only open sessions expire");
    w.sandbox.idle().await;
    assert_eq!(w.receiver.types(), ["checkout.session.expired"]);
}

#[tokio::test]
async fn a_failing_endpoint_is_retried_with_backoff_until_acknowledged() {
    let w = start(&[SECRET]).await;
    w.receiver.fail_first.store(2, Ordering::SeqCst);
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(&id, &World::card("4242424242424242")).await;
    w.sandbox.idle().await;
    let attempts: Vec<(u32, u16)> = w
        .sandbox
        .deliveries()
        .iter()
        .map(|d| (d.attempt, d.status))
        .collect();
    assert_eq!(attempts, [(1, 500), (2, 500), (3, 200)]);
    assert_eq!(w.receiver.events().len(), 1);
}

#[tokio::test]
async fn duplicates_and_reverse_order_are_delivered_on_demand() {
    let w = start(&[SECRET]).await;
    w.sandbox.set_delivery_options(DeliveryOptions {
        hold: true,
        duplicates: 1,
        delay_ms: 0,
    });
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(
        &id,
        &[("method", "sepa"), ("iban", stripe_sandbox::IBAN_SUCCEEDS)],
    )
    .await;
    w.sandbox.settle(&id);
    assert!(w.receiver.events().is_empty(), "held");
    assert_eq!(w.sandbox.flush(FlushOrder::Reverse).await, 2);
    assert_eq!(
        w.receiver.types(),
        [
            "checkout.session.async_payment_succeeded",
            "checkout.session.async_payment_succeeded",
            "checkout.session.completed",
            "checkout.session.completed"
        ]
    );
    let ids: Vec<Value> = w
        .receiver
        .events()
        .iter()
        .map(|e| e["id"].clone())
        .collect();
    assert_eq!(ids[0], ids[1], "a duplicate is the same event");
}

#[tokio::test]
async fn a_rolled_secret_signs_with_one_v1_per_secret() {
    let w = start(&["whsec_old_one", "whsec_new_one"]).await;
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(&id, &World::card("4242424242424242")).await;
    w.sandbox.idle().await;
    let (header, body) = w.receiver.received.lock().unwrap()[0].clone();
    let parts: Vec<&str> = header.split(',').collect();
    let t: i64 = parts[0][2..].parse().unwrap();
    assert_eq!(parts.len(), 3);
    assert_eq!(
        parts[1],
        format!("v1={}", sign("whsec_old_one", t, body.as_bytes()))
    );
    assert_eq!(
        parts[2],
        format!("v1={}", sign("whsec_new_one", t, body.as_bytes()))
    );
}

#[tokio::test]
async fn delivery_can_be_delayed_and_controlled_over_http() {
    let w = start(&[SECRET]).await;
    let resp = w
        .http
        .post(format!("{}/_sandbox/options", w.base))
        .json(&serde_json::json!({"delay_ms": 300}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), 200);
    let id = w.create().await["id"].as_str().unwrap().to_owned();
    w.pay(&id, &World::card("4242424242424242")).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(w.receiver.events().is_empty(), "still delayed");
    w.sandbox.idle().await;
    assert_eq!(w.receiver.events().len(), 1);
    let log: Value = w
        .http
        .get(format!("{}/_sandbox/deliveries", w.base))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(log[0]["status"], 200);
}

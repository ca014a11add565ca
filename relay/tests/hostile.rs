//! Hostile input: huge and deeply nested bodies, wrong types, odd headers, unicode, injection
//! attempts, empty requests. Every one is answered 4xx, and afterwards nothing has changed.

mod common;

use common::{Backend, SECRET, World, now, start};
use stripe_sandbox::webhook::signature_header;

enum Req {
    /// A webhook delivery: body and its Stripe-Signature header (None: none sent).
    Webhook(Vec<u8>, Option<String>),
    Checkout(String, Option<String>),
    /// A checkout request sent with this Content-Type (None: no Content-Type at all).
    CheckoutTyped(Option<&'static str>, String),
    Get(String, Option<String>),
    Post(String, String),
}

fn signed(body: &str) -> Req {
    Req::Webhook(
        body.as_bytes().to_vec(),
        Some(signature_header(&[SECRET.into()], now(), body.as_bytes())),
    )
}

fn event_with(object: &str) -> String {
    format!(r#"{{"id":"evt_h","type":"checkout.session.completed","data":{{"object":{object}}}}}"#)
}

async fn send(w: &World, req: Req) -> u16 {
    let r = match req {
        Req::Webhook(body, sig) => {
            let mut r = w
                .http
                .post(format!("{}/api/stripe/webhook", w.base))
                .body(body);
            if let Some(sig) = sig {
                r = r.header("stripe-signature", sig);
            }
            r
        }
        Req::Checkout(body, token) => w
            .http
            .post(format!("{}/api/stripe/create-checkout-session", w.base))
            .header("content-type", "application/json")
            .header(
                "authorization",
                format!("Bearer {}", token.unwrap_or_else(|| w.token.clone())),
            )
            .body(body),
        Req::CheckoutTyped(content_type, body) => {
            let r = w
                .http
                .post(format!("{}/api/stripe/create-checkout-session", w.base))
                .bearer_auth(&w.token)
                .body(body);
            match content_type {
                Some(t) => r.header("content-type", t),
                None => r,
            }
        }
        Req::Get(path, token) => {
            let r = w.http.get(format!("{}{path}", w.base));
            match token {
                Some(t) => r.header("authorization", t),
                None => r.bearer_auth(&w.token),
            }
        }
        Req::Post(path, body) => w
            .http
            .post(format!("{}{path}", w.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body),
    };
    r.send().await.unwrap().status().as_u16()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_hostile_request_gets_a_4xx_and_changes_nothing() {
    let w = start(Backend::Sqlite).await;
    let t = now();
    let valid = event_with(
        r#"{"id":"cs_test_h","amount_total":4900,"currency":"eur","payment_status":"paid","metadata":{"client_id":"39","plan":"mensuel"}}"#,
    );
    let good_sig = signature_header(&[SECRET.into()], t, valid.as_bytes());
    let cases: Vec<(&str, Req)> = vec![
        (
            "huge webhook body",
            Req::Webhook(vec![b'a'; relay::BODY_LIMIT + 10], Some(good_sig.clone())),
        ),
        (
            "deeply nested JSON, signed",
            signed(&format!("{}{}", "[".repeat(5000), "]".repeat(5000))),
        ),
        (
            "event id as a number",
            signed(r#"{"id":42,"type":"checkout.session.completed"}"#),
        ),
        (
            "event type as an object",
            signed(r#"{"id":"evt_1","type":{"x":1}}"#),
        ),
        (
            "data as a string",
            signed(r#"{"id":"evt_1","type":"checkout.session.completed","data":"x"}"#),
        ),
        ("session id as a number", signed(&event_with(r#"{"id":7}"#))),
        (
            "metadata as an array",
            signed(&event_with(r#"{"id":"cs_1","metadata":[1,2]}"#)),
        ),
        (
            "amount as a string",
            signed(&event_with(r#"{"id":"cs_1","amount_total":"4900"}"#)),
        ),
        ("empty body, signed", signed("")),
        ("null body, signed", signed("null")),
        (
            "invalid UTF-8, signed",
            Req::Webhook(
                vec![0xff, 0xfe, b'{'],
                Some(signature_header(&[SECRET.into()], t, &[0xff, 0xfe, b'{'])),
            ),
        ),
        (
            "no signature header",
            Req::Webhook(valid.clone().into_bytes(), None),
        ),
        (
            "unicode signature header",
            Req::Webhook(valid.clone().into_bytes(), Some("t=١٢٣,v1=é".into())),
        ),
        (
            "100 KB signature header",
            Req::Webhook(
                valid.clone().into_bytes(),
                Some(format!("t={t},v1={}", "a".repeat(100_000))),
            ),
        ),
        (
            "timestamp in the far future",
            Req::Webhook(
                valid.clone().into_bytes(),
                Some(signature_header(
                    &[SECRET.into()],
                    t + 86_400,
                    valid.as_bytes(),
                )),
            ),
        ),
        (
            "negative timestamp",
            Req::Webhook(
                valid.clone().into_bytes(),
                Some(signature_header(&[SECRET.into()], -5, valid.as_bytes())),
            ),
        ),
        (
            "timestamp i64::MIN (overflowed the tolerance check)",
            Req::Webhook(
                valid.clone().into_bytes(),
                Some(signature_header(
                    &[SECRET.into()],
                    i64::MIN,
                    valid.as_bytes(),
                )),
            ),
        ),
        (
            "timestamp i64::MAX",
            Req::Webhook(
                valid.clone().into_bytes(),
                Some(signature_header(
                    &[SECRET.into()],
                    i64::MAX,
                    valid.as_bytes(),
                )),
            ),
        ),
        (
            "checkout JSON sent as text/plain",
            Req::CheckoutTyped(
                Some("text/plain"),
                r#"{"plan":"mensuel","renewal":"once"}"#.into(),
            ),
        ),
        (
            "checkout JSON without Content-Type",
            Req::CheckoutTyped(None, r#"{"plan":"mensuel","renewal":"once"}"#.into()),
        ),
        (
            "checkout JSON sent as a form",
            Req::CheckoutTyped(
                Some("application/x-www-form-urlencoded"),
                r#"{"plan":"mensuel","renewal":"once"}"#.into(),
            ),
        ),
        (
            "signature of another body",
            Req::Webhook(
                valid.replace("4900", "49").into_bytes(),
                Some(good_sig.clone()),
            ),
        ),
        (
            "signature with an empty secret",
            Req::Webhook(
                valid.clone().into_bytes(),
                Some(signature_header(&["".into()], t, valid.as_bytes())),
            ),
        ),
        (
            "unknown plan",
            Req::Checkout(r#"{"plan":"hebdo"}"#.into(), None),
        ),
        ("empty plan", Req::Checkout(r#"{"plan":""}"#.into(), None)),
        (
            "unicode plan",
            Req::Checkout(r#"{"plan":"mensuél 🏗️"}"#.into(), None),
        ),
        (
            "10 KB plan",
            Req::Checkout(format!(r#"{{"plan":"{}"}}"#, "m".repeat(10_000)), None),
        ),
        ("plan null", Req::Checkout(r#"{"plan":null}"#.into(), None)),
        (
            "unknown renewal",
            Req::Checkout(r#"{"plan":"mensuel","renewal":"weekly"}"#.into(), None),
        ),
        (
            "renewal as a number",
            Req::Checkout(r#"{"plan":"mensuel","renewal":1}"#.into(), None),
        ),
        (
            "test clock that does not exist",
            Req::Checkout(
                r#"{"plan":"mensuel","test_clock":"clock_nope"}"#.into(),
                None,
            ),
        ),
        ("body is an array", Req::Checkout("[]".into(), None)),
        (
            "deeply nested checkout body",
            Req::Checkout(
                format!(
                    "{}{}",
                    "{\"a\":".repeat(3000),
                    "1".to_owned() + &"}".repeat(3000)
                ),
                None,
            ),
        ),
        ("empty checkout body", Req::Checkout(String::new(), None)),
        (
            "SQL injection as token",
            Req::Checkout(
                r#"{"plan":"mensuel","renewal":"once"}"#.into(),
                Some("' OR 1=1 --".into()),
            ),
        ),
        (
            "10 KB token",
            Req::Checkout(
                r#"{"plan":"mensuel","renewal":"once"}"#.into(),
                Some("x".repeat(10_000)),
            ),
        ),
        (
            "unicode token",
            Req::Get("/api/subscription".into(), Some("Bearer jéton".into())),
        ),
        (
            "negative wait",
            Req::Get("/api/subscription?wait=-1&since=0".into(), None),
        ),
        (
            "since not a number",
            Req::Get("/api/subscription?wait=1&since=abc".into(), None),
        ),
        (
            "overflowing wait",
            Req::Get(
                "/api/subscription?wait=99999999999999999999999&since=0".into(),
                None,
            ),
        ),
        (
            "forged renew link",
            Req::Get(
                "/renew-subscription?link=39.99999999999.deadbeef".into(),
                None,
            ),
        ),
        (
            "huge renew link",
            Req::Get(
                format!("/renew-subscription?link={}", "9".repeat(5_000)),
                None,
            ),
        ),
        (
            "renew form without fields",
            Req::Post("/renew-subscription".into(), String::new()),
        ),
        (
            "renew form with a forged link",
            Req::Post(
                "/renew-subscription".into(),
                "link=39.1.00&plan=annuel".into(),
            ),
        ),
        (
            "script as session id",
            Req::Get(
                "/payment-success?session_id=%3Cscript%3Ealert(1)%3C%2Fscript%3E".into(),
                None,
            ),
        ),
        (
            "GET on the webhook",
            Req::Get("/api/stripe/webhook".into(), None),
        ),
        (
            "live session id on a test relay's success page",
            Req::Get("/payment-success?session_id=cs_live_a1b2c3d4".into(), None),
        ),
        (
            "made-up test session id on the success page",
            Req::Get("/payment-success?session_id=cs_test_madeup".into(), None),
        ),
        (
            "metrics on the public address",
            Req::Get("/metrics".into(), None),
        ),
        (
            "wait as a huge negative number",
            Req::Get(
                "/api/subscription?wait=-9223372036854775808&since=0".into(),
                None,
            ),
        ),
    ];
    assert!(cases.len() >= 30);
    for (what, req) in cases {
        let code = send(&w, req).await;
        assert!((400..500).contains(&code), "{what}: answered {code}");
    }
    assert_eq!(w.count("SELECT COUNT(*) FROM stripe_events").await, 0);
    assert_eq!(w.count("SELECT COUNT(*) FROM checkout_sessions").await, 0);
    assert_eq!(w.count("SELECT SUM(version) FROM subscriptions").await, 0);
    assert_eq!(w.status().await["status"], "none");
}

#[tokio::test]
async fn a_checkout_body_not_declared_as_json_gets_415_in_the_error_shape() {
    let w = start(Backend::Sqlite).await;
    for content_type in [Some("text/plain"), None] {
        let mut r = w
            .http
            .post(format!("{}/api/stripe/create-checkout-session", w.base))
            .bearer_auth(&w.token)
            .body(r#"{"plan":"mensuel","renewal":"once"}"#);
        if let Some(t) = content_type {
            r = r.header("content-type", t);
        }
        let answer = r.send().await.unwrap();
        assert_eq!(answer.status().as_u16(), 415, "{content_type:?}");
        let body: serde_json::Value = answer.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unsupported_media_type");
    }
    let ok = w
        .http
        .post(format!("{}/api/stripe/create-checkout-session", w.base))
        .bearer_auth(&w.token)
        .header("content-type", "application/json; charset=utf-8")
        .body(r#"{"plan":"mensuel","renewal":"once"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(
        ok.status().as_u16(),
        200,
        "a charset parameter is still JSON"
    );
    assert_eq!(w.count("SELECT COUNT(*) FROM checkout_sessions").await, 1);
}

#[tokio::test]
async fn query_errors_use_the_json_error_shape() {
    let w = start(Backend::Sqlite).await;
    let (code, body) = w
        .get_json("/api/subscription?wait=-1", Some(&w.token))
        .await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (400, Some("invalid_query"))
    );
}

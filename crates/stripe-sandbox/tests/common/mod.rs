//! Shared by the sandbox's test binaries: a sandbox on port 0 whose webhooks go to a real
//! receiving server (which can fail on demand), the form body of a valid session, and a client
//! that does not follow redirects.
#![allow(dead_code)]

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::http::{HeaderMap, StatusCode};
use serde_json::Value;
use stripe_sandbox::{RetryPolicy, Sandbox, SandboxConfig, WebhookTarget};

pub const KEY: &str = "sk_test_sandbox_key_123";
pub const SECRET: &str = "whsec_test_secret_abc";
pub const DAY: i64 = 86_400;
pub const T0: i64 = 1_767_225_600; // 2026-01-01T00:00:00Z

/// A webhook endpoint that records what it receives and fails the first `fail_first` calls.
#[derive(Clone, Default)]
pub struct Receiver {
    pub received: Arc<Mutex<Vec<(String, String)>>>,
    pub fail_first: Arc<AtomicUsize>,
}

impl Receiver {
    pub fn events(&self) -> Vec<Value> {
        let got = self.received.lock().unwrap();
        got.iter()
            .map(|(_, body)| serde_json::from_str(body).unwrap())
            .collect()
    }
    pub fn types(&self) -> Vec<String> {
        self.events()
            .iter()
            .map(|e| e["type"].as_str().unwrap().to_owned())
            .collect()
    }
}

pub struct World {
    pub sandbox: Sandbox,
    pub base: String,
    pub receiver: Receiver,
    pub http: reqwest::Client,
}

pub async fn start(secrets: &[&str]) -> World {
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
        // The relay these tests stand for lives at http://app.test (see CREATE).
        return_origin: Some("http://app.test".into()),
        secret_key: KEY.into(),
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

pub const CREATE: &str = "mode=payment&line_items[0][quantity]=1&line_items[0][price_data][currency]=eur\
&line_items[0][price_data][unit_amount]=4900&line_items[0][price_data][product_data][name]=Mensuel\
&client_reference_id=39&metadata[client_id]=39&metadata[plan]=mensuel\
&success_url=http%3A%2F%2Fapp.test%2Fpayment-success%3Fsession_id%3D%7BCHECKOUT_SESSION_ID%7D\
&cancel_url=http%3A%2F%2Fapp.test%2Fpayment-cancelled&locale=fr";

impl World {
    pub async fn post_form(
        &self,
        path: &str,
        key: Option<&str>,
        body: &str,
    ) -> (StatusCode, Value) {
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

    /// `GET path` with the secret key; the answer must be 200.
    pub async fn get(&self, path: &str) -> Value {
        let (status, json) = self.get_status(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {json}");
        json
    }

    /// `GET path` with the secret key: its status and JSON body.
    pub async fn get_status(&self, path: &str) -> (StatusCode, Value) {
        let resp = self
            .http
            .get(format!("{}{path}", self.base))
            .bearer_auth(KEY)
            .send()
            .await
            .unwrap();
        (resp.status(), resp.json().await.unwrap())
    }

    pub async fn create(&self) -> Value {
        let (status, session) = self
            .post_form("/v1/checkout/sessions", Some(KEY), CREATE)
            .await;
        assert_eq!(status, 200, "{session}");
        session
    }

    /// Submits the hosted page's form as a browser would; returns status, Location and body.
    pub async fn pay(
        &self,
        id: &str,
        fields: &[(&str, &str)],
    ) -> (StatusCode, Option<String>, String) {
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

    pub fn card<'a>(number: &'a str) -> [(&'static str, &'a str); 4] {
        [
            ("method", "card"),
            ("card_number", number),
            ("expiry", "12/34"),
            ("cvc", "123"),
        ]
    }
}

impl World {
    pub async fn ok(&self, path: &str, body: &str) -> Value {
        let (status, json) = self.post_form(path, Some(KEY), body).await;
        assert_eq!(status, StatusCode::OK, "{path}: {json}");
        json
    }

    /// A customer on a new clock at `T0`, subscribed monthly to 49 € with `card`.
    pub async fn subscribed(&self, card: &str) -> (String, String, String) {
        let clock = self
            .ok(
                "/v1/test_helpers/test_clocks",
                &format!("frozen_time={T0}&name=annee"),
            )
            .await;
        let clock = clock["id"].as_str().unwrap().to_owned();
        let customer = self
            .ok("/v1/customers", &format!("name=Ma%C3%A7onnerie+Dupont&preferred_locales[]=fr&metadata[client_id]=39&test_clock={clock}"))
            .await;
        let customer = customer["id"].as_str().unwrap().to_owned();
        let session = self
            .ok("/v1/checkout/sessions", &format!("mode=subscription&customer={customer}&line_items[0][quantity]=1\
&line_items[0][price_data][currency]=eur&line_items[0][price_data][unit_amount]=4900\
&line_items[0][price_data][product_data][name]=Mensuel&line_items[0][price_data][recurring][interval]=month\
&subscription_data[metadata][client_id]=39&subscription_data[metadata][plan]=mensuel\
&metadata[client_id]=39&success_url=http%3A%2F%2Fapp.test%2Fok"))
            .await;
        let id = session["id"].as_str().unwrap();
        let (status, _, _) = self.pay(id, &World::card(card)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        let session = self.get(&format!("/v1/checkout/sessions/{id}")).await;
        (
            clock,
            customer,
            session["subscription"].as_str().unwrap().to_owned(),
        )
    }

    pub async fn advance(&self, clock: &str, to: i64) {
        let answer = self
            .ok(
                &format!("/v1/test_helpers/test_clocks/{clock}/advance"),
                &format!("frozen_time={to}"),
            )
            .await;
        assert_eq!(answer["status"], "advancing");
        for _ in 0..100 {
            if self
                .get(&format!("/v1/test_helpers/test_clocks/{clock}"))
                .await["status"]
                == "ready"
            {
                return;
            }
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
        }
        panic!("the clock never became ready");
    }
}

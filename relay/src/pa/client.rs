//! The relay's client of its approved platform (XP Z12-013): an OAuth2 client-credentials token,
//! kept until shortly before it expires and fetched again after a 401, then the Flow Service's
//! `POST /v1/flows` (multipart), `POST /v1/flows/search`, `GET /v1/flows/{flowId}` and the
//! services' health checks, and the Directory's legal unit by SIREN. The secret and the token
//! never reach a log or an error.

use std::time::{Duration, Instant};

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use crate::config::PaApi;

/// A request that did not get its answer.
#[derive(Debug, thiserror::Error)]
pub enum PaError {
    /// The platform could not be reached, timed out or answered 5xx / 429: try again later.
    #[error("plateforme injoignable ou indisponible : {0}")]
    Unavailable(String),
    /// The platform refused the request itself (4xx): sending it again as is will not help.
    #[error("requête refusée par la plateforme ({status}) : {message}")]
    Refused { status: u16, message: String },
}

/// What `POST /v1/flows` answered.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Accepted {
    pub flow_id: String,
}

/// A `Flow` as search and metadata give it (the fields the relay reads).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct FlowMeta {
    pub flow_id: String,
    pub tracking_id: Option<String>,
    pub updated_at: Option<String>,
    pub flow_direction: Option<String>,
    pub acknowledgement: Option<Acknowledgement>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct Acknowledgement {
    pub status: String,
    #[serde(default)]
    pub details: Vec<AckDetail>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AckDetail {
    pub reason_code: Option<String>,
    pub reason_message: Option<String>,
}

impl Acknowledgement {
    /// The details as one line: `InvalidSchema: …; ChecksumMismatch: …`.
    pub fn summary(&self) -> String {
        self.details
            .iter()
            .map(|d| {
                format!(
                    "{}: {}",
                    d.reason_code.as_deref().unwrap_or("?"),
                    d.reason_message.as_deref().unwrap_or("")
                )
            })
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub fn has_reason(&self, code: &str) -> bool {
        self.details
            .iter()
            .any(|d| d.reason_code.as_deref() == Some(code))
    }
}

/// One flow to send: its `flowInfo` and its file.
pub struct Outgoing {
    pub syntax: &'static str,
    pub profile: Option<&'static str>,
    pub tracking_id: String,
    pub name: String,
    pub mime: &'static str,
    pub file: Vec<u8>,
}

pub struct PaClient {
    http: reqwest::Client,
    api: PaApi,
    token: Mutex<Option<(String, Instant)>>,
}

impl PaClient {
    pub fn new(api: PaApi) -> Self {
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .connect_timeout(Duration::from_secs(5))
            .build()
            .expect("an HTTP client");
        Self {
            http,
            api,
            token: Mutex::new(None),
        }
    }

    fn url(base: &url::Url, path: &str) -> String {
        format!("{}{path}", base.as_str().trim_end_matches('/'))
    }

    async fn token(&self, fresh: bool) -> Result<String, PaError> {
        let mut cached = self.token.lock().await;
        if !fresh
            && let Some((token, until)) = cached.as_ref()
            && *until > Instant::now()
        {
            return Ok(token.clone());
        }
        #[derive(Deserialize)]
        struct Token {
            access_token: String,
            expires_in: Option<u64>,
        }
        let response = self
            .http
            .post(self.api.token_url.as_str())
            .basic_auth(&self.api.client_id, Some(self.api.client_secret.expose()))
            .form(&[("grant_type", "client_credentials")])
            .send()
            .await
            .map_err(unreachable)?;
        let token: Token = answer(response).await?.json().await.map_err(unreachable)?;
        let lifetime = token.expires_in.unwrap_or(300).saturating_sub(30).max(1);
        *cached = Some((
            token.access_token.clone(),
            Instant::now() + Duration::from_secs(lifetime),
        ));
        Ok(token.access_token)
    }

    /// Sends a request built by `build` with a bearer token, once more with a fresh token after
    /// a 401.
    async fn authorised(
        &self,
        build: impl Fn(&reqwest::Client) -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, PaError> {
        for fresh in [false, true] {
            let token = self.token(fresh).await?;
            let response = build(&self.http)
                .bearer_auth(token)
                .send()
                .await
                .map_err(unreachable)?;
            if response.status() == reqwest::StatusCode::UNAUTHORIZED && !fresh {
                continue;
            }
            return answer(response).await;
        }
        unreachable!("the loop returns on its second pass")
    }

    /// `POST /v1/flows`.
    pub async fn submit(&self, flow: &Outgoing) -> Result<Accepted, PaError> {
        use sha2::Digest;
        let sha256 = hex::encode(sha2::Sha256::digest(&flow.file));
        let mut info = json!({
            "flowSyntax": flow.syntax,
            "processingRule": "B2B",
            "trackingId": flow.tracking_id,
            "name": flow.name,
            "sha256": sha256,
        });
        if let Some(profile) = flow.profile {
            info["flowProfile"] = json!(profile);
        }
        let url = Self::url(&self.api.flow, "/v1/flows");
        let response = self
            .authorised(|http| {
                let form = reqwest::multipart::Form::new()
                    .part(
                        "flowInfo",
                        reqwest::multipart::Part::text(info.to_string())
                            .mime_str("application/json")
                            .expect("a valid MIME type"),
                    )
                    .part(
                        "file",
                        reqwest::multipart::Part::bytes(flow.file.clone())
                            .file_name(flow.name.clone())
                            .mime_str(flow.mime)
                            .expect("a valid MIME type"),
                    );
                http.post(&url).multipart(form)
            })
            .await?;
        response.json().await.map_err(unreachable)
    }

    /// `POST /v1/flows/search` with `filters` (the `where` object), up to 100 flows.
    pub async fn search(&self, filters: Value) -> Result<Vec<FlowMeta>, PaError> {
        #[derive(Deserialize)]
        struct Found {
            #[serde(default)]
            results: Vec<FlowMeta>,
        }
        let url = Self::url(&self.api.flow, "/v1/flows/search");
        let body = json!({"limit": 100, "where": filters});
        let response = self.authorised(|http| http.post(&url).json(&body)).await?;
        Ok(response.json::<Found>().await.map_err(unreachable)?.results)
    }

    /// `GET /v1/flows/{flowId}` (its metadata).
    pub async fn metadata(&self, flow_id: &str) -> Result<FlowMeta, PaError> {
        let url = Self::url(&self.api.flow, &format!("/v1/flows/{flow_id}"));
        let response = self
            .authorised(|http| http.get(&url).query(&[("docType", "Metadata")]))
            .await?;
        response.json().await.map_err(unreachable)
    }

    /// `GET /v1/flows/{flowId}?docType=Original`: the file as it was sent.
    pub async fn original(&self, flow_id: &str) -> Result<Vec<u8>, PaError> {
        let url = Self::url(&self.api.flow, &format!("/v1/flows/{flow_id}"));
        let response = self
            .authorised(|http| http.get(&url).query(&[("docType", "Original")]))
            .await?;
        Ok(response.bytes().await.map_err(unreachable)?.to_vec())
    }

    /// The addressing identifiers of `siren`'s directory lines (`POST /v1/directory-line/search`).
    pub async fn directory_lines(&self, siren: &str) -> Result<Vec<String>, PaError> {
        #[derive(Deserialize)]
        struct Found {
            #[serde(default)]
            results: Vec<Line>,
        }
        #[derive(Deserialize)]
        #[serde(rename_all = "camelCase")]
        struct Line {
            addressing_identifier: Option<String>,
            siren: Option<String>,
        }
        let url = Self::url(&self.api.directory, "/v1/directory-line/search");
        let body = json!({"filters": {"siren": {"op": "contains", "value": siren}}});
        let response = self.authorised(|http| http.post(&url).json(&body)).await?;
        let found: Found = response.json().await.map_err(unreachable)?;
        Ok(found
            .results
            .into_iter()
            // `contains`: keep this SIREN's own lines.
            .filter(|l| l.siren.as_deref().is_none_or(|s| s == siren))
            .filter_map(|l| l.addressing_identifier)
            .collect())
    }

    /// `GET /v1/healthcheck` of the Flow (`true`) or Directory service, after a token.
    pub async fn healthy(&self, flow: bool) -> Result<(), PaError> {
        self.token(true).await?;
        let base = if flow {
            &self.api.flow
        } else {
            &self.api.directory
        };
        let response = self
            .http
            .get(Self::url(base, "/v1/healthcheck"))
            .send()
            .await
            .map_err(unreachable)?;
        answer(response).await.map(|_| ())
    }
}

fn unreachable(e: reqwest::Error) -> PaError {
    // reqwest's message names the URL, never a header: no token or secret in it.
    PaError::Unavailable(e.without_url().to_string())
}

/// The response if it is a success; otherwise the platform's `errorCode` / `errorMessage`.
async fn answer(response: reqwest::Response) -> Result<reqwest::Response, PaError> {
    let status = response.status();
    if status.is_success() {
        return Ok(response);
    }
    let body: Value = response.json().await.unwrap_or(Value::Null);
    let message = [
        &body["errorCode"],
        &body["errorMessage"],
        &body["error"],
        &body["message"],
    ]
    .iter()
    .filter_map(|v| v.as_str())
    .collect::<Vec<_>>()
    .join(" ");
    if status.is_server_error() || status == reqwest::StatusCode::TOO_MANY_REQUESTS {
        return Err(PaError::Unavailable(format!("{status} {message}")));
    }
    Err(PaError::Refused {
        status: status.as_u16(),
        message,
    })
}

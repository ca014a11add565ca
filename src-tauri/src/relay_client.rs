//! HTTP calls to the relay, with each failure turned into the French error the user will read.

use std::time::Duration;

use erp_btp_protocol::{
    BillingPortalResponse, CheckoutResponse, CompanyResponse, ErrorBody, InvoiceSummary,
    InvoicesResponse, Plan, PlansResponse, PublicKeyResponse, RenewLinkResponse, RenewalChoice,
    SubscriptionStatus,
};
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::DesktopError;

#[derive(Clone)]
pub struct RelayClient {
    http: reqwest::Client,
    base: Url,
}

impl RelayClient {
    pub fn new(http: reqwest::Client, base: Url) -> Self {
        Self { http, base }
    }

    pub fn base(&self) -> &Url {
        &self.base
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base.as_str().trim_end_matches('/'))
    }

    async fn read<T: DeserializeOwned>(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<T, DesktopError> {
        Self::checked(response)
            .await?
            .json()
            .await
            .map_err(|_| DesktopError::RelayError("réponse illisible".into()))
    }

    /// The answer if it is a success, else the error the admin reads.
    async fn checked(
        response: Result<reqwest::Response, reqwest::Error>,
    ) -> Result<reqwest::Response, DesktopError> {
        let response = response.map_err(|_| DesktopError::RelayUnreachable)?;
        let status = response.status();
        if status == reqwest::StatusCode::UNAUTHORIZED {
            return Err(DesktopError::TokenRefused);
        }
        if !status.is_success() {
            let code = response
                .json::<ErrorBody>()
                .await
                .map(|b| b.error.code)
                .unwrap_or_else(|_| format!("HTTP {}", status.as_u16()));
            return Err(DesktopError::RelayError(code));
        }
        Ok(response)
    }

    pub async fn public_key(&self) -> Result<PublicKeyResponse, DesktopError> {
        Self::read(
            self.http
                .get(self.url("/api/entitlement/public-key"))
                .timeout(Duration::from_secs(15))
                .send()
                .await,
        )
        .await
    }

    pub async fn plans(&self) -> Result<Vec<Plan>, DesktopError> {
        let plans: PlansResponse = Self::read(
            self.http
                .get(self.url("/api/stripe/plans"))
                .timeout(Duration::from_secs(15))
                .send()
                .await,
        )
        .await?;
        Ok(plans.plans)
    }

    /// The subscription; with `wait`, a long poll held until the version leaves `since`.
    pub async fn status(
        &self,
        token: &str,
        wait: Option<(u64, i64)>,
    ) -> Result<SubscriptionStatus, DesktopError> {
        let (url, timeout) = match wait {
            Some((secs, since)) => (
                self.url(&format!("/api/subscription?wait={secs}&since={since}")),
                Duration::from_secs(secs + 15),
            ),
            None => (self.url("/api/subscription"), Duration::from_secs(15)),
        };
        Self::read(
            self.http
                .get(url)
                .bearer_auth(token)
                .timeout(timeout)
                .send()
                .await,
        )
        .await
    }

    pub async fn checkout(
        &self,
        token: &str,
        plan: &str,
        renewal: RenewalChoice,
    ) -> Result<CheckoutResponse, DesktopError> {
        let body = serde_json::json!({ "plan": plan, "renewal": renewal });
        let result = Self::read(
            self.http
                .post(self.url("/api/stripe/create-checkout-session"))
                .bearer_auth(token)
                .json(&body)
                .timeout(Duration::from_secs(30))
                .send()
                .await,
        )
        .await;
        match result {
            Err(DesktopError::RelayError(code)) if code == "unknown_plan" => {
                Err(DesktopError::UnknownPlan(plan.to_owned()))
            }
            Err(DesktopError::RelayError(code)) if code == "subscription_live" => {
                Err(DesktopError::SubscriptionLive)
            }
            Err(DesktopError::RelayError(code)) if code == "siren_required" => {
                Err(DesktopError::SirenRequired)
            }
            other => other,
        }
    }

    pub async fn billing_portal(&self, token: &str) -> Result<String, DesktopError> {
        let portal: BillingPortalResponse = Self::read(
            self.http
                .post(self.url("/api/billing-portal"))
                .bearer_auth(token)
                .timeout(Duration::from_secs(30))
                .send()
                .await,
        )
        .await
        .map_err(|e| match e {
            DesktopError::RelayError(code) if code == "no_customer" => {
                DesktopError::NoPaymentMethod
            }
            other => other,
        })?;
        Ok(portal.url)
    }

    pub async fn invoices(&self, token: &str) -> Result<Vec<InvoiceSummary>, DesktopError> {
        let list: InvoicesResponse = Self::read(
            self.http
                .get(self.url("/api/invoices"))
                .bearer_auth(token)
                .timeout(Duration::from_secs(30))
                .send()
                .await,
        )
        .await?;
        Ok(list.invoices)
    }

    /// A facture's PDF (`number` already checked to be one).
    pub async fn invoice_pdf(&self, token: &str, number: &str) -> Result<Vec<u8>, DesktopError> {
        let answer = Self::checked(
            self.http
                .get(self.url(&format!("/api/invoices/{number}/pdf")))
                .bearer_auth(token)
                .timeout(Duration::from_secs(60))
                .send()
                .await,
        )
        .await
        .map_err(|e| match e {
            DesktopError::RelayError(code) if code == "not_found" => {
                DesktopError::UnknownInvoice(number.to_owned())
            }
            other => other,
        })?;
        let pdf = answer
            .bytes()
            .await
            .map_err(|_| DesktopError::RelayUnreachable)?;
        Ok(pdf.to_vec())
    }

    pub async fn renew_link(&self, token: &str) -> Result<String, DesktopError> {
        let link: RenewLinkResponse = Self::read(
            self.http
                .post(self.url("/api/renew-link"))
                .bearer_auth(token)
                .timeout(Duration::from_secs(15))
                .send()
                .await,
        )
        .await?;
        Ok(link.url)
    }

    /// The company's name and SIREN.
    pub async fn company(&self, token: &str) -> Result<CompanyResponse, DesktopError> {
        Self::read(
            self.http
                .get(self.url("/api/company"))
                .bearer_auth(token)
                .timeout(Duration::from_secs(15))
                .send()
                .await,
        )
        .await
    }

    /// Records the company's SIREN; a number the relay refuses (wrong check digit, another one
    /// already on file) comes back with the relay's own French reason.
    pub async fn set_siren(
        &self,
        token: &str,
        siren: &str,
    ) -> Result<CompanyResponse, DesktopError> {
        let response = self
            .http
            .post(self.url("/api/company/siren"))
            .bearer_auth(token)
            .json(&erp_btp_protocol::SirenRequest {
                siren: siren.to_owned(),
            })
            .timeout(Duration::from_secs(15))
            .send()
            .await
            .map_err(|_| DesktopError::RelayUnreachable)?;
        if matches!(response.status().as_u16(), 409 | 422) {
            let body: ErrorBody = response
                .json()
                .await
                .map_err(|_| DesktopError::RelayError("réponse illisible".into()))?;
            return Err(DesktopError::SirenRefused(body.error.message));
        }
        Self::read(Ok(response)).await
    }
}

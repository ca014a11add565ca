//! The customer portal's API: `/v1/billing_portal/configurations` (which features the portal
//! offers: create, list, retrieve) and `POST /v1/billing_portal/sessions` (a short-lived page for one customer),
//! with Stripe's shapes and its refusal when no configuration exists. The page is `portal_page`.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::HeaderMap;
use serde_json::{Value, json};

use super::answer::{Answer, missing, newest_first, one, params, text};
use crate::Sandbox;
use crate::error::StripeError;

/// What a portal configuration lets the customer do.
#[derive(Debug, Clone)]
pub struct Configuration {
    pub id: String,
    pub payment_method_update: bool,
    pub subscription_cancel: bool,
    pub invoice_history: bool,
    pub created: i64,
}

#[derive(Debug, Clone)]
pub struct PortalSession {
    pub id: String,
    pub customer: String,
    pub configuration: String,
    pub return_url: Option<String>,
    pub url: String,
    pub created: i64,
}

fn flag(p: &Value, feature: &str) -> bool {
    p.pointer(&format!("/features/{feature}/enabled"))
        .and_then(Value::as_str)
        == Some("true")
}

pub fn configuration_json(c: &Configuration) -> Value {
    json!({
        "id": c.id, "object": "billing_portal.configuration", "active": true, "application": null,
        "business_profile": {"headline": null, "privacy_policy_url": null, "terms_of_service_url": null},
        "created": c.created, "default_return_url": null,
        "features": {
            "customer_update": {"allowed_updates": [], "enabled": false},
            "invoice_history": {"enabled": c.invoice_history},
            "payment_method_update": {"enabled": c.payment_method_update, "payment_method_configuration": null},
            "subscription_cancel": {"cancellation_reason": {"enabled": false, "options": []},
                "enabled": c.subscription_cancel, "mode": "at_period_end", "proration_behavior": "none"},
            "subscription_update": {"default_allowed_updates": [], "enabled": false, "products": null,
                "proration_behavior": "none", "schedule_at_period_end": {"conditions": []}, "trial_update_behavior": "continue_trial"},
        },
        "is_default": false, "livemode": false, "login_page": {"enabled": false, "url": null},
        "metadata": {}, "name": null, "updated": c.created,
    })
}

pub(super) async fn create_configuration(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(&body)?;
    if p.get("features").is_none() {
        return Err(StripeError::missing(
            "features",
            "Missing required param: features.",
        ));
    }
    if flag(&p, "subscription_cancel")
        && text(&p["features"]["subscription_cancel"], "mode").as_deref() == Some("immediately")
    {
        return Err(StripeError::invalid(
            "features[subscription_cancel][mode]",
            "The sandbox's portal cancels at the period's end only (`at_period_end`).".into(),
        ));
    }
    let config = Configuration {
        id: format!("bpc_{}", crate::random_id(24)),
        payment_method_update: flag(&p, "payment_method_update"),
        subscription_cancel: flag(&p, "subscription_cancel"),
        invoice_history: flag(&p, "invoice_history"),
        created: crate::now(),
    };
    let json = configuration_json(&config);
    sb.books()
        .portal_configurations
        .insert(config.id.clone(), config);
    Ok(Json(json))
}

/// Newest first, paginated.
pub(super) async fn list_configurations(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    RawQuery(query): RawQuery,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(query.unwrap_or_default().as_bytes())?;
    newest_first(
        sb.books().portal_configurations.values().collect(),
        |c: &Configuration| (c.created, &c.id),
        configuration_json,
        &p,
        "/v1/billing_portal/configurations",
    )
}

pub(super) async fn retrieve_configuration(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    Path(id): Path<String>,
) -> Answer {
    sb.authorize(&headers)?;
    one(
        &sb.books().portal_configurations,
        &id,
        "billing_portal.configuration",
        configuration_json,
    )
}

pub(super) async fn create_session(
    State(sb): State<Sandbox>,
    headers: HeaderMap,
    body: Bytes,
) -> Answer {
    sb.authorize(&headers)?;
    let p = params(&body)?;
    let customer = text(&p, "customer")
        .ok_or_else(|| StripeError::missing("customer", "Missing required param: customer."))?;
    let mut books = sb.books();
    if !books.customers.contains_key(&customer) {
        return Err(missing("customer", &customer, "customer"));
    }
    let configuration = match text(&p, "configuration") {
        Some(id) if books.portal_configurations.contains_key(&id) => id,
        Some(id) => return Err(missing("billing_portal.configuration", &id, "configuration")),
        None => books.portal_configurations.keys().next().cloned().ok_or_else(|| {
            StripeError::invalid(
                "configuration",
                "You can't create a portal session in test mode until you save your customer portal settings in test mode.".into(),
            )
        })?,
    };
    let return_url = text(&p, "return_url");
    if let (Some(url), Some(origin)) = (&return_url, &sb.config().return_origin) {
        crate::error::check_origin("return_url", url, origin)?;
    }
    let id = format!("bps_{}", crate::random_id(24));
    let session = PortalSession {
        url: format!("{}/p/session/{id}", sb.public_base()),
        id,
        customer,
        configuration,
        return_url,
        created: crate::now(),
    };
    let json = json!({
        "id": session.id, "object": "billing_portal.session", "configuration": session.configuration,
        "created": session.created, "customer": session.customer, "flow": null, "livemode": false,
        "locale": text(&p, "locale"), "on_behalf_of": null, "return_url": session.return_url, "url": session.url,
    });
    books.portal_sessions.insert(session.id.clone(), session);
    Ok(Json(json))
}

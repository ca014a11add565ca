//! The company's SIREN before any payment: a company without one gets 409 `siren_required` and
//! nothing is created; it gives its SIREN through `POST /api/company/siren` or the renew page's
//! form (Luhn-checked, 422 otherwise, never changed by a token once on file); a French VAT number
//! given at Stripe's checkout fills a missing one, and the facture names the buyer by it.

use relay::domain::ClientId;
use sqlx::Row;

use super::common::{self, Backend, World, start};

/// A company « 41 » registered without a SIREN, and its token.
async fn company_without_siren(w: &World) -> (ClientId, String) {
    let client = ClientId::parse("41").unwrap();
    let token = w
        .state
        .db
        .add_client(&client, "Plâtrerie Roux")
        .await
        .unwrap();
    (client, token)
}

async fn sessions_of(w: &World, client: &str) -> i64 {
    sqlx::query_scalar("SELECT COUNT(*) FROM checkout_sessions WHERE client_id = $1")
        .bind(client)
        .fetch_one(&w.state.db.pool)
        .await
        .unwrap()
}

async fn a_company_without_a_siren_cannot_pay_until_it_gives_one(backend: Backend) {
    let w = start(backend).await;
    let (client, token) = company_without_siren(&w).await;
    let checkout = r#"{"plan":"mensuel","renewal":"once"}"#;
    let (code, body) = w
        .post_json(
            "/api/stripe/create-checkout-session",
            Some(&token),
            checkout,
        )
        .await;
    assert_eq!(code, 409, "{body}");
    assert_eq!(body["error"]["code"], "siren_required");
    assert!(body["error"]["message"].as_str().unwrap().contains("SIREN"));
    assert_eq!(sessions_of(&w, "41").await, 0, "nothing created");
    assert!(
        w.state.db.customer(&client).await.unwrap().is_none(),
        "no Stripe customer either"
    );

    let (code, body) = w.get_json("/api/company", Some(&token)).await;
    assert_eq!((code, &body["siren"]), (200, &serde_json::Value::Null));

    // A mistyped number is refused with the reason, and nothing is stored.
    for (bad, reason) in [
        ("552 100 555", "clé de contrôle"),
        ("55210055", "9 chiffres"),
    ] {
        let (code, body) = w
            .post_json(
                "/api/company/siren",
                Some(&token),
                &format!(r#"{{"siren":"{bad}"}}"#),
            )
            .await;
        assert_eq!(
            (code, body["error"]["code"].as_str()),
            (422, Some("invalid_siren"))
        );
        assert!(
            body["error"]["message"].as_str().unwrap().contains(reason),
            "{body}"
        );
    }
    assert_eq!(
        w.state.db.company(&client).await.unwrap().unwrap().siren,
        None
    );

    let (code, body) = w
        .post_json(
            "/api/company/siren",
            Some(&token),
            r#"{"siren":"732 829 320"}"#,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(body["siren"], "732829320");
    // The same number again changes nothing; another one goes through the operator.
    let again = w
        .post_json(
            "/api/company/siren",
            Some(&token),
            r#"{"siren":"732829320"}"#,
        )
        .await;
    assert_eq!(again.0, 200);
    let (code, body) = w
        .post_json(
            "/api/company/siren",
            Some(&token),
            r#"{"siren":"552100554"}"#,
        )
        .await;
    assert_eq!(
        (code, body["error"]["code"].as_str()),
        (409, Some("siren_already_set"))
    );
    assert_eq!(
        w.state
            .db
            .company(&client)
            .await
            .unwrap()
            .unwrap()
            .siren
            .as_deref(),
        Some("732829320")
    );

    let (code, body) = w
        .post_json(
            "/api/stripe/create-checkout-session",
            Some(&token),
            checkout,
        )
        .await;
    assert_eq!(code, 200, "{body}");
    assert_eq!(sessions_of(&w, "41").await, 1);
}

async fn the_renew_page_asks_for_the_siren_before_offering_a_plan(backend: Backend) {
    let w = start(backend).await;
    let (client, _) = company_without_siren(&w).await;
    let link = w.state.keys.renew_token(&client, w.state.clock.timestamp());
    let page = w
        .get(&format!("/renew-subscription?link={link}"))
        .await
        .text()
        .await
        .unwrap();
    assert!(page.contains("id=\"siren-needed\"") && page.contains("À renseigner"));
    assert!(
        !page.contains("id=\"choose-mensuel\""),
        "no plan before the SIREN"
    );
    assert!(
        page.contains("hors de France"),
        "foreign companies are told why not"
    );

    let post = |siren: &'static str| {
        w.http
            .post(format!("{}/renew-subscription/siren", w.base))
            .form(&[("link", link.as_str()), ("siren", siren)])
            .send()
    };
    let refused = post("552100555").await.unwrap();
    assert_eq!(refused.status(), 422);
    assert!(refused.text().await.unwrap().contains("clé de contrôle"));
    // A forged link sets nothing.
    let forged = w
        .http
        .post(format!("{}/renew-subscription/siren", w.base))
        .form(&[("link", "forged"), ("siren", "732829320")])
        .send()
        .await
        .unwrap();
    assert_eq!(forged.status(), 403);
    assert_eq!(
        w.state.db.company(&client).await.unwrap().unwrap().siren,
        None
    );

    let saved = post("732 829 320").await.unwrap();
    assert_eq!(saved.status(), 303);
    let back = saved.headers()["location"].to_str().unwrap().to_owned();
    assert_eq!(back, format!("/renew-subscription?link={link}"));
    let page = w.get(&back).await.text().await.unwrap();
    assert!(page.contains("732 829 320") && page.contains("id=\"choose-mensuel\""));
    assert!(!page.contains("id=\"siren-needed\""));
}

/// A company that subscribed before the SIREN was asked for (its session recorded as then)
/// gives a French VAT number at Stripe's checkout: its SIREN is taken from it, and its facture
/// names it (BT-47); a VAT number whose key is wrong fills nothing.
async fn a_french_vat_number_given_at_checkout_fills_a_missing_siren(backend: Backend) {
    let w = start(backend).await;
    let (client, _) = company_without_siren(&w).await;
    for (vat, expected) in [
        ("FR45732829320", None),
        ("FR44732829320", Some("732829320")),
    ] {
        // Created as the relay did before it asked for a SIREN.
        let (_, url) = super::recorded_session(
            &w,
            ("41", "mensuel"),
            (4900, "eur"),
            "&tax_id_collection[enabled]=true",
        )
        .await;
        let fields = [
            ("method", "card"),
            ("card_number", common::billing::CARD_PAYS),
            ("expiry", "12/34"),
            ("cvc", "123"),
            ("tax_id", vat),
        ];
        assert_eq!(w.pay(&url, &fields).await.0, 303);
        w.sandbox.idle().await;
        let company = w.state.db.company(&client).await.unwrap().unwrap();
        assert_eq!(company.siren.as_deref(), expected, "{vat}");
    }
    let rows = sqlx::query("SELECT buyer_siren FROM factures WHERE client_id = '41' ORDER BY id")
        .fetch_all(&w.state.db.pool)
        .await
        .unwrap();
    let sirens: Vec<Option<String>> = rows.iter().map(|r| r.get(0)).collect();
    assert_eq!(sirens, [None, Some("732829320".to_owned())]);
}

crate::on_both_backends!(
    a_company_without_a_siren_cannot_pay_until_it_gives_one,
    the_renew_page_asks_for_the_siren_before_offering_a_plan,
    a_french_vat_number_given_at_checkout_fills_a_missing_siren,
);

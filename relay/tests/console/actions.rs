//! What an admin does from the console: a company added (its token once), renamed, given its
//! SIREN, revoked; a facture refunded; lost webhooks reconciled; a rejected event replayed.

use super::common::{self, Backend};
use super::{CHEF, PASSWORD, deliver, with_operator};
use relay::core::console::Role;

async fn an_admin_adds_a_company_sees_its_token_once_renames_it_and_revokes_it(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let cookie = format!("relay_console={}", me.0);
    let form = w.console_get("/admin/companies/new", Some(&me)).await;
    assert_eq!(form.status, 200);
    let csrf = form.csrf();
    let add = |siren: &'static str| {
        let (w, cookie, csrf) = (&w, &cookie, &csrf);
        async move {
            let fields = [
                ("csrf", csrf.as_str()),
                ("id", "40"),
                ("name", "Charpentes Martin"),
                ("siren", siren),
            ];
            w.console_post("/admin/companies", cookie, &fields).await
        }
    };
    let typo = add("732 829 321").await;
    assert_eq!(typo.status, 400);
    assert!(typo.body.contains("SIREN refusé"), "{}", typo.body);
    let forty = relay::domain::ClientId::parse("40").unwrap();
    assert!(
        !w.state.db.client_exists(&forty).await.unwrap(),
        "nothing stored"
    );

    let added = add("732 829 320").await;
    assert_eq!(added.status, 201, "{}", added.body);
    let start = added.body.find("value=\"erpbtp_").expect("the token, once") + 7;
    let token = added.body[start..].split('"').next().unwrap().to_owned();
    assert!(added.body.contains("il ne sera plus jamais affiché"));
    let (status, _) = w.get_json("/api/subscription", Some(&token)).await;
    assert_eq!(status, 200, "the new token opens the desktop API");
    let page = w.console_get("/admin/companies/40", Some(&me)).await.body;
    assert!(
        page.contains("732829320") && !page.contains(&token),
        "{page}"
    );
    assert_eq!(add("732 829 320").await.status, 400, "the id is taken");

    let renamed = w
        .console_post(
            "/admin/companies/40/name",
            &cookie,
            &[("csrf", &csrf), ("name", "Charpentes Martin et Fils")],
        )
        .await;
    assert_eq!(
        (renamed.status, renamed.location.as_deref()),
        (303, Some("/admin/companies/40"))
    );
    let siren = w
        .console_post(
            "/admin/companies/40/siren",
            &cookie,
            &[("csrf", &csrf), ("siren", "552100554")],
        )
        .await;
    assert_eq!(siren.status, 303);
    let page = w.console_get("/admin/companies/40", Some(&me)).await.body;
    assert!(
        page.contains("Charpentes Martin et Fils") && page.contains("552100554"),
        "{page}"
    );

    let confirm = w.console_get("/admin/companies/40/revoke", Some(&me)).await;
    assert!(
        confirm.body.contains("perd aussitôt l'accès"),
        "{}",
        confirm.body
    );
    let bare = w
        .console_post("/admin/companies/40/revoke", &cookie, &[])
        .await;
    assert_eq!(bare.status, 403, "no CSRF token, no revocation");
    assert_eq!(w.get_json("/api/subscription", Some(&token)).await.0, 200);
    let revoked = w
        .console_post("/admin/companies/40/revoke", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(revoked.status, 303);
    assert_eq!(
        w.get_json("/api/subscription", Some(&token)).await.0,
        401,
        "revoked at once"
    );
    let audit = w.console_get("/admin/audit", Some(&me)).await.body;
    for action in [
        "entreprise ajoutée",
        "entreprise renommée",
        "SIREN enregistré",
        "jeton révoqué",
    ] {
        assert!(audit.contains(action), "{action}: {audit}");
    }
}

async fn an_admin_refunds_a_facture_and_the_avoir_and_the_access_follow(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    w.buy("mensuel").await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let cookie = format!("relay_console={}", me.0);
    let company = w.console_get("/admin/companies/39", Some(&me)).await.body;
    let year = chrono::Utc::now().format("%Y").to_string();
    let number = format!("FA-{year}-000001");
    let path = format!("/admin/factures/{number}/refund");
    assert!(company.contains(&format!(r#"href="{path}""#)), "{company}");
    let confirm = w.console_get(&path, Some(&me)).await;
    assert!(
        confirm.body.contains("Reste remboursable"),
        "{}",
        confirm.body
    );
    let csrf = confirm.csrf();

    let too_much = w
        .console_post(&path, &cookie, &[("csrf", &csrf), ("amount", "60,00")])
        .await;
    assert_eq!(too_much.status, 400);
    assert!(
        too_much.body.contains("il ne reste que 49,00"),
        "{}",
        too_much.body
    );
    assert_eq!(
        w.console_post(&path, &cookie, &[("amount", "10,00")])
            .await
            .status,
        403
    );
    let done = w
        .console_post(
            &path,
            &cookie,
            &[
                ("csrf", &csrf),
                ("amount", ""),
                ("reason", "geste commercial"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(
        done.body.contains("Stripe a accepté le remboursement re_"),
        "{}",
        done.body
    );
    w.sandbox.idle().await;

    let company = w.console_get("/admin/companies/39", Some(&me)).await.body;
    assert!(
        company.contains(&format!("AV-{year}-000001")),
        "the avoir: {company}"
    );
    assert!(
        !company.contains(r#"id="state">actif"#),
        "access taken back: {company}"
    );
    assert!(
        !company.contains(&format!(r#"href="{path}""#)) && company.contains("remboursée"),
        "nothing left to refund, nothing offered: {company}"
    );
    let audit = w.console_get("/admin/audit", Some(&me)).await.body;
    assert!(
        audit.contains("remboursement demandé") && audit.contains("geste commercial"),
        "{audit}"
    );
    let again = w.console_post(&path, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(again.status, 400, "nothing left to refund");
}

async fn an_admin_reconciles_lost_webhooks_from_the_health_page(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    w.sandbox
        .set_delivery_options(stripe_sandbox::DeliveryOptions {
            drop: true,
            ..Default::default()
        });
    w.buy("mensuel").await;
    w.sandbox
        .set_delivery_options(stripe_sandbox::DeliveryOptions::default());
    let me = w.console_session(CHEF, PASSWORD).await;
    let cookie = format!("relay_console={}", me.0);
    let health = w.console_get("/admin/health", Some(&me)).await;
    assert!(
        health.body.contains("Aucun événement Stripe"),
        "the webhook was lost"
    );
    let csrf = health.csrf();
    let wrong = w
        .console_post(
            "/admin/reconcile",
            &cookie,
            &[("csrf", &csrf), ("hours", "0")],
        )
        .await;
    assert_eq!(wrong.status, 400);
    let run = w
        .console_post(
            "/admin/reconcile",
            &cookie,
            &[("csrf", &csrf), ("hours", "72")],
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.body);
    assert!(run.body.contains("1 appliqué(s)"), "{}", run.body);
    let company = w.console_get("/admin/companies/39", Some(&me)).await.body;
    assert!(company.contains(r#"id="state">actif"#), "{company}");
    let audit = w.console_get("/admin/audit", Some(&me)).await.body;
    assert!(audit.contains("réconciliation"), "{audit}");
}

async fn a_rejected_event_is_replayed_once_its_cause_is_fixed(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    // A relay whose plans file lost the annual plan rejects its payment…
    w.rejected_for_a_missing_plan().await;
    let forged = stripe_sandbox::fixtures::paid_checkout_event(
        "evt_forged",
        "cs_test_forged",
        "39",
        "annuel",
        49900,
    );
    deliver(&w, &forged).await;

    // … and the operator, on a relay whose file is restored, finds it and replays it.
    let me = w.console_session(CHEF, PASSWORD).await;
    let cookie = format!("relay_console={}", me.0);
    let refused = w
        .console_get("/admin/events?resultat=refuse", Some(&me))
        .await
        .body;
    assert!(
        refused.contains("rejected: unknown plan annuel"),
        "{refused}"
    );
    let page = w.console_get("/admin/events/evt_replay", Some(&me)).await;
    assert!(page.body.contains(r#"id="replay""#), "{}", page.body);
    let csrf = page.csrf();
    assert_eq!(w.expiry().await, None, "nothing granted yet");
    let replay = w
        .console_post(
            "/admin/events/evt_replay/replay",
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(replay.status, 303, "{}", replay.body);
    let page = w
        .console_get("/admin/events/evt_replay", Some(&me))
        .await
        .body;
    assert!(page.contains("<code>fulfilled</code>"), "{page}");
    assert!(
        w.expiry().await.unwrap() > common::now() + 360 * 86_400,
        "a year granted"
    );
    let company = w.console_get("/admin/companies/39", Some(&me)).await.body;
    assert!(
        company.contains(r#"id="state">actif"#) && company.contains("annuel"),
        "{company}"
    );

    // Once applied it is no longer replayed; a security rejection never is.
    let again = w
        .console_post(
            "/admin/events/evt_replay/replay",
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(again.status, 400);
    let forged_page = w
        .console_get("/admin/events/evt_forged", Some(&me))
        .await
        .body;
    assert!(forged_page.contains("refus de sécurité"), "{forged_page}");
    let forged = w
        .console_post(
            "/admin/events/evt_forged/replay",
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(forged.status, 400);
    assert!(forged.body.contains("refus de sécurité"), "{}", forged.body);
    let audit = w.console_get("/admin/audit", Some(&me)).await.body;
    assert!(
        audit.contains("evt_replay : rejected: unknown plan annuel → fulfilled"),
        "{audit}"
    );
}

crate::on_both_backends!(
    an_admin_adds_a_company_sees_its_token_once_renames_it_and_revokes_it,
    an_admin_refunds_a_facture_and_the_avoir_and_the_access_follow,
    an_admin_reconciles_lost_webhooks_from_the_health_page,
    a_rejected_event_is_replayed_once_its_cause_is_fixed,
);

//! The operator console at the HTTP level, on both databases: logging in and its limits, what a
//! session, a CSRF token and a role open, what ends a session, and the companies an operator finds.

mod common;

use common::console::Session;
use common::{Backend, World, start, start_with};
use relay::core::console::Role;

const CHEF: &str = "chef@erp-btp.fr";
const PASSWORD: &str = "échafaudage-2026";

async fn with_operator(backend: Backend, role: Role) -> World {
    let w = start(backend).await;
    w.add_operator(CHEF, role, PASSWORD).await;
    w
}

async fn an_operator_logs_in_and_finds_the_company_that_paid(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    w.buy("mensuel").await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let list = w.console_get("/admin", Some(&me)).await;
    assert_eq!(list.status, 200, "{}", list.body);
    assert!(list.body.contains("Maçonnerie Dupont"), "{}", list.body);
    assert!(
        list.body.contains(r#"<span class="tag good">actif</span>"#),
        "{}",
        list.body
    );
    assert!(list.body.contains("552100554"));
    assert!(list.body.contains("chef@erp-btp.fr (admin)"));
    let company = w.console_get("/admin/companies/39", Some(&me)).await;
    assert_eq!(company.status, 200, "{}", company.body);
    let year = chrono::Utc::now().format("%Y").to_string();
    assert!(
        company.body.contains(&format!("FA-{year}-")),
        "{}",
        company.body
    );
    assert!(company.body.contains("49,00\u{a0}€"), "{}", company.body);
    assert!(company.body.contains("<td>payée</td>"), "{}", company.body);
    let links = company
        .body
        .split("href=\"")
        .map(|s| s.split('"').next().unwrap());
    let pdf = links
        .into_iter()
        .find(|h| h.contains("/pdf?link="))
        .expect("a PDF link");
    let download = w.get(&pdf.replace("&amp;", "&")).await;
    assert_eq!(download.status(), 200);
    assert!(download.bytes().await.unwrap().starts_with(b"%PDF"));
    assert!(company.body.contains(r#"id="sessions""#));
    let audit = w.console_get("/admin/audit", Some(&me)).await;
    assert!(audit.body.contains("<td>connexion</td>"), "{}", audit.body);
    assert_eq!(
        w.console_get("/admin/companies/inconnue", Some(&me))
            .await
            .status,
        404
    );
}

async fn the_companies_are_found_by_name_id_or_siren_and_filtered_by_state(backend: Backend) {
    let w = with_operator(backend, Role::Lecture).await;
    w.buy("mensuel").await;
    for (id, name) in [("40", "Charpentes Martin"), ("41", "Plomberie 100% Durand")] {
        let id = relay::domain::ClientId::parse(id).unwrap();
        w.state.db.add_client(&id, name).await.unwrap();
    }
    let me = w.console_session(CHEF, PASSWORD).await;
    let names = |body: &str| {
        [
            "Maçonnerie Dupont",
            "Charpentes Martin",
            "Plomberie 100% Durand",
        ]
        .into_iter()
        .filter(|n| body.contains(n))
        .collect::<Vec<_>>()
    };
    let found = |path: &'static str| {
        let (w, me) = (&w, &me);
        async move { names(&w.console_get(path, Some(me)).await.body) }
    };
    assert_eq!(found("/admin?q=martin").await, ["Charpentes Martin"]);
    assert_eq!(found("/admin?q=552100554").await, ["Maçonnerie Dupont"]);
    assert_eq!(found("/admin?q=39").await, ["Maçonnerie Dupont"]);
    // `%` is a character to find, not a pattern.
    assert_eq!(found("/admin?q=100%25").await, ["Plomberie 100% Durand"]);
    assert_eq!(found("/admin?q=%25").await, ["Plomberie 100% Durand"]);
    assert_eq!(found("/admin?etat=actif").await, ["Maçonnerie Dupont"]);
    assert_eq!(
        found("/admin?etat=jamais-paye").await,
        ["Charpentes Martin", "Plomberie 100% Durand"]
    );
    assert_eq!(found("/admin?etat=expire").await, Vec::<&str>::new());
    let all = w.console_get("/admin", Some(&me)).await.body;
    assert!(all.contains("3 entreprises"), "{all}");
}

async fn a_wrong_password_is_refused_then_the_account_is_limited(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    for _ in 0..5 {
        let refused = w.console_login(CHEF, "pas-le-bon-mot-de-passe").await;
        assert_eq!(refused.status, 403);
        assert!(
            refused
                .body
                .contains("Adresse e-mail ou mot de passe incorrect.")
        );
        assert!(refused.cookie("relay_console").is_none());
    }
    // An unknown account gets the same answer.
    assert_eq!(
        w.console_login("inconnu@erp-btp.fr", PASSWORD).await.status,
        403
    );
    // The limit holds even for the right password, so that guessing learns nothing.
    let limited = w.console_login(CHEF, PASSWORD).await;
    assert_eq!(limited.status, 429);
    assert!(
        limited.body.contains("Trop de tentatives"),
        "{}",
        limited.body
    );
    assert!(limited.cookie("relay_console").is_none());
    let failures = w
        .count("SELECT COUNT(*) FROM operator_login_failures")
        .await;
    assert_eq!(failures, 6);
    // A quarter of an hour later the account may try again.
    w.state.clock.advance(15 * 60 + 1);
    assert_eq!(w.console_login(CHEF, PASSWORD).await.status, 303);
}

async fn the_pages_are_closed_without_a_session_and_to_a_companys_api_token(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    for path in ["/admin", "/admin/companies/39", "/admin/audit"] {
        let out = w.console_get(path, None).await;
        assert_eq!(
            (out.status, out.location.as_deref()),
            (303, Some("/admin/login")),
            "{path}"
        );
        let bearer = w
            .http
            .get(format!("{}{path}", w.base))
            .bearer_auth(&w.token)
            .send()
            .await
            .unwrap();
        assert_eq!(bearer.status(), 303, "{path} with the API token");
        let as_cookie = w.console_get(path, Some(&Session(w.token.clone()))).await;
        assert_eq!(
            as_cookie.status, 303,
            "{path} with the API token as a cookie"
        );
    }
    let page = w.console_get("/admin/login", None).await;
    let headers = w.get("/admin/login").await;
    assert!(page.body.contains("Connexion à la console"));
    let csp = headers.headers()["content-security-policy"]
        .to_str()
        .unwrap();
    assert!(
        csp.contains("default-src 'self'") && csp.contains("form-action 'self'"),
        "{csp}"
    );
    assert_eq!(headers.headers()["x-frame-options"], "DENY");
    assert_eq!(headers.headers()["cache-control"], "no-store");
    let cookie = headers.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    assert!(cookie.contains("Path=/admin"), "{cookie}");
}

async fn a_post_without_its_csrf_token_is_refused_and_changes_nothing(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    // The login form without its cookie, then with a field that is not the cookie's.
    let bare = w
        .console_post(
            "/admin/login",
            "",
            &[("email", CHEF), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(bare.status, 403);
    assert!(bare.body.contains("Formulaire refusé"), "{}", bare.body);
    let forged = w
        .console_post(
            "/admin/login",
            "relay_console_login=abc",
            &[("csrf", "abd"), ("email", CHEF), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(forged.status, 403);
    assert!(forged.cookie("relay_console").is_none());
    let me = w.console_session(CHEF, PASSWORD).await;
    let cookie = format!("relay_console={}", me.0);
    let logout = w.console_post("/admin/logout", &cookie, &[]).await;
    assert_eq!(logout.status, 403);
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        200,
        "still signed in"
    );
}

async fn logout_removal_and_a_new_password_each_end_the_session_at_once(backend: Backend) {
    let w = with_operator(backend, Role::Admin).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let csrf = w.console_get("/admin", Some(&me)).await.csrf();
    let cookie = format!("relay_console={}", me.0);
    let out = w
        .console_post("/admin/logout", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(
        (out.status, out.location.as_deref()),
        (303, Some("/admin/login"))
    );
    assert_eq!(out.cookie("relay_console"), Some(""));
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after logout"
    );

    let me = w.console_session(CHEF, PASSWORD).await;
    let hash = relay::console::password::hash("un-autre-mot-de-passe");
    let now = w.state.clock.timestamp();
    assert!(
        w.state
            .db
            .set_operator_password(CHEF, &hash, now)
            .await
            .unwrap()
    );
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after passwd"
    );
    assert_eq!(w.console_login(CHEF, PASSWORD).await.status, 403);

    let me = w.console_session(CHEF, "un-autre-mot-de-passe").await;
    assert!(w.state.db.remove_operator(CHEF).await.unwrap());
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after remove"
    );

    // And a session ends by itself after eight hours.
    w.add_operator(CHEF, Role::Lecture, PASSWORD).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    w.state.clock.advance(8 * 3600 + 1);
    assert_eq!(
        w.console_get("/admin", Some(&me)).await.status,
        303,
        "after 8 h"
    );
}

/// Delivers `body` signed as Stripe signs it; the webhook must take it.
async fn deliver(w: &World, body: &str) {
    let header = stripe_sandbox::fixtures::sign_now(common::SECRET, body);
    assert_eq!(w.deliver(body, Some(&header)).await, 200);
}

async fn the_events_journal_answers_whether_webhooks_arrive_and_what_they_did(backend: Backend) {
    let w = with_operator(backend, Role::Lecture).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let health = w.console_get("/admin/health", Some(&me)).await;
    assert!(
        health
            .body
            .contains("Aucun événement Stripe depuis plus de 24 h"),
        "{}",
        health.body
    );
    assert!(health.body.contains("PA_MODE=off"), "{}", health.body);

    w.buy("mensuel").await;
    let forged = stripe_sandbox::fixtures::paid_checkout_event(
        "evt_forged",
        "cs_test_forged",
        "39",
        "mensuel",
        4900,
    );
    deliver(&w, &forged).await;
    deliver(&w, &forged).await;

    let all = w.console_get("/admin/events", Some(&me)).await.body;
    assert!(all.contains("checkout.session.completed"), "{all}");
    assert!(
        all.contains("fulfilled") && all.contains("evt_forged"),
        "{all}"
    );
    let refused = w
        .console_get("/admin/events?resultat=refuse", Some(&me))
        .await
        .body;
    assert!(
        refused.contains("rejected: session not created by this relay"),
        "{refused}"
    );
    assert!(!refused.contains("fulfilled"), "{refused}");
    assert_eq!(
        refused.matches("evt_forged</a>").count(),
        1,
        "a duplicate is counted, not listed"
    );
    // The company's events: the payment's, not the forged one (which names 39 in its metadata).
    let company = w
        .console_get("/admin/events?entreprise=39", Some(&me))
        .await
        .body;
    assert!(
        company.contains("fulfilled") && !company.contains("evt_forged"),
        "{company}"
    );
    let page = w.console_get("/admin/companies/39", Some(&me)).await.body;
    assert!(
        page.contains(r#"id="company-events""#) && page.contains("fulfilled"),
        "{page}"
    );
    let typed = w
        .console_get(
            "/admin/events?type=customer.subscription.created",
            Some(&me),
        )
        .await;
    assert!(
        typed.body.contains("Aucun événement ne correspond."),
        "{}",
        typed.body
    );

    let event = w.console_get("/admin/events/evt_forged", Some(&me)).await;
    assert_eq!(event.status, 200);
    assert!(
        event
            .body
            .contains("&#34;id&#34;: &#34;cs_test_forged&#34;"),
        "the raw body: {}",
        event.body
    );
    assert_eq!(
        w.console_get("/admin/events/evt_inconnu", Some(&me))
            .await
            .status,
        404
    );

    let health = w.console_get("/admin/health", Some(&me)).await.body;
    assert!(
        !health.contains("Aucun événement Stripe depuis plus de 24 h"),
        "{health}"
    );
    assert!(health.contains("1 refusé(s)"), "{health}");
    assert!(health.contains("1 doublon(s)"), "{health}");
    assert!(health.contains("test · 1 secret(s) de webhook"), "{health}");
    assert!(!health.contains(common::SECRET), "never a secret's value");
}

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

async fn a_lecture_operator_sees_no_forms_and_is_refused_when_posting_one(backend: Backend) {
    let w = with_operator(backend, Role::Lecture).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let page = w.console_get("/admin/companies/39", Some(&me)).await;
    assert!(
        !page.body.contains("company-actions") && !page.body.contains("Révoquer"),
        "{}",
        page.body
    );
    assert!(
        !w.console_get("/admin", Some(&me))
            .await
            .body
            .contains("new-company")
    );
    let csrf = page.csrf();
    let cookie = format!("relay_console={}", me.0);
    let refused = w
        .console_post("/admin/companies/39/revoke", &cookie, &[("csrf", &csrf)])
        .await;
    assert_eq!(refused.status, 403);
    assert!(refused.body.contains("Action réservée"), "{}", refused.body);
    assert_eq!(
        w.get_json("/api/subscription", Some(&w.token)).await.0,
        200,
        "not revoked"
    );
    let fields = [("csrf", csrf.as_str()), ("id", "41"), ("name", "X")];
    assert_eq!(
        w.console_post("/admin/companies", &cookie, &fields)
            .await
            .status,
        403
    );
    assert_eq!(
        w.console_get("/admin/companies/new", Some(&me))
            .await
            .status,
        403
    );
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

async fn the_console_is_absent_when_turned_off(backend: Backend) {
    let w = start_with(backend, &[("RELAY_ADMIN", "off")]).await;
    w.add_operator(CHEF, Role::Admin, PASSWORD).await;
    for path in ["/admin", "/admin/login", "/admin/console.css"] {
        assert_eq!(w.get(path).await.status(), 404, "{path}");
    }
}

on_both_backends!(
    an_operator_logs_in_and_finds_the_company_that_paid,
    the_companies_are_found_by_name_id_or_siren_and_filtered_by_state,
    a_wrong_password_is_refused_then_the_account_is_limited,
    the_pages_are_closed_without_a_session_and_to_a_companys_api_token,
    a_post_without_its_csrf_token_is_refused_and_changes_nothing,
    logout_removal_and_a_new_password_each_end_the_session_at_once,
    the_console_is_absent_when_turned_off,
    the_events_journal_answers_whether_webhooks_arrive_and_what_they_did,
    an_admin_adds_a_company_sees_its_token_once_renames_it_and_revokes_it,
    a_lecture_operator_sees_no_forms_and_is_refused_when_posting_one,
    an_admin_refunds_a_facture_and_the_avoir_and_the_access_follow,
    an_admin_reconciles_lost_webhooks_from_the_health_page,
);

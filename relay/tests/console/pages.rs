//! What an operator reads: the companies (search, filters, a company's factures and events),
//! the events journal and the health page.

use super::common::{self, Backend};
use super::{CHEF, PASSWORD, deliver, with_operator};
use relay::core::console::Role;

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
    assert_eq!(
        w.deliver(&forged, Some("t=1,v1=00")).await,
        400,
        "a bad signature"
    );

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
    assert!(health.contains("1 refusées ("), "{health}");
    assert!(
        health.contains("\u{a0}%, 4xx"),
        "the share of refusals: {health}"
    );
    assert!(health.contains("test · 1 secret(s) de webhook"), "{health}");
    assert!(!health.contains(common::SECRET), "never a secret's value");
}

async fn the_money_page_shows_revenue_net_of_avoirs_and_the_open_disputes(backend: Backend) {
    let w = with_operator(backend, Role::Lecture).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let empty = w.console_get("/admin/money", Some(&me)).await.body;
    assert!(
        empty.contains("Aucune facture émise") && empty.contains("Aucune contestation ouverte")
    );

    let paid = w.buy("mensuel").await;
    let intent = w.sandbox.session(&paid).unwrap().payment_intent.unwrap();
    w.refund_at_stripe(&intent, Some(1000)).await;
    let (_, url) = w.checkout("mensuel").await;
    assert_eq!(
        w.pay_card(&url, stripe_sandbox::disputes::CARD_DISPUTED)
            .await
            .0,
        303
    );
    w.sandbox.idle().await;

    let money = w.console_get("/admin/money", Some(&me)).await.body;
    let cells = |label: &str| format!("<td class=\"num\">{label}\u{a0}€</td>");
    // Two factures of 49 €, an avoir of 10 €; HT 2 × 40,83 − 8,33.
    for amount in ["98,00", "10,00", "88,00", "73,33"] {
        assert!(money.contains(&cells(amount)), "{amount}: {money}");
    }
    assert!(money.contains("<svg class=\"chart\""), "{money}");
    let disputes = &money[money.find(r#"id="disputes""#).unwrap()..];
    assert!(
        disputes.contains(r#"href="/admin/companies/39""#),
        "{disputes}"
    );
    assert!(
        disputes.contains("49,00\u{a0}€") && disputes.contains("needs_response"),
        "{disputes}"
    );
    let contested = w.console_get("/admin?etat=conteste", Some(&me)).await.body;
    assert!(contested.contains("Maçonnerie Dupont"), "{contested}");
}

crate::on_both_backends!(
    the_money_page_shows_revenue_net_of_avoirs_and_the_open_disputes,
    an_operator_logs_in_and_finds_the_company_that_paid,
    the_companies_are_found_by_name_id_or_siren_and_filtered_by_state,
    the_events_journal_answers_whether_webhooks_arrive_and_what_they_did,
);

//! The operator console's answer to « nos factures sont-elles bien déposées ? » with a real
//! platform on its own port: the rejected document with what to do, and whether the platform
//! answers right now.

use super::common::Backend;
use super::*;
use relay::core::console::Role;

async fn the_health_page_shows_a_rejected_facture_and_whether_the_platform_answers(
    backend: Backend,
) {
    let (w, pa) = with_platform(backend, &[]).await;
    let token = company(&w, "61", "Toitures Martin", pa_sandbox::REJECTED_SIREN).await;
    pay_once(&w, &token).await;
    assert_eq!(
        transmission_becomes(&w, &token, "rejected").await,
        "rejected"
    );

    w.add_operator("chef@erp-btp.fr", Role::Lecture, "échafaudage-2026")
        .await;
    let me = w
        .console_session("chef@erp-btp.fr", "échafaudage-2026")
        .await;
    let health = w.console_get("/admin/health", Some(&me)).await.body;
    let problems = health.split(r#"id="problems""#).nth(1).expect(&health);
    assert!(
        problems.contains("213") && problems.contains(r#"href="/admin/companies/61""#),
        "{problems}"
    );
    let up = r#"<dd class="reach"><span class="tag good">joignable ("#;
    assert_eq!(health.matches(up).count(), 2, "{health}");
    assert!(!health.contains("PA_MODE=off"), "{health}");
    assert!(!health.contains("pa-secret-for-tests"), "never a secret");

    pa.set_down(true);
    let health = w.console_get("/admin/health", Some(&me)).await.body;
    let down = r#"<dd class="reach"><span class="tag bad">plateforme injoignable"#;
    assert_eq!(health.matches(down).count(), 2, "{health}");
}

crate::on_both_backends!(the_health_page_shows_a_rejected_facture_and_whether_the_platform_answers,);

//! The company's SIREN from the window: a company without one is asked for it and cannot pay
//! before; a mistyped number or a second one is refused with the relay's French reason.

use erp_btp_desktop::error::DesktopError;
use erp_btp_protocol::RenewalChoice;

use super::common::start;
use super::secret_store;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_company_without_a_siren_gives_it_before_it_can_pay() {
    secret_store();
    let w = start().await;
    sqlx::query("UPDATE clients SET siren = NULL WHERE id = '39'")
        .execute(&w.state.db.pool)
        .await
        .unwrap();
    w.desktop.login(&w.base, &w.token).await.unwrap();
    let company = w.desktop.company().await.unwrap();
    assert_eq!(
        (company.name.as_str(), company.siren),
        ("Maçonnerie Dupont", None)
    );
    assert!(matches!(
        w.desktop
            .start_renewal("mensuel", RenewalChoice::Once)
            .await,
        Err(DesktopError::SirenRequired)
    ));
    assert!(w.opened.lock().unwrap().is_empty(), "no checkout opened");

    match w.desktop.set_siren("552 100 555").await {
        Err(DesktopError::SirenRefused(reason)) => {
            assert!(reason.contains("clé de contrôle"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    let company = w.desktop.set_siren(" 552100554 ").await.unwrap();
    assert_eq!(company.siren.as_deref(), Some("552 100 554"));
    match w.desktop.set_siren("732 829 320").await {
        Err(DesktopError::SirenRefused(reason)) => {
            assert!(reason.contains("déjà enregistré"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    w.desktop
        .start_renewal("mensuel", RenewalChoice::Once)
        .await
        .unwrap();
    assert_eq!(w.opened.lock().unwrap().len(), 1);
}

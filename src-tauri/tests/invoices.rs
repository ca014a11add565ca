//! The « Factures » view against a real relay (in-process, sandbox Stripe, real HTTP): a payment
//! made from the app lists its facture, « Ouvrir » opens the relay's signed link for that
//! facture in the browser, « Enregistrer » writes the PDF into the downloads folder, and a number
//! that is not the company's is refused.

mod common;

use common::{renew_and_wait, start};
use erp_btp_desktop::error::DesktopError;
use erp_btp_protocol::RenewalChoice;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_payment_lists_its_facture_which_opens_in_the_browser_and_saves_as_pdf() {
    keyring_core::set_default_store(keyring_core::mock::Store::new().unwrap());
    let w = start().await;
    w.desktop.login(&w.base, &w.token).await.unwrap();
    assert!(w.desktop.invoices().await.unwrap().is_empty());
    renew_and_wait(&w, "mensuel", RenewalChoice::Once).await;
    let list = w.desktop.invoices().await.unwrap();
    assert_eq!(list.len(), 1);
    let f = &list[0];
    assert!(
        f.number.starts_with("FA-") && f.number.ends_with("-000001"),
        "{f:?}"
    );
    assert_eq!(
        f.amounts,
        "49\u{a0}€ TTC (40,83\u{a0}€ HT + 8,17\u{a0}€ TVA)"
    );
    assert!(f.period.starts_with("du ") && f.period.contains(" au "));

    w.opened.lock().unwrap().clear();
    w.desktop.open_invoice(&f.number).await.unwrap();
    let opened = w.opened.lock().unwrap().clone();
    let prefix = format!("{}/api/invoices/{}/pdf?link=", w.base, f.number);
    assert!(
        opened.len() == 1 && opened[0].starts_with(&prefix),
        "{opened:?}"
    );
    let pdf = reqwest::get(&opened[0]).await.unwrap();
    assert_eq!(pdf.status(), 200, "the link opens without the token");
    assert!(pdf.bytes().await.unwrap().starts_with(b"%PDF-"));

    let saved = w.desktop.save_invoice(&f.number).await.unwrap();
    assert!(
        saved.ends_with(&format!("Téléchargements/{}.pdf", f.number)),
        "{saved}"
    );
    assert!(std::fs::read(&saved).unwrap().starts_with(b"%PDF-"));

    for bad in ["FA-2026-999999", "../../etc/passwd", "FA-2026-00000/"] {
        assert!(
            matches!(
                w.desktop.save_invoice(bad).await,
                Err(DesktopError::UnknownInvoice(_))
            ),
            "{bad}"
        );
    }
    assert!(matches!(
        w.desktop.open_invoice("FA-2026-999999").await,
        Err(DesktopError::UnknownInvoice(_))
    ));
}

//! What the company page adds to the list: the renewal link an admin sends, and the company's
//! subscription history with each payment's effect on its access; and the accountant's export
//! from the money page, read back by Python's own `zipfile`.

use super::common::{self, Backend};
use super::{CHEF, PASSWORD, with_operator};
use relay::core::console::Role;

async fn an_admin_sends_a_renewal_link_that_opens_the_renewal_page_for_three_days(
    backend: Backend,
) {
    let w = with_operator(backend, Role::Admin).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let cookie = format!("relay_console={}", me.0);
    let company = w.console_get("/admin/companies/39", Some(&me)).await;
    assert!(
        company.body.contains(r#"id="renew-link""#),
        "{}",
        company.body
    );
    let csrf = company.csrf();
    let path = "/admin/companies/39/renew-link";
    assert_eq!(w.console_post(path, &cookie, &[]).await.status, 403);

    let sent = w.console_post(path, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(sent.status, 200, "{}", sent.body);
    let start = sent
        .body
        .find("/renew-subscription?link=")
        .expect("the link");
    let link = sent.body[start..].split('"').next().unwrap().to_owned();
    assert!(
        sent.body.contains("il ne sera plus affiché"),
        "{}",
        sent.body
    );
    let renewal = w.console_get(&link, None).await;
    assert_eq!(renewal.status, 200, "{}", renewal.body);
    assert!(renewal.body.contains("Mensuel"), "{}", renewal.body);

    let audit = w.console_get("/admin/audit", Some(&me)).await.body;
    assert!(audit.contains("lien de renouvellement créé"), "{audit}");
    let token = link.rsplit('=').next().unwrap();
    assert!(!audit.contains(token), "the link is not kept: {audit}");

    // Still open two days later, closed after the third.
    w.state.clock.advance(71 * 3600);
    assert_eq!(w.console_get(&link, None).await.status, 200);
    w.state.clock.advance(2 * 3600);
    assert_ne!(w.console_get(&link, None).await.status, 200);
}

async fn a_reader_cannot_send_a_renewal_link(backend: Backend) {
    let w = with_operator(backend, Role::Lecture).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let company = w.console_get("/admin/companies/39", Some(&me)).await;
    assert!(!company.body.contains(r#"id="renew-link""#));
    let csrf = company.csrf();
    let cookie = format!("relay_console={}", me.0);
    let refused = w
        .console_post(
            "/admin/companies/39/renew-link",
            &cookie,
            &[("csrf", &csrf)],
        )
        .await;
    assert_eq!(refused.status, 403);
    assert!(!refused.body.contains("renew-subscription?link="));
}

async fn the_history_shows_each_payment_and_refund_with_its_effect_on_the_paid_period(
    backend: Backend,
) {
    let w = with_operator(backend, Role::Admin).await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let empty = w.console_get("/admin/companies/39", Some(&me)).await.body;
    assert!(empty.contains("Aucun paiement reçu"), "{empty}");
    w.buy("mensuel").await;
    w.buy("mensuel").await;
    let year = chrono::Utc::now().format("%Y").to_string();
    let path = format!("/admin/factures/FA-{year}-000002/refund");
    let csrf = w.console_get(&path, Some(&me)).await.csrf();
    let cookie = format!("relay_console={}", me.0);
    let done = w.console_post(&path, &cookie, &[("csrf", &csrf)]).await;
    assert_eq!(done.status, 200, "{}", done.body);
    w.sandbox.idle().await;

    let page = w.console_get("/admin/companies/39", Some(&me)).await.body;
    let table = page
        .split(r#"id="history""#)
        .nth(1)
        .expect("the history")
        .split("</table>")
        .next()
        .unwrap();
    let rows: Vec<&str> = table.split("<tr>").skip(2).collect();
    assert_eq!(rows.len(), 3, "{table}");
    // Newest first: the refund takes the second month back, each payment added one.
    assert!(
        rows[0].contains("Remboursement") && rows[0].contains("−30 jours"),
        "{}",
        rows[0]
    );
    assert!(
        rows[1].contains("Paiement ponctuel") && rows[1].contains("+30 jours"),
        "{}",
        rows[1]
    );
    assert!(
        rows[2].contains("49,00") && rows[2].contains("payé jusqu&#39;au"),
        "{}",
        rows[2]
    );
}

async fn a_reader_downloads_the_accountants_export_of_a_month_as_a_zip(backend: Backend) {
    let w = with_operator(backend, Role::Lecture).await;
    w.buy("mensuel").await;
    let me = w.console_session(CHEF, PASSWORD).await;
    let money = w.console_get("/admin/money", Some(&me)).await.body;
    let month = relay::core::numbering::paris_date(common::now())
        .format("%Y-%m")
        .to_string();
    assert!(money.contains(&format!(r#"value="{month}""#)), "{money}");
    let bad = w
        .console_get("/admin/money/export?periode=2026-13", Some(&me))
        .await;
    assert_eq!(bad.status, 400);
    assert!(
        bad.body.contains("une année (2026) ou un mois"),
        "{}",
        bad.body
    );
    assert_eq!(
        w.console_get(&format!("/admin/money/export?periode={month}"), None)
            .await
            .status,
        303,
        "logged out: to the login page"
    );

    let answer = w
        .http
        .get(format!("{}/admin/money/export?periode={month}", w.base))
        .header("cookie", format!("relay_console={}", me.0))
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 200);
    assert_eq!(answer.headers()["content-type"], "application/zip");
    assert_eq!(
        answer.headers()["content-disposition"],
        format!("attachment; filename=\"factures-{month}.zip\"").as_str()
    );
    let zip = answer.bytes().await.unwrap();
    let path = std::env::temp_dir().join(format!("export_{}.zip", stripe_sandbox::random_id(8)));
    std::fs::write(&path, &zip).unwrap();
    let read = std::process::Command::new("python3")
        .args(["-c", "import sys, zipfile\nz = zipfile.ZipFile(sys.argv[1])\nassert z.testzip() is None\nfor i in z.infolist(): print(i.filename, i.file_size, z.read(i)[:5])"])
        .arg(&path)
        .output()
        .unwrap();
    let _ = std::fs::remove_file(&path);
    let listing = String::from_utf8_lossy(&read.stdout);
    assert!(
        read.status.success(),
        "{}",
        String::from_utf8_lossy(&read.stderr)
    );
    let year = &month[..4];
    assert!(
        listing.contains(&format!("FA-{year}-000001.pdf")) && listing.contains("b'%PDF-'"),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("FA-{year}-000001.xml")),
        "{listing}"
    );
    assert!(
        listing.contains(&format!("factures-{month}.csv")),
        "{listing}"
    );
    assert_eq!(listing.lines().count(), 3, "{listing}");
    let audit = w.console_get("/admin/audit", Some(&me)).await.body;
    assert!(audit.contains("export comptable téléchargé"), "{audit}");
}

crate::on_both_backends!(
    a_reader_downloads_the_accountants_export_of_a_month_as_a_zip,
    the_history_shows_each_payment_and_refund_with_its_effect_on_the_paid_period,
    an_admin_sends_a_renewal_link_that_opens_the_renewal_page_for_three_days,
    a_reader_cannot_send_a_renewal_link,
);

//! Where the independent validators and the accountant's export must fail, and how: a buyer
//! without a SIREN breaks the French reform's rules; a facture the export cannot write is listed
//! with its reason while every other one is written.

use super::common::{Backend, start};
use super::support::{download, export, fresh_dir, invoices, validate};

/// The validators can fail: a buyer without a SIREN (a facture issued before the relay asked
/// for one) breaks the French reform's rule on the buyer's identifier (BR-FR-11) and its
/// electronic address, and the run says so.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_validators_reject_a_facture_whose_buyer_has_no_siren() {
    let w = start(Backend::Sqlite).await;
    w.buy("mensuel").await;
    // Rendered at its first download from what was stored at issue.
    sqlx::query("UPDATE factures SET buyer_siren = NULL")
        .execute(&w.state.db.pool)
        .await
        .unwrap();
    let list = invoices(&w, &w.token).await;
    let dir = fresh_dir("factures-no-siren");
    let (code, pdf) = download(&w, list[0]["pdf_url"].as_str().unwrap(), None).await;
    assert_eq!(code, 200);
    std::fs::write(
        dir.join(format!("{}.pdf", list[0]["number"].as_str().unwrap())),
        pdf,
    )
    .unwrap();
    let (ok, report) = validate(&dir);
    assert!(!ok, "{report}");
    assert!(report.contains("BR-FR"), "{report}");
}

/// `relay invoices export` never stops midway: a facture it cannot write (here its PDF's place
/// is taken by a folder) is listed with the reason, every other one and the index are written,
/// and only then does it exit non-zero. A company name a spreadsheet would run is shown as
/// text, and every file is its owner's alone.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_export_writes_every_facture_it_can_lists_the_others_and_exits_non_zero() {
    use std::os::unix::fs::PermissionsExt;
    let w = start(Backend::Sqlite).await;
    sqlx::query("UPDATE clients SET name = '=HYPERLINK(\"http://x\")'")
        .execute(&w.state.db.pool)
        .await
        .unwrap();
    w.buy("mensuel").await;
    w.buy("mensuel").await;
    let list = invoices(&w, &w.token).await;
    let numbers: Vec<&str> = list.iter().map(|i| i["number"].as_str().unwrap()).collect();
    let year = &numbers[0][3..7];
    let to = fresh_dir("export-partial");
    std::fs::create_dir_all(to.join(format!("{}.pdf", numbers[1]))).unwrap();
    let out = export(&w, year, &to);
    let (said, err) = (
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr),
    );
    assert_eq!(out.status.code(), Some(1), "{said}{err}");
    assert!(said.starts_with("1 facture(s)"), "{said}");
    assert!(
        err.contains(&format!("Facture {} non exportée", numbers[1])),
        "{err}"
    );
    let csv = std::fs::read_to_string(to.join(format!("factures-{year}.csv"))).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 3, "both factures are in the index: {csv}");
    assert!(
        rows[1..].iter().all(|r| r.contains(";\"'=HYPERLINK(")),
        "{csv}"
    );
    let failed = rows.iter().find(|r| r.starts_with(numbers[1])).unwrap();
    assert!(
        failed.ends_with("écriture impossible : Is a directory (os error 21)"),
        "{failed}"
    );
    for file in [
        format!("{}.pdf", numbers[0]),
        format!("factures-{year}.csv"),
    ] {
        let mode = std::fs::metadata(to.join(&file))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600, "{file}");
    }
}

//! Factures issued by the relay, one per payment, numbered in the payment's own transaction:
//! a one-off payment and a year of automatic renewals give thirteen factures numbered without a
//! gap (the zero invoice of a deferred first charge bills nothing), duplicates issue nothing, a
//! burst of payments for one company chains its periods under consecutive numbers, and two
//! instances receiving payments at once share one gap-free series.

mod common;

use common::billing::months_after;
use common::{Backend, World, start};

const HOUR: i64 = 3600;

/// (number, seq, source, period start, period end, TTC, HT, TVA, year), in issue order.
type Row = (String, i64, String, i64, i64, i64, i64, i64, i64);

async fn factures(w: &World) -> Vec<Row> {
    use sqlx::Row;
    let rows = sqlx::query(
        "SELECT id / 1000000, id % 1000000, source, period_start, period_end, total_cents
         FROM factures ORDER BY id",
    )
    .fetch_all(&w.state.db.pool)
    .await
    .unwrap();
    rows.iter()
        .map(|r| {
            let (year, seq, ttc): (i64, i64, i64) = (r.get(0), r.get(1), r.get(5));
            let (ht, tva) = relay::core::amounts::split_ttc(ttc);
            let number =
                relay::core::numbering::number(relay::core::numbering::Series::Facture, year, seq);
            (
                number,
                seq,
                r.get(2),
                r.get(3),
                r.get(4),
                ttc,
                ht,
                tva,
                year,
            )
        })
        .collect()
}

async fn a_one_off_payment_and_a_year_of_renewals_give_thirteen_factures_without_a_gap(
    backend: Backend,
) {
    let w = start(backend).await;
    let (clock, _) = w.new_clock().await;
    let session = w.buy("mensuel").await;
    let prepaid = w.expiry().await.unwrap();
    w.subscribe("mensuel", &clock).await;
    for month in 0..12 {
        w.advance(&clock, months_after(prepaid, month) + 2 * HOUR)
            .await;
    }
    // Every event of the year once more: nothing is billed twice.
    for event in w.sandbox.events() {
        let header = stripe_sandbox::fixtures::sign_now(common::SECRET, &event.body);
        assert_eq!(w.deliver(&event.body, Some(&header)).await, 200);
    }
    let all = factures(&w).await;
    assert_eq!(all.len(), 13, "{all:?}");
    // One series per calendar year, each numbered from 1 without a gap, in issue order.
    let mut expected = (0, 0);
    for f in &all {
        expected = match f.8 == expected.0 {
            true => (f.8, expected.1 + 1),
            false => (f.8, 1),
        };
        assert_eq!(f.1, expected.1, "gap-free: {all:?}");
        assert_eq!(f.0, format!("FA-{}-{:06}", f.8, f.1));
        assert_eq!(
            (f.5, f.6, f.7),
            (4900, 4083, 817),
            "49 € TTC = 40,83 HT + 8,17 TVA"
        );
    }
    assert!(all.windows(2).all(|p| p[0].8 <= p[1].8), "years in order");
    assert_eq!(all[0].2, session, "the one-off payment first");
    assert_eq!((all[0].3, all[0].4), (prepaid - 30 * 86_400, prepaid));
    for (month, f) in all[1..].iter().enumerate() {
        assert!(f.2.starts_with("in_"), "{f:?}");
        let start = months_after(prepaid, month as u32);
        assert_eq!(
            (f.3, f.4),
            (start, months_after(prepaid, month as u32 + 1)),
            "month {month}"
        );
    }
    let buyer = "SELECT COUNT(*) FROM factures WHERE buyer_name = 'Maçonnerie Dupont'";
    assert_eq!(
        w.count(buyer).await,
        13,
        "the buyer is kept on each facture"
    );
}

on_both_backends!(a_one_off_payment_and_a_year_of_renewals_give_thirteen_factures_without_a_gap);

/// Payments arriving faster than the writer commits them, each delivered twice, so that batches
/// hold several payments of one company and copies of payments another batch holds: each
/// payment extends the company once, from where the one before left it, under the next number.
async fn a_burst_of_payments_for_one_company_extends_it_once_each_in_one_gap_free_series(
    backend: Backend,
) {
    let w = start(backend).await;
    let before = common::now();
    let payments = 150;
    let ids: Vec<String> = (0..payments)
        .map(|i| format!("cs_test_burst_{i}"))
        .collect();
    w.created_sessions(&ids, "mensuel").await;
    let mut sent = Vec::new();
    for i in 0..payments {
        let body = stripe_sandbox::fixtures::paid_checkout_event(
            &format!("evt_burst_{i}"),
            &format!("cs_test_burst_{i}"),
            "39",
            "mensuel",
            4900,
        );
        for _ in 0..2 {
            sent.push(tokio::spawn(w.send_webhook(&w.base, &body)));
        }
    }
    for answer in sent {
        assert_eq!(answer.await.unwrap().unwrap().status(), 200);
    }
    let all = factures(&w).await;
    let seqs: Vec<i64> = all.iter().map(|f| f.1).collect();
    assert_eq!(seqs, (1..=payments).collect::<Vec<_>>(), "one each, no gap");
    assert!(
        all.windows(2).all(|p| p[1].3 == p[0].4),
        "each period starts where the one numbered before ends: {all:?}"
    );
    let expiry = w.expiry().await.unwrap();
    assert_eq!(
        expiry,
        all[all.len() - 1].4,
        "the last facture ends at the expiry"
    );
    let paid = payments * 30 * common::DAY;
    assert!((before + paid..=common::now() + paid).contains(&expiry));
    let version = "SELECT version FROM subscriptions WHERE client_id = '39'";
    assert_eq!(w.count(version).await, payments, "one version per payment");
}

on_both_backends!(a_burst_of_payments_for_one_company_extends_it_once_each_in_one_gap_free_series);

/// Two instances on one PostgreSQL, 40 payments each delivered to both at once.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_instances_share_one_gap_free_series() {
    let w = start(Backend::Postgres).await;
    let other = common::start_relay(&w.db.url, &w.sandbox_base).await;
    let ids: Vec<String> = (0..40).map(|i| format!("cs_test_pair_{i}")).collect();
    w.created_sessions(&ids, "mensuel").await;
    let mut sent = Vec::new();
    for i in 0..40 {
        let body = stripe_sandbox::fixtures::paid_checkout_event(
            &format!("evt_pair_{i}"),
            &format!("cs_test_pair_{i}"),
            "39",
            "mensuel",
            4900,
        );
        for base in [&w.base, &other.base] {
            let request = w.send_webhook(base, &body);
            sent.push(tokio::spawn(request));
        }
    }
    for answer in sent {
        assert_eq!(answer.await.unwrap().unwrap().status(), 200);
    }
    let all = factures(&w).await;
    let seqs: Vec<i64> = all.iter().map(|f| f.1).collect();
    assert!(all.iter().all(|f| f.8 == all[0].8), "one year");
    assert_eq!(
        seqs,
        (1..=40).collect::<Vec<_>>(),
        "unique and without a gap"
    );
    other.stop();
}

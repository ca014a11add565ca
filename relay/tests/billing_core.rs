//! One rule, two databases: each case of payments runs through the pure renewal rule
//! (`relay::core::access::fold`) and through the writer's transaction on SQLite and on
//! PostgreSQL, and the stored access must be the fold's, to the second.

mod common;

use common::{Backend, DAY, TestDb};
use relay::core::access::{Access, Payment, fold};
use relay::db::Db;
use relay::domain::ClientId;
use relay::fulfil::{Outcome, Work};
use relay::plans::Catalogue;
use serde_json::json;

const T: i64 = 1_790_000_000;

/// What one batch of the writer holds.
#[derive(Clone, Copy)]
enum Paid {
    /// A one-off checkout of plan `mensuel` (30 days) or `annuel` (365 days).
    Once(&'static str),
    /// An automatic-renewal invoice paying a period that ends then.
    Invoice(i64),
}

struct Case {
    name: &'static str,
    /// Batches, each at its time.
    batches: Vec<(i64, Vec<Paid>)>,
}

fn cases() -> Vec<Case> {
    use Paid::*;
    vec![
        Case {
            name: "a first payment",
            batches: vec![(T, vec![Once("mensuel")])],
        },
        Case {
            name: "an early renewal",
            batches: vec![
                (T, vec![Once("mensuel")]),
                (T + 10 * DAY, vec![Once("annuel")]),
            ],
        },
        Case {
            name: "an expired restart",
            batches: vec![
                (T, vec![Once("mensuel")]),
                (T + 400 * DAY, vec![Once("mensuel")]),
            ],
        },
        Case {
            name: "two payments of one company in one batch",
            batches: vec![(T, vec![Once("mensuel"), Once("annuel")])],
        },
        Case {
            name: "prepaid time, then automatic renewal",
            batches: vec![
                (T, vec![Once("annuel")]),
                (T + 365 * DAY, vec![Invoice(T + 395 * DAY)]),
            ],
        },
        Case {
            name: "a cancelled subscription's last period, then a one-off payment",
            batches: vec![
                (T, vec![Invoice(T + 30 * DAY)]),
                (T + 5 * DAY, vec![Once("mensuel")]),
            ],
        },
        Case {
            name: "an invoice delivered after a later one",
            batches: vec![
                (T, vec![Invoice(T + 60 * DAY)]),
                (T + DAY, vec![Invoice(T + 30 * DAY), Once("mensuel")]),
            ],
        },
    ]
}

fn expected(case: &Case) -> Access {
    let plans = Catalogue::default();
    fold(case.batches.iter().flat_map(|(at, paid)| {
        paid.iter().map(|p| match *p {
            Paid::Once(plan) => Payment::OneOff {
                paid_at: *at,
                duration: plans.get(plan).unwrap().duration_days * DAY,
            },
            Paid::Invoice(period_end) => Payment::Invoice { period_end },
        })
    }))
}

fn work(body: String) -> Work {
    Work::Event {
        event: relay::stripe::parse_event(body.as_bytes()).unwrap(),
        payload: body,
        subscription: None,
        refunds: Vec::new(),
    }
}

fn invoice_paid(n: usize, period_end: i64) -> String {
    let invoice = json!({
        "id": format!("in_case_{n}"), "object": "invoice", "customer": "cus_case",
        "status": "paid", "amount_paid": 4900, "amount_due": 4900, "currency": "eur",
        "livemode": false,
        "parent": {"subscription_details": {"subscription": "sub_case",
            "metadata": {"client_id": "39", "plan": "mensuel"}}},
        "lines": {"data": [{"period": {"start": period_end - 30 * DAY, "end": period_end},
            "parent": {"subscription_item_details": {"subscription": "sub_case"}}}]},
    });
    stripe_sandbox::fixtures::event_body(&format!("evt_in_{n}"), "invoice.paid", invoice, T)
}

/// Runs `case` through the writer on a fresh database; the stored access, and the database.
async fn through_the_writer(backend: Backend, case: &Case) -> (Access, Db, TestDb) {
    let test_db = TestDb::new(backend).await;
    let db = Db::connect(&test_db.url).await.unwrap();
    db.migrate().await.unwrap();
    let client = ClientId::parse("39").unwrap();
    db.add_client(&client, "Maçonnerie Dupont").await.unwrap();
    db.keep_customer(&client, "cus_case", None).await.unwrap();
    let plans = Catalogue::default();
    let mut n = 0;
    for (at, paid) in &case.batches {
        let mut works = Vec::new();
        for p in paid {
            n += 1;
            works.push(match *p {
                Paid::Once(plan) => {
                    let session = format!("cs_test_case_{n}");
                    common::created_sessions(&db, &[(session.clone(), "39".into(), plan.into())])
                        .await;
                    let price = plans.get(plan).unwrap().price_cents;
                    work(stripe_sandbox::fixtures::paid_checkout_event(
                        &format!("evt_cs_{n}"),
                        &session,
                        "39",
                        plan,
                        price,
                    ))
                }
                Paid::Invoice(end) => work(invoice_paid(n, end)),
            });
        }
        let refs: Vec<&Work> = works.iter().collect();
        let mut conn = db.pool.acquire().await.unwrap();
        let outcomes = relay::writer::commit(
            &mut conn,
            &plans,
            relay::domain::PaymentOrigin::Test,
            &refs,
            relay::core::Timestamp::from_unix(*at),
        )
        .await
        .unwrap();
        for outcome in &outcomes {
            assert!(
                matches!(outcome, Outcome::Fulfilled { .. } | Outcome::Renewal { .. }),
                "{}: {outcome:?}",
                case.name
            );
        }
    }
    let row = db.subscription(&client).await.unwrap().unwrap();
    assert_eq!(
        db.unexplained_access().await.unwrap(),
        [],
        "{}: the stored payments rebuild the stored access",
        case.name
    );
    let stored = Access {
        prepaid_until: row.expires_at,
        paid_until: row.renewal.paid_until,
    };
    (stored, db, test_db)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_case_stores_what_the_pure_rule_computes_on_both_databases() {
    for case in cases() {
        let want = expected(&case);
        for backend in [Backend::Sqlite, Backend::Postgres] {
            let (got, db, _test_db) = through_the_writer(backend, &case).await;
            assert_eq!(got, want, "{} on {backend:?}", case.name);
            db.pool.close().await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_expiry_changed_behind_the_relays_back_is_reported_as_unexplained() {
    let case = &cases()[1];
    let (stored, db, _test_db) = through_the_writer(Backend::Sqlite, case).await;
    sqlx::query("UPDATE subscriptions SET expires_at = expires_at + 86400")
        .execute(&db.pool)
        .await
        .unwrap();
    let found = db.unexplained_access().await.unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].client, "39");
    assert_eq!(
        found[0].rebuilt, stored,
        "the payments still buy what they bought"
    );
    db.pool.close().await;
}

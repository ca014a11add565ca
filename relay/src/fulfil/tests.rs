//! The cases a reader of the payment path looks for first, on a real SQLite file: a payment
//! delivered twice, a payment for a company that is gone, storage failing under the writer, and a
//! batch statement failing midway.

use super::*;
use crate::core::rejection::Rejection;
use crate::db::scratch::{ScratchDb, paid_monthly_event, record_monthly_session};
use crate::domain::ClientId;
use crate::writer::Writer;

const NOW: Timestamp = Timestamp::from_unix(1_790_000_000);

/// A fresh database with company 39 and the session `cs_test_<n>` the relay created for
/// `client`, plan mensuel.
async fn world(name: &str, client: &str) -> ScratchDb {
    let scratch = ScratchDb::new(&format!("fulfil_{name}")).await;
    let db = &scratch.db;
    db.add_client(&ClientId::parse("39").unwrap(), "Maçonnerie Dupont")
        .await
        .unwrap();
    let client = ClientId::parse(client).unwrap();
    record_monthly_session(db, name, &client, PaymentOrigin::Test, NOW).await;
    scratch
}

fn paid(name: &str, event: &str, client: &str) -> Work {
    let body = paid_monthly_event(name, event, client);
    Work::Event {
        event: crate::stripe::parse_event(body.as_bytes()).unwrap(),
        payload: body,
        subscription: None,
        refunds: Vec::new(),
    }
}

#[tokio::test]
async fn a_payment_delivered_twice_in_one_batch_extends_once() {
    let scratch = world("twice", "39").await;
    let db = &scratch.db;
    let (first, again) = (paid("twice", "evt_1", "39"), paid("twice", "evt_2", "39"));
    let mut conn = db.pool.acquire().await.unwrap();
    let outcomes = apply_batch(
        &mut conn,
        &[&first, &first, &again],
        &Catalogue::default(),
        PaymentOrigin::Test,
        NOW,
    )
    .await
    .unwrap();
    assert!(
        matches!(outcomes[0], Outcome::Fulfilled { expires_at, .. } if expires_at == NOW.plus(30 * 86_400).unix())
    );
    assert_eq!(outcomes[1], Outcome::Duplicate, "the same event again");
    assert_eq!(
        outcomes[2],
        Outcome::AlreadyHandled(SessionState::Fulfilled),
        "another event for the same payment"
    );
    drop(conn);
    scratch.remove().await;
}

#[tokio::test]
async fn a_payment_for_a_company_that_is_gone_is_rejected_and_extends_nothing() {
    let scratch = world("gone", "77").await;
    let db = &scratch.db;
    let work = paid("gone", "evt_gone", "77");
    let mut conn = db.pool.acquire().await.unwrap();
    let outcomes = apply_batch(
        &mut conn,
        &[&work],
        &Catalogue::default(),
        PaymentOrigin::Test,
        NOW,
    )
    .await
    .unwrap();
    assert_eq!(
        outcomes,
        [Outcome::Rejected(Rejection::UnknownClient("77".into()))]
    );
    let (state, reason): (String, String) = sqlx::query_as(
        "SELECT state, reason FROM checkout_sessions WHERE session_id = 'cs_test_gone'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        (state.as_str(), reason.as_str()),
        ("rejected", "unknown client 77")
    );
    drop(conn);
    scratch.remove().await;
}

#[tokio::test]
async fn storage_failing_under_the_writer_answers_an_error_and_acknowledges_nothing() {
    let scratch = world("broken", "39").await;
    let db = &scratch.db;
    // The journal gone: the batch's transaction fails, as on a full disk or a lost database.
    sqlx::query("DROP TABLE stripe_events")
        .execute(&db.pool)
        .await
        .unwrap();
    let writer = Writer::spawn(
        db.clone(),
        std::sync::Arc::new(Catalogue::default()),
        crate::changes::Changes::default(),
        crate::metrics::Metrics::default(),
        crate::clock::Clock::default(),
        PaymentOrigin::Test,
    );
    let answer = writer.submit(paid("broken", "evt_broken", "39")).await;
    assert!(answer.is_err(), "{answer:?}");
    let state: String = sqlx::query_scalar(
        "SELECT state FROM checkout_sessions WHERE session_id = 'cs_test_broken'",
    )
    .fetch_one(&db.pool)
    .await
    .unwrap();
    assert_eq!(state, "open", "the claim was rolled back with the rest");
    let expires: Option<i64> =
        sqlx::query_scalar("SELECT expires_at FROM subscriptions WHERE client_id = '39'")
            .fetch_one(&db.pool)
            .await
            .unwrap();
    assert_eq!(expires, None, "nothing extended");
    drop(writer);
    scratch.remove().await;
}

/// On SQLite the batch statements fail `OR FAIL` (no statement journal): a statement failing at
/// its second row keeps its first inside the transaction, and the writer's rollback removes it
/// with the rest of the batch.
#[tokio::test]
async fn a_batch_statement_failing_midway_leaves_nothing_once_the_batch_is_rolled_back() {
    let scratch = world("midway_a", "39").await;
    let db = &scratch.db;
    let company = ClientId::parse("39").unwrap();
    record_monthly_session(db, "midway_b", &company, PaymentOrigin::Test, NOW).await;
    sqlx::query(
        "CREATE TRIGGER refuse_b BEFORE INSERT ON stripe_events WHEN NEW.event_id = 'evt_b'
         BEGIN SELECT RAISE(FAIL, 'refused'); END",
    )
    .execute(&db.pool)
    .await
    .unwrap();
    let (a, b) = (
        paid("midway_a", "evt_a", "39"),
        paid("midway_b", "evt_b", "39"),
    );
    let mut tx = db.pool.begin().await.unwrap();
    let result = apply_batch(
        &mut tx,
        &[&a, &b],
        &Catalogue::default(),
        PaymentOrigin::Test,
        NOW,
    )
    .await;
    assert!(result.is_err(), "{result:?}");
    let kept: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM stripe_events")
        .fetch_one(&mut *tx)
        .await
        .unwrap();
    assert_eq!(
        kept, 1,
        "the row written before the failing one, until the rollback"
    );
    tx.rollback().await.unwrap();
    let count = |sql: &'static str| async move {
        sqlx::query_scalar::<_, i64>(sql)
            .fetch_one(&db.pool)
            .await
            .unwrap()
    };
    assert_eq!(count("SELECT COUNT(*) FROM stripe_events").await, 0);
    assert_eq!(count("SELECT COUNT(*) FROM factures").await, 0);
    assert_eq!(
        count("SELECT COUNT(*) FROM checkout_sessions WHERE state = 'open'").await,
        2,
        "both claims undone"
    );
    assert_eq!(
        count("SELECT COUNT(*) FROM subscriptions WHERE expires_at IS NOT NULL").await,
        0,
        "nothing extended"
    );
    scratch.remove().await;
}

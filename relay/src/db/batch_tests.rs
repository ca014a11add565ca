//! The batch statements on a real SQLite file: the renewal rule as the writer applies it, and
//! the claim that returns each company's cached access.

use super::*;
use crate::db::scratch::{ScratchDb, record_monthly_session};
use crate::domain::{PaymentOrigin, SessionId};

fn ext<'a>(client: &'a ClientId, plan: &str, duration_days: i64) -> Extension<'a> {
    Extension {
        client,
        // A test's few plan ids live as long as it does.
        plan: Box::leak(Box::new(PlanId::parse(plan).unwrap())),
        duration_days,
    }
}

#[tokio::test]
async fn renewal_adds_to_a_running_subscription_and_restarts_an_expired_one() {
    let scratch = ScratchDb::new("renewal_rule").await;
    let db = &scratch.db;
    let (client, other) = (
        ClientId::parse("39").unwrap(),
        ClientId::parse("41").unwrap(),
    );
    db.add_client(&client, "X").await.unwrap();
    db.add_client(&other, "Y").await.unwrap();
    let (now, day) = (1_771_666_200, 86_400);
    let mut conn = db.pool.acquire().await.unwrap();
    let first = extend_subscriptions(
        &mut conn,
        &[ext(&client, "mensuel", 30)],
        &mut KnownAccess::new(),
        Timestamp::from_unix(now),
    )
    .await
    .unwrap();
    assert_eq!(
        first,
        [Some((now + 30 * day, 1))],
        "a first payment starts now"
    );
    let early = extend_subscriptions(
        &mut conn,
        &[ext(&client, "annuel", 365)],
        &mut KnownAccess::new(),
        Timestamp::from_unix(now + 10 * day),
    )
    .await
    .unwrap();
    assert_eq!(
        early,
        [Some((now + 395 * day, 2))],
        "an early renewal adds to the current expiry"
    );
    let unknown = ClientId::parse("40").unwrap();
    let batch = [
        ext(&client, "mensuel", 30),
        ext(&unknown, "mensuel", 30),
        ext(&other, "annuel", 365),
        ext(&client, "mensuel", 30),
    ];
    let late = extend_subscriptions(
        &mut conn,
        &batch,
        &mut KnownAccess::new(),
        Timestamp::from_unix(now + 400 * day),
    )
    .await
    .unwrap();
    assert_eq!(
        late,
        [
            Some((now + 430 * day, 3)),
            None,
            Some((now + 765 * day, 1)),
            Some((now + 460 * day, 4)),
        ],
        "an expired subscription restarts from now; a second payment in the batch adds to the first; an unknown company is none"
    );
    drop(conn);
    scratch.remove().await;
}

#[tokio::test]
async fn a_claim_returns_its_companys_cached_access_with_the_session() {
    let scratch = ScratchDb::new("claim_access").await;
    let db = &scratch.db;
    let client = ClientId::parse("39").unwrap();
    db.add_client(&client, "X").await.unwrap();
    let (now, session) = (1_771_666_200, SessionId::parse("cs_test_claim").unwrap());
    let at = Timestamp::from_unix(now);
    record_monthly_session(db, "claim", &client, PaymentOrigin::Test, at).await;
    let mut conn = db.pool.acquire().await.unwrap();
    let mut known = KnownAccess::new();
    extend_subscriptions(
        &mut conn,
        &[ext(&client, "mensuel", 30)],
        &mut known,
        Timestamp::from_unix(now),
    )
    .await
    .unwrap();
    let facts = SessionFacts {
        id: session,
        client_id: Some("39".into()),
        plan: Some("mensuel".into()),
        amount_total: Some(4900),
        currency: Some("eur".into()),
        payment_status: None,
        status: None,
        livemode: false,
        subscription: None,
        buyer: None,
        payment_intent: Some("pi_claimed".into()),
    };
    let claimed = claim_for_fulfilment(&mut conn, &[&facts], Timestamp::from_unix(now))
        .await
        .unwrap();
    assert!(claimed.sessions.contains("cs_test_claim"));
    let intent: Option<String> = sqlx::query_scalar(
        "SELECT payment_intent FROM checkout_sessions WHERE session_id = 'cs_test_claim'",
    )
    .fetch_one(&mut *conn)
    .await
    .unwrap();
    assert_eq!(
        intent.as_deref(),
        Some("pi_claimed"),
        "what a refund will name"
    );
    assert_eq!(claimed.access.get("39"), known.get("39"));
    assert_eq!(known["39"].prepaid_until, Some(now + 30 * 86_400));
    drop(conn);
    scratch.remove().await;
}

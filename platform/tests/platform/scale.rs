//! Scale-out: two instances over one PostgreSQL database and one blob store ingest the same
//! receipts concurrently and share the verification jobs, without duplicates, lost jobs or
//! false chain findings.

use crate::support::*;
use axum::http::StatusCode;
use ereceipt_platform::app;

const M: &str = "898310048990001";

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_instances_share_one_postgres() {
    let h = Harness::new(Backend::Postgres).await;
    let key = h.merchant(M, "Star Café").await;
    let second = h.site.instance(unlimited()).await;
    let apps = [h.app.clone(), app(second.clone())];
    let mut receipts = Vec::new();
    for n in 0..3 {
        let mut t = Terminal::enroll(&h, M, &format!("T{n}")).await;
        receipts.extend((0..6).map(|_| t.issue()));
    }
    // Every receipt goes to both instances at the same moment, in reverse order on the second.
    let mut tasks = tokio::task::JoinSet::new();
    for (i, a) in receipts.iter().enumerate() {
        let b = &receipts[receipts.len() - 1 - i];
        let [first, second] = apps.clone();
        let (a, b) = (
            (a.id.clone(), a.envelope.clone()),
            (b.id.clone(), b.envelope.clone()),
        );
        tasks.spawn(async move {
            let (x, y) = tokio::join!(send(&first, put(&a.0, a.1)), send(&second, put(&b.0, b.1)));
            [x.status, y.status]
        });
    }
    let statuses: Vec<StatusCode> = tasks.join_all().await.into_iter().flatten().collect();
    let created = statuses
        .iter()
        .filter(|s| **s == StatusCode::CREATED)
        .count();
    let duplicate = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(
        (created, duplicate),
        (receipts.len(), receipts.len()),
        "{statuses:?}"
    );

    let listed = h.get("/v1/merchant/receipts?limit=500", &key).await.json();
    assert_eq!(listed["receipts"].as_array().unwrap().len(), receipts.len());
    let terminals = h.get("/v1/merchant/terminals", &key).await.json();
    for t in terminals["terminals"].as_array().unwrap() {
        assert_eq!(t["open_findings"], 0, "no false gaps: {t}");
        assert_eq!(t["receipts"], 6, "each receipt counted once: {t}");
    }

    let (a, b) = tokio::join!(
        ereceipt_platform::worker::run_due_jobs(&h.state),
        ereceipt_platform::worker::run_due_jobs(&second),
    );
    assert_eq!(
        a.unwrap() + b.unwrap(),
        receipts.len(),
        "each job ran exactly once"
    );
    assert_eq!(
        ereceipt_platform::worker::pending_jobs(&h.state)
            .await
            .unwrap(),
        0
    );
    let listed = h.get("/v1/merchant/receipts?limit=500", &key).await.json();
    for r in listed["receipts"].as_array().unwrap() {
        assert_eq!(r["verification"], "verified");
    }
}

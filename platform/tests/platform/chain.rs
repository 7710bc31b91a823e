//! Chain continuity: out-of-order arrival resolves its gaps, a lost receipt stays a gap, a
//! restored chain state shows as a fork.

use crate::support::*;
use axum::http::StatusCode;
use serde_json::Value;

const M: &str = "898310048990001";

async fn findings(h: &Harness, key: &str) -> Vec<Value> {
    let body = h.get("/v1/merchant/terminals", key).await.json();
    body["terminals"][0]["findings"]
        .as_array()
        .cloned()
        .unwrap_or_default()
}

fn open(findings: &[Value]) -> Vec<(String, i64)> {
    findings
        .iter()
        .filter(|f| f["open"] == true)
        .map(|f| {
            (
                f["kind"].as_str().unwrap().to_owned(),
                f["counter"].as_i64().unwrap(),
            )
        })
        .collect()
}

async fn out_of_order_arrival(backend: Backend) {
    let h = Harness::new(backend).await;
    let key = h.merchant(M, "Star Café").await;
    let mut t = Terminal::enroll(&h, M, "SH000001").await;
    let receipts: Vec<Sealed> = (0..5).map(|_| t.issue()).collect();
    for i in [0, 1, 3, 4] {
        let r = &receipts[i];
        assert_eq!(
            h.put(&r.id, r.envelope.clone()).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(open(&findings(&h, &key).await), [("gap".to_owned(), 3)]);
    let late = &receipts[2];
    assert_eq!(
        h.put(&late.id, late.envelope.clone()).await.status,
        StatusCode::CREATED
    );
    let all = findings(&h, &key).await;
    assert!(
        open(&all).is_empty(),
        "the gap closed when its receipt arrived: {all:?}"
    );
    assert_eq!(all.len(), 1, "the resolved gap stays visible");
    assert!(all[0]["resolved_at"].is_string());
    let terminals = h.get("/v1/merchant/terminals", &key).await.json();
    assert_eq!(terminals["terminals"][0]["open_findings"], 0);
    assert_eq!(terminals["terminals"][0]["receipts"], 5);
}

on_both!(out_of_order, out_of_order_arrival);

async fn lost_receipts_and_forks(backend: Backend) {
    let h = Harness::new(backend).await;
    let key = h.merchant(M, "Star Café").await;
    let mut t = Terminal::enroll(&h, M, "SH000001").await;
    let first = t.issue();
    let after_first = t.chain;
    let _lost = t.issue();
    let third = t.issue();
    for r in [&first, &third] {
        assert_eq!(
            h.put(&r.id, r.envelope.clone()).await.status,
            StatusCode::CREATED
        );
    }
    // A terminal restored from a backup issues counter 2 again.
    t.chain = after_first;
    let fork = t.issue();
    assert_eq!(
        h.put(&fork.id, fork.envelope.clone()).await.status,
        StatusCode::CREATED
    );
    let all = findings(&h, &key).await;
    let open = open(&all);
    // The fork's own counter 2 closed the gap (its receipt exists) but does not chain into 3.
    assert!(open.contains(&("chain_break".to_owned(), 3)), "{all:?}");
    // Counter 2 once more: a fork with the first counter-2 receipt.
    let again = {
        t.chain = after_first;
        t.issue()
    };
    assert_eq!(
        h.put(&again.id, again.envelope.clone()).await.status,
        StatusCode::CREATED
    );
    let all = findings(&h, &key).await;
    assert!(
        all.iter().any(|f| f["kind"] == "fork"
            && f["counter"] == 2
            && f["receipt_id"] == again.id.as_str()),
        "{all:?}"
    );
    let detail = h
        .get(&format!("/v1/merchant/receipts/{}", again.id), &key)
        .await
        .json();
    assert!(
        detail["chain_findings"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["kind"] == "fork")
    );
}

on_both!(gaps_and_forks, lost_receipts_and_forks);

async fn a_lost_receipt_stays_a_gap(backend: Backend) {
    let h = Harness::new(backend).await;
    let key = h.merchant(M, "Star Café").await;
    let mut t = Terminal::enroll(&h, M, "SH000001").await;
    let first = t.issue();
    let _lost = t.issue();
    let third = t.issue();
    for r in [&first, &third] {
        assert_eq!(
            h.put(&r.id, r.envelope.clone()).await.status,
            StatusCode::CREATED
        );
    }
    assert_eq!(open(&findings(&h, &key).await), [("gap".to_owned(), 2)]);
}

on_both!(lost_receipt, a_lost_receipt_stays_a_gap);

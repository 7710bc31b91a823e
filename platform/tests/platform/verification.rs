//! The background verification job: every stored receipt ends with a recorded result.

use crate::support::*;
use axum::http::StatusCode;
use ereceipt_core::Transaction;
use ereceipt_core::signature::Signature;

const M: &str = "898310048990001";

fn signed_sale() -> (Transaction, Signature) {
    let tx = std::fs::read_to_string(data("transactions/cny-sale.json")).unwrap();
    let strokes = std::fs::read_to_string(data("signatures/wang-xiaoming.json")).unwrap();
    (
        Transaction::from_json(&tx).unwrap(),
        Signature::from_json(&strokes).unwrap(),
    )
}

async fn verification_results(backend: Backend) {
    let h = Harness::new(backend).await;
    let key = h.merchant(M, "上海静安星光咖啡馆").await;
    // The sample's own merchant and terminal: `merchant add --id` made them match.
    let mut t = Terminal::enroll(&h, M, "SH000001").await;
    let (tx, strokes) = signed_sale();
    let good = t.issue_transaction(&tx, Some(&strokes));
    let mut unsigned_payload = t.issue().payload;
    let unsigned_id = {
        let record =
            ereceipt_core::record::ReceiptRecord::decode(&unsigned_payload.record).unwrap();
        record.receipt_id
    };
    unsigned_payload.signature = None;
    let unsigned = t.seal(unsigned_id, unsigned_payload);
    // An image of another receipt inside this receipt's envelope.
    let mut swapped_payload = t.issue().payload;
    let swapped_id = ereceipt_core::record::ReceiptRecord::decode(&swapped_payload.record)
        .unwrap()
        .receipt_id;
    swapped_payload.png = good.payload.png.clone();
    let swapped = t.seal(swapped_id, swapped_payload);
    for r in [&good, &unsigned, &swapped] {
        assert_eq!(
            h.put(&r.id, r.envelope.clone()).await.status,
            StatusCode::CREATED
        );
    }
    let detail = |id: String| {
        let (h, key) = (&h, &key);
        async move {
            h.get(&format!("/v1/merchant/receipts/{id}"), key)
                .await
                .json()
        }
    };
    assert_eq!(
        detail(good.id.clone()).await["verification"]["status"],
        "pending"
    );
    assert_eq!(h.run_jobs().await, 3);
    assert_eq!(
        ereceipt_platform::worker::pending_jobs(&h.state)
            .await
            .unwrap(),
        0
    );

    let g = detail(good.id.clone()).await;
    assert_eq!(g["verification"]["status"], "verified", "{g}");
    assert_eq!(g["verification"]["report"]["authentic"], true);
    assert_eq!(g["findings"].as_array().unwrap().len(), 0);
    assert_eq!(
        g["record"]["transaction"]["trace_number"],
        tx.trace_number()
    );
    assert_eq!(g["signed"], true);

    let u = detail(unsigned.id.clone()).await;
    assert_eq!(u["signed"], false);
    assert_eq!(u["verification"]["status"], "failed");
    let kinds: Vec<&str> = u["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"unsigned"), "{kinds:?}");

    let s = detail(swapped.id.clone()).await;
    assert_eq!(s["verification"]["status"], "failed", "{s}");
    let kinds: Vec<&str> = s["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["kind"].as_str().unwrap())
        .collect();
    assert!(kinds.contains(&"record_match"), "{kinds:?}");

    let list = h
        .get("/v1/merchant/receipts?verification=failed", &key)
        .await;
    assert_eq!(
        list.status,
        StatusCode::BAD_REQUEST,
        "unknown filters are refused"
    );
}

on_both!(verification_jobs, verification_results);

async fn search_and_export(backend: Backend) {
    let h = Harness::new(backend).await;
    let key = h.merchant(M, "Star Café").await;
    let mut terminals = [
        Terminal::enroll(&h, M, "T1").await,
        Terminal::enroll(&h, M, "T2").await,
    ];
    let mut ids = Vec::new();
    for (t, amount) in [(0, 100), (0, 5000), (1, 250), (1, 9000), (0, 700)] {
        let r = terminals[t].issue_amount(amount);
        assert_eq!(h.put(&r.id, r.envelope).await.status, StatusCode::CREATED);
        ids.push(r.id);
    }
    let count = |uri: &str| {
        let (h, key, uri) = (&h, &key, uri.to_owned());
        async move {
            h.get(&uri, key).await.json()["receipts"]
                .as_array()
                .unwrap()
                .len()
        }
    };
    assert_eq!(count("/v1/merchant/receipts?terminal=T2").await, 2);
    assert_eq!(
        count("/v1/merchant/receipts?min_amount=500&max_amount=6000&currency=CNY").await,
        2
    );
    assert_eq!(
        count("/v1/merchant/receipts?min_amount=1&currency=EUR").await,
        0
    );
    assert_eq!(
        count("/v1/merchant/receipts?trace=000002").await,
        2,
        "T1 and T2 both count traces"
    );
    assert_eq!(
        count("/v1/merchant/receipts?from=2026-11-22&to=2026-11-22").await,
        5
    );
    assert_eq!(count("/v1/merchant/receipts?from=2026-11-23").await, 0);
    assert_eq!(
        h.get("/v1/merchant/receipts?min_amount=5", &key)
            .await
            .status,
        StatusCode::BAD_REQUEST
    );
    // Pagination: pages of two, in upload order, ending with next = null.
    let mut seen = Vec::new();
    let mut uri = "/v1/merchant/receipts?limit=2".to_owned();
    loop {
        let page = h.get(&uri, &key).await.json();
        seen.extend(
            page["receipts"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| r["receipt_id"].as_str().unwrap().to_owned()),
        );
        match page["next"].as_str() {
            Some(next) => uri = format!("/v1/merchant/receipts?limit=2&cursor={next}"),
            None => break,
        }
    }
    assert_eq!(seen, ids);
    let csv = String::from_utf8(
        h.get("/v1/merchant/export.csv?terminal=T1", &key)
            .await
            .body
            .to_vec(),
    )
    .unwrap();
    let mut lines = csv.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .starts_with("receipt_id,terminal_id,counter,kind,local_time,trace_number")
    );
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 3);
    assert!(rows[1].contains(",5000,50.00,CNY,"), "{}", rows[1]);
}

on_both!(search, search_and_export);

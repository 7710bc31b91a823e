//! Access: merchants see only their own receipts, revoked keys fail at once, enrollment tokens
//! work exactly once even when raced.

use crate::support::*;
use axum::http::StatusCode;
use ereceipt_platform::admin;
use serde_json::json;

const X: &str = "898310048990001";
const Y: &str = "100200300400500";

async fn merchants_see_only_their_own(backend: Backend) {
    let h = Harness::new(backend).await;
    let key_x = h.merchant(X, "Merchant X").await;
    let key_y = h.merchant(Y, "Merchant Y").await;
    let mut tx_terminal = Terminal::enroll(&h, X, "T1").await;
    let mut ty_terminal = Terminal::enroll(&h, Y, "T1").await;
    let rx = tx_terminal.issue_amount(1000);
    let ry = ty_terminal.issue_amount(2000);
    assert_eq!(h.put(&rx.id, rx.envelope).await.status, StatusCode::CREATED);
    assert_eq!(h.put(&ry.id, ry.envelope).await.status, StatusCode::CREATED);

    let list = h.get("/v1/merchant/receipts", &key_x).await.json();
    let ids: Vec<&str> = list["receipts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["receipt_id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, [rx.id.as_str()]);
    for uri in [
        format!("/v1/merchant/receipts/{}", ry.id),
        format!("/v1/merchant/receipts/{}/image", ry.id),
    ] {
        assert_eq!(
            h.get(&uri, &key_x).await.status,
            StatusCode::NOT_FOUND,
            "{uri}"
        );
        assert_eq!(h.get(&uri, &key_y).await.status, StatusCode::OK, "{uri}");
    }
    let csv =
        String::from_utf8(h.get("/v1/merchant/export.csv", &key_x).await.body.to_vec()).unwrap();
    assert!(csv.contains(&rx.id) && !csv.contains(&ry.id));
    assert_eq!(csv.lines().count(), 2, "a header row and one receipt");
    let terminals = h.get("/v1/merchant/terminals", &key_y).await.json();
    assert_eq!(terminals["terminals"].as_array().unwrap().len(), 1);
    assert_eq!(terminals["terminals"][0]["receipts"], 1);

    // Nothing the merchant API answers holds the customer's phone number.
    let detail = h
        .get(&format!("/v1/merchant/receipts/{}", rx.id), &key_x)
        .await;
    let text = String::from_utf8_lossy(&detail.body);
    assert!(
        !text.contains("13800138000"),
        "the delivery address must not be shown"
    );
    // The merchant sees the delivery's channel and status, not its address.
    assert_eq!(detail.json()["delivery"]["channel"], "sms");
    assert_eq!(detail.json()["delivery"]["status"], "queued");
}

on_both!(merchant_isolation, merchants_see_only_their_own);

async fn revoked_keys_stop_at_once(backend: Backend) {
    let h = Harness::new(backend).await;
    admin::add_merchant(h.state.db(), "Merchant X", Some(X))
        .await
        .unwrap();
    let key = admin::create_api_key(h.state.db(), X).await.unwrap();
    assert_eq!(
        h.get("/v1/merchant/receipts", &key.api_key).await.status,
        StatusCode::OK
    );
    admin::revoke_api_key(h.state.db(), &key.key_id)
        .await
        .unwrap();
    assert_eq!(
        h.get("/v1/merchant/receipts", &key.api_key).await.status,
        StatusCode::UNAUTHORIZED
    );
    // A forged secret with a live key id fails too.
    let other = admin::create_api_key(h.state.db(), X).await.unwrap();
    let forged = format!("erk_{}_{}", other.key_id, "0".repeat(64));
    assert_eq!(
        h.get("/v1/merchant/receipts", &forged).await.status,
        StatusCode::UNAUTHORIZED
    );
    assert!(matches!(
        admin::revoke_api_key(h.state.db(), "nope").await,
        Err(admin::AdminError::UnknownKey)
    ));
}

on_both!(api_key_revocation, revoked_keys_stop_at_once);

async fn tokens_work_once_even_when_raced(backend: Backend) {
    let h = Harness::new(backend).await;
    admin::add_merchant(h.state.db(), "Merchant X", Some(X))
        .await
        .unwrap();
    for round in 0..3 {
        let token = h.token(X).await;
        let body = |t: &str| json!({ "token": token, "csr": crate::status::csr(t) });
        let (a, b) = tokio::join!(
            send(
                &h.app,
                post_json("/v1/enrollments", &body(&format!("A{round}")))
            ),
            send(
                &h.app,
                post_json("/v1/enrollments", &body(&format!("B{round}")))
            ),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort();
        assert_eq!(
            statuses,
            [StatusCode::CREATED, StatusCode::FORBIDDEN],
            "round {round}"
        );
        let refused = if a.status == StatusCode::FORBIDDEN {
            a
        } else {
            b
        };
        assert_eq!(refused.code(), "token_used");
    }
}

on_both!(
    enrollment_token_single_use,
    tokens_work_once_even_when_raced
);

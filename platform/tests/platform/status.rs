//! Every status code of the API, produced on purpose, and the OpenAPI document checked against
//! the router (every route and method) and against what the tests produced (every status).

use crate::support::*;
use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use ereceipt_core::seal::PlatformKey;
use ereceipt_platform::config::Limits;
use ereceipt_platform::{admin, app};
use serde_json::{Value, json};
use std::collections::BTreeSet;

const M1: &str = "898310048990001";

async fn every_status(backend: Backend) {
    let h = Harness::new(backend).await;
    let key = h.merchant(M1, "上海静安星光咖啡馆").await;
    assert_eq!(
        h.send(Request::get("/healthz").body(Body::empty()).unwrap())
            .await
            .status,
        StatusCode::OK
    );
    let doc = h
        .send(Request::get("/openapi.json").body(Body::empty()).unwrap())
        .await;
    assert_eq!(doc.status, StatusCode::OK);
    assert_eq!(doc.json()["openapi"], "3.1.0");

    enrollment_statuses(&h).await;
    let mut t = Terminal::enroll(&h, M1, "SH000001").await;
    let first = upload_statuses(&h, &mut t).await;
    merchant_statuses(&h, &key, &first).await;
    verify_statuses(&h, &first).await;
    rate_limit_status(&h, &t).await;
    check_openapi_against_seen();
}

on_both!(every_status_code, every_status);

async fn enrollment_statuses(h: &Harness) {
    let enroll = |body: Value| h.send(post_json("/v1/enrollments", &body));
    let not_json = Request::post("/v1/enrollments")
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from("{"))
        .unwrap();
    let answer = h.send(not_json).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_request")
    );
    let token = h.token(M1).await;
    let answer = enroll(json!({ "token": token, "csr": "-----BEGIN CERTIFICATE REQUEST-----\nAA==\n-----END CERTIFICATE REQUEST-----\n" })).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::BAD_REQUEST, "invalid_csr")
    );
    let csr = csr("T9");
    let answer = enroll(json!({ "token": "ert_unknown", "csr": csr })).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::FORBIDDEN, "token_invalid")
    );
    let short = admin::create_enrollment_token(h.state.db(), M1, time::Duration::seconds(1))
        .await
        .unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(2100)).await;
    let answer = enroll(json!({ "token": short.token, "csr": csr })).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::FORBIDDEN, "token_expired")
    );
    // The malformed CSR did not spend the token.
    let answer = enroll(json!({ "token": token, "csr": csr })).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let answer = enroll(json!({ "token": token, "csr": csr })).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::FORBIDDEN, "token_used")
    );
}

pub fn csr(terminal_id: &str) -> String {
    use ereceipt_core::identity::{SoftwareSigner, TerminalSubject, create_csr};
    let subject = TerminalSubject::new("M", "Any", terminal_id).unwrap();
    create_csr(&SoftwareSigner::generate().unwrap(), &subject).unwrap()
}

/// Uploads: every status of `PUT /v1/receipts/{id}`; returns a stored receipt.
async fn upload_statuses(h: &Harness, t: &mut Terminal) -> Sealed {
    let a = t.issue();
    let answer = h.put(&a.id, a.envelope.clone()).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    assert_eq!(
        answer.json(),
        json!({ "receipt_id": a.id, "status": "stored" })
    );
    let again = h.put(&a.id, a.envelope.clone()).await;
    assert_eq!(again.status, StatusCode::OK);
    assert_eq!(again.json()["status"], "duplicate");
    // Sealed again with fresh randomness: other bytes, same signed record.
    let resealed = t.seal(
        ereceipt_core::record::ReceiptId::parse(&a.id).unwrap(),
        a.payload.clone(),
    );
    assert_ne!(resealed.envelope, a.envelope);
    assert_eq!(h.put(&a.id, resealed.envelope).await.status, StatusCode::OK);
    // The same record without its signature is other content under the same id.
    let mut unsigned = a.payload.clone();
    unsigned.signature = None;
    let conflict = t.seal(
        ereceipt_core::record::ReceiptId::parse(&a.id).unwrap(),
        unsigned,
    );
    let answer = h.put(&a.id, conflict.envelope).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::CONFLICT, "conflict")
    );

    let b = t.issue();
    let refused = |answer: Answer, code: &str| {
        assert_eq!(
            (answer.status, answer.code()),
            (StatusCode::BAD_REQUEST, code.to_owned())
        );
    };
    refused(
        h.put("not-a-uuid", b.envelope.clone()).await,
        "invalid_receipt_id",
    );
    refused(h.put(&b.id, b"GIF89a".to_vec()).await, "malformed_envelope");
    refused(
        h.put(&a.id, b.envelope.clone()).await,
        "receipt_id_mismatch",
    );
    let other_key = PlatformKey::from_pem("k-other", &t.platform_key.to_pem()).unwrap();
    let foreign = ereceipt_core::seal::seal(
        &other_key,
        &t.terminal_id,
        &ereceipt_core::record::ReceiptId::parse(&b.id).unwrap(),
        &b.payload,
    )
    .unwrap();
    refused(h.put(&b.id, foreign).await, "unknown_key");
    let mut damaged = b.envelope.clone();
    damaged[100] ^= 1;
    refused(h.put(&b.id, damaged).await, "undecryptable");

    let text = Request::put(format!("/v1/receipts/{}", b.id))
        .header(header::CONTENT_TYPE, "text/plain")
        .body(Body::from(b.envelope.clone()))
        .unwrap();
    let answer = h.send(text).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
    );
    let huge = vec![0u8; Limits::default().max_envelope_bytes + 1];
    let answer = h.put(&b.id, huge).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );

    // Revoked before its first upload, and revoked after one (its certificate is then in the
    // verified-certificate cache): refused at once either way.
    let mut revoked = Terminal::enroll(h, M1, "SH000002").await;
    admin::revoke_terminal(h.state.db(), M1, "SH000002")
        .await
        .unwrap();
    assert_eq!(
        upload_next(h, &mut revoked).await,
        (StatusCode::FORBIDDEN, "certificate_revoked".to_owned())
    );
    let mut later = Terminal::enroll(h, M1, "SH000003").await;
    let first = later.issue();
    assert_eq!(
        h.put(&first.id, first.envelope).await.status,
        StatusCode::CREATED
    );
    admin::revoke_terminal(h.state.db(), M1, "SH000003")
        .await
        .unwrap();
    assert_eq!(
        upload_next(h, &mut later).await,
        (StatusCode::FORBIDDEN, "certificate_revoked".to_owned())
    );
    // A certificate chained to the platform CA but not (or no longer) on record, and one on
    // record for another terminal.
    for (terminal, sql, code) in [
        (
            "SH000004",
            "DELETE FROM certificates WHERE terminal_id = 'SH000004'",
            "unknown_certificate",
        ),
        (
            "SH000005",
            "UPDATE certificates SET terminal_id = 'SH000002' WHERE terminal_id = 'SH000005'",
            "untrusted_certificate",
        ),
    ] {
        let mut t = Terminal::enroll(h, M1, terminal).await;
        h.site.execute(sql).await;
        assert_eq!(
            upload_next(h, &mut t).await,
            (StatusCode::BAD_REQUEST, code.to_owned())
        );
    }
    assert_eq!(h.put(&b.id, b.envelope).await.status, StatusCode::CREATED);
    a
}

/// Issues the terminal's next receipt, uploads it and returns the status and error code.
async fn upload_next(h: &Harness, terminal: &mut Terminal) -> (StatusCode, String) {
    let r = terminal.issue();
    let answer = h.put(&r.id, r.envelope).await;
    (answer.status, answer.code())
}

async fn merchant_statuses(h: &Harness, key: &str, stored: &Sealed) {
    let ok = |answer: &Answer| {
        assert_eq!(
            answer.status,
            StatusCode::OK,
            "{}",
            String::from_utf8_lossy(&answer.body)
        )
    };
    let list = h.get("/v1/merchant/receipts?terminal=SH000001", key).await;
    ok(&list);
    assert_eq!(list.json()["receipts"].as_array().unwrap().len(), 2);
    let detail = h
        .get(&format!("/v1/merchant/receipts/{}", stored.id), key)
        .await;
    ok(&detail);
    let image = h
        .get(&format!("/v1/merchant/receipts/{}/image", stored.id), key)
        .await;
    ok(&image);
    assert_eq!(image.headers[header::CONTENT_TYPE], "image/png");
    assert_eq!(image.body.as_ref(), stored.payload.png.as_slice());
    let csv = h.get("/v1/merchant/export.csv", key).await;
    ok(&csv);
    ok(&h.get("/v1/merchant/terminals", key).await);
    for uri in [
        "/v1/merchant/receipts?limit=0",
        "/v1/merchant/receipts?from=22.11.2026",
        "/v1/merchant/receipts?colour=red",
        "/v1/merchant/export.csv?limit=5",
    ] {
        let answer = h.get(uri, key).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::BAD_REQUEST, "invalid_query"),
            "{uri}"
        );
    }
    let missing = "0f3c2a9e-6d41-4b7a-9a51-3e2f7d1c8b20";
    for uri in [
        format!("/v1/merchant/receipts/{missing}"),
        format!("/v1/merchant/receipts/{missing}/image"),
    ] {
        let answer = h.get(&uri, key).await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::NOT_FOUND, "not_found")
        );
    }
    for uri in [
        "/v1/merchant/receipts".to_owned(),
        format!("/v1/merchant/receipts/{}", stored.id),
        format!("/v1/merchant/receipts/{}/image", stored.id),
        "/v1/merchant/export.csv".to_owned(),
        "/v1/merchant/terminals".to_owned(),
    ] {
        let answer = h.get(&uri, "erk_000000000000_nope").await;
        assert_eq!(
            (answer.status, answer.code().as_str()),
            (StatusCode::UNAUTHORIZED, "unauthorized")
        );
    }
}

async fn verify_statuses(h: &Harness, stored: &Sealed) {
    let verify = |media: &str, body: Vec<u8>| {
        Request::post("/v1/verify")
            .header(header::CONTENT_TYPE, media)
            .body(Body::from(body))
            .unwrap()
    };
    let answer = h
        .send(verify("image/png", stored.payload.png.clone()))
        .await;
    assert_eq!(answer.status, StatusCode::OK);
    assert_eq!(answer.json()["outcome"], "authentic");
    let answer = h.send(verify("image/png", b"not an image".to_vec())).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::BAD_REQUEST, "unreadable_image")
    );
    let answer = h
        .send(verify("text/plain", stored.payload.png.clone()))
        .await;
    assert_eq!(answer.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let answer = h.send(verify("image/png", vec![0; 17 * 1024 * 1024])).await;
    assert_eq!(
        (answer.status, answer.code().as_str()),
        (StatusCode::PAYLOAD_TOO_LARGE, "too_large")
    );
}

/// A second instance on the same site with a limit of 2 uploads a minute per terminal: the
/// count is in the database, shared by both.
async fn rate_limit_status(h: &Harness, t: &Terminal) {
    let strict = Limits {
        rate_per_minute: 2,
        ..Limits::default()
    };
    let other = app(h.site.instance(strict).await);
    let mut limited = None;
    // At most one minute boundary can fall between five quick requests.
    for _ in 0..5 {
        let r = ereceipt_core::record::ReceiptId::random().unwrap();
        let sealed = t.seal(r, t_payload(t));
        let answer = send(&other, put(&sealed.id, sealed.envelope)).await;
        if answer.status == StatusCode::TOO_MANY_REQUESTS {
            limited = Some(answer);
            break;
        }
    }
    let answer = limited.expect("the third upload within a minute is refused");
    assert_eq!(answer.code(), "rate_limited");
    let retry: u64 = answer.headers[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=60).contains(&retry));
}

/// A payload whose content does not matter (the rate limit comes before decryption).
fn t_payload(t: &Terminal) -> ereceipt_core::seal::ReceiptPayload {
    ereceipt_core::seal::ReceiptPayload {
        record: Vec::new(),
        signature: None,
        certificates: t.chain_pem.clone(),
        png: Vec::new(),
        strokes: None,
        delivery: None,
    }
}

/// (method, path template).
type Operations = BTreeSet<(String, String)>;
/// (method, path template, status).
type Statuses = BTreeSet<(String, String, u16)>;

/// The OpenAPI document's operations and statuses.
fn documented() -> (Operations, Statuses) {
    let doc: Value = serde_json::from_str(ereceipt_platform::api::OPENAPI).unwrap();
    let mut operations = BTreeSet::new();
    let mut statuses = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for (method, operation) in item.as_object().unwrap() {
            operations.insert((method.clone(), path.clone()));
            for status in operation["responses"].as_object().unwrap().keys() {
                statuses.insert((method.clone(), path.clone(), status.parse().unwrap()));
            }
        }
    }
    (operations, statuses)
}

#[test]
fn openapi_lists_every_route_of_the_router_and_nothing_else() {
    let routes: BTreeSet<(String, String)> = ereceipt_platform::api::route_table()
        .into_iter()
        .map(|(m, p)| (m.as_str().to_lowercase(), p.to_owned()))
        .collect();
    assert_eq!(routes, documented().0);
    assert!(routes.contains(&(
        Method::PUT.as_str().to_lowercase(),
        "/v1/receipts/{receipt_id}".into()
    )));
}

/// Every documented status was produced by a test, and no test saw an undocumented one
/// (405 for a wrong method is router-wide and documented in the API description).
fn check_openapi_against_seen() {
    let (_, documented) = documented();
    let seen = SEEN.lock().unwrap().clone();
    let missing: Vec<_> = documented.difference(&seen).collect();
    assert!(
        missing.is_empty(),
        "documented but never produced: {missing:?}"
    );
    let undocumented: Vec<_> = seen
        .iter()
        .filter(|s| s.2 != 405 && !documented.contains(*s))
        .collect();
    assert!(
        undocumented.is_empty(),
        "produced but not documented: {undocumented:?}"
    );
}

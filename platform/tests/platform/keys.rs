//! Keys on first start (created once, even by instances starting together; mode 0600) and
//! rotation (old envelopes still open, new enrollments get the new key).

use crate::support::*;
use axum::http::StatusCode;
use ereceipt_platform::PlatformKeys;
use std::os::unix::fs::PermissionsExt;

#[test]
fn instances_starting_together_create_one_ca_and_one_key() {
    let dir = Scratch::new("first-start");
    let starts: Vec<_> = (0..2)
        .map(|_| {
            let path = dir.0.clone();
            std::thread::spawn(move || PlatformKeys::load_or_create(&path).unwrap())
        })
        .collect();
    let keys: Vec<PlatformKeys> = starts.into_iter().map(|s| s.join().unwrap()).collect();
    assert_eq!(
        keys[0].ca().certificate_pem(),
        keys[1].ca().certificate_pem()
    );
    let (a, b) = (keys[0].current().unwrap(), keys[1].current().unwrap());
    assert_eq!(a.key_id(), b.key_id());
    assert_eq!(a.public_key().to_pem(), b.public_key().to_pem());
    assert!(a.key_id().starts_with("k-20"), "{}", a.key_id());
    assert_eq!(
        keys[0].ca().certificate().name(),
        ereceipt_platform::keys::CA_NAME
    );
    let files: Vec<_> = std::fs::read_dir(dir.0.join("keys"))
        .unwrap()
        .map(|e| e.unwrap())
        .collect();
    let names: Vec<String> = files
        .iter()
        .map(|f| f.file_name().into_string().unwrap())
        .collect();
    assert_eq!(files.len(), 3, "ca.pem, one key, current-key: {names:?}");
    for file in &files {
        let mode = file.metadata().unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600, "{:?}", file.file_name());
    }
    // A restart loads the same keys.
    let again = PlatformKeys::load_or_create(&dir.0).unwrap();
    assert_eq!(again.current().unwrap().key_id(), a.key_id());
}

async fn rotation(backend: Backend) {
    let h = Harness::new(backend).await;
    let m = "898310048990001";
    let key = h.merchant(m, "Star Café").await;
    let mut old = Terminal::enroll(&h, m, "T1").await;
    assert_eq!(old.platform_key.key_id(), "test-2026-11");
    let new_id = ereceipt_platform::keys::rotate_encryption_key(&h.site.data.0).unwrap();
    // The running instance hands out the new key without a restart.
    let mut new = Terminal::enroll(&h, m, "T2").await;
    assert_eq!(new.platform_key.key_id(), new_id);
    for r in [old.issue(), new.issue()] {
        assert_eq!(h.put(&r.id, r.envelope).await.status, StatusCode::CREATED);
    }
    // A second instance started after the rotation still opens envelopes under the old key.
    let later = ereceipt_platform::app(h.site.instance(unlimited()).await);
    let r = old.issue();
    assert_eq!(
        send(&later, put(&r.id, r.envelope)).await.status,
        StatusCode::CREATED
    );
    let listed = h.get("/v1/merchant/receipts", &key).await.json();
    assert_eq!(listed["receipts"].as_array().unwrap().len(), 3);
}

on_both!(key_rotation, rotation);

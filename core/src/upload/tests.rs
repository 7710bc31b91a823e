//! The client against a scripted HTTP/1.1 server on a real socket.

use super::test_server::{canned, serve};
use super::*;
use std::net::TcpListener;

fn fast() -> ClientConfig {
    ClientConfig {
        retry: RetryPolicy {
            max_attempts: 4,
            base_delay: Duration::from_millis(5),
            max_delay: Duration::from_millis(20),
            max_retry_after: Duration::from_secs(2),
        },
        request_timeout: Duration::from_secs(5),
        ..ClientConfig::default()
    }
}

fn id() -> ReceiptId {
    ReceiptId::from_bytes([7; 16])
}

#[test]
fn created_then_duplicate() {
    let (url, seen) = serve(vec![canned(201, "{}"), canned(200, "{}")]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    assert_eq!(client.put_receipt(&id(), b"ERSE-x"), Ok(PutOutcome::Stored));
    assert_eq!(
        client.put_receipt(&id(), b"ERSE-x"),
        Ok(PutOutcome::Duplicate)
    );
    let seen = seen.lock().unwrap();
    assert_eq!(seen[0].0, "PUT");
    assert_eq!(seen[0].1, format!("/v1/receipts/{}", id()));
    assert_eq!(seen[0].2, 6);
}

#[test]
fn retries_5xx_and_429_then_succeeds() {
    let mut limited = canned(429, "{}");
    limited.headers.push(("retry-after", "0".into()));
    let (url, seen) = serve(vec![canned(503, "{}"), limited, canned(201, "{}")]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    assert_eq!(client.put_receipt(&id(), b"e"), Ok(PutOutcome::Stored));
    assert_eq!(seen.lock().unwrap().len(), 3);
}

#[test]
fn honours_retry_after() {
    let mut limited = canned(429, "{}");
    limited.headers.push(("retry-after", "1".into()));
    let (url, _) = serve(vec![limited, canned(201, "{}")]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    let started = std::time::Instant::now();
    assert_eq!(client.put_receipt(&id(), b"e"), Ok(PutOutcome::Stored));
    // Backoff alone would have waited at most 5 ms.
    assert!(started.elapsed() >= Duration::from_millis(900));
}

#[test]
fn a_retry_after_beyond_the_cap_is_reported_not_waited() {
    let mut limited = canned(429, "{}");
    limited.headers.push(("retry-after", "3600".into()));
    let (url, seen) = serve(vec![limited]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    match client.put_receipt(&id(), b"e") {
        Err(UploadError::Unavailable {
            retry_after,
            attempts,
            ..
        }) => {
            assert_eq!(retry_after, Some(Duration::from_secs(3600)));
            assert_eq!(attempts, 1);
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn never_retries_a_4xx() {
    let body =
        r#"{"error":{"code":"bad_signature","message":"the record signature does not verify"}}"#;
    let (url, seen) = serve(vec![canned(400, body), canned(201, "{}")]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    let error = client.put_receipt(&id(), b"e").unwrap_err();
    assert_eq!(
        error,
        UploadError::Rejected {
            status: 400,
            code: "bad_signature".into(),
            reason: "the record signature does not verify".into()
        }
    );
    assert!(!error.is_transient());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn a_4xx_without_an_error_body_is_still_a_rejection() {
    let (url, _) = serve(vec![canned(409, "not json")]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    match client.put_receipt(&id(), b"e") {
        Err(UploadError::Rejected { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (409, "http_error"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn gives_up_after_max_attempts() {
    let script = (0..4).map(|_| canned(500, "{}")).collect();
    let (url, seen) = serve(script);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    match client.put_receipt(&id(), b"e") {
        Err(e @ UploadError::Unavailable { .. }) => {
            assert!(e.is_transient());
            assert!(e.to_string().contains("4 attempt"));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(seen.lock().unwrap().len(), 4);
}

#[test]
fn connection_refused_is_transient() {
    // Bind and drop: nothing listens on the port afterwards.
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let client = PlatformClient::new(&format!("http://127.0.0.1:{port}/"), &fast()).unwrap();
    match client.put_receipt(&id(), b"e") {
        Err(UploadError::Unavailable {
            reason, attempts, ..
        }) => {
            assert!(reason.starts_with("cannot connect"), "{reason}");
            assert_eq!(attempts, 4);
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_request_timeout_is_transient() {
    // Listens and never accepts: the kernel completes the connection, nobody ever answers.
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("http://{}/", listener.local_addr().unwrap());
    let config = ClientConfig {
        request_timeout: Duration::from_millis(200),
        retry: RetryPolicy::none(),
        ..fast()
    };
    let client = PlatformClient::new(&url, &config).unwrap();
    match client.put_receipt(&id(), b"e") {
        Err(UploadError::Unavailable { reason, .. }) => {
            assert!(reason.starts_with("timed out"), "{reason}")
        }
        other => panic!("{other:?}"),
    }
    drop(listener);
}

#[test]
fn enrollment_is_not_replayed_after_a_server_error() {
    let (url, seen) = serve(vec![canned(500, "{}"), canned(201, "{}")]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    let error = client.enroll("token", "csr").unwrap_err();
    assert!(error.is_transient());
    assert_eq!(seen.lock().unwrap().len(), 1);
}

#[test]
fn enrollment_refusal_names_the_reason() {
    let body =
        r#"{"error":{"code":"token_used","message":"this enrollment token was already used"}}"#;
    let (url, _) = serve(vec![canned(403, body)]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    match client.enroll("token", "csr") {
        Err(UploadError::Rejected { status, code, .. }) => {
            assert_eq!((status, code.as_str()), (403, "token_used"));
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_garbled_enrollment_answer_is_a_protocol_error() {
    let (url, _) = serve(vec![canned(201, r#"{"terminal_id":"T1"}"#)]);
    let client = PlatformClient::new(&url, &fast()).unwrap();
    assert!(matches!(
        client.enroll("token", "csr"),
        Err(UploadError::Protocol { .. })
    ));
}

/// No IDNA tables in the SDK (`idna_adapter` in core/Cargo.toml): an internationalised host
/// name is refused, its A-label works.
#[test]
fn an_internationalised_host_is_given_as_its_a_label() {
    let config = ClientConfig::default();
    assert!(PlatformClient::new("https://xn--bckerei-mller-bfb28a.de/", &config).is_ok());
    assert!(matches!(
        PlatformClient::new("https://bäckerei-müller.de/", &config),
        Err(UploadError::Config { .. })
    ));
}

#[test]
fn plain_http_only_on_loopback() {
    let config = ClientConfig::default();
    assert!(PlatformClient::new("http://127.0.0.1:8080/", &config).is_ok());
    assert!(PlatformClient::new("http://localhost:8080/", &config).is_ok());
    assert!(PlatformClient::new("http://[::1]:8080/", &config).is_ok());
    assert!(PlatformClient::new("https://receipts.example.com/", &config).is_ok());
    for bad in ["http://receipts.example.com/", "ftp://x/", "not a url"] {
        assert!(matches!(
            PlatformClient::new(bad, &config),
            Err(UploadError::Config { .. })
        ));
    }
}

#[test]
fn the_base_url_is_a_directory_the_paths_go_under() {
    let config = ClientConfig::default();
    for (given, base) in [
        (
            "https://Receipts.Example.com",
            "https://receipts.example.com/",
        ),
        ("https://h.example/platform", "https://h.example/platform/"),
        ("https://h.example/platform/", "https://h.example/platform/"),
    ] {
        assert_eq!(
            PlatformClient::new(given, &config).unwrap().base_url(),
            base
        );
    }
    for bad in [
        "https://user:secret@h.example/",
        "https://h.example/?tenant=1",
    ] {
        assert!(matches!(
            PlatformClient::new(bad, &config),
            Err(UploadError::Config { .. })
        ));
    }
    let (url, seen) = serve(vec![canned(201, "{}")]);
    let client = PlatformClient::new(&format!("{url}platform"), &fast()).unwrap();
    assert_eq!(client.put_receipt(&id(), b"e"), Ok(PutOutcome::Stored));
    assert_eq!(
        seen.lock().unwrap()[0].1,
        format!("/platform/v1/receipts/{}", id())
    );
}

#[test]
fn an_extra_root_must_be_a_certificate() {
    let config = |pem: &str| ClientConfig {
        extra_roots_pem: vec![pem.to_owned()],
        ..ClientConfig::default()
    };
    let garbled = "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n";
    for bad in ["not pem", garbled] {
        assert!(matches!(
            PlatformClient::new("https://h.example/", &config(bad)),
            Err(UploadError::Config { .. })
        ));
    }
}

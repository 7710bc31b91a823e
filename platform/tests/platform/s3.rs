//! The blob store on S3: a real S3-protocol server (moto's server mode, from PyPI), started
//! here as a child process on a free port. Without moto the test fails and says how to install
//! it.

use crate::support::*;
use axum::http::StatusCode;
use ereceipt_platform::{AppState, app};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

struct Moto {
    child: Child,
    endpoint: String,
}

impl Moto {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new("python3")
            .args([
                "-m",
                "moto.server",
                "-H",
                "127.0.0.1",
                "-p",
                &port.to_string(),
            ])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start python3 -m moto.server: {e}"));
        let mut moto = Moto {
            child,
            endpoint: format!("http://127.0.0.1:{port}"),
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            if let Ok(Some(status)) = moto.child.try_wait() {
                panic!(
                    "moto's server exited ({status}): install it with pip install 'moto[server]' \
                     (scripts/services.sh does)"
                );
            }
            assert!(
                Instant::now() < deadline,
                "moto's server did not start in 30 s"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
        moto
    }
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn receipts_and_images_live_in_s3() {
    let moto = Moto::start();
    let bucket = "ereceipt-test";
    let created = reqwest::Client::new()
        .put(format!("{}/{bucket}", moto.endpoint))
        .send()
        .await
        .unwrap();
    assert!(
        created.status().is_success(),
        "bucket: {}",
        created.status()
    );

    let site = Site::new(Backend::Sqlite).await;
    let mut config = site.config(unlimited());
    config.blobs = format!("s3://{bucket}/platform");
    for (k, v) in [
        ("endpoint", moto.endpoint.as_str()),
        ("region", "us-east-1"),
        ("access_key_id", "test"),
        ("secret_access_key", "test"),
        ("allow_http", "true"),
    ] {
        config.blobs_options.insert(k.into(), v.into());
    }
    let state = AppState::open(&config).await.unwrap();
    let h = Harness {
        app: app(state.clone()),
        state,
        site,
    };
    let key = h.merchant("898310048990001", "Star Café").await;
    let mut t = Terminal::enroll(&h, "898310048990001", "SH000001").await;
    let r = t.issue();
    assert_eq!(
        h.put(&r.id, r.envelope.clone()).await.status,
        StatusCode::CREATED
    );
    let image = h
        .get(&format!("/v1/merchant/receipts/{}/image", r.id), &key)
        .await;
    assert_eq!(image.status, StatusCode::OK);
    assert_eq!(image.body.as_ref(), r.payload.png.as_slice());
    assert!(
        !h.site.data.0.join("blobs").exists(),
        "nothing went to the local blob directory"
    );
    // The objects are in the bucket under the prefix.
    let listing = reqwest::get(format!(
        "{}/{bucket}?list-type=2&prefix=platform/",
        moto.endpoint
    ))
    .await
    .unwrap()
    .text()
    .await
    .unwrap();
    // The batch's envelope and image went into one pack object (docs/PLATFORM.md, Storage).
    let packs = listing.matches("<Key>platform/packs/").count();
    assert_eq!(packs, 1, "{listing}");
    assert!(
        !listing.contains("platform/images/") && !listing.contains("platform/envelopes/"),
        "{listing}"
    );
    assert_eq!(h.run_jobs().await, 1);
}

//! Load tool: how many receipts a second one platform instance ingests over real HTTP, next
//! to the crypto floor measured in the same run.
//!
//! ```sh
//! cargo run --release -p ereceipt-platform --example load -- \
//!     [--receipts 3000] [--concurrency 16] [--terminals 8] [--rounds 5] [--rate-per-minute 0] \
//!     [--postgres postgres://…]
//! ```
//!
//! For each backend (SQLite always; PostgreSQL when `--postgres` or `ERECEIPT_TEST_POSTGRES`
//! names an admin URL, in a fresh database) it starts a platform on 127.0.0.1 with the
//! default configuration (one verification worker, which yields to ingest), enrolls terminals
//! through the API, issues and seals every receipt ahead of time (chained per terminal), then
//! PUTs them with that many concurrent connections and reports throughput and latency, next to
//! the crypto floor: RSA-OAEP-3072 decryption (aws-lc, as ingest does) plus one ECDSA P-256
//! verification per receipt, on every core, with nothing else running.
//!
//! The machine this runs on is shared, and its speed drifts by a quarter within minutes. So the
//! upload is split into `--rounds` parts with a one-second floor measurement before each and
//! after the last: each round's throughput is divided by the mean of the floors measured just
//! before and after it, and the table gives the median of those ratios with the medians of
//! the floors and throughputs. The workers (verification, delivery) start after the last round,
//! so that they take nothing from a floor measurement; the time they take to verify the
//! backlog is the last column.
//!
//! A few terminals send far more than any real one, so the per-terminal upload limit is off
//! (`--rate-per-minute 0`); give it a limit none of them reaches (say 10000000) to measure
//! what counting every upload in the database costs.

#![allow(
    clippy::print_stdout,
    clippy::unwrap_used,
    clippy::cast_possible_truncation,
    reason = "a measuring tool: it prints, and a failure is a panic with a message"
)]

use ereceipt_core::Transaction;
use ereceipt_core::identity::Signer;
use ereceipt_core::identity::{
    SoftwareSigner, TerminalCertificate, TerminalSubject, create_csr, verify_es256,
};
use ereceipt_core::record::{ChainState, Credentials, IssueRequest, ReceiptId, issue};
use ereceipt_core::render::{CopyKind, Paper};
use ereceipt_core::seal::{PlatformKey, ReceiptPayload, open_with, seal};
use ereceipt_platform::config::{Config, Limits};
use ereceipt_platform::keys::EncryptionKey;
use ereceipt_platform::{AppState, admin, app, keys, worker};
use serde_json::{Value, json};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const MERCHANT: &str = "898310048990001";

struct Args {
    receipts: usize,
    concurrency: usize,
    terminals: usize,
    rounds: usize,
    rate_per_minute: u32,
    postgres: Option<String>,
}

fn args() -> Args {
    let mut args = Args {
        receipts: 3000,
        concurrency: 16,
        terminals: 8,
        rounds: 5,
        rate_per_minute: 0,
        postgres: std::env::var("ERECEIPT_TEST_POSTGRES")
            .ok()
            .filter(|url| !url.is_empty()),
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let value = it.next().unwrap_or_else(|| panic!("{flag} needs a value"));
        match flag.as_str() {
            "--receipts" => args.receipts = value.parse().unwrap(),
            "--concurrency" => args.concurrency = value.parse().unwrap(),
            "--terminals" => args.terminals = value.parse().unwrap(),
            "--rounds" => args.rounds = value.parse::<usize>().unwrap().max(1),
            "--rate-per-minute" => args.rate_per_minute = value.parse().unwrap(),
            "--postgres" => args.postgres = Some(value),
            other => panic!("unknown flag {other}"),
        }
    }
    args
}

fn test_data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(path)
}

#[tokio::main]
async fn main() {
    let args = args();
    let mut backends = vec![("sqlite", None)];
    if let Some(url) = &args.postgres {
        backends.push(("postgres", Some(url.clone())));
    }
    println!(
        "| backend | receipts | concurrency | floor receipts/s | receipts/s | × floor | p50 ms | p99 ms | max ms | verified/s after |"
    );
    println!("|---|---|---|---|---|---|---|---|---|---|");
    for (name, admin_url) in backends {
        let run = run_backend(&args, admin_url.as_deref()).await;
        println!(
            "| {name} | {} | {} | {:.0} | {:.0} | {:.2} | {:.1} | {:.1} | {:.1} | {} |",
            args.receipts,
            args.concurrency,
            run.floor,
            run.throughput,
            run.ratio,
            run.p50,
            run.p99,
            run.max,
            run.verified_per_second
                .map_or_else(|| "n/a".to_owned(), |v| format!("{v:.0}")),
        );
    }
    println!(
        "(medians of {} rounds; floor: RSA-OAEP-3072 decrypt + ECDSA P-256 verify on every core)",
        args.rounds
    );
}

/// The floor measured for one second on every core, off the async runtime.
async fn floor_now() -> f64 {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    tokio::task::spawn_blocking(move || crypto_floor(cores, Duration::from_secs(1)))
        .await
        .unwrap()
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// RSA-OAEP decryption plus one ECDSA verification per receipt, on `threads` threads for
/// `span`.
fn crypto_floor(threads: usize, span: Duration) -> f64 {
    let pem = std::fs::read_to_string(test_data("keys/platform-test-rsa3072.pem")).unwrap();
    let key = Arc::new(EncryptionKey::from_pkcs8_pem("test-2026-11", &pem).unwrap());
    let payload = ReceiptPayload {
        record: vec![1],
        signature: None,
        certificates: vec![],
        png: vec![],
        strokes: None,
        delivery: None,
    };
    let envelope = seal(
        key.public_key(),
        "T1",
        &ReceiptId::random().unwrap(),
        &payload,
    )
    .unwrap();
    let mut wrapped = Vec::new();
    open_with(&envelope, key.key_id(), |w| {
        wrapped = w.to_vec();
        key.unwrap(w)
    })
    .unwrap();
    let signer = SoftwareSigner::generate().unwrap();
    let message =
        b"ereceipt-qr/1\0 a summary of about one hundred bytes, as a receipt's QR summary is"
            .to_vec();
    let signature = signer.sign(&message).unwrap();
    let public = signer.public_key_sec1().to_vec();
    let done = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let workers: Vec<_> = (0..threads)
        .map(|_| {
            let (key, wrapped, done) = (key.clone(), wrapped.clone(), done.clone());
            let (message, signature, public) = (message.clone(), signature.clone(), public.clone());
            std::thread::spawn(move || {
                while start.elapsed() < span {
                    key.unwrap(&wrapped).unwrap();
                    verify_es256(&public, &message, &signature).unwrap();
                    done.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    for w in workers {
        w.join().unwrap();
    }
    done.load(Ordering::Relaxed) as f64 / start.elapsed().as_secs_f64()
}

struct Run {
    floor: f64,
    throughput: f64,
    ratio: f64,
    p50: f64,
    p99: f64,
    max: f64,
    verified_per_second: Option<f64>,
}

async fn run_backend(args: &Args, postgres_admin: Option<&str>) -> Run {
    let data = std::env::temp_dir().join(format!("ereceipt-load-{}", ReceiptId::random().unwrap()));
    std::fs::create_dir_all(&data).unwrap();
    let pem = std::fs::read_to_string(test_data("keys/platform-test-rsa3072.pem")).unwrap();
    keys::import_encryption_key(&data, "test-2026-11", &pem).unwrap();
    let database = match postgres_admin {
        None => ereceipt_platform::config::sqlite_url(&data.join("platform.sqlite")),
        Some(admin_url) => create_postgres_database(admin_url).await,
    };
    let config = Config {
        database,
        limits: Limits {
            rate_per_minute: args.rate_per_minute,
            ..Limits::default()
        },
        listen: "127.0.0.1:0".parse().unwrap(),
        ..Config::for_data_dir(&data)
    };
    let state = AppState::open(&config).await.unwrap();
    let listener = tokio::net::TcpListener::bind(config.listen).await.unwrap();
    let base = format!("http://{}", listener.local_addr().unwrap());
    let server = tokio::spawn(axum::serve(listener, app(state.clone())).into_future());
    admin::add_merchant(state.db(), "Load Café", Some(MERCHANT))
        .await
        .unwrap();

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.concurrency)
        .build()
        .unwrap();
    let mut terminals = Vec::new();
    for n in 0..args.terminals {
        let token = admin::create_enrollment_token(state.db(), MERCHANT, time::Duration::hours(1))
            .await
            .unwrap()
            .token;
        terminals.push(enroll(&client, &base, &token, &format!("LT{n:06}")).await);
    }
    let sealed = seal_ahead(terminals, args.receipts);
    eprintln!(
        "sealed {} receipts; uploading (pid {})",
        sealed.len(),
        std::process::id()
    );
    let per_round = sealed.len().div_ceil(args.rounds);
    let mut rounds = sealed
        .chunks(per_round)
        .map(<[_]>::to_vec)
        .collect::<Vec<_>>();
    let mut floors = vec![floor_now().await];
    let (mut throughputs, mut ratios, mut latencies) = (Vec::new(), Vec::new(), Vec::new());
    for round in rounds.drain(..) {
        let count = round.len();
        let (elapsed, round_latencies) = put_all(&client, &base, round, args.concurrency).await;
        let throughput = count as f64 / elapsed.as_secs_f64();
        floors.push(floor_now().await);
        let floor = (floors[floors.len() - 2] + floors[floors.len() - 1]) / 2.0;
        eprintln!("round: {throughput:.0} receipts/s, floor {floor:.0}");
        throughputs.push(throughput);
        ratios.push(throughput / floor);
        latencies.extend(round_latencies);
    }
    latencies.sort_unstable();
    let (stop, stopped) = tokio::sync::watch::channel(false);
    let workers = worker::spawn_workers(&state, config.workers, &stopped);
    let pct =
        |p: f64| latencies[((latencies.len() - 1) as f64 * p) as usize].as_secs_f64() * 1000.0;

    let drain = Instant::now();
    let mut verified_per_second = None;
    while drain.elapsed() < Duration::from_secs(300) {
        if worker::pending_jobs(&state).await.unwrap() == 0 {
            verified_per_second = Some(args.receipts as f64 / drain.elapsed().as_secs_f64());
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let _ = stop.send(true);
    for w in workers {
        let _ = w.await;
    }
    server.abort();
    state.db().close().await;
    let _ = std::fs::remove_dir_all(&data);
    Run {
        floor: median(&mut floors),
        throughput: median(&mut throughputs),
        ratio: median(&mut ratios),
        p50: pct(0.5),
        p99: pct(0.99),
        max: pct(1.0),
        verified_per_second,
    }
}

async fn create_postgres_database(admin_url: &str) -> String {
    use sqlx::Connection;
    let name = format!("ereceipt_load_{}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin_url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .execute(&mut conn)
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut conn)
        .await
        .unwrap();
    format!("{}/{name}", admin_url.rsplit_once('/').unwrap().0)
}

struct LoadTerminal {
    id: String,
    signer: SoftwareSigner,
    certificate: TerminalCertificate,
    chain_pem: Vec<String>,
    key: PlatformKey,
}

async fn enroll(
    client: &reqwest::Client,
    base: &str,
    token: &str,
    terminal_id: &str,
) -> LoadTerminal {
    let signer = SoftwareSigner::generate().unwrap();
    let subject = TerminalSubject::new(MERCHANT, "Load Café", terminal_id).unwrap();
    let csr = create_csr(&signer, &subject).unwrap();
    let body: Value = client
        .post(format!("{base}/v1/enrollments"))
        .json(&json!({ "token": token, "csr": csr }))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let chain_pem: Vec<String> = serde_json::from_value(body["certificate_chain"].clone()).unwrap();
    let key = &body["platform_key"];
    LoadTerminal {
        id: terminal_id.to_owned(),
        signer,
        certificate: TerminalCertificate::from_pem(&chain_pem[0]).unwrap(),
        key: PlatformKey::from_pem(
            key["key_id"].as_str().unwrap(),
            key["public_key"].as_str().unwrap(),
        )
        .unwrap(),
        chain_pem,
    }
}

/// Issues and seals `total` receipts round-robin over the terminals, each terminal's chain in
/// its own thread; returns them interleaved in upload order.
fn seal_ahead(terminals: Vec<LoadTerminal>, total: usize) -> Vec<(String, Vec<u8>)> {
    let count = terminals.len();
    let template = std::fs::read_to_string(test_data("transactions/void.json")).unwrap();
    let per_terminal: Vec<Vec<(String, Vec<u8>)>> = std::thread::scope(|scope| {
        let handles: Vec<_> = terminals
            .iter()
            .enumerate()
            .map(|(n, t)| {
                let template = &template;
                scope.spawn(move || {
                    let mine = (total + count - 1 - n) / count;
                    let mut chain = ChainState::genesis(&t.id);
                    (0..mine)
                        .map(|i| {
                            let tx = transaction(template, &t.id, i + 1);
                            let credentials = Credentials {
                                signer: &t.signer,
                                certificate: &t.certificate,
                                chain_pem: &t.chain_pem,
                            };
                            let request = IssueRequest {
                                transaction: &tx,
                                signature: None,
                                copy: CopyKind::Customer,
                                paper: Paper::Mm80,
                            };
                            let issued = issue(&chain, request, &credentials).unwrap();
                            chain = issued.next;
                            let payload = ReceiptPayload {
                                record: issued.record_bytes,
                                signature: issued.summary.signature,
                                certificates: t.chain_pem.clone(),
                                png: issued.png,
                                strokes: None,
                                delivery: None,
                            };
                            let id = issued.record.receipt_id;
                            (id.to_string(), seal(&t.key, &t.id, &id, &payload).unwrap())
                        })
                        .collect()
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let mut iters: Vec<_> = per_terminal.into_iter().map(Vec::into_iter).collect();
    let mut out = Vec::with_capacity(total);
    while out.len() < total {
        for it in &mut iters {
            out.extend(it.next());
        }
    }
    out
}

fn transaction(template: &str, terminal_id: &str, trace: usize) -> Transaction {
    let mut tx: Value = serde_json::from_str(template).unwrap();
    tx["kind"] = json!("sale");
    tx.as_object_mut().unwrap().remove("original_trace_number");
    tx["terminal_id"] = json!(terminal_id);
    tx["trace_number"] = json!(format!("{:06}", trace % 1_000_000));
    Transaction::from_json(&tx.to_string()).unwrap()
}

/// PUTs every envelope with `concurrency` connections; the wall time and each latency.
async fn put_all(
    client: &reqwest::Client,
    base: &str,
    sealed: Vec<(String, Vec<u8>)>,
    concurrency: usize,
) -> (Duration, Vec<Duration>) {
    let sealed = Arc::new(sealed);
    let next = Arc::new(AtomicUsize::new(0));
    let start = Instant::now();
    let tasks: Vec<_> = (0..concurrency)
        .map(|_| {
            let (client, base, sealed, next) = (
                client.clone(),
                base.to_owned(),
                sealed.clone(),
                next.clone(),
            );
            tokio::spawn(async move {
                let mut latencies = Vec::new();
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    let Some((id, envelope)) = sealed.get(i) else {
                        return latencies;
                    };
                    let sent = Instant::now();
                    let response = client
                        .put(format!("{base}/v1/receipts/{id}"))
                        .header("content-type", "application/vnd.ereceipt.envelope")
                        .body(envelope.clone())
                        .send()
                        .await
                        .unwrap();
                    assert_eq!(response.status(), 201, "{}", response.text().await.unwrap());
                    latencies.push(sent.elapsed());
                }
            })
        })
        .collect();
    let mut latencies = Vec::new();
    for t in tasks {
        latencies.extend(t.await.unwrap());
    }
    (start.elapsed(), latencies)
}

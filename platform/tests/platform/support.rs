//! Test support: a platform instance per backend, requests through `app(state)` with oneshot,
//! and a terminal that enrolls through the API and issues sealed receipts with core.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use ereceipt_core::Transaction;
use ereceipt_core::identity::{SoftwareSigner, TerminalCertificate, TerminalSubject, create_csr};
use ereceipt_core::record::{ChainState, Credentials, IssueRequest, ReceiptId, issue};
use ereceipt_core::render::{CopyKind, Paper};
use ereceipt_core::seal::{PlatformKey, ReceiptPayload, seal};
use ereceipt_core::signature::Signature;
use ereceipt_platform::config::{Config, Limits};
use ereceipt_platform::{AppState, admin, app, keys};
use serde_json::{Value, json};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use tower::ServiceExt;

/// Which metadata database a test runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// Runs an async test body on both backends, each on a fresh platform.
macro_rules! on_both {
    ($name:ident, $scenario:ident) => {
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                super::$scenario($crate::support::Backend::Sqlite).await;
            }
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                super::$scenario($crate::support::Backend::Postgres).await;
            }
        }
    };
}

/// `tests/data/…` of the workspace.
pub fn data(path: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(path)
}

/// A fresh scratch directory, removed when dropped.
pub struct Scratch(pub PathBuf);

impl Scratch {
    pub fn new(name: &str) -> Self {
        static N: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir()
            .join("ereceipt-platform-tests")
            .join(format!(
                "{name}-{}-{}",
                std::process::id(),
                N.fetch_add(1, Ordering::Relaxed)
            ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// The PostgreSQL admin URL from `ERECEIPT_TEST_POSTGRES`; a test that needs it fails without.
pub fn postgres_admin_url() -> String {
    std::env::var("ERECEIPT_TEST_POSTGRES").unwrap_or_else(|_| {
        panic!(
            "ERECEIPT_TEST_POSTGRES is not set: PostgreSQL tests need an admin URL such as \
             postgres://ereceipt:ereceipt@localhost/postgres (`. scripts/services.sh` sets it)"
        )
    })
}

/// A fresh PostgreSQL database, dropped when this is dropped.
pub struct PgDatabase {
    admin: String,
    name: String,
    pub url: String,
}

impl PgDatabase {
    pub async fn create() -> Self {
        let admin = postgres_admin_url();
        let name = format!(
            "ereceipt_test_{}_{}",
            std::process::id(),
            ereceipt_core::record::hex(ReceiptId::random().unwrap().as_bytes())
        );
        let mut conn = connect_admin(&admin).await;
        sqlx::query(&format!("CREATE DATABASE {name}"))
            .execute(&mut conn)
            .await
            .unwrap();
        let base = admin.rsplit_once('/').unwrap().0;
        PgDatabase {
            url: format!("{base}/{name}"),
            admin,
            name,
        }
    }
}

async fn connect_admin(url: &str) -> sqlx::PgConnection {
    use sqlx::Connection;
    sqlx::PgConnection::connect(url)
        .await
        .unwrap_or_else(|e| panic!("cannot connect to ERECEIPT_TEST_POSTGRES: {e}"))
}

impl Drop for PgDatabase {
    fn drop(&mut self) {
        let (admin, name) = (self.admin.clone(), self.name.clone());
        let _ = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .unwrap();
            runtime.block_on(async {
                let mut conn = connect_admin(&admin).await;
                let _ = sqlx::query(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
                    .execute(&mut conn)
                    .await;
            });
        })
        .join();
    }
}

/// Where a platform's data lives: one data directory (keys, blobs) and one database, which
/// several instances may share.
pub struct Site {
    pub data: Scratch,
    pub database: String,
    _pg: Option<PgDatabase>,
}

impl Site {
    pub async fn new(backend: Backend) -> Self {
        let dir = Scratch::new("site");
        // The RSA test key instead of a fresh one: generating RSA-3072 takes seconds.
        let pem = std::fs::read_to_string(data("keys/platform-test-rsa3072.pem")).unwrap();
        keys::import_encryption_key(&dir.0, "test-2026-11", &pem).unwrap();
        let (database, pg) = match backend {
            Backend::Sqlite => (
                ereceipt_platform::config::sqlite_url(&dir.0.join("platform.sqlite")),
                None,
            ),
            Backend::Postgres => {
                let pg = PgDatabase::create().await;
                (pg.url.clone(), Some(pg))
            }
        };
        Site {
            data: dir,
            database,
            _pg: pg,
        }
    }

    pub fn config(&self, limits: Limits) -> Config {
        Config {
            database: self.database.clone(),
            limits,
            ..Config::for_data_dir(&self.data.0)
        }
    }

    /// Runs one statement on the site's database behind the platform's back, for a state no
    /// API produces.
    pub async fn execute(&self, sql: &str) {
        use sqlx::Connection;
        if self.database.starts_with("postgres") {
            let mut c = sqlx::PgConnection::connect(&self.database).await.unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        } else {
            let mut c = sqlx::SqliteConnection::connect(&self.database)
                .await
                .unwrap();
            sqlx::query(sql).execute(&mut c).await.unwrap();
        }
    }

    /// An instance on this site.
    pub async fn instance(&self, limits: Limits) -> AppState {
        AppState::open(&self.config(limits)).await.unwrap()
    }
}

/// No rate limit: most tests upload faster than a terminal would.
pub fn unlimited() -> Limits {
    Limits {
        rate_per_minute: 0,
        ..Limits::default()
    }
}

/// A platform on one backend with one instance.
pub struct Harness {
    pub site: Site,
    pub state: AppState,
    pub app: Router,
}

impl Harness {
    pub async fn new(backend: Backend) -> Self {
        Self::with_limits(backend, unlimited()).await
    }

    pub async fn with_limits(backend: Backend, limits: Limits) -> Self {
        let site = Site::new(backend).await;
        let state = site.instance(limits).await;
        Harness {
            app: app(state.clone()),
            state,
            site,
        }
    }

    /// Adds a merchant and returns an API key for it.
    pub async fn merchant(&self, id: &str, name: &str) -> String {
        admin::add_merchant(self.state.db(), name, Some(id))
            .await
            .unwrap();
        admin::create_api_key(self.state.db(), id)
            .await
            .unwrap()
            .api_key
    }

    pub async fn token(&self, merchant_id: &str) -> String {
        admin::create_enrollment_token(self.state.db(), merchant_id, time::Duration::hours(1))
            .await
            .unwrap()
            .token
    }

    pub async fn send(&self, request: Request<Body>) -> Answer {
        send(&self.app, request).await
    }

    pub async fn get(&self, uri: &str, api_key: &str) -> Answer {
        self.send(get(uri, api_key)).await
    }

    pub async fn put(&self, id: &str, envelope: Vec<u8>) -> Answer {
        self.send(put(id, envelope)).await
    }

    /// Runs every due verification job.
    pub async fn run_jobs(&self) -> usize {
        ereceipt_platform::worker::run_due_jobs(&self.state)
            .await
            .unwrap()
    }
}

/// A response, read whole.
pub struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Bytes,
}

impl Answer {
    pub fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|_| panic!("not JSON: {}", String::from_utf8_lossy(&self.body)))
    }

    /// The error code of an error answer.
    pub fn code(&self) -> String {
        self.json()["error"]["code"]
            .as_str()
            .unwrap_or_default()
            .to_owned()
    }
}

/// Every (method, path template, status) any test saw: checked against the OpenAPI document.
pub static SEEN: Mutex<BTreeSet<(String, String, u16)>> = Mutex::new(BTreeSet::new());

pub async fn send(app: &Router, request: Request<Body>) -> Answer {
    let method = request.method().to_string().to_lowercase();
    let path = request.uri().path().to_owned();
    let response = app.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = axum::body::to_bytes(response.into_body(), usize::MAX)
        .await
        .unwrap();
    if let Some(template) = template_of(&path) {
        SEEN.lock()
            .unwrap()
            .insert((method, template.to_owned(), status.as_u16()));
    }
    Answer {
        status,
        headers,
        body,
    }
}

/// The route template a concrete path matches.
fn template_of(path: &str) -> Option<&'static str> {
    let parts: Vec<&str> = path.split('/').collect();
    ereceipt_platform::api::route_table()
        .into_iter()
        .map(|(_, t)| t)
        .find(|t| {
            let tparts: Vec<&str> = t.split('/').collect();
            tparts.len() == parts.len()
                && tparts
                    .iter()
                    .zip(&parts)
                    .all(|(t, p)| t.starts_with('{') || t == p)
        })
}

pub fn get(uri: &str, api_key: &str) -> Request<Body> {
    Request::get(uri)
        .header(header::AUTHORIZATION, format!("Bearer {api_key}"))
        .body(Body::empty())
        .unwrap()
}

pub fn put(id: &str, envelope: Vec<u8>) -> Request<Body> {
    Request::put(format!("/v1/receipts/{id}"))
        .header(header::CONTENT_TYPE, "application/vnd.ereceipt.envelope")
        .body(Body::from(envelope))
        .unwrap()
}

pub fn post_json(uri: &str, body: &Value) -> Request<Body> {
    Request::builder()
        .method(Method::POST)
        .uri(uri)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_string()))
        .unwrap()
}

/// A sample transaction rewritten for a merchant and terminal, with a trace number and amount.
pub fn transaction(merchant_id: &str, terminal_id: &str, trace: u32, amount: u64) -> Transaction {
    let text = std::fs::read_to_string(data("transactions/void.json")).unwrap();
    let mut tx: Value = serde_json::from_str(&text).unwrap();
    tx["kind"] = json!("sale");
    tx.as_object_mut().unwrap().remove("original_trace_number");
    tx["terminal_id"] = json!(terminal_id);
    tx["merchant"]["id"] = json!(merchant_id);
    tx["trace_number"] = json!(format!("{trace:06}"));
    tx["amount"] = json!(amount);
    Transaction::from_json(&tx.to_string()).unwrap()
}

/// A terminal enrolled through the API, issuing chained, sealed receipts with core.
pub struct Terminal {
    pub merchant_id: String,
    pub terminal_id: String,
    signer: SoftwareSigner,
    certificate: TerminalCertificate,
    pub chain_pem: Vec<String>,
    pub platform_key: PlatformKey,
    pub chain: ChainState,
    trace: u32,
}

/// A receipt issued and sealed by a [`Terminal`].
pub struct Sealed {
    pub id: String,
    pub envelope: Vec<u8>,
    pub payload: ReceiptPayload,
}

impl Terminal {
    /// Enrolls `terminal_id` for a merchant through `POST /v1/enrollments`.
    pub async fn enroll(h: &Harness, merchant_id: &str, terminal_id: &str) -> Self {
        let token = h.token(merchant_id).await;
        Self::enroll_with(&h.app, &token, merchant_id, terminal_id).await
    }

    pub async fn enroll_with(
        app: &Router,
        token: &str,
        merchant_id: &str,
        terminal_id: &str,
    ) -> Self {
        let signer = SoftwareSigner::generate().unwrap();
        // The CSR claims another merchant: the platform must name the token's.
        let subject =
            TerminalSubject::new("000000000000000", "Somebody Else", terminal_id).unwrap();
        let csr = create_csr(&signer, &subject).unwrap();
        let answer = send(
            app,
            post_json("/v1/enrollments", &json!({ "token": token, "csr": csr })),
        )
        .await;
        assert_eq!(
            answer.status,
            StatusCode::CREATED,
            "{}",
            String::from_utf8_lossy(&answer.body)
        );
        let body = answer.json();
        assert_eq!(body["merchant_id"], merchant_id);
        let chain_pem: Vec<String> =
            serde_json::from_value(body["certificate_chain"].clone()).unwrap();
        let certificate = TerminalCertificate::from_pem(&chain_pem[0]).unwrap();
        assert_eq!(certificate.merchant_id(), merchant_id);
        let key = &body["platform_key"];
        let platform_key = PlatformKey::from_pem(
            key["key_id"].as_str().unwrap(),
            key["public_key"].as_str().unwrap(),
        )
        .unwrap();
        Terminal {
            merchant_id: merchant_id.to_owned(),
            terminal_id: terminal_id.to_owned(),
            signer,
            certificate,
            chain_pem,
            platform_key,
            chain: ChainState::genesis(terminal_id),
            trace: 0,
        }
    }

    /// Issues the next receipt of the chain (amount 4500 CNY) and seals it.
    pub fn issue(&mut self) -> Sealed {
        self.issue_amount(4500)
    }

    pub fn issue_amount(&mut self, amount: u64) -> Sealed {
        self.trace += 1;
        let tx = transaction(&self.merchant_id, &self.terminal_id, self.trace, amount);
        self.issue_transaction(&tx, None)
    }

    /// Issues a transaction (with a signature when it needs one) and seals it.
    pub fn issue_transaction(&mut self, tx: &Transaction, signature: Option<&Signature>) -> Sealed {
        let credentials = Credentials {
            signer: &self.signer,
            certificate: &self.certificate,
            chain_pem: &self.chain_pem,
        };
        let request = IssueRequest {
            transaction: tx,
            signature,
            copy: CopyKind::Customer,
            paper: Paper::Mm80,
        };
        let issued = issue(&self.chain, request, &credentials).unwrap();
        self.chain = issued.next;
        let payload = ReceiptPayload {
            record: issued.record_bytes,
            signature: issued.summary.signature,
            certificates: self.chain_pem.clone(),
            png: issued.png,
            strokes: signature.map(Signature::encode),
            delivery: Some(ereceipt_core::seal::Delivery::parse("sms:+8613800138000").unwrap()),
        };
        self.seal(issued.record.receipt_id, payload)
    }

    pub fn seal(&self, id: ReceiptId, payload: ReceiptPayload) -> Sealed {
        let envelope = seal(&self.platform_key, &self.terminal_id, &id, &payload).unwrap();
        Sealed {
            id: id.to_string(),
            envelope,
            payload,
        }
    }
}

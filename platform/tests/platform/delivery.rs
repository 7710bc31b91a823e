//! Delivery and the customer portal: the file outbox by default, e-mail over a real SMTP server
//! (aiosmtpd), SMS/MMS through a recording HTTP gateway, one send per job across instances,
//! one-time codes, sessions, CSRF, and that one customer never reaches another's receipts.
//! Every scenario runs on SQLite and PostgreSQL; the platform's log output is captured for the
//! whole test binary and checked for phone numbers, e-mail addresses and codes.

use crate::support::*;
use axum::Router;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use base64::Engine;
use ereceipt_core::record::ReceiptId;
use ereceipt_core::seal::Delivery;
use ereceipt_platform::AppState;
use ereceipt_platform::delivery::settings::{SmsPreset, SmsSettings, SmtpSettings};
use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, OnceLock};

const PHONE_A: &str = "+8613900000001";
const PHONE_B: &str = "+8613900000002";
const EMAIL: &str = "kunde@example.com";

// ---------------------------------------------------------------- log capture

/// Everything the platform logs in this test binary (from the first delivery test on).
static LOGS: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();

#[derive(Clone)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn capture_logs() {
    LOGS.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Capture(buffer.clone());
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new(
                "info,ereceipt_platform=trace,lettre=trace",
            ))
            .with_writer(move || writer.clone())
            .try_init();
        buffer
    });
}

/// Fails when the captured logs hold any of `secrets` (the logs must not be empty: the
/// check must be able to fail).
fn assert_logs_clean(secrets: &[&str]) {
    let logs = String::from_utf8_lossy(&LOGS.get().unwrap().lock().unwrap()).into_owned();
    assert!(logs.contains("delivery"), "nothing was logged: {logs}");
    for secret in secrets {
        let digits = secret.trim_start_matches('+');
        assert!(
            !logs.contains(digits),
            "the logs hold customer data {secret}"
        );
    }
}

// ---------------------------------------------------------------- helpers

/// A harness whose instance is configured with `delivery` settings.
async fn harness_with(
    backend: Backend,
    adjust: impl FnOnce(&mut ereceipt_platform::Config),
) -> (Site, AppState, Router) {
    capture_logs();
    let site = Site::new(backend).await;
    let mut config = site.config(unlimited());
    adjust(&mut config);
    let state = AppState::open(&config).await.unwrap();
    let app = ereceipt_platform::app(state.clone());
    (site, state, app)
}

/// Enrolls a terminal on `app` for a new merchant.
async fn terminal(state: &AppState, app: &Router, merchant: &str) -> Terminal {
    ereceipt_platform::admin::add_merchant(state.db(), "Cafe", Some(merchant))
        .await
        .unwrap();
    let token = ereceipt_platform::admin::create_enrollment_token(
        state.db(),
        merchant,
        time::Duration::hours(1),
    )
    .await
    .unwrap()
    .token;
    Terminal::enroll_with(app, &token, merchant, "T0000001").await
}

/// Issues a receipt with a delivery choice and uploads it; returns its id.
async fn upload(app: &Router, t: &mut Terminal, delivery: &str) -> String {
    let sealed = t.issue();
    let mut payload = sealed.payload;
    payload.delivery = Some(Delivery::parse(delivery).unwrap());
    let id = ReceiptId::parse(&sealed.id).unwrap();
    let sealed = t.seal(id, payload);
    let answer = send(app, put(&sealed.id, sealed.envelope)).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    sealed.id
}

fn files(dir: &Path, extension: &str) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default();
    out.retain(|p| p.extension().is_some_and(|e| e == extension));
    out.sort();
    out
}

async fn delivery_status(app: &Router, api_key: &str, id: &str) -> serde_json::Value {
    let answer = send(app, get(&format!("/v1/merchant/receipts/{id}"), api_key)).await;
    assert_eq!(answer.status, StatusCode::OK);
    answer.json()["delivery"].clone()
}

// ---------------------------------------------------------------- a cookie-keeping client

/// A browser over `oneshot`: keeps cookies, reads the CSRF token of the last page.
struct Client {
    app: Router,
    cookies: BTreeMap<String, String>,
    csrf: String,
}

struct Page {
    status: StatusCode,
    location: Option<String>,
    body: String,
    bytes: Vec<u8>,
}

impl Client {
    fn new(app: &Router) -> Self {
        Client {
            app: app.clone(),
            cookies: BTreeMap::new(),
            csrf: String::new(),
        }
    }

    async fn request(&mut self, request: Request<Body>) -> Page {
        let answer = send(&self.app, request).await;
        for value in answer.headers.get_all(header::SET_COOKIE) {
            let text = value.to_str().unwrap();
            let (pair, _) = text.split_once(';').unwrap_or((text, ""));
            let (name, value) = pair.split_once('=').unwrap();
            assert!(text.contains("HttpOnly") && text.contains("SameSite="));
            if value.is_empty() {
                self.cookies.remove(name);
            } else {
                self.cookies.insert(name.to_owned(), value.to_owned());
            }
        }
        let body = String::from_utf8_lossy(&answer.body).into_owned();
        if let Some(at) = body.find("name=\"csrf\" value=\"") {
            let rest = &body[at + 19..];
            self.csrf = rest[..rest.find('"').unwrap()].to_owned();
        }
        Page {
            status: answer.status,
            location: answer
                .headers
                .get(header::LOCATION)
                .map(|v| v.to_str().unwrap().to_owned()),
            body,
            bytes: answer.body.to_vec(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    async fn get(&mut self, path: &str) -> Page {
        let request = Request::get(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::ACCEPT_LANGUAGE, "en")
            .body(Body::empty())
            .unwrap();
        self.request(request).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{k}={}", v.replace('+', "%2B")))
            .collect::<Vec<_>>()
            .join("&");
        let request = Request::post(path)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .body(Body::from(body))
            .unwrap();
        self.request(request).await
    }

    /// Opens the portal and signs in with a code minted by the platform.
    async fn sign_in(&mut self, state: &AppState, phone: &str) -> Page {
        self.get("/").await;
        let code = ereceipt_platform::delivery::login_code(state, phone)
            .await
            .unwrap()
            .unwrap();
        let csrf = self.csrf.clone();
        self.post(
            "/login",
            &[("csrf", &csrf), ("phone", phone), ("code", &code)],
        )
        .await
    }
}

// ---------------------------------------------------------------- scenarios

on_both!(outbox_is_the_default, outbox_is_the_default_scenario);
async fn outbox_is_the_default_scenario(backend: Backend) {
    let (site, state, app) = harness_with(backend, |_| {}).await;
    let mut t = terminal(&state, &app, "898310048990001").await;
    let key = ereceipt_platform::admin::create_api_key(state.db(), "898310048990001")
        .await
        .unwrap()
        .api_key;
    let sms = upload(&app, &mut t, &format!("sms:{PHONE_A}")).await;
    let mail = upload(&app, &mut t, &format!("email:{EMAIL}")).await;
    assert_eq!(delivery_status(&app, &key, &sms).await["status"], "queued");
    assert_eq!(
        ereceipt_platform::delivery::queued(&state).await.unwrap(),
        2
    );
    assert_eq!(
        ereceipt_platform::delivery::run_due(&state).await.unwrap(),
        2
    );
    let outbox = site.data.0.join("outbox");
    let texts = files(&outbox, "json");
    let mails = files(&outbox, "eml");
    assert_eq!((texts.len(), mails.len()), (1, 1));
    let text: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&texts[0]).unwrap()).unwrap();
    assert_eq!(text["to"], PHONE_A);
    let body = text["body"].as_str().unwrap();
    let link = body.split_whitespace().find(|w| w.contains("/r/")).unwrap();
    // The link opens the receipt without signing in.
    let path = &link[link.find("/r/").unwrap()..];
    let mut visitor = Client::new(&app);
    let page = visitor.get(path).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("CNY 45.00"));
    let png = visitor.get(&format!("{path}/receipt.png?download=1")).await;
    assert_eq!(png.status, StatusCode::OK);
    assert!(png.bytes.starts_with(b"\x89PNG"));
    assert!(visitor.get("/r/not-a-token").await.status == StatusCode::NOT_FOUND);
    let eml = std::fs::read_to_string(&mails[0]).unwrap();
    assert!(eml.contains(EMAIL) && eml.contains("multipart/mixed"));
    // The merchant sees the status, never the address.
    for id in [&sms, &mail] {
        let detail = send(&app, get(&format!("/v1/merchant/receipts/{id}"), &key)).await;
        let text = String::from_utf8_lossy(&detail.body);
        assert!(!text.contains("13900000001") && !text.contains("example.com"));
        assert_eq!(detail.json()["delivery"]["status"], "sent");
    }
    assert_eq!(delivery_status(&app, &key, &mail).await["channel"], "email");
    assert_logs_clean(&[PHONE_A, EMAIL]);
}

on_both!(
    customers_see_only_their_receipts,
    customers_see_only_their_receipts_scenario
);
async fn customers_see_only_their_receipts_scenario(backend: Backend) {
    let (_site, state, app) = harness_with(backend, |_| {}).await;
    let mut t = terminal(&state, &app, "898310048990001").await;
    let a1 = upload(&app, &mut t, &format!("pull:{PHONE_A}")).await;
    let a2 = upload(&app, &mut t, &format!("sms:{PHONE_A}")).await;
    let b1 = upload(&app, &mut t, &format!("pull:{PHONE_B}")).await;
    let mut a = Client::new(&app);
    let signed = a.sign_in(&state, PHONE_A).await;
    assert_eq!(signed.status, StatusCode::SEE_OTHER);
    assert_eq!(signed.location.as_deref(), Some("/"));
    let list = a.get("/").await;
    assert!(list.body.contains(&a1) && list.body.contains(&a2));
    assert!(!list.body.contains(&b1));
    assert_eq!(
        a.get(&format!("/receipts/{a1}")).await.status,
        StatusCode::OK
    );
    let png = a.get(&format!("/receipts/{a1}/receipt.png")).await;
    assert!(png.bytes.starts_with(b"\x89PNG"));
    // B's receipt, and a guessed id, are answered alike.
    let guessed = ReceiptId::random().unwrap().to_string();
    for id in [&b1, &guessed] {
        assert_eq!(
            a.get(&format!("/receipts/{id}")).await.status,
            StatusCode::NOT_FOUND
        );
        let image = a.get(&format!("/receipts/{id}/receipt.png")).await;
        assert_eq!(image.status, StatusCode::NOT_FOUND);
        assert!(!image.bytes.starts_with(b"\x89PNG"));
    }
    // Without a session nothing is shown.
    let mut stranger = Client::new(&app);
    let page = stranger.get(&format!("/receipts/{a1}")).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let image = stranger.get(&format!("/receipts/{a1}/receipt.png")).await;
    assert_eq!(image.status, StatusCode::NOT_FOUND);
    // Signing out ends the session on the server.
    let old = a.cookies.clone();
    let csrf = a.csrf.clone();
    assert_eq!(
        a.post("/logout", &[("csrf", &csrf)]).await.status,
        StatusCode::SEE_OTHER
    );
    a.cookies = old;
    assert!(!a.get("/").await.body.contains(&a1));
}

on_both!(codes_are_single_use_expire_and_lock, codes_scenario);
async fn codes_scenario(backend: Backend) {
    let (site, state, app) = harness_with(backend, |_| {}).await;
    let mut t = terminal(&state, &app, "898310048990001").await;
    upload(&app, &mut t, &format!("pull:{PHONE_A}")).await;
    // The pull delivery texts the portal's address and a first code (to the outbox here).
    assert_eq!(
        ereceipt_platform::delivery::run_due(&state).await.unwrap(),
        1
    );
    let texts = files(&site.data.0.join("outbox"), "json");
    let text = std::fs::read_to_string(&texts[0]).unwrap();
    assert!(text.contains(PHONE_A) && text.contains("请登录"), "{text}");
    let mint = || async {
        ereceipt_platform::delivery::login_code(&state, PHONE_A)
            .await
            .unwrap()
            .unwrap()
    };
    let mut c = Client::new(&app);
    c.get("/").await;
    let csrf = c.csrf.clone();
    // CSRF: missing or wrong is refused, even with the right code.
    let code = mint().await;
    let missing = [("phone", PHONE_A), ("code", code.as_str())];
    assert_eq!(
        c.post("/login", &missing).await.status,
        StatusCode::FORBIDDEN
    );
    let wrong = [
        ("csrf", "0000"),
        ("phone", PHONE_A),
        ("code", code.as_str()),
    ];
    assert_eq!(c.post("/login", &wrong).await.status, StatusCode::FORBIDDEN);
    let wrong = [("csrf", "bad"), ("phone", PHONE_A)];
    assert_eq!(c.post("/code", &wrong).await.status, StatusCode::FORBIDDEN);
    // Single use.
    let fields = [
        ("csrf", csrf.as_str()),
        ("phone", PHONE_A),
        ("code", code.as_str()),
    ];
    assert_eq!(
        c.post("/login", &fields).await.status,
        StatusCode::SEE_OTHER
    );
    let mut other = Client::new(&app);
    other.get("/").await;
    let other_csrf = other.csrf.clone();
    let again = [
        ("csrf", other_csrf.as_str()),
        ("phone", PHONE_A),
        ("code", code.as_str()),
    ];
    assert_eq!(
        other.post("/login", &again).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Expired.
    let code = mint().await;
    execute(&site, "UPDATE login_codes SET expires_at = 0").await;
    let expired = [
        ("csrf", other_csrf.as_str()),
        ("phone", PHONE_A),
        ("code", code.as_str()),
    ];
    assert_eq!(
        other.post("/login", &expired).await.status,
        StatusCode::UNAUTHORIZED
    );
    // Wrong codes count until a sign-in succeeds: two so far. Three more lock the number, also
    // against the right code and a new one.
    let code = mint().await;
    let wrong_code = if code == "000000" { "111111" } else { "000000" };
    for attempt in 3..=5 {
        let fields = [
            ("csrf", other_csrf.as_str()),
            ("phone", PHONE_A),
            ("code", wrong_code),
        ];
        let status = other.post("/login", &fields).await.status;
        let expected = if attempt < 5 {
            StatusCode::UNAUTHORIZED
        } else {
            StatusCode::TOO_MANY_REQUESTS
        };
        assert_eq!(status, expected, "attempt {attempt}");
    }
    let right = [
        ("csrf", other_csrf.as_str()),
        ("phone", PHONE_A),
        ("code", code.as_str()),
    ];
    assert_eq!(
        other.post("/login", &right).await.status,
        StatusCode::TOO_MANY_REQUESTS
    );
    assert!(
        ereceipt_platform::delivery::login_code(&state, PHONE_A)
            .await
            .unwrap()
            .is_none()
    );
    // Requesting a code by form: the same answer for known and unknown numbers; rate-limited.
    let mut d = Client::new(&app);
    d.get("/").await;
    let csrf = d.csrf.clone();
    for _ in 0..5 {
        let page = d
            .post("/code", &[("csrf", &csrf), ("phone", PHONE_B)])
            .await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(page.body.contains("id=\"notice\""));
    }
    let page = d
        .post("/code", &[("csrf", &csrf), ("phone", PHONE_B)])
        .await;
    assert_eq!(page.status, StatusCode::TOO_MANY_REQUESTS);
    let page = d.post("/code", &[("csrf", &csrf), ("phone", "12")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert_logs_clean(&[PHONE_A, PHONE_B, &code]);
}

/// Runs one statement on the site's database, behind the platform's back.
async fn execute(site: &Site, sql: &str) {
    use sqlx::Connection;
    if site.database.starts_with("sqlite:") {
        let mut c = sqlx::SqliteConnection::connect(&site.database)
            .await
            .unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    } else {
        let mut c = sqlx::PgConnection::connect(&site.database).await.unwrap();
        sqlx::query(sql).execute(&mut c).await.unwrap();
    }
}

// ---------------------------------------------------------------- a recording gateway

/// A local HTTP server recording every request (headers and body); answers `status`.
struct Recorder {
    url: String,
    requests: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>>,
}

async fn recorder() -> Recorder {
    let requests: Arc<Mutex<Vec<(axum::http::HeaderMap, String)>>> = Arc::default();
    let seen = requests.clone();
    let app = Router::new().route(
        "/send",
        axum::routing::post(move |headers: axum::http::HeaderMap, body: String| {
            let seen = seen.clone();
            async move {
                seen.lock().unwrap().push((headers, body));
                StatusCode::CREATED
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}/send", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await });
    Recorder { url, requests }
}

fn gateway(url: &str, preset: SmsPreset) -> SmsSettings {
    SmsSettings {
        preset,
        endpoint: url.to_owned(),
        from: "+15550001111".to_owned(),
        username: Some("AC123".to_owned()),
        password: Some("secret-token".to_owned()),
        bearer_token: None,
        template: None,
    }
}

fn form_value(body: &str, key: &str) -> Option<String> {
    body.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        (k == key).then(|| {
            let v = v.replace('+', " ");
            percent_decode(&v)
        })
    })
}

fn percent_decode(text: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' && i + 2 < bytes.len() {
            out.push(u8::from_str_radix(&text[i + 1..i + 3], 16).unwrap());
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).unwrap()
}

on_both!(sms_and_mms_through_a_twilio_gateway, twilio_scenario);
async fn twilio_scenario(backend: Backend) {
    let gw = recorder().await;
    let url = gw.url.clone();
    let (_site, state, app) = harness_with(backend, |c| {
        c.delivery.sms = Some(gateway(&url, SmsPreset::Twilio));
        c.delivery.public_url = Some("https://receipts.example.test".to_owned());
    })
    .await;
    let mut t = terminal(&state, &app, "898310048990001").await;
    upload(&app, &mut t, &format!("sms:{PHONE_A}")).await;
    upload(&app, &mut t, &format!("mms:{PHONE_B}")).await;
    assert_eq!(
        ereceipt_platform::delivery::run_due(&state).await.unwrap(),
        2
    );
    let requests = gw.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 2);
    let expected_auth = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode("AC123:secret-token")
    );
    for (headers, _) in &requests {
        assert_eq!(headers[header::AUTHORIZATION], expected_auth.as_str());
        assert!(
            headers[header::CONTENT_TYPE]
                .to_str()
                .unwrap()
                .starts_with("application/x-www-form-urlencoded")
        );
    }
    let (_, sms) = &requests[0];
    assert_eq!(form_value(sms, "To").unwrap(), PHONE_A);
    assert_eq!(form_value(sms, "From").unwrap(), "+15550001111");
    let body = form_value(sms, "Body").unwrap();
    assert!(body.contains("https://receipts.example.test/r/"), "{body}");
    assert!(body.contains("CNY 45.00"));
    assert!(form_value(sms, "MediaUrl").is_none());
    let (_, mms) = &requests[1];
    assert_eq!(form_value(mms, "To").unwrap(), PHONE_B);
    let media = form_value(mms, "MediaUrl").unwrap();
    let path = media.strip_prefix("https://receipts.example.test").unwrap();
    assert!(path.starts_with("/m/") && path.ends_with(".png"));
    // The media URL serves the PNG to the gateway.
    let png = Client::new(&app).get(path).await;
    assert_eq!(png.status, StatusCode::OK);
    assert!(png.bytes.starts_with(b"\x89PNG"));
    assert_logs_clean(&[PHONE_A, PHONE_B]);
}

on_both!(json_gateway_and_two_workers_send_each_once, json_scenario);
async fn json_scenario(backend: Backend) {
    let gw = recorder().await;
    let mut settings = gateway(&gw.url, SmsPreset::Json);
    settings.username = None;
    settings.bearer_token = Some("tok".to_owned());
    settings.template = Some(r#"{"msisdn": {to}, "text": {body}}"#.to_owned());
    let (site, state, app) =
        harness_with(backend, |c| c.delivery.sms = Some(settings.clone())).await;
    let mut t = terminal(&state, &app, "898310048990001").await;
    for _ in 0..12 {
        upload(&app, &mut t, &format!("sms:{PHONE_A}")).await;
    }
    // A second instance over the same database and data directory.
    let mut config = site.config(unlimited());
    config.delivery.sms = Some(settings);
    let second = AppState::open(&config).await.unwrap();
    let (one, two) = tokio::join!(
        ereceipt_platform::delivery::run_due(&state),
        ereceipt_platform::delivery::run_due(&second)
    );
    assert_eq!(one.unwrap() + two.unwrap(), 12);
    let requests = gw.requests.lock().unwrap().clone();
    assert_eq!(requests.len(), 12, "every job sent exactly once");
    let mut links = std::collections::BTreeSet::new();
    for (headers, body) in &requests {
        assert_eq!(headers[header::AUTHORIZATION], "Bearer tok");
        let json: serde_json::Value = serde_json::from_str(body).unwrap();
        assert_eq!(json["msisdn"], PHONE_A);
        links.insert(json["text"].as_str().unwrap().to_owned());
    }
    assert_eq!(links.len(), 12);
    assert_eq!(
        ereceipt_platform::delivery::queued(&state).await.unwrap(),
        0
    );
}

on_both!(email_over_smtp, email_scenario);
async fn email_scenario(backend: Backend) {
    let smtp = SmtpServer::start();
    let url = format!("smtp://127.0.0.1:{}", smtp.port);
    let (_site, state, app) = harness_with(backend, |c| {
        c.delivery.smtp = Some(SmtpSettings {
            url,
            from: "Receipts <receipts@example.test>".to_owned(),
        });
    })
    .await;
    let mut t = terminal(&state, &app, "898310048990001").await;
    let id = upload(&app, &mut t, &format!("email:{EMAIL}")).await;
    assert_eq!(
        ereceipt_platform::delivery::run_due(&state).await.unwrap(),
        1
    );
    let message = smtp.wait_for_message();
    let parsed = parse_mime(&message);
    assert_eq!(parsed["to"], EMAIL);
    // The receipt's locale is zh-CN: the subject and text are Chinese.
    assert!(
        parsed["subject"]
            .as_str()
            .unwrap()
            .starts_with("您的电子签购单"),
        "{parsed}"
    );
    let parts: Vec<&str> = parsed["parts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["type"].as_str().unwrap())
        .collect();
    assert_eq!(
        parts,
        [
            "multipart/mixed",
            "multipart/related",
            "multipart/alternative",
            "text/plain",
            "text/html",
            "image/png",
            "image/png"
        ]
    );
    let all = parsed["parts"].as_array().unwrap();
    let plain = all[3]["text"].as_str().unwrap();
    let html = all[4]["text"].as_str().unwrap();
    assert!(plain.contains("感谢您的惠顾") && plain.contains("/r/"));
    let cid = all[5]["content_id"]
        .as_str()
        .unwrap()
        .trim_matches(['<', '>']);
    assert!(html.contains(&format!("cid:{cid}")));
    assert_eq!(all[5]["disposition"], "inline");
    assert_eq!(all[6]["disposition"], "attachment");
    assert_eq!(all[6]["filename"], format!("receipt-{id}.png"));
    assert_eq!(all[5]["sha256"], all[6]["sha256"]);
    assert_logs_clean(&[EMAIL]);
}

/// aiosmtpd as a child process, writing each message to a directory.
struct SmtpServer {
    child: std::process::Child,
    port: u16,
    dir: Scratch,
}

const SMTP_SCRIPT: &str = r#"
import sys, time, pathlib, socket
from aiosmtpd.controller import Controller
out = pathlib.Path(sys.argv[1])
s = socket.socket(); s.bind(('127.0.0.1', 0)); port = s.getsockname()[1]; s.close()
class Handler:
    async def handle_DATA(self, server, session, envelope):
        n = len(list(out.glob('*.eml')))
        (out / f'{n:04}.tmp').write_bytes(envelope.original_content)
        (out / f'{n:04}.tmp').rename(out / f'{n:04}.eml')
        return '250 OK'
c = Controller(Handler(), hostname='127.0.0.1', port=port)
c.start()
print(port, flush=True)
while True:
    time.sleep(3600)
"#;

impl SmtpServer {
    fn start() -> Self {
        use std::io::BufRead;
        let dir = Scratch::new("smtp");
        let mut child = std::process::Command::new("python3")
            .arg("-c")
            .arg(SMTP_SCRIPT)
            .arg(&dir.0)
            .stdout(std::process::Stdio::piped())
            .spawn()
            .expect("python3 is needed for the SMTP tests");
        let mut line = String::new();
        std::io::BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let port = line
            .trim()
            .parse()
            .unwrap_or_else(|_| panic!("aiosmtpd did not start (pip install aiosmtpd): {line:?}"));
        SmtpServer { child, port, dir }
    }

    fn wait_for_message(&self) -> Vec<u8> {
        for _ in 0..100 {
            if let Some(path) = files(&self.dir.0, "eml").first() {
                return std::fs::read(path).unwrap();
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("no message arrived at the SMTP server");
    }
}

impl Drop for SmtpServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Parses a MIME message with Python's `email` package: headers and every part in order.
fn parse_mime(message: &[u8]) -> serde_json::Value {
    const SCRIPT: &str = r#"
import sys, json, email, hashlib
from email import policy
m = email.message_from_bytes(sys.stdin.buffer.read(), policy=policy.default)
parts = []
for p in m.walk():
    d = {'type': p.get_content_type(), 'disposition': p.get_content_disposition(),
         'content_id': p.get('Content-ID'), 'filename': p.get_filename()}
    if p.get_content_maintype() == 'text':
        d['text'] = p.get_content()
    elif not p.is_multipart():
        d['sha256'] = hashlib.sha256(p.get_content()).hexdigest()
    parts.append(d)
print(json.dumps({'to': str(m['To']), 'subject': str(m['Subject']), 'parts': parts}))
"#;
    let mut child = std::process::Command::new("python3")
        .arg("-c")
        .arg(SCRIPT)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(message).unwrap();
    let output = child.wait_with_output().unwrap();
    serde_json::from_slice(&output.stdout).unwrap()
}

/// A multipart form with the CSRF token and an image.
fn multipart(csrf: &str, image: &[u8]) -> (String, Vec<u8>) {
    let boundary = "----ereceipt-test-boundary";
    let mut body = format!(
        "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{boundary}\r\nContent-Disposition: form-data; name=\"image\"; filename=\"r.png\"\r\n\
         Content-Type: image/png\r\n\r\n"
    )
    .into_bytes();
    body.extend_from_slice(image);
    body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
    (format!("multipart/form-data; boundary={boundary}"), body)
}

/// Repaints a block of pixels a third of the way down (the transaction lines).
fn tamper(png: &[u8]) -> Vec<u8> {
    let mut image = image::load_from_memory(png).unwrap().to_luma8();
    let y0 = image.height() / 3;
    for y in y0..y0 + 12 {
        for x in 200..260 {
            image.put_pixel(x, y, image::Luma([0]));
        }
    }
    let mut out = std::io::Cursor::new(Vec::new());
    image.write_to(&mut out, image::ImageFormat::Png).unwrap();
    out.into_inner()
}

on_both!(verify_page_outlines_tampering, verify_page_scenario);
async fn verify_page_scenario(backend: Backend) {
    let (_site, state, app) = harness_with(backend, |_| {}).await;
    let mut t = terminal(&state, &app, "898310048990001").await;
    let sealed = t.issue();
    let answer = send(&app, put(&sealed.id, sealed.envelope.clone())).await;
    assert_eq!(answer.status, StatusCode::CREATED);
    let mut c = Client::new(&app);
    assert_eq!(c.get("/verify").await.status, StatusCode::OK);
    let csrf = c.csrf.clone();
    let cases = [
        (sealed.payload.png.clone(), "authentic"),
        (tamper(&sealed.payload.png), "tampered"),
    ];
    for (image, outcome) in cases {
        let (content_type, body) = multipart(&csrf, &image);
        let request = Request::post("/verify")
            .header(header::COOKIE, c.cookie_header())
            .header(header::CONTENT_TYPE, content_type)
            .body(Body::from(body))
            .unwrap();
        let page = c.request(request).await;
        assert_eq!(page.status, StatusCode::OK);
        assert!(
            page.body.contains(&format!("data-outcome=\"{outcome}\"")),
            "{outcome}: {}",
            page.body
        );
        assert!(page.body.contains("src=\"data:image/png;base64,"));
        if outcome == "tampered" {
            assert!(!page.body.contains("data-regions=\"0\""), "{}", page.body);
        }
    }
    let (content_type, body) = multipart("wrong", &sealed.payload.png);
    let request = Request::post("/verify")
        .header(header::COOKIE, c.cookie_header())
        .header(header::CONTENT_TYPE, content_type)
        .body(Body::from(body))
        .unwrap();
    assert_eq!(c.request(request).await.status, StatusCode::FORBIDDEN);
}

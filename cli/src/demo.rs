//! `ereceipt demo`: the whole system in one command, on embedded defaults.
//!
//! Starts a platform in this process (SQLite file and local blobs under the demo directory, a
//! free port on localhost), creates the demo merchants, enrolls their terminals over real HTTP,
//! issues receipts covering every delivery mode and kind, uploads them through the outbox,
//! waits for the platform to verify them, shows what was delivered, verifies one receipt, makes
//! a tampered copy and shows the verifier catching and locating the edit.

use crate::{Failure, print};
use ereceipt_core::identity::CaCertificate;
use ereceipt_core::record::{
    IssueRequest, VerificationReport, VerifyOptions, embed_evidence, extract_evidence, layout_of,
    verify_image,
};
use ereceipt_core::render::font::FontPack;
use ereceipt_core::render::{Bitmap, CopyKind, Paper, encode_png};
use ereceipt_core::seal::Delivery;
use ereceipt_core::signature::Signature;
use ereceipt_core::terminal::{Terminal, TerminalConfig};
use ereceipt_core::{Error, Transaction};
use ereceipt_platform::server::Server;
use ereceipt_platform::{Config, admin};
use serde_json::{Value, json};
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The marker file that makes a directory a demo directory (and safe to start over in).
const MARKER: &str = "ereceipt-demo.json";

/// One receipt of the demo.
struct Sample {
    transaction: &'static str,
    signature: Option<&'static str>,
    delivery: &'static str,
    what: &'static str,
}

const SAMPLES: &[Sample] = &[
    Sample {
        transaction: "cny-sale",
        signature: Some("wang-xiaoming"),
        delivery: "sms:+8613800138000",
        what: "CNY sale, Chinese merchant, signed by the cardholder, by SMS",
    },
    Sample {
        transaction: "void",
        signature: None,
        delivery: "mms:+8613800138000",
        what: "void of a CNY sale, PIN verified, by MMS",
    },
    Sample {
        transaction: "contactless-sale",
        signature: None,
        delivery: "email:kunde@example.de",
        what: "contactless EUR sale without signature, by e-mail",
    },
    Sample {
        transaction: "kwd-refund",
        signature: Some("marc-dubois"),
        delivery: "pull:+96550001234",
        what: "KWD refund (3 decimals), signed, pull: the customer signs in at the portal",
    },
];

/// Where the sample transactions and signatures are.
fn data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join("tests")
        .join("data")
}

/// Prints progress on standard error: each step and, when done, its result and time; on a
/// terminal, a bar while a step of several parts runs (a log gets the step lines alone).
struct Progress {
    started: Instant,
    step: Instant,
    text: String,
    quiet: bool,
    terminal: bool,
}

impl Progress {
    fn new(quiet: bool) -> Self {
        Progress {
            started: Instant::now(),
            step: Instant::now(),
            text: String::new(),
            quiet,
            terminal: std::io::stderr().is_terminal(),
        }
    }

    fn begin(&mut self, text: &str) {
        self.step = Instant::now();
        text.clone_into(&mut self.text);
        if !self.quiet {
            eprint!("• {text} … ");
        }
    }

    /// Shows that `done` of `total` parts of the current step are done.
    fn advance(&self, done: usize, total: usize) {
        if !self.quiet && self.terminal {
            eprint!(
                "\r\x1b[K• {} … {} {done}/{total} ({:.1} s)",
                self.text,
                bar(done, total, 24),
                self.step.elapsed().as_secs_f64()
            );
        }
    }

    fn done(&mut self, result: &str) {
        if !self.quiet {
            if self.terminal {
                eprint!("\r\x1b[K• {} … ", self.text);
            }
            eprintln!("{result} ({:.1} s)", self.step.elapsed().as_secs_f64());
        }
    }
}

/// A text bar `width` cells wide, filled in proportion to `done` of `total`.
fn bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done.min(total) * width)
        .checked_div(total)
        .unwrap_or(width);
    format!("[{}{}]", "#".repeat(filled), ".".repeat(width - filled))
}

/// The demo's options.
pub(crate) struct DemoOptions {
    pub(crate) dir: PathBuf,
    pub(crate) listen: String,
    pub(crate) serve: bool,
    pub(crate) json: bool,
}

fn usage(e: impl std::fmt::Display) -> Failure {
    Failure::Usage(e.to_string())
}

/// Runs the demo.
pub(crate) fn run(options: &DemoOptions) -> Result<(), Failure> {
    prepare(&options.dir)?;
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(usage)?;
    runtime.block_on(demo(options))
}

/// Makes `dir` an empty demo directory: new, or one an earlier demo made.
fn prepare(dir: &Path) -> Result<(), Failure> {
    if dir.join(MARKER).exists() {
        std::fs::remove_dir_all(dir).map_err(usage)?;
    } else if std::fs::read_dir(dir).is_ok_and(|mut d| d.next().is_some()) {
        return Err(Failure::Usage(format!(
            "{} exists and is not a demo directory; choose another with --dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(usage)?;
    std::fs::write(dir.join(MARKER), b"{}\n").map_err(usage)
}

async fn demo(options: &DemoOptions) -> Result<(), Failure> {
    let dir = &options.dir;
    let mut progress = Progress::new(options.json);

    progress.begin("starting the platform (SQLite, local blobs)");
    let mut config = Config::for_data_dir(dir.join("platform"));
    config.listen = options.listen.parse().map_err(usage)?;
    let server = Server::start(&config).await.map_err(usage)?;
    let url = server.url();
    progress.done(&format!("listening on {url}"));

    progress.begin("creating merchants and enrolling their terminals");
    let mut terminals = Vec::new();
    let mut api_keys = Vec::new();
    for sample in SAMPLES {
        let tx = transaction(sample.transaction)?;
        let merchant = &tx.merchant().id;
        if !api_keys
            .iter()
            .any(|(m, _): &(String, String)| m == merchant)
        {
            let db = server.state().db();
            admin::add_merchant(db, &tx.merchant().name, Some(merchant))
                .await
                .map_err(usage)?;
            let key = admin::create_api_key(db, merchant).await.map_err(usage)?;
            api_keys.push((merchant.clone(), key.api_key));
        }
        if terminals
            .iter()
            .any(|(t, _): &(String, Arc<Terminal>)| t == tx.terminal_id())
        {
            continue;
        }
        let db = server.state().db();
        let token = admin::create_enrollment_token(db, merchant, time::Duration::hours(1))
            .await
            .map_err(usage)?;
        let (terminal_dir, url, terminal_id) = (
            dir.join("terminals").join(tx.terminal_id()),
            url.clone(),
            tx.terminal_id().to_owned(),
        );
        let terminal = blocking(move || {
            Terminal::enroll(
                &terminal_dir,
                &url,
                &token.token,
                &terminal_id,
                None,
                &TerminalConfig::default(),
            )
        })
        .await?
        .map_err(usage)?;
        terminals.push((tx.terminal_id().to_owned(), Arc::new(terminal)));
    }
    progress.done(&format!(
        "{} merchants, {} terminals",
        api_keys.len(),
        terminals.len()
    ));

    progress.begin("issuing receipts (each queued in its terminal's outbox)");
    let receipts_dir = dir.join("receipts");
    std::fs::create_dir_all(&receipts_dir).map_err(usage)?;
    let mut issued = Vec::new();
    for sample in SAMPLES {
        progress.advance(issued.len(), SAMPLES.len());
        let tx = transaction(sample.transaction)?;
        let signature = sample.signature.map(signature).transpose()?;
        let (_, terminal) = terminals
            .iter()
            .find(|(t, _)| t == tx.terminal_id())
            .expect("every sample's terminal was enrolled above");
        let request = IssueRequest {
            transaction: &tx,
            signature: signature.as_ref(),
            copy: CopyKind::Customer,
            paper: Paper::Mm80,
        };
        let delivery = Delivery::parse(sample.delivery).map_err(usage)?;
        let receipt = terminal.issue(request, Some(delivery)).map_err(usage)?;
        let path = receipts_dir.join(format!("{}.png", sample.transaction));
        std::fs::write(&path, &receipt.png).map_err(usage)?;
        issued.push((sample, receipt, path, tx.merchant().id.clone()));
    }
    progress.done(&format!("{} receipts", issued.len()));

    progress.begin("uploading through the outboxes");
    let mut uploaded = 0;
    for (done, (_, terminal)) in terminals.iter().enumerate() {
        progress.advance(done, terminals.len());
        let terminal = terminal.clone();
        let report = blocking(move || terminal.flush()).await?.map_err(usage)?;
        if let Some(error) = report.error {
            return Err(usage(error));
        }
        uploaded += report.stored + report.duplicates;
    }
    progress.done(&format!("{uploaded} stored by the platform"));

    progress.begin("waiting for the platform to verify and deliver every receipt");
    let client = reqwest::Client::new();
    let mut verified = Vec::new();
    for (_, receipt, _, merchant) in &issued {
        progress.advance(verified.len(), issued.len());
        let key = &api_keys
            .iter()
            .find(|(m, _)| m == merchant)
            .expect("every merchant has a key")
            .1;
        let id = receipt.record.receipt_id.to_string();
        verified.push(wait_verified(&client, &url, key, &id).await?);
    }
    let all_verified = verified
        .iter()
        .all(|v| v["verification"]["status"] == "verified");
    progress.done(if all_verified {
        "all authentic and untouched"
    } else {
        "SOME FAILED"
    });

    let delivered = list_files(&config.data.join("outbox"));
    let pull = SAMPLES
        .iter()
        .find_map(|s| s.delivery.strip_prefix("pull:"))
        .expect("one sample is delivered by pull");
    let login_code = ereceipt_platform::delivery::login_code(server.state(), pull)
        .await
        .map_err(usage)?
        .ok_or_else(|| usage("the pull customer's number is locked"))?;

    progress.begin("verifying a receipt offline with the platform's CA");
    let ca_pem = std::fs::read_to_string(dir.join("terminals/SH000001/ca.pem")).map_err(usage)?;
    let ca = CaCertificate::from_pem(&ca_pem).map_err(usage)?;
    let clean = &issued[0];
    let clean_report = verify(&std::fs::read(&clean.2).map_err(usage)?, &ca)?;
    progress.done(verdict(&clean_report));

    progress.begin("tampering with the amount of a copy and verifying it");
    let tampered_png = tamper_amount(&clean.1.png)?;
    let tampered_path = receipts_dir.join("cny-sale-TAMPERED.png");
    std::fs::write(&tampered_path, &tampered_png).map_err(usage)?;
    let tampered_report = verify(&tampered_png, &ca)?;
    let located: Vec<String> = tampered_report
        .regions
        .iter()
        .flat_map(|r| r.fields.iter().cloned())
        .collect();
    progress.done(&format!(
        "{}; edited field(s): {}",
        verdict(&tampered_report),
        located.join(", ")
    ));

    let summary = json!({
        "platform_url": url,
        "portal_url": url,
        "verify_url": format!("{url}verify"),
        "pull_customer": { "phone": pull, "login_code": login_code },
        "data_dir": config.data.display().to_string(),
        "receipts": issued.iter().zip(&verified).map(|((sample, r, path, _), v)| json!({
            "receipt_id": r.record.receipt_id.to_string(),
            "what": sample.what,
            "delivery": sample.delivery.split(':').next(),
            "png": path.display().to_string(),
            "bytes": r.png.len(),
            "verification": v["verification"]["status"],
            "delivery_status": v["delivery"]["status"],
        })).collect::<Vec<_>>(),
        "delivered_files": delivered.iter().map(|p| p.display().to_string()).collect::<Vec<_>>(),
        "verify": { "receipt": clean.2.display().to_string(), "authentic": clean_report.authentic, "tampered": clean_report.tampered },
        "tamper": {
            "receipt": tampered_path.display().to_string(),
            "authentic": tampered_report.authentic,
            "tampered": tampered_report.tampered,
            "fields": located,
        },
        "seconds": progress.started.elapsed().as_secs_f64(),
        "serving": options.serve,
    });
    if options.json {
        print(&summary.to_string());
    } else {
        print(&describe(&summary));
    }
    if options.serve {
        eprintln!("serving on {url}; Ctrl-C to stop");
        let _ = tokio::signal::ctrl_c().await;
    }
    server.stop().await.map_err(usage)
}

fn transaction(name: &str) -> Result<Transaction, Failure> {
    let path = data_dir().join("transactions").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(usage)?;
    Ok(Transaction::from_json(&text).map_err(Error::from)?)
}

fn signature(name: &str) -> Result<Signature, Failure> {
    let path = data_dir().join("signatures").join(format!("{name}.json"));
    let text = std::fs::read_to_string(&path).map_err(usage)?;
    Ok(Signature::from_json(&text).map_err(Error::from)?)
}

/// Runs a blocking SDK call (the SDK's HTTP client waits on its thread) on a thread of the
/// runtime's blocking pool, never on a worker thread the in-process platform answers on.
async fn blocking<T: Send + 'static>(
    call: impl FnOnce() -> T + Send + 'static,
) -> Result<T, Failure> {
    tokio::task::spawn_blocking(call).await.map_err(usage)
}

/// Polls the merchant API until the platform's background check of a receipt has run and its
/// delivery has been attempted.
async fn wait_verified(
    client: &reqwest::Client,
    url: &str,
    api_key: &str,
    id: &str,
) -> Result<Value, Failure> {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let body: Value = client
            .get(format!("{url}v1/merchant/receipts/{id}"))
            .bearer_auth(api_key)
            .send()
            .await
            .map_err(usage)?
            .json()
            .await
            .map_err(usage)?;
        let verified = body["verification"]["status"] != "pending";
        let delivered = body["delivery"]["status"] != "queued";
        if (verified && delivered) || Instant::now() > deadline {
            return Ok(body);
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

fn verify(png: &[u8], ca: &CaCertificate) -> Result<VerificationReport, Failure> {
    let options = VerifyOptions {
        trust_anchor: Some(ca),
        known_certificates: &[],
        at_unix_seconds: time::OffsetDateTime::now_utc().unix_timestamp(),
    };
    verify_image(png, &options).map_err(usage)
}

fn verdict(report: &VerificationReport) -> &'static str {
    match (report.authentic, report.tampered) {
        (true, false) => "AUTHENTIC and UNTOUCHED",
        (true, true) => "authentic record, but the IMAGE WAS ALTERED",
        (false, true) => "TAMPERED",
        (false, false) => "NOT VERIFIED",
    }
}

/// What a forger would do: repaint the last digit of the amount and keep the embedded record.
fn tamper_amount(png: &[u8]) -> Result<Vec<u8>, Failure> {
    let fields = layout_of(png).ok_or_else(|| usage("the receipt has no layout"))?;
    let amount = fields
        .iter()
        .find(|f| f.field == "amount")
        .ok_or_else(|| usage("the receipt has no amount line"))?;
    let mut bitmap = decode(png)?;
    let font = FontPack::embedded();
    let scale = (amount.h / font.cell_height()).max(1);
    let (w, h) = (font.cell_width() * scale, font.cell_height() * scale);
    let (x0, y0) = (amount.x + amount.w - w, amount.y + amount.h - h);
    let glyph = font
        .glyph('8')
        .ok_or_else(|| usage("the font has no digits"))?;
    for y in 0..h {
        for x in 0..w {
            bitmap.set(x0 + x, y0 + y, glyph.pixel(x / scale, y / scale));
        }
    }
    let evidence = extract_evidence(png)
        .ok()
        .flatten()
        .ok_or_else(|| usage("the receipt has no evidence"))?;
    Ok(embed_evidence(&encode_png(&bitmap), &evidence))
}

fn decode(png: &[u8]) -> Result<Bitmap, Failure> {
    let gray = image::load_from_memory(png).map_err(usage)?.to_luma8();
    let mut bitmap = Bitmap::new(gray.width(), gray.height());
    for (x, y, p) in gray.enumerate_pixels() {
        bitmap.set(x, y, p.0[0] < 128);
    }
    Ok(bitmap)
}

/// Every file under `dir`, sorted; none when it does not exist.
fn list_files(dir: &Path) -> Vec<PathBuf> {
    let mut files = Vec::new();
    let mut todo = vec![dir.to_owned()];
    while let Some(d) = todo.pop() {
        for entry in std::fs::read_dir(&d).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                todo.push(path);
            } else {
                files.push(path);
            }
        }
    }
    files.sort();
    files
}

/// The summary in words.
fn describe(s: &Value) -> String {
    let mut out = String::from("\nReceipts issued (images in the receipts folder):\n");
    for r in s["receipts"].as_array().into_iter().flatten() {
        out.push_str(&format!(
            "  {}  {}\n      {} ({} bytes, platform check: {}, delivery: {})\n",
            r["receipt_id"].as_str().unwrap_or_default(),
            r["what"].as_str().unwrap_or_default(),
            r["png"].as_str().unwrap_or_default(),
            r["bytes"],
            r["verification"].as_str().unwrap_or_default(),
            r["delivery_status"].as_str().unwrap_or_default(),
        ));
    }
    let files = s["delivered_files"].as_array().cloned().unwrap_or_default();
    out.push_str(&format!("\nDelivered ({} files):\n", files.len()));
    for f in &files {
        out.push_str(&format!("  {}\n", f.as_str().unwrap_or_default()));
    }
    out.push_str(&format!(
        "\nTampered copy: {}\n  the verifier says {} and located the edit in: {}\n",
        s["tamper"]["receipt"].as_str().unwrap_or_default(),
        if s["tamper"]["tampered"] == true {
            "TAMPERED"
        } else {
            "untouched (!)"
        },
        s["tamper"]["fields"]
            .as_array()
            .map(|f| f
                .iter()
                .filter_map(Value::as_str)
                .collect::<Vec<_>>()
                .join(", "))
            .unwrap_or_default(),
    ));
    out.push_str(&format!(
        "\nPlatform data: {}\nPortal: {}   Verify page: {}\n\
         Sign in at the portal as the pull customer: {} with code {} (10 minutes{})\n\
         Done in {:.1} s.",
        s["data_dir"].as_str().unwrap_or_default(),
        s["portal_url"].as_str().unwrap_or_default(),
        s["verify_url"].as_str().unwrap_or_default(),
        s["pull_customer"]["phone"].as_str().unwrap_or_default(),
        s["pull_customer"]["login_code"]
            .as_str()
            .unwrap_or_default(),
        if s["serving"] == true {
            ""
        } else {
            "; run with --serve to keep the portal up"
        },
        s["seconds"].as_f64().unwrap_or_default(),
    ));
    out
}

#[cfg(test)]
mod tests {
    use super::bar;

    #[test]
    fn the_bar_fills_in_proportion_and_never_overflows() {
        assert_eq!(bar(0, 4, 8), "[........]");
        assert_eq!(bar(1, 4, 8), "[##......]");
        assert_eq!(bar(4, 4, 8), "[########]");
        assert_eq!(bar(9, 4, 8), "[########]");
        assert_eq!(bar(0, 0, 8), "[########]");
    }
}

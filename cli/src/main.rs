//! `ereceipt`: the command line of the ereceipt SDK.
//!
//! Exit codes: 0 success, 1 the input was read but refused (invalid transaction or signature,
//! unprintable text), 2 the call was wrong or a file could not be read or written, 3 the
//! platform is unavailable or the outbox is full (receipts are kept).

mod demo;
mod terminal;

use clap::{Parser, Subcommand, ValueEnum};
use ereceipt_core::identity::{CaCertificate, TerminalCertificate, TerminalSubject};
use ereceipt_core::record::{Outcome, VerificationReport, VerifyOptions, verify_image};
use ereceipt_core::render::{CopyKind, Paper, ReceiptDocument, RenderOptions, render_receipt};
use ereceipt_core::signature::{CaptureConfig, Signature};
use ereceipt_core::{Error, Transaction};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "ereceipt",
    version,
    about = "Electronic receipts for mobile POS terminals"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the whole system once on embedded defaults: a platform, merchants, terminals,
    /// receipts for every delivery mode, upload, verification and a tampered copy.
    Demo {
        /// The demo's directory (created; an earlier demo's is replaced).
        #[arg(long, default_value = "ereceipt-demo")]
        dir: PathBuf,
        /// Where the platform listens.
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
        /// Keep the platform running afterwards (portal, verify page) until Ctrl-C.
        #[arg(long)]
        serve: bool,
        /// Print a machine-readable summary on standard output.
        #[arg(long)]
        json: bool,
    },
    /// Render a receipt image from a transaction (and a signature when the card needs one).
    Render {
        #[command(flatten)]
        receipt: ReceiptArgs,
        /// Text to encode in the receipt's QR code.
        #[arg(long)]
        qr: Option<String>,
        /// Where to write the PNG.
        #[arg(long)]
        out: PathBuf,
    },
    /// Validate a transaction and print its canonical JSON form (card number masked).
    Check {
        /// The transaction JSON file.
        transaction: PathBuf,
    },
    /// Manage a terminal directory.
    Terminal {
        #[command(subcommand)]
        command: TerminalCommand,
    },
    /// Issue a signed, chained receipt from a terminal directory.
    Issue {
        /// The terminal directory (`ereceipt terminal init`).
        #[arg(long)]
        terminal: PathBuf,
        #[command(flatten)]
        receipt: ReceiptArgs,
        /// Where to write the PNG.
        #[arg(long)]
        out: PathBuf,
        /// How the customer wants the receipt: sms:NUMBER, mms:NUMBER, email:ADDRESS or
        /// pull:NUMBER (numbers in international form, +8613800138000).
        #[arg(long)]
        deliver: Option<String>,
        /// Only queue the receipt; do not try to upload it now.
        #[arg(long)]
        queue_only: bool,
        /// Print a JSON summary on standard output.
        #[arg(long)]
        json: bool,
    },
    /// The terminal's offline outbox: receipts waiting for the platform.
    Outbox {
        #[command(subcommand)]
        command: OutboxCommand,
    },
    /// Run and administer the receipt platform (server, merchants, API keys, enrollment
    /// tokens).
    Platform {
        #[command(subcommand)]
        command: ereceipt_platform::cli::PlatformCommand,
    },
    /// Verify a receipt image: exit 0 when authentic and untouched, 1 when tampered or not
    /// authentic, 2 when it cannot be read.
    Verify {
        /// The receipt image (PNG or JPEG).
        image: PathBuf,
        /// The CA certificate (PEM) terminal certificates must chain to.
        #[arg(long)]
        trust: Option<PathBuf>,
        /// A terminal certificate (PEM) to check the QR code's signature with when the image
        /// lost its embedded record; may be repeated.
        #[arg(long)]
        certificate: Vec<PathBuf>,
        /// Print the report as JSON on standard output.
        #[arg(long)]
        json: bool,
    },
}

/// What both `render` and `issue` print: the transaction, signature, paper and copy.
#[derive(clap::Args)]
pub(crate) struct ReceiptArgs {
    /// The transaction, in the JSON form of docs/TRANSACTION.md.
    #[arg(long)]
    transaction: PathBuf,
    /// The cardholder's signature strokes (ereceipt-strokes/1 JSON).
    #[arg(long)]
    signature: Option<PathBuf>,
    /// Image width: 576 (80 mm paper) or 384 (58 mm paper).
    #[arg(long, default_value_t = 576)]
    width: u32,
    /// Which copy to print.
    #[arg(long, value_enum, default_value_t = Copy::Customer)]
    copy: Copy,
}

impl ReceiptArgs {
    /// Reads and validates the transaction and signature files.
    pub(crate) fn load(
        &self,
    ) -> Result<(Transaction, Option<Signature>, Paper, CopyKind), Failure> {
        let tx = Transaction::from_json(&read(&self.transaction)?).map_err(Error::from)?;
        let signature = read_signature(self.signature.as_deref())?;
        Ok((tx, signature, paper(self.width)?, copy_kind(self.copy)))
    }
}

#[derive(Subcommand)]
enum TerminalCommand {
    /// Create a terminal key and, for offline use, a self-contained local TEST CA (its
    /// certificate in DIR/ca.pem) and the terminal's certificate.
    Init {
        /// The directory to create the terminal in.
        #[arg(long)]
        dir: PathBuf,
        /// The terminal id (ISO 8583 field 41).
        #[arg(long, default_value = "T0000001")]
        terminal_id: String,
        /// The merchant id (ISO 8583 field 42).
        #[arg(long, default_value = "898310048990001")]
        merchant_id: String,
        /// The merchant's name.
        #[arg(long, default_value = "ereceipt demo merchant")]
        merchant_name: String,
    },
    /// Enroll a new terminal with a receipt platform using a one-time enrollment token.
    Enroll {
        /// The directory to create the terminal in.
        #[arg(long)]
        dir: PathBuf,
        /// The platform's base URL.
        #[arg(long)]
        platform: String,
        /// The one-time enrollment token (`ereceipt platform enrollment-token`).
        #[arg(long)]
        token: String,
        /// The terminal id (ISO 8583 field 41).
        #[arg(long, default_value = "T0000001")]
        terminal_id: String,
        /// Print a JSON summary on standard output.
        #[arg(long)]
        json: bool,
    },
}

#[derive(Subcommand)]
enum OutboxCommand {
    /// Show what is waiting and what the platform rejected.
    Status {
        /// The terminal directory.
        #[arg(long)]
        terminal: PathBuf,
        /// Print JSON (pending, dead, oldest_pending_age_s, last_error, ...).
        #[arg(long)]
        json: bool,
    },
    /// Upload everything waiting, in order. Exit 3 when the platform is unavailable.
    Flush {
        /// The terminal directory.
        #[arg(long)]
        terminal: PathBuf,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Upload in the background as an app does: at once, then on a timer with backoff while
    /// the platform is unreachable.
    Watch {
        /// The terminal directory.
        #[arg(long)]
        terminal: PathBuf,
        /// Stop when nothing is waiting any more.
        #[arg(long)]
        until_empty: bool,
        /// Seconds between checks when idle, and the longest backoff.
        #[arg(long, default_value_t = 30)]
        interval: u64,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Copy {
    Customer,
    Merchant,
    Duplicate,
}

/// A failure and the exit code it maps to.
pub(crate) enum Failure {
    /// The call or the file system failed: exit 2.
    Usage(String),
    /// The input was refused: exit 1.
    Refused(Error),
    /// Verification ran and the receipt is tampered or not authentic: exit 1, report printed.
    Verdict,
    /// The platform is unavailable or the outbox is full; receipts are kept: exit 3.
    Unavailable(String),
}

impl From<Error> for Failure {
    fn from(e: Error) -> Self {
        Failure::Refused(e)
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli.command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(Failure::Usage(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(2)
        }
        Err(Failure::Refused(error)) => {
            eprintln!("error: {error}");
            ExitCode::from(1)
        }
        Err(Failure::Verdict) => ExitCode::from(1),
        Err(Failure::Unavailable(message)) => {
            eprintln!("error: {message}");
            ExitCode::from(3)
        }
    }
}

fn copy_kind(copy: Copy) -> CopyKind {
    match copy {
        Copy::Customer => CopyKind::Customer,
        Copy::Merchant => CopyKind::Merchant,
        Copy::Duplicate => CopyKind::Duplicate,
    }
}

fn paper(width: u32) -> Result<Paper, Failure> {
    Paper::from_width(width).ok_or_else(|| Failure::Usage("--width must be 384 or 576".into()))
}

/// Reads a signature file and applies the capture policy: a receipt needs a real signature,
/// not a dot.
fn read_signature(path: Option<&Path>) -> Result<Option<Signature>, Failure> {
    let Some(path) = path else { return Ok(None) };
    let signature = Signature::from_json(&read(path)?).map_err(Error::from)?;
    CaptureConfig::default()
        .check(&signature)
        .map_err(Error::from)?;
    Ok(Some(signature))
}

#[allow(
    clippy::print_stdout,
    reason = "printing the result is the command's job"
)]
pub(crate) fn print(text: &str) {
    println!("{text}");
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Render { receipt, qr, out } => {
            let (tx, signature, paper, copy) = receipt.load()?;
            let mut doc = ReceiptDocument::new(&tx).copy(copy);
            if let Some(signature) = &signature {
                doc = doc.signature(signature);
            }
            if let Some(qr) = qr {
                doc = doc.qr_payload(qr.into_bytes());
            }
            let rendered =
                render_receipt(&doc, &RenderOptions::paper(paper)).map_err(Error::from)?;
            std::fs::write(&out, rendered.bytes())
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", out.display())))?;
            let bitmap = rendered.bitmap();
            eprintln!(
                "wrote {} ({}x{} px, {} bytes)",
                out.display(),
                bitmap.width(),
                bitmap.height(),
                rendered.bytes().len()
            );
            Ok(())
        }
        Command::Check { transaction } => {
            let tx = Transaction::from_json(&read(&transaction)?).map_err(Error::from)?;
            let pretty: serde_json::Value =
                serde_json::from_str(&tx.to_json()).expect("to_json writes valid JSON");
            print(&serde_json::to_string_pretty(&pretty).expect("a JSON value always serialises"));
            Ok(())
        }
        Command::Terminal {
            command:
                TerminalCommand::Init {
                    dir,
                    terminal_id,
                    merchant_id,
                    merchant_name,
                },
        } => {
            let subject = TerminalSubject::new(&merchant_id, &merchant_name, &terminal_id)
                .map_err(|e| Failure::Usage(e.to_string()))?;
            terminal::init(&dir, &subject)
        }
        Command::Terminal {
            command:
                TerminalCommand::Enroll {
                    dir,
                    platform,
                    token,
                    terminal_id,
                    json,
                },
        } => terminal::enroll(&dir, &platform, &token, &terminal_id, json),
        Command::Issue {
            terminal,
            receipt,
            out,
            deliver,
            queue_only,
            json,
        } => terminal::issue(
            &terminal,
            &receipt,
            &out,
            deliver.as_deref(),
            queue_only,
            json,
        ),
        Command::Demo {
            dir,
            listen,
            serve,
            json,
        } => demo::run(&demo::DemoOptions {
            dir,
            listen,
            serve,
            json,
        }),
        Command::Outbox { command } => match command {
            OutboxCommand::Status { terminal, json } => terminal::status(&terminal, json),
            OutboxCommand::Flush { terminal, json } => terminal::flush(&terminal, json),
            OutboxCommand::Watch {
                terminal,
                until_empty,
                interval,
            } => terminal::watch(&terminal, until_empty, interval),
        },
        Command::Platform { command } => {
            ereceipt_platform::cli::run(command).map_err(|e| Failure::Usage(e.to_string()))
        }
        Command::Verify {
            image,
            trust,
            certificate,
            json,
        } => {
            let certificates = certificate
                .iter()
                .map(|path| {
                    TerminalCertificate::from_pem(&read(path)?)
                        .map_err(|e| Failure::Usage(e.to_string()))
                })
                .collect::<Result<Vec<_>, _>>()?;
            let png = std::fs::read(&image)
                .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", image.display())))?;
            let anchor = match trust {
                Some(path) => Some(
                    CaCertificate::from_pem(&read(&path)?)
                        .map_err(|e| Failure::Usage(e.to_string()))?,
                ),
                None => None,
            };
            let options = VerifyOptions {
                trust_anchor: anchor.as_ref(),
                known_certificates: &certificates,
                at_unix_seconds: time::OffsetDateTime::now_utc().unix_timestamp(),
            };
            let report = verify_image(&png, &options).map_err(|e| Failure::Usage(e.to_string()))?;
            if json {
                print(&serde_json::to_string_pretty(&report).expect("reports serialise"));
            } else {
                print(&describe(&report));
            }
            if report.authentic && !report.tampered {
                Ok(())
            } else {
                Err(Failure::Verdict)
            }
        }
    }
}

/// The report in words, for a person at a terminal.
fn describe(report: &VerificationReport) -> String {
    let verdict = match (report.authentic, report.tampered) {
        (true, false) => "AUTHENTIC and UNTOUCHED",
        (true, true) => "AUTHENTIC record, but the IMAGE WAS ALTERED",
        (false, true) => "TAMPERED",
        (false, false) => "NOT VERIFIED as authentic",
    };
    let mut out = format!("{verdict}\n");
    if let (Some(id), Some(terminal)) = (&report.receipt_id, &report.terminal_id) {
        out.push_str(&format!("receipt {id} from terminal {terminal}\n"));
    }
    for check in &report.checks {
        let mark = match check.outcome {
            Outcome::Passed => "ok  ",
            Outcome::Failed => "FAIL",
            Outcome::Skipped => "skip",
        };
        out.push_str(&format!("  {mark} {:<20} {}\n", check.name, check.detail));
    }
    for r in &report.regions {
        out.push_str(&format!(
            "  altered region x={} y={} w={} h={} ({})\n",
            r.x,
            r.y,
            r.w,
            r.h,
            if r.fields.is_empty() {
                "outside printed fields".to_owned()
            } else {
                r.fields.join(", ")
            }
        ));
    }
    out.trim_end().to_owned()
}

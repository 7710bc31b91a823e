//! `ereceipt`: the command line of the ereceipt SDK.
//!
//! Exit codes: 0 success, 1 the input was read but refused (invalid transaction or signature,
//! unprintable text), 2 the call was wrong or a file could not be read or written.

use clap::{Parser, Subcommand, ValueEnum};
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
    /// Render a receipt image from a transaction (and a signature when the card needs one).
    Render {
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
}

#[derive(Clone, Copy, ValueEnum)]
enum Copy {
    Customer,
    Merchant,
    Duplicate,
}

/// A failure and the exit code it maps to.
enum Failure {
    /// The call or the file system failed: exit 2.
    Usage(String),
    /// The input was refused: exit 1.
    Refused(Error),
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
    }
}

fn read(path: &Path) -> Result<String, Failure> {
    std::fs::read_to_string(path)
        .map_err(|e| Failure::Usage(format!("cannot read {}: {e}", path.display())))
}

fn run(command: Command) -> Result<(), Failure> {
    match command {
        Command::Render {
            transaction,
            signature,
            width,
            copy,
            qr,
            out,
        } => {
            let paper = Paper::from_width(width)
                .ok_or_else(|| Failure::Usage("--width must be 384 or 576".into()))?;
            let tx = Transaction::from_json(&read(&transaction)?).map_err(Error::from)?;
            let signature = match signature {
                Some(path) => {
                    let signature = Signature::from_json(&read(&path)?).map_err(Error::from)?;
                    // A receipt needs a real signature, not a dot: the capture policy applies.
                    CaptureConfig::default()
                        .check(&signature)
                        .map_err(Error::from)?;
                    Some(signature)
                }
                None => None,
            };
            let mut doc = ReceiptDocument::new(&tx).copy(match copy {
                Copy::Customer => CopyKind::Customer,
                Copy::Merchant => CopyKind::Merchant,
                Copy::Duplicate => CopyKind::Duplicate,
            });
            if let Some(signature) = &signature {
                doc = doc.signature(signature);
            }
            if let Some(qr) = qr {
                doc = doc.qr_payload(qr.into_bytes());
            }
            let receipt =
                render_receipt(&doc, &RenderOptions::paper(paper)).map_err(Error::from)?;
            std::fs::write(&out, receipt.bytes())
                .map_err(|e| Failure::Usage(format!("cannot write {}: {e}", out.display())))?;
            let bitmap = receipt.bitmap();
            eprintln!(
                "wrote {} ({}x{} px, {} bytes)",
                out.display(),
                bitmap.width(),
                bitmap.height(),
                receipt.bytes().len()
            );
            Ok(())
        }
        Command::Check { transaction } => {
            let tx = Transaction::from_json(&read(&transaction)?).map_err(Error::from)?;
            let pretty: serde_json::Value =
                serde_json::from_str(&tx.to_json()).expect("to_json writes valid JSON");
            let text =
                serde_json::to_string_pretty(&pretty).expect("a JSON value always serialises");
            #[allow(
                clippy::print_stdout,
                reason = "printing the result is this command's job"
            )]
            {
                println!("{text}");
            }
            Ok(())
        }
    }
}

//! Issuing a receipt: record, signature, chain, image and evidence in one step.

use super::{
    ChainValue, Evidence, QrSummary, ReceiptId, ReceiptRecord, RecordError, band_digest,
    embed_evidence,
};
use crate::identity::{SIGNATURE_LEN, Signer, SignerError, TerminalCertificate};
use crate::render::{
    Bitmap, CertificateBlock, CopyKind, Paper, RENDERER_VERSION, ReceiptDocument, RenderError,
    RenderOptions, encode_png, font, render_bitmap, signature_band,
};
use crate::signature::Signature;
use crate::transaction::Transaction;
use crate::watermark::{self, WatermarkKey};

/// What a terminal keeps between receipts. Persist it only after the receipt it advanced to
/// is safely stored, so that a crash can never reuse a counter value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChainState {
    /// The counter of the last receipt issued (0 before the first).
    pub counter: u64,
    /// The chain value the next record must carry.
    pub next_previous: ChainValue,
}

impl ChainState {
    /// The state of a terminal that has issued nothing yet.
    pub fn genesis(terminal_id: &str) -> Self {
        ChainState {
            counter: 0,
            next_previous: ChainValue::genesis(terminal_id),
        }
    }
}

/// The terminal's credentials: its signer and its certificate chain.
pub struct Credentials<'a> {
    /// Signs the receipt summaries (a hardware key, or [`SoftwareSigner`](crate::identity::SoftwareSigner)).
    pub signer: &'a dyn Signer,
    /// The terminal's certificate.
    pub certificate: &'a TerminalCertificate,
    /// The chain embedded in the receipt, as PEM: the terminal certificate first, then its CAs.
    pub chain_pem: &'a [String],
}

/// What to issue.
#[derive(Clone, Copy)]
pub struct IssueRequest<'a> {
    /// The validated transaction.
    pub transaction: &'a Transaction,
    /// The cardholder's signature, when the verification method asks for one.
    pub signature: Option<&'a Signature>,
    /// Which copy to issue.
    pub copy: CopyKind,
    /// Paper width.
    pub paper: Paper,
}

/// An issued receipt.
#[derive(Clone, Debug)]
pub struct IssuedReceipt {
    /// The record.
    pub record: ReceiptRecord,
    /// The record's canonical encoding.
    pub record_bytes: Vec<u8>,
    /// The QR summary, with the terminal's signature unless signing failed.
    pub summary: QrSummary,
    /// The receipt image with its evidence chunk.
    pub png: Vec<u8>,
    /// The terminal state after this receipt.
    pub next: ChainState,
    /// Why the receipt is unsigned, when it is.
    pub signing_error: Option<SignerError>,
}

/// Why a receipt could not be issued.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum IssueError {
    /// The transaction names another terminal or merchant than the certificate.
    #[error("the transaction's {field} does not match the terminal certificate")]
    CertificateMismatch {
        /// `terminal_id` or `merchant.id`.
        field: &'static str,
    },
    /// The receipt could not be rendered.
    #[error(transparent)]
    Render(#[from] RenderError),
    /// The record could not be made.
    #[error(transparent)]
    Record(#[from] RecordError),
}

/// Issues one receipt: builds the record at the next counter, signs its summary, renders the
/// image with the QR code, watermarks it and embeds the evidence. If the signer fails the receipt is issued
/// unsigned (marked on the image and in the QR flags) and still advances the chain.
pub fn issue(
    state: &ChainState,
    request: IssueRequest<'_>,
    credentials: &Credentials<'_>,
) -> Result<IssuedReceipt, IssueError> {
    let tx = request.transaction;
    let cert = credentials.certificate;
    if tx.terminal_id() != cert.terminal_id() {
        return Err(IssueError::CertificateMismatch {
            field: "terminal_id",
        });
    }
    if tx.merchant().id != cert.merchant_id() {
        return Err(IssueError::CertificateMismatch {
            field: "merchant.id",
        });
    }
    let band = request.signature.map(|s| signature_band(s, request.paper));
    let record = ReceiptRecord {
        receipt_id: ReceiptId::random()?,
        terminal_id: tx.terminal_id().to_owned(),
        counter: state.counter + 1,
        previous: state.next_previous,
        transaction: tx.clone(),
        strokes_digest: request.signature.map(Signature::digest),
        signature_band_digest: band.as_ref().map(band_digest),
        certificate_fingerprint: cert.fingerprint(),
        certificate_serial: super::from_hex(cert.serial_hex()).ok_or(RecordError::Invalid {
            field: "certificate_serial".into(),
        })?,
        renderer: RENDERER_VERSION.to_owned(),
        font_pack: font::PACK_ID.to_owned(),
        paper: request.paper,
        copy: request.copy,
    };
    let record_bytes = record.encode();
    let mut summary = QrSummary::of(&record);
    let (signature, signing_error) = match credentials.signer.sign(&summary.signed_message()) {
        Ok(bytes) => match <[u8; SIGNATURE_LEN]>::try_from(bytes.as_slice()) {
            Ok(fixed) => (Some(fixed), None),
            Err(_) => (
                None,
                Some(SignerError::Failed {
                    reason: "signature is not 64 bytes".into(),
                }),
            ),
        },
        Err(e) => (None, Some(e)),
    };
    summary.signature = signature;
    let bitmap = render_bitmap(
        &document(&record, &summary, cert, band),
        &RenderOptions::paper(request.paper),
    )?;
    let bitmap = watermark::embed(&bitmap, &watermark_key(&record, &summary), &[]);
    let evidence = Evidence {
        record: record_bytes.clone(),
        signature,
        certificates: credentials.chain_pem.to_vec(),
    };
    let png = embed_evidence(&encode_png(&bitmap), &evidence);
    let next = ChainState {
        counter: record.counter,
        next_previous: summary.chain_value(&record_bytes),
    };
    Ok(IssuedReceipt {
        record,
        record_bytes,
        summary,
        png,
        next,
        signing_error,
    })
}

/// The watermark key of a receipt: derived from the terminal's signature (only the key holder
/// can make a valid mark, anyone with the receipt can check it), or from the record digest for
/// a receipt issued unsigned (then the mark catches accidental edits only).
pub fn watermark_key(record: &ReceiptRecord, summary: &QrSummary) -> WatermarkKey {
    match &summary.signature {
        Some(signature) => WatermarkKey::derive(signature, record.receipt_id.as_bytes()),
        None => WatermarkKey::unsigned(&record.digest(), record.receipt_id.as_bytes()),
    }
}

/// The printed document of a record: used by the issuer and, identically, by the verifier's
/// re-render.
pub(crate) fn document<'a>(
    record: &'a ReceiptRecord,
    summary: &QrSummary,
    cert: &TerminalCertificate,
    band: Option<Bitmap>,
) -> ReceiptDocument<'a> {
    let mut doc = ReceiptDocument::new(&record.transaction)
        .copy(record.copy)
        .certificate(CertificateBlock {
            issuer: cert.issuer_name().to_owned(),
            serial: cert.serial_hex().to_owned(),
            terminal_id: cert.terminal_id().to_owned(),
        })
        .qr_payload(summary.to_text().into_bytes())
        .receipt_id(record.receipt_id.to_string())
        .unsigned(summary.signature.is_none());
    if let Some(band) = band {
        doc = doc.signature_band(band);
    }
    doc
}

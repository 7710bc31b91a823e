//! The verifier: is a receipt image authentic, and is it untouched?

use super::issue::document;
use super::{QrSummary, ReceiptRecord, bitmap_digest, extract_evidence};
use crate::identity::{CaCertificate, TerminalCertificate, verify_chain, verify_es256};
use crate::render::{Bitmap, FieldBox, RenderOptions, SIGNATURE_HEIGHT, render_receipt};
use serde::Serialize;

/// Side of the square blocks in which pixel differences are grouped into regions.
const BLOCK: u32 = 8;

/// What the verifier trusts and when it checks.
#[derive(Clone, Debug)]
pub struct VerifyOptions<'a> {
    /// The CA certificate that terminal certificates must chain to; without one the receipt
    /// cannot be called authentic.
    pub trust_anchor: Option<&'a CaCertificate>,
    /// The time at which certificates must be valid, in Unix seconds (usually now).
    pub at_unix_seconds: i64,
}

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// The check ran and passed.
    Passed,
    /// The check ran and failed.
    Failed,
    /// The check could not run; `detail` says why.
    Skipped,
}

/// One check the verifier made.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Check {
    /// What was checked: `evidence`, `record`, `certificate_chain`, `certificate_binding`,
    /// `signature`, `signature_band`, `rerender`.
    pub name: &'static str,
    /// Passed, failed or skipped.
    pub outcome: Outcome,
    /// In words, for people.
    pub detail: String,
}

/// An area of the image that differs from what the record says was printed.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Region {
    /// Left edge in image pixels.
    pub x: u32,
    /// Top edge in image pixels.
    pub y: u32,
    /// Width in pixels.
    pub w: u32,
    /// Height in pixels.
    pub h: u32,
    /// The printed fields the region touches (`amount`, `card.masked_pan`, `signature`, …).
    pub fields: Vec<String>,
}

/// The verifier's report.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct VerificationReport {
    /// The record is signed by a terminal whose certificate chains to the trust anchor.
    pub authentic: bool,
    /// The image differs from the record, or the record from its signature.
    pub tampered: bool,
    /// The receipt id, when the record could be read.
    pub receipt_id: Option<String>,
    /// The issuing terminal, when the record could be read.
    pub terminal_id: Option<String>,
    /// The terminal's receipt counter, when the record could be read.
    pub counter: Option<u64>,
    /// Where the image was altered.
    pub regions: Vec<Region>,
    /// Every check, in the order made.
    pub checks: Vec<Check>,
}

impl VerificationReport {
    fn check(&mut self, name: &'static str, outcome: Outcome, detail: impl Into<String>) {
        self.checks.push(Check {
            name,
            outcome,
            detail: detail.into(),
        });
    }
}

/// Why an input could not be verified at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum VerifyError {
    /// The input is not a PNG image this verifier can decode.
    #[error("not a readable PNG image")]
    Unreadable,
}

/// Verifies a receipt PNG.
///
/// Reads the evidence chunk (record, signature, certificates), checks the certificate chain
/// against the trust anchor, the binding of the record to that certificate and the terminal's
/// signature, then re-renders the receipt from the record and compares it with the image pixel
/// for pixel. The signature band is compared by its digest (the record holds no strokes).
/// Returns `Err` only when the file cannot be decoded; every finding is in the report.
pub fn verify_png(
    png: &[u8],
    options: &VerifyOptions<'_>,
) -> Result<VerificationReport, VerifyError> {
    let image = decode_ink(png)?;
    let mut report = VerificationReport {
        authentic: false,
        tampered: false,
        receipt_id: None,
        terminal_id: None,
        counter: None,
        regions: Vec::new(),
        checks: Vec::new(),
    };
    let evidence = match extract_evidence(png) {
        Ok(Some(evidence)) => evidence,
        Ok(None) => {
            report.check("evidence", Outcome::Skipped, "the image carries no ereceipt record (metadata stripped?); its content cannot be checked offline");
            return Ok(report);
        }
        Err(e) => {
            report.tampered = true;
            report.check("evidence", Outcome::Failed, e.to_string());
            return Ok(report);
        }
    };
    report.check("evidence", Outcome::Passed, "record and certificates found");
    let record = match ReceiptRecord::decode(&evidence.record) {
        Ok(record) => record,
        Err(e) => {
            report.tampered = true;
            report.check("record", Outcome::Failed, e.to_string());
            return Ok(report);
        }
    };
    report.receipt_id = Some(record.receipt_id.to_string());
    report.terminal_id = Some(record.terminal_id.clone());
    report.counter = Some(record.counter);
    report.check("record", Outcome::Passed, "canonical ereceipt-record/1");

    let Some(leaf) = evidence
        .certificates
        .first()
        .and_then(|p| TerminalCertificate::from_pem(p).ok())
    else {
        report.check(
            "certificate_chain",
            Outcome::Failed,
            "no readable terminal certificate",
        );
        return Ok(report);
    };
    let chain_ok = match options.trust_anchor {
        None => {
            report.check(
                "certificate_chain",
                Outcome::Skipped,
                "no trust anchor given",
            );
            false
        }
        Some(anchor) => {
            let intermediates: Vec<CaCertificate> = evidence.certificates[1..]
                .iter()
                .filter_map(|p| CaCertificate::from_pem(p).ok())
                .filter(|c| c.fingerprint() != anchor.fingerprint())
                .collect();
            match verify_chain(&leaf, &intermediates, anchor, options.at_unix_seconds) {
                Ok(()) => {
                    report.check(
                        "certificate_chain",
                        Outcome::Passed,
                        format!("issued by {}", anchor.name()),
                    );
                    true
                }
                Err(e) => {
                    report.check("certificate_chain", Outcome::Failed, e.to_string());
                    false
                }
            }
        }
    };
    let bound = leaf.fingerprint() == record.certificate_fingerprint
        && leaf.terminal_id() == record.terminal_id
        && leaf.merchant_id() == record.transaction.merchant().id;
    if bound {
        report.check(
            "certificate_binding",
            Outcome::Passed,
            "the record names this certificate, terminal and merchant",
        );
    } else {
        report.tampered = true;
        report.check(
            "certificate_binding",
            Outcome::Failed,
            "the record does not match the certificate",
        );
    }
    let mut summary = QrSummary::of(&record);
    summary.signature = evidence.signature;
    let signed = match &evidence.signature {
        None => {
            report.check(
                "signature",
                Outcome::Failed,
                "issued unsigned: the terminal's key was unavailable",
            );
            false
        }
        Some(signature) => {
            match verify_es256(leaf.public_key_sec1(), &summary.signed_message(), signature) {
                Ok(()) => {
                    report.check("signature", Outcome::Passed, "ES256 by the terminal key");
                    true
                }
                Err(_) => {
                    report.tampered = true;
                    report.check(
                        "signature",
                        Outcome::Failed,
                        "the signature does not match the record",
                    );
                    false
                }
            }
        }
    };
    report.authentic = chain_ok && bound && signed;
    compare_pixels(&image, &record, &summary, &leaf, &mut report);
    Ok(report)
}

/// Where each field of a receipt is printed, from the record in its evidence chunk: what a
/// verify page needs to outline regions and name them. `None` without readable evidence.
pub fn layout_of(png: &[u8]) -> Option<Vec<FieldBox>> {
    let evidence = extract_evidence(png).ok()??;
    let record = ReceiptRecord::decode(&evidence.record).ok()?;
    let leaf = TerminalCertificate::from_pem(evidence.certificates.first()?).ok()?;
    let mut summary = QrSummary::of(&record);
    summary.signature = evidence.signature;
    let band = record
        .signature_band_digest
        .map(|_| Bitmap::new(record.paper.content_width(), SIGNATURE_HEIGHT));
    let rendered = render_receipt(
        &document(&record, &summary, &leaf, band),
        &RenderOptions::paper(record.paper),
    )
    .ok()?;
    Some(rendered.fields().to_vec())
}

fn compare_pixels(
    image: &Bitmap,
    record: &ReceiptRecord,
    summary: &QrSummary,
    leaf: &TerminalCertificate,
    report: &mut VerificationReport,
) {
    let opts = RenderOptions::paper(record.paper);
    let has_band = record.signature_band_digest.is_some();
    let blank = has_band.then(|| Bitmap::new(record.paper.content_width(), SIGNATURE_HEIGHT));
    let layout = match render_receipt(&document(record, summary, leaf, blank), &opts) {
        Ok(layout) => layout,
        Err(e) => {
            report.tampered = true;
            report.check(
                "rerender",
                Outcome::Failed,
                format!("the record cannot be rendered: {e}"),
            );
            return;
        }
    };
    let band = layout
        .fields()
        .iter()
        .find(|f| f.field == "signature")
        .cloned();
    let image_band = band.as_ref().map(|b| crop(image, b));
    if let (Some(expected), Some(found), Some(b)) =
        (record.signature_band_digest, &image_band, &band)
    {
        if bitmap_digest(found) == expected {
            report.check(
                "signature_band",
                Outcome::Passed,
                "the signature is the one signed",
            );
        } else {
            report.tampered = true;
            report
                .regions
                .push(region(b.x, b.y, b.w, b.h, layout.fields()));
            report.check(
                "signature_band",
                Outcome::Failed,
                "the signature differs from the one signed",
            );
        }
    }
    let expected = match image_band {
        Some(found) => match render_receipt(&document(record, summary, leaf, Some(found)), &opts) {
            Ok(r) => r,
            Err(e) => {
                report.check("rerender", Outcome::Failed, e.to_string());
                return;
            }
        },
        None => layout,
    };
    let expected_bitmap = expected.bitmap();
    if (image.width(), image.height()) != (expected_bitmap.width(), expected_bitmap.height()) {
        report.tampered = true;
        report
            .regions
            .push(region(0, 0, image.width(), image.height(), &[]));
        report.check(
            "rerender",
            Outcome::Failed,
            format!(
                "the image is {}x{} px, the record renders {}x{} px",
                image.width(),
                image.height(),
                expected_bitmap.width(),
                expected_bitmap.height()
            ),
        );
        return;
    }
    let regions = differing_regions(image, expected_bitmap, expected.fields());
    if regions.is_empty() {
        report.check(
            "rerender",
            Outcome::Passed,
            "every pixel matches the record",
        );
    } else {
        report.tampered = true;
        report.check(
            "rerender",
            Outcome::Failed,
            format!("{} altered region(s)", regions.len()),
        );
        report.regions.extend(regions);
    }
}

fn crop(image: &Bitmap, b: &FieldBox) -> Bitmap {
    let mut out = Bitmap::new(b.w, b.h);
    for y in 0..b.h {
        for x in 0..b.w {
            out.set(x, y, image.ink(b.x + x, b.y + y));
        }
    }
    out
}

fn region(x: u32, y: u32, w: u32, h: u32, fields: &[FieldBox]) -> Region {
    let mut names: Vec<String> = fields
        .iter()
        .filter(|f| f.x < x + w && x < f.x + f.w && f.y < y + h && y < f.y + f.h)
        .map(|f| f.field.to_owned())
        .collect();
    names.dedup();
    Region {
        x,
        y,
        w,
        h,
        fields: names,
    }
}

/// Groups differing pixels into blocks, joins touching blocks, and returns each group's tight
/// bounding box.
fn differing_regions(a: &Bitmap, b: &Bitmap, fields: &[FieldBox]) -> Vec<Region> {
    let (bw, bh) = (a.width().div_ceil(BLOCK), a.height().div_ceil(BLOCK));
    let mut boxes: Vec<Option<(u32, u32, u32, u32)>> = vec![None; (bw * bh) as usize];
    for y in 0..a.height() {
        for x in 0..a.width() {
            if a.ink(x, y) != b.ink(x, y) {
                let i = ((y / BLOCK) * bw + x / BLOCK) as usize;
                let e = boxes[i].get_or_insert((x, y, x, y));
                *e = (e.0.min(x), e.1.min(y), e.2.max(x), e.3.max(y));
            }
        }
    }
    let mut seen = vec![false; boxes.len()];
    let mut regions = Vec::new();
    for start in 0..boxes.len() {
        if seen[start] || boxes[start].is_none() {
            continue;
        }
        seen[start] = true;
        let mut stack = vec![start];
        let mut bounds = boxes[start].expect("checked above");
        while let Some(i) = stack.pop() {
            let index = u32::try_from(i).expect("block grids are far smaller than u32::MAX");
            let (bx, by) = (index % bw, index / bw);
            for (dx, dy) in [
                (-1i64, -1i64),
                (0, -1),
                (1, -1),
                (-1, 0),
                (1, 0),
                (-1, 1),
                (0, 1),
                (1, 1),
            ] {
                let (nx, ny) = (i64::from(bx) + dx, i64::from(by) + dy);
                if nx < 0 || ny < 0 || nx >= i64::from(bw) || ny >= i64::from(bh) {
                    continue;
                }
                let j = usize::try_from(ny * i64::from(bw) + nx).expect("inside the grid");
                if !seen[j]
                    && let Some(e) = boxes[j]
                {
                    seen[j] = true;
                    bounds = (
                        bounds.0.min(e.0),
                        bounds.1.min(e.1),
                        bounds.2.max(e.2),
                        bounds.3.max(e.3),
                    );
                    stack.push(j);
                }
            }
        }
        let (x0, y0, x1, y1) = bounds;
        regions.push(region(x0, y0, x1 - x0 + 1, y1 - y0 + 1, fields));
    }
    regions
}

/// Decodes any PNG (1-bit to 16-bit, gray, RGB, palette, with or without alpha) to ink pixels:
/// luma below one half is ink, as a thermal printer would threshold.
fn decode_ink(png: &[u8]) -> Result<Bitmap, VerifyError> {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(|_| VerifyError::Unreadable)?;
    let (width, height) = (reader.info().width, reader.info().height);
    if width == 0 || height == 0 || u64::from(width) * u64::from(height) > 40_000_000 {
        return Err(VerifyError::Unreadable);
    }
    let mut buf = vec![0; reader.output_buffer_size().ok_or(VerifyError::Unreadable)?];
    let frame = reader
        .next_frame(&mut buf)
        .map_err(|_| VerifyError::Unreadable)?;
    let channels = frame.color_type.samples();
    let mut bitmap = Bitmap::new(width, height);
    for y in 0..height {
        let row = &buf[y as usize * frame.line_size..];
        for x in 0..width {
            let p = &row[x as usize * channels..x as usize * channels + channels];
            let luma = match channels {
                1 | 2 => u32::from(p[0]),
                _ => (u32::from(p[0]) * 299 + u32::from(p[1]) * 587 + u32::from(p[2]) * 114) / 1000,
            };
            let alpha = if channels == 2 || channels == 4 {
                u32::from(p[channels - 1])
            } else {
                255
            };
            // Transparent pixels are paper.
            let composited = (luma * alpha + 255 * (255 - alpha)) / 255;
            bitmap.set(x, y, composited < 128);
        }
    }
    Ok(bitmap)
}

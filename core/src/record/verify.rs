//! The verifier: is a receipt image authentic, and is it untouched?

use super::issue::document;
use super::{
    EvidenceError, QrSummary, ReceiptRecord, band_digest, extract_evidence, watermark_key,
};
use crate::identity::{CaCertificate, TerminalCertificate, verify_chain, verify_es256};
use crate::render::{Bitmap, FieldBox, RenderOptions, SIGNATURE_HEIGHT, render_layout};
use crate::watermark::{self, WatermarkKey};
use serde::Serialize;

/// Side of the square blocks in which pixel differences are grouped into regions.
const BLOCK: u32 = 8;

/// What the verifier trusts and when it checks.
#[derive(Clone, Debug)]
pub struct VerifyOptions<'a> {
    /// The CA certificate that terminal certificates must chain to; without one the receipt
    /// cannot be called authentic.
    pub trust_anchor: Option<&'a CaCertificate>,
    /// Terminal certificates the verifier already knows (the platform knows every enrolled
    /// one): used to check the QR code's signature when the image lost its evidence chunk.
    pub known_certificates: &'a [TerminalCertificate],
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
    /// The outcome of the check called `name` (`signature`, `rerender`, `watermark`, …), when
    /// it was made.
    pub fn outcome(&self, name: &str) -> Option<Outcome> {
        self.checks
            .iter()
            .find(|c| c.name == name)
            .map(|c| c.outcome)
    }

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
    /// The input is not a PNG or JPEG image this verifier can decode, or is larger than
    /// 40 megapixels.
    #[error("not a readable PNG or JPEG image")]
    Unreadable,
    /// A JPEG, and this build reads PNGs only (built without the `photo-verify` feature, as
    /// the phone libraries are).
    #[error("this build verifies PNG images only (no JPEG decoder)")]
    JpegUnsupported,
}

/// Verifies a receipt image (PNG, or JPEG as messaging apps deliver it).
///
/// With the evidence chunk (record, signature, certificates): checks the certificate chain
/// against the trust anchor, the binding of the record to that certificate and the terminal's
/// signature, then re-renders the receipt from the record and compares it with the image pixel
/// for pixel (the signature band by its digest: the record holds no strokes). A lossy or resized
/// image cannot be compared pixel for pixel, and the report says so instead of flagging it.
///
/// Without the chunk (metadata stripped, JPEG): reads the printed QR code, which identifies
/// the receipt, the terminal, the counter and the amount, and checks its signature when the
/// terminal's certificate is among the known ones; the printed content is then not checked.
///
/// Returns `Err` only when the file cannot be decoded; every finding is in the report.
pub fn verify_image(
    bytes: &[u8],
    options: &VerifyOptions<'_>,
) -> Result<VerificationReport, VerifyError> {
    let decoded = decode(bytes)?;
    let image = &decoded.ink;
    let mut report = VerificationReport {
        authentic: false,
        tampered: false,
        receipt_id: None,
        terminal_id: None,
        counter: None,
        regions: Vec::new(),
        checks: Vec::new(),
    };
    let evidence = match extract_evidence(bytes) {
        Ok(Some(evidence)) => evidence,
        Ok(None) | Err(EvidenceError::NotPng) => {
            report.check(
                "evidence",
                Outcome::Skipped,
                "the image carries no ereceipt record (metadata stripped?); its printed content \
                 cannot be compared",
            );
            identify_from_qr(&decoded, options, &mut report);
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
    if decoded.lossless {
        let fields = compare_pixels(image, &record, &summary, &leaf, &mut report);
        check_watermark(
            image,
            &watermark_key(&record, &summary),
            &fields,
            &mut report,
        );
    } else {
        report.check(
            "rerender",
            Outcome::Skipped,
            "the image went through lossy compression or scaling: it cannot be compared pixel \
             for pixel",
        );
    }
    Ok(report)
}

/// Without the `photo-verify` feature there is no QR reader: an image without its evidence
/// chunk cannot be identified, and the report says why.
#[cfg(not(feature = "photo-verify"))]
fn identify_from_qr(
    _decoded: &Decoded,
    _options: &VerifyOptions<'_>,
    report: &mut VerificationReport,
) {
    report.check(
        "qr",
        Outcome::Skipped,
        "this build reads no QR codes (built without the photo-verify feature)",
    );
}

/// Identifies a receipt from its printed QR code and checks the code's signature when the
/// terminal certificate is known.
#[cfg(feature = "photo-verify")]
fn identify_from_qr(
    decoded: &Decoded,
    options: &VerifyOptions<'_>,
    report: &mut VerificationReport,
) {
    let Some(summary) = read_qr(decoded) else {
        report.check(
            "qr",
            Outcome::Failed,
            "no readable ereceipt QR code in the image",
        );
        return;
    };
    report.receipt_id = Some(summary.receipt_id.to_string());
    report.terminal_id = Some(summary.terminal_id.clone());
    report.counter = Some(summary.counter);
    report.check(
        "qr",
        Outcome::Passed,
        "receipt identified from its printed QR code",
    );
    match (&summary.signature, decoded.lossless) {
        (Some(signature), true) => {
            let key = WatermarkKey::derive(signature, summary.receipt_id.as_bytes());
            check_watermark(&decoded.ink, &key, &[], report);
        }
        (Some(_), false) => report.check(
            "watermark",
            Outcome::Skipped,
            "the image went through lossy compression or scaling, which erases the fragile mark",
        ),
        (None, _) => report.check(
            "watermark",
            Outcome::Skipped,
            "an unsigned receipt's mark needs its record to be checked",
        ),
    }
    let serial = super::hex(&summary.certificate_serial);
    let Some(leaf) = options
        .known_certificates
        .iter()
        .find(|c| c.serial_hex() == serial && c.terminal_id() == summary.terminal_id)
    else {
        report.check(
            "signature",
            Outcome::Skipped,
            "the terminal's certificate is not known here",
        );
        return;
    };
    let chain_ok = match options.trust_anchor {
        Some(anchor) => verify_chain(leaf, &[], anchor, options.at_unix_seconds).is_ok(),
        None => false,
    };
    let signed = summary.signature.is_some_and(|s| {
        verify_es256(leaf.public_key_sec1(), &summary.signed_message(), &s).is_ok()
    });
    if signed {
        report.check(
            "signature",
            Outcome::Passed,
            "the QR code is signed by the terminal key",
        );
    } else {
        report.tampered = summary.signature.is_some();
        report.check(
            "signature",
            Outcome::Failed,
            "the QR code's signature does not verify",
        );
    }
    report.authentic = chain_ok && signed;
}

/// Checks the watermark (Source A \[0042\]: per-block feature values against a threshold) and
/// adds the regions it finds that the re-render comparison did not already report.
fn check_watermark(
    image: &Bitmap,
    key: &WatermarkKey,
    fields: &[FieldBox],
    report: &mut VerificationReport,
) {
    let detection = watermark::detect_bitmap(image, key, &[]);
    let counts = format!(
        "{} of {} code bits differ over {} blocks (threshold {} per block)",
        detection.mismatched_bits, detection.bits_checked, detection.hosts, detection.threshold
    );
    match &detection.status {
        watermark::Status::Intact => report.check("watermark", Outcome::Passed, counts),
        watermark::Status::Tampered => {
            report.tampered = true;
            for r in &detection.regions {
                let known = report.regions.iter().any(|k| {
                    k.x < r.x + r.w && r.x < k.x + k.w && k.y < r.y + r.h && r.y < k.y + k.h
                });
                if !known {
                    report.regions.push(region(r.x, r.y, r.w, r.h, fields));
                }
            }
            report.check("watermark", Outcome::Failed, counts);
        }
        watermark::Status::NotCheckable(why) => {
            report.check(
                "watermark",
                Outcome::Skipped,
                format!("not checkable: {why:?}"),
            );
        }
    }
}

/// Reads the first ereceipt QR code in the image.
///
/// Tries the image thresholded at one half first (it removes the JPEG ringing around module
/// edges that defeats the reader's adaptive threshold at quality 75), then as it is.
#[cfg(feature = "photo-verify")]
fn read_qr(decoded: &Decoded) -> Option<QrSummary> {
    let (w, h) = (decoded.width as usize, decoded.height as usize);
    let strategies: [&dyn Fn(u8) -> u8; 2] = [&|v| if v < 128 { 0 } else { 255 }, &|v| v];
    strategies.iter().find_map(|map| {
        let mut prepared =
            rqrr::PreparedImage::prepare_from_greyscale(w, h, |x, y| map(decoded.luma[y * w + x]));
        prepared
            .detect_grids()
            .into_iter()
            .filter_map(|grid| grid.decode().ok())
            .find_map(|(_, text)| QrSummary::from_text(&text).ok())
    })
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
    render_layout(
        &document(&record, &summary, &leaf, band),
        &RenderOptions::paper(record.paper),
    )
    .ok()
    .map(|(_, fields)| fields)
}

fn compare_pixels(
    image: &Bitmap,
    record: &ReceiptRecord,
    summary: &QrSummary,
    leaf: &TerminalCertificate,
    report: &mut VerificationReport,
) -> Vec<FieldBox> {
    let opts = RenderOptions::paper(record.paper);
    let has_band = record.signature_band_digest.is_some();
    let blank = has_band.then(|| Bitmap::new(record.paper.content_width(), SIGNATURE_HEIGHT));
    let (mut expected, fields) = match render_layout(&document(record, summary, leaf, blank), &opts)
    {
        Ok(layout) => layout,
        Err(e) => {
            report.tampered = true;
            report.check(
                "rerender",
                Outcome::Failed,
                format!("the record cannot be rendered: {e}"),
            );
            return Vec::new();
        }
    };
    // The band is compared by its digest; the rest of the expected image takes the band as
    // found, exactly as the renderer would have drawn it (a copy at the band's position).
    if let (Some(digest), Some(b)) = (
        record.signature_band_digest,
        fields.iter().find(|f| f.field == "signature"),
    ) {
        let found = crop(image, b);
        if band_digest(&found) == digest {
            report.check(
                "signature_band",
                Outcome::Passed,
                "the signature is the one signed",
            );
        } else {
            report.tampered = true;
            report.regions.push(region(b.x, b.y, b.w, b.h, &fields));
            report.check(
                "signature_band",
                Outcome::Failed,
                "the signature differs from the one signed",
            );
        }
        for y in 0..b.h {
            for x in 0..b.w {
                expected.set(b.x + x, b.y + y, found.ink(x, y));
            }
        }
    }
    let expected_bitmap = &expected;
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
        return fields;
    }
    let regions = differing_regions(image, expected_bitmap, &fields);
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
    fields
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
            // Pixels the watermark may have flipped are checked by the watermark's codes.
            if a.ink(x, y) != b.ink(x, y) && !watermark::is_carrier_candidate(a, x, y) {
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
        // Differing carrier candidates right at the edge of an edit belong to it.
        let (mut x0, mut y0, mut x1, mut y1) = bounds;
        let (ex0, ey0) = (x0.saturating_sub(1), y0.saturating_sub(1));
        let (ex1, ey1) = ((x1 + 1).min(a.width() - 1), (y1 + 1).min(a.height() - 1));
        for y in ey0..=ey1 {
            for x in ex0..=ex1 {
                if a.ink(x, y) != b.ink(x, y) {
                    (x0, y0, x1, y1) = (x0.min(x), y0.min(y), x1.max(x), y1.max(y));
                }
            }
        }
        regions.push(region(x0, y0, x1 - x0 + 1, y1 - y0 + 1, fields));
    }
    merge_lines(regions, fields)
}

/// Joins regions that lie on the same printed line of the same field (an edited amount whose
/// unchanged digits split the changed pixels into several groups, an erased label and value):
/// one edit, one region.
fn merge_lines(mut regions: Vec<Region>, fields: &[FieldBox]) -> Vec<Region> {
    let same_line = |a: &Region, b: &Region| {
        let overlap = (a.y + a.h).min(b.y + b.h).saturating_sub(a.y.max(b.y));
        overlap * 2 >= a.h.min(b.h) && a.fields.iter().any(|f| b.fields.contains(f))
    };
    let mut merged = true;
    while merged {
        merged = false;
        'outer: for i in 0..regions.len() {
            for j in i + 1..regions.len() {
                if same_line(&regions[i], &regions[j]) {
                    let b = regions.swap_remove(j);
                    let a = &regions[i];
                    let (x0, y0) = (a.x.min(b.x), a.y.min(b.y));
                    let (x1, y1) = ((a.x + a.w).max(b.x + b.w), (a.y + a.h).max(b.y + b.h));
                    regions[i] = region(x0, y0, x1 - x0, y1 - y0, fields);
                    merged = true;
                    break 'outer;
                }
            }
        }
    }
    regions.sort_by_key(|r| (r.y, r.x));
    regions
}

/// A decoded input image.
#[cfg_attr(
    not(feature = "photo-verify"),
    allow(dead_code, reason = "the size and luma are read by the QR reader only")
)]
struct Decoded {
    width: u32,
    height: u32,
    /// 8-bit luma, row-major.
    luma: Vec<u8>,
    /// Luma below one half is ink, as a thermal printer would threshold.
    ink: Bitmap,
    /// Every pixel is pure black or pure white: the image can be compared pixel for pixel.
    lossless: bool,
}

/// The largest image accepted, in pixels.
const MAX_PIXELS: u64 = 40_000_000;

/// Decodes a PNG (any bit depth and colour type) or, with the `photo-verify` feature, a JPEG.
fn decode(bytes: &[u8]) -> Result<Decoded, VerifyError> {
    let is_jpeg = bytes.starts_with(&[0xFF, 0xD8, 0xFF]);
    if !cfg!(feature = "photo-verify") && is_jpeg {
        return Err(VerifyError::JpegUnsupported);
    }
    #[cfg(feature = "photo-verify")]
    let decoded = if is_jpeg {
        decode_jpeg(bytes)
    } else {
        decode_png(bytes)
    };
    #[cfg(not(feature = "photo-verify"))]
    let decoded = decode_png(bytes);
    let (width, height, luma) = decoded.ok_or(VerifyError::Unreadable)?;
    let lossless = luma.iter().all(|&v| v == 0 || v == 255);
    let mut ink = Bitmap::new(width, height);
    for (i, &v) in luma.iter().enumerate() {
        if v < 128 {
            let i = u32::try_from(i).expect("at most 40 megapixels");
            ink.set(i % width, i / width, true);
        }
    }
    Ok(Decoded {
        width,
        height,
        luma,
        ink,
        lossless,
    })
}

/// The largest side accepted, in pixels.
const MAX_SIDE: u32 = 20_000;

/// The most memory a decoder may allocate.
const MAX_ALLOC: usize = 512 * 1024 * 1024;

/// Whether a `width` × `height` image is within the limits above.
fn acceptable_size(width: u32, height: u32) -> bool {
    (1..=MAX_SIDE).contains(&width)
        && (1..=MAX_SIDE).contains(&height)
        && u64::from(width) * u64::from(height) <= MAX_PIXELS
}

/// A PNG's image as 8-bit luma, with the `png` crate alone (the phone library carries no general
/// image library): palette and low bit depths expanded, 16-bit samples rounded to 8 bits, colour
/// weighted with the sRGB (Rec. 709) luma coefficients, alpha ignored. These are the conversions
/// of `image`'s `to_luma8`, which this replaced, up to the rounding of colour pixels (black and
/// white come out exactly 0 and 255 either way).
fn decode_png(bytes: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    let limits = png::Limits { bytes: MAX_ALLOC };
    let mut decoder = png::Decoder::new_with_limits(std::io::Cursor::new(bytes), limits);
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().ok()?;
    let (width, height) = reader.info().size();
    if !acceptable_size(width, height) {
        return None;
    }
    let mut buffer = vec![0; reader.output_buffer_size()?];
    let frame = reader.next_frame(&mut buffer).ok()?;
    buffer.truncate(frame.buffer_size());
    let samples = frame.color_type.samples();
    let luma = if frame.bit_depth == png::BitDepth::Sixteen {
        buffer
            .chunks_exact(2 * samples)
            .map(|pixel| {
                // Big-endian samples, rounded as round(v * 255 / 65535).
                let channel = |i: usize| {
                    (u32::from(u16::from_be_bytes([pixel[2 * i], pixel[2 * i + 1]])) + 128) / 257
                };
                luma_of(samples, channel)
            })
            .collect()
    } else {
        buffer
            .chunks_exact(samples)
            .map(|pixel| luma_of(samples, |i| u32::from(pixel[i])))
            .collect()
    };
    Some((width, height, luma))
}

/// The luma of one pixel of `samples` 8-bit channels: gray (1 channel, 2 with alpha) is itself,
/// colour (3, 4 with alpha) is 0.2126 R + 0.7152 G + 0.0722 B, rounded.
fn luma_of(samples: usize, channel: impl Fn(usize) -> u32) -> u8 {
    let luma = if samples >= 3 {
        (2126 * channel(0) + 7152 * channel(1) + 722 * channel(2) + 5000) / 10_000
    } else {
        channel(0)
    };
    u8::try_from(luma).expect("a weighted mean of 8-bit values is 8-bit")
}

/// A JPEG as 8-bit luma, with `image`'s decoder and conversion.
#[cfg(feature = "photo-verify")]
fn decode_jpeg(bytes: &[u8]) -> Option<(u32, u32, Vec<u8>)> {
    use image::ImageDecoder as _;
    let mut decoder = image::codecs::jpeg::JpegDecoder::new(std::io::Cursor::new(bytes)).ok()?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_SIDE);
    limits.max_image_height = Some(MAX_SIDE);
    limits.max_alloc = Some(MAX_ALLOC as u64);
    decoder.set_limits(limits).ok()?;
    let luma = image::DynamicImage::from_decoder(decoder).ok()?.to_luma8();
    let (width, height) = luma.dimensions();
    acceptable_size(width, height).then(|| (width, height, luma.into_raw()))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 2×1 PNG of `color` and `depth` from the samples of its two pixels.
    fn png_of(color: png::ColorType, depth: png::BitDepth, palette: bool, data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        let mut encoder = png::Encoder::new(&mut out, 2, 1);
        encoder.set_color(color);
        encoder.set_depth(depth);
        if palette {
            encoder.set_palette(vec![0, 0, 0, 255, 255, 255]);
        }
        let mut writer = encoder.write_header().unwrap();
        writer.write_image_data(data).unwrap();
        writer.finish().unwrap();
        out
    }

    /// Black then white comes out as 0 and 255 from every colour type and bit depth.
    #[test]
    fn every_png_layout_decodes_to_the_same_luma() {
        use png::{BitDepth::*, ColorType::*};
        let cases: [(png::ColorType, png::BitDepth, bool, &[u8]); 9] = [
            (Grayscale, One, false, &[0b0100_0000]),
            (Grayscale, Eight, false, &[0, 255]),
            (Grayscale, Sixteen, false, &[0, 0, 255, 255]),
            (GrayscaleAlpha, Eight, false, &[0, 255, 255, 255]),
            (
                GrayscaleAlpha,
                Sixteen,
                false,
                &[0, 0, 255, 255, 255, 255, 255, 255],
            ),
            (Rgb, Eight, false, &[0, 0, 0, 255, 255, 255]),
            (
                Rgb,
                Sixteen,
                false,
                &[0, 0, 0, 0, 0, 0, 255, 255, 255, 255, 255, 255],
            ),
            (Rgba, Eight, false, &[0, 0, 0, 255, 255, 255, 255, 255]),
            (Indexed, One, true, &[0b0100_0000]),
        ];
        for (color, depth, palette, data) in cases {
            let decoded = decode_png(&png_of(color, depth, palette, data));
            assert_eq!(decoded, Some((2, 1, vec![0, 255])), "{color:?} {depth:?}");
        }
    }

    /// Colour is weighted with the sRGB luma coefficients, as `image`'s `to_luma8` did.
    #[test]
    fn colour_is_weighted_like_srgb_luma() {
        let red_green = png_of(
            png::ColorType::Rgb,
            png::BitDepth::Eight,
            false,
            &[255, 0, 0, 0, 255, 0],
        );
        assert_eq!(decode_png(&red_green), Some((2, 1, vec![54, 182])));
    }

    #[test]
    fn not_a_png_is_none() {
        assert_eq!(decode_png(b"\x89PNG\r\n\x1a\n garbage"), None);
        assert_eq!(decode_png(&[]), None);
    }
}

//! Tamper-evaluation harness: issues many varied receipts, edits them and passes them through
//! what happens to receipts in real life, and measures what the verifier says.
//!
//! ```sh
//! cargo run --release -p ereceipt-tests --example tamper_eval -- --receipts 1000 [--out docs/tamper-eval.md]
//! ```
//!
//! Edits (on the lossless PNG, evidence chunk kept, as a forger would): one digit changed in the
//! amount, the date/time, the trace number and the card number; a line erased; a patch pasted
//! from another receipt; the signature swapped. Benign transforms: metadata stripped, PNG
//! re-encoded (8-bit gray, evidence kept), JPEG 95/85/75, 90 % resize, 10 px crop.
//! Ground truth for localisation is the bounding box of the pixels an edit changed; a region
//! "localises" an edit when its IoU with that box is at least 0.5.

#![allow(
    clippy::unwrap_used,
    clippy::print_stdout,
    reason = "a measurement tool, not the SDK"
)]

use ereceipt_core::Transaction;
use ereceipt_core::identity::{
    CertificateAuthority, SoftwareSigner, TerminalCertificate, TerminalSubject, create_csr,
};
use ereceipt_core::record::{
    ChainState, Credentials, IssueRequest, IssuedReceipt, Region, VerificationReport,
    VerifyOptions, embed_evidence, extract_evidence, issue, layout_of, verify_image,
};
use ereceipt_core::render::font::FontPack;
use ereceipt_core::render::{Bitmap, CopyKind, FieldBox, Paper, encode_png, signature_band};
use ereceipt_core::signature::Signature;
use ereceipt_core::watermark::is_carrier_candidate;
use ereceipt_tests::{signature, signature_names, transaction_json, transaction_names};
use serde_json::Value;
use std::collections::BTreeMap;
use std::time::Instant;

struct Terminal {
    signer: SoftwareSigner,
    certificate: TerminalCertificate,
    chain: Vec<String>,
}

/// One receipt under test.
struct Case {
    issued: IssuedReceipt,
    bitmap: Bitmap,
    fields: Vec<FieldBox>,
    has_signature: bool,
    issue_ms: f64,
}

#[derive(Default)]
struct Tally {
    cases: usize,
    detected: usize,
    localised: usize,
    overlapping: usize,
    false_alarms: usize,
    identified: usize,
    authentic: usize,
    verify_ms: Vec<f64>,
    note: &'static str,
}

impl Tally {
    /// Counts one edited receipt.
    fn edit(
        &mut self,
        note: &'static str,
        report: &VerificationReport,
        ms: f64,
        truth: (u32, u32, u32, u32),
        case: &Case,
    ) {
        self.note = note;
        self.cases += 1;
        self.verify_ms.push(ms);
        self.detected += usize::from(report.tampered);
        self.localised += usize::from(report.regions.iter().any(|r| iou(truth, r) >= 0.5));
        self.overlapping += usize::from(report.regions.iter().any(|r| iou(truth, r) > 0.0));
        self.identified += usize::from(identified(report, case));
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    let arg = |name: &str| {
        args.iter()
            .position(|a| a == name)
            .and_then(|i| args.get(i + 1))
    };
    let receipts: usize = arg("--receipts").map_or(1000, |n| n.parse().expect("--receipts N"));
    let out = arg("--out").cloned();

    let ca = CertificateAuthority::generate("tamper-eval", true).unwrap();
    let anchor = ca.certificate().clone();
    let mut terminals: BTreeMap<String, Terminal> = BTreeMap::new();
    let samples: Vec<(String, Value)> = transaction_names()
        .into_iter()
        .map(|n| {
            let v = serde_json::from_str(&transaction_json(&n)).unwrap();
            (n, v)
        })
        .collect();
    let signatures: Vec<Signature> = signature_names().iter().map(|n| signature(n)).collect();

    let started = Instant::now();
    let mut cases = Vec::with_capacity(receipts);
    for i in 0..receipts {
        let (_, base) = &samples[i % samples.len()];
        let tx = vary(base, i);
        let key = format!("{}/{}", tx.terminal_id(), tx.merchant().id);
        let terminal = terminals.entry(key).or_insert_with(|| enroll(&ca, &tx));
        let sig = tx
            .needs_signature()
            .then(|| &signatures[i % signatures.len()]);
        let paper = if i % 3 == 2 { Paper::Mm58 } else { Paper::Mm80 };
        let copy = [CopyKind::Customer, CopyKind::Merchant, CopyKind::Duplicate][i % 5 % 3];
        let t0 = Instant::now();
        let issued = issue(
            &ChainState::genesis(tx.terminal_id()),
            IssueRequest {
                transaction: &tx,
                signature: sig,
                copy,
                paper,
            },
            &Credentials {
                signer: &terminal.signer,
                certificate: &terminal.certificate,
                chain_pem: &terminal.chain,
            },
        )
        .unwrap();
        let issue_ms = t0.elapsed().as_secs_f64() * 1000.0;
        let bitmap = decode(&issued.png);
        let fields = layout_of(&issued.png).unwrap();
        cases.push(Case {
            issued,
            bitmap,
            fields,
            has_signature: sig.is_some(),
            issue_ms,
        });
    }
    eprintln!(
        "issued {receipts} receipts in {:.1} s",
        started.elapsed().as_secs_f64()
    );

    let known: Vec<TerminalCertificate> =
        terminals.values().map(|t| t.certificate.clone()).collect();
    let options = VerifyOptions {
        trust_anchor: Some(&anchor),
        known_certificates: &known,
        at_unix_seconds: time::OffsetDateTime::now_utc().unix_timestamp(),
    };

    let mut tallies: BTreeMap<&'static str, Tally> = BTreeMap::new();
    for (i, case) in cases.iter().enumerate() {
        let other = &cases[(i + 7) % cases.len()];
        let edited_cases = edits(case, other, &signatures, i);
        for (name, edited) in &edited_cases {
            let Some(truth) = changed_box(&case.bitmap, edited) else {
                continue;
            };
            let png = embed_evidence(&encode_png(edited), &evidence_of(case));
            let (report, ms) = timed_verify(&png, &options);
            let tally = tallies.entry(name).or_default();
            tally.edit("edit, lossless, evidence kept", &report, ms, truth, case);
        }
        // The amount edit again, on an image whose evidence chunk was stripped as well.
        if let Some((_, edited)) = edited_cases
            .iter()
            .find(|(name, _)| *name == "amount digit")
            && let Some(truth) = changed_box(&case.bitmap, edited)
        {
            let (report, ms) = timed_verify(&encode_png(edited), &options);
            let tally = tallies
                .entry("amount digit, metadata stripped")
                .or_default();
            tally.edit("edit, no evidence: watermark", &report, ms, truth, case);
        }
        for (name, bytes) in benign(case, i) {
            let (report, ms) = timed_verify(&bytes, &options);
            let tally = tallies.entry(name).or_default();
            tally.note = "benign transform";
            tally.cases += 1;
            tally.verify_ms.push(ms);
            tally.false_alarms += usize::from(report.tampered);
            tally.identified += usize::from(identified(&report, case));
            tally.authentic += usize::from(report.authentic);
        }
    }

    let mut sizes: Vec<f64> = cases.iter().map(|c| c.issued.png.len() as f64).collect();
    let mut issue_ms: Vec<f64> = cases.iter().map(|c| c.issue_ms).collect();
    let mut table = String::new();
    table.push_str(&format!(
        "Receipts: {receipts} (6 samples varied in amount, trace, items, paper, copy; 4 \
         signatures). PNG with evidence: median {:.1} KB. Issue: median {:.1} ms. Run: {} on \
         {} cores.\n\n",
        median(&mut sizes) / 1024.0,
        median(&mut issue_ms),
        time::OffsetDateTime::now_utc().date(),
        std::thread::available_parallelism().map_or(1, |n| n.get()),
    ));
    table.push_str("| case | kind | n | detected | localised (IoU ≥ 0.5) | a region overlaps the edit | false alarms | identified | authentic | verify ms (median) |\n");
    table.push_str("|---|---|---|---|---|---|---|---|---|---|\n");
    for (name, t) in &mut tallies {
        let pct = |k: usize| format!("{:.1} %", 100.0 * k as f64 / t.cases.max(1) as f64);
        let edit = t.note.starts_with("edit");
        table.push_str(&format!(
            "| {name} | {} | {} | {} | {} | {} | {} | {} | {} | {:.1} |\n",
            t.note,
            t.cases,
            if edit { pct(t.detected) } else { "—".into() },
            if edit { pct(t.localised) } else { "—".into() },
            if edit {
                pct(t.overlapping)
            } else {
                "—".into()
            },
            if edit {
                "—".into()
            } else {
                pct(t.false_alarms)
            },
            pct(t.identified),
            if edit { "—".into() } else { pct(t.authentic) },
            median(&mut t.verify_ms),
        ));
    }
    println!("{table}");
    if let Some(path) = out {
        std::fs::write(&path, table).unwrap();
        eprintln!("wrote {path}");
    }
}

/// A variant of a sample: another trace number, amounts scaled, items kept consistent.
fn vary(base: &Value, i: usize) -> Transaction {
    let mut v = base.clone();
    v["trace_number"] = Value::String(format!("{}", 100 + i % 900_000));
    let factor = 1 + (i as u64 * 7919) % 13;
    if let Some(items) = v["line_items"].as_array_mut() {
        let mut sum = 0;
        for item in items.iter_mut() {
            let amount = item["amount"].as_u64().unwrap() * factor;
            item["amount"] = amount.into();
            if let Some(price) = item["unit_price"].as_u64() {
                item["unit_price"] = (price * factor).into();
            }
            sum += amount;
        }
        let adj = |k: &str| v[k].as_u64().unwrap_or(0);
        let total = sum - adj("discount") + adj("tax") + adj("tip");
        v["amount"] = total.into();
    } else {
        let amount = v["amount"].as_u64().unwrap() * factor;
        v["amount"] = amount.into();
    }
    Transaction::from_json(&v.to_string()).unwrap()
}

fn enroll(ca: &CertificateAuthority, tx: &Transaction) -> Terminal {
    let signer = SoftwareSigner::generate().unwrap();
    let subject =
        TerminalSubject::new(&tx.merchant().id, &tx.merchant().name, tx.terminal_id()).unwrap();
    let now = time::OffsetDateTime::now_utc();
    let pem = ca
        .issue(
            &create_csr(&signer, &subject).unwrap(),
            now - time::Duration::hours(1),
            now + time::Duration::days(30),
        )
        .unwrap();
    let certificate = TerminalCertificate::from_pem(&pem).unwrap();
    Terminal {
        signer,
        certificate,
        chain: vec![pem, ca.certificate_pem()],
    }
}

fn evidence_of(case: &Case) -> ereceipt_core::record::Evidence {
    extract_evidence(&case.issued.png).unwrap().unwrap()
}

fn field<'a>(case: &'a Case, name: &str) -> Option<&'a FieldBox> {
    case.fields.iter().find(|f| f.field == name)
}

/// Overwrites the last character cell of a field's line with another digit.
fn change_last_digit(case: &Case, name: &str, scale: u32) -> Option<Bitmap> {
    let f = field(case, name)?;
    let font = FontPack::embedded();
    let (w, h) = (font.cell_width() * scale, font.cell_height() * scale);
    let (x0, y0) = (f.x + f.w - w, f.y + f.h - h);
    ['8', '3', '1'].into_iter().find_map(|digit| {
        let glyph = font.glyph(digit)?;
        let mut edited = case.bitmap.clone();
        for y in 0..h {
            for x in 0..w {
                edited.set(x0 + x, y0 + y, glyph.pixel(x / scale, y / scale));
            }
        }
        // A real edit changes a pixel the watermark never touches; redrawing the same digit
        // only undoes the mark's flips and is not a content edit.
        let content_changed = (0..h).any(|y| {
            (0..w).any(|x| {
                let (px, py) = (x0 + x, y0 + y);
                edited.ink(px, py) != case.bitmap.ink(px, py)
                    && !is_carrier_candidate(&case.bitmap, px, py)
            })
        });
        content_changed.then_some(edited)
    })
}

fn edits(
    case: &Case,
    other: &Case,
    signatures: &[Signature],
    i: usize,
) -> Vec<(&'static str, Bitmap)> {
    let mut out = Vec::new();
    for (name, field_name, scale) in [
        ("amount digit", "amount", 2),
        ("date/time digit", "local_time", 1),
        ("trace number digit", "trace_number", 1),
        ("card number digit", "card.masked_pan", 1),
    ] {
        if let Some(edited) = change_last_digit(case, field_name, scale) {
            out.push((name, edited));
        }
    }
    if let Some(f) = field(case, "batch_number") {
        let mut erased = case.bitmap.clone();
        erased.fill(f.x, f.y, f.w, f.h, false);
        out.push(("line erased", erased));
    }
    if let Some(f) = field(case, "terminal_id") {
        let mut pasted = case.bitmap.clone();
        for y in 0..f.h {
            for x in 0..f.w {
                pasted.set(f.x + x, f.y + y, other.bitmap.ink(f.x + x, f.y + y));
            }
        }
        out.push(("patch from another receipt", pasted));
    }
    if case.has_signature
        && let Some(f) = field(case, "signature")
    {
        let paper = Paper::from_width(case.bitmap.width()).unwrap();
        let band = signature_band(&signatures[(i + 1) % signatures.len()], paper);
        let mut swapped = case.bitmap.clone();
        for y in 0..f.h {
            for x in 0..f.w {
                swapped.set(f.x + x, f.y + y, band.ink(x, y));
            }
        }
        out.push(("signature swapped", swapped));
    }
    out
}

fn benign(case: &Case, i: usize) -> Vec<(&'static str, Vec<u8>)> {
    let stripped = encode_png(&case.bitmap);
    let gray = image::GrayImage::from_fn(case.bitmap.width(), case.bitmap.height(), |x, y| {
        image::Luma([if case.bitmap.ink(x, y) { 0 } else { 255 }])
    });
    let mut gray_png = Vec::new();
    gray.write_to(
        &mut std::io::Cursor::new(&mut gray_png),
        image::ImageFormat::Png,
    )
    .unwrap();
    let jpeg = |img: &image::GrayImage, q: u8| {
        let mut out = Vec::new();
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, q)
            .encode_image(img)
            .unwrap();
        out
    };
    let (w, h) = gray.dimensions();
    let resized = image::imageops::resize(
        &gray,
        w * 9 / 10,
        h * 9 / 10,
        image::imageops::FilterType::Triangle,
    );
    let cropped = image::imageops::crop_imm(&gray, 0, 10, w, h - 10).to_image();
    let mut cropped_png = Vec::new();
    cropped
        .write_to(
            &mut std::io::Cursor::new(&mut cropped_png),
            image::ImageFormat::Png,
        )
        .unwrap();
    let mut out = vec![
        ("clean", case.issued.png.clone()),
        ("metadata stripped", stripped),
        (
            "PNG re-encoded, 8-bit gray",
            embed_evidence(&gray_png, &evidence_of(case)),
        ),
        ("10 px crop", cropped_png),
    ];
    // JPEG and resizing dominate the run time; a third of the receipts is plenty.
    if i.is_multiple_of(3) {
        out.push(("JPEG 95", jpeg(&gray, 95)));
        out.push(("JPEG 85", jpeg(&gray, 85)));
        out.push(("JPEG 75", jpeg(&gray, 75)));
        out.push(("90 % resize, JPEG 75", jpeg(&resized, 75)));
    }
    out
}

fn timed_verify(bytes: &[u8], options: &VerifyOptions<'_>) -> (VerificationReport, f64) {
    let t0 = Instant::now();
    let report = verify_image(bytes, options).unwrap();
    (report, t0.elapsed().as_secs_f64() * 1000.0)
}

fn identified(report: &VerificationReport, case: &Case) -> bool {
    report.receipt_id.as_deref() == Some(case.issued.record.receipt_id.to_string().as_str())
        && report.terminal_id.as_deref() == Some(case.issued.record.terminal_id.as_str())
}

fn decode(png_bytes: &[u8]) -> Bitmap {
    let gray = image::load_from_memory(png_bytes).unwrap().to_luma8();
    let mut bitmap = Bitmap::new(gray.width(), gray.height());
    for (x, y, p) in gray.enumerate_pixels() {
        bitmap.set(x, y, p.0[0] < 128);
    }
    bitmap
}

/// The bounding box of the pixels that differ, or `None` when none do.
fn changed_box(a: &Bitmap, b: &Bitmap) -> Option<(u32, u32, u32, u32)> {
    let mut bounds: Option<(u32, u32, u32, u32)> = None;
    for y in 0..a.height() {
        for x in 0..a.width() {
            if a.ink(x, y) != b.ink(x, y) {
                let e = bounds.get_or_insert((x, y, x, y));
                *e = (e.0.min(x), e.1.min(y), e.2.max(x), e.3.max(y));
            }
        }
    }
    bounds.map(|(x0, y0, x1, y1)| (x0, y0, x1 - x0 + 1, y1 - y0 + 1))
}

fn iou(a: (u32, u32, u32, u32), r: &Region) -> f64 {
    let iw = (a.0 + a.2).min(r.x + r.w).saturating_sub(a.0.max(r.x));
    let ih = (a.1 + a.3).min(r.y + r.h).saturating_sub(a.1.max(r.y));
    let inter = f64::from(iw) * f64::from(ih);
    inter / (f64::from(a.2) * f64::from(a.3) + f64::from(r.w) * f64::from(r.h) - inter)
}

fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

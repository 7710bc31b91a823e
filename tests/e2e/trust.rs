//! Signed, chained receipts and the verifier: untouched receipts pass, edits are caught and
//! located.

use ereceipt_core::Transaction;
use ereceipt_core::identity::{
    CaCertificate, CertificateAuthority, Signer, SignerError, SoftwareSigner, TerminalCertificate,
    TerminalSubject, create_csr,
};
use ereceipt_core::record::{
    ChainState, ChainValue, Credentials, IssueRequest, IssuedReceipt, Outcome, QrSummary,
    VerificationReport, VerifyOptions, extract_evidence, issue, verify_image,
};
use ereceipt_core::render::font::FontPack;
use ereceipt_core::render::{Bitmap, CopyKind, Paper, encode_png};
use ereceipt_tests::{signature, signature_names, transaction, transaction_names};
use time::OffsetDateTime;

struct Terminal {
    ca: CertificateAuthority,
    signer: SoftwareSigner,
    certificate: TerminalCertificate,
    chain: Vec<String>,
}

fn terminal(tx: &Transaction) -> Terminal {
    let ca = CertificateAuthority::generate("ereceipt", true).unwrap();
    let signer = SoftwareSigner::generate().unwrap();
    let subject =
        TerminalSubject::new(&tx.merchant().id, &tx.merchant().name, tx.terminal_id()).unwrap();
    let csr = create_csr(&signer, &subject).unwrap();
    let now = OffsetDateTime::now_utc();
    let pem = ca
        .issue(
            &csr,
            now - time::Duration::days(1),
            now + time::Duration::days(365),
        )
        .unwrap();
    let certificate = TerminalCertificate::from_pem(&pem).unwrap();
    let chain = vec![pem, ca.certificate_pem()];
    Terminal {
        ca,
        signer,
        certificate,
        chain,
    }
}

fn issue_sample(name: &str, paper: Paper, state: Option<ChainState>) -> (Terminal, IssuedReceipt) {
    let tx = transaction(name);
    let t = terminal(&tx);
    let sig = tx
        .needs_signature()
        .then(|| signature(&signature_names()[1]));
    let state = state.unwrap_or_else(|| ChainState::genesis(tx.terminal_id()));
    let issued = issue(
        &state,
        IssueRequest {
            transaction: &tx,
            signature: sig.as_ref(),
            copy: CopyKind::Customer,
            paper,
        },
        &Credentials {
            signer: &t.signer,
            certificate: &t.certificate,
            chain_pem: &t.chain,
        },
    )
    .unwrap();
    (t, issued)
}

fn verify(png: &[u8], anchor: &CaCertificate) -> VerificationReport {
    verify_knowing(png, anchor, &[])
}

fn verify_knowing(
    png: &[u8],
    anchor: &CaCertificate,
    known: &[TerminalCertificate],
) -> VerificationReport {
    let options = VerifyOptions {
        trust_anchor: Some(anchor),
        known_certificates: known,
        at_unix_seconds: OffsetDateTime::now_utc().unix_timestamp(),
    };
    verify_image(png, &options).unwrap()
}

/// Decodes any PNG to ink pixels (luma below one half).
fn decode(png_bytes: &[u8]) -> Bitmap {
    let mut decoder = png::Decoder::new(std::io::Cursor::new(png_bytes));
    decoder.set_transformations(png::Transformations::EXPAND);
    let mut reader = decoder.read_info().unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let channels = frame.color_type.samples();
    let mut bitmap = Bitmap::new(frame.width, frame.height);
    for y in 0..frame.height {
        for x in 0..frame.width {
            bitmap.set(
                x,
                y,
                buf[y as usize * frame.line_size + x as usize * channels] < 128,
            );
        }
    }
    bitmap
}

/// Re-encodes edited pixels with the original evidence chunk, as a forger would.
fn forge(original: &[u8], edited: &Bitmap) -> Vec<u8> {
    let evidence = extract_evidence(original).unwrap().unwrap();
    ereceipt_core::record::embed_evidence(&encode_png(edited), &evidence)
}

fn iou(a: (u32, u32, u32, u32), r: &ereceipt_core::record::Region) -> f64 {
    let (ax1, ay1) = (a.0 + a.2, a.1 + a.3);
    let (bx1, by1) = (r.x + r.w, r.y + r.h);
    let iw = ax1.min(bx1).saturating_sub(a.0.max(r.x));
    let ih = ay1.min(by1).saturating_sub(a.1.max(r.y));
    let inter = f64::from(iw * ih);
    inter / (f64::from(a.2 * a.3) + f64::from(r.w * r.h) - inter)
}

#[test]
fn untouched_receipts_are_authentic_and_intact() {
    for name in transaction_names() {
        for paper in [Paper::Mm80, Paper::Mm58] {
            let (t, issued) = issue_sample(&name, paper, None);
            let report = verify(&issued.png, t.ca.certificate());
            assert!(report.authentic && !report.tampered, "{name}: {report:#?}");
            assert_eq!(
                report.receipt_id.as_deref(),
                Some(issued.record.receipt_id.to_string().as_str())
            );
            assert!(
                report.checks.iter().all(|c| c.outcome == Outcome::Passed),
                "{name}: {report:#?}"
            );
        }
    }
}

#[test]
fn a_changed_digit_is_caught_and_located() {
    let (t, issued) = issue_sample("contactless-sale", Paper::Mm80, None);
    let mut bitmap = decode(&issued.png);
    // Overwrite one digit of the double-size total "EUR 14.50" with an "8".
    let font = FontPack::embedded();
    let amount = find_field(&issued, "amount");
    let (cell_w, cell_h) = (font.cell_width() * 2, font.cell_height() * 2);
    let x0 = amount.0 + amount.2 - cell_w * 2; // the "5" of 14.50
    let y0 = amount.1;
    let glyph = font.glyph('8').unwrap();
    for y in 0..cell_h {
        for x in 0..cell_w {
            bitmap.set(x0 + x, y0 + y, glyph.pixel(x / 2, y / 2));
        }
    }
    let report = verify(&forge(&issued.png, &bitmap), t.ca.certificate());
    assert!(report.tampered && report.authentic, "{report:#?}");
    assert_eq!(report.regions.len(), 1, "{report:#?}");
    let region = &report.regions[0];
    assert!(region.fields.contains(&"amount".to_owned()), "{region:?}");
    // Ground truth: the bounding box of the pixels the edit changed.
    let original = decode(&issued.png);
    let changed: Vec<(u32, u32)> = (y0..y0 + cell_h)
        .flat_map(|y| (x0..x0 + cell_w).map(move |x| (x, y)))
        .filter(|&(x, y)| original.ink(x, y) != bitmap.ink(x, y))
        .collect();
    let (min_x, max_x) = (
        changed.iter().map(|p| p.0).min().unwrap(),
        changed.iter().map(|p| p.0).max().unwrap(),
    );
    let (min_y, max_y) = (
        changed.iter().map(|p| p.1).min().unwrap(),
        changed.iter().map(|p| p.1).max().unwrap(),
    );
    let truth = (min_x, min_y, max_x - min_x + 1, max_y - min_y + 1);
    assert!(iou(truth, region) >= 0.99, "{region:?} vs {truth:?}");
}

fn find_field(issued: &IssuedReceipt, field: &str) -> (u32, u32, u32, u32) {
    let fields = ereceipt_core::record::layout_of(&issued.png).expect("evidence present");
    let f = fields.iter().find(|f| f.field == field).unwrap();
    (f.x, f.y, f.w, f.h)
}

#[test]
fn erased_lines_and_swapped_signatures_are_caught() {
    let (t, issued) = issue_sample("kwd-refund", Paper::Mm80, None);
    let card = find_field(&issued, "card.masked_pan");
    let mut erased = decode(&issued.png);
    erased.fill(card.0, card.1, card.2, card.3, false);
    let report = verify(&forge(&issued.png, &erased), t.ca.certificate());
    assert!(report.tampered);
    assert!(
        report
            .regions
            .iter()
            .any(|r| r.fields.contains(&"card.masked_pan".to_owned())),
        "{report:#?}"
    );

    let band = find_field(&issued, "signature");
    let mut swapped = decode(&issued.png);
    let other =
        ereceipt_core::render::signature_band(&signature(&signature_names()[2]), Paper::Mm80);
    for y in 0..band.3 {
        for x in 0..band.2 {
            swapped.set(band.0 + x, band.1 + y, other.ink(x, y));
        }
    }
    let report = verify(&forge(&issued.png, &swapped), t.ca.certificate());
    assert_eq!(report.outcome("signature_band"), Some(Outcome::Failed));
    assert!(
        report
            .regions
            .iter()
            .any(|r| r.fields.contains(&"signature".to_owned()))
    );
}

#[test]
fn lossless_re_encoding_raises_no_alarm() {
    let (t, issued) = issue_sample("cny-sale", Paper::Mm80, None);
    let bitmap = decode(&issued.png);
    // 8-bit RGB, as an image editor would save it.
    let mut rgb = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut rgb, bitmap.width(), bitmap.height());
        encoder.set_color(png::ColorType::Rgb);
        let mut writer = encoder.write_header().unwrap();
        let data: Vec<u8> = bitmap
            .pixels()
            .iter()
            .flat_map(|&p| [255 * (1 - p); 3])
            .collect();
        writer.write_image_data(&data).unwrap();
    }
    let report = verify(&forge(&issued.png, &decode(&rgb)), t.ca.certificate());
    assert!(!report.tampered, "{report:#?}");
    let evidence = extract_evidence(&issued.png).unwrap().unwrap();
    let rgb_with_evidence = ereceipt_core::record::embed_evidence(&rgb, &evidence);
    let report = verify(&rgb_with_evidence, t.ca.certificate());
    assert!(report.authentic && !report.tampered, "{report:#?}");
}

#[test]
fn stripped_metadata_and_foreign_anchors_are_reported_honestly() {
    let (t, issued) = issue_sample("jpy-sale", Paper::Mm80, None);
    let stripped = encode_png(&decode(&issued.png));
    let report = verify(&stripped, t.ca.certificate());
    assert!(!report.authentic && !report.tampered);
    assert_eq!(report.checks[0].outcome, Outcome::Skipped);

    let other = CertificateAuthority::generate("Other CA", true).unwrap();
    let report = verify(&issued.png, other.certificate());
    assert!(!report.authentic);
    assert_eq!(report.outcome("certificate_chain"), Some(Outcome::Failed));
}

#[test]
fn receipts_chain_and_count() {
    let tx = transaction("contactless-sale");
    let t = terminal(&tx);
    let creds = Credentials {
        signer: &t.signer,
        certificate: &t.certificate,
        chain_pem: &t.chain,
    };
    let mut state = ChainState::genesis(tx.terminal_id());
    let mut previous = ChainValue::genesis(tx.terminal_id());
    for counter in 1..=3 {
        let issued = issue(
            &state,
            IssueRequest {
                transaction: &tx,
                signature: None,
                copy: CopyKind::Customer,
                paper: Paper::Mm58,
            },
            &creds,
        )
        .unwrap();
        assert_eq!(issued.record.counter, counter);
        assert_eq!(issued.record.previous, previous);
        let qr = QrSummary::from_text(&issued.summary.to_text()).unwrap();
        assert!(qr.matches(&issued.record));
        previous = ChainValue::after(&issued.record_bytes, issued.summary.signature.as_ref());
        assert_eq!(issued.next.next_previous, previous);
        state = issued.next;
    }
}

struct LockedKey;

impl Signer for LockedKey {
    fn sign(&self, _: &[u8]) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::Unavailable)
    }
    fn public_key(&self) -> Result<Vec<u8>, SignerError> {
        Err(SignerError::Unavailable)
    }
}

#[test]
fn a_locked_key_issues_a_visibly_unsigned_receipt_that_keeps_its_place() {
    let tx = transaction("contactless-sale");
    let t = terminal(&tx);
    let state = ChainState::genesis(tx.terminal_id());
    let issued = issue(
        &state,
        IssueRequest {
            transaction: &tx,
            signature: None,
            copy: CopyKind::Customer,
            paper: Paper::Mm80,
        },
        &Credentials {
            signer: &LockedKey,
            certificate: &t.certificate,
            chain_pem: &t.chain,
        },
    )
    .unwrap();
    assert_eq!(issued.signing_error, Some(SignerError::Unavailable));
    assert!(issued.summary.signature.is_none());
    assert_eq!(issued.next.counter, 1);
    let report = verify(&issued.png, t.ca.certificate());
    assert!(!report.authentic && !report.tampered, "{report:#?}");
    let layout = ereceipt_core::record::layout_of(&issued.png).expect("evidence present");
    assert!(layout.iter().any(|f| f.field == "unsigned"));
}

/// What a messaging app does to a picture: JPEG at a quality, optionally scaled.
fn degrade(png_bytes: &[u8], quality: u8, scale_percent: u32) -> Vec<u8> {
    let image = image::load_from_memory(png_bytes).unwrap().to_luma8();
    let (w, h) = image.dimensions();
    let scaled = image::imageops::resize(
        &image,
        w * scale_percent / 100,
        h * scale_percent / 100,
        image::imageops::FilterType::Triangle,
    );
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, quality)
        .encode_image(&scaled)
        .unwrap();
    out
}

#[test]
fn after_messaging_apps_the_qr_code_still_identifies_the_receipt() {
    let (t, issued) = issue_sample("usd-restaurant", Paper::Mm80, None);
    let known = [t.certificate.clone()];
    let stripped = encode_png(&decode(&issued.png));
    for (name, bytes) in [
        ("metadata stripped", stripped.clone()),
        ("JPEG 95", degrade(&stripped, 95, 100)),
        ("JPEG 75", degrade(&stripped, 75, 100)),
        ("JPEG 75 at 90 %", degrade(&stripped, 75, 90)),
    ] {
        let report = verify_knowing(&bytes, t.ca.certificate(), &known);
        assert_eq!(
            report.receipt_id.as_deref(),
            Some(issued.record.receipt_id.to_string().as_str()),
            "{name}: {report:#?}"
        );
        assert_eq!(report.terminal_id.as_deref(), Some("SFO00311"), "{name}");
        assert!(report.authentic && !report.tampered, "{name}: {report:#?}");
        // Honest about what it could not check.
        assert!(
            report.checks.iter().any(|c| c.outcome == Outcome::Skipped),
            "{name}"
        );
        // Without the terminal's certificate the signature stays unchecked.
        let unknown = verify(&bytes, t.ca.certificate());
        assert!(!unknown.authentic && unknown.receipt_id.is_some(), "{name}");
    }
}

#[test]
fn a_jpeg_with_evidence_is_not_flagged_but_not_compared() {
    let (t, issued) = issue_sample("contactless-sale", Paper::Mm80, None);
    // A lossy PNG: gray levels from JPEG, evidence chunk kept by a careful tool.
    let jpeg = degrade(&issued.png, 85, 100);
    let gray = image::load_from_memory(&jpeg).unwrap().to_luma8();
    let mut lossy_png = Vec::new();
    gray.write_to(
        &mut std::io::Cursor::new(&mut lossy_png),
        image::ImageFormat::Png,
    )
    .unwrap();
    let evidence = extract_evidence(&issued.png).unwrap().unwrap();
    let with_evidence = ereceipt_core::record::embed_evidence(&lossy_png, &evidence);
    let report = verify(&with_evidence, t.ca.certificate());
    assert!(report.authentic && !report.tampered, "{report:#?}");
    assert_eq!(report.outcome("rerender"), Some(Outcome::Skipped));
}

#[test]
fn without_metadata_the_watermark_still_catches_and_locates_an_edit() {
    let (t, issued) = issue_sample("kwd-refund", Paper::Mm80, None);
    let known = [t.certificate.clone()];
    let clean = encode_png(&decode(&issued.png));
    let report = verify_knowing(&clean, t.ca.certificate(), &known);
    assert_eq!(
        report.outcome("watermark"),
        Some(Outcome::Passed),
        "{report:#?}"
    );
    assert!(!report.tampered);

    let amount = find_field(&issued, "amount");
    let mut edited = decode(&issued.png);
    let font = FontPack::embedded();
    let glyph = font.glyph('9').unwrap();
    let (x0, y0) = (amount.0 + amount.2 - 48, amount.1);
    for y in 0..48 {
        for x in 0..24 {
            edited.set(x0 + x, y0 + y, glyph.pixel(x / 2, y / 2));
        }
    }
    let report = verify_knowing(&encode_png(&edited), t.ca.certificate(), &known);
    assert!(report.tampered, "{report:#?}");
    assert!(
        report
            .regions
            .iter()
            .any(|r| r.x < x0 + 24 && x0 < r.x + r.w && r.y < y0 + 48 && y0 < r.y + r.h),
        "a region covers the edited digit: {report:#?}"
    );
}

#[test]
fn an_issued_receipt_seals_and_opens_for_the_platform() {
    use ereceipt_core::seal::{
        Delivery, PlatformKey, PlatformPrivateKey, ReceiptPayload, open, seal,
    };
    let (_, issued) = issue_sample("cny-sale", Paper::Mm80, None);
    let evidence = extract_evidence(&issued.png).unwrap().unwrap();
    let keys = ereceipt_tests::data_dir().join("keys");
    let private = PlatformPrivateKey::from_pem(
        "test-2026-11",
        &std::fs::read_to_string(keys.join("platform-test-rsa3072.pem")).unwrap(),
    )
    .unwrap();
    let public = PlatformKey::from_pem(
        "test-2026-11",
        &std::fs::read_to_string(keys.join("platform-test-rsa3072.pub.pem")).unwrap(),
    )
    .unwrap();
    let payload = ReceiptPayload {
        record: issued.record_bytes.clone(),
        signature: issued.summary.signature,
        certificates: evidence.certificates,
        png: issued.png.clone(),
        strokes: Some(signature(&signature_names()[1]).encode()),
        delivery: Some(Delivery::parse("pull:+8613800138000").unwrap()),
    };
    let sealed = seal(
        &public,
        &issued.record.terminal_id,
        &issued.record.receipt_id,
        &payload,
    )
    .unwrap();
    // Nothing personal is readable in the envelope.
    let text = String::from_utf8_lossy(&sealed);
    assert!(!text.contains("13800138000") && !text.contains("622202") && !text.contains("ESIG"));
    let (header, opened) = open(&private, &sealed).unwrap();
    assert_eq!(header.receipt_id, issued.record.receipt_id);
    assert_eq!(opened, payload);
}

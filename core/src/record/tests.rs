use super::*;
use crate::render::{Paper, RENDERER_VERSION, font::FontPack};
use proptest::prelude::*;

const TX: &str = r#"{"kind":"sale","trace_number":"123","amount":12800,"currency":"CNY",
  "local_time":"2026-11-22T14:03:27+08:00","terminal_id":"SH000001",
  "merchant":{"id":"898310048990001","name":"上海星光咖啡"},
  "card":{"pan":"6222020200112233446","brand":"unionpay","entry_mode":"chip",
          "cardholder_verification":"signature"},
  "auth_code":"A1B2C3","batch_number":"45"}"#;

/// The record of docs/FORMAT.md's test vector.
pub(crate) fn vector_record() -> ReceiptRecord {
    ReceiptRecord {
        receipt_id: ReceiptId::from_bytes(
            *b"\x0f\x3c\x2a\x9e\x6d\x41\x4b\x7a\x9a\x51\x3e\x2f\x7d\x1c\x8b\x20",
        ),
        terminal_id: "SH000001".into(),
        counter: 42,
        previous: ChainValue::genesis("SH000001"),
        transaction: Transaction::from_json(TX).unwrap(),
        strokes_digest: Some([0x11; 32]),
        signature_band_digest: Some([0x22; 32]),
        certificate_fingerprint: [0x33; 32],
        certificate_serial: vec![0x4f, 0x2a, 0x9c, 0x01, 0xd7],
        renderer: RENDERER_VERSION.into(),
        font_pack: "erfp1-3dd01b7beff36106".into(),
        paper: Paper::Mm80,
        copy: CopyKind::Customer,
    }
}

#[test]
fn record_test_vector() {
    let bytes = vector_record().encode();
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.starts_with("ereceipt-record/1\n{\"certificate_fingerprint\":\"3333"));
    assert!(text.contains("\"card\":{\"brand\":\"unionpay\",\"cardholder_verification\":\"signature\",\"entry_mode\":\"chip\",\"masked_pan\":\"622202*********3446\"}"));
    assert!(!text.contains("6222020200112233446"));
    assert_eq!(
        hex(&vector_record().digest()),
        "38f6de291c35975eb4be4932730f35cc31d3461ebcabdd97ac6bdcbf8349a69d",
        "the record's canonical bytes changed: update docs/FORMAT.md with the new vector"
    );
}

#[test]
fn genesis_test_vector() {
    assert_eq!(
        ChainValue::genesis("SH000001").to_hex(),
        "2dc62e2d6dab9f62f9ad9123fd9d32c3f6b85ae40b88f4fe7d819663014f340f"
    );
}

#[test]
fn records_round_trip_and_must_be_canonical() {
    let record = vector_record();
    let bytes = record.encode();
    assert_eq!(ReceiptRecord::decode(&bytes).unwrap(), record);
    let spaced = String::from_utf8(bytes.clone())
        .unwrap()
        .replacen("{", "{ ", 1);
    assert_eq!(
        ReceiptRecord::decode(spaced.as_bytes()),
        Err(RecordError::NotCanonical)
    );
    assert_eq!(
        ReceiptRecord::decode(&bytes[1..]),
        Err(RecordError::UnknownFormat)
    );
    let tampered = String::from_utf8(bytes)
        .unwrap()
        .replace("\"counter\":42", "\"counter\":-1");
    assert_eq!(
        ReceiptRecord::decode(tampered.as_bytes()),
        Err(RecordError::Invalid {
            field: "counter".into()
        })
    );
}

#[test]
fn chain_links_depend_on_record_and_signature() {
    let bytes = vector_record().encode();
    let unsigned = ChainValue::after(&bytes, None);
    let signed = ChainValue::after(&bytes, Some(&[7; 64]));
    assert_ne!(unsigned, signed);
    assert_ne!(ChainValue::after(&bytes[1..], None), unsigned);
    assert_ne!(
        ChainValue::genesis("SH000002"),
        ChainValue::genesis("SH000001")
    );
}

#[test]
fn receipt_ids_are_uuid_v4() {
    let id = ReceiptId::random().unwrap();
    let text = id.to_string();
    assert_eq!(text.len(), 36);
    assert_eq!(&text[14..15], "4");
    assert_eq!(ReceiptId::parse(&text), Some(id));
    assert_eq!(ReceiptId::parse(&text.to_uppercase()), None);
    assert_ne!(ReceiptId::random().unwrap(), id);
}

#[test]
fn qr_summary_test_vector_and_round_trip() {
    let record = vector_record();
    let mut summary = QrSummary::of(&record);
    assert!(summary.matches(&record));
    assert_eq!(summary.unix_time, 1_795_327_407);
    assert_eq!(summary.utc_offset_minutes, 480);
    summary.signature = Some([0xab; 64]);
    let text = summary.to_text();
    assert!(text.starts_with(QR_PREFIX));
    assert_eq!(QrSummary::from_text(&text).unwrap(), summary);
    assert!(
        summary.matches(&record),
        "the signature is not part of the match"
    );
    assert_eq!(
        hex(&summary.to_bytes()[..20]),
        "01010f3c2a9e6d414b7a9a513e2f7d1c8b202aaf"
    );
    assert_eq!(text.len(), 248);
    assert_eq!(summary.to_text(), VECTOR_QR_TEXT);
    let mut other = record.clone();
    other.counter = 43;
    assert!(!summary.matches(&other));
}

#[test]
fn qr_errors() {
    assert_eq!(
        QrSummary::from_text("https://example.com"),
        Err(QrError::NotEreceipt)
    );
    assert_eq!(QrSummary::from_text("ER1:lower"), Err(QrError::NotEreceipt));
    let bytes = QrSummary::of(&vector_record()).to_bytes();
    let mut v2 = bytes.clone();
    v2[0] = 2;
    assert_eq!(
        QrSummary::from_bytes(&v2),
        Err(QrError::UnsupportedVersion(2))
    );
    assert_eq!(
        QrSummary::from_bytes(&bytes[..bytes.len() - 1]),
        Err(QrError::Malformed)
    );
    let mut long = bytes.clone();
    long.push(0);
    assert_eq!(QrSummary::from_bytes(&long), Err(QrError::Malformed));
}

#[test]
fn evidence_survives_a_png_round_trip() {
    let tx = Transaction::from_json(TX).unwrap();
    let png = crate::render::render_receipt(
        &crate::render::ReceiptDocument::new(&tx).signature_band(crate::render::Bitmap::new(1, 1)),
        &crate::render::RenderOptions::default(),
    )
    .unwrap();
    assert_eq!(extract_evidence(png.bytes()), Ok(None));
    let evidence = Evidence {
        record: vector_record().encode(),
        signature: Some([5; 64]),
        certificates: vec!["-----BEGIN CERTIFICATE-----\nAA==\n-----END CERTIFICATE-----\n".into()],
    };
    let with = embed_evidence(png.bytes(), &evidence);
    assert_eq!(extract_evidence(&with).unwrap().unwrap(), evidence);
    // A standard decoder accepts the chunk (CRC, placement) and sees the same pixels.
    let mut reader = png::Decoder::new(std::io::Cursor::new(&with))
        .read_info()
        .unwrap();
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    reader.next_frame(&mut buf).unwrap();
    assert!(
        reader
            .info()
            .utf8_text
            .iter()
            .any(|t| t.keyword == "ereceipt")
    );
    assert_eq!(extract_evidence(b"GIF89a"), Err(EvidenceError::NotPng));
    let _ = FontPack::active().unwrap();
}

proptest! {
    #[test]
    fn qr_text_never_panics(text in "ER1:[A-Z2-7]{0,300}") {
        if let Ok(summary) = QrSummary::from_text(&text) {
            prop_assert_eq!(summary.to_text(), text);
        }
    }

    #[test]
    fn qr_bytes_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..300)) {
        let _ = QrSummary::from_bytes(&bytes);
    }

    #[test]
    fn evidence_parser_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(bytes);
        let _ = extract_evidence(&png);
    }

    #[test]
    fn verifier_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), png_header in any::<bool>()) {
        let mut input = if png_header { b"\x89PNG\r\n\x1a\n".to_vec() } else { Vec::new() };
        input.extend(bytes);
        let options = VerifyOptions { trust_anchor: None, known_certificates: &[], at_unix_seconds: 0 };
        let _ = verify_image(&input, &options);
    }

    #[test]
    fn record_decoder_never_panics(text in "\\PC{0,300}") {
        let _ = ReceiptRecord::decode(format!("{RECORD_FORMAT}\n{text}").as_bytes());
    }
}

/// The QR text of docs/FORMAT.md's test vector (with a placeholder signature of 0xab bytes).
const VECTOR_QR_TEXT: &str = "ER1:AEAQ6PBKTZWUCS32TJIT4L35DSFSAKVPQUBGWAAAAAAOAAMAMSOAALOGFYWW3K47MI4PNXRJDQ2ZOXVUXZETE4YPGXGDDU2GD26KXXMXVRV5ZP4DJGTJ2BKPFKOADVYIKNEDAMBQGAYDDK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOV2XK5LVOVQ";

/// An image with no evidence chunk and no QR code: what is left of a receipt photographed badly.
fn blank_png() -> Vec<u8> {
    crate::render::encode_png(&crate::render::Bitmap::new(64, 64))
}

fn no_trust() -> VerifyOptions<'static> {
    VerifyOptions {
        trust_anchor: None,
        known_certificates: &[],
        at_unix_seconds: 1_800_000_000,
    }
}

/// The start of a JFIF file: enough to be recognised as a JPEG.
const JPEG_START: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
];

#[cfg(not(feature = "photo-verify"))]
#[test]
fn without_photo_verify_a_jpeg_is_refused_by_name_and_no_qr_is_read() {
    assert_eq!(
        verify_image(JPEG_START, &no_trust()).err(),
        Some(VerifyError::JpegUnsupported)
    );
    let report = verify_image(&blank_png(), &no_trust()).unwrap();
    let qr = report.checks.iter().find(|c| c.name == "qr").unwrap();
    assert_eq!(qr.outcome, Outcome::Skipped);
    assert!(!report.authentic);
}

#[cfg(feature = "photo-verify")]
#[test]
fn with_photo_verify_a_jpeg_is_decoded_and_the_qr_code_looked_for() {
    // A truncated JPEG is unreadable, not "unsupported": the decoder is there.
    assert_eq!(
        verify_image(JPEG_START, &no_trust()).err(),
        Some(VerifyError::Unreadable)
    );
    let report = verify_image(&blank_png(), &no_trust()).unwrap();
    let qr = report.checks.iter().find(|c| c.name == "qr").unwrap();
    assert_eq!(qr.outcome, Outcome::Failed);
}

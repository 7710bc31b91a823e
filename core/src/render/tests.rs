use super::*;
use crate::transaction::Transaction;

/// A small sale with the given merchant name and verification method.
fn sale(merchant_name: &str, entry_mode: EntryMode, cvm: Cvm) -> Transaction {
    Transaction::builder()
        .kind(Kind::Sale)
        .trace_number("310")
        .amount(1450, "EUR")
        .local_time("2026-11-22T08:05:11+01:00")
        .terminal_id("BER00007")
        .merchant("DE4421000712", merchant_name)
        .pan("4111111111111111")
        .card(crate::transaction::CardBrand::Visa, entry_mode, cvm)
        .auth_code("041877")
        .batch_number("19")
        .build()
        .unwrap()
}

fn contactless() -> Transaction {
    sale("Bäckerei Müller", EntryMode::Contactless, Cvm::None)
}

#[test]
fn unsupported_characters_are_refused_with_their_field() {
    let tx = sale("Coffee ☕ Bar", EntryMode::Chip, Cvm::OnlinePin);
    let err = render_receipt(&ReceiptDocument::new(&tx), &RenderOptions::default()).unwrap_err();
    assert_eq!(
        err,
        RenderError::UnsupportedCharacter {
            field: "merchant.name".into(),
            codepoint: 0x2615
        }
    );
    assert_eq!(
        err.to_string(),
        "merchant.name: character U+2615 cannot be printed by the receipt fonts"
    );
}

#[test]
fn signature_cvm_needs_a_signature() {
    let tx = sale("Coffee Bar", EntryMode::Chip, Cvm::Signature);
    assert_eq!(
        render_receipt(&ReceiptDocument::new(&tx), &RenderOptions::default()).unwrap_err(),
        RenderError::SignatureRequired
    );
}

#[test]
fn oversized_qr_payloads_are_refused() {
    let tx = contactless();
    for len in [2300, 3000] {
        // 2300 bytes need a version-40 code (177 modules): under 2 px a module on 58 mm paper.
        // 3000 bytes fit no QR code at all.
        let doc = ReceiptDocument::new(&tx).qr_payload(vec![0xa5; len]);
        assert_eq!(
            render_receipt(&doc, &RenderOptions::paper(Paper::Mm58)).unwrap_err(),
            RenderError::QrPayloadTooLarge { len }
        );
    }
    let doc = ReceiptDocument::new(&tx).qr_payload(vec![0x5a; 300]);
    let receipt = render_receipt(&doc, &RenderOptions::paper(Paper::Mm58)).unwrap();
    let qr = receipt.fields().iter().find(|f| f.field == "qr").unwrap();
    assert!(qr.x >= MARGIN && qr.x + qr.w <= 384 - MARGIN);
}

#[test]
fn widths_are_the_two_paper_sizes() {
    let tx = contactless();
    for paper in [Paper::Mm58, Paper::Mm80] {
        let receipt =
            render_receipt(&ReceiptDocument::new(&tx), &RenderOptions::paper(paper)).unwrap();
        assert_eq!(receipt.bitmap().width(), paper.width());
        for field in receipt.fields() {
            assert!(
                field.x + field.w <= paper.width() - MARGIN,
                "{field:?} inside the margins"
            );
        }
    }
    assert_eq!(Paper::from_width(500), None);
}

#[test]
fn long_text_wraps_inside_the_columns() {
    let composer = Composer::new(384).unwrap();
    assert_eq!(composer.columns, 30);
    let lines = composer.wrap(
        "the quick brown fox jumps over the lazy dog again and again",
        30,
    );
    assert!(lines.len() >= 2);
    for line in &lines {
        assert!(composer.cells("t", line).unwrap() <= 30, "{line}");
        assert!(!line.starts_with(' '));
    }
    assert_eq!(
        lines.join(" "),
        "the quick brown fox jumps over the lazy dog again and again"
    );
    let cjk = composer.wrap(&"上海市静安区南京西路".repeat(4), 30);
    assert!(cjk.iter().all(|l| composer.cells("t", l).unwrap() <= 30));
    assert_eq!(cjk.concat(), "上海市静安区南京西路".repeat(4));
}

#[test]
fn every_label_is_printable() {
    let font = FontPack::active().unwrap();
    for locale in [Locale::English, Locale::Chinese] {
        let l = labels(locale);
        for text in [
            l.merchant_id,
            l.terminal_id,
            l.date_time,
            l.trace,
            l.original_trace,
            l.batch,
            l.rrn,
            l.auth_code,
            l.card,
            l.sale,
            l.refund,
            l.void,
            l.customer_copy,
            l.merchant_copy,
            l.duplicate_copy,
            l.subtotal,
            l.discount,
            l.tax,
            l.included_tax,
            l.tip,
            l.total,
            l.refund_total,
            l.void_total,
            l.signature,
            l.agreement,
            l.refund_agreement,
            l.no_signature,
            l.pin_verified,
            l.device_verified,
            l.note,
            l.certificate,
            l.issuer,
            l.serial,
            l.not_certified,
            l.receipt_id,
            l.thanks,
        ] {
            assert!(font.text_cells(text).is_ok(), "{text}");
        }
    }
}

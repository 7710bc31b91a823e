//! Receipt images: golden files, reproducibility, size and CJK text.

use ereceipt_core::Transaction;
use ereceipt_core::render::{
    CertificateBlock, CopyKind, Paper, ReceiptDocument, RenderOptions, RenderedReceipt,
    render_bitmap, render_receipt,
};
use ereceipt_core::signature::Signature;
use ereceipt_tests::{
    artifacts_dir, data_dir, signature, signature_names, transaction, transaction_names,
};

/// A QR payload of the size the receipt record's will be (about 150 bytes).
const QR_PAYLOAD: &[u8] =
    b"ER1:0f3c2a9e-6d41-4b7a-9a51-3e2f7d1c8b20:SH000001:42:2026-11-22T14:03:27+08:00:CNY:12800:\
    MEUCIQDd3Lq0bGx9Xc1Vn8a1o7yX2fQe9cFv3k5Zt0m8JYwIgJ4bq8KQ";

fn certificate(terminal: &str) -> CertificateBlock {
    CertificateBlock {
        issuer: "ereceipt Test CA".into(),
        serial: "4F2A9C01D7".into(),
        terminal_id: terminal.into(),
    }
}

/// The signature each sample uses: recorded signatures in turn, by sample position.
fn signature_for(index: usize, tx: &Transaction) -> Option<Signature> {
    let names = signature_names();
    tx.needs_signature()
        .then(|| signature(&names[index % names.len()]))
}

fn render_sample(index: usize, name: &str, paper: Paper) -> RenderedReceipt {
    let tx = transaction(name);
    let sig = signature_for(index, &tx);
    let mut doc = ReceiptDocument::new(&tx)
        .certificate(certificate(tx.terminal_id()))
        .qr_payload(QR_PAYLOAD)
        .receipt_id("0f3c2a9e-6d41-4b7a-9a51-3e2f7d1c8b20");
    if let Some(sig) = &sig {
        doc = doc.signature(sig);
    }
    render_receipt(&doc, &RenderOptions::paper(paper)).expect("samples render")
}

/// Compares with `tests/data/golden/<name>.png`; `BLESS=1` rewrites the golden file instead.
fn check_golden(name: &str, png: &[u8]) {
    let path = data_dir().join("golden").join(format!("{name}.png"));
    if std::env::var_os("BLESS").is_some() {
        std::fs::write(&path, png).unwrap();
        return;
    }
    let expected = std::fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "{} missing: run the tests once with BLESS=1",
            path.display()
        )
    });
    if expected != png {
        let actual = artifacts_dir().join(format!("{name}.actual.png"));
        std::fs::write(&actual, png).unwrap();
        panic!(
            "{name}: render differs from {}; see {}",
            path.display(),
            actual.display()
        );
    }
}

#[test]
fn golden_images_of_every_sample() {
    let names = transaction_names();
    assert!(
        names.len() >= 5,
        "the samples are in tests/data/transactions"
    );
    for (i, name) in names.iter().enumerate() {
        check_golden(name, render_sample(i, name, Paper::Mm80).bytes());
    }
    check_golden(
        "cny-sale-58mm",
        render_sample(0, "cny-sale", Paper::Mm58).bytes(),
    );
}

#[test]
fn duplicate_and_merchant_copies_say_so() {
    let tx = transaction("contactless-sale");
    for (copy, words) in [
        (CopyKind::Duplicate, "DUPLICATE"),
        (CopyKind::Merchant, "MERCHANT COPY"),
    ] {
        let doc = ReceiptDocument::new(&tx).copy(copy);
        let receipt = render_receipt(&doc, &RenderOptions::default()).unwrap();
        assert!(
            receipt.text().iter().any(|t| t.contains(words)),
            "{words} printed"
        );
    }
    let duplicate = render_receipt(
        &ReceiptDocument::new(&tx).copy(CopyKind::Duplicate),
        &RenderOptions::default(),
    );
    let original = render_receipt(&ReceiptDocument::new(&tx), &RenderOptions::default());
    assert_ne!(duplicate.unwrap().bitmap(), original.unwrap().bitmap());
}

#[test]
fn rerender_is_byte_identical() {
    let names = transaction_names();
    for (i, name) in names.iter().enumerate() {
        let first = render_sample(i, name, Paper::Mm80);
        let second = render_sample(i, name, Paper::Mm80);
        assert_eq!(first.bytes(), second.bytes(), "{name}");
    }
    // On other threads, as a verifier serving many requests does.
    let handles: Vec<_> = (0..4)
        .map(|_| std::thread::spawn(|| render_sample(0, "cny-sale", Paper::Mm80).into_bytes()))
        .collect();
    let reference = render_sample(0, "cny-sale", Paper::Mm80).into_bytes();
    for handle in handles {
        assert_eq!(handle.join().unwrap(), reference);
    }
}

#[test]
fn chinese_merchant_and_items_are_drawn() {
    let receipt = render_sample(0, "cny-sale", Paper::Mm80);
    let text = receipt.text().join("\n");
    assert!(text.contains("上海静安星光咖啡馆"));
    assert!(text.contains("拿铁咖啡（大杯）"));
    let name = receipt
        .fields()
        .iter()
        .find(|f| f.field == "merchant.name")
        .unwrap();
    // Nine double-size CJK characters: 9 × 24 px × 2.
    assert_eq!(name.w, 9 * 24 * 2);
    let ink = (name.y..name.y + name.h)
        .flat_map(|y| (name.x..name.x + name.w).map(move |x| (x, y)))
        .filter(|&(x, y)| receipt.bitmap().ink(x, y))
        .count();
    assert!(ink > 9 * 200, "the merchant name has ink ({ink} pixels)");
}

#[test]
fn typical_receipt_is_small() {
    // 20+ lines, a signature and a QR code: the budget is 25 KB at 576 px.
    let receipt = render_sample(0, "usd-restaurant", Paper::Mm80);
    assert!(receipt.text().len() >= 20, "{} lines", receipt.text().len());
    assert!(
        receipt.bytes().len() <= 25 * 1024,
        "{} bytes",
        receipt.bytes().len()
    );
}

#[test]
fn png_decodes_to_the_rendered_pixels() {
    let receipt = render_sample(0, "kwd-refund", Paper::Mm58);
    let decoder = png::Decoder::new(std::io::Cursor::new(receipt.bytes()));
    let mut reader = decoder.read_info().unwrap();
    let info = reader.info();
    assert_eq!(
        (info.color_type, info.bit_depth),
        (png::ColorType::Grayscale, png::BitDepth::One)
    );
    let mut buf = vec![0; reader.output_buffer_size().unwrap()];
    let frame = reader.next_frame(&mut buf).unwrap();
    let bitmap = receipt.bitmap();
    assert_eq!(
        (frame.width, frame.height),
        (bitmap.width(), bitmap.height())
    );
    for y in 0..frame.height {
        for x in 0..frame.width {
            let byte = buf[(y as usize) * frame.line_size + (x as usize) / 8];
            let white = byte & (0x80 >> (x % 8)) != 0;
            assert_eq!(!white, bitmap.ink(x, y), "pixel {x},{y}");
        }
    }
}

#[test]
fn refunds_and_voids_are_unmistakable() {
    for (name, word) in [("kwd-refund", "REFUND"), ("void", "VOID")] {
        let tx = transaction(name);
        let sig = signature_for(0, &tx);
        let mut doc = ReceiptDocument::new(&tx);
        if let Some(sig) = &sig {
            doc = doc.signature(sig);
        }
        let receipt = render_receipt(&doc, &RenderOptions::default()).unwrap();
        let banner = receipt.fields().iter().find(|f| f.field == "kind").unwrap();
        assert!(receipt.text().iter().any(|t| t.contains(word)));
        // Inverted: the banner is mostly ink.
        let area = (banner.w * banner.h) as usize;
        let ink = (banner.y..banner.y + banner.h)
            .flat_map(|y| (banner.x..banner.x + banner.w).map(move |x| (x, y)))
            .filter(|&(x, y)| receipt.bitmap().ink(x, y))
            .count();
        assert!(ink * 2 > area, "{name}: banner is inverted");
    }
}

#[test]
fn bitmap_only_render_matches_png_render() {
    let tx = transaction("contactless-sale");
    let doc = ReceiptDocument::new(&tx);
    let full = render_receipt(&doc, &RenderOptions::default()).unwrap();
    assert_eq!(
        &render_bitmap(&doc, &RenderOptions::default()).unwrap(),
        full.bitmap()
    );
}

//! Watermark embed and detect on sample receipts (the 20 ms target).
//!
//! `cargo bench -p ereceipt-core --bench watermark`; PNG sizes with and without the mark are
//! printed once before timing.

use criterion::{Criterion, criterion_group, criterion_main};
use ereceipt_core::Transaction;
use ereceipt_core::render::{
    CertificateBlock, Paper, ReceiptDocument, RenderOptions, encode_png, render_receipt,
};
use ereceipt_core::signature::Signature;
use ereceipt_core::watermark::{WatermarkKey, detect, detect_bitmap, embed, protected_areas};
use std::hint::black_box;
use std::path::PathBuf;

fn data(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(path);
    std::fs::read_to_string(file).expect("fixture exists")
}

fn bench(c: &mut Criterion) {
    let signature =
        Signature::from_json(&data("signatures/wang-xiaoming.json")).expect("valid signature");
    let key = WatermarkKey::derive(&[0x5a; 64], &[0x0f; 16]);
    for (name, paper) in [
        ("cny-sale", Paper::Mm80),
        ("usd-restaurant", Paper::Mm80),
        ("cny-sale", Paper::Mm58),
    ] {
        let tx =
            Transaction::from_json(&data(&format!("transactions/{name}.json"))).expect("valid");
        let doc = ReceiptDocument::new(&tx)
            .signature(&signature)
            .qr_payload(vec![b'Q'; 150])
            .certificate(CertificateBlock {
                issuer: "ereceipt Test CA".into(),
                serial: "4F2A9C01D7".into(),
                terminal_id: tx.terminal_id().into(),
            });
        let receipt = render_receipt(&doc, &RenderOptions::paper(paper)).expect("renders");
        let protect = protected_areas(receipt.fields());
        let bitmap = receipt.bitmap();
        let marked = embed(bitmap, &key, &protect);
        let luma: Vec<u8> = marked.pixels().iter().map(|&p| 255 - 255 * p).collect();
        eprintln!(
            "{name} {}px: {}x{} px, PNG {} -> {} bytes marked",
            paper.width(),
            bitmap.width(),
            bitmap.height(),
            encode_png(bitmap).len(),
            encode_png(&marked).len()
        );
        let id = format!("{name}/{}", paper.width());
        c.bench_function(&format!("watermark-embed/{id}"), |b| {
            b.iter(|| embed(black_box(bitmap), &key, &protect))
        });
        c.bench_function(&format!("watermark-detect/{id}"), |b| {
            b.iter(|| {
                detect(
                    marked.width(),
                    marked.height(),
                    black_box(&luma),
                    &key,
                    &protect,
                )
            })
        });
        c.bench_function(&format!("watermark-detect-bitmap/{id}"), |b| {
            b.iter(|| detect_bitmap(black_box(&marked), &key, &protect))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

//! Render, PNG encode and watermark of sample receipts (the size and speed targets).
//!
//! `cargo bench -p ereceipt-core --bench render`; sizes are printed once before timing.

mod fixtures;

use criterion::{Criterion, criterion_group, criterion_main};
use ereceipt_core::render::{
    CertificateBlock, Paper, ReceiptDocument, RenderOptions, encode_png, render_bitmap,
    render_receipt,
};
use ereceipt_core::watermark::{WatermarkKey, detect_bitmap, embed};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let signature = fixtures::signature("wang-xiaoming");
    let key = WatermarkKey::derive(&[0x5a; 64], &[0x0f; 16]);
    let qr = vec![b'Q'; 150];
    for (name, paper) in [
        ("usd-restaurant", Paper::Mm80),
        ("cny-sale", Paper::Mm80),
        ("cny-sale", Paper::Mm58),
    ] {
        let tx = fixtures::transaction(name);
        let doc = ReceiptDocument::new(&tx)
            .signature(&signature)
            .qr_payload(qr.clone())
            .certificate(CertificateBlock {
                issuer: "ereceipt Test CA".into(),
                serial: "4F2A9C01D7".into(),
                terminal_id: tx.terminal_id().into(),
            });
        let opts = RenderOptions::paper(paper);
        let receipt = render_receipt(&doc, &opts).expect("renders");
        let bitmap = receipt.bitmap();
        let marked = embed(bitmap, &key, &[]);
        eprintln!(
            "{name} {}px: {}x{} px, {} text lines, PNG {} bytes, watermarked {} bytes",
            paper.width(),
            bitmap.width(),
            bitmap.height(),
            receipt.text().len(),
            receipt.bytes().len(),
            encode_png(&marked).len()
        );
        let id = format!("{name}/{}", paper.width());
        c.bench_function(&format!("render+png/{id}"), |b| {
            b.iter(|| render_receipt(black_box(&doc), &opts).expect("renders"))
        });
        c.bench_function(&format!("render/{id}"), |b| {
            b.iter(|| render_bitmap(black_box(&doc), &opts).expect("renders"))
        });
        c.bench_function(&format!("png/{id}"), |b| {
            b.iter(|| encode_png(black_box(bitmap)))
        });
        c.bench_function(&format!("watermark-embed/{id}"), |b| {
            b.iter(|| embed(black_box(bitmap), &key, &[]))
        });
        c.bench_function(&format!("watermark-detect/{id}"), |b| {
            b.iter(|| detect_bitmap(black_box(&marked), &key, &[]))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

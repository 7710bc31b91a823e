//! Render + PNG encode of sample receipts (the size and speed targets).
//!
//! `cargo bench -p ereceipt-core --bench render`; sizes are printed once before timing.

use criterion::{Criterion, criterion_group, criterion_main};
use ereceipt_core::Transaction;
use ereceipt_core::render::{
    CertificateBlock, Paper, ReceiptDocument, RenderOptions, encode_png, render_bitmap,
    render_receipt,
};
use ereceipt_core::signature::Signature;
use std::hint::black_box;
use std::path::PathBuf;

fn data(path: &str) -> String {
    let file = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/data")
        .join(path);
    std::fs::read_to_string(file).expect("fixture exists")
}

fn first_signature() -> Signature {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/signatures");
    let mut names: Vec<_> = std::fs::read_dir(dir)
        .expect("signatures exist")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    names.sort();
    Signature::from_json(&std::fs::read_to_string(&names[0]).expect("readable")).expect("valid")
}

fn bench(c: &mut Criterion) {
    let signature = first_signature();
    let qr = vec![b'Q'; 150];
    for (name, paper) in [
        ("usd-restaurant", Paper::Mm80),
        ("cny-sale", Paper::Mm80),
        ("cny-sale", Paper::Mm58),
    ] {
        let tx =
            Transaction::from_json(&data(&format!("transactions/{name}.json"))).expect("valid");
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
        eprintln!(
            "{name} {}px: {}x{} px, {} text lines, PNG {} bytes",
            paper.width(),
            bitmap.width(),
            bitmap.height(),
            receipt.text().len(),
            receipt.bytes().len()
        );
        let id = format!("{name}/{}", paper.width());
        c.bench_function(&format!("render+png/{id}"), |b| {
            b.iter(|| render_receipt(black_box(&doc), &opts).expect("renders"))
        });
        c.bench_function(&format!("render/{id}"), |b| {
            b.iter(|| render_bitmap(black_box(&doc), &opts).expect("renders"))
        });
        let pixels = render_bitmap(&doc, &opts).expect("renders");
        c.bench_function(&format!("png/{id}"), |b| {
            b.iter(|| encode_png(black_box(&pixels)))
        });
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);

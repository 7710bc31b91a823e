//! Sign, issue and verify one receipt (the trust issue's targets: verify ≤ 20 ms at 576 px).
//!
//! `cargo bench -p ereceipt-core --bench trust`.

mod fixtures;

use criterion::{Criterion, criterion_group, criterion_main};
use ereceipt_core::identity::{
    CertificateAuthority, Signer, SoftwareSigner, TerminalCertificate, TerminalSubject, create_csr,
};
use ereceipt_core::record::{
    ChainState, Credentials, IssueRequest, VerifyOptions, issue, verify_image,
};
use ereceipt_core::render::{CopyKind, Paper};
use ereceipt_core::seal::{PlatformPrivateKey, ReceiptPayload, open, seal};
use std::hint::black_box;

fn bench(c: &mut Criterion) {
    let tx = fixtures::transaction("cny-sale");
    let signature = fixtures::signature("wang-xiaoming");
    let ca = CertificateAuthority::generate("bench", true).expect("CA");
    let signer = SoftwareSigner::generate().expect("key");
    let subject = TerminalSubject::new(&tx.merchant().id, &tx.merchant().name, tx.terminal_id())
        .expect("subject");
    let now = time::OffsetDateTime::now_utc();
    let pem = ca
        .issue(
            &create_csr(&signer, &subject).expect("CSR"),
            now - time::Duration::hours(1),
            now + time::Duration::days(30),
        )
        .expect("certificate");
    let certificate = TerminalCertificate::from_pem(&pem).expect("parses");
    let chain = vec![pem, ca.certificate_pem()];
    let credentials = Credentials {
        signer: &signer,
        certificate: &certificate,
        chain_pem: &chain,
    };
    let state = ChainState::genesis(tx.terminal_id());
    let request = IssueRequest {
        transaction: &tx,
        signature: Some(&signature),
        copy: CopyKind::Customer,
        paper: Paper::Mm80,
    };
    let issued = issue(&state, request, &credentials).expect("issues");
    eprintln!(
        "issued receipt: {} bytes PNG with evidence",
        issued.png.len()
    );
    let options = VerifyOptions {
        trust_anchor: Some(ca.certificate()),
        known_certificates: &[],
        at_unix_seconds: now.unix_timestamp(),
    };
    let report = verify_image(&issued.png, &options).expect("reads");
    assert!(report.authentic && !report.tampered);

    let message = issued.summary.signed_message();
    c.bench_function("sign/es256-summary", |b| {
        b.iter(|| signer.sign(black_box(&message)))
    });
    c.bench_function("issue/cny-sale-576", |b| {
        b.iter(|| issue(&state, request, &credentials).expect("issues"))
    });
    let keys = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../tests/data/keys");
    let read = |name: &str| std::fs::read_to_string(keys.join(name)).expect("test key exists");
    let platform = PlatformPrivateKey::from_pem("bench", &read("platform-test-rsa3072.pem"))
        .expect("test key parses");
    let public = platform.public_key();
    let payload = ReceiptPayload {
        record: issued.record_bytes.clone(),
        signature: issued.summary.signature,
        certificates: chain.clone(),
        png: issued.png.clone(),
        strokes: Some(signature.encode()),
        delivery: None,
    };
    let id = issued.record.receipt_id;
    let sealed = seal(&public, tx.terminal_id(), &id, &payload).expect("seals");
    eprintln!("sealed envelope: {} bytes", sealed.len());
    c.bench_function("seal/cny-sale-576", |b| {
        b.iter(|| seal(&public, tx.terminal_id(), &id, black_box(&payload)).expect("seals"))
    });
    c.bench_function("open/cny-sale-576", |b| {
        b.iter(|| open(&platform, black_box(&sealed)).expect("opens"))
    });
    c.bench_function("verify/cny-sale-576", |b| {
        b.iter(|| verify_image(black_box(&issued.png), &options).expect("reads"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

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
    c.bench_function("verify/cny-sale-576", |b| {
        b.iter(|| verify_image(black_box(&issued.png), &options).expect("reads"))
    });
}

criterion_group!(benches, bench);
criterion_main!(benches);

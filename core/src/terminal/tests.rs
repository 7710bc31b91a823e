use super::*;
use crate::render::{CopyKind, Paper};
use crate::seal::{PlatformPrivateKey, open};
use crate::transaction::Transaction;
use crate::upload::test_server::{canned, serve};

fn data(path: &str) -> String {
    std::fs::read_to_string(format!(
        "{}/../tests/data/{path}",
        env!("CARGO_MANIFEST_DIR")
    ))
    .unwrap()
}

fn transaction() -> Transaction {
    Transaction::from_json(&data("transactions/void.json")).unwrap()
}

fn subject() -> TerminalSubject {
    TerminalSubject::new("898310048990001", "Test merchant", "SH000001").unwrap()
}

fn request(tx: &Transaction) -> IssueRequest<'_> {
    IssueRequest {
        transaction: tx,
        signature: None,
        copy: CopyKind::Customer,
        paper: Paper::Mm80,
    }
}

struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("ereceipt-terminal-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        Scratch(path)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

#[test]
fn a_local_terminal_issues_a_chain_and_reopens_where_it_left_off() {
    let dir = Scratch::new("local");
    let config = TerminalConfig::default();
    let (terminal, ca) = Terminal::create_local(&dir.0, &subject(), &config).unwrap();
    assert!(ca.contains("TEST"));
    let tx = transaction();
    let first = terminal.issue(request(&tx), None).unwrap();
    assert_eq!(first.record.counter, 1);
    drop(terminal);

    let terminal = Terminal::open(&dir.0, None, &config).unwrap();
    let second = terminal.issue(request(&tx), None).unwrap();
    assert_eq!(second.record.counter, 2);
    assert_eq!(second.record.previous, first.next.next_previous);
    // Nothing to upload to, so nothing queued.
    assert_eq!(terminal.status().unwrap().pending, 0);
    assert!(matches!(terminal.client(), Err(TerminalError::NotEnrolled)));
    let delivery = Delivery::parse("sms:+8613800138000").unwrap();
    assert!(matches!(
        terminal.issue(request(&tx), Some(delivery)),
        Err(TerminalError::NotEnrolled)
    ));
    assert!(matches!(
        Terminal::create_local(&dir.0, &subject(), &config),
        Err(TerminalError::Exists)
    ));
}

#[cfg(unix)]
#[test]
fn the_software_key_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let dir = Scratch::new("mode");
    Terminal::create_local(&dir.0, &subject(), &TerminalConfig::default()).unwrap();
    let mode = std::fs::metadata(dir.0.join(KEY))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[test]
fn the_chain_state_of_an_older_directory_moves_into_the_outbox() {
    let dir = Scratch::new("legacy");
    let config = TerminalConfig::default();
    let (terminal, _) = Terminal::create_local(&dir.0, &subject(), &config).unwrap();
    let issued = terminal.issue(request(&transaction()), None).unwrap();
    drop(terminal);
    // What `terminal init` wrote before the outbox existed.
    std::fs::remove_dir_all(dir.0.join(crate::outbox::DIR_NAME)).unwrap();
    let legacy = serde_json::json!({
        "counter": 1,
        "next_previous": issued.next.next_previous.to_hex(),
    });
    std::fs::write(dir.0.join("state.json"), legacy.to_string()).unwrap();

    let terminal = Terminal::open(&dir.0, None, &config).unwrap();
    assert_eq!(terminal.outbox().chain_state().unwrap(), Some(issued.next));
    assert!(!dir.0.join("state.json").exists());
}

#[test]
fn open_refuses_an_incomplete_or_foreign_directory() {
    let dir = Scratch::new("incomplete");
    let config = TerminalConfig::default();
    assert!(matches!(
        Terminal::open(&dir.0, None, &config),
        Err(TerminalError::NotATerminal { .. })
    ));
    Terminal::create_local(&dir.0, &subject(), &config).unwrap();
    let stranger: Arc<dyn Signer> = Arc::new(SoftwareSigner::generate().unwrap());
    assert!(matches!(
        Terminal::open(&dir.0, Some(stranger), &config),
        Err(TerminalError::NotATerminal { .. })
    ));
}

/// A platform key pair from the test data.
fn platform_keys() -> (PlatformKey, PlatformPrivateKey) {
    let private = data("keys/platform-test-rsa3072.pem");
    let public = data("keys/platform-test-rsa3072.pub.pem");
    (
        PlatformKey::from_pem("test-2026-11", &public).unwrap(),
        PlatformPrivateKey::from_pem("test-2026-11", &private).unwrap(),
    )
}

/// An enrollment answer for `signer`'s key, issued by a fresh CA.
fn answer_for(signer: &SoftwareSigner) -> String {
    let ca = CertificateAuthority::generate("ereceipt test platform", true).unwrap();
    let csr = create_csr(signer, &subject()).unwrap();
    let not_before = time::OffsetDateTime::now_utc() - time::Duration::minutes(1);
    let cert = ca
        .issue(&csr, not_before, not_before + time::Duration::days(30))
        .unwrap();
    serde_json::json!({
        "terminal_id": "SH000001",
        "merchant_id": "898310048990001",
        "merchant_name": "Test merchant",
        "certificate_chain": [cert, ca.certificate_pem()],
        "platform_key": { "key_id": "test-2026-11", "public_key": platform_keys().0.to_pem() },
    })
    .to_string()
}

#[test]
fn enrollment_writes_a_terminal_that_seals_and_queues() {
    let dir = Scratch::new("enroll");
    let config = TerminalConfig::default();
    let key = SoftwareSigner::generate().unwrap();
    let answer = answer_for(&key);
    let (url, seen) = serve(vec![canned(201, &answer)]);
    let signer: Arc<dyn Signer> = Arc::new(key);
    let terminal = Terminal::enroll(
        &dir.0,
        &url,
        "tok",
        "SH000001",
        Some(signer.clone()),
        &config,
    )
    .unwrap();
    assert_eq!(seen.lock().unwrap()[0].1, "/v1/enrollments");
    // A hardware signer's key is never written.
    assert!(!dir.0.join(KEY).exists());

    let tx = transaction();
    let delivery = Delivery::parse("email:li.wei@example.com").unwrap();
    let issued = terminal
        .issue(request(&tx), Some(delivery.clone()))
        .unwrap();
    assert_eq!(terminal.status().unwrap().pending, 1);

    // Only the platform can open what was queued, and it holds the whole receipt.
    let envelopes = terminal.outbox().queued_envelopes().unwrap();
    let [envelope] = envelopes.as_slice() else {
        panic!("{} envelopes queued", envelopes.len())
    };
    drop(terminal);
    let (header, payload) = open(&platform_keys().1, envelope).unwrap();
    assert_eq!(header.receipt_id, issued.record.receipt_id);
    assert_eq!(payload.record, issued.record_bytes);
    assert_eq!(payload.png, issued.png);
    assert_eq!(payload.delivery, Some(delivery));
    for file in std::fs::read_dir(dir.0.join(crate::outbox::DIR_NAME).join("pending")).unwrap() {
        let raw = std::fs::read(file.unwrap().path()).unwrap();
        assert!(!raw.windows(7).any(|w| w == b"li.wei@"));
    }

    let terminal = Terminal::open(&dir.0, Some(signer), &config).unwrap();
    assert_eq!(terminal.platform().unwrap().key.key_id(), "test-2026-11");
    assert_eq!(terminal.client().unwrap().base_url(), url);
}

#[test]
fn an_enrollment_answer_for_another_key_is_refused() {
    let dir = Scratch::new("foreign");
    let answer = answer_for(&SoftwareSigner::generate().unwrap());
    let (url, _) = serve(vec![canned(201, &answer)]);
    let result = Terminal::enroll(
        &dir.0,
        &url,
        "tok",
        "SH000001",
        None,
        &TerminalConfig::default(),
    );
    assert!(matches!(result, Err(TerminalError::Enrollment { .. })));
    assert!(!dir.0.join(CERT).exists());
}

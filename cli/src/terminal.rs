//! A terminal directory: the terminal's key, certificate chain and chain state on disk.
//!
//! Layout: `terminal-key.pem` (PKCS#8, mode 0600), `terminal.pem` (its certificate),
//! `ca.pem` (the CA certificate it chains to), `state.json` (counter and next chain value).
//! Every file is written atomically (temporary file, fsync, rename, fsync of the directory),
//! so a crash leaves either the old or the new content, never half of one.

use ereceipt_core::identity::{
    CaCertificate, CertificateAuthority, SoftwareSigner, TERMINAL_CERTIFICATE_LIFETIME,
    TerminalCertificate, TerminalSubject, create_csr,
};
use ereceipt_core::record::{ChainState, ChainValue, from_hex};
use serde_json::json;
use std::path::{Path, PathBuf};

const KEY: &str = "terminal-key.pem";
const CERT: &str = "terminal.pem";
const CA: &str = "ca.pem";
const STATE: &str = "state.json";

/// A loaded terminal directory.
pub(crate) struct TerminalDir {
    dir: PathBuf,
    pub(crate) signer: SoftwareSigner,
    pub(crate) certificate: TerminalCertificate,
    pub(crate) chain_pem: Vec<String>,
    pub(crate) state: ChainState,
}

/// Writes `bytes` to `path` atomically; `private` files get mode 0600.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    use std::io::Write;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    let tmp = dir.join(format!(".{name}.tmp"));
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    if private {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(&tmp)?;
    file.write_all(bytes)?;
    file.sync_all()?;
    drop(file);
    std::fs::rename(&tmp, path)?;
    if let Ok(d) = std::fs::File::open(dir) {
        // Makes the rename itself durable; not possible on every platform.
        let _ = d.sync_all();
    }
    Ok(())
}

/// Creates a terminal with a self-contained TEST certificate authority.
pub(crate) fn init(dir: &Path, subject: &TerminalSubject) -> Result<String, String> {
    if dir.join(KEY).exists() {
        return Err(format!("{} already holds a terminal", dir.display()));
    }
    std::fs::create_dir_all(dir).map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let ca = CertificateAuthority::generate("ereceipt local", true).map_err(|e| e.to_string())?;
    let signer = SoftwareSigner::generate().map_err(|e| e.to_string())?;
    let csr = create_csr(&signer, subject).map_err(|e| e.to_string())?;
    let now = time::OffsetDateTime::now_utc();
    let not_before = now - time::Duration::minutes(5);
    let cert = ca
        .issue(&csr, not_before, not_before + TERMINAL_CERTIFICATE_LIFETIME)
        .map_err(|e| e.to_string())?;
    let io = |e: std::io::Error| format!("cannot write to {}: {e}", dir.display());
    write_atomic(&dir.join(KEY), signer.to_pkcs8_pem().as_bytes(), true).map_err(io)?;
    write_atomic(&dir.join(CERT), cert.as_bytes(), false).map_err(io)?;
    write_atomic(&dir.join(CA), ca.certificate_pem().as_bytes(), false).map_err(io)?;
    save_state(dir, &ChainState::genesis(subject.terminal_id())).map_err(io)?;
    Ok(ca.certificate().name().to_owned())
}

fn save_state(dir: &Path, state: &ChainState) -> std::io::Result<()> {
    let json = json!({ "counter": state.counter, "next_previous": state.next_previous.to_hex() });
    write_atomic(&dir.join(STATE), format!("{json}\n").as_bytes(), false)
}

impl TerminalDir {
    /// Loads a terminal directory made by `terminal init`.
    pub(crate) fn load(dir: &Path) -> Result<Self, String> {
        let read = |name: &str| {
            std::fs::read_to_string(dir.join(name))
                .map_err(|e| format!("cannot read {}: {e}", dir.join(name).display()))
        };
        let signer = SoftwareSigner::from_pkcs8_pem(&read(KEY)?).map_err(|e| e.to_string())?;
        let cert_pem = read(CERT)?;
        let certificate = TerminalCertificate::from_pem(&cert_pem).map_err(|e| e.to_string())?;
        let ca_pem = read(CA)?;
        CaCertificate::from_pem(&ca_pem).map_err(|e| e.to_string())?;
        let state: serde_json::Value =
            serde_json::from_str(&read(STATE)?).map_err(|_| format!("{STATE} is damaged"))?;
        let counter = state["counter"]
            .as_u64()
            .ok_or(format!("{STATE} is damaged"))?;
        let next_previous = state["next_previous"]
            .as_str()
            .and_then(from_hex)
            .and_then(|b| <[u8; 32]>::try_from(b).ok())
            .ok_or(format!("{STATE} is damaged"))?;
        Ok(TerminalDir {
            dir: dir.to_owned(),
            signer,
            certificate,
            chain_pem: vec![cert_pem, ca_pem],
            state: ChainState {
                counter,
                next_previous: ChainValue(next_previous),
            },
        })
    }

    /// Records the state after an issued receipt.
    pub(crate) fn advance(&mut self, next: ChainState) -> Result<(), String> {
        save_state(&self.dir, &next).map_err(|e| format!("cannot save the terminal state: {e}"))?;
        self.state = next;
        Ok(())
    }
}

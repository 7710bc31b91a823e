//! A terminal on disk: its identity, its link to the platform and its outbox, in one directory.
//!
//! This is what an app holds: [`Terminal::enroll`] once, then [`Terminal::open`] at every start,
//! [`Terminal::issue`] for each payment and [`Terminal::flush`] (or an [`AutoFlush`]) to upload.
//!
//! The directory holds:
//!
//! | file | what |
//! |---|---|
//! | `terminal-key.pem` | the P-256 key (PKCS#8, mode 0600), only when the SDK's software signer is used; a hardware key stays in its key store |
//! | `terminal.pem`, `ca.pem` | the terminal certificate and the CA it chains to |
//! | `platform.json` | the platform URL and its encryption key (id + public key) |
//! | `outbox/` | the chain state and the queue of sealed receipts ([`crate::outbox`]) |
//!
//! Files are written atomically (temporary file, fsync, rename, fsync of the directory), the key
//! first and the certificate last, so a directory with a certificate is always complete.
//! Issuing a receipt seals it for the platform and stores it with the new chain state in one
//! atomic rename, so the counter and the queue can never disagree.

mod files;

use crate::identity::{
    CaCertificate, CertificateAuthority, IdentityError, Signer, SignerError, SoftwareSigner,
    TERMINAL_CERTIFICATE_LIFETIME, TerminalCertificate, TerminalSubject, create_csr, verify_chain,
};
use crate::outbox::{AutoFlush, AutoFlushPolicy, FlushReport, Outbox, OutboxConfig, OutboxError};
use crate::outbox::{DeadLetter, OutboxStatus};
use crate::record::{ChainState, Credentials, IssueError, IssueRequest, IssuedReceipt, issue};
use crate::seal::{Delivery, PlatformKey, ReceiptPayload, SealError, seal};
use crate::upload::{ClientConfig, PlatformClient, UploadError};
use files::{CA, CERT, KEY, PLATFORM, PlatformFile};
use std::path::{Path, PathBuf};
use std::sync::Arc;

pub use files::write_atomic;

/// How a terminal stores and uploads.
#[derive(Clone, Debug, Default)]
pub struct TerminalConfig {
    /// Limits of the outbox.
    pub outbox: OutboxConfig,
    /// Timeouts, retries and trusted roots for the platform connection.
    pub client: ClientConfig,
}

/// Why a terminal operation failed. No variant carries receipt content.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum TerminalError {
    /// The directory already holds a terminal.
    #[error("the directory already holds a terminal")]
    Exists,
    /// The directory does not hold a (complete) terminal.
    #[error("not a terminal directory: {reason}")]
    NotATerminal {
        /// What is missing or damaged.
        reason: String,
    },
    /// The terminal has no platform to upload to (it was made with a local test CA).
    #[error("the terminal is not enrolled with a platform")]
    NotEnrolled,
    /// A file could not be read or written.
    #[error("{file}: {reason}")]
    Io {
        /// The file.
        file: PathBuf,
        /// The operating system's reason.
        reason: String,
    },
    /// The platform's enrollment answer does not fit this terminal.
    #[error("enrollment answer refused: {reason}")]
    Enrollment {
        /// What did not fit.
        reason: String,
    },
    /// A key or certificate was refused.
    #[error(transparent)]
    Identity(#[from] IdentityError),
    /// The signer could not give its public key.
    #[error(transparent)]
    Signer(#[from] SignerError),
    /// The receipt could not be issued.
    #[error(transparent)]
    Issue(#[from] IssueError),
    /// The receipt could not be sealed.
    #[error(transparent)]
    Seal(#[from] SealError),
    /// The outbox refused or failed.
    #[error(transparent)]
    Outbox(#[from] OutboxError),
    /// The platform could not be reached or refused.
    #[error(transparent)]
    Upload(#[from] UploadError),
}

/// Where a terminal uploads to.
#[derive(Clone, Debug)]
pub struct PlatformLink {
    /// The platform's base URL.
    pub url: String,
    /// The key receipts are sealed under.
    pub key: PlatformKey,
}

/// An open terminal directory.
pub struct Terminal {
    dir: PathBuf,
    signer: Arc<dyn Signer>,
    certificate: TerminalCertificate,
    chain_pem: Vec<String>,
    platform: Option<PlatformLink>,
    config: TerminalConfig,
    outbox: Arc<Outbox>,
}

impl std::fmt::Debug for Terminal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Terminal")
            .field("dir", &self.dir)
            .field("terminal_id", &self.certificate.terminal_id())
            .field("enrolled", &self.platform.is_some())
            .finish_non_exhaustive()
    }
}

impl Terminal {
    /// Creates a terminal with a software key and its own local TEST certificate authority, for
    /// trying the SDK without a platform. Receipts from it are signed and chained but have
    /// nowhere to go: nothing is queued. Returns the terminal and the test CA's name.
    pub fn create_local(
        dir: &Path,
        subject: &TerminalSubject,
        config: &TerminalConfig,
    ) -> Result<(Self, String), TerminalError> {
        files::claim(dir)?;
        let ca = CertificateAuthority::generate("ereceipt local", true)?;
        let signer = SoftwareSigner::generate()?;
        let csr = create_csr(&signer, subject)?;
        let not_before = time::OffsetDateTime::now_utc() - time::Duration::minutes(5);
        let certificate = ca.issue(&csr, not_before, not_before + TERMINAL_CERTIFICATE_LIFETIME)?;
        let chain = [certificate, ca.certificate_pem()];
        let key_pem = signer.to_pkcs8_pem();
        let terminal = Self::install(
            dir,
            subject.terminal_id(),
            Arc::new(signer),
            Some(key_pem),
            &chain,
            None,
            config,
        )?;
        Ok((terminal, ca.certificate().name().to_owned()))
    }

    /// Enrolls a new terminal with the platform at `url` using a one-time token: makes a key
    /// (or uses `signer`, a hardware key), sends a certificate request for `terminal_id`, checks
    /// the answer and writes the directory. Blocks until the platform has answered.
    pub fn enroll(
        dir: &Path,
        url: &str,
        token: &str,
        terminal_id: &str,
        signer: Option<Arc<dyn Signer>>,
        config: &TerminalConfig,
    ) -> Result<Self, TerminalError> {
        files::claim(dir)?;
        let (signer, key_pem): (Arc<dyn Signer>, _) = match signer {
            Some(signer) => (signer, None),
            None => {
                let software = SoftwareSigner::generate()?;
                let pem = software.to_pkcs8_pem();
                (Arc::new(software), Some(pem))
            }
        };
        // The platform names the merchant from the token; the request only has to be valid.
        let subject = TerminalSubject::new("pending", "pending enrollment", terminal_id)?;
        let csr = create_csr(signer.as_ref(), &subject)?;
        let client = PlatformClient::new(url, &config.client)?;
        let enrollment = client.enroll(token, &csr)?;
        let link = PlatformLink {
            url: client.base_url().to_owned(),
            key: enrollment.platform_key,
        };
        Self::install(
            dir,
            terminal_id,
            signer,
            key_pem,
            &enrollment.certificate_chain,
            Some(link),
            config,
        )
    }

    /// Checks a certificate chain against the signer and writes the directory; `key_pem` is
    /// the software signer's key, stored only when there is one.
    fn install(
        dir: &Path,
        terminal_id: &str,
        signer: Arc<dyn Signer>,
        key_pem: Option<String>,
        chain: &[String],
        platform: Option<PlatformLink>,
        config: &TerminalConfig,
    ) -> Result<Self, TerminalError> {
        let [leaf_pem, ca_pem] = chain else {
            return Err(TerminalError::Enrollment {
                reason: "expected the terminal certificate and its CA".into(),
            });
        };
        let certificate = TerminalCertificate::from_pem(leaf_pem)?;
        let ca = CaCertificate::from_pem(ca_pem)?;
        let now = time::OffsetDateTime::now_utc().unix_timestamp();
        verify_chain(&certificate, &[], &ca, now)?;
        if certificate.terminal_id() != terminal_id {
            return Err(TerminalError::Enrollment {
                reason: "the certificate names another terminal".into(),
            });
        }
        if certificate.public_key_sec1() != signer.public_key()?.as_slice() {
            return Err(TerminalError::Enrollment {
                reason: "the certificate is not for this terminal's key".into(),
            });
        }
        if let Some(key) = key_pem {
            files::write(dir, KEY, key.as_bytes(), true)?;
        }
        if let Some(link) = &platform {
            files::write_platform(dir, link)?;
        }
        let outbox = Outbox::open(dir, config.outbox)?;
        outbox.init_chain(&ChainState::genesis(certificate.terminal_id()))?;
        files::write(dir, CA, ca_pem.as_bytes(), false)?;
        // Last: a directory with a certificate is complete.
        files::write(dir, CERT, leaf_pem.as_bytes(), false)?;
        Ok(Terminal {
            dir: dir.to_owned(),
            signer,
            certificate,
            chain_pem: chain.to_vec(),
            platform,
            config: config.clone(),
            outbox: Arc::new(outbox),
        })
    }

    /// Opens a terminal directory. `signer` is the hardware key the terminal was enrolled
    /// with; `None` uses the software key stored in the directory.
    pub fn open(
        dir: &Path,
        signer: Option<Arc<dyn Signer>>,
        config: &TerminalConfig,
    ) -> Result<Self, TerminalError> {
        let leaf_pem = files::read(dir, CERT)?;
        let ca_pem = files::read(dir, CA)?;
        let certificate = TerminalCertificate::from_pem(&leaf_pem)?;
        CaCertificate::from_pem(&ca_pem)?;
        let signer: Arc<dyn Signer> = match signer {
            Some(signer) => signer,
            None => Arc::new(SoftwareSigner::from_pkcs8_pem(&files::read(dir, KEY)?)?),
        };
        if certificate.public_key_sec1() != signer.public_key()?.as_slice() {
            return Err(TerminalError::NotATerminal {
                reason: "the signer's key does not match the terminal certificate".into(),
            });
        }
        let platform = match files::read_optional(dir, PLATFORM)? {
            Some(text) => Some(PlatformFile::parse(&text)?.link()?),
            None => None,
        };
        let outbox = Outbox::open(dir, config.outbox)?;
        files::migrate_state(dir, &outbox)?;
        if outbox.chain_state()?.is_none() {
            return Err(TerminalError::NotATerminal {
                reason: "the chain state is missing".into(),
            });
        }
        Ok(Terminal {
            dir: dir.to_owned(),
            signer,
            certificate,
            chain_pem: vec![leaf_pem, ca_pem],
            platform,
            config: config.clone(),
            outbox: Arc::new(outbox),
        })
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The terminal certificate.
    pub fn certificate(&self) -> &TerminalCertificate {
        &self.certificate
    }

    /// The certificate chain as PEM, terminal certificate first.
    pub fn chain_pem(&self) -> &[String] {
        &self.chain_pem
    }

    /// The platform this terminal uploads to, if enrolled.
    pub fn platform(&self) -> Option<&PlatformLink> {
        self.platform.as_ref()
    }

    /// The outbox.
    pub fn outbox(&self) -> &Arc<Outbox> {
        &self.outbox
    }

    /// Issues a receipt at the next counter. For an enrolled terminal the receipt is sealed
    /// for the platform (with the raw strokes and the customer's delivery choice) and queued in
    /// the outbox, in the same transaction that moves the chain on; a full outbox or another
    /// issuer that got there first stores nothing. Upload with [`Terminal::flush`] or an
    /// [`AutoFlush`].
    pub fn issue(
        &self,
        request: IssueRequest<'_>,
        delivery: Option<Delivery>,
    ) -> Result<IssuedReceipt, TerminalError> {
        let state = self
            .outbox
            .chain_state()?
            .ok_or(OutboxError::NoChainState)?;
        let credentials = Credentials {
            signer: self.signer.as_ref(),
            certificate: &self.certificate,
            chain_pem: &self.chain_pem,
        };
        let issued = issue(&state, request, &credentials)?;
        match &self.platform {
            Some(link) => {
                let payload = ReceiptPayload {
                    record: issued.record_bytes.clone(),
                    signature: issued.summary.signature,
                    certificates: self.chain_pem.clone(),
                    png: issued.png.clone(),
                    strokes: request.signature.map(|s| s.encode()),
                    delivery,
                };
                let envelope = seal(
                    &link.key,
                    &issued.record.terminal_id,
                    &issued.record.receipt_id,
                    &payload,
                )?;
                self.outbox
                    .enqueue(&state, &issued.next, &issued.record.receipt_id, &envelope)?;
            }
            None if delivery.is_some() => return Err(TerminalError::NotEnrolled),
            None => self.outbox.advance(&state, &issued.next)?,
        }
        Ok(issued)
    }

    /// A client for this terminal's platform.
    pub fn client(&self) -> Result<PlatformClient, TerminalError> {
        let link = self.platform.as_ref().ok_or(TerminalError::NotEnrolled)?;
        Ok(PlatformClient::new(&link.url, &self.config.client)?)
    }

    /// Uploads every waiting receipt now, blocking until the flush is over.
    pub fn flush(&self) -> Result<FlushReport, TerminalError> {
        Ok(self.outbox.flush(&self.client()?)?)
    }

    /// What the outbox holds.
    pub fn status(&self) -> Result<OutboxStatus, TerminalError> {
        Ok(self.outbox.status()?)
    }

    /// The receipts the platform rejected.
    pub fn dead_letters(&self) -> Result<Vec<DeadLetter>, TerminalError> {
        Ok(self.outbox.dead_letters()?)
    }

    /// Starts uploading in the background. Call [`AutoFlush::wake`] after each issue and when
    /// the network comes back.
    pub fn auto_flush(&self, policy: AutoFlushPolicy) -> Result<AutoFlush, TerminalError> {
        AutoFlush::start(self.outbox.clone(), self.client()?, policy).map_err(|e| {
            TerminalError::Io {
                file: self.dir.clone(),
                reason: format!("cannot start the upload thread: {e}"),
            }
        })
    }
}

#[cfg(test)]
mod tests;

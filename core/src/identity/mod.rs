//! Terminal identity: each POS terminal's signing key, its certificate, and how both are checked.
//!
//! # The pieces
//!
//! A terminal holds an ECDSA P-256 key behind the [`Signer`] trait and signs receipt records
//! with ES256. It proves who it is with an X.509 certificate that the receipt platform's CA
//! issues and that names the merchant and the terminal. Anyone who has the CA certificate can
//! check a receipt: [`TerminalCertificate::from_pem`], [`verify_chain`], then [`verify_es256`]
//! with the certificate's key.
//!
//! ```
//! use ereceipt_core::identity::{
//!     CertificateAuthority, Signer, SoftwareSigner, TerminalCertificate, TerminalSubject,
//!     TERMINAL_CERTIFICATE_LIFETIME, create_csr, verify_chain, verify_es256,
//! };
//!
//! // On the terminal: a key (in a phone this would be a hardware keystore) and a CSR.
//! let terminal_key = SoftwareSigner::generate()?;
//! let subject = TerminalSubject::new("898310048990001", "Star Café", "T0000001")?;
//! let csr_pem = create_csr(&terminal_key, &subject)?;
//!
//! // At the platform: the CA checks the CSR and issues the certificate.
//! let ca = CertificateAuthority::generate("ereceipt", true)?;
//! let now = time::OffsetDateTime::now_utc();
//! let leaf_pem = ca.issue(&csr_pem, now, now + TERMINAL_CERTIFICATE_LIFETIME)?;
//!
//! // Anywhere: check the certificate, then a signature made with the terminal's key.
//! let leaf = TerminalCertificate::from_pem(&leaf_pem)?;
//! verify_chain(&leaf, &[], ca.certificate(), now.unix_timestamp())?;
//! assert_eq!(leaf.issuer_name(), "ereceipt TEST CA — not for production");
//! let signature = terminal_key.sign(b"receipt record")?;
//! verify_es256(leaf.public_key_sec1(), b"receipt record", &signature)?;
//! # Ok::<(), ereceipt_core::identity::IdentityError>(())
//! ```
//!
//! # Why these choices
//!
//! - **P-256 (ES256).** It is the curve that Android StrongBox / Keystore and the iOS Secure
//!   Enclave offer, so a terminal's key can be generated in and never leave hardware. The SDK
//!   therefore never asks for private key bytes: [`Signer`] only signs and reports its public key.
//!   [`SoftwareSigner`] is the in-memory implementation for the platform, the CLI and tests.
//! - **Fixed `r ‖ s` signatures.** [`Signer::sign`] returns the 64-byte JOSE form rather than
//!   ASN.1 DER (70–72 bytes, variable): it is smaller and of fixed size, which matters in a QR code
//!   on a receipt. Hardware keystores return DER; [`der_signature_to_fixed`] converts.
//! - **A CSR and a platform CA.** A terminal generates its key where it lives and sends only a
//!   PKCS#10 request ([`create_csr`]), whose self-signature proves it holds the key. The platform
//!   checks the request ([`TerminalCsr`]) against its enrolment records and issues a certificate
//!   ([`CertificateAuthority::issue`]); verifiers need only the CA certificate, not a list of every
//!   terminal's key. `ereceipt terminal init` uses the same code with a self-contained test CA
//!   whose name says it is test material ([`TEST_CA_MARKER`]).
//! - **Subject layout.** `CN` = terminal id, `O` = merchant name, `organizationIdentifier`
//!   (X.520, 2.5.4.97) = merchant id: the attribute X.520 defines for an organization's
//!   registration id, which keeps `OU` (deprecated in public PKIs) out of it. The CA rebuilds the
//!   subject from the checked [`TerminalSubject`] and never copies the request's other attributes
//!   or extensions.
//! - **Serials and validity.** Serials are 16 random bytes (RFC 5280 positive, CA/Browser Forum
//!   style unpredictability), so two CAs or restarts never collide and no counter must be stored.
//!   Terminal certificates are suggested to last [`TERMINAL_CERTIFICATE_LIFETIME`] (two years), a
//!   generated CA [`CA_LIFETIME`] (ten years); a certificate cannot outlive its CA.
//! - **Unsigned receipts.** When the key is locked or busy a [`Signer`] returns
//!   [`SignerError::Unavailable`]; the receipt flow then issues the receipt unsigned and marks it
//!   so (the RKSV failed-signature rule) instead of failing the sale.
//!
//! Parsing uses `x509-parser`, building uses `rcgen` with the [`Signer`] plugged in as its signing
//! key, and the cryptography is `ring`. Nothing here panics on untrusted input: certificates,
//! requests, PEM text and signatures.

mod ca;
mod certificate;
mod csr;
mod error;
mod signer;
mod subject;

pub use ca::{CA_LIFETIME, CertificateAuthority, TERMINAL_CERTIFICATE_LIFETIME, TEST_CA_MARKER};
pub use certificate::{CaCertificate, TerminalCertificate, verify_chain};
pub use csr::{TerminalCsr, create_csr};
pub use error::{IdentityError, SignerError};
pub use signer::{
    PUBLIC_KEY_LEN, SIGNATURE_LEN, Signer, SoftwareSigner, der_signature_to_fixed, verify_es256,
};
pub use subject::TerminalSubject;

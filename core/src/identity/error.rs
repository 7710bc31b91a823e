//! The identity module's errors: [`IdentityError`] for everything, [`SignerError`] for what a
//! key store reports.

/// What a [`Signer`](super::Signer) reports when it cannot produce a signature.
///
/// The receipt flow treats [`SignerError::Unavailable`] as "issue this receipt unsigned and say
/// so on it" (the RKSV failed-signature rule), so a hardware-backed signer should map a locked
/// key or a busy secure element to it rather than to [`SignerError::Failed`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SignerError {
    /// The key exists but cannot be used right now: the device is locked, the secure element is
    /// busy, or the user cancelled an authentication prompt. Retrying later may succeed.
    #[error("the signing key is unavailable right now")]
    Unavailable,
    /// The key store failed, the key is gone, or it returned something that is not an ES256
    /// signature or a P-256 public key. `reason` is a short description without key material.
    #[error("the signer failed: {reason}")]
    Failed {
        /// What went wrong, for logs; never key material.
        reason: String,
    },
}

/// Everything that can go wrong while creating, issuing, parsing or checking terminal keys and
/// certificates.
///
/// No variant carries key material, signatures or certificate bytes: only field names, short
/// reasons and validity times.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdentityError {
    /// A merchant or terminal field is missing, too long or has a character outside its set:
    /// when building a [`TerminalSubject`](super::TerminalSubject), when a CSR or certificate
    /// names an invalid one, or when a CA name is invalid.
    #[error("invalid {field}: {reason}")]
    InvalidSubject {
        /// The field: `terminal_id`, `merchant_id`, `merchant_name` or `ca_name`.
        field: &'static str,
        /// Why it was refused.
        reason: &'static str,
    },
    /// The signer could not sign or report its public key (see [`SignerError`]). Creating a CSR
    /// with a locked hardware key ends here with [`SignerError::Unavailable`].
    #[error(transparent)]
    Signer(#[from] SignerError),
    /// A certificate signing request could not be built.
    #[error("could not build the certificate signing request: {reason}")]
    Csr {
        /// Why, from the encoder; never key material.
        reason: String,
    },
    /// A certificate could not be built: an empty or inverted validity period, a leaf that would
    /// outlive its CA, or an encoder failure.
    #[error("could not issue the certificate: {reason}")]
    Issue {
        /// Why; never key material.
        reason: String,
    },
    /// Input was not well-formed PEM or DER: a certificate, CSR, private key or ASN.1 signature,
    /// including trailing bytes, a wrong PEM label or an unknown critical extension.
    #[error("could not parse the {what}")]
    Parse {
        /// What was being parsed, e.g. `certificate` or `private key`.
        what: &'static str,
    },
    /// A key is not an ECDSA P-256 key, or a public key is not a 65-byte uncompressed SEC1 point.
    #[error("unsupported key: {reason}")]
    UnsupportedKey {
        /// Why the key was refused.
        reason: &'static str,
    },
    /// A certificate or CSR is signed with an algorithm outside the allowed set (ECDSA with
    /// SHA-256 or SHA-384; terminals' CSRs ECDSA with SHA-256 only).
    #[error("unsupported signature algorithm")]
    UnsupportedAlgorithm,
    /// A CA's private key does not belong to its certificate.
    #[error("the private key does not match the certificate")]
    KeyMismatch,
    /// A signature did not verify: an ES256 signature over a message, a CSR's self-signature,
    /// or a certificate's signature by its issuer (a tampered certificate ends here).
    #[error("signature verification failed")]
    BadSignature,
    /// A certificate in the chain expired before the time it was checked at.
    #[error("certificate expired at unix time {not_after}")]
    Expired {
        /// The certificate's `notAfter`, in unix seconds.
        not_after: i64,
    },
    /// A certificate in the chain is not valid yet at the time it was checked at.
    #[error("certificate is not valid before unix time {not_before}")]
    NotYetValid {
        /// The certificate's `notBefore`, in unix seconds.
        not_before: i64,
    },
    /// A certificate's issuer is not the next certificate in the chain (names or key
    /// identifiers differ), e.g. a terminal certificate from another CA.
    #[error("the certificate was not issued by the trusted CA")]
    UntrustedIssuer,
    /// An issuing certificate is not a CA (no `CA:true`, no `keyCertSign`) or its path length
    /// constraint is exceeded.
    #[error("an issuing certificate is not allowed to act as a CA")]
    NotACa,
    /// The end of the chain is not a terminal certificate: it is a CA, or it lacks the
    /// `digitalSignature` key usage.
    #[error("the certificate is not a terminal certificate")]
    NotATerminal,
    /// The system random number generator or the key generator failed.
    #[error("cryptographic failure: {reason}")]
    Crypto {
        /// What failed.
        reason: &'static str,
    },
}

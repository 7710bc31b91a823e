//! Certificate signing requests: [`create_csr`] on the terminal, [`TerminalCsr`] at the CA.

use std::cell::RefCell;

use x509_parser::certification_request::X509CertificationRequest;
use x509_parser::oid_registry::OID_SIG_ECDSA_WITH_SHA256;
use x509_parser::prelude::FromDer;

use super::certificate::p256_public_key;
use super::error::{IdentityError, SignerError};
use super::signer::{
    SIGNATURE_LEN, Signer, check_public_key_shape, fixed_signature_to_der, pem_contents,
};
use super::subject::TerminalSubject;

/// PEM label of a PKCS#10 certificate signing request.
const CSR_PEM_LABEL: &str = "CERTIFICATE REQUEST";

/// Builds a PKCS#10 certificate signing request for `subject`, signed by `signer`, as PEM.
///
/// The request carries only the subject and the public key; the CA decides validity, serial and
/// extensions. After building it, the request's signature is checked against the public key the
/// signer reported, so a signer that signs with another key fails here
/// ([`IdentityError::BadSignature`]) and not at the CA. A signer that is locked or busy yields
/// [`IdentityError::Signer`] with [`SignerError::Unavailable`].
pub fn create_csr(signer: &dyn Signer, subject: &TerminalSubject) -> Result<String, IdentityError> {
    let key = SignerKey::new(signer)?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = subject.distinguished_name();
    let csr = params
        .serialize_request(&key)
        .map_err(|e| key.error(e, |reason| IdentityError::Csr { reason }))?;
    TerminalCsr::from_der(csr.der())?;
    csr.pem().map_err(|e| IdentityError::Csr {
        reason: e.to_string(),
    })
}

/// A terminal's certificate signing request whose self-signature, key and subject have been
/// checked; the CA looks at it before issuing (for instance to match an enrolment record) and
/// passes it to [`CertificateAuthority::issue_request`](super::CertificateAuthority::issue_request).
///
/// Requested extensions are ignored: the CA alone decides what the certificate allows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalCsr {
    /// The request's DER encoding; the other fields were read from it.
    der: Vec<u8>,
    subject: TerminalSubject,
    /// An uncompressed SEC1 P-256 point.
    public_key: Vec<u8>,
}

impl TerminalCsr {
    /// Parses and checks a PEM `CERTIFICATE REQUEST` block (see [`TerminalCsr::from_der`]).
    pub fn from_pem(pem_text: &str) -> Result<Self, IdentityError> {
        Self::from_der(&pem_contents(
            pem_text,
            CSR_PEM_LABEL,
            "certificate signing request",
        )?)
    }

    /// Parses and checks a DER request: no trailing bytes ([`IdentityError::Parse`]), a P-256 key
    /// ([`IdentityError::UnsupportedKey`]), ECDSA with SHA-256
    /// ([`IdentityError::UnsupportedAlgorithm`]), a valid self-signature
    /// ([`IdentityError::BadSignature`]) and a valid [`TerminalSubject`]
    /// ([`IdentityError::InvalidSubject`]).
    pub fn from_der(der: &[u8]) -> Result<Self, IdentityError> {
        let Ok((&[], csr)) = X509CertificationRequest::from_der(der) else {
            return Err(IdentityError::Parse {
                what: "certificate signing request",
            });
        };
        let info = &csr.certification_request_info;
        let public_key = p256_public_key(&info.subject_pki)?;
        if csr.signature_algorithm.algorithm != OID_SIG_ECDSA_WITH_SHA256 {
            return Err(IdentityError::UnsupportedAlgorithm);
        }
        csr.verify_signature()
            .map_err(|_| IdentityError::BadSignature)?;
        let subject = TerminalSubject::from_x509_name(&info.subject)?;
        Ok(Self {
            der: der.to_vec(),
            subject,
            public_key,
        })
    }

    /// The merchant and terminal the request names.
    pub fn subject(&self) -> &TerminalSubject {
        &self.subject
    }

    /// The requested public key as an uncompressed SEC1 point (65 bytes).
    pub fn public_key_sec1(&self) -> &[u8] {
        &self.public_key
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }
}

/// Lets rcgen sign with any [`Signer`]: converts its fixed signatures to the DER form X.509
/// carries, and keeps the signer's own error, which rcgen's error type cannot hold.
pub(crate) struct SignerKey<'a> {
    signer: &'a dyn Signer,
    /// The signer's public key, checked to be a 65-byte uncompressed point.
    public_key: Vec<u8>,
    /// The last error the signer reported, taken by [`SignerKey::error`].
    failure: RefCell<Option<SignerError>>,
}

impl<'a> SignerKey<'a> {
    pub(crate) fn new(signer: &'a dyn Signer) -> Result<Self, IdentityError> {
        let public_key = signer.public_key()?;
        check_public_key_shape(&public_key)?;
        Ok(Self {
            signer,
            public_key,
            failure: RefCell::new(None),
        })
    }

    /// Turns an rcgen failure into an [`IdentityError`]: the signer's own error if it reported
    /// one, otherwise `wrap` of rcgen's message.
    pub(crate) fn error(
        &self,
        error: rcgen::Error,
        wrap: fn(String) -> IdentityError,
    ) -> IdentityError {
        match self.failure.take() {
            Some(failure) => IdentityError::Signer(failure),
            None => wrap(error.to_string()),
        }
    }
}

impl rcgen::PublicKeyData for SignerKey<'_> {
    fn der_bytes(&self) -> &[u8] {
        &self.public_key
    }

    fn algorithm(&self) -> &'static rcgen::SignatureAlgorithm {
        &rcgen::PKCS_ECDSA_P256_SHA256
    }
}

impl rcgen::SigningKey for SignerKey<'_> {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, rcgen::Error> {
        let fixed = self.signer.sign(message).and_then(|signature| {
            <[u8; SIGNATURE_LEN]>::try_from(signature.as_slice()).map_err(|_| SignerError::Failed {
                reason: "the signature is not 64 bytes".to_owned(),
            })
        });
        match fixed {
            Ok(fixed) => Ok(fixed_signature_to_der(&fixed)),
            Err(failure) => {
                self.failure.replace(Some(failure));
                Err(rcgen::Error::RemoteKeyError)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::SoftwareSigner;
    use proptest::prelude::*;

    fn subject() -> TerminalSubject {
        TerminalSubject::new("898310048990001", "上海星光咖啡馆", "T0000001").expect("valid")
    }

    /// A hardware key that is locked, or that misbehaves in a chosen way.
    struct FakeSigner {
        inner: SoftwareSigner,
        behaviour: Behaviour,
    }

    enum Behaviour {
        Locked,
        ShortSignature,
        OtherKey(Box<SoftwareSigner>),
    }

    impl Signer for FakeSigner {
        fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
            match &self.behaviour {
                Behaviour::Locked => Err(SignerError::Unavailable),
                Behaviour::ShortSignature => Ok(vec![1; 63]),
                Behaviour::OtherKey(other) => other.sign(message),
            }
        }

        fn public_key(&self) -> Result<Vec<u8>, SignerError> {
            self.inner.public_key()
        }
    }

    fn fake(behaviour: Behaviour) -> FakeSigner {
        FakeSigner {
            inner: SoftwareSigner::generate().expect("key generates"),
            behaviour,
        }
    }

    #[test]
    fn csr_round_trips_subject_and_key() {
        let signer = SoftwareSigner::generate().expect("key generates");
        let pem = create_csr(&signer, &subject()).expect("CSR builds");
        assert!(pem.starts_with("-----BEGIN CERTIFICATE REQUEST-----"));
        let csr = TerminalCsr::from_pem(&pem).expect("CSR parses");
        assert_eq!(csr.subject(), &subject());
        assert_eq!(csr.public_key_sec1(), signer.public_key_sec1());
    }

    #[test]
    fn unavailable_signer_propagates_from_create_csr() {
        assert_eq!(
            create_csr(&fake(Behaviour::Locked), &subject()),
            Err(IdentityError::Signer(SignerError::Unavailable))
        );
    }

    #[test]
    fn malformed_signer_output_is_a_signer_failure() {
        assert!(matches!(
            create_csr(&fake(Behaviour::ShortSignature), &subject()),
            Err(IdentityError::Signer(SignerError::Failed { .. }))
        ));
    }

    #[test]
    fn signer_using_another_key_is_caught() {
        let other = SoftwareSigner::generate().expect("key generates");
        assert_eq!(
            create_csr(&fake(Behaviour::OtherKey(Box::new(other))), &subject()),
            Err(IdentityError::BadSignature)
        );
    }

    #[test]
    fn tampered_csr_is_refused() {
        let signer = SoftwareSigner::generate().expect("key generates");
        let pem = create_csr(&signer, &subject()).expect("CSR builds");
        let der = TerminalCsr::from_pem(&pem).expect("parses").der().to_vec();
        let position = der
            .windows(8)
            .position(|w| w == b"T0000001")
            .expect("terminal id is in the CSR");
        let mut tampered = der.clone();
        tampered[position + 7] = b'2';
        assert_eq!(
            TerminalCsr::from_der(&tampered),
            Err(IdentityError::BadSignature)
        );
    }

    proptest! {
        #[test]
        fn csr_parsing_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), text in ".{0,300}") {
            let _ = TerminalCsr::from_der(&bytes);
            let _ = TerminalCsr::from_pem(&text);
        }
    }
}

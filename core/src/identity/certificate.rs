//! Parsed terminal and CA certificates, and [`verify_chain`].

use ring::digest::{SHA256, digest};
use time::OffsetDateTime;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;
use x509_parser::oid_registry::{
    OID_EC_P256, OID_KEY_TYPE_EC_PUBLIC_KEY, OID_SIG_ECDSA_WITH_SHA256, OID_SIG_ECDSA_WITH_SHA384,
};
use x509_parser::prelude::FromDer;
use x509_parser::x509::{SubjectPublicKeyInfo, X509Name};

use super::error::IdentityError;
use super::signer::{check_public_key_shape, hex, pem_contents};
use super::subject::TerminalSubject;

/// PEM label of an X.509 certificate.
pub(crate) const CERTIFICATE_PEM_LABEL: &str = "CERTIFICATE";

/// A terminal's X.509 certificate, parsed and checked for shape (P-256 key, a valid
/// [`TerminalSubject`]) but not yet for trust: call [`verify_chain`] for that.
///
/// Parsing never panics, whatever the input.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TerminalCertificate {
    /// The certificate's DER encoding; every other field was read from it.
    der: Vec<u8>,
    subject: TerminalSubject,
    serial_hex: String,
    issuer_name: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
    /// An uncompressed SEC1 P-256 point: 65 bytes starting with `0x04`.
    public_key: Vec<u8>,
}

impl TerminalCertificate {
    /// Parses a PEM `CERTIFICATE` block.
    pub fn from_pem(pem_text: &str) -> Result<Self, IdentityError> {
        Self::from_der(&pem_contents(
            pem_text,
            CERTIFICATE_PEM_LABEL,
            "certificate",
        )?)
    }

    /// Parses a DER certificate. Refuses malformed DER, trailing bytes or non-canonical bytes
    /// outside the signed part ([`IdentityError::Parse`]), signatures other than ECDSA with
    /// SHA-256 or SHA-384 ([`IdentityError::UnsupportedAlgorithm`]), keys other than P-256
    /// ([`IdentityError::UnsupportedKey`]) and subjects that are not a valid
    /// [`TerminalSubject`] ([`IdentityError::InvalidSubject`]).
    pub fn from_der(der: &[u8]) -> Result<Self, IdentityError> {
        let cert = parse_certificate(der)?;
        let subject = TerminalSubject::from_x509_name(cert.subject())?;
        let public_key = p256_public_key(cert.public_key())?;
        Ok(Self {
            der: der.to_vec(),
            subject,
            serial_hex: hex(cert.raw_serial()),
            issuer_name: display_name(cert.issuer()),
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
            public_key,
        })
    }

    /// The merchant and terminal the certificate names.
    pub fn subject(&self) -> &TerminalSubject {
        &self.subject
    }

    /// The terminal id (the subject's `CN`).
    pub fn terminal_id(&self) -> &str {
        self.subject.terminal_id()
    }

    /// The merchant id (the subject's `organizationIdentifier`).
    pub fn merchant_id(&self) -> &str {
        self.subject.merchant_id()
    }

    /// The merchant name (the subject's `O`).
    pub fn merchant_name(&self) -> &str {
        self.subject.merchant_name()
    }

    /// The serial number in lowercase hexadecimal, as it is encoded (no sign-padding zero is
    /// stripped).
    pub fn serial_hex(&self) -> &str {
        &self.serial_hex
    }

    /// The issuing CA's common name, for printing on the receipt; the whole issuer name in
    /// RFC 4514 form when it has no `CN`.
    pub fn issuer_name(&self) -> &str {
        &self.issuer_name
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of the validity period.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// The terminal's public key as an uncompressed SEC1 point (65 bytes), for
    /// [`verify_es256`](super::verify_es256).
    pub fn public_key_sec1(&self) -> &[u8] {
        &self.public_key
    }

    /// SHA-256 of the DER encoding, the usual certificate fingerprint.
    pub fn fingerprint(&self) -> [u8; 32] {
        sha256(&self.der)
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as a PEM `CERTIFICATE` block.
    pub fn to_pem(&self) -> String {
        to_pem(&self.der)
    }
}

/// A certificate that is meant to issue others: the trust anchor or an intermediate.
///
/// Parsing checks only that it is well-formed X.509; [`verify_chain`] checks that it really is a
/// CA (`CA:true`, `keyCertSign`) when it is used as one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaCertificate {
    /// The certificate's DER encoding; every other field was read from it.
    der: Vec<u8>,
    name: String,
    not_before: OffsetDateTime,
    not_after: OffsetDateTime,
}

impl CaCertificate {
    /// Parses a PEM `CERTIFICATE` block.
    pub fn from_pem(pem_text: &str) -> Result<Self, IdentityError> {
        Self::from_der(&pem_contents(
            pem_text,
            CERTIFICATE_PEM_LABEL,
            "certificate",
        )?)
    }

    /// Parses a DER certificate. Refuses malformed DER, trailing bytes or non-canonical bytes
    /// outside the signed part ([`IdentityError::Parse`]) and signatures other than ECDSA with
    /// SHA-256 or SHA-384 ([`IdentityError::UnsupportedAlgorithm`]).
    pub fn from_der(der: &[u8]) -> Result<Self, IdentityError> {
        let cert = parse_certificate(der)?;
        Ok(Self {
            der: der.to_vec(),
            name: display_name(cert.subject()),
            not_before: cert.validity().not_before.to_datetime(),
            not_after: cert.validity().not_after.to_datetime(),
        })
    }

    /// The CA's common name (the whole subject in RFC 4514 form when it has no `CN`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Start of the validity period.
    pub fn not_before(&self) -> OffsetDateTime {
        self.not_before
    }

    /// End of the validity period.
    pub fn not_after(&self) -> OffsetDateTime {
        self.not_after
    }

    /// SHA-256 of the DER encoding, to pin or compare trust anchors.
    pub fn fingerprint(&self) -> [u8; 32] {
        sha256(&self.der)
    }

    /// The DER encoding.
    pub fn der(&self) -> &[u8] {
        &self.der
    }

    /// The certificate as a PEM `CERTIFICATE` block.
    pub fn to_pem(&self) -> String {
        to_pem(&self.der)
    }
}

/// Checks that `leaf` was issued, through `intermediates` (leaf's issuer first), by `anchor`, and
/// that the whole chain is usable at `at_unix_seconds`.
///
/// For each certificate and its issuer: the issuer's subject equals the certificate's issuer name
/// byte for byte and, when both are present, the authority and subject key identifiers match
/// ([`IdentityError::UntrustedIssuer`]); the issuer has `CA:true`, `keyCertSign` if it states key
/// usages, and a path length constraint that allows the intermediates below it
/// ([`IdentityError::NotACa`]); the signature is ECDSA with SHA-256 or SHA-384
/// ([`IdentityError::UnsupportedAlgorithm`]) and verifies ([`IdentityError::BadSignature`]).
/// Every certificate, the anchor included, must be valid at the given time
/// ([`IdentityError::Expired`], [`IdentityError::NotYetValid`]) and have no unknown critical
/// extension. The leaf must not be a CA and must allow `digitalSignature`
/// ([`IdentityError::NotATerminal`]); its P-256 key was checked when it was parsed.
///
/// The anchor's own signature is not checked: it is trusted because the caller passed it in.
/// Revocation is not checked here.
pub fn verify_chain(
    leaf: &TerminalCertificate,
    intermediates: &[CaCertificate],
    anchor: &CaCertificate,
    at_unix_seconds: i64,
) -> Result<(), IdentityError> {
    let leaf_cert = parse_certificate(&leaf.der)?;
    check_terminal_usage(&leaf_cert)?;
    let mut chain = vec![leaf_cert];
    for ca in intermediates.iter().chain(std::iter::once(anchor)) {
        chain.push(parse_certificate(&ca.der)?);
    }
    for cert in &chain {
        check_validity(cert, at_unix_seconds)?;
        check_critical_extensions(cert)?;
    }
    for (cas_below, (child, issuer)) in chain.iter().zip(chain.iter().skip(1)).enumerate() {
        check_issued_by(child, issuer, cas_below)?;
    }
    Ok(())
}

/// Checks that `issuer` issued `child`; `cas_below` is the number of CA certificates between
/// `issuer` and the leaf.
fn check_issued_by(
    child: &X509Certificate<'_>,
    issuer: &X509Certificate<'_>,
    cas_below: usize,
) -> Result<(), IdentityError> {
    if child.issuer().as_raw() != issuer.subject().as_raw() {
        return Err(IdentityError::UntrustedIssuer);
    }
    let authority_key_id = child
        .iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::AuthorityKeyIdentifier(aki) => aki.key_identifier.as_ref(),
            _ => None,
        });
    let subject_key_id = issuer
        .iter_extensions()
        .find_map(|ext| match ext.parsed_extension() {
            ParsedExtension::SubjectKeyIdentifier(ski) => Some(ski),
            _ => None,
        });
    if let (Some(aki), Some(ski)) = (authority_key_id, subject_key_id)
        && aki.0 != ski.0
    {
        return Err(IdentityError::UntrustedIssuer);
    }

    let constraints = issuer
        .basic_constraints()
        .map_err(|_| IdentityError::Parse {
            what: "basic constraints",
        })?
        .map(|ext| ext.value);
    let Some(constraints) = constraints.filter(|c| c.ca) else {
        return Err(IdentityError::NotACa);
    };
    if constraints
        .path_len_constraint
        .is_some_and(|max| usize::try_from(max).is_ok_and(|max| cas_below > max))
    {
        return Err(IdentityError::NotACa);
    }
    let key_usage = issuer
        .key_usage()
        .map_err(|_| IdentityError::Parse { what: "key usage" })?;
    if key_usage.is_some_and(|ku| !ku.value.key_cert_sign()) {
        return Err(IdentityError::NotACa);
    }

    child
        .verify_signature(Some(issuer.public_key()))
        .map_err(|_| IdentityError::BadSignature)
}

/// A terminal certificate is an end entity that may sign.
fn check_terminal_usage(cert: &X509Certificate<'_>) -> Result<(), IdentityError> {
    let constraints = cert.basic_constraints().map_err(|_| IdentityError::Parse {
        what: "basic constraints",
    })?;
    if constraints.is_some_and(|ext| ext.value.ca) {
        return Err(IdentityError::NotATerminal);
    }
    let key_usage = cert
        .key_usage()
        .map_err(|_| IdentityError::Parse { what: "key usage" })?;
    if !key_usage.is_some_and(|ku| ku.value.digital_signature()) {
        return Err(IdentityError::NotATerminal);
    }
    Ok(())
}

fn check_validity(cert: &X509Certificate<'_>, at: i64) -> Result<(), IdentityError> {
    let not_before = cert.validity().not_before.timestamp();
    let not_after = cert.validity().not_after.timestamp();
    if at < not_before {
        return Err(IdentityError::NotYetValid { not_before });
    }
    if at > not_after {
        return Err(IdentityError::Expired { not_after });
    }
    Ok(())
}

/// RFC 5280 §4.2: a certificate with a critical extension the verifier does not understand must
/// be refused.
fn check_critical_extensions(cert: &X509Certificate<'_>) -> Result<(), IdentityError> {
    let unknown_critical = cert.iter_extensions().any(|ext| {
        ext.critical
            && matches!(
                ext.parsed_extension(),
                ParsedExtension::UnsupportedExtension { .. } | ParsedExtension::ParseError { .. }
            )
    });
    if unknown_critical {
        Err(IdentityError::Parse {
            what: "critical extension",
        })
    } else {
        Ok(())
    }
}

/// DER of the AlgorithmIdentifier `ecdsa-with-SHA256` (no parameters).
const ECDSA_WITH_SHA256: [u8; 12] = [
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02,
];
/// DER of the AlgorithmIdentifier `ecdsa-with-SHA384` (no parameters).
const ECDSA_WITH_SHA384: [u8; 12] = [
    0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03,
];

/// Only ECDSA: the platform's CAs are P-256 (or P-384) keys, and refusing RSA with SHA-1, which
/// the X.509 parser would otherwise accept, keeps weak signatures out.
///
/// Everything around the signed TBS certificate (the outer SEQUENCE header, the signature
/// algorithm and the BIT STRING header) is not covered by the signature, and the parser tolerates
/// some wrong tags there, so those bytes are compared with their one exact DER encoding:
/// otherwise a changed certificate, with another fingerprint, would still verify. The algorithm
/// must also be the one named inside the TBS certificate (RFC 5280 §4.1.1.2).
fn check_outer_encoding(cert: &X509Certificate<'_>) -> Result<(), IdentityError> {
    let raw = cert.as_raw();
    let tbs_len = cert.tbs_certificate.as_ref().len();
    let signature = cert.signature_value.data.as_ref();
    let algorithm = if cert.signature_algorithm.algorithm == OID_SIG_ECDSA_WITH_SHA256 {
        ECDSA_WITH_SHA256
    } else if cert.signature_algorithm.algorithm == OID_SIG_ECDSA_WITH_SHA384 {
        ECDSA_WITH_SHA384
    } else {
        return Err(IdentityError::UnsupportedAlgorithm);
    };
    if cert.tbs_certificate.signature.algorithm != cert.signature_algorithm.algorithm {
        return Err(IdentityError::UnsupportedAlgorithm);
    }
    let mut bit_string = der_header(0x03, signature.len() + 1);
    bit_string.push(0x00);
    let content_len = tbs_len + algorithm.len() + bit_string.len() + signature.len();
    let mut expected_prefix = der_header(0x30, content_len);
    let tbs_start = expected_prefix.len();
    expected_prefix.extend_from_slice(raw.get(tbs_start..tbs_start + tbs_len).unwrap_or_default());
    expected_prefix.extend_from_slice(&algorithm);
    expected_prefix.extend_from_slice(&bit_string);
    if raw.len() == expected_prefix.len() + signature.len() && raw.starts_with(&expected_prefix) {
        Ok(())
    } else {
        Err(IdentityError::Parse {
            what: "certificate",
        })
    }
}

/// A DER tag and definite length header.
fn der_header(tag: u8, len: usize) -> Vec<u8> {
    let mut header = vec![tag];
    let bytes = len.to_be_bytes();
    let first = bytes.iter().position(|&b| b != 0).unwrap_or(bytes.len());
    match &bytes[first..] {
        [] => header.push(0),
        [short] if *short < 0x80 => header.push(*short),
        long => {
            header.push(0x80 | len_of(long.len()));
            header.extend_from_slice(long);
        }
    }
    header
}

/// The count of length bytes, at most `size_of::<usize>()`.
fn len_of(count: usize) -> u8 {
    u8::try_from(count).expect("a usize has at most 16 bytes")
}

/// Parses a whole DER certificate, refusing trailing bytes, signature algorithms other than
/// ECDSA with SHA-256 or SHA-384, and non-canonical bytes outside the signed part.
pub(crate) fn parse_certificate(der: &[u8]) -> Result<X509Certificate<'_>, IdentityError> {
    let Ok((&[], cert)) = X509Certificate::from_der(der) else {
        return Err(IdentityError::Parse {
            what: "certificate",
        });
    };
    check_outer_encoding(&cert)?;
    Ok(cert)
}

/// The uncompressed point of a P-256 subject public key.
pub(crate) fn p256_public_key(spki: &SubjectPublicKeyInfo<'_>) -> Result<Vec<u8>, IdentityError> {
    let curve = spki
        .algorithm
        .parameters
        .as_ref()
        .and_then(|p| p.as_oid().ok());
    if spki.algorithm.algorithm != OID_KEY_TYPE_EC_PUBLIC_KEY || curve != Some(OID_EC_P256) {
        return Err(IdentityError::UnsupportedKey {
            reason: "not an ECDSA P-256 key",
        });
    }
    let point = spki.subject_public_key.data.as_ref();
    check_public_key_shape(point)?;
    Ok(point.to_vec())
}

/// A name's common name, or the whole name when it has none.
fn display_name(name: &X509Name<'_>) -> String {
    name.iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map_or_else(|| name.to_string(), str::to_owned)
}

fn sha256(bytes: &[u8]) -> [u8; 32] {
    digest(&SHA256, bytes)
        .as_ref()
        .try_into()
        .expect("SHA-256 digests are 32 bytes")
}

pub(crate) fn to_pem(der: &[u8]) -> String {
    pem::encode(&pem::Pem::new(CERTIFICATE_PEM_LABEL, der.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::identity::{
        CertificateAuthority, SoftwareSigner, TERMINAL_CERTIFICATE_LIFETIME, create_csr,
    };
    use proptest::prelude::*;

    fn subject() -> TerminalSubject {
        TerminalSubject::new("898310048990001", "上海星光咖啡馆", "T0000001").expect("valid")
    }

    fn at(unix: i64) -> OffsetDateTime {
        OffsetDateTime::from_unix_timestamp(unix).expect("valid time")
    }

    /// The time the tests run at; every generated CA is valid from an hour before it.
    static NOW: std::sync::LazyLock<i64> =
        std::sync::LazyLock::new(|| OffsetDateTime::now_utc().unix_timestamp());

    /// A test CA, a terminal key and the terminal's certificate, valid from `NOW` for two years.
    fn issued(ca: &CertificateAuthority) -> (SoftwareSigner, TerminalCertificate) {
        let key = SoftwareSigner::generate().expect("key generates");
        let csr = create_csr(&key, &subject()).expect("CSR builds");
        let pem = ca
            .issue(&csr, at(*NOW), at(*NOW) + TERMINAL_CERTIFICATE_LIFETIME)
            .expect("CA issues");
        (
            key,
            TerminalCertificate::from_pem(&pem).expect("leaf parses"),
        )
    }

    fn test_ca() -> CertificateAuthority {
        CertificateAuthority::generate("ereceipt", true).expect("CA generates")
    }

    /// An rcgen-built CA with the given basic constraints, for chains our own CA cannot make.
    fn rcgen_ca(
        name: &str,
        is_ca: rcgen::IsCa,
    ) -> (rcgen::CertificateParams, rcgen::KeyPair, CaCertificate) {
        let key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = rcgen::DistinguishedName::new();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = is_ca;
        params.key_usages = vec![rcgen::KeyUsagePurpose::KeyCertSign];
        params.not_before = at(*NOW - 86_400);
        params.not_after = at(*NOW + 10 * 365 * 86_400);
        let cert = params.self_signed(&key).expect("self-signs");
        let parsed = CaCertificate::from_der(cert.der()).expect("parses");
        (params, key, parsed)
    }

    /// A certificate for `params`' subject issued by an rcgen CA.
    fn rcgen_issue(
        mut params: rcgen::CertificateParams,
        subject_key: &rcgen::KeyPair,
        issuer_params: &rcgen::CertificateParams,
        issuer_key: &rcgen::KeyPair,
    ) -> Vec<u8> {
        params.not_before = at(*NOW - 3600);
        params.not_after = at(*NOW + 365 * 86_400);
        params.use_authority_key_identifier_extension = true;
        let issuer = rcgen::Issuer::from_params(issuer_params, issuer_key);
        params
            .signed_by(subject_key, &issuer)
            .expect("issues")
            .der()
            .to_vec()
    }

    fn terminal_params(is_ca: rcgen::IsCa) -> rcgen::CertificateParams {
        let mut params = rcgen::CertificateParams::default();
        params.distinguished_name = subject().distinguished_name();
        params.is_ca = is_ca;
        params.key_usages = vec![rcgen::KeyUsagePurpose::DigitalSignature];
        params
    }

    #[test]
    fn generate_csr_issue_parse_verify() {
        let ca = test_ca();
        let (key, leaf) = issued(&ca);
        assert_eq!(leaf.terminal_id(), "T0000001");
        assert_eq!(leaf.merchant_id(), "898310048990001");
        assert_eq!(leaf.merchant_name(), "上海星光咖啡馆");
        assert_eq!(leaf.issuer_name(), "ereceipt TEST CA — not for production");
        assert_eq!(ca.certificate().name(), leaf.issuer_name());
        assert_eq!(leaf.serial_hex().len(), 32);
        assert_eq!(leaf.not_before(), at(*NOW));
        assert_eq!(leaf.not_after(), at(*NOW) + TERMINAL_CERTIFICATE_LIFETIME);
        assert_eq!(leaf.public_key_sec1(), key.public_key_sec1());
        assert_eq!(leaf.fingerprint(), sha256(leaf.der()));
        assert_eq!(
            TerminalCertificate::from_pem(&leaf.to_pem()).expect("PEM round trip"),
            leaf
        );
        verify_chain(&leaf, &[], ca.certificate(), *NOW).expect("chain verifies");
        verify_chain(&leaf, &[], ca.certificate(), *NOW + 365 * 86_400).expect("a year later");
    }

    #[test]
    fn serials_differ() {
        let ca = test_ca();
        assert_ne!(issued(&ca).1.serial_hex(), issued(&ca).1.serial_hex());
    }

    #[test]
    fn leaf_from_another_ca_is_refused() {
        let (_, leaf) = issued(&test_ca());
        let other = CertificateAuthority::generate("other platform", false).expect("CA");
        assert_eq!(
            verify_chain(&leaf, &[], other.certificate(), *NOW),
            Err(IdentityError::UntrustedIssuer)
        );
        // Same name, other key: the key identifiers differ.
        assert_eq!(
            verify_chain(&leaf, &[], test_ca().certificate(), *NOW),
            Err(IdentityError::UntrustedIssuer)
        );
    }

    #[test]
    fn expired_and_not_yet_valid_are_refused() {
        let ca = test_ca();
        let (_, leaf) = issued(&ca);
        let not_after = leaf.not_after().unix_timestamp();
        assert_eq!(
            verify_chain(&leaf, &[], ca.certificate(), not_after + 1),
            Err(IdentityError::Expired { not_after })
        );
        verify_chain(&leaf, &[], ca.certificate(), not_after).expect("last second is valid");
        assert_eq!(
            verify_chain(&leaf, &[], ca.certificate(), *NOW - 1),
            Err(IdentityError::NotYetValid { not_before: *NOW })
        );
    }

    #[test]
    fn tampered_certificate_is_refused() {
        let ca = test_ca();
        let (_, leaf) = issued(&ca);
        let position = leaf
            .der()
            .windows(8)
            .position(|w| w == b"T0000001")
            .expect("terminal id is in the certificate");
        let mut der = leaf.der().to_vec();
        der[position + 7] = b'2';
        let tampered = TerminalCertificate::from_der(&der).expect("still well-formed");
        assert_eq!(tampered.terminal_id(), "T0000002");
        assert_eq!(
            verify_chain(&tampered, &[], ca.certificate(), *NOW),
            Err(IdentityError::BadSignature)
        );
    }

    #[test]
    fn no_single_bit_flip_verifies() {
        let ca = test_ca();
        let (_, leaf) = issued(&ca);
        for (i, mask) in (0..leaf.der().len()).flat_map(|i| (0..8).map(move |bit| (i, 1u8 << bit)))
        {
            let mut der = leaf.der().to_vec();
            der[i] ^= mask;
            if let Ok(changed) = TerminalCertificate::from_der(&der) {
                assert!(
                    verify_chain(&changed, &[], ca.certificate(), *NOW).is_err(),
                    "flipping byte {i} of {} with {mask:#04x} went unnoticed: {:02x?}",
                    der.len(),
                    &der[i.saturating_sub(8)..(i + 8).min(der.len())]
                );
            }
        }
    }

    #[test]
    fn intermediates_chain_and_path_length_is_enforced() {
        let (root_params, root_key, root) = rcgen_ca(
            "root",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
        );
        let (mut mid_params, mid_key, _) = rcgen_ca(
            "intermediate",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0)),
        );
        let mid_der = rcgen_issue(mid_params.clone(), &mid_key, &root_params, &root_key);
        let mid = CaCertificate::from_der(&mid_der).expect("intermediate parses");
        let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let leaf_der = rcgen_issue(
            terminal_params(rcgen::IsCa::ExplicitNoCa),
            &leaf_key,
            &mid_params,
            &mid_key,
        );
        let leaf = TerminalCertificate::from_der(&leaf_der).expect("leaf parses");
        verify_chain(&leaf, std::slice::from_ref(&mid), &root, *NOW).expect("chain verifies");
        assert_eq!(
            verify_chain(&leaf, &[], &root, *NOW),
            Err(IdentityError::UntrustedIssuer)
        );

        // A root limited to path length 0 may not have issued the intermediate.
        let (strict_params, strict_key, strict_root) = rcgen_ca(
            "root",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Constrained(0)),
        );
        let mid_der = rcgen_issue(mid_params.clone(), &mid_key, &strict_params, &strict_key);
        let mid = CaCertificate::from_der(&mid_der).expect("intermediate parses");
        assert_eq!(
            verify_chain(&leaf, &[mid], &strict_root, *NOW),
            Err(IdentityError::NotACa)
        );

        // An intermediate that is not a CA.
        mid_params.is_ca = rcgen::IsCa::ExplicitNoCa;
        let not_ca_der = rcgen_issue(mid_params.clone(), &mid_key, &root_params, &root_key);
        let not_ca = CaCertificate::from_der(&not_ca_der).expect("parses");
        let leaf_der = rcgen_issue(
            terminal_params(rcgen::IsCa::ExplicitNoCa),
            &leaf_key,
            &mid_params,
            &mid_key,
        );
        let leaf = TerminalCertificate::from_der(&leaf_der).expect("leaf parses");
        assert_eq!(
            verify_chain(&leaf, &[not_ca], &root, *NOW),
            Err(IdentityError::NotACa)
        );
    }

    #[test]
    fn anchor_without_ca_flag_and_ca_leaf_are_refused() {
        let (fake_params, fake_key, fake_root) = rcgen_ca("not a CA", rcgen::IsCa::ExplicitNoCa);
        let leaf_key = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).expect("key");
        let leaf_der = rcgen_issue(
            terminal_params(rcgen::IsCa::ExplicitNoCa),
            &leaf_key,
            &fake_params,
            &fake_key,
        );
        let leaf = TerminalCertificate::from_der(&leaf_der).expect("leaf parses");
        assert_eq!(
            verify_chain(&leaf, &[], &fake_root, *NOW),
            Err(IdentityError::NotACa)
        );

        let (root_params, root_key, root) = rcgen_ca(
            "root",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
        );
        let ca_leaf_der = rcgen_issue(
            terminal_params(rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained)),
            &leaf_key,
            &root_params,
            &root_key,
        );
        let ca_leaf = TerminalCertificate::from_der(&ca_leaf_der).expect("leaf parses");
        assert_eq!(
            verify_chain(&ca_leaf, &[], &root, *NOW),
            Err(IdentityError::NotATerminal)
        );
    }

    #[test]
    fn non_p256_leaf_is_refused() {
        let (root_params, root_key, _) = rcgen_ca(
            "root",
            rcgen::IsCa::Ca(rcgen::BasicConstraints::Unconstrained),
        );
        let p384 = rcgen::KeyPair::generate_for(&rcgen::PKCS_ECDSA_P384_SHA384).expect("key");
        let der = rcgen_issue(
            terminal_params(rcgen::IsCa::ExplicitNoCa),
            &p384,
            &root_params,
            &root_key,
        );
        assert!(matches!(
            TerminalCertificate::from_der(&der),
            Err(IdentityError::UnsupportedKey { .. })
        ));
    }

    #[test]
    fn ca_certificate_is_not_a_terminal_certificate() {
        let ca = test_ca();
        assert!(matches!(
            TerminalCertificate::from_der(ca.certificate().der()),
            Err(IdentityError::InvalidSubject { .. })
        ));
        let mut trailing = ca.certificate().der().to_vec();
        trailing.push(0);
        assert_eq!(
            CaCertificate::from_der(&trailing),
            Err(IdentityError::Parse {
                what: "certificate"
            })
        );
    }

    proptest! {
        #[test]
        fn parsing_arbitrary_input_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..800), text in ".{0,400}") {
            let _ = TerminalCertificate::from_der(&bytes);
            let _ = CaCertificate::from_der(&bytes);
            let _ = TerminalCertificate::from_pem(&text);
            let _ = CaCertificate::from_pem(&text);
            let pem = format!("-----BEGIN CERTIFICATE-----\n{text}\n-----END CERTIFICATE-----\n");
            let _ = TerminalCertificate::from_pem(&pem);
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]
        #[test]
        fn mutated_certificates_never_panic(changes in proptest::collection::vec((any::<usize>(), any::<u8>()), 1..8)) {
            let ca = test_ca();
            let (_, leaf) = issued(&ca);
            let mut der = leaf.der().to_vec();
            for (index, value) in changes {
                let index = index % der.len();
                der[index] = value;
            }
            if let Ok(changed) = TerminalCertificate::from_der(&der) {
                let _ = verify_chain(&changed, &[], ca.certificate(), *NOW);
            }
            let _ = CaCertificate::from_der(&der);
        }
    }
}

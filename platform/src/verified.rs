//! Terminal certificates this instance has already verified against the platform CA.
//!
//! Every upload carries its terminal's certificate, and a terminal sends the same one with
//! every receipt until it re-enrolls. Parsing it and checking the CA's ECDSA signature on it
//! cost about a tenth of what decrypting the envelope does, for the same answer each time. So
//! a certificate that passed [`verify_chain`] is remembered, with the window in which the
//! whole chain is valid; a later upload with the same certificate inside that window reuses
//! the parsed certificate, and any other upload is verified in full (which also gives the
//! precise error). Revocation is not cached: ingest asks the database about the certificate on
//! every upload.
//!
//! The memory is a cache, not state: losing it costs one verification per terminal. It holds
//! at most [`CAPACITY`] certificates and starts over when full (a fleet larger than that only
//! loses the saving, never correctness).

use ereceipt_core::identity::{CaCertificate, IdentityError, TerminalCertificate, verify_chain};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// The most certificates remembered.
pub(crate) const CAPACITY: usize = 16_384;

/// A certificate that verified, the anchor it verified against, and when its chain is valid
/// (Unix seconds, inclusive).
#[derive(Debug)]
struct Entry {
    certificate: Arc<TerminalCertificate>,
    anchor: [u8; 32],
    valid_from: i64,
    valid_until: i64,
}

/// The cache; see the module docs.
#[derive(Debug, Default)]
pub(crate) struct VerifiedCertificates {
    /// Keyed by the certificate's PEM text as uploaded.
    entries: Mutex<HashMap<String, Entry>>,
}

impl VerifiedCertificates {
    /// The certificate in `pem`, verified against `anchor` at `at`: from the cache when this
    /// exact certificate verified before and the chain is valid at `at`, else in full.
    pub(crate) fn verify(
        &self,
        pem: &str,
        anchor: &CaCertificate,
        at: i64,
    ) -> Result<Arc<TerminalCertificate>, IdentityError> {
        if let Some(hit) = self.lookup(pem, anchor, at) {
            return Ok(hit);
        }
        let certificate = TerminalCertificate::from_pem(pem)?;
        verify_chain(&certificate, &[], anchor, at)?;
        let entry = Entry {
            anchor: anchor.fingerprint(),
            valid_from: certificate
                .not_before()
                .unix_timestamp()
                .max(anchor.not_before().unix_timestamp()),
            valid_until: certificate
                .not_after()
                .unix_timestamp()
                .min(anchor.not_after().unix_timestamp()),
            certificate: Arc::new(certificate),
        };
        let certificate = entry.certificate.clone();
        if let Ok(mut entries) = self.entries.lock() {
            if entries.len() >= CAPACITY {
                entries.clear();
            }
            entries.insert(pem.to_owned(), entry);
        }
        Ok(certificate)
    }

    fn lookup(
        &self,
        pem: &str,
        anchor: &CaCertificate,
        at: i64,
    ) -> Option<Arc<TerminalCertificate>> {
        let entries = self.entries.lock().ok()?;
        let entry = entries.get(pem)?;
        let usable = entry.anchor == anchor.fingerprint()
            && (entry.valid_from..=entry.valid_until).contains(&at);
        usable.then(|| entry.certificate.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ereceipt_core::identity::{
        CertificateAuthority, SoftwareSigner, TerminalSubject, create_csr,
    };
    use time::{Duration, OffsetDateTime};

    fn issued() -> (CertificateAuthority, String) {
        let ca = CertificateAuthority::generate("Cache test CA", true).expect("a CA");
        let signer = SoftwareSigner::generate().expect("a key");
        let subject = TerminalSubject::new("898310048990001", "Café", "T0000001").expect("subject");
        let csr = create_csr(&signer, &subject).expect("a CSR");
        let now = OffsetDateTime::now_utc()
            .replace_nanosecond(0)
            .expect("0 is valid");
        let pem = ca
            .issue(&csr, now - Duration::days(1), now + Duration::days(30))
            .expect("issued");
        (ca, pem)
    }

    #[test]
    fn a_verified_certificate_is_reused_only_inside_its_window() {
        let (ca, pem) = issued();
        let cache = VerifiedCertificates::default();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        let first = cache.verify(&pem, ca.certificate(), now).expect("verifies");
        let again = cache
            .verify(&pem, ca.certificate(), now + 60)
            .expect("cached");
        assert!(
            Arc::ptr_eq(&first, &again),
            "the second upload was verified again"
        );
        let later = first.not_after().unix_timestamp() + 1;
        assert!(matches!(
            cache.verify(&pem, ca.certificate(), later),
            Err(IdentityError::Expired { .. })
        ));
        let earlier = first.not_before().unix_timestamp() - 1;
        assert!(cache.verify(&pem, ca.certificate(), earlier).is_err());
    }

    #[test]
    fn another_ca_is_not_answered_from_the_cache() {
        let (ca, pem) = issued();
        let (other, _) = issued();
        let cache = VerifiedCertificates::default();
        let now = OffsetDateTime::now_utc().unix_timestamp();
        cache.verify(&pem, ca.certificate(), now).expect("verifies");
        assert!(cache.verify(&pem, other.certificate(), now).is_err());
    }
}

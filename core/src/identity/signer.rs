//! The [`Signer`] abstraction, the in-memory [`SoftwareSigner`], ES256 verification and the
//! conversion between ASN.1 DER and fixed-size ECDSA signatures.

use ring::rand::SystemRandom;
use ring::signature::{
    ECDSA_P256_SHA256_FIXED, ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair, KeyPair,
    UnparsedPublicKey,
};

use super::error::{IdentityError, SignerError};

/// Length of an ES256 signature in fixed form: 32 bytes of `r` then 32 bytes of `s`.
pub const SIGNATURE_LEN: usize = 64;

/// Length of an uncompressed SEC1 P-256 public key: `0x04`, then 32 bytes of `x` and of `y`.
pub const PUBLIC_KEY_LEN: usize = 65;

/// PEM label of a PKCS#8 private key.
const PKCS8_PEM_LABEL: &str = "PRIVATE KEY";

/// A terminal's ES256 (ECDSA P-256 with SHA-256) signing key, wherever it lives.
///
/// The SDK never needs the private key bytes, so an app can implement this over Android
/// StrongBox / Keystore or the iOS Secure Enclave. Those return ASN.1 DER signatures; convert
/// them with [`der_signature_to_fixed`].
pub trait Signer: Send + Sync {
    /// Signs `message` (the signer hashes it with SHA-256) and returns the signature in fixed
    /// form: exactly 64 bytes, `r` then `s`, each big-endian and left-padded to 32 bytes (the
    /// JOSE / RFC 7518 form, which is what goes into QR codes).
    ///
    /// Return [`SignerError::Unavailable`] when the key is locked or the hardware is busy: the
    /// receipt flow then issues an unsigned receipt.
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError>;

    /// The public key as an uncompressed SEC1 point: 65 bytes starting with `0x04`.
    fn public_key(&self) -> Result<Vec<u8>, SignerError>;
}

/// A P-256 key held in process memory, for the platform, the CLI, tests and apps without a
/// hardware keystore.
///
/// It keeps the PKCS#8 document next to ring's key pair so that [`SoftwareSigner::to_pkcs8_pem`]
/// can hand it out for storage; the honest cost is that the private key sits in memory twice,
/// and neither copy is zeroized on drop. `Debug` prints only the public key.
pub struct SoftwareSigner {
    key_pair: EcdsaKeyPair,
    /// The PKCS#8 v1/v2 document `key_pair` was loaded from; never printed.
    pkcs8: Vec<u8>,
    rng: SystemRandom,
}

impl SoftwareSigner {
    /// Generates a new random P-256 key with the system random number generator.
    pub fn generate() -> Result<Self, IdentityError> {
        let rng = SystemRandom::new();
        let document = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &rng)
            .map_err(|_| IdentityError::Crypto {
                reason: "key generation failed",
            })?;
        Self::from_pkcs8(document.as_ref())
    }

    /// Loads a P-256 key from a DER PKCS#8 document (as written by [`SoftwareSigner::pkcs8_der`]
    /// or `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256`).
    pub fn from_pkcs8(pkcs8_der: &[u8]) -> Result<Self, IdentityError> {
        let rng = SystemRandom::new();
        let key_pair = EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, pkcs8_der, &rng)
            .map_err(|_| IdentityError::UnsupportedKey {
                reason: "not a P-256 PKCS#8 private key",
            })?;
        Ok(Self {
            key_pair,
            pkcs8: pkcs8_der.to_vec(),
            rng,
        })
    }

    /// Loads a P-256 key from a PEM `PRIVATE KEY` block (PKCS#8).
    pub fn from_pkcs8_pem(pem_text: &str) -> Result<Self, IdentityError> {
        let der = pem_contents(pem_text, PKCS8_PEM_LABEL, "private key")?;
        Self::from_pkcs8(&der)
    }

    /// The private key as a PEM `PRIVATE KEY` block, to store (the CLI writes it with mode
    /// 0600). This is secret material: never log it.
    pub fn to_pkcs8_pem(&self) -> String {
        pem::encode(&pem::Pem::new(PKCS8_PEM_LABEL, self.pkcs8.clone()))
    }

    /// The private key as a DER PKCS#8 document. This is secret material: never log it.
    pub fn pkcs8_der(&self) -> &[u8] {
        &self.pkcs8
    }

    /// The public key as an uncompressed SEC1 point (65 bytes).
    pub fn public_key_sec1(&self) -> &[u8] {
        self.key_pair.public_key().as_ref()
    }
}

impl Signer for SoftwareSigner {
    fn sign(&self, message: &[u8]) -> Result<Vec<u8>, SignerError> {
        let signature =
            self.key_pair
                .sign(&self.rng, message)
                .map_err(|_| SignerError::Failed {
                    reason: "ECDSA signing failed".to_owned(),
                })?;
        Ok(signature.as_ref().to_vec())
    }

    fn public_key(&self) -> Result<Vec<u8>, SignerError> {
        Ok(self.public_key_sec1().to_vec())
    }
}

impl std::fmt::Debug for SoftwareSigner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SoftwareSigner")
            .field("public_key", &hex(self.public_key_sec1()))
            .field("private_key", &"<redacted>")
            .finish()
    }
}

/// Verifies an ES256 signature in fixed form (64 bytes, `r` then `s`) over `message` with an
/// uncompressed SEC1 P-256 public key.
///
/// Returns [`IdentityError::UnsupportedKey`] when the key is not a 65-byte uncompressed point and
/// [`IdentityError::BadSignature`] for every other failure.
pub fn verify_es256(
    public_key_sec1: &[u8],
    message: &[u8],
    signature_fixed: &[u8],
) -> Result<(), IdentityError> {
    check_public_key_shape(public_key_sec1)?;
    if signature_fixed.len() != SIGNATURE_LEN {
        return Err(IdentityError::BadSignature);
    }
    UnparsedPublicKey::new(&ECDSA_P256_SHA256_FIXED, public_key_sec1)
        .verify(message, signature_fixed)
        .map_err(|_| IdentityError::BadSignature)
}

/// Converts an ASN.1 DER ECDSA P-256 signature (`SEQUENCE { r INTEGER, s INTEGER }`, what
/// Android Keystore, the Secure Enclave and OpenSSL return) into the fixed 64-byte `r ‖ s` form
/// that [`Signer::sign`] returns.
///
/// The decoder is strict DER: minimal lengths and integers, positive non-zero values of at most
/// 32 bytes, no trailing bytes. Anything else is [`IdentityError::Parse`]; it never panics.
pub fn der_signature_to_fixed(der: &[u8]) -> Result<[u8; SIGNATURE_LEN], IdentityError> {
    let malformed = IdentityError::Parse {
        what: "ECDSA signature",
    };
    let body = match der {
        [0x30, len, body @ ..] if usize::from(*len) == body.len() && *len < 0x80 => body,
        _ => return Err(malformed),
    };
    let (r, rest) = der_integer(body).ok_or_else(|| malformed.clone())?;
    let (s, rest) = der_integer(rest).ok_or_else(|| malformed.clone())?;
    if !rest.is_empty() {
        return Err(malformed);
    }
    let mut fixed = [0u8; SIGNATURE_LEN];
    fixed[32 - r.len()..32].copy_from_slice(r);
    fixed[SIGNATURE_LEN - s.len()..].copy_from_slice(s);
    Ok(fixed)
}

/// Reads one DER INTEGER holding a positive, non-zero value of at most 32 bytes; returns its
/// magnitude without the sign-padding zero, and the bytes after it.
fn der_integer(input: &[u8]) -> Option<(&[u8], &[u8])> {
    let [0x02, len, rest @ ..] = input else {
        return None;
    };
    let len = usize::from(*len);
    if len == 0 || len >= 0x80 || rest.len() < len {
        return None;
    }
    let (value, rest) = rest.split_at(len);
    let magnitude = match value {
        // A leading zero is only allowed (and then required) before a byte with the top bit set.
        [0x00, next, ..] if *next >= 0x80 => &value[1..],
        [0x00, ..] => return None,
        [first, ..] if *first >= 0x80 => return None,
        _ => value,
    };
    (magnitude.len() <= 32).then_some((magnitude, rest))
}

/// Converts a fixed 64-byte `r ‖ s` signature into ASN.1 DER, the form X.509 and PKCS#10 carry.
pub(crate) fn fixed_signature_to_der(fixed: &[u8; SIGNATURE_LEN]) -> Vec<u8> {
    let (r, s) = fixed.split_at(32);
    let mut body = Vec::with_capacity(70);
    for half in [r, s] {
        let start = half.iter().position(|&b| b != 0).unwrap_or(half.len() - 1);
        let magnitude = &half[start..];
        let pad = magnitude.first().is_some_and(|&b| b >= 0x80);
        body.push(0x02);
        body.push(len_byte(magnitude.len() + usize::from(pad)));
        if pad {
            body.push(0x00);
        }
        body.extend_from_slice(magnitude);
    }
    let mut der = Vec::with_capacity(body.len() + 2);
    der.push(0x30);
    der.push(len_byte(body.len()));
    der.extend_from_slice(&body);
    der
}

/// A DER short-form length; every length in a P-256 signature is below 128.
fn len_byte(len: usize) -> u8 {
    u8::try_from(len).expect("P-256 signature parts are shorter than 128 bytes")
}

/// Checks that `public_key` looks like an uncompressed SEC1 point of P-256's size.
pub(crate) fn check_public_key_shape(public_key: &[u8]) -> Result<(), IdentityError> {
    if public_key.len() == PUBLIC_KEY_LEN && public_key[0] == 0x04 {
        Ok(())
    } else {
        Err(IdentityError::UnsupportedKey {
            reason: "not an uncompressed P-256 point",
        })
    }
}

/// Decodes one PEM block with the expected label.
pub(crate) fn pem_contents(
    text: &str,
    label: &str,
    what: &'static str,
) -> Result<Vec<u8>, IdentityError> {
    match pem::parse(text) {
        Ok(block) if block.tag() == label => Ok(block.into_contents()),
        _ => Err(IdentityError::Parse { what }),
    }
}

/// Lowercase hexadecimal, for serial numbers and public keys.
pub(crate) fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut out = String::with_capacity(bytes.len() * 2);
    for &b in bytes {
        out.push(char::from(DIGITS[usize::from(b >> 4)]));
        out.push(char::from(DIGITS[usize::from(b & 0x0f)]));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING;

    /// A fixed P-256 key (PKCS#8 v1 from `openssl genpkey`, committed for this test only).
    const VECTOR_PKCS8_PEM: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgqUtULhNCnmM84x1w
yfxVfBPI2rwPl+7wdVgbuxXGKSehRANCAATcKvnvRagX54o6qaGXhVqdWvWCzVIi
LshOD/4ziYxeZpgGhTOPlIHCYZzUvy14/N6KWjkzvm5xtsL2XFROYCQ3
-----END PRIVATE KEY-----
";

    /// The public key of [`VECTOR_PKCS8_PEM`], as printed by `openssl pkey -pubout -text`.
    const VECTOR_PUBLIC_KEY_HEX: &str = concat!(
        "04dc2af9ef45a817e78a3aa9a197855a9d5af582cd52222ec84e0ffe33898c5e66",
        "980685338f9481c2619cd4bf2d78fcde8a5a3933be6e71b6c2f65c544e602437"
    );

    #[test]
    fn fixed_key_vector_has_the_expected_public_key() {
        let signer = SoftwareSigner::from_pkcs8_pem(VECTOR_PKCS8_PEM).expect("vector key loads");
        assert_eq!(hex(signer.public_key_sec1()), VECTOR_PUBLIC_KEY_HEX);
        let signature = signer.sign(b"receipt 000123").expect("software key signs");
        verify_es256(signer.public_key_sec1(), b"receipt 000123", &signature)
            .expect("vector signature verifies");
    }

    #[test]
    fn pkcs8_pem_round_trips() {
        let signer = SoftwareSigner::generate().expect("key generates");
        let again = SoftwareSigner::from_pkcs8_pem(&signer.to_pkcs8_pem()).expect("key reloads");
        assert_eq!(signer.public_key_sec1(), again.public_key_sec1());
        assert_eq!(signer.pkcs8_der(), again.pkcs8_der());
    }

    #[test]
    fn sign_verify_round_trip_and_a_flipped_bit_fails() {
        let signer = SoftwareSigner::generate().expect("key generates");
        let public_key = signer.public_key().expect("public key");
        assert_eq!(public_key.len(), PUBLIC_KEY_LEN);
        let message = b"sale 128.00 CNY T0000001";
        let signature = signer.sign(message).expect("signs");
        assert_eq!(signature.len(), SIGNATURE_LEN);
        verify_es256(&public_key, message, &signature).expect("verifies");

        let mut bad_message = message.to_vec();
        bad_message[0] ^= 0x01;
        assert_eq!(
            verify_es256(&public_key, &bad_message, &signature),
            Err(IdentityError::BadSignature)
        );
        for bit in [0, 255, 256, 511] {
            let mut bad_signature = signature.clone();
            bad_signature[bit / 8] ^= 1 << (bit % 8);
            assert_eq!(
                verify_es256(&public_key, message, &bad_signature),
                Err(IdentityError::BadSignature)
            );
        }
        let other = SoftwareSigner::generate().expect("key generates");
        assert_eq!(
            verify_es256(other.public_key_sec1(), message, &signature),
            Err(IdentityError::BadSignature)
        );
        assert!(matches!(
            verify_es256(&public_key[1..], message, &signature),
            Err(IdentityError::UnsupportedKey { .. })
        ));
    }

    #[test]
    fn der_signatures_from_ring_convert_to_fixed_and_back() {
        let rng = SystemRandom::new();
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &rng)
            .expect("key generates");
        let asn1_key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, pkcs8.as_ref(), &rng)
                .expect("key loads");
        let public_key = asn1_key.public_key().as_ref().to_vec();
        // Random signatures cover short r and s (leading zero bytes) often enough over 64 runs.
        for i in 0..64u8 {
            let message = [i; 20];
            let der = asn1_key.sign(&rng, &message).expect("signs");
            let fixed = der_signature_to_fixed(der.as_ref()).expect("ring DER converts");
            verify_es256(&public_key, &message, &fixed).expect("converted signature verifies");
            assert_eq!(fixed_signature_to_der(&fixed), der.as_ref());
        }
    }

    #[test]
    fn non_minimal_der_is_refused() {
        let mut fixed = [0x11u8; SIGNATURE_LEN];
        fixed[0] = 0x80;
        let der = fixed_signature_to_der(&fixed);
        assert_eq!(der_signature_to_fixed(&der), Ok(fixed));
        // Missing sign padding: r would be negative.
        let mut negative = der.clone();
        negative.remove(4);
        negative[3] -= 1;
        negative[1] -= 1;
        assert!(der_signature_to_fixed(&negative).is_err());
        // Trailing byte.
        let mut trailing = der.clone();
        trailing.push(0);
        assert!(der_signature_to_fixed(&trailing).is_err());
        // A redundant leading zero.
        assert!(
            der_signature_to_fixed(&[0x30, 0x07, 0x02, 0x02, 0x00, 0x01, 0x02, 0x01, 0x01])
                .is_err()
        );
        assert!(der_signature_to_fixed(&[]).is_err());
    }

    #[test]
    fn debug_redacts_the_private_key() {
        let signer = SoftwareSigner::from_pkcs8_pem(VECTOR_PKCS8_PEM).expect("vector key loads");
        let text = format!("{signer:?}");
        assert!(text.contains("redacted"));
        assert!(!text.contains("a94b542e")); // The private scalar starts with these bytes.
    }

    proptest! {
        #[test]
        fn der_signature_to_fixed_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..100)) {
            let _ = der_signature_to_fixed(&bytes);
        }

        #[test]
        fn fixed_der_round_trip(fixed in proptest::array::uniform32(any::<u8>()), s in proptest::array::uniform32(1u8..)) {
            let mut both = [0u8; SIGNATURE_LEN];
            both[..32].copy_from_slice(&fixed);
            both[32..].copy_from_slice(&s);
            let der = fixed_signature_to_der(&both);
            if fixed.iter().any(|&b| b != 0) {
                prop_assert_eq!(der_signature_to_fixed(&der), Ok(both));
            } else {
                // A zero r is not a valid ECDSA value, so it is refused.
                prop_assert!(der_signature_to_fixed(&der).is_err());
            }
        }

        #[test]
        fn verify_es256_never_panics(key in proptest::collection::vec(any::<u8>(), 0..80), sig in proptest::collection::vec(any::<u8>(), 0..80)) {
            let _ = verify_es256(&key, b"m", &sig);
        }
    }
}

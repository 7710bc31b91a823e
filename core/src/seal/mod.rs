//! The sealed envelope: a receipt encrypted for the platform (Source A \[0044\]).
//!
//! Each receipt gets a fresh AES-256-GCM key (ring), wrapped with RSA-OAEP-SHA256 (the `rsa`
//! crate; the device only ever uses the platform's *public* key) under the platform's encryption
//! key. The header — format version, platform key id, terminal id, receipt id — is readable
//! without the key (the platform picks its key by id and routes by terminal) and authenticated as
//! the GCM associated data, so none of it can be changed or swapped between envelopes.
//!
//! The payload holds everything the platform needs and nothing in clear: the signed record, the
//! certificate chain, the receipt PNG, the raw signature strokes (biometric evidence for
//! disputes, kept by the platform, never printed) and the customer's delivery choice.
//!
//! The byte layout and test vectors are in `docs/FORMAT.md` ("Sealed envelope").
//!
//! Opening uses `rsa`'s blinded decryption. The crate's big-integer arithmetic is not constant
//! time (RUSTSEC-2023-0071, "Marvin"): the platform must not reveal *why* an envelope failed to
//! open (every failure to unwrap is the same [`SealError::Unwrap`]), and should rate-limit.

mod delivery;

pub use delivery::{Delivery, DeliveryError};

use crate::bytes::{ByteReader, Short};
use crate::record::ReceiptId;
use rand_core::{CryptoRngCore, OsRng};
use ring::aead::{AES_256_GCM, Aad, LessSafeKey, Nonce, UnboundKey};
use rsa::pkcs8::{DecodePrivateKey, DecodePublicKey, EncodePublicKey};
use rsa::traits::PublicKeyParts;
use rsa::{Oaep, RsaPrivateKey, RsaPublicKey};
use std::fmt;

/// The first bytes of every envelope.
pub const MAGIC: &[u8; 4] = b"ERSE";
/// The envelope version this library writes and reads.
pub const VERSION: u8 = 1;
/// The smallest platform key accepted, in bits.
pub const MIN_RSA_BITS: usize = 3072;
/// The largest envelope accepted when opening (a receipt PNG is ~20 KB).
pub const MAX_ENVELOPE: usize = 8 * 1024 * 1024;

const PAYLOAD_VERSION: u8 = 1;
const TAG_LEN: usize = 16;
const NONCE_LEN: usize = 12;

/// The platform's public encryption key with its id.
#[derive(Clone)]
pub struct PlatformKey {
    key_id: String,
    key: RsaPublicKey,
}

impl fmt::Debug for PlatformKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "PlatformKey({}, {} bits)",
            self.key_id,
            self.key.size() * 8
        )
    }
}

/// The platform's private key with its id: used by the platform to open envelopes.
pub struct PlatformPrivateKey {
    key_id: String,
    key: RsaPrivateKey,
}

impl fmt::Debug for PlatformPrivateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PlatformPrivateKey({}, redacted)", self.key_id)
    }
}

fn check_key_id(key_id: &str) -> Result<(), SealError> {
    let ok = !key_id.is_empty()
        && key_id.len() <= 64
        && key_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
    ok.then_some(()).ok_or(SealError::InvalidKey {
        reason: "key id: 1 to 64 of A-Z a-z 0-9 - _ .",
    })
}

impl PlatformKey {
    /// A public key from its SubjectPublicKeyInfo PEM (`-----BEGIN PUBLIC KEY-----`).
    pub fn from_pem(key_id: &str, pem: &str) -> Result<Self, SealError> {
        check_key_id(key_id)?;
        let key = RsaPublicKey::from_public_key_pem(pem).map_err(|_| SealError::InvalidKey {
            reason: "not an RSA public key PEM",
        })?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(SealError::InvalidKey {
                reason: "RSA keys must have at least 3072 bits",
            });
        }
        Ok(PlatformKey {
            key_id: key_id.to_owned(),
            key,
        })
    }

    /// The key id carried in every envelope.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public key as SubjectPublicKeyInfo PEM.
    pub fn to_pem(&self) -> String {
        self.key
            .to_public_key_pem(rsa::pkcs8::LineEnding::LF)
            .expect("a parsed RSA public key always encodes")
    }
}

impl PlatformPrivateKey {
    /// A private key from its PKCS#8 PEM (`-----BEGIN PRIVATE KEY-----`).
    pub fn from_pem(key_id: &str, pem: &str) -> Result<Self, SealError> {
        check_key_id(key_id)?;
        let key = RsaPrivateKey::from_pkcs8_pem(pem).map_err(|_| SealError::InvalidKey {
            reason: "not an RSA PKCS#8 private key PEM",
        })?;
        if key.size() * 8 < MIN_RSA_BITS {
            return Err(SealError::InvalidKey {
                reason: "RSA keys must have at least 3072 bits",
            });
        }
        Ok(PlatformPrivateKey {
            key_id: key_id.to_owned(),
            key,
        })
    }

    /// The matching public key.
    pub fn public_key(&self) -> PlatformKey {
        PlatformKey {
            key_id: self.key_id.clone(),
            key: self.key.to_public_key(),
        }
    }

    /// The key id.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }
}

/// What an envelope says about itself without being opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct EnvelopeHeader {
    /// The platform key the envelope is sealed under.
    pub key_id: String,
    /// The issuing terminal.
    pub terminal_id: String,
    /// The receipt inside.
    pub receipt_id: ReceiptId,
}

/// Everything sealed for the platform about one receipt.
#[derive(Clone, PartialEq, Eq)]
pub struct ReceiptPayload {
    /// The encoded receipt record.
    pub record: Vec<u8>,
    /// The terminal's signature (r‖s), absent for an unsigned receipt.
    pub signature: Option<[u8; 64]>,
    /// The certificate chain as PEM, terminal certificate first.
    pub certificates: Vec<String>,
    /// The receipt image.
    pub png: Vec<u8>,
    /// The raw strokes in their `ESIG` encoding, when there is a signature.
    pub strokes: Option<Vec<u8>>,
    /// How the customer wants the receipt, when they chose.
    pub delivery: Option<Delivery>,
}

impl fmt::Debug for ReceiptPayload {
    /// Sizes only: the payload holds customer data.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ReceiptPayload")
            .field("record_bytes", &self.record.len())
            .field("signed", &self.signature.is_some())
            .field("certificates", &self.certificates.len())
            .field("png_bytes", &self.png.len())
            .field("strokes_bytes", &self.strokes.as_ref().map(Vec::len))
            .field("delivery", &self.delivery)
            .finish()
    }
}

/// Why an envelope could not be sealed or opened. No variant carries payload content.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum SealError {
    /// A key could not be used: wrong format, too short, or a bad key id.
    #[error("platform key: {reason}")]
    InvalidKey {
        /// What is wrong.
        reason: &'static str,
    },
    /// The input does not start with the envelope magic `ERSE`.
    #[error("not an ereceipt envelope")]
    BadMagic,
    /// The envelope's version is not one this library reads.
    #[error("unsupported envelope version {0}")]
    UnsupportedVersion(u8),
    /// The envelope ends before its declared parts, or is larger than [`MAX_ENVELOPE`].
    #[error("the envelope is truncated or oversized")]
    Truncated,
    /// The header is malformed (a length or identifier out of range).
    #[error("the envelope header is malformed")]
    Header,
    /// The envelope is sealed under another key than the one given.
    #[error("the envelope is sealed under platform key {key_id}")]
    WrongKey {
        /// The key id the envelope names.
        key_id: String,
    },
    /// The wrapped content key could not be recovered with this private key.
    #[error("the content key cannot be unwrapped")]
    Unwrap,
    /// The ciphertext or the header was changed: authentication failed.
    #[error("the envelope failed authentication (changed or damaged)")]
    Authentication,
    /// The decrypted payload is not a valid version-1 payload.
    #[error("the sealed payload is malformed")]
    Payload,
    /// The delivery choice is invalid.
    #[error(transparent)]
    Delivery(#[from] DeliveryError),
    /// Encryption failed (the random source or the RSA operation).
    #[error("sealing failed")]
    Crypto,
}

/// Seals a receipt for the platform with fresh randomness from the operating system.
pub fn seal(
    key: &PlatformKey,
    terminal_id: &str,
    receipt_id: &ReceiptId,
    payload: &ReceiptPayload,
) -> Result<Vec<u8>, SealError> {
    use ring::rand::SecureRandom;
    let rng = ring::rand::SystemRandom::new();
    let mut content_key = [0u8; 32];
    let mut nonce = [0u8; NONCE_LEN];
    rng.fill(&mut content_key).map_err(|_| SealError::Crypto)?;
    rng.fill(&mut nonce).map_err(|_| SealError::Crypto)?;
    seal_with(
        key,
        terminal_id,
        receipt_id,
        payload,
        content_key,
        nonce,
        &mut OsRng,
    )
}

/// [`seal`] with caller-chosen randomness: for test vectors only. A content key or nonce used
/// twice breaks AES-GCM; production code calls [`seal`].
pub fn seal_with(
    key: &PlatformKey,
    terminal_id: &str,
    receipt_id: &ReceiptId,
    payload: &ReceiptPayload,
    content_key: [u8; 32],
    nonce: [u8; NONCE_LEN],
    oaep_rng: &mut impl CryptoRngCore,
) -> Result<Vec<u8>, SealError> {
    if terminal_id.is_empty() || terminal_id.len() > 16 || !terminal_id.is_ascii() {
        return Err(SealError::Header);
    }
    let mut out = Vec::with_capacity(payload.png.len() + payload.record.len() + 1024);
    out.extend_from_slice(MAGIC);
    out.push(VERSION);
    put_short(&mut out, key.key_id.as_bytes());
    put_short(&mut out, terminal_id.as_bytes());
    out.extend_from_slice(receipt_id.as_bytes());
    let header_len = out.len();
    let wrapped = key
        .key
        .encrypt(oaep_rng, Oaep::new::<sha2::Sha256>(), &content_key)
        .map_err(|_| SealError::Crypto)?;
    out.extend(
        u16::try_from(wrapped.len())
            .map_err(|_| SealError::Crypto)?
            .to_be_bytes(),
    );
    out.extend_from_slice(&wrapped);
    out.extend_from_slice(&nonce);
    let mut body = encode_payload(payload)?;
    let aead = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &content_key).map_err(|_| SealError::Crypto)?,
    );
    aead.seal_in_place_append_tag(
        Nonce::assume_unique_for_key(nonce),
        Aad::from(&out[..header_len]),
        &mut body,
    )
    .map_err(|_| SealError::Crypto)?;
    out.extend_from_slice(&body);
    Ok(out)
}

/// Reads the header without opening the envelope.
pub fn read_header(envelope: &[u8]) -> Result<EnvelopeHeader, SealError> {
    parse(envelope).map(|(header, ..)| header)
}

/// Opens an envelope with the platform's private key (the `rsa` crate's blinded decryption;
/// see the module docs for why a server should prefer [`open_with`] and a constant-time RSA).
pub fn open(
    key: &PlatformPrivateKey,
    envelope: &[u8],
) -> Result<(EnvelopeHeader, ReceiptPayload), SealError> {
    open_with(envelope, &key.key_id, |wrapped| {
        let content_key = key
            .key
            .decrypt_blinded(&mut OsRng, Oaep::new::<sha2::Sha256>(), wrapped)
            .ok()?;
        <[u8; 32]>::try_from(content_key.as_slice()).ok()
    })
}

/// Opens an envelope sealed under the key `key_id`, with the caller unwrapping the content key.
///
/// `unwrap` receives the wrapped content key (RSA-OAEP, SHA-256, MGF1-SHA-256, empty label)
/// and returns the 32-byte AES key, or `None` for any failure, which becomes
/// [`SealError::Unwrap`]. This lets the platform keep its private key in a constant-time RSA
/// implementation of its choice while parsing, authentication and payload decoding stay here,
/// in the one implementation of the format. An envelope naming another key id is
/// [`SealError::WrongKey`] and `unwrap` is not called.
pub fn open_with(
    envelope: &[u8],
    key_id: &str,
    unwrap: impl FnOnce(&[u8]) -> Option<[u8; 32]>,
) -> Result<(EnvelopeHeader, ReceiptPayload), SealError> {
    let (header, header_len, wrapped, nonce, ciphertext) = parse(envelope)?;
    if header.key_id != key_id {
        return Err(SealError::WrongKey {
            key_id: header.key_id,
        });
    }
    let content_key = unwrap(wrapped).ok_or(SealError::Unwrap)?;
    let aead = LessSafeKey::new(
        UnboundKey::new(&AES_256_GCM, &content_key).map_err(|_| SealError::Unwrap)?,
    );
    let mut body = ciphertext.to_vec();
    let plain = aead
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(&envelope[..header_len]),
            &mut body,
        )
        .map_err(|_| SealError::Authentication)?;
    let payload = decode_payload(plain)?;
    Ok((header, payload))
}

type Parsed<'a> = (EnvelopeHeader, usize, &'a [u8], [u8; NONCE_LEN], &'a [u8]);

fn parse(envelope: &[u8]) -> Result<Parsed<'_>, SealError> {
    if envelope.len() > MAX_ENVELOPE {
        return Err(SealError::Truncated);
    }
    let mut r = ByteReader::new(envelope);
    if r.take(4).map_err(|_| SealError::BadMagic)? != MAGIC {
        return Err(SealError::BadMagic);
    }
    let version = r.byte()?;
    if version != VERSION {
        return Err(SealError::UnsupportedVersion(version));
    }
    let key_id = short_text(&mut r)?;
    check_key_id(&key_id).map_err(|_| SealError::Header)?;
    let terminal_id = short_text(&mut r)?;
    if terminal_id.is_empty() || terminal_id.len() > 16 {
        return Err(SealError::Header);
    }
    let receipt_id = ReceiptId::from_bytes(r.array()?);
    let header_len = envelope.len() - r.rest().len();
    let wrapped_len = usize::from(u16::from_be_bytes(r.array()?));
    let wrapped = r.take(wrapped_len)?;
    let nonce = r.array()?;
    if r.rest().len() < TAG_LEN {
        return Err(SealError::Truncated);
    }
    let header = EnvelopeHeader {
        key_id,
        terminal_id,
        receipt_id,
    };
    Ok((header, header_len, wrapped, nonce, r.rest()))
}

fn put_short(out: &mut Vec<u8>, bytes: &[u8]) {
    out.push(u8::try_from(bytes.len()).expect("ids are checked to be short"));
    out.extend_from_slice(bytes);
}

fn put_long(out: &mut Vec<u8>, bytes: &[u8]) -> Result<(), SealError> {
    out.extend(
        u32::try_from(bytes.len())
            .map_err(|_| SealError::Payload)?
            .to_be_bytes(),
    );
    out.extend_from_slice(bytes);
    Ok(())
}

fn encode_payload(p: &ReceiptPayload) -> Result<Vec<u8>, SealError> {
    let mut out = Vec::with_capacity(p.png.len() + p.record.len() + 4096);
    out.push(PAYLOAD_VERSION);
    put_long(&mut out, &p.record)?;
    match &p.signature {
        Some(s) => {
            out.push(1);
            out.extend_from_slice(s);
        }
        None => out.push(0),
    }
    out.push(u8::try_from(p.certificates.len()).map_err(|_| SealError::Payload)?);
    for pem in &p.certificates {
        put_long(&mut out, pem.as_bytes())?;
    }
    put_long(&mut out, &p.png)?;
    match &p.strokes {
        Some(s) => {
            out.push(1);
            put_long(&mut out, s)?;
        }
        None => out.push(0),
    }
    match &p.delivery {
        Some(d) => {
            out.push(d.code());
            put_long(&mut out, d.address().as_bytes())?;
        }
        None => out.push(0),
    }
    Ok(out)
}

fn decode_payload(bytes: &[u8]) -> Result<ReceiptPayload, SealError> {
    let bad = |_| SealError::Payload;
    let mut r = ByteReader::new(bytes);
    if r.byte().map_err(bad)? != PAYLOAD_VERSION {
        return Err(SealError::Payload);
    }
    let record = r.long().map_err(bad)?.to_vec();
    let signature = match r.byte().map_err(bad)? {
        0 => None,
        1 => Some(r.array().map_err(bad)?),
        _ => return Err(SealError::Payload),
    };
    let count = r.byte().map_err(bad)?;
    let certificates = (0..count)
        .map(|_| {
            let pem = r.long().map_err(bad)?;
            String::from_utf8(pem.to_vec()).map_err(|_| SealError::Payload)
        })
        .collect::<Result<Vec<_>, _>>()?;
    let png = r.long().map_err(bad)?.to_vec();
    let strokes = match r.byte().map_err(bad)? {
        0 => None,
        1 => Some(r.long().map_err(bad)?.to_vec()),
        _ => return Err(SealError::Payload),
    };
    let delivery = match r.byte().map_err(bad)? {
        0 => None,
        code => {
            let address =
                std::str::from_utf8(r.long().map_err(bad)?).map_err(|_| SealError::Payload)?;
            Some(Delivery::from_code(code, address)?)
        }
    };
    if !r.rest().is_empty() {
        return Err(SealError::Payload);
    }
    Ok(ReceiptPayload {
        record,
        signature,
        certificates,
        png,
        strokes,
        delivery,
    })
}

impl From<Short> for SealError {
    fn from(_: Short) -> Self {
        SealError::Truncated
    }
}

/// A field of at most 255 bytes of UTF-8 (the header's ids).
fn short_text(r: &mut ByteReader<'_>) -> Result<String, SealError> {
    let len = usize::from(r.byte()?);
    String::from_utf8(r.take(len)?.to_vec()).map_err(|_| SealError::Header)
}

#[cfg(test)]
mod tests;

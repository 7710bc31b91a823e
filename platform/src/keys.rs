//! The platform's keys: its certificate authority and its RSA encryption keys, as files in the
//! data directory.
//!
//! | file | what |
//! |---|---|
//! | `keys/ca.pem` | the platform CA: certificate and PKCS#8 private key (P-256), mode 0600 |
//! | `keys/<key id>.key.pem` | an RSA-3072 encryption key (PKCS#8), mode 0600; old ones stay for opening |
//! | `keys/current-key` | the id of the key handed out at enrollment |
//!
//! **First start.** Every file is written to a temporary name and then hard-linked to its final
//! name, which fails if the name exists: of two instances starting together over one shared
//! directory exactly one creates the CA and the current key, and the other reads what the
//! winner wrote. A crash leaves at most an unused temporary file or an orphan key file, never a
//! half-written key under its final name.
//!
//! **Rotation.** [`rotate_encryption_key`] writes a new key and then atomically replaces
//! `current-key`. Every envelope names its key id, so receipts sealed under an old key still
//! open as long as its file is kept; instances read `current-key` at each enrollment and load a
//! key they do not hold yet from disk on first use, so no restart is needed.
//!
//! **Constant time.** Envelopes are opened with aws-lc's RSA-OAEP decryption, which is
//! constant-time, instead of the `rsa` crate (RUSTSEC-2023-0071, the Marvin timing attack);
//! the envelope format itself is parsed by `ereceipt_core::seal::open_with`, the one
//! implementation of it.

use crate::error::PlatformError;
use crate::secret::random_hex;
use aws_lc_rs::encoding::AsDer;
use aws_lc_rs::rsa::{
    KeySize, OAEP_SHA256_MGF1SHA256, OaepPrivateDecryptingKey, PrivateDecryptingKey,
};
use ereceipt_core::identity::CertificateAuthority;
use ereceipt_core::seal::{MIN_RSA_BITS, PlatformKey};
use std::collections::HashMap;
use std::fmt;
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};

/// The name the platform CA's certificate carries.
pub const CA_NAME: &str = "ereceipt platform CA";
const CA_FILE: &str = "ca.pem";
const CURRENT_FILE: &str = "current-key";
const KEY_SUFFIX: &str = ".key.pem";

/// One RSA encryption key of the platform: envelopes name it by its id.
pub struct EncryptionKey {
    key_id: String,
    key: OaepPrivateDecryptingKey,
    public: PlatformKey,
}

impl fmt::Debug for EncryptionKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "EncryptionKey({}, redacted)", self.key_id)
    }
}

impl EncryptionKey {
    /// Reads a key from its PKCS#8 PEM; it must be RSA with at least 3072 bits.
    pub fn from_pkcs8_pem(key_id: &str, pem_text: &str) -> Result<Self, PlatformError> {
        let block = pem::parse(pem_text).map_err(|_| PlatformError::key("not a PEM key"))?;
        let private = PrivateDecryptingKey::from_pkcs8(block.contents())
            .map_err(|_| PlatformError::key("not an RSA PKCS#8 private key"))?;
        Self::new(key_id, private)
    }

    fn new(key_id: &str, private: PrivateDecryptingKey) -> Result<Self, PlatformError> {
        if private.key_size_bits() < MIN_RSA_BITS {
            return Err(PlatformError::key("RSA keys must have at least 3072 bits"));
        }
        let spki = private
            .public_key()
            .as_der()
            .map_err(|_| PlatformError::key("the public key does not encode"))?;
        let public_pem = pem::encode(&pem::Pem::new("PUBLIC KEY", spki.as_ref()));
        let public = PlatformKey::from_pem(key_id, &public_pem)
            .map_err(|e| PlatformError::key(e.to_string()))?;
        let key = OaepPrivateDecryptingKey::new(private)
            .map_err(|_| PlatformError::key("not usable for RSA-OAEP"))?;
        Ok(EncryptionKey {
            key_id: key_id.to_owned(),
            key,
            public,
        })
    }

    /// The key id written into every envelope sealed under this key.
    pub fn key_id(&self) -> &str {
        &self.key_id
    }

    /// The public half as the SDK takes it (SPKI PEM with the key id).
    pub fn public_key(&self) -> &PlatformKey {
        &self.public
    }

    /// Unwraps an envelope's content key (RSA-OAEP, SHA-256, MGF1-SHA-256, empty label) in
    /// constant time. Every failure is the same `None`.
    pub fn unwrap(&self, wrapped: &[u8]) -> Option<[u8; 32]> {
        let mut out = vec![0u8; self.key.min_output_size()];
        let plain = self
            .key
            .decrypt(&OAEP_SHA256_MGF1SHA256, wrapped, &mut out, None)
            .ok()?;
        <[u8; 32]>::try_from(&*plain).ok()
    }
}

/// The platform's keys as loaded from its data directory.
pub struct PlatformKeys {
    ca: CertificateAuthority,
    encryption: KeyRing,
}

impl fmt::Debug for PlatformKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlatformKeys")
            .field("ca", &self.ca)
            .field("dir", &self.encryption.dir)
            .finish()
    }
}

impl PlatformKeys {
    /// Loads the keys of `data_dir/keys`, creating the CA and a first encryption key when
    /// they do not exist yet (safe when several instances start together).
    pub fn load_or_create(data_dir: &Path) -> Result<Self, PlatformError> {
        let dir = keys_dir(data_dir)?;
        let ca = load_or_create_ca(&dir)?;
        if !dir.join(CURRENT_FILE).exists() {
            let key = generate_key()?;
            install(&dir, &key, Install::IfNone)?;
        }
        let encryption = KeyRing {
            dir,
            keys: RwLock::default(),
        };
        encryption.current()?;
        Ok(PlatformKeys { ca, encryption })
    }

    /// The platform CA, which issues terminal certificates and anchors every check.
    pub fn ca(&self) -> &CertificateAuthority {
        &self.ca
    }

    /// The key handed out at enrollment now.
    pub fn current(&self) -> Result<Arc<EncryptionKey>, PlatformError> {
        self.encryption.current()
    }

    /// The key with id `key_id`, loaded from disk on first use; `None` when the platform has no
    /// such key.
    pub fn encryption_key(
        &self,
        key_id: &str,
    ) -> Result<Option<Arc<EncryptionKey>>, PlatformError> {
        self.encryption.get(key_id)
    }
}

/// Every encryption key of the platform, read from disk on first use and then kept.
struct KeyRing {
    dir: PathBuf,
    keys: RwLock<HashMap<String, Arc<EncryptionKey>>>,
}

impl KeyRing {
    fn current(&self) -> Result<Arc<EncryptionKey>, PlatformError> {
        let path = self.dir.join(CURRENT_FILE);
        let id = fs::read_to_string(&path).map_err(PlatformError::io(&path))?;
        self.get(id.trim())?
            .ok_or_else(|| PlatformError::key("current-key names a key file that is missing"))
    }

    fn get(&self, key_id: &str) -> Result<Option<Arc<EncryptionKey>>, PlatformError> {
        if let Some(key) = self.cached(key_id) {
            return Ok(Some(key));
        }
        // Ids come from envelopes: only names we could have written are looked up on disk.
        if !is_key_id(key_id) {
            return Ok(None);
        }
        let path = self.dir.join(format!("{key_id}{KEY_SUFFIX}"));
        let text = match fs::read_to_string(&path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(PlatformError::io(&path)(e)),
        };
        let key = Arc::new(EncryptionKey::from_pkcs8_pem(key_id, &text)?);
        let mut keys = self.keys.write().unwrap_or_else(|p| p.into_inner());
        Ok(Some(keys.entry(key_id.to_owned()).or_insert(key).clone()))
    }

    fn cached(&self, key_id: &str) -> Option<Arc<EncryptionKey>> {
        let keys = self.keys.read().unwrap_or_else(|p| p.into_inner());
        keys.get(key_id).cloned()
    }
}

/// A key id the platform may have written: `[A-Za-z0-9._-]`, 1–64 characters, not starting
/// with a dot.
fn is_key_id(id: &str) -> bool {
    !id.is_empty()
        && id.len() <= 64
        && !id.starts_with('.')
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

/// Generates a new RSA-3072 key and makes it the current one; returns its id. Old keys stay
/// on disk so that envelopes sealed under them still open.
pub fn rotate_encryption_key(data_dir: &Path) -> Result<String, PlatformError> {
    let dir = keys_dir(data_dir)?;
    let key = generate_key()?;
    install(&dir, &key, Install::Replace)?;
    Ok(key.0)
}

/// Installs an existing RSA key (PKCS#8 PEM) under `key_id` as the current key: for restoring
/// a backup, and for tests that must not spend seconds generating one.
pub fn import_encryption_key(
    data_dir: &Path,
    key_id: &str,
    pkcs8_pem: &str,
) -> Result<(), PlatformError> {
    if !is_key_id(key_id) {
        return Err(PlatformError::key("key id: 1 to 64 of A-Z a-z 0-9 - _ ."));
    }
    EncryptionKey::from_pkcs8_pem(key_id, pkcs8_pem)?;
    let dir = keys_dir(data_dir)?;
    install(
        &dir,
        &(key_id.to_owned(), pkcs8_pem.to_owned()),
        Install::Replace,
    )
}

/// A new key: its id (`k-YYYYMMDD-xxxxxxxx`) and PKCS#8 PEM.
fn generate_key() -> Result<(String, String), PlatformError> {
    let private = PrivateDecryptingKey::generate(KeySize::Rsa3072)
        .map_err(|_| PlatformError::key("RSA key generation failed"))?;
    let der = private
        .as_der()
        .map_err(|_| PlatformError::key("the new key does not encode"))?;
    let date = time::OffsetDateTime::now_utc().date();
    let id = format!(
        "k-{:04}{:02}{:02}-{}",
        date.year(),
        u8::from(date.month()),
        date.day(),
        random_hex::<4>()?
    );
    Ok((id, pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref()))))
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Install {
    /// Become current only if no key is current yet (first start).
    IfNone,
    /// Become current in any case (rotation, import).
    Replace,
}

/// Writes a key file and points `current-key` at it.
fn install(
    dir: &Path,
    (id, pem_text): &(String, String),
    mode: Install,
) -> Result<(), PlatformError> {
    let key_path = dir.join(format!("{id}{KEY_SUFFIX}"));
    if !create_exclusive(&key_path, pem_text.as_bytes())? {
        return Err(PlatformError::key("a key with this id exists already"));
    }
    let current = dir.join(CURRENT_FILE);
    match mode {
        Install::IfNone => {
            if !create_exclusive(&current, id.as_bytes())? {
                // Another instance won the first start: its key is the platform's.
                fs::remove_file(&key_path).map_err(PlatformError::io(&key_path))?;
            }
        }
        Install::Replace => {
            let temp = write_temp(&current, id.as_bytes())?;
            fs::rename(&temp, &current).map_err(PlatformError::io(&current))?;
            sync_dir(dir)?;
        }
    }
    Ok(())
}

fn load_or_create_ca(dir: &Path) -> Result<CertificateAuthority, PlatformError> {
    let path = dir.join(CA_FILE);
    if !path.exists() {
        let ca = CertificateAuthority::generate(CA_NAME, false)?;
        let both = format!("{}{}", ca.certificate_pem(), ca.key_pkcs8_pem());
        create_exclusive(&path, both.as_bytes())?;
    }
    let text = fs::read_to_string(&path).map_err(PlatformError::io(&path))?;
    let blocks = pem::parse_many(&text).map_err(|_| PlatformError::key("ca.pem is not PEM"))?;
    let find = |tag: &str| {
        blocks
            .iter()
            .find(|b| b.tag() == tag)
            .map(pem::encode)
            .ok_or_else(|| PlatformError::key(format!("ca.pem holds no {tag}")))
    };
    Ok(CertificateAuthority::from_pem(
        &find("CERTIFICATE")?,
        &find("PRIVATE KEY")?,
    )?)
}

pub(crate) fn keys_dir(data_dir: &Path) -> Result<PathBuf, PlatformError> {
    let dir = data_dir.join("keys");
    let mut builder = fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(&dir).map_err(PlatformError::io(&dir))?;
    Ok(dir)
}

/// Creates `path` with `contents` (mode 0600) unless it exists; `false` when it did.
pub(crate) fn create_exclusive(path: &Path, contents: &[u8]) -> Result<bool, PlatformError> {
    let temp = write_temp(path, contents)?;
    let linked = fs::hard_link(&temp, path);
    fs::remove_file(&temp).map_err(PlatformError::io(&temp))?;
    match linked {
        Ok(()) => {
            if let Some(dir) = path.parent() {
                sync_dir(dir)?;
            }
            Ok(true)
        }
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(false),
        Err(e) => Err(PlatformError::io(path)(e)),
    }
}

/// Writes `contents` to a fresh temporary file beside `path` (mode 0600, synced).
fn write_temp(path: &Path, contents: &[u8]) -> Result<PathBuf, PlatformError> {
    let temp = path.with_extension(format!("tmp-{}", random_hex::<8>()?));
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(&temp).map_err(PlatformError::io(&temp))?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(PlatformError::io(&temp))?;
    Ok(temp)
}

fn sync_dir(dir: &Path) -> Result<(), PlatformError> {
    fs::File::open(dir)
        .and_then(|d| d.sync_all())
        .map_err(PlatformError::io(dir))
}

#[cfg(test)]
mod tests {
    use super::*;
    use ereceipt_core::record::ReceiptId;
    use ereceipt_core::seal::{ReceiptPayload, open_with, seal};

    fn test_key_pem() -> String {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../tests/data/keys/platform-test-rsa3072.pem"
        );
        fs::read_to_string(path).unwrap()
    }

    #[test]
    fn core_seals_and_aws_lc_opens() {
        let key = EncryptionKey::from_pkcs8_pem("test-2026-11", &test_key_pem()).unwrap();
        // The public half goes through core's own parser, as a terminal receives it.
        let public = PlatformKey::from_pem(key.key_id(), &key.public_key().to_pem()).unwrap();
        let payload = ReceiptPayload {
            record: b"ereceipt-record/1\n{}".to_vec(),
            signature: None,
            certificates: vec![],
            png: vec![1, 2, 3],
            strokes: None,
            delivery: None,
        };
        let id = ReceiptId::random().unwrap();
        let sealed = seal(&public, "T1", &id, &payload).unwrap();
        let (header, opened) = open_with(&sealed, key.key_id(), |w| key.unwrap(w)).unwrap();
        assert_eq!(header.receipt_id, id);
        assert_eq!(opened, payload);
        assert_eq!(key.unwrap(&[0u8; 384]), None);
        assert!(!format!("{key:?}").contains("PRIVATE"));
    }

    #[test]
    fn short_keys_and_bad_ids_are_refused() {
        let dir =
            std::env::temp_dir().join(format!("ereceipt-keys-{}", random_hex::<8>().unwrap()));
        assert!(import_encryption_key(&dir, "../x", &test_key_pem()).is_err());
        assert!(import_encryption_key(&dir, "k1", "not pem").is_err());
        assert!(!is_key_id(".hidden"));
        assert!(is_key_id("k-20261122-0a1b2c3d"));
        let _ = fs::remove_dir_all(dir);
    }
}

//! The blob store: receipt envelopes and images, in a local directory or S3-compatible
//! object storage, through the `object_store` crate.
//!
//! **Packs.** The receipt writer stores each batch's envelopes and images as one object, a
//! *pack* (`packs/<xx>/<32 random hex digits>`: the parts concatenated, nothing else), and each
//! receipt row names its parts by reference: `<key>#<start>-<end>`, a byte range of the pack.
//! One object per batch instead of two per receipt: on a local disk creating files was a
//! quarter of ingest's CPU time (docs/PLATFORM.md, Load), on S3 it is one PUT per batch. A
//! reference without `#` names a whole object (receipts stored before packs).
//!
//! A pack's key is fresh for every batch, so writing one never replaces stored content. Packs
//! are written before the database rows that name them, so a receipt is only visible once all
//! its parts exist; a crash in between leaves an unreferenced pack, which is harmless (the
//! terminals send those receipts again).

use crate::error::PlatformError;
use axum::body::Bytes;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as BlobPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use std::collections::BTreeMap;
use std::ops::Range;
use std::str::FromStr;
use std::sync::Arc;

/// The platform's blob store.
#[derive(Clone, Debug)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
}

impl Blobs {
    /// Opens the store at `url`: a directory (created if missing), `file:///…`, or
    /// `s3://bucket[/prefix]`. S3 settings come from the `AWS_*` environment variables and
    /// then from `options` (keys as `object_store`'s `AmazonS3ConfigKey` parses them, such as
    /// `endpoint`, `region`, `access_key_id`, `secret_access_key`, `allow_http`).
    pub fn open(url: &str, options: &BTreeMap<String, String>) -> Result<Self, PlatformError> {
        let store: Arc<dyn ObjectStore> = if let Some(rest) = url.strip_prefix("s3://") {
            let (bucket, prefix) = rest.split_once('/').unwrap_or((rest, ""));
            let mut builder = AmazonS3Builder::from_env().with_bucket_name(bucket);
            for (key, value) in options {
                let key = AmazonS3ConfigKey::from_str(key)
                    .map_err(|_| PlatformError::config(format!("unknown S3 option {key}")))?;
                builder = builder.with_config(key, value);
            }
            let s3 = builder.build()?;
            if prefix.trim_matches('/').is_empty() {
                Arc::new(s3)
            } else {
                Arc::new(PrefixStore::new(s3, prefix.trim_matches('/')))
            }
        } else {
            let dir = url.strip_prefix("file://").unwrap_or(url);
            std::fs::create_dir_all(dir).map_err(PlatformError::io(dir))?;
            Arc::new(LocalFileSystem::new_with_prefix(dir)?)
        };
        Ok(Blobs { store })
    }

    /// Stores `bytes` under `key`.
    pub(crate) async fn put(&self, key: &str, bytes: Bytes) -> Result<(), PlatformError> {
        self.store
            .put(&BlobPath::from(key), PutPayload::from(bytes))
            .await?;
        Ok(())
    }

    /// Reads the blob a reference names: a whole object or a range of a pack.
    pub(crate) async fn get(&self, reference: &str) -> Result<Bytes, PlatformError> {
        let reference = Reference::parse(reference)?;
        let path = BlobPath::from(reference.key);
        Ok(match reference.range {
            None => self.store.get(&path).await?.bytes().await?,
            Some(range) => self.store.get_range(&path, range).await?,
        })
    }
}

/// A pack being filled: parts appended, then stored as one object under a fresh key.
pub(crate) struct Pack {
    key: String,
    bytes: Vec<u8>,
}

impl Pack {
    /// An empty pack with a fresh random key.
    pub(crate) fn new() -> Result<Self, PlatformError> {
        let mut random = [0u8; 16];
        aws_lc_rs::rand::fill(&mut random)
            .map_err(|_| PlatformError::config("the system random generator failed"))?;
        let id = ereceipt_core::record::hex(&random);
        Ok(Pack {
            key: format!("packs/{}/{id}", &id[..2]),
            bytes: Vec::new(),
        })
    }

    /// Appends `part`; returns its reference.
    pub(crate) fn add(&mut self, part: &[u8]) -> String {
        let start = self.bytes.len();
        self.bytes.extend_from_slice(part);
        format!("{}#{start}-{}", self.key, self.bytes.len())
    }

    /// Whether nothing was added.
    pub(crate) fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// Stores the pack.
    pub(crate) async fn store(self, blobs: &Blobs) -> Result<(), PlatformError> {
        blobs.put(&self.key, Bytes::from(self.bytes)).await
    }
}

/// A blob reference: a whole object, or a byte range of one (`key#start-end`).
#[derive(Debug, PartialEq, Eq)]
struct Reference<'a> {
    key: &'a str,
    range: Option<Range<u64>>,
}

impl<'a> Reference<'a> {
    fn parse(reference: &'a str) -> Result<Self, PlatformError> {
        let Some((key, range)) = reference.rsplit_once('#') else {
            return Ok(Reference {
                key: reference,
                range: None,
            });
        };
        let bad = || PlatformError::config("a stored blob reference is malformed");
        let (start, end) = range.split_once('-').ok_or_else(bad)?;
        let start: u64 = start.parse().map_err(|_| bad())?;
        let end: u64 = end.parse().map_err(|_| bad())?;
        if start > end {
            return Err(bad());
        }
        Ok(Reference {
            key,
            range: Some(start..end),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_name_a_whole_object_or_a_range_of_one() {
        assert_eq!(
            Reference::parse("images/ab/ab12-ff.png").unwrap(),
            Reference {
                key: "images/ab/ab12-ff.png",
                range: None
            }
        );
        assert_eq!(
            Reference::parse("packs/0f/0f99#17-42").unwrap(),
            Reference {
                key: "packs/0f/0f99",
                range: Some(17..42)
            }
        );
        for bad in ["p#", "p#1", "p#-1", "p#2-1", "p#a-b", "p#1-2-3"] {
            assert!(Reference::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_pack_hands_out_the_ranges_of_its_parts_under_a_fresh_key() {
        let mut pack = Pack::new().unwrap();
        assert!(pack.is_empty());
        let first = pack.add(b"envelope");
        let second = pack.add(b"png");
        let key = pack.key.clone();
        assert!(key.starts_with("packs/") && key.len() == "packs/xx/".len() + 32);
        assert_eq!(first, format!("{key}#0-8"));
        assert_eq!(second, format!("{key}#8-11"));
        assert_ne!(Pack::new().unwrap().key, key);
    }

    #[tokio::test]
    async fn a_stored_pack_reads_back_part_by_part_and_whole_objects_still_read() {
        let dir = std::env::temp_dir().join(format!("ereceipt-blobs-{}", std::process::id()));
        let blobs = Blobs::open(dir.to_str().unwrap(), &BTreeMap::new()).unwrap();
        let mut pack = Pack::new().unwrap();
        let envelope = pack.add(b"sealed bytes");
        let png = pack.add(b"\x89PNG...");
        pack.store(&blobs).await.unwrap();
        assert_eq!(
            blobs.get(&envelope).await.unwrap().as_ref(),
            b"sealed bytes"
        );
        assert_eq!(blobs.get(&png).await.unwrap().as_ref(), b"\x89PNG...");
        blobs
            .put("images/ab/old.png", Bytes::from_static(b"whole"))
            .await
            .unwrap();
        assert_eq!(
            blobs.get("images/ab/old.png").await.unwrap().as_ref(),
            b"whole"
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}

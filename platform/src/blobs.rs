//! The blob store: receipt envelopes and images, in a local directory or S3-compatible
//! object storage, through the `object_store` crate.
//!
//! Keys name the receipt and the SHA-256 of the content
//! (`envelopes/<id[..2]>/<receipt id>-<sha256>`, `images/<id[..2]>/<receipt id>-<sha256>.png`), so writing a blob never replaces different content
//! under the same key: a conflicting upload can write its blobs but cannot touch the stored
//! receipt's. Blobs are written before the database row that names them, so a receipt is only
//! visible once all its parts exist; a crash in between leaves an unreferenced blob, which is
//! harmless (a retry writes the same key again).

use crate::error::PlatformError;
use axum::body::Bytes;
use object_store::aws::{AmazonS3Builder, AmazonS3ConfigKey};
use object_store::local::LocalFileSystem;
use object_store::path::Path as BlobPath;
use object_store::prefix::PrefixStore;
use object_store::{ObjectStore, PutPayload};
use std::collections::BTreeMap;
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

    /// Reads the blob under `key`.
    pub(crate) async fn get(&self, key: &str) -> Result<Bytes, PlatformError> {
        Ok(self.store.get(&BlobPath::from(key)).await?.bytes().await?)
    }
}

/// The key of a receipt's envelope.
pub(crate) fn envelope_key(receipt_id: &str, sha256_hex: &str) -> String {
    format!("envelopes/{}/{receipt_id}-{sha256_hex}", fanout(receipt_id))
}

/// The key of a receipt's image.
pub(crate) fn image_key(receipt_id: &str, sha256_hex: &str) -> String {
    format!(
        "images/{}/{receipt_id}-{sha256_hex}.png",
        fanout(receipt_id)
    )
}

/// The first two hex digits of a receipt id: 256 folders, so a local directory store creates
/// no folder per receipt and keeps each folder's size in check.
fn fanout(receipt_id: &str) -> &str {
    receipt_id.get(..2).unwrap_or("xx")
}

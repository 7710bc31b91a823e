//! Configuration: where the platform keeps its data and how it behaves.
//!
//! Every setting has an embedded default, so `ereceipt platform serve` runs with none given:
//! a SQLite file and a blob directory under the data directory, listening on localhost. Values
//! come, strongest first, from command-line flags, `ERECEIPT_*` environment variables (both
//! through clap, see [`crate::cli`]), a config file (TOML, or JSON when its name ends in
//! `.json`), and the defaults. docs/PLATFORM.md has the reference table.

use crate::delivery::settings::{DeliverySettings, SmsSettings, SmtpSettings};
use crate::error::PlatformError;
use serde::Deserialize;
use std::collections::BTreeMap;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

/// The default listen address: loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8480";
/// The default largest accepted envelope: 2 MiB (a receipt is about 25 KB).
pub const DEFAULT_MAX_ENVELOPE_BYTES: usize = 2 * 1024 * 1024;
/// The default per-terminal upload rate, per minute. A terminal that was offline for a day
/// uploads its backlog at this pace, guided by `Retry-After`.
pub const DEFAULT_RATE_PER_MINUTE: u32 = 600;
/// The default number of verification workers per instance.
pub const DEFAULT_WORKERS: usize = 1;

/// A config file: every field optional; unknown fields are refused so that typos show.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    /// The data directory.
    pub data: Option<PathBuf>,
    /// The listen address.
    pub listen: Option<SocketAddr>,
    /// The database URL (`sqlite:PATH` or `postgres://…`).
    pub database: Option<String>,
    /// The blob store URL (a directory, `file:///…` or `s3://bucket/prefix`).
    pub blobs: Option<String>,
    /// Options of the blob store (for S3: `endpoint`, `region`, `access_key_id`, …; see
    /// `object_store`'s `AmazonS3ConfigKey`).
    #[serde(default)]
    pub blobs_options: BTreeMap<String, String>,
    /// The largest accepted envelope in bytes.
    pub max_envelope_bytes: Option<usize>,
    /// Receipts a terminal may upload per minute; 0 turns the limit off.
    pub rate_per_minute: Option<u32>,
    /// Verification workers per instance; 0 runs none (another instance must).
    pub workers: Option<usize>,
    /// The portal's public address, for links in messages.
    pub public_url: Option<String>,
    /// The SMTP server for e-mail (`[smtp]`); the outbox without.
    pub smtp: Option<SmtpSettings>,
    /// The SMS/MMS gateway (`[sms]`); the outbox without.
    pub sms: Option<SmsSettings>,
}

impl ConfigFile {
    /// Reads a config file: JSON when the name ends in `.json`, TOML otherwise.
    pub fn read(path: &Path) -> Result<Self, PlatformError> {
        let text = std::fs::read_to_string(path).map_err(PlatformError::io(path))?;
        let parsed = if path.extension().is_some_and(|e| e == "json") {
            serde_json::from_str(&text).map_err(|e| e.to_string())
        } else {
            toml::from_str(&text).map_err(|e| e.to_string())
        };
        parsed.map_err(|e| PlatformError::config(format!("{}: {e}", path.display())))
    }
}

/// Per-request limits of the ingest endpoint.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Limits {
    /// The largest accepted envelope in bytes (413 above).
    pub max_envelope_bytes: usize,
    /// Receipts a terminal may upload per minute (429 above); 0 for no limit.
    pub rate_per_minute: u32,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_envelope_bytes: DEFAULT_MAX_ENVELOPE_BYTES,
            rate_per_minute: DEFAULT_RATE_PER_MINUTE,
        }
    }
}

/// The resolved configuration of one platform instance.
#[derive(Clone, Debug)]
pub struct Config {
    /// The data directory: keys, and by default the SQLite file and the blobs.
    pub data: PathBuf,
    /// Where to listen.
    pub listen: SocketAddr,
    /// The database URL.
    pub database: String,
    /// The blob store URL.
    pub blobs: String,
    /// Options of the blob store.
    pub blobs_options: BTreeMap<String, String>,
    /// Ingest limits.
    pub limits: Limits,
    /// Verification workers per instance.
    pub workers: usize,
    /// How customers are reached.
    pub delivery: DeliverySettings,
}

impl Config {
    /// The embedded defaults for a data directory.
    pub fn for_data_dir(data: impl Into<PathBuf>) -> Self {
        let data = data.into();
        Config {
            database: sqlite_url(&data.join("platform.sqlite")),
            blobs: data.join("blobs").display().to_string(),
            listen: DEFAULT_LISTEN.parse().expect("the default address parses"),
            blobs_options: BTreeMap::new(),
            limits: Limits::default(),
            workers: DEFAULT_WORKERS,
            delivery: DeliverySettings::default(),
            data,
        }
    }

    /// Resolves flags (already merged with the environment by clap) over a config file over
    /// the defaults. The data directory defaults to `./ereceipt-platform`.
    pub fn resolve(flags: ConfigFile, file: Option<ConfigFile>) -> Self {
        let file = file.unwrap_or_default();
        let data = flags
            .data
            .or(file.data)
            .unwrap_or_else(|| PathBuf::from("ereceipt-platform"));
        let defaults = Config::for_data_dir(data);
        let mut blobs_options = file.blobs_options;
        blobs_options.extend(flags.blobs_options);
        Config {
            listen: flags.listen.or(file.listen).unwrap_or(defaults.listen),
            database: flags
                .database
                .or(file.database)
                .unwrap_or(defaults.database),
            blobs: flags.blobs.or(file.blobs).unwrap_or(defaults.blobs),
            blobs_options,
            limits: Limits {
                max_envelope_bytes: flags
                    .max_envelope_bytes
                    .or(file.max_envelope_bytes)
                    .unwrap_or(DEFAULT_MAX_ENVELOPE_BYTES),
                rate_per_minute: flags
                    .rate_per_minute
                    .or(file.rate_per_minute)
                    .unwrap_or(DEFAULT_RATE_PER_MINUTE),
            },
            workers: flags.workers.or(file.workers).unwrap_or(DEFAULT_WORKERS),
            delivery: DeliverySettings {
                public_url: flags.public_url.or(file.public_url),
                smtp: flags.smtp.or(file.smtp),
                sms: flags.sms.or(file.sms),
            },
            data: defaults.data,
        }
    }
}

/// The `sqlite:` URL of a database file.
pub fn sqlite_url(path: &Path) -> String {
    format!("sqlite:{}", path.display())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_win_over_the_file_and_the_file_over_defaults() {
        let file: ConfigFile = toml::from_str(
            "data = \"/srv/er\"\nlisten = \"0.0.0.0:9000\"\nrate_per_minute = 60\n\
             [blobs_options]\nregion = \"eu\"\n",
        )
        .unwrap();
        let flags = ConfigFile {
            listen: Some("127.0.0.1:1".parse().unwrap()),
            ..ConfigFile::default()
        };
        let config = Config::resolve(flags, Some(file));
        assert_eq!(config.listen.port(), 1);
        assert_eq!(config.data, PathBuf::from("/srv/er"));
        assert_eq!(config.database, "sqlite:/srv/er/platform.sqlite");
        assert_eq!(config.blobs, "/srv/er/blobs");
        assert_eq!(config.limits.rate_per_minute, 60);
        assert_eq!(config.limits.max_envelope_bytes, DEFAULT_MAX_ENVELOPE_BYTES);
        assert_eq!(config.blobs_options["region"], "eu");
        assert!(toml::from_str::<ConfigFile>("lissten = \"x\"").is_err());
    }
}

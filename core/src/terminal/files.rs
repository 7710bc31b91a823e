//! The files of a terminal directory, each written atomically.

use super::{PlatformLink, TerminalError};
use crate::outbox::Outbox;
use crate::record::{ChainState, ChainValue, from_hex};
use crate::seal::PlatformKey;
use std::path::Path;

pub(super) const KEY: &str = "terminal-key.pem";
pub(super) const CERT: &str = "terminal.pem";
pub(super) const CA: &str = "ca.pem";
pub(super) const PLATFORM: &str = "platform.json";
/// Where versions before the outbox kept the chain state; moved into the outbox on open.
const LEGACY_STATE: &str = "state.json";

/// Writes `bytes` to `path` atomically: a temporary file, fsync, rename, then fsync of the
/// directory so the rename itself survives power loss. A crash leaves the old content or the
/// new, never half of one. `private` files get mode 0600 on Unix.
pub fn write_atomic(path: &Path, bytes: &[u8], private: bool) -> std::io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("file");
    crate::durable::write_via(
        &dir.join(format!(".{name}.tmp")),
        path,
        bytes,
        private,
        true,
    )?;
    // A directory the process may write but not read cannot be synced; the rename is still
    // atomic there.
    let _ = crate::durable::sync_dir(dir);
    Ok(())
}

fn io(path: &Path, e: &std::io::Error) -> TerminalError {
    TerminalError::Io {
        file: path.to_owned(),
        reason: e.to_string(),
    }
}

/// Creates `dir` if needed and refuses one that already holds a terminal.
pub(super) fn claim(dir: &Path) -> Result<(), TerminalError> {
    if dir.join(CERT).exists() || dir.join(KEY).exists() {
        return Err(TerminalError::Exists);
    }
    std::fs::create_dir_all(dir).map_err(|e| io(dir, &e))
}

pub(super) fn write(
    dir: &Path,
    name: &str,
    bytes: &[u8],
    private: bool,
) -> Result<(), TerminalError> {
    let path = dir.join(name);
    write_atomic(&path, bytes, private).map_err(|e| io(&path, &e))
}

pub(super) fn read(dir: &Path, name: &str) -> Result<String, TerminalError> {
    read_optional(dir, name)?.ok_or_else(|| TerminalError::NotATerminal {
        reason: format!("{name} is missing"),
    })
}

pub(super) fn read_optional(dir: &Path, name: &str) -> Result<Option<String>, TerminalError> {
    let path = dir.join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Ok(Some(text)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io(&path, &e)),
    }
}

/// `platform.json`.
#[derive(serde::Serialize, serde::Deserialize)]
pub(super) struct PlatformFile {
    url: String,
    key_id: String,
    public_key: String,
}

impl PlatformFile {
    pub(super) fn parse(text: &str) -> Result<Self, TerminalError> {
        serde_json::from_str(text).map_err(|_| TerminalError::NotATerminal {
            reason: format!("{PLATFORM} is damaged"),
        })
    }

    pub(super) fn link(self) -> Result<PlatformLink, TerminalError> {
        Ok(PlatformLink {
            key: PlatformKey::from_pem(&self.key_id, &self.public_key)?,
            url: self.url,
        })
    }
}

pub(super) fn write_platform(dir: &Path, link: &PlatformLink) -> Result<(), TerminalError> {
    let file = PlatformFile {
        url: link.url.clone(),
        key_id: link.key.key_id().to_owned(),
        public_key: link.key.to_pem(),
    };
    let json = serde_json::to_string_pretty(&file).expect("plain strings always serialise");
    write(dir, PLATFORM, format!("{json}\n").as_bytes(), false)
}

/// Moves the chain state of a directory made before the outbox existed into the outbox.
pub(super) fn migrate_state(dir: &Path, outbox: &Outbox) -> Result<(), TerminalError> {
    if outbox.chain_state()?.is_some() {
        return Ok(());
    }
    let Some(text) = read_optional(dir, LEGACY_STATE)? else {
        return Ok(());
    };
    let damaged = || TerminalError::NotATerminal {
        reason: format!("{LEGACY_STATE} is damaged"),
    };
    let json: serde_json::Value = serde_json::from_str(&text).map_err(|_| damaged())?;
    let counter = json["counter"].as_u64().ok_or_else(damaged)?;
    let next_previous = json["next_previous"]
        .as_str()
        .and_then(from_hex)
        .and_then(|b| <[u8; 32]>::try_from(b).ok())
        .ok_or_else(damaged)?;
    outbox.init_chain(&ChainState {
        counter,
        next_previous: ChainValue(next_previous),
    })?;
    let path = dir.join(LEGACY_STATE);
    std::fs::remove_file(&path).map_err(|e| io(&path, &e))
}

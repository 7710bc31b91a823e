//! Writing files so that a crash leaves the old content or the new, never half of one.

use std::fs::OpenOptions;
use std::io::Write;
use std::path::Path;

/// Writes `bytes` to `tmp` (which must not be in use by another writer), fsyncs it when
/// `durable`, and renames it to `path`; the temporary file is removed if anything fails.
/// `private` files get mode 0600 on Unix. The rename is made durable by [`sync_dir`] of the
/// target's directory, which the caller does (once for several files, if it likes).
pub(crate) fn write_via(
    tmp: &Path,
    path: &Path,
    bytes: &[u8],
    private: bool,
    durable: bool,
) -> std::io::Result<()> {
    let written = (|| {
        let mut options = OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        if private {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        #[cfg(not(unix))]
        let _ = private;
        let mut file = options.open(tmp)?;
        file.write_all(bytes)?;
        if durable {
            file.sync_all()?;
        }
        drop(file);
        std::fs::rename(tmp, path)
    })();
    if written.is_err() {
        let _ = std::fs::remove_file(tmp);
    }
    written
}

/// Makes a directory's entries (a rename, a delete) durable. Unix only: Windows cannot open a
/// directory for syncing, and its renames are atomic without it.
pub(crate) fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

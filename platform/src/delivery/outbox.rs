//! The file outbox: with no SMTP server or gateway configured, messages are written to
//! `DATA/outbox/` (e-mails as `.eml`, texts as `.json`), so a newcomer sees what would be sent.
//! The files hold what the message holds, the customer's address included: the outbox is a
//! development aid, not a log; production sends instead.

use super::SendError;
use crate::secret::random_hex;
use std::io::Write;
use std::path::{Path, PathBuf};

/// Writes one message as `DIR/<unix time>-<name>-<random>.<extension>`: first under a
/// temporary name, then renamed, so a reader never sees half a message.
pub(crate) fn write(
    dir: &Path,
    name: &str,
    extension: &str,
    contents: &[u8],
) -> Result<PathBuf, SendError> {
    let failed = |_| SendError::Retry("the outbox directory cannot be written".to_owned());
    std::fs::create_dir_all(dir).map_err(failed)?;
    let random = random_hex::<4>().map_err(|_| SendError::Retry("no randomness".to_owned()))?;
    let stem = format!("{}-{name}-{random}", crate::db::now());
    let temp = dir.join(format!(".{stem}.tmp"));
    let path = dir.join(format!("{stem}.{extension}"));
    let mut file = std::fs::File::create(&temp).map_err(failed)?;
    file.write_all(contents)
        .and_then(|()| file.sync_all())
        .map_err(failed)?;
    std::fs::rename(&temp, &path).map_err(failed)?;
    Ok(path)
}

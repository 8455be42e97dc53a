//! Writing a file a user named on the command line (`--out`, `--report`, `infra params --out`):
//! the one rule for what is at that path.
//!
//! * nothing, or a regular file: written whole beside it and renamed over it, so a reader sees
//!   the old file or the new one, never half of one. A new file gets the usual permissions (0666
//!   less the umask); a replaced file keeps its own.
//! * a FIFO or a character device (`/dev/null`, `/dev/stdout`, a named pipe): written to as a
//!   stream, never replaced, so a pipe stays a pipe and `/dev/null` stays a device.
//! * a symbolic link: refused, neither followed nor replaced; name the file it points to.
//! * a folder, a block device or a socket: refused.

use std::io::{self, Write};
use std::os::unix::fs::{FileTypeExt, OpenOptionsExt};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

/// Suffix of the temporary file written beside the destination before the rename.
const TEMP_SUFFIX: &str = ".driftscan-tmp";

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// Writes `bytes` to the file at `path` by the rules of this module.
pub fn write_output(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let existing = match std::fs::symlink_metadata(path) {
        Ok(meta) => Some(meta),
        Err(e) if e.kind() == io::ErrorKind::NotFound => None,
        Err(e) => return Err(e),
    };
    let Some(meta) = existing else {
        return replace_atomically(path, bytes, None);
    };
    let kind = meta.file_type();
    if kind.is_file() {
        replace_atomically(path, bytes, Some(meta.permissions()))
    } else if kind.is_fifo() || kind.is_char_device() {
        write_stream(path, bytes)
    } else if kind.is_symlink() {
        Err(refused(
            "is a symbolic link: it is neither followed nor replaced; name the file it points to",
        ))
    } else if kind.is_dir() {
        Err(refused("is a folder; name a file"))
    } else {
        Err(refused(
            "is a special file (a block device or a socket); name a regular file, a FIFO or a character device",
        ))
    }
}

fn refused(reason: &str) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidInput, reason.to_string())
}

/// Writes to a FIFO or character device in place: opened for writing without creating,
/// truncating or following a link, and checked to still be one once open.
fn write_stream(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    let kind = file.metadata()?.file_type();
    if !(kind.is_fifo() || kind.is_char_device()) {
        return Err(refused(
            "changed while it was being opened; nothing written",
        ));
    }
    file.write_all(bytes)?;
    file.flush()
}

/// Writes a fresh temporary file beside `path` (created new, never through a link, with 0666 less
/// the umask, or `keep` when replacing a file) and renames it over `path`.
fn replace_atomically(
    path: &Path,
    bytes: &[u8],
    keep: Option<std::fs::Permissions>,
) -> io::Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("output");
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{}{TEMP_SUFFIX}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode(0o666)
            .custom_flags(libc::O_NOFOLLOW)
            .open(&tmp)?;
        if let Some(permissions) = keep {
            file.set_permissions(permissions)?;
        }
        file.write_all(bytes)?;
        file.sync_all()?;
        std::fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_regular_file_is_replaced_and_a_link_refused() {
        let dir = tempfile::tempdir().unwrap();
        let out = dir.path().join("a.profile");
        write_output(&out, b"one").unwrap();
        write_output(&out, b"two").unwrap();
        assert_eq!(std::fs::read(&out).unwrap(), b"two");

        let target = dir.path().join("target");
        std::fs::write(&target, b"keep").unwrap();
        let link = dir.path().join("link.profile");
        std::os::unix::fs::symlink(&target, &link).unwrap();
        let e = write_output(&link, b"x").unwrap_err();
        assert!(e.to_string().contains("symbolic link"), "{e}");
        assert_eq!(std::fs::read(&target).unwrap(), b"keep");
        assert!(std::fs::symlink_metadata(&link).unwrap().is_symlink());

        assert!(write_output(dir.path(), b"x").is_err());
        let leftovers: Vec<_> = std::fs::read_dir(dir.path())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().ends_with(TEMP_SUFFIX))
            .collect();
        assert!(leftovers.is_empty(), "{leftovers:?}");
    }
}

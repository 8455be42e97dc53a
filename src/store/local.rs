//! The embedded default: a folder on disk with the same keys as Blob Storage.
//!
//! Writes go to a temporary file in the target's folder and are renamed over it, so a reader sees
//! the old or the new document, never half of one. Conditional writes take an exclusive OS lock
//! (`flock`) on a sidecar `.{name}.driftscan-lock` file for the compare-and-rename, which serialises
//! writers of one key across threads and processes. Versions are content hashes, so they stay
//! valid across restarts and are the same for equal bytes.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

use async_trait::async_trait;
use bytes::Bytes;
use sha2::{Digest, Sha256};

use super::{Key, Object, ObjectMeta, PutCondition, Store, StoreError, Version};

/// Suffixes of the store's own sidecar files: hidden from listings, refused as key names.
pub const INTERNAL_SUFFIXES: [&str; 2] = [".driftscan-lock", ".driftscan-tmp"];

/// Whether a file name is one of the store's own sidecar files.
pub fn is_internal(name: &str) -> bool {
    INTERNAL_SUFFIXES.iter().any(|s| name.ends_with(s))
}

static TEMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A store in a local folder.
#[derive(Debug, Clone)]
pub struct LocalStore {
    root: PathBuf,
}

impl LocalStore {
    /// A store rooted at `root`, created if missing.
    pub fn new(root: impl Into<PathBuf>) -> Result<LocalStore, StoreError> {
        let root = root.into();
        fs::create_dir_all(&root).map_err(|source| StoreError::Io {
            op: "creating the store folder",
            key: root.display().to_string(),
            source,
        })?;
        Ok(LocalStore { root })
    }

    /// A store over a folder that must already exist (a data root): never created, only read.
    pub fn existing(root: impl Into<PathBuf>) -> Result<LocalStore, StoreError> {
        let root = root.into();
        if !root.is_dir() {
            return Err(StoreError::Config {
                location: root.display().to_string(),
                reason: "the data root is not a folder on this machine".into(),
            });
        }
        Ok(LocalStore { root })
    }

    /// The folder this store lives in.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn path(&self, key: &Key) -> PathBuf {
        let mut p = self.root.clone();
        for seg in key.segments() {
            p.push(seg);
        }
        p
    }
}

fn version_of(bytes: &[u8]) -> Version {
    Version(hex::encode(&Sha256::digest(bytes)[..16]))
}

fn io_err<'a>(op: &'static str, key: &'a Key) -> impl FnOnce(io::Error) -> StoreError + 'a {
    move |source| StoreError::Io {
        op,
        key: key.to_string(),
        source,
    }
}

fn read_optional(path: &Path) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let Some(mut file) = open_regular(path)? else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Opens a regular file for reading, never through a symbolic link: a symlink (which could point
/// anywhere on the machine) or a special file (`/dev/zero`, a FIFO) is refused as an error, and
/// nothing, or a folder, is `None`.
fn open_regular(path: &Path) -> io::Result<Option<File>> {
    use std::os::unix::fs::OpenOptionsExt;
    let opened = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path);
    let file = match opened {
        Ok(f) => f,
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound
                    | io::ErrorKind::NotADirectory
                    | io::ErrorKind::IsADirectory
            ) =>
        {
            return Ok(None);
        }
        Err(e) if e.raw_os_error() == Some(libc::ELOOP) => return Err(not_regular()),
        Err(e) => return Err(e),
    };
    let meta = file.metadata()?;
    if meta.is_dir() {
        return Ok(None);
    }
    if !meta.is_file() {
        return Err(not_regular());
    }
    Ok(Some(file))
}

fn not_regular() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "not a regular file (symbolic links and special files are not read)",
    )
}

/// Holds the sidecar lock of one key; released when dropped (closing the file releases `flock`).
struct KeyLock(#[allow(dead_code)] File);

fn lock_key(path: &Path) -> io::Result<KeyLock> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("object");
    let lock_path = path.with_file_name(format!(".{name}{}", INTERNAL_SUFFIXES[0]));
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(lock_path)?;
    file.lock()?;
    Ok(KeyLock(file))
}

fn write_atomically(path: &Path, bytes: &[u8]) -> io::Result<()> {
    let name = path
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or("object");
    let tmp = path.with_file_name(format!(
        ".{name}.{}.{}{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
        INTERNAL_SUFFIXES[1]
    ));
    let result = (|| {
        let mut f = File::create(&tmp)?;
        f.write_all(bytes)?;
        f.sync_all()?;
        fs::rename(&tmp, path)
    })();
    if result.is_err() {
        let _ = fs::remove_file(&tmp);
    }
    result
}

impl LocalStore {
    fn put_blocking(
        &self,
        key: &Key,
        bytes: &[u8],
        cond: &PutCondition,
    ) -> Result<Version, StoreError> {
        if key.is_root() {
            return Err(StoreError::InvalidKey {
                key: String::new(),
                reason: "cannot write to the store root".into(),
            });
        }
        let path = self.path(key);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).map_err(io_err("creating folders for", key))?;
        }
        let _lock = lock_key(&path).map_err(io_err("locking", key))?;
        let current = read_optional(&path).map_err(io_err("reading", key))?;
        let allowed = match (cond, &current) {
            (PutCondition::Overwrite, _) => true,
            (PutCondition::Create, existing) => existing.is_none(),
            (PutCondition::Match(v), Some(existing)) => &version_of(existing) == v,
            (PutCondition::Match(_), None) => false,
        };
        if !allowed {
            return Err(StoreError::Conflict {
                key: key.to_string(),
            });
        }
        write_atomically(&path, bytes).map_err(io_err("writing", key))?;
        Ok(version_of(bytes))
    }

    fn list_blocking(&self, prefix: &Key) -> Result<Vec<Key>, StoreError> {
        let mut out = Vec::new();
        let start = self.path(prefix);
        let mut stack = vec![(start, prefix.clone())];
        while let Some((dir, key)) = stack.pop() {
            let entries = match read_dir_if_present(&dir) {
                Ok(Some(e)) => e,
                Ok(None) => continue,
                Err(source) => {
                    return Err(StoreError::Io {
                        op: "listing",
                        key: key.to_string(),
                        source,
                    });
                }
            };
            for entry in entries {
                let entry = entry.map_err(io_err("listing", &key))?;
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if is_internal(&name) {
                    continue;
                }
                // Names that are not valid keys (odd characters) cannot be addressed: skip them.
                let Ok(child) = key.join(&name) else { continue };
                // Symbolic links and special files are never listed (nor read).
                let ft = entry.file_type().map_err(io_err("listing", &key))?;
                if ft.is_dir() {
                    stack.push((entry.path(), child));
                } else if ft.is_file() {
                    out.push(child);
                }
            }
        }
        out.sort();
        Ok(out)
    }
}

#[async_trait]
impl Store for LocalStore {
    async fn get(&self, key: &Key) -> Result<Option<Object>, StoreError> {
        let path = self.path(key);
        let bytes = on_blocking_pool("reading", key, move || read_optional(&path))
            .await?
            .map_err(io_err("reading", key))?;
        Ok(bytes.map(|b| Object {
            version: version_of(&b),
            bytes: Bytes::from(b),
        }))
    }

    async fn put(
        &self,
        key: &Key,
        bytes: Bytes,
        cond: PutCondition,
    ) -> Result<Version, StoreError> {
        let this = self.clone();
        let key2 = key.clone();
        on_blocking_pool("writing", key, move || {
            this.put_blocking(&key2, &bytes, &cond)
        })
        .await?
    }

    async fn head(&self, key: &Key) -> Result<Option<ObjectMeta>, StoreError> {
        let path = self.path(key);
        let meta = on_blocking_pool("reading", key, move || match fs::metadata(&path) {
            Ok(m) if m.is_file() => Ok(Some(m)),
            Ok(_) => Ok(None),
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                Ok(None)
            }
            Err(e) => Err(e),
        })
        .await?
        .map_err(io_err("reading", key))?;
        Ok(meta.map(|m| {
            let modified = m
                .modified()
                .ok()
                .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
                .map_or(0, |d| d.as_nanos());
            ObjectMeta {
                size: m.len(),
                tag: format!("{}-{modified}", m.len()),
            }
        }))
    }

    async fn get_range(&self, key: &Key, range: std::ops::Range<u64>) -> Result<Bytes, StoreError> {
        let path = self.path(key);
        on_blocking_pool("reading", key, move || read_range(&path, range))
            .await?
            .map_err(io_err("reading", key))
    }

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        let path = self.path(key);
        let key2 = key.clone();
        on_blocking_pool("deleting", key, move || -> Result<bool, StoreError> {
            let _lock = match lock_key(&path) {
                Ok(l) => l,
                // No folder: no object.
                Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(false),
                Err(e) => return Err(io_err("locking", &key2)(e)),
            };
            match fs::remove_file(&path) {
                Ok(()) => Ok(true),
                Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
                Err(e) => Err(io_err("deleting", &key2)(e)),
            }
        })
        .await?
    }

    async fn list(&self, prefix: &Key) -> Result<Vec<Key>, StoreError> {
        let this = self.clone();
        let prefix2 = prefix.clone();
        on_blocking_pool("listing", prefix, move || this.list_blocking(&prefix2)).await?
    }

    async fn list_folders(&self, prefix: &Key) -> Result<Vec<String>, StoreError> {
        let dir = self.path(prefix);
        let entries = match read_dir_if_present(&dir) {
            Ok(Some(e)) => e,
            Ok(None) => return Ok(Vec::new()),
            Err(e) => return Err(io_err("listing", prefix)(e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(io_err("listing", prefix))?;
            if entry.file_type().map(|t| t.is_dir()).unwrap_or(false)
                && let Some(name) = entry.file_name().to_str()
            {
                out.push(name.to_string());
            }
        }
        out.sort();
        Ok(out)
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn local_path(&self, key: &Key) -> Option<PathBuf> {
        Some(self.path(key))
    }

    fn sibling_container(&self, container: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
        Err(StoreError::Unsupported {
            location: format!("az://{container}"),
            reason: "the store is a local folder; `az://` locations need the store in Blob Storage (`--store az://...`)".into(),
        })
    }
}

/// Bytes `range` of a file (fewer at its end).
fn read_range(path: &Path, range: std::ops::Range<u64>) -> io::Result<Bytes> {
    use std::io::{Read, Seek, SeekFrom};
    let mut file = open_regular(path)?
        .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
    file.seek(SeekFrom::Start(range.start))?;
    let mut out =
        Vec::with_capacity(usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(0));
    file.take(range.end.saturating_sub(range.start))
        .read_to_end(&mut out)?;
    Ok(Bytes::from(out))
}

/// The entries of a folder; `None` when there is no folder there (an empty prefix, not an error).
fn read_dir_if_present(dir: &Path) -> io::Result<Option<fs::ReadDir>> {
    match fs::read_dir(dir) {
        Ok(entries) => Ok(Some(entries)),
        Err(e)
            if matches!(
                e.kind(),
                io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(e),
    }
}

/// Runs file-system work on tokio's blocking pool; a task that could not finish (a panic or a
/// runtime shutting down) is an I/O error of the operation `op` on `key`.
async fn on_blocking_pool<T: Send + 'static>(
    op: &'static str,
    key: &Key,
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, StoreError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| StoreError::Io {
            op,
            key: key.to_string(),
            source: io::Error::other(e),
        })
}

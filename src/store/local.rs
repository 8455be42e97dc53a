//! The embedded default: a folder on disk with the same keys as Blob Storage.
//!
//! Writes go to a temporary file in the target's folder and are renamed over it, so a reader sees
//! the old or the new document, never half of one. Conditional writes take an exclusive OS lock
//! (`flock`) on a sidecar `.{name}.driftscan-lock` file for the compare-and-rename, which serialises
//! writers of one key across threads and processes. Versions are content hashes, so they stay
//! valid across restarts and are the same for equal bytes.
//!
//! Every path below the store's folder is walked one component at a time from a directory handle
//! ([`open_folder`], [`open_regular_in`]), never through a symbolic link: a link or a special file
//! inside the store (or a data root) is never listed, read, written through or created in, so
//! nothing placed in the folder can make the store read or write outside it.

use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime};

use async_trait::async_trait;
use bytes::Bytes;
use cap_fs_ext::{DirExt, FollowSymlinks, OpenOptionsFollowExt};
use cap_std::ambient_authority;
use cap_std::fs::{Dir, OpenOptions, OpenOptionsExt};
use sha2::{Digest, Sha256};

use super::{Key, Object, ObjectMeta, PutCondition, Store, StoreError, Version};

/// Suffixes of the store's own sidecar files: hidden from listings, refused as key names.
pub const INTERNAL_SUFFIXES: [&str; 2] = [".driftscan-lock", ".driftscan-tmp"];

/// Whether a file name is one of the store's own sidecar files.
pub fn is_internal(name: &str) -> bool {
    INTERNAL_SUFFIXES.iter().any(|s| name.ends_with(s))
}

/// Age after which a `.driftscan-tmp` file is an orphan of a writer that died (a killed process)
/// and is removed by the next write to its folder. A live writer holds its temporary file for the
/// time of one write and rename of a document already in memory (milliseconds), so a file this
/// old belongs to no one.
pub const STALE_TEMP_AGE: Duration = Duration::from_secs(15 * 60);

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
        std::fs::create_dir_all(&root).map_err(|source| StoreError::Io {
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

    /// The store's folder as a directory handle: everything below it is opened relative to it.
    /// The folder itself is the operator's setting and is opened as configured.
    fn root_dir(&self) -> io::Result<Dir> {
        Dir::open_ambient_dir(&self.root, ambient_authority())
    }

    /// The folder holding `key` (created when `create`) and the key's last segment; `None` when
    /// a folder on the way does not exist.
    fn parent_of(&self, key: &Key, create: bool) -> io::Result<Option<(Dir, String)>> {
        let segments: Vec<&str> = key.segments().collect();
        let Some((name, folders)) = segments.split_last() else {
            return Ok(None);
        };
        let root = self.root_dir()?;
        Ok(open_folder(&root, folders, create)?.map(|dir| (dir, name.to_string())))
    }

    /// The regular file holding `key`, opened for reading; `None` when there is none.
    fn open_key(&self, key: &Key) -> io::Result<Option<std::fs::File>> {
        match self.parent_of(key, false)? {
            Some((dir, name)) => open_regular_in(&dir, &name),
            None => Ok(None),
        }
    }

    /// The folder named by `prefix` (the store's folder for the root key); `None` when missing or
    /// not a folder.
    fn open_prefix(&self, prefix: &Key) -> io::Result<Option<Dir>> {
        let segments: Vec<&str> = prefix.segments().collect();
        open_folder(&self.root_dir()?, &segments, false)
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

/// Opens the folder `segments` below `dir`, one component at a time and never through a symbolic
/// link (a link is an error, wherever it is on the path). A missing folder is created when
/// `create`, else the answer is `None`; so is a file where a folder was expected, when reading.
///
/// This is the one walk of the folder store and of data roots: reading, listing and writing all
/// go through it.
pub fn open_folder(dir: &Dir, segments: &[&str], create: bool) -> io::Result<Option<Dir>> {
    let mut current: Option<Dir> = None;
    for seg in segments {
        let here = current.as_ref().unwrap_or(dir);
        let next = match here.open_dir_nofollow(seg) {
            Ok(d) => d,
            Err(e) if e.kind() == io::ErrorKind::NotFound && create => {
                match here.create_dir(seg) {
                    Ok(()) => {}
                    Err(e) if e.kind() == io::ErrorKind::AlreadyExists => {}
                    Err(e) => return Err(e),
                }
                here.open_dir_nofollow(seg)
                    .map_err(|e| classify_folder_error(here, seg, e))?
            }
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
            Err(e) => {
                let e = classify_folder_error(here, seg, e);
                if !create && e.kind() == io::ErrorKind::NotADirectory {
                    return Ok(None);
                }
                return Err(e);
            }
        };
        current = Some(next);
    }
    match current {
        Some(d) => Ok(Some(d)),
        None => dir.try_clone().map(Some),
    }
}

/// Why a path component could not be opened as a folder: a symbolic link or special file is
/// [`not_regular`]; a file is `NotADirectory`.
fn classify_folder_error(dir: &Dir, seg: &str, e: io::Error) -> io::Error {
    match dir.symlink_metadata(seg) {
        Ok(m) if m.file_type().is_symlink() => not_regular(),
        Ok(m) if m.is_file() => io::Error::new(io::ErrorKind::NotADirectory, "not a folder"),
        Ok(m) if !m.is_dir() => not_regular(),
        _ => e,
    }
}

/// Opens the regular file `name` of `dir` for reading, never through a symbolic link: a symlink
/// (which could point anywhere on the machine) or a special file (`/dev/zero`, a FIFO) is refused
/// as an error, and nothing, or a folder, is `None`.
pub fn open_regular_in(dir: &Dir, name: &str) -> io::Result<Option<std::fs::File>> {
    let mut options = OpenOptions::new();
    options
        .read(true)
        .follow(FollowSymlinks::No)
        .custom_flags(libc::O_NONBLOCK);
    let file = match dir.open_with(name, &options) {
        Ok(f) => f.into_std(),
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
        Err(e) => return Err(classify_folder_error(dir, name, e)),
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

/// The one error for a symbolic link or special file met in a folder store or a data root.
fn not_regular() -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidInput,
        "not a regular file (symbolic links and special files are not read)",
    )
}

fn read_all(file: Option<std::fs::File>) -> io::Result<Option<Vec<u8>>> {
    use std::io::Read;
    let Some(mut file) = file else {
        return Ok(None);
    };
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    Ok(Some(bytes))
}

/// Holds the sidecar lock of one key; released when dropped (closing the file releases `flock`).
struct KeyLock(#[allow(dead_code)] std::fs::File);

fn lock_key(dir: &Dir, name: &str) -> io::Result<KeyLock> {
    let mut options = OpenOptions::new();
    options
        .create(true)
        .truncate(false)
        .write(true)
        .follow(FollowSymlinks::No);
    let file = dir
        .open_with(format!(".{name}{}", INTERNAL_SUFFIXES[0]), &options)
        .map_err(refuse_links)?
        .into_std();
    file.lock()?;
    Ok(KeyLock(file))
}

/// A link met where the store opens one of its own files is the same refusal as anywhere else.
fn refuse_links(e: io::Error) -> io::Error {
    if e.raw_os_error() == Some(libc::ELOOP) {
        not_regular()
    } else {
        e
    }
}

/// Writes `name` in `dir` through a fresh temporary file renamed over it. The temporary file is
/// created new (never an existing file or link) with the usual permissions (0666 less umask).
fn write_atomically(dir: &Dir, name: &str, bytes: &[u8]) -> io::Result<()> {
    let tmp = format!(
        ".{name}.{}.{}{}",
        std::process::id(),
        TEMP_COUNTER.fetch_add(1, Ordering::Relaxed),
        INTERNAL_SUFFIXES[1]
    );
    let mut options = OpenOptions::new();
    options
        .write(true)
        .create_new(true)
        .follow(FollowSymlinks::No);
    let result = (|| {
        let mut f = dir.open_with(&tmp, &options)?.into_std();
        f.write_all(bytes)?;
        f.sync_all()?;
        dir.rename(&tmp, dir, name)
    })();
    if result.is_err() {
        let _ = dir.remove_file(&tmp);
    }
    result
}

/// Removes the `.driftscan-tmp` files of `dir` older than [`STALE_TEMP_AGE`]: what writers killed
/// between creating and renaming their temporary file left behind. Best effort: a file that
/// cannot be inspected or removed stays.
fn remove_stale_temps(dir: &Dir) {
    let Ok(entries) = dir.entries() else { return };
    let now = SystemTime::now();
    for entry in entries.flatten() {
        let name = entry.file_name();
        let Some(name) = name.to_str() else { continue };
        if !name.ends_with(INTERNAL_SUFFIXES[1]) {
            continue;
        }
        let old = entry
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .and_then(|m| m.modified().ok())
            .and_then(|t| now.duration_since(t.into_std()).ok())
            .is_some_and(|age| age > STALE_TEMP_AGE);
        if old {
            let _ = dir.remove_file(name);
        }
    }
}

impl LocalStore {
    fn put_blocking(
        &self,
        key: &Key,
        bytes: &[u8],
        cond: &PutCondition,
    ) -> Result<Version, StoreError> {
        let Some((dir, name)) = self
            .parent_of(key, true)
            .map_err(io_err("creating folders for", key))?
        else {
            return Err(StoreError::InvalidKey {
                key: String::new(),
                reason: "cannot write to the store root".into(),
            });
        };
        let _lock = lock_key(&dir, &name).map_err(io_err("locking", key))?;
        let current = open_regular_in(&dir, &name)
            .and_then(read_all)
            .map_err(io_err("reading", key))?;
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
        remove_stale_temps(&dir);
        write_atomically(&dir, &name, bytes).map_err(io_err("writing", key))?;
        Ok(version_of(bytes))
    }

    fn list_blocking(&self, prefix: &Key) -> Result<Vec<Key>, StoreError> {
        let mut out = Vec::new();
        let Some(start) = self
            .open_prefix(prefix)
            .map_err(io_err("listing", prefix))?
        else {
            return Ok(out);
        };
        let mut stack = vec![(start, prefix.clone())];
        while let Some((dir, key)) = stack.pop() {
            for entry in dir.entries().map_err(io_err("listing", &key))? {
                let entry = entry.map_err(io_err("listing", &key))?;
                let Some(name) = entry.file_name().to_str().map(str::to_string) else {
                    continue;
                };
                if is_internal(&name) {
                    continue;
                }
                // Names that are not valid keys (odd characters) cannot be addressed: skip them.
                let Ok(child) = key.join(&name) else { continue };
                // Symbolic links and special files are never listed (nor read); the entry's type
                // is its own, not its target's.
                let ft = entry.file_type().map_err(io_err("listing", &key))?;
                if ft.is_dir() {
                    // Replaced by a link since it was listed: passed over like any link.
                    if let Ok(Some(sub)) = open_folder(&dir, &[name.as_str()], false) {
                        stack.push((sub, child));
                    }
                } else if ft.is_file() {
                    out.push(child);
                }
            }
        }
        out.sort();
        Ok(out)
    }

    fn head_blocking(&self, key: &Key) -> io::Result<Option<ObjectMeta>> {
        let Some((dir, name)) = self.parent_of(key, false)? else {
            return Ok(None);
        };
        let meta = match dir.symlink_metadata(&name) {
            Ok(m) => m,
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
                ) =>
            {
                return Ok(None);
            }
            Err(e) => return Err(e),
        };
        if meta.is_dir() {
            return Ok(None);
        }
        if !meta.is_file() {
            return Err(not_regular());
        }
        let modified = meta
            .modified()
            .ok()
            .and_then(|t| t.into_std().duration_since(std::time::UNIX_EPOCH).ok())
            .map_or(0, |d| d.as_nanos());
        Ok(Some(ObjectMeta {
            size: meta.len(),
            tag: format!("{}-{modified}", meta.len()),
        }))
    }

    fn delete_blocking(&self, key: &Key) -> Result<bool, StoreError> {
        // No folder: no object.
        let Some((dir, name)) = self
            .parent_of(key, false)
            .map_err(io_err("deleting", key))?
        else {
            return Ok(false);
        };
        let _lock = lock_key(&dir, &name).map_err(io_err("locking", key))?;
        match dir.remove_file(&name) {
            Ok(()) => Ok(true),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(false),
            Err(e) => Err(io_err("deleting", key)(e)),
        }
    }

    fn list_folders_blocking(&self, prefix: &Key) -> Result<Vec<String>, StoreError> {
        let Some(dir) = self
            .open_prefix(prefix)
            .map_err(io_err("listing", prefix))?
        else {
            return Ok(Vec::new());
        };
        let mut out = Vec::new();
        for entry in dir.entries().map_err(io_err("listing", prefix))? {
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

    /// The regular file holding `key`, opened for reading without following links, so readers
    /// read a folder store's files directly; `None` when there is none.
    pub fn open_file(&self, key: &Key) -> Result<Option<std::fs::File>, StoreError> {
        self.open_key(key).map_err(io_err("opening", key))
    }

    fn read_range_blocking(&self, key: &Key, range: std::ops::Range<u64>) -> io::Result<Bytes> {
        use std::io::{Read, Seek, SeekFrom};
        let mut file = self
            .open_key(key)?
            .ok_or_else(|| io::Error::new(io::ErrorKind::NotFound, "no such file"))?;
        file.seek(SeekFrom::Start(range.start))?;
        let mut out =
            Vec::with_capacity(usize::try_from(range.end.saturating_sub(range.start)).unwrap_or(0));
        file.take(range.end.saturating_sub(range.start))
            .read_to_end(&mut out)?;
        Ok(Bytes::from(out))
    }
}

#[async_trait]
impl Store for LocalStore {
    async fn get(&self, key: &Key) -> Result<Option<Object>, StoreError> {
        let this = self.clone();
        let key2 = key.clone();
        let bytes = on_blocking_pool("reading", key, move || {
            this.open_key(&key2).and_then(read_all)
        })
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
        let this = self.clone();
        let key2 = key.clone();
        on_blocking_pool("reading", key, move || this.head_blocking(&key2))
            .await?
            .map_err(io_err("reading", key))
    }

    async fn get_range(&self, key: &Key, range: std::ops::Range<u64>) -> Result<Bytes, StoreError> {
        let this = self.clone();
        let key2 = key.clone();
        on_blocking_pool("reading", key, move || {
            this.read_range_blocking(&key2, range)
        })
        .await?
        .map_err(io_err("reading", key))
    }

    async fn delete(&self, key: &Key) -> Result<bool, StoreError> {
        let this = self.clone();
        let key2 = key.clone();
        on_blocking_pool("deleting", key, move || this.delete_blocking(&key2)).await?
    }

    async fn list(&self, prefix: &Key) -> Result<Vec<Key>, StoreError> {
        let this = self.clone();
        let prefix2 = prefix.clone();
        on_blocking_pool("listing", prefix, move || this.list_blocking(&prefix2)).await?
    }

    async fn list_folders(&self, prefix: &Key) -> Result<Vec<String>, StoreError> {
        let this = self.clone();
        let prefix2 = prefix.clone();
        on_blocking_pool("listing", prefix, move || {
            this.list_folders_blocking(&prefix2)
        })
        .await?
    }

    fn describe(&self) -> String {
        self.root.display().to_string()
    }

    fn local_root(&self) -> Option<&Path> {
        Some(&self.root)
    }

    fn open_local_file(&self, key: &Key) -> Option<Result<Option<std::fs::File>, StoreError>> {
        Some(self.open_file(key))
    }

    fn sibling_container(&self, container: &str) -> Result<std::sync::Arc<dyn Store>, StoreError> {
        Err(StoreError::Unsupported {
            location: format!("az://{container}"),
            reason: "the store is a local folder; `az://` locations need the store in Blob Storage (`--store az://...`)".into(),
        })
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

//! Finding the files of a dataset in a store: a baseline location, a service's snapshots for a
//! window, or everything below a prefix. Which files count is defined once, here: data files as
//! the readers define them (compressed ones included) and saved profiles.

use std::sync::Arc;

use crate::data::{self, ByteSource, Input, OpenOnRead};
use crate::detector::{Detector, Segment, SnapshotTemplate, Window};
use crate::profile::is_profile_name;
use crate::store::{DataRoots, Key, Store, StoreError};

use super::PipelineError;
use super::source::input_for;

/// Whether a file below a dataset or snapshot location is read: a data file (`.csv`, `.parquet`,
/// `.jsonl`, ..., gzipped ones included) or a saved profile. Hidden files, markers and anything
/// else beside the snapshots are passed over.
pub fn is_input_file(key: &Key) -> bool {
    let name = key.segments().last().unwrap_or("");
    !name.starts_with('.') && (data::is_data_file_name(name) || is_profile_name(name))
}

/// Whether a key names a saved profile.
pub fn is_profile_key(key: &Key) -> bool {
    is_profile_name(key.as_str())
}

/// Keys of the snapshot files of one service over a window: the template (relative to `store`)
/// is rendered for each day, `*` / hour segments are expanded by listing folders, and every input
/// file below the resulting folders is taken. Missing folders simply yield nothing.
pub async fn snapshot_files(
    store: &dyn Store,
    template: &SnapshotTemplate,
    detector: &Detector,
    service: &str,
    window: &Window,
) -> Result<Vec<Key>, StoreError> {
    let mut files = Vec::new();
    for day in window.days() {
        let segments = template.render(service, &detector.model_name, detector.model_version, day);
        files.extend(files_below_segments(store, &segments).await?);
    }
    files.sort();
    files.dedup();
    Ok(files)
}

/// Keys of the input files below the folders that rendered template `segments` name (relative
/// to `store`): `*` / hour segments are expanded by listing folders; missing folders yield
/// nothing. Not sorted.
pub async fn files_below_segments(
    store: &dyn Store,
    segments: &[Segment],
) -> Result<Vec<Key>, StoreError> {
    let mut files = Vec::new();
    let mut prefixes = vec![Key::root()];
    for seg in segments {
        let mut next = Vec::new();
        for p in &prefixes {
            match seg {
                Segment::Exact(variants) => {
                    for v in variants {
                        // A rendered segment may contain characters a key refuses; such a
                        // folder cannot exist in the store.
                        if let Ok(k) = p.join(v) {
                            next.push(k);
                        }
                    }
                }
                Segment::Any(re) => {
                    for name in store.list_folders(p).await? {
                        if re.is_match(&name)
                            && let Ok(k) = p.join(&name)
                        {
                            next.push(k);
                        }
                    }
                }
            }
        }
        prefixes = next;
        if prefixes.is_empty() {
            break;
        }
    }
    for p in prefixes {
        files.extend(store.list(&p).await?.into_iter().filter(is_input_file));
    }
    Ok(files)
}

/// The store holding a detector's baseline and the baseline's files: the file itself (found with
/// a HEAD request, never downloaded to check), or the input files below a folder prefix. A
/// location outside the store and the data roots is refused before anything is read.
pub async fn baseline_files(
    store: &Arc<dyn Store>,
    roots: &DataRoots,
    location: &str,
) -> Result<(Arc<dyn Store>, Vec<Key>), StoreError> {
    let (data, key) = roots.open(store, location)?;
    let key = Key::parse(&key)?;
    if !key.is_root() && data.head(&key).await?.is_some() {
        return Ok((data, vec![key]));
    }
    let files: Vec<Key> = data
        .list(&key)
        .await?
        .into_iter()
        .filter(is_input_file)
        .collect();
    Ok((data, files))
}

/// Readers' inputs for keys of a store, in order, each opened only when the readers come to it
/// (see [`StoreFile`]); keys that vanished meanwhile are passed over then. Must be called inside
/// the async runtime whose I/O the files will use.
pub async fn inputs_for(store: &Arc<dyn Store>, keys: &[Key]) -> Result<Vec<Input>, StoreError> {
    let runtime = tokio::runtime::Handle::current();
    Ok(keys
        .iter()
        .map(|key| {
            Input::Deferred(Arc::new(StoreFile {
                store: Arc::clone(store),
                key: key.clone(),
                name: key.to_string(),
                runtime: runtime.clone(),
            }))
        })
        .collect())
}

/// A file of a store, opened ([`input_for`]) when the readers come to it: a snapshot of any
/// number of files holds one open at a time, and each file costs its one lookup then.
#[derive(Debug)]
struct StoreFile {
    store: Arc<dyn Store>,
    key: Key,
    name: String,
    runtime: tokio::runtime::Handle,
}

impl OpenOnRead for StoreFile {
    fn name(&self) -> &str {
        &self.name
    }

    fn open(&self) -> std::io::Result<Option<Arc<dyn ByteSource>>> {
        let input = self
            .runtime
            .block_on(input_for(&self.store, &self.key))
            .map_err(std::io::Error::other)?;
        match input {
            Some(input) => input.open().map_err(std::io::Error::other),
            None => Ok(None),
        }
    }
}

/// The data files of a dataset named by a key of a store: the object itself, or every data file
/// below it. `spec` is what the user gave, for messages.
pub async fn dataset_inputs(
    store: &Arc<dyn Store>,
    key: &Key,
    spec: &str,
) -> Result<Vec<Input>, PipelineError> {
    let keys: Vec<Key> = if !key.is_root() && store.head(key).await?.is_some() {
        vec![key.clone()]
    } else {
        store
            .list(key)
            .await?
            .into_iter()
            .filter(|k| is_input_file(k) && !is_profile_key(k))
            .collect()
    };
    if keys.is_empty() {
        return Err(PipelineError::NotFound(spec.to_string()));
    }
    Ok(inputs_for(store, &keys).await?)
}

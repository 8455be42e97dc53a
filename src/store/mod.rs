//! Where detectors, cached baseline profiles and run results live: a local folder or Azure Blob Storage.
//!
//! In: validated names and documents. Out: bytes under the keys of [`keys`], read back with their
//! version. The boundary is here because the service runs the same way on a laptop (folder) and in
//! Azure (Blob Storage); everything above this module is the same code for both.
//!
//! # The [`Store`] contract
//!
//! * Keys are [`Key`]s: built from checked segments only, so no request can reach outside the store.
//! * [`Store::put`] is atomic: a reader sees the previous document or the new one, never a mix.
//! * [`PutCondition::Create`] fails with [`StoreError::Conflict`] when the key exists;
//!   [`PutCondition::Match`] fails with it when the key changed (or vanished) since it was read.
//!   Read-decide-write sequences ([`record_run`], enable/disable) loop on `Conflict`.
//! * [`Store::list`] is recursive and returns full keys in order; [`Store::list_folders`] returns
//!   the child folder names of a prefix (Blob Storage lists by path segment, not by string prefix).
//!
//! # Locations
//!
//! [`open`] takes a folder path (`./drift-store`, `/var/lib/driftscan`) or `az://container[/prefix]`.
//! Baseline and snapshot locations inside a detector are keys relative to the store, `az://other/...`
//! (another container of the same account), or absolute folders (local store only).

pub mod blob;
pub mod keys;
pub mod local;
pub mod roots;

use std::sync::Arc;

use async_trait::async_trait;
use bytes::Bytes;
use chrono::{Datelike, NaiveDate};

pub use blob::BlobStore;
pub use keys::Key;
pub use local::LocalStore;
pub use roots::DataRoots;

use crate::detector::Detector;
use crate::drift::result::{RunResult, RunStatus};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// A key that could leave the store, or is otherwise not a key.
    #[error("invalid key `{key}`: {reason}")]
    InvalidKey {
        /// The key as given.
        key: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A conditional write lost: the key exists ([`PutCondition::Create`]) or changed
    /// ([`PutCondition::Match`]).
    #[error("`{key}` was changed by someone else")]
    Conflict {
        /// The key.
        key: String,
    },
    /// A folder-store file operation failed.
    #[error("{op} `{key}`")]
    Io {
        /// What was attempted.
        op: &'static str,
        /// The key or folder.
        key: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A Blob Storage request failed.
    #[error("{op} `{key}` in Blob Storage")]
    Blob {
        /// What was attempted.
        op: &'static str,
        /// The key.
        key: String,
        /// The cause.
        #[source]
        source: Box<object_store::Error>,
    },
    /// A store location or its credentials could not be set up.
    #[error("store `{location}`: {reason}")]
    Config {
        /// The location given.
        location: String,
        /// What is wrong.
        reason: String,
    },
    /// A detector location outside the store and the configured data roots.
    #[error(
        "location `{location}` is not in the store nor in a data root this server allows (DRIFTSCAN_DATA_ROOTS)"
    )]
    OutsideRoots {
        /// The location as given.
        location: String,
    },
    /// A location this kind of store cannot read.
    #[error("location `{location}`: {reason}")]
    Unsupported {
        /// The location.
        location: String,
        /// Why not.
        reason: String,
    },
    /// A stored document does not parse.
    #[error("`{key}` is not a valid stored document")]
    Corrupt {
        /// The key.
        key: String,
        /// The parse error.
        #[source]
        source: Box<dyn std::error::Error + Send + Sync>,
    },
    /// A conditional update kept losing to other writers.
    #[error("`{key}`: gave up after {attempts} conflicting concurrent writes")]
    Contended {
        /// The key.
        key: String,
        /// Attempts made.
        attempts: usize,
    },
}

/// Opaque version of a stored object: an ETag in Blob Storage, a content hash in a folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Version(pub String);

/// Bytes read with their version.
#[derive(Debug, Clone)]
pub struct Object {
    /// Content.
    pub bytes: Bytes,
    /// Version to pass to [`PutCondition::Match`].
    pub version: Version,
}

/// What a HEAD request tells about an object, without reading it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObjectMeta {
    /// Size in bytes.
    pub size: u64,
    /// Changes whenever the object changes (an ETag in Blob Storage, size and modification time
    /// in a folder). Not a [`Version`]: it cannot condition a write.
    pub tag: String,
}

/// When a write may happen.
#[derive(Debug, Clone)]
pub enum PutCondition {
    /// Always; replaces what is there.
    Overwrite,
    /// Only if nothing is stored under the key.
    Create,
    /// Only if the stored object still has this version.
    Match(Version),
}

/// A place to keep documents: see the module docs for the contract.
#[async_trait]
pub trait Store: Send + Sync + std::fmt::Debug {
    /// The object under `key`, or `None`.
    async fn get(&self, key: &Key) -> Result<Option<Object>, StoreError>;
    /// Writes atomically under `cond`; returns the new version.
    async fn put(&self, key: &Key, bytes: Bytes, cond: PutCondition)
    -> Result<Version, StoreError>;
    /// Size and change tag of `key` without reading it (a HEAD request), or `None`.
    async fn head(&self, key: &Key) -> Result<Option<ObjectMeta>, StoreError>;
    /// The bytes of `range` of the object under `key` (a ranged GET); fewer only at its end.
    async fn get_range(&self, key: &Key, range: std::ops::Range<u64>) -> Result<Bytes, StoreError>;
    /// Removes `key`; `false` when there was nothing to remove.
    async fn delete(&self, key: &Key) -> Result<bool, StoreError>;
    /// Every key below `prefix` (recursive), sorted.
    async fn list(&self, prefix: &Key) -> Result<Vec<Key>, StoreError>;
    /// Names of the folders directly below `prefix`, sorted.
    async fn list_folders(&self, prefix: &Key) -> Result<Vec<String>, StoreError>;
    /// The location, for messages.
    fn describe(&self) -> String;
    /// Another container of the same storage account (for `az://container/...` data locations).
    fn sibling_container(&self, container: &str) -> Result<Arc<dyn Store>, StoreError>;
    /// The folder on disk, for a local store (where local metrics default to).
    fn local_root(&self) -> Option<&std::path::Path> {
        None
    }
    /// For a store in a folder: the file that holds `key`, opened for reading without following
    /// symbolic links (see [`local`]), so readers read it directly. `None` for other stores.
    fn open_local_file(&self, _key: &Key) -> Option<Result<Option<std::fs::File>, StoreError>> {
        None
    }
}

/// Opens a store from a location: `az://container[/prefix]` or a folder path.
pub fn open(location: &str) -> Result<Arc<dyn Store>, StoreError> {
    if let Some((container, prefix)) = crate::base::text::split_az(location) {
        Ok(Arc::new(BlobStore::from_env(container, prefix)?))
    } else if location.contains("://") {
        Err(StoreError::Config {
            location: location.to_string(),
            reason: "unknown scheme; use a folder path or az://container[/prefix]".into(),
        })
    } else {
        Ok(Arc::new(LocalStore::new(location)?))
    }
}

fn to_json<T: serde::Serialize>(value: &T) -> Bytes {
    // Serialising plain data structs to JSON cannot fail (no maps with non-string keys).
    Bytes::from(serde_json::to_vec_pretty(value).expect("documents serialise to JSON"))
}

fn corrupt(key: &Key, e: impl std::error::Error + Send + Sync + 'static) -> StoreError {
    StoreError::Corrupt {
        key: key.to_string(),
        source: Box::new(e),
    }
}

/// Reads a stored detector with its version.
pub async fn get_detector(
    store: &dyn Store,
    name: &str,
) -> Result<Option<(Detector, Version)>, StoreError> {
    let key = keys::detector(name)?;
    match store.get(&key).await? {
        None => Ok(None),
        Some(obj) => {
            let d: Detector = serde_json::from_slice(&obj.bytes).map_err(|e| corrupt(&key, e))?;
            Ok(Some((d, obj.version)))
        }
    }
}

/// Writes a detector (already validated) under `cond`.
pub async fn put_detector(
    store: &dyn Store,
    detector: &Detector,
    cond: PutCondition,
) -> Result<Version, StoreError> {
    store
        .put(&keys::detector(&detector.name)?, to_json(detector), cond)
        .await
}

/// Every stored detector, by name. Definitions that no longer parse are reported, not skipped.
pub async fn list_detectors(store: &dyn Store) -> Result<Vec<Detector>, StoreError> {
    let mut out = Vec::new();
    for key in store.list(&keys::detectors_prefix()).await? {
        let Some(name) = key
            .as_str()
            .strip_prefix("detectors/")
            .and_then(|n| n.strip_suffix(".json"))
        else {
            continue;
        };
        if name.contains('/') {
            continue;
        }
        if let Some((d, _)) = get_detector(store, name).await? {
            out.push(d);
        }
    }
    Ok(out)
}

/// Applies `change` to a stored detector with a conditional write, retrying on concurrent edits.
/// `None` when the detector does not exist.
pub async fn update_detector(
    store: &dyn Store,
    name: &str,
    change: impl Fn(&Detector) -> Detector,
) -> Result<Option<Detector>, StoreError> {
    const ATTEMPTS: usize = 20;
    for _ in 0..ATTEMPTS {
        let Some((d, version)) = get_detector(store, name).await? else {
            return Ok(None);
        };
        let d = change(&d);
        match put_detector(store, &d, PutCondition::Match(version)).await {
            Ok(_) => return Ok(Some(d)),
            Err(StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contended {
        key: keys::detector(name)?.to_string(),
        attempts: ATTEMPTS,
    })
}

/// What [`record_run`] did with a result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Recorded {
    /// Written as the date's result (first run, or a rerun replacing the previous result).
    Result,
    /// Not succeeded while a succeeded result exists: kept beside it as the last failed attempt.
    FailedAttempt,
}

/// Stores a run result under `runs/{detector}/{service}/{yyyy}/{mm}/{dd}.json`.
///
/// A rerun replaces the date's result, except that a run that did not succeed (failed or no data)
/// never replaces a succeeded one: it goes to `{dd}.failed.json` instead, which the next success
/// of the date removes. The decision and the
/// write are one conditional update, retried when another run of the same date wrote in between,
/// so concurrent runs cannot interleave into a state neither would have produced.
pub async fn record_run(store: &dyn Store, result: &RunResult) -> Result<Recorded, StoreError> {
    const ATTEMPTS: usize = 50;
    let key = keys::run(&result.detector, &result.service_name, result.datetime)?;
    let bytes = to_json(result);
    for attempt in 0..ATTEMPTS {
        let cond = match store.get(&key).await? {
            None => PutCondition::Create,
            Some(existing) => {
                let keep_existing = result.run.status != RunStatus::Succeeded
                    && serde_json::from_slice::<RunResult>(&existing.bytes)
                        .map(|prev| prev.run.status == RunStatus::Succeeded)
                        .unwrap_or(false);
                if keep_existing {
                    let failed =
                        keys::failed_run(&result.detector, &result.service_name, result.datetime)?;
                    store.put(&failed, bytes, PutCondition::Overwrite).await?;
                    return Ok(Recorded::FailedAttempt);
                }
                PutCondition::Match(existing.version)
            }
        };
        match store.put(&key, bytes.clone(), cond).await {
            Ok(_) => {
                if result.run.status == RunStatus::Succeeded {
                    // A success supersedes earlier failed attempts of the date.
                    let failed =
                        keys::failed_run(&result.detector, &result.service_name, result.datetime)?;
                    store.delete(&failed).await?;
                }
                return Ok(Recorded::Result);
            }
            Err(StoreError::Conflict { .. }) => {
                // Back off a little so that two writers do not keep colliding in lockstep.
                let jitter = rand::random::<u64>() % (5 * (attempt as u64 + 1));
                tokio::time::sleep(std::time::Duration::from_millis(jitter)).await;
            }
            Err(e) => return Err(e),
        }
    }
    Err(StoreError::Contended {
        key: key.to_string(),
        attempts: ATTEMPTS,
    })
}

/// The stored result of each scoring date of one service in `start..=end` (the newest: a rerun
/// replaced earlier ones), with the last failed attempt of dates whose result it did not replace.
#[derive(Debug, Default)]
pub struct ServiceHistory {
    /// Results by date, oldest first.
    pub results: Vec<RunResult>,
    /// Failed attempts kept beside a succeeded result, oldest first.
    pub failed_attempts: Vec<RunResult>,
}

/// Reads a service's history between two dates (inclusive).
pub async fn service_history(
    store: &dyn Store,
    detector: &str,
    service: &str,
    start: NaiveDate,
    end: NaiveDate,
) -> Result<ServiceHistory, StoreError> {
    let mut history = ServiceHistory::default();
    visit_history(store, detector, service, start, end, |r, failed, _| {
        if failed {
            history.failed_attempts.push(r);
        } else {
            history.results.push(r);
        }
    })
    .await?;
    Ok(history)
}

/// Hands each stored result of a service between two dates (inclusive) to `visit`, oldest first,
/// decoded as `T` (a [`RunResult`], or a type that reads only some of its fields), with whether
/// it is a failed attempt kept beside a succeeded result, and the stored bytes. Only the month
/// folders of the range are listed and only the days in range are read, so a query of one day
/// costs the same whatever the length of the history.
pub async fn visit_history<T: serde::de::DeserializeOwned>(
    store: &dyn Store,
    detector: &str,
    service: &str,
    start: NaiveDate,
    end: NaiveDate,
    mut visit: impl FnMut(T, bool, Bytes),
) -> Result<(), StoreError> {
    let prefix = keys::runs_prefix(detector, service)?;
    let mut month = start.with_day(1).unwrap_or(start);
    while month <= end {
        let folder = prefix
            .join(&format!("{:04}", month.year()))?
            .join(&format!("{:02}", month.month()))?;
        let mut found: Vec<(NaiveDate, bool, Key)> = store
            .list(&folder)
            .await?
            .into_iter()
            .filter_map(|key| {
                let (date, failed) = keys::parse_run_key(key.as_str())?;
                (start <= date && date <= end).then_some((date, failed, key))
            })
            .collect();
        found.sort_by_key(|(date, failed, _)| (*date, *failed));
        for (_, failed, key) in found {
            let Some(obj) = store.get(&key).await? else {
                continue;
            };
            let decoded: T = serde_json::from_slice(&obj.bytes).map_err(|e| corrupt(&key, e))?;
            visit(decoded, failed, obj.bytes);
        }
        match month.checked_add_months(chrono::Months::new(1)) {
            Some(next) => month = next,
            None => break,
        }
    }
    Ok(())
}

/// The first and last scoring dates stored for a service, found by listing folders only.
pub async fn history_bounds(
    store: &dyn Store,
    detector: &str,
    service: &str,
) -> Result<Option<(NaiveDate, NaiveDate)>, StoreError> {
    let prefix = keys::runs_prefix(detector, service)?;
    let years = store.list_folders(&prefix).await?;
    let mut first = None;
    for year in &years {
        if let Some(d) = month_edge(store, &prefix.join(year)?, true).await? {
            first = Some(d);
            break;
        }
    }
    let mut last = None;
    for year in years.iter().rev() {
        if let Some(d) = month_edge(store, &prefix.join(year)?, false).await? {
            last = Some(d);
            break;
        }
    }
    Ok(first.zip(last))
}

/// The earliest (or latest) result date in a year folder.
async fn month_edge(
    store: &dyn Store,
    year: &Key,
    earliest: bool,
) -> Result<Option<NaiveDate>, StoreError> {
    let mut months = store.list_folders(year).await?;
    if !earliest {
        months.reverse();
    }
    for month in months {
        let dates = store
            .list(&year.join(&month)?)
            .await?
            .into_iter()
            .filter_map(|k| keys::parse_run_key(k.as_str()).map(|(d, _)| d));
        let edge = if earliest { dates.min() } else { dates.max() };
        if edge.is_some() {
            return Ok(edge);
        }
    }
    Ok(None)
}

/// The services a detector has stored results for (also after the detector was deleted).
pub async fn services_with_history(
    store: &dyn Store,
    detector: &str,
) -> Result<Vec<String>, StoreError> {
    let prefix = keys::runs_prefix(detector, "x")?;
    let parent = Key::from_segments(&prefix.segments().take(2).collect::<Vec<_>>())?;
    store.list_folders(&parent).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_rejects_unknown_schemes() {
        let err = open("s3://bucket").unwrap_err().to_string();
        assert!(err.contains("unknown scheme"), "{err}");
    }
}

//! A detector's baseline profile: read as it is when the baseline is a saved profile, otherwise
//! found in the store's cache by the content hash of the baseline's files, or built once and
//! cached there.
//!
//! A baseline's bytes are read at most once per change, and not at all while they do not change:
//! its files' identity (keys and change tags from HEAD requests) is mapped to their content hash
//! in the process and in the store (`baselines/{detector}/identity.json`), so a run, and the first
//! run after a restart, finds the cached profile without reading the data. Files whose identity
//! is new are profiled straight away, in the one pass that also computes their content hash
//! ([`crate::base::hash::ContentHasher`]); hashing first and profiling on a cache miss would read a
//! changed baseline twice.
//! Runs of the same baseline at the same time share one load: the first one reads or builds the
//! profile, the others wait for it and use the same copy in memory.

use std::collections::HashMap;
use std::sync::{Arc, LazyLock, Mutex};

use crate::detector::Detector;
use crate::drift::result::DatasetSummary;
use crate::profile::{self, Profile, ProfileOptions};
use crate::store::{Key, PutCondition, Store, keys};

use super::local::{declared_kinds, honours};
use super::locate::{baseline_files, inputs_for, is_profile_key};
use super::{PipelineError, blocking, error_chain};

/// Profiles kept in memory for later runs (a profile is a few to a few tens of MB).
const PROFILES_KEPT: usize = 4;

/// A loaded baseline and what a result reports of it.
#[derive(Debug, Clone)]
pub struct Baseline {
    /// The profile the target is compared with.
    pub profile: Arc<Profile>,
    /// Source, files and content hash, for the result.
    pub summary: DatasetSummary,
}

/// Content hashes by the identity of a baseline's files (store, keys and change tags).
static HASHES: LazyLock<Mutex<HashMap<String, String>>> = LazyLock::new(Default::default);

/// Profiles in memory and loads in flight, by store and cache key.
static PROFILES: LazyLock<Mutex<ProfileCache>> = LazyLock::new(Default::default);

#[derive(Default)]
struct ProfileCache {
    /// Loaded or loading, most recently used last.
    entries: Vec<(String, Arc<tokio::sync::OnceCell<Arc<Profile>>>)>,
}

impl ProfileCache {
    /// The cell for `key`, new or shared with runs already loading it.
    fn cell(&mut self, key: &str) -> Arc<tokio::sync::OnceCell<Arc<Profile>>> {
        if let Some(i) = self.entries.iter().position(|(k, _)| k == key) {
            let entry = self.entries.remove(i);
            let cell = Arc::clone(&entry.1);
            self.entries.push(entry);
            return cell;
        }
        let cell = Arc::new(tokio::sync::OnceCell::new());
        self.entries.push((key.to_string(), Arc::clone(&cell)));
        if self.entries.len() > PROFILES_KEPT {
            self.entries.remove(0);
        }
        cell
    }
}

/// The detector's baseline profile (see the module docs).
pub async fn load(store: &Arc<dyn Store>, detector: &Detector) -> Result<Baseline, PipelineError> {
    load_dataset(store, detector, IDENTITY_FILE).await
}

/// The reference outputs of the detector's prediction drift (`signals.prediction_drift.reference`,
/// a validation set's outputs): read or profiled once and cached as the baseline is, under their
/// own content hash, with their own record of their files' identity.
pub async fn load_reference_outputs(
    store: &Arc<dyn Store>,
    detector: &Detector,
    location: &str,
) -> Result<Baseline, PipelineError> {
    let mut outputs = (**detector).clone();
    outputs.baseline = location.to_string();
    let outputs = Detector::try_from(outputs)?;
    load_dataset(store, &outputs, OUTPUTS_IDENTITY_FILE).await
}

/// The record of the baseline's files' identity, in `baselines/{detector}/`.
const IDENTITY_FILE: &str = "identity.json";
/// The record of the reference outputs' files' identity, beside it.
const OUTPUTS_IDENTITY_FILE: &str = "outputs-identity.json";

/// The profile of `detector.baseline`, its identity recorded in `identity_file`.
async fn load_dataset(
    store: &Arc<dyn Store>,
    detector: &Detector,
    identity_file: &'static str,
) -> Result<Baseline, PipelineError> {
    let (data, files) = baseline_files(store, super::data_roots()?, &detector.baseline).await?;
    if files.is_empty() {
        return Err(PipelineError::NoBaseline(detector.baseline.clone()));
    }
    let declared = declared_kinds(&detector.feature_types);
    if files.iter().all(is_profile_key) {
        let profile = honours(read_profiles(&data, &files).await?, &declared)?;
        let summary = DatasetSummary {
            source: detector.baseline.clone(),
            files: profile.files.len(),
            rows: profile.rows,
            content_hash: Some(profile.content_hash.clone()),
        };
        return Ok(Baseline {
            profile: Arc::new(profile),
            summary,
        });
    }
    let files: Vec<Key> = files.into_iter().filter(|k| !is_profile_key(k)).collect();
    let identity = identity(&data, &files).await?;
    let remembered = HASHES.lock().ok().and_then(|h| h.get(&identity).cloned());
    let known = match remembered {
        Some(hash) => Some(hash),
        None => stored_hash(store, detector, identity_file, &identity).await,
    };
    let Some(hash) = known else {
        // New files: profile straight away (the profile carries the content hash). Runs that
        // start together share the one build, keyed by the files' identity.
        let cell = shared_cell(&format!(
            "{}|files|{identity}|{}",
            store.describe(),
            cache_id("", detector)
        ))?;
        let profile = Arc::clone(
            cell.get_or_try_init(|| build_and_cache(store, &data, &files, detector))
                .await?,
        );
        let hash = profile.content_hash.clone();
        remember_hash(store, detector, identity_file, &identity, &hash).await;
        // Later runs find it by its content hash without reading the cache back.
        let by_hash = keys::baseline(&detector.name, &cache_id(&hash, detector))?;
        let _ = shared_cell(&format!("{}|{by_hash}", store.describe()))?.set(Arc::clone(&profile));
        return Ok(baseline_of(detector, files.len(), profile, hash));
    };
    if let Ok(mut hashes) = HASHES.lock() {
        hashes.insert(identity, hash.clone());
    }
    let cache_key = keys::baseline(&detector.name, &cache_id(&hash, detector))?;
    let cell = shared_cell(&format!("{}|{cache_key}", store.describe()))?;
    let profile = cell
        .get_or_try_init(|| cached_or_built(store, &data, &files, &cache_key, detector))
        .await?;
    Ok(baseline_of(
        detector,
        files.len(),
        Arc::clone(profile),
        hash,
    ))
}

/// The name a baseline profile is cached under: its data's content hash, combined with the
/// detector's declared types when it has any, since those change how the same data is profiled.
fn cache_id(content_hash: &str, detector: &Detector) -> String {
    if detector.feature_types.is_empty() {
        return content_hash.to_string();
    }
    let declared: Vec<String> = detector
        .feature_types
        .iter()
        .map(|(name, t)| format!("{name}={}", t.as_str()))
        .collect();
    let text = format!("{content_hash}|{}", declared.join(","));
    hex::encode(crate::base::hash::sha256(text.as_bytes()))
}

/// The in-memory cell of a profile, shared by every run that asks for `key` while it is kept.
fn shared_cell(key: &str) -> Result<Arc<tokio::sync::OnceCell<Arc<Profile>>>, PipelineError> {
    Ok(PROFILES
        .lock()
        .map_err(|_| PipelineError::Panicked("baseline cache lock poisoned".into()))?
        .cell(key))
}

fn baseline_of(detector: &Detector, files: usize, profile: Arc<Profile>, hash: String) -> Baseline {
    Baseline {
        summary: DatasetSummary {
            source: detector.baseline.clone(),
            files,
            rows: profile.rows,
            content_hash: Some(hash),
        },
        profile,
    }
}

/// The profile cached under `cache_key`, or the baseline profiled and cached there.
async fn cached_or_built(
    store: &Arc<dyn Store>,
    data: &Arc<dyn Store>,
    files: &[Key],
    cache_key: &Key,
    detector: &Detector,
) -> Result<Arc<Profile>, PipelineError> {
    if let Some(obj) = store.get(cache_key).await? {
        let key_name = cache_key.to_string();
        let cached = blocking("reading the cached baseline profile", move || {
            Profile::from_bytes(&obj.bytes).map_err(|source| PipelineError::CachedProfile {
                key: key_name,
                source,
            })
        })
        .await;
        match cached {
            Ok(p) => return Ok(Arc::new(p)),
            // A cache written by another version: rebuild and replace it.
            Err(e) => {
                tracing::warn!(message = "Rebuilding unreadable cached baseline profile.", key = %cache_key, error = %error_chain(&e));
            }
        }
    }
    build_and_cache(store, data, files, detector).await
}

/// Profiles the baseline and caches the profile under its content hash.
async fn build_and_cache(
    store: &Arc<dyn Store>,
    data: &Arc<dyn Store>,
    files: &[Key],
    detector: &Detector,
) -> Result<Arc<Profile>, PipelineError> {
    let inputs = inputs_for(data, files).await?;
    let source_name = detector.baseline.clone();
    let declared = declared_kinds(&detector.feature_types);
    let profile = blocking("profiling the baseline", move || {
        let options = ProfileOptions {
            source: Some(source_name.clone()),
            pinned_kinds: declared,
            ..ProfileOptions::default()
        };
        profile::build(&inputs, &options).map_err(|source| PipelineError::Profile {
            side: "baseline",
            source_name,
            source,
        })
    })
    .await?;
    let profile = Arc::new(profile);
    let cache_key = keys::baseline(&detector.name, &cache_id(&profile.content_hash, detector))?;
    let encoded = Arc::clone(&profile);
    let bytes = blocking("encoding the baseline profile", move || {
        Ok(encoded.to_bytes())
    })
    .await?;
    // Caching is an optimisation: a run does not fail because the cache could not be written.
    if let Err(e) = store
        .put(&cache_key, bytes.into(), PutCondition::Overwrite)
        .await
    {
        tracing::warn!(message = "Could not cache the baseline profile.", key = %cache_key, error = %error_chain(&e));
    }
    Ok(profile)
}

/// What identifies a baseline's files without reading them: the store, their keys and change
/// tags (from HEAD requests).
async fn identity(data: &Arc<dyn Store>, files: &[Key]) -> Result<String, PipelineError> {
    let mut identity = data.describe();
    for key in files {
        let tag = data.head(key).await?.map(|m| m.tag).unwrap_or_default();
        identity.push_str(&format!("|{key}#{tag}"));
    }
    Ok(identity)
}

/// Where the store remembers which files the detector's cached baseline profile was built
/// from: `baselines/{detector}/identity.json` (`outputs-identity.json` for reference outputs).
fn identity_key(detector: &Detector, identity_file: &str) -> Result<Key, PipelineError> {
    Ok(keys::baseline_prefix(&detector.name)?.join(identity_file)?)
}

/// The files' identity as stored: its SHA-256, so the record holds no keys or tags.
#[derive(serde::Serialize, serde::Deserialize)]
struct IdentityRecord {
    identity_sha256: String,
    content_hash: String,
}

fn identity_digest(identity: &str) -> String {
    hex::encode(crate::base::hash::sha256(identity.as_bytes()))
}

/// The content hash the store remembers for these files, if it remembers these files. A record
/// that cannot be read is as good as none: the baseline is then profiled again.
async fn stored_hash(
    store: &Arc<dyn Store>,
    detector: &Detector,
    identity_file: &str,
    identity: &str,
) -> Option<String> {
    let object = store
        .get(&identity_key(detector, identity_file).ok()?)
        .await
        .ok()??;
    let record: IdentityRecord = serde_json::from_slice(&object.bytes).ok()?;
    (record.identity_sha256 == identity_digest(identity)).then_some(record.content_hash)
}

/// Remembers the files' content hash in the process and in the store. Like the cache itself,
/// an optimisation: a run does not fail because the record could not be written.
async fn remember_hash(
    store: &Arc<dyn Store>,
    detector: &Detector,
    identity_file: &str,
    identity: &str,
    hash: &str,
) {
    if let Ok(mut hashes) = HASHES.lock() {
        hashes.insert(identity.to_string(), hash.to_string());
    }
    let record = IdentityRecord {
        identity_sha256: identity_digest(identity),
        content_hash: hash.to_string(),
    };
    let written = match (
        identity_key(detector, identity_file),
        serde_json::to_vec(&record),
    ) {
        (Ok(key), Ok(bytes)) => store
            .put(&key, bytes.into(), PutCondition::Overwrite)
            .await
            .map_err(|e| error_chain(&e)),
        (Err(e), _) => Err(error_chain(&e)),
        (_, Err(e)) => Err(e.to_string()),
    };
    if let Err(error) = written {
        tracing::warn!(message = "Could not record the baseline's identity.", detector = %detector.name, %error);
    }
}

/// Saved profiles, merged in key order when there are several.
pub async fn read_profiles(store: &Arc<dyn Store>, keys: &[Key]) -> Result<Profile, PipelineError> {
    let mut encoded = Vec::with_capacity(keys.len());
    for key in keys {
        let obj = store
            .get(key)
            .await?
            .ok_or_else(|| PipelineError::NotFound(key.to_string()))?;
        encoded.push((key.to_string(), obj.bytes));
    }
    blocking("reading saved profiles", move || {
        let mut merged: Option<Profile> = None;
        for (key, bytes) in encoded {
            let p = Profile::from_bytes(&bytes).map_err(|source| PipelineError::CachedProfile {
                key: key.clone(),
                source,
            })?;
            match merged.as_mut() {
                None => merged = Some(p),
                Some(m) => m
                    .merge(&p)
                    .map_err(|source| PipelineError::CachedProfile { key, source })?,
            }
        }
        merged.ok_or_else(|| PipelineError::NotFound("no profile".into()))
    })
    .await
}

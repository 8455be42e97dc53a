//! Datasets the user names on the command line (a file, a folder, a glob, a cached `.profile`,
//! or `az://container/prefix`): profiled or read, ready to compare.

use std::sync::Arc;

use crate::data::{self, ColumnKind, Input};
use crate::drift::result::RunResult;
use crate::drift::scan::{self, RunContext, ScanOptions};
use crate::profile::{self, Profile, ProfileOptions};
use crate::store::{self, Key};

use super::PipelineError;

/// Extension of a cached profile file: such a path is read, never profiled.
pub use crate::profile::PROFILE_EXTENSION;

/// Whether a location names a cached profile rather than data.
pub fn is_profile_location(spec: &str) -> bool {
    spec.ends_with(PROFILE_EXTENSION)
}

/// Compares two datasets or profiles named on the command line: [`load_pair`], then the scan.
pub fn scan(
    baseline: &str,
    target: &str,
    options: &ScanOptions,
    context: &RunContext,
) -> Result<RunResult, PipelineError> {
    let (baseline, target) = load_pair(baseline, target)?;
    scan::compare(&baseline, &target, options, context).map_err(PipelineError::Scan)
}

/// Writes a profile to `path` atomically (beside the destination, then renamed): a reader never
/// sees half a profile. Returns the number of bytes written.
pub fn save_profile(profile: &Profile, path: &std::path::Path) -> Result<usize, PipelineError> {
    let bytes = profile.to_bytes();
    let io = |source| PipelineError::ReadFile {
        path: path.display().to_string(),
        source,
    };
    let dir = path
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir).map_err(io)?;
    std::io::Write::write_all(&mut tmp, &bytes).map_err(io)?;
    tmp.persist(path).map_err(|e| io(e.error))?;
    Ok(bytes.len())
}

/// The baseline (a cached profile or a dataset) and the target profiled with the baseline's column
/// types, so that a day whose first rows look different cannot change how a column is compared.
///
/// When both are datasets they are profiled at the same time, the target typed from its own data:
/// one dataset alone leaves a core idle part of the time. If the target's types then disagree with
/// the baseline's on a shared column, the target is profiled again with the baseline's types; the
/// result is the same as reading it pinned in the first place. A target that is itself a profile
/// is used as it is.
pub fn load_pair(baseline: &str, target: &str) -> Result<(Profile, Profile), PipelineError> {
    let read_baseline = || load("baseline", baseline, &ProfileOptions::default());
    let read_target = |pinned: Vec<(String, ColumnKind)>| {
        let options = ProfileOptions {
            pinned_kinds: pinned,
            ..ProfileOptions::default()
        };
        load("target", target, &options)
    };
    if is_profile_location(baseline) || is_profile_location(target) {
        let baseline = read_baseline()?;
        let target = read_target(baseline.kinds())?;
        return Ok((baseline, target));
    }
    let (baseline, speculative) = rayon::join(read_baseline, || read_target(Vec::new()));
    let baseline = baseline?;
    let agrees = |t: &Profile| {
        t.columns.iter().all(|c| {
            baseline
                .column(&c.name)
                .is_none_or(|b| b.kind() == c.kind())
        })
    };
    let target = match speculative {
        Ok(t) if agrees(&t) => t,
        other => {
            drop(other);
            read_target(baseline.kinds())?
        }
    };
    Ok((baseline, target))
}

/// Reads a cached profile, or profiles a dataset, naming `side` in errors.
pub fn load(
    side: &'static str,
    spec: &str,
    options: &ProfileOptions,
) -> Result<Profile, PipelineError> {
    if is_profile_location(spec) {
        read_profile_file(side, spec)
    } else {
        profile_dataset(side, spec, options)
    }
}

/// Reads a profile written by `driftscan profile`.
pub fn read_profile_file(side: &'static str, spec: &str) -> Result<Profile, PipelineError> {
    let bytes = match store_location(spec)? {
        Some((store, key)) => with_runtime(|| async move {
            store
                .get(&key)
                .await?
                .map(|o| o.bytes.to_vec())
                .ok_or_else(|| PipelineError::NotFound(spec.to_string()))
        })??,
        None => std::fs::read(spec).map_err(|source| PipelineError::ReadFile {
            path: spec.to_string(),
            source,
        })?,
    };
    Profile::from_bytes(&bytes).map_err(|source| PipelineError::Profile {
        side,
        source_name: spec.to_string(),
        source,
    })
}

/// Reads saved profiles and merges them into one (the profile of all their data together).
pub fn merge_profile_files(specs: &[String]) -> Result<Profile, PipelineError> {
    let mut merged: Option<Profile> = None;
    for spec in specs {
        let p = read_profile_file("profile", spec)?;
        match merged.as_mut() {
            None => merged = Some(p),
            Some(m) => m.merge(&p).map_err(|source| PipelineError::Profile {
                side: "profile",
                source_name: spec.clone(),
                source,
            })?,
        }
    }
    merged.ok_or_else(|| PipelineError::NotFound("no profile to merge".into()))
}

/// Profiles a dataset given as a file, a folder, a glob or `az://container/prefix`.
pub fn profile_dataset(
    side: &'static str,
    spec: &str,
    options: &ProfileOptions,
) -> Result<Profile, PipelineError> {
    let wrap = |source| PipelineError::Profile {
        side,
        source_name: spec.to_string(),
        source,
    };
    match store_location(spec)? {
        Some((store, prefix)) => {
            let options = ProfileOptions {
                source: options.source.clone().or_else(|| Some(spec.to_string())),
                ..options.clone()
            };
            let source_name = spec.to_string();
            with_runtime(|| async move {
                let inputs = super::locate::dataset_inputs(&store, &prefix, spec).await?;
                super::blocking("profiling", move || {
                    profile::build(&inputs, &options).map_err(|source| PipelineError::Profile {
                        side,
                        source_name,
                        source,
                    })
                })
                .await
            })?
        }
        None => {
            let inputs: Vec<Input> = data::resolve(spec).map_err(|e| wrap(e.into()))?;
            profile::build(&inputs, options).map_err(wrap)
        }
    }
}

/// A store and a key in it.
type StoreKey = (Arc<dyn store::Store>, Key);

/// `az://container/prefix` as a store and a key; `None` for local paths.
fn store_location(spec: &str) -> Result<Option<StoreKey>, PipelineError> {
    let Some(rest) = spec.strip_prefix("az://") else {
        return Ok(None);
    };
    let (container, key) = rest.split_once('/').unwrap_or((rest, ""));
    let store = store::open(&format!("az://{container}"))?;
    let key = Key::parse(key)?;
    Ok(Some((store, key)))
}

/// Runs async store work from the synchronous command line.
fn with_runtime<T, F, Fut>(work: F) -> Result<T, PipelineError>
where
    F: FnOnce() -> Fut,
    Fut: std::future::Future<Output = T>,
{
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|source| PipelineError::ReadFile {
            path: "async runtime".into(),
            source,
        })?;
    Ok(rt.block_on(work()))
}

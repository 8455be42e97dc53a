//! A dataset profiled where its files lie, by many workers at once (a Spark job's executors):
//! the driver lists the files ([`list_files`], [`list_snapshot_files`]) and pins the dataset's
//! schema from the head of its first file ([`files_schema`], as the command would), each worker
//! profiles its share, whole files or row groups of a large Parquet file ([`profile_files`]),
//! reading the bytes itself, and the partial profiles merge into the profile of the whole, the
//! same statistics as `driftscan profile` of the same files.
//!
//! A location is a local path or `az://container/key`; a worker opens `az://` locations with its
//! own credentials (the environment's, as the service does).

use std::sync::Arc;

use chrono::NaiveDate;

use crate::base::text::AZ_SCHEME;
use crate::data::{self, ColumnKind, DatasetSchema, Input, ReadError, ReadOptions};
use crate::detector::snapshots::SnapshotTemplate;
use crate::profile::{self, Profile, ProfileOptions};
use crate::store::{self, Key};

use super::PipelineError;
use super::local::{store_location, with_runtime};
use super::locate::{dataset_inputs, files_below_segments, inputs_for, is_profile_key};

/// HEAD requests in flight at once while sizing listed blobs.
const SIZING_REQUESTS: usize = 16;

/// Why a column left out by `features` is not profiled (never kept in a profile).
const NOT_A_FEATURE: &str = "not among the features";

/// One data file of a dataset: its location and size in bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DataFile {
    /// A local path or `az://container/key`.
    pub location: String,
    /// Size in bytes.
    pub bytes: u64,
}

/// The data files of a dataset given as a file, a folder, a glob or `az://container/prefix`, in
/// the order the command reads them, with their sizes.
pub fn list_files(spec: &str) -> Result<Vec<DataFile>, PipelineError> {
    let wrap = |e: ReadError| PipelineError::Profile {
        side: "dataset",
        source_name: spec.to_string(),
        source: e.into(),
    };
    match store_location(spec)? {
        Some((store, prefix)) => {
            let container = container_of(spec);
            with_runtime(|| async move {
                let inputs = dataset_inputs(&store, &prefix, spec).await?;
                let keys: Vec<Key> = inputs
                    .iter()
                    .map(|i| Key::parse(&i.name()))
                    .collect::<Result<_, _>>()?;
                sized(&store, &container, keys).await
            })?
        }
        None => data::resolve(spec)
            .map_err(wrap)?
            .into_iter()
            .map(|input| {
                let location = input.name();
                let bytes = std::fs::metadata(&location)
                    .map_err(|source| PipelineError::ReadFile {
                        path: location.clone(),
                        source,
                    })?
                    .len();
                Ok(DataFile { location, bytes })
            })
            .collect(),
    }
}

/// The data files of one service's day below `root` (a folder or `az://container[/prefix]`) by
/// a snapshot template whose first folder `root` is (the `modeldata` container of the legacy
/// collector, the `modelDataCollector` folder): the files the service reads for that day, found
/// the way it finds them, sorted by key. Saved profiles beside them are left out.
pub fn list_snapshot_files(
    root: &str,
    template: &str,
    service: &str,
    model: &str,
    version: u32,
    day: NaiveDate,
) -> Result<Vec<DataFile>, PipelineError> {
    let parsed = SnapshotTemplate::parse(template)?;
    let mut segments = parsed.render(service, model, version, day);
    if !segments.is_empty() {
        segments.remove(0);
    }
    let root = root.trim_end_matches('/').to_string();
    let store = store::open(&root)?;
    with_runtime(|| async move {
        let mut keys = files_below_segments(store.as_ref(), &segments).await?;
        keys.retain(|k| !is_profile_key(k));
        keys.sort();
        keys.dedup();
        let sizes = sized(&store, &root, keys).await?;
        Ok::<_, PipelineError>(sizes)
    })?
}

/// `az://container` of an `az://` location.
fn container_of(spec: &str) -> String {
    let container = crate::base::text::split_az(spec)
        .map(|(c, _)| c)
        .unwrap_or_default();
    format!("{AZ_SCHEME}{container}")
}

/// Each key below `root` (where `store` is opened) with its size, as a location under `root`.
async fn sized(
    store: &Arc<dyn store::Store>,
    root: &str,
    keys: Vec<Key>,
) -> Result<Vec<DataFile>, PipelineError> {
    use futures::StreamExt;
    let heads: Vec<_> = futures::stream::iter(keys)
        .map(|key| {
            let store = Arc::clone(store);
            async move {
                let meta = store.head(&key).await?;
                Ok::<_, store::StoreError>(meta.map(|m| DataFile {
                    location: format!("{root}/{key}"),
                    bytes: m.size,
                }))
            }
        })
        .buffered(SIZING_REQUESTS)
        .collect()
        .await;
    let mut files = Vec::new();
    for head in heads {
        // A file removed since it was listed is passed over, as by the readers.
        if let Some(file) = head? {
            files.push(file);
        }
    }
    Ok(files)
}

/// Runs `work` on the readers' inputs for `locations`: local paths, or `az://` locations of one
/// container (opened with this process's credentials, each only when the readers come to it).
fn with_inputs<T: Send + 'static>(
    locations: &[String],
    work: impl FnOnce(Vec<Input>) -> Result<T, PipelineError> + Send + 'static,
) -> Result<T, PipelineError> {
    let Some(first) = locations.first() else {
        return work(Vec::new());
    };
    if crate::base::text::split_az(first).is_none() {
        if let Some(az) = locations
            .iter()
            .find(|l| crate::base::text::split_az(l).is_some())
        {
            return Err(mixed(first, az));
        }
        return work(locations.iter().map(|l| Input::File(l.into())).collect());
    }
    let container = container_of(first);
    let mut keys = Vec::with_capacity(locations.len());
    for l in locations {
        if container_of(l) != container || crate::base::text::split_az(l).is_none() {
            return Err(mixed(first, l));
        }
        let (_, key) = crate::base::text::split_az(l).unwrap_or_default();
        keys.push(Key::parse(key)?);
    }
    let store = store::open(&container)?;
    with_runtime(|| async move {
        let inputs = inputs_for(&store, &keys).await?;
        super::blocking("profiling files", move || work(inputs)).await
    })?
}

fn mixed(a: &str, b: &str) -> PipelineError {
    PipelineError::Store(store::StoreError::Config {
        location: b.to_string(),
        reason: format!("a share of files must lie in one place: `{b}` is not beside `{a}`"),
    })
}

/// The dataset's schema, as the command pins it: from the head of the first of `locations`
/// that has rows (its footer for Parquet), with `pinned` kinds applied. Only that head is read.
pub fn files_schema(
    locations: &[String],
    pinned: &[(String, ColumnKind)],
) -> Result<DatasetSchema, PipelineError> {
    let name = locations.first().cloned().unwrap_or_default();
    let read = ReadOptions {
        pinned: pinned.to_vec(),
        ..ReadOptions::default()
    };
    with_inputs(locations, move |inputs| {
        data::read_schema(&inputs, &read).map_err(|e| PipelineError::Profile {
            side: "dataset",
            source_name: name,
            source: e.into(),
        })
    })
}

/// The row groups of a Parquet file, as (rows, compressed bytes), read from its footer.
pub fn parquet_row_groups(location: &str) -> Result<Vec<(u64, u64)>, PipelineError> {
    let name = location.to_string();
    with_inputs(&[location.to_string()], move |inputs| {
        data::parquet_row_groups(&inputs[0]).map_err(|e| PipelineError::Profile {
            side: "dataset",
            source_name: name,
            source: e.into(),
        })
    })
}

/// `schema` with only `features` read, in the schema's order; the other columns are left out
/// as excluded ones are (a file's extra columns are not warned about), and
/// [`profile_files`] drops them from the profile. Names the schema lacks are passed over.
fn select_features(mut schema: DatasetSchema, features: &[String]) -> DatasetSchema {
    let (kept, dropped): (Vec<_>, Vec<_>) = std::mem::take(&mut schema.columns)
        .into_iter()
        .partition(|c| features.contains(&c.name));
    schema.columns = kept;
    schema.excluded.retain(|(n, _)| features.contains(n));
    schema.excluded.extend(
        dropped
            .into_iter()
            .map(|c| (c.name, NOT_A_FEATURE.to_string())),
    );
    schema
}

/// The profile of a share of a dataset: `locations` (whole files, in the dataset's order), or
/// only `row_groups` of each (a share of a large Parquet file), read with the dataset's
/// `schema` ([`files_schema`]) so that the shares' profiles merge into the profile of the whole.
/// With `features`, only those columns are profiled. `None` when the share holds no rows (the
/// neutral element of a merge).
pub fn profile_files(
    name: &str,
    locations: &[String],
    schema: DatasetSchema,
    features: Option<&[String]>,
    row_groups: Option<Vec<usize>>,
    options: &ProfileOptions,
) -> Result<Option<Profile>, PipelineError> {
    let schema = match features {
        Some(f) => select_features(schema, f),
        None => schema,
    };
    let options = ProfileOptions {
        source: Some(name.to_string()),
        ..options.clone()
    };
    let read = ReadOptions {
        pinned: options.pinned_kinds.clone(),
        schema: Some(schema),
        parquet_row_groups: row_groups,
        ..ReadOptions::default()
    };
    let source_name = name.to_string();
    with_inputs(locations, move |inputs| {
        let built = profile::build_from(&options, |process, merge| {
            data::scan_with(&inputs, &read, process, merge)
        });
        match built {
            Ok(mut p) => {
                p.excluded.retain(|(_, reason)| reason != NOT_A_FEATURE);
                Ok(Some(p))
            }
            Err(profile::ProfileError::Read(ReadError::NoRows { .. })) => Ok(None),
            Err(source) => Err(PipelineError::Profile {
                side: "dataset",
                source_name,
                source,
            }),
        }
    })
}

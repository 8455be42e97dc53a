//! Datasets a user names (a file, a folder, a glob, a cached `.profile`, or
//! `az://container/prefix`), hands over as a profile, or streams as Arrow record batches (the
//! Python package): profiled or read, ready to compare.

use std::sync::Arc;

use arrow::record_batch::RecordBatchReader;
use chrono::NaiveDate;

use crate::base::output::write_output;
use crate::base::text::AZ_SCHEME;
use crate::data::{self, ColumnKind, Input};
use crate::drift::result::{RunResult, RunType};
use crate::drift::scan::{self, RunContext, ScanOptions};
use crate::profile::{self, Profile, ProfileOptions};
use crate::store::{self, Key};

use super::PipelineError;

/// Detector name written into the result of a scan that no detector asked for.
pub const ADHOC_DETECTOR: &str = "adhoc";

/// Service name written into the result of a scan that no detector asked for.
pub const ADHOC_SERVICE: &str = "local";

/// Model name written into an ad-hoc result when none is given.
pub const ADHOC_MODEL: &str = "model";

/// Seed of an ad-hoc scan unless one is given: the command line and the Python package share it.
pub use crate::drift::scan::DEFAULT_SCAN_SEED;

/// The context of an ad-hoc scan (command line, Python): no detector, service `local`, scored
/// today (UTC) unless a date is given.
pub fn adhoc_context(model_name: &str, model_version: u32, date: Option<NaiveDate>) -> RunContext {
    RunContext {
        detector: ADHOC_DETECTOR.to_string(),
        service_name: ADHOC_SERVICE.to_string(),
        model_name: model_name.to_string(),
        model_version,
        date: date.unwrap_or_else(|| chrono::Utc::now().date_naive()),
        run_type: RunType::Adhoc,
    }
}

/// One side of a comparison, however it was handed over.
pub enum Dataset {
    /// A location: a data file, a folder, a glob, `az://container/prefix` or a `.profile` file.
    Location(String),
    /// A profile already in memory (boxed: a profile is large beside a location).
    Profile(Box<Profile>),
    /// Arrow record batches (a DataFrame or table handed over through the Arrow C stream),
    /// typed by their Arrow schema. `name` describes them in the result and in messages.
    Batches {
        /// What the batches are, e.g. `<pandas.DataFrame>`.
        name: String,
        /// The batches; read once.
        reader: Box<dyn RecordBatchReader + Send>,
    },
    /// Files already found in a store (a detector's snapshot or baseline).
    Inputs {
        /// What they are, for messages.
        name: String,
        /// The files.
        inputs: Vec<Input>,
    },
}

impl std::fmt::Debug for Dataset {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Dataset::Location(l) => f.debug_tuple("Location").field(l).finish(),
            Dataset::Profile(p) => f.debug_tuple("Profile").field(&p.source).finish(),
            Dataset::Batches { name, .. } => f.debug_struct("Batches").field("name", name).finish(),
            Dataset::Inputs { name, .. } => f.debug_struct("Inputs").field("name", name).finish(),
        }
    }
}

/// Compares two datasets however each was handed over. Two locations go through [`load_pair`]
/// (profiled at once, the target typed like the baseline); otherwise the baseline is read or
/// profiled first and the target profiled with the baseline's column kinds.
pub fn scan_datasets(
    baseline: Dataset,
    target: Dataset,
    declared: &[(String, ColumnKind)],
    options: &ScanOptions,
    context: &RunContext,
) -> Result<RunResult, PipelineError> {
    let (baseline, target) = match (baseline, target) {
        (Dataset::Location(b), Dataset::Location(t)) => load_pair(&b, &t, declared)?,
        (baseline, target) => {
            let pinned = ProfileOptions {
                pinned_kinds: declared.to_vec(),
                ..ProfileOptions::default()
            };
            let baseline = honours(load_dataset("baseline", baseline, &pinned)?, declared)?;
            let target = load_dataset("target", target, &ProfileOptions::against(&baseline))?;
            (baseline, target)
        }
    };
    compare_one_shot(&baseline, &target, options, context)
}

/// A one-shot scan's result: input drift, and the signals a scan computes without a detector
/// ([`super::signals::one_shot`]: data quality with Azure ML's default thresholds).
pub fn compare_one_shot(
    baseline: &Profile,
    target: &Profile,
    options: &ScanOptions,
    context: &RunContext,
) -> Result<RunResult, PipelineError> {
    let mut result =
        scan::compare(baseline, target, options, context).map_err(PipelineError::Scan)?;
    result.signals = super::signals::evaluate(
        &super::signals::one_shot(&options.outputs),
        crate::detector::AlertOn::default(),
        baseline,
        target,
        &result,
    );
    Ok(result)
}

/// The profile of one side: read, profiled, or taken as it is. `options` apply to data that is
/// profiled (a profile given as a file or in memory is used as it is).
pub fn load_dataset(
    side: &'static str,
    dataset: Dataset,
    options: &ProfileOptions,
) -> Result<Profile, PipelineError> {
    match dataset {
        Dataset::Location(spec) => load(side, &spec, options),
        Dataset::Profile(p) => Ok(*p),
        Dataset::Batches { name, reader } => profile_batches(side, &name, reader, options),
        Dataset::Inputs { name, inputs } => {
            profile::build(&inputs, options).map_err(|source| PipelineError::Profile {
                side,
                source_name: name,
                source,
            })
        }
    }
}

/// Profiles a dataset handed in as Arrow record batches (pandas, polars, pyarrow or DuckDB through
/// the Arrow C stream, a Spark partition): the batches are read as they come, never copied to a
/// file, and typed by their Arrow schema as Parquet is. The profile is the same, statistics for
/// statistics, as the profile of the same rows read from a file.
pub fn profile_batches(
    side: &'static str,
    name: &str,
    reader: Box<dyn RecordBatchReader + Send>,
    options: &ProfileOptions,
) -> Result<Profile, PipelineError> {
    let options = ProfileOptions {
        source: Some(name.to_string()),
        ..options.clone()
    };
    let read = data::ReadOptions {
        pinned: options.pinned_kinds.clone(),
        ..data::ReadOptions::default()
    };
    profile::build_from(&options, |process, merge| {
        data::scan_batches(name, reader, &read, process, merge)
    })
    .map_err(|source| PipelineError::Profile {
        side,
        source_name: name.to_string(),
        source,
    })
}

/// Extension of a cached profile file: such a path is read, never profiled.
pub use crate::profile::PROFILE_EXTENSION;

/// Whether a location names a cached profile rather than data.
pub fn is_profile_location(spec: &str) -> bool {
    profile::is_profile_name(spec)
}

/// Compares two datasets or profiles named on the command line: [`load_pair`], then the scan.
pub fn scan(
    baseline: &str,
    target: &str,
    declared: &[(String, ColumnKind)],
    options: &ScanOptions,
    context: &RunContext,
) -> Result<RunResult, PipelineError> {
    let (baseline, target) = load_pair(baseline, target, declared)?;
    compare_one_shot(&baseline, &target, options, context)
}

/// Writes a profile to `path` by the rules of [`write_output`]: atomically (beside the
/// destination, then renamed) over nothing or a regular file, so a reader never sees half a
/// profile; as a stream into a FIFO or character device; never through or over a symbolic link.
/// Returns the number of bytes written.
pub fn save_profile(profile: &Profile, path: &std::path::Path) -> Result<usize, PipelineError> {
    let bytes = profile.to_bytes();
    write_output(path, &bytes).map_err(|source| PipelineError::WriteFile {
        path: path.display().to_string(),
        source,
    })?;
    Ok(bytes.len())
}

/// Writes a profile to a local path or to `az://container/key` (a Spark job writing the day's
/// profile into a detector's Blob store). Atomic either way: a rename beside the destination in a
/// folder, one Put Blob in a container, so the timer never reads half a profile. Replaces what is
/// there, so rerunning a job for the same day replaces its profile. Returns the bytes written.
pub fn save_profile_to(profile: &Profile, spec: &str) -> Result<usize, PipelineError> {
    let Some((store, key)) = store_location(spec)? else {
        return save_profile(profile, std::path::Path::new(spec));
    };
    if key.is_root() {
        return Err(PipelineError::Store(store::StoreError::Config {
            location: spec.to_string(),
            reason: "name the profile's blob: az://container/path/name.profile".into(),
        }));
    }
    let bytes = bytes::Bytes::from(profile.to_bytes());
    let written = bytes.len();
    with_runtime(|| async move { store.put(&key, bytes, store::PutCondition::Overwrite).await })??;
    Ok(written)
}

/// The baseline (a cached profile or a dataset) and the target profiled with the baseline's column
/// types, so that a day whose first rows look different cannot change how a column is compared.
///
/// When both are datasets they are profiled at the same time, the target typed from its own data:
/// one dataset alone leaves a core idle part of the time. If the target's types then disagree with
/// the baseline's on a shared column, the target is profiled again with the baseline's types; the
/// result is the same as reading it pinned in the first place. A target that is itself a profile
/// is used as it is.
pub fn load_pair(
    baseline: &str,
    target: &str,
    declared: &[(String, ColumnKind)],
) -> Result<(Profile, Profile), PipelineError> {
    let read_baseline = || {
        let options = ProfileOptions {
            pinned_kinds: declared.to_vec(),
            ..ProfileOptions::default()
        };
        load("baseline", baseline, &options).and_then(|p| honours(p, declared))
    };
    let read_target = |options: ProfileOptions| load("target", target, &options);
    if is_profile_location(baseline) || is_profile_location(target) {
        let baseline = read_baseline()?;
        let target = read_target(ProfileOptions::against(&baseline))?;
        return Ok((baseline, target));
    }
    let (baseline, speculative) =
        rayon::join(read_baseline, || read_target(ProfileOptions::default()));
    let baseline = baseline?;
    // Typed from its own data, the target may also have left out a column the baseline reads
    // (nested JSON values): read pinned, its values are type errors instead.
    let agrees = |t: &Profile| {
        let columns = baseline.columns_by_name();
        t.columns.iter().all(|c| {
            columns
                .get(c.name.as_str())
                .is_none_or(|b| b.kind() == c.kind())
        }) && t
            .excluded
            .iter()
            .all(|(name, _)| !columns.contains_key(name.as_str()))
    };
    // The target read beside the baseline did not know the baseline's ranges: its values
    // outside them come from its sketches, which is exact unless a sketch bucket straddles a
    // bound (only past 32,768 distinct values); then it is read again against the baseline.
    let bounds = baseline.numeric_bounds();
    let settled = speculative
        .ok()
        .filter(|t| agrees(t))
        .and_then(|mut t| t.count_outside_from_sketches(&bounds).then_some(t));
    let target = match settled {
        Some(t) => t,
        None => read_target(ProfileOptions::against(&baseline))?,
    };
    Ok((baseline, target))
}

/// Columns' declared types, `name=numeric` or `name=categorical` (the command line's `--type`,
/// Python's `types`), checked once: every surface that profiles takes them as pinned kinds, so a
/// column is read as declared whatever the file format, and the target like the baseline.
pub fn parse_declared_types<S: AsRef<str>>(
    items: impl IntoIterator<Item = (S, S)>,
) -> Result<Vec<(String, ColumnKind)>, PipelineError> {
    let mut declared: Vec<(String, ColumnKind)> = Vec::new();
    for (name, kind) in items {
        let (name, kind) = (name.as_ref().trim(), kind.as_ref());
        let parsed = ColumnKind::parse_declared(kind).ok_or_else(|| {
            PipelineError::DeclaredType(format!(
                "column `{name}`: type `{kind}` is not `numeric` or `categorical`"
            ))
        })?;
        if name.is_empty() || declared.iter().any(|(n, _)| n == name) {
            return Err(PipelineError::DeclaredType(format!(
                "column `{name}`: declare each column's type once, by name"
            )));
        }
        declared.push((name.to_string(), parsed));
    }
    Ok(declared)
}

/// [`parse_declared_types`] of `name=kind` items.
pub fn parse_type_flags(items: &[String]) -> Result<Vec<(String, ColumnKind)>, PipelineError> {
    let pairs = items
        .iter()
        .map(|item| {
            item.split_once('=').ok_or_else(|| {
                PipelineError::DeclaredType(format!(
                    "`{item}`: declare a type as NAME=numeric or NAME=categorical"
                ))
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    parse_declared_types(pairs)
}

/// A detector's declared types as the kinds the readers pin.
pub fn declared_kinds(
    types: &std::collections::BTreeMap<String, crate::detector::DeclaredType>,
) -> Vec<(String, ColumnKind)> {
    types
        .iter()
        .map(|(name, t)| {
            let kind = match t {
                crate::detector::DeclaredType::Numeric => ColumnKind::Numeric,
                crate::detector::DeclaredType::Categorical => ColumnKind::Text,
            };
            (name.clone(), kind)
        })
        .collect()
}

/// A baseline that was a saved profile keeps the kinds it was profiled with: a declared type it
/// contradicts is an error, never silently ignored.
pub(crate) fn honours(
    profile: Profile,
    declared: &[(String, ColumnKind)],
) -> Result<Profile, PipelineError> {
    let columns = profile.columns_by_name();
    for (name, kind) in declared {
        if let Some(c) = columns.get(name.as_str())
            && c.kind() != *kind
        {
            return Err(PipelineError::DeclaredType(format!(
                "column `{name}` is {} in the saved baseline profile `{}`, not {}: profile the data again with the type declared",
                c.kind().as_str(),
                profile.source,
                kind.as_str()
            )));
        }
    }
    Ok(profile)
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
pub(super) type StoreKey = (Arc<dyn store::Store>, Key);

/// `az://container/prefix` as a store and a key; `None` for local paths.
pub(super) fn store_location(spec: &str) -> Result<Option<StoreKey>, PipelineError> {
    let Some((container, key)) = crate::base::text::split_az(spec) else {
        return Ok(None);
    };
    let store = store::open(&format!("{AZ_SCHEME}{container}"))?;
    let key = Key::parse(key)?;
    Ok(Some((store, key)))
}

/// Runs async store work from the synchronous command line.
pub(super) fn with_runtime<T, F, Fut>(work: F) -> Result<T, PipelineError>
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

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{
        ArrayRef, Float64Array, Int64Array, RecordBatch, RecordBatchIterator, StringArray,
    };
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::error::ArrowError;

    use super::*;

    /// Rows `cuts[0]..cuts[last]` of a three-column table, one batch between each two cuts.
    fn batches(cuts: &[i64]) -> Box<dyn RecordBatchReader + Send> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, false),
            Field::new("x", DataType::Float64, true),
            Field::new("c", DataType::Utf8, true),
        ]));
        let batches: Vec<Result<RecordBatch, ArrowError>> = cuts
            .windows(2)
            .map(|w| {
                let r = w[0]..w[1];
                let n: ArrayRef = Arc::new(Int64Array::from_iter_values(r.clone()));
                let x: ArrayRef = Arc::new(Float64Array::from_iter(
                    r.clone().map(|i| (i % 7 != 0).then_some(i as f64 * 0.5)),
                ));
                let c: ArrayRef = Arc::new(StringArray::from_iter_values(
                    r.clone().map(|i| ["a", "b", "c"][(i % 3) as usize]),
                ));
                Ok(RecordBatch::try_new(schema.clone(), vec![n, x, c]).unwrap())
            })
            .collect();
        Box::new(RecordBatchIterator::new(batches, schema))
    }

    #[test]
    fn batches_profile_like_the_same_table_in_any_batching_and_every_time() {
        let options = ProfileOptions::default();
        let one = profile_batches("target", "<table>", batches(&[0, 5000]), &options).unwrap();
        let again = profile_batches("target", "<table>", batches(&[0, 5000]), &options).unwrap();
        // Compared in their binary form: the sample keeps missing values as NaN.
        assert_eq!(one.to_bytes(), again.to_bytes());
        assert_eq!(one.rows, 5000);
        assert_eq!(one.source, "<table>");
        assert_eq!(one.files[0].name, "<table>");
        let kinds: Vec<_> = one
            .kinds()
            .into_iter()
            .map(|(n, k)| (n, k.as_str()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("n".into(), "numeric"),
                ("x".into(), "numeric"),
                ("c".into(), "text")
            ]
        );
        assert_eq!(one.numeric("x").unwrap().missing, 715);
        // Batch boundaries do not reach the statistics (the content hash covers the batches as
        // handed in, so it is provenance and may differ).
        let split =
            profile_batches("target", "<table>", batches(&[0, 1, 2500, 5000]), &options).unwrap();
        assert_eq!(split.statistics_bytes(), one.statistics_bytes());
    }

    #[test]
    fn a_failing_producer_is_an_error_naming_the_table() {
        let schema = Arc::new(Schema::new(vec![Field::new("x", DataType::Float64, true)]));
        let failing = RecordBatchIterator::new(
            vec![Err(ArrowError::ComputeError("producer gave up".into()))],
            schema,
        );
        let e = profile_batches(
            "target",
            "<frame>",
            Box::new(failing),
            &ProfileOptions::default(),
        )
        .unwrap_err();
        assert_eq!(
            crate::pipeline::error_chain(&e),
            "reading target `<frame>`: `<frame>`: cannot read Arrow batches: Compute error: producer gave up"
        );
    }

    #[test]
    fn a_profile_and_batches_scan_with_the_baseline_types() {
        let baseline = profile_batches(
            "baseline",
            "<b>",
            batches(&[0, 3000]),
            &ProfileOptions::default(),
        )
        .unwrap();
        let result = scan_datasets(
            Dataset::Profile(Box::new(baseline)),
            Dataset::Batches {
                name: "<t>".into(),
                reader: batches(&[0, 3000]),
            },
            &[],
            &ScanOptions::default(),
            &adhoc_context(ADHOC_MODEL, 1, None),
        )
        .unwrap();
        assert_eq!(result.coefficient(), Some(0.0));
        assert_eq!(result.target.source, "<t>");
        assert_eq!(result.features.len(), 3);
    }
}

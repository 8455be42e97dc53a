//! Typed Arrow batches in, a mergeable, serialisable [`Profile`] out, in one streaming pass.
//!
//! # Model
//!
//! [`build`] reads a dataset once through [`crate::data::scan`]. Every chunk of rows is profiled
//! on the thread pool into a partial profile (its columns in parallel too), and the partials are
//! merged **in chunk order**, so the same input gives the same profile, bit for bit, whatever the
//! number of threads. Numeric values are the exception: they go straight into one sketch per
//! worker (`SketchSets`), merged at the end, since a sketch does not depend on the order of its
//! inserts and merges. Per column it keeps:
//!
//! * numeric: counts by validity (missing, invalid, non-finite), mean and M2 (Chan's formula),
//!   min, max and a [`sketch::ValueSketch`], exact for up to 32,768 distinct values and
//!   within a documented error beyond;
//! * text: exact category counts up to a cap (see [`text`]).
//!
//! Beside the columns, a [`sample::RowSample`] keeps up to 100,000 whole rows (bottom-k on a
//! seeded hash of each row's position), so the domain classifier can run from a cached profile.
//! Memory is bounded by the sketch budget, the category cap and the sample capacity, not by
//! the number of rows.
//!
//! Profiles merge ([`Profile::merge`]): profiling two halves and merging gives the same counts
//! and sketches as profiling the whole, and means and standard deviations equal to rounding.
//! [`Profile::to_bytes`] writes a versioned, compressed binary form for caching baselines.
//!
//! # Example
//!
//! ```
//! use driftscan::{data, profile, drift::metrics};
//! let options = profile::ProfileOptions::default();
//! let base = profile::build(&data::resolve("tests/data/basic.csv")?, &options)?;
//! let target = profile::build(&data::resolve("tests/data/basic_target.csv")?, &options)?;
//! let (a, b) = (base.numeric("age").unwrap(), target.numeric("age").unwrap());
//! for m in metrics::numeric(a, b) {
//!     println!("{} = {}", m.name, m.value);
//! }
//! // A cached baseline gives the same answer.
//! let cached = profile::Profile::from_bytes(&base.to_bytes())?;
//! assert_eq!(metrics::numeric(cached.numeric("age").unwrap(), b), metrics::numeric(a, b));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
pub mod numeric;
pub mod sample;
pub mod sketch;
pub mod text;

use std::collections::BinaryHeap;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::Array;
use rayon::prelude::*;

pub use codec::{FORMAT_VERSION, MAGIC};
pub use numeric::NumericProfile;
pub use text::TextProfile;

use crate::data::{self, Chunk, ChunkColumn, ColumnKind, FileInfo, Input, ReadError};
use sample::{MISSING_CODE, RowSample, SampleColumn};
use sketch::ValueSketch;

/// File extension of a saved profile (`driftscan profile --out train.profile`).
pub const PROFILE_EXTENSION: &str = ".profile";

/// Default number of rows kept in the row sample.
pub const DEFAULT_SAMPLE_CAPACITY: usize = 100_000;

/// Default seed of the row sample.
pub const DEFAULT_SEED: u64 = 0x5eed_d21f_75ca_2026;

/// A text column is categorical when it has fewer distinct values than this ...
pub const CATEGORICAL_MAX_DISTINCT: usize = 100;

/// ... and at most this share of its rows distinct (or at most `sqrt(rows)`, see
/// [`ColumnProfile::feature_type`]).
pub const CATEGORICAL_MAX_SHARE: f64 = 0.05;

/// Summary of one dataset: per-column sketches and statistics plus a bounded row sample.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// What was profiled (path, glob, blob prefix), for messages and results.
    pub source: String,
    /// Hex SHA-256 over, per file in order, its name (last path segment), size and the SHA-256 of
    /// its bytes: the key under which a baseline profile is cached.
    pub content_hash: String,
    /// Rows profiled.
    pub rows: u64,
    /// Seed of the row sample.
    pub seed: u64,
    /// The files read.
    pub files: Vec<FileInfo>,
    /// Columns not profiled, with the reason (`$aml_*` bookkeeping, unsupported types).
    pub excluded: Vec<(String, String)>,
    /// Things that did not stop profiling (one sentence each).
    pub warnings: Vec<String>,
    /// Profiled columns, in the order of the first file.
    pub columns: Vec<ColumnProfile>,
    /// Up to `capacity` whole rows, for the domain classifier.
    pub sample: RowSample,
}

/// One profiled column.
#[derive(Debug, Clone, PartialEq)]
pub struct ColumnProfile {
    /// Name, as in the data.
    pub name: String,
    /// What was learnt about it.
    pub stats: ColumnStats,
}

/// The statistics of a column, by kind.
#[derive(Debug, Clone, PartialEq)]
pub enum ColumnStats {
    /// A numeric column.
    Numeric(NumericProfile),
    /// A text column.
    Text(TextProfile),
}

/// How a column takes part in a drift comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FeatureType {
    /// Compared by value.
    Numeric,
    /// Compared by category frequencies.
    Categorical,
    /// Not compared unless the user names it; the reason says why.
    Excluded(String),
}

impl ColumnProfile {
    /// Numeric or text.
    pub fn kind(&self) -> ColumnKind {
        match self.stats {
            ColumnStats::Numeric(_) => ColumnKind::Numeric,
            ColumnStats::Text(_) => ColumnKind::Text,
        }
    }

    /// The numeric statistics, for a numeric column.
    pub fn numeric(&self) -> Option<&NumericProfile> {
        match &self.stats {
            ColumnStats::Numeric(n) => Some(n),
            ColumnStats::Text(_) => None,
        }
    }

    /// The category counts, for a text column.
    pub fn text(&self) -> Option<&TextProfile> {
        match &self.stats {
            ColumnStats::Text(t) => Some(t),
            ColumnStats::Numeric(_) => None,
        }
    }

    /// Rows seen.
    pub fn rows(&self) -> u64 {
        match &self.stats {
            ColumnStats::Numeric(n) => n.rows,
            ColumnStats::Text(t) => t.rows,
        }
    }

    /// Empty or null values over rows.
    pub fn missing_rate(&self) -> f64 {
        match &self.stats {
            ColumnStats::Numeric(n) => n.missing_rate(),
            ColumnStats::Text(t) => t.missing_rate(),
        }
    }

    /// Whether the column is compared, and how, when the user did not name features.
    ///
    /// Numeric columns are numeric features. A text column is categorical when it has fewer
    /// than [`CATEGORICAL_MAX_DISTINCT`] (100) distinct values **and** at most
    /// `max(5 % of rows, sqrt(rows))` of them. Azure ML's rule is "< 100 distinct and < 5 % of
    /// rows"; on a dataset under 2,000 rows the 5 % rule alone would leave almost nothing
    /// categorical (a 3-category column of 40 rows is 7.5 % distinct), so small datasets may use
    /// up to `sqrt(rows)` categories instead; from 2,000 rows on the rule is Azure ML's cap of
    /// 100. Other text columns (identifiers, free text) are excluded with the reason; the user
    /// can still name them, and they are then compared by their top categories plus "other".
    pub fn feature_type(&self) -> FeatureType {
        match &self.stats {
            ColumnStats::Numeric(_) => FeatureType::Numeric,
            ColumnStats::Text(t) => {
                let distinct = t.distinct();
                if distinct == 0 {
                    return FeatureType::Excluded("no values (every row is missing)".into());
                }
                let rows = t.rows as f64;
                let allowed = (CATEGORICAL_MAX_SHARE * rows).max(rows.sqrt());
                if t.overflowed || distinct >= CATEGORICAL_MAX_DISTINCT {
                    let count = if t.overflowed {
                        format!("about {:.0}", t.distinct_estimate())
                    } else {
                        distinct.to_string()
                    };
                    FeatureType::Excluded(format!(
                        "text with {count} distinct values (categorical needs fewer than {CATEGORICAL_MAX_DISTINCT}); name it in the feature list to compare its top categories"
                    ))
                } else if distinct as f64 > allowed {
                    FeatureType::Excluded(format!(
                        "text with {distinct} distinct values in {} rows (categorical needs at most {} here: 5 % of rows or their square root); name it in the feature list to compare it",
                        t.rows,
                        allowed.floor()
                    ))
                } else {
                    FeatureType::Categorical
                }
            }
        }
    }
}

/// Knobs of profiling.
#[derive(Debug, Clone)]
pub struct ProfileOptions {
    /// Seed of the row sample's priorities. Default [`DEFAULT_SEED`].
    pub seed: u64,
    /// Rows kept in the row sample. Default [`DEFAULT_SAMPLE_CAPACITY`] (100,000).
    pub sample_capacity: usize,
    /// Bucket budget of each numeric column's sketch. Default
    /// [`sketch::DEFAULT_MAX_BUCKETS`] (32,768).
    pub max_buckets: usize,
    /// Distinct categories counted exactly per text column. Default
    /// [`text::DEFAULT_CATEGORY_CAP`] (10,000).
    pub category_cap: usize,
    /// How to describe the source in the profile; by default the input names.
    pub source: Option<String>,
    /// Column kinds fixed in advance (typically [`Profile::kinds`] of the baseline when
    /// profiling a target); other columns are typed from the data. Default: none.
    pub pinned_kinds: Vec<(String, ColumnKind)>,
}

impl Default for ProfileOptions {
    fn default() -> Self {
        ProfileOptions {
            seed: DEFAULT_SEED,
            sample_capacity: DEFAULT_SAMPLE_CAPACITY,
            max_buckets: sketch::DEFAULT_MAX_BUCKETS,
            category_cap: text::DEFAULT_CATEGORY_CAP,
            source: None,
            pinned_kinds: Vec::new(),
        }
    }
}

/// Why a dataset could not be profiled, or a profile not read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The data could not be read.
    #[error(transparent)]
    Read(#[from] ReadError),
    /// No input was given.
    #[error("no input files to profile")]
    NoInputs,
    /// Bytes that do not start with the profile magic.
    #[error("not a driftscan profile (the file does not start with the profile header)")]
    NotAProfile,
    /// A profile written by another format version.
    #[error(
        "profile format version {found} is not supported (this driftscan reads version {expected}); profile the data again"
    )]
    Version {
        /// Version in the file.
        found: u32,
        /// Version this build reads.
        expected: u32,
    },
    /// A damaged profile.
    #[error("corrupt profile: {0}")]
    Corrupt(String),
    /// Two profiles that cannot be merged.
    #[error("cannot merge profiles: {0}")]
    Incompatible(String),
    /// A requested feature that is not a column of the data.
    #[error("feature `{name}` is not a column of `{source_name}` (columns: {available})")]
    UnknownFeature {
        /// The requested name.
        name: String,
        /// The profile's source.
        source_name: String,
        /// The columns there are, comma-separated.
        available: String,
    },
}

/// Collects the chunks' samples and merges them in batches: merging every chunk's few rows into
/// a full sample would rebuild all of its rows each time. Chunk samples wait until they hold as
/// many rows as the capacity, then merge into the sample in one selection. Meanwhile the
/// `capacity` smallest priorities seen so far bound which rows can still enter, so later chunks
/// offer fewer and fewer rows. The result is the same bottom-k set as merging one by one.
struct SampleAccumulator {
    sample: RowSample,
    pending: Vec<RowSample>,
    pending_rows: usize,
    /// The `capacity` smallest priorities seen so far, largest on top.
    smallest: BinaryHeap<u64>,
}

impl SampleAccumulator {
    fn new(capacity: usize) -> Self {
        SampleAccumulator {
            sample: RowSample {
                capacity,
                ..RowSample::default()
            },
            pending: Vec::new(),
            pending_rows: 0,
            smallest: BinaryHeap::with_capacity(capacity + 1),
        }
    }

    /// Rows with a priority at or above this cannot enter the sample any more.
    fn threshold(&self) -> u64 {
        match self.smallest.peek() {
            Some(&top) if self.smallest.len() >= self.sample.capacity => top,
            _ => u64::MAX,
        }
    }

    fn push(&mut self, s: RowSample) -> Result<(), String> {
        let capacity = self.sample.capacity;
        for &p in &s.priorities {
            if self.smallest.len() < capacity {
                self.smallest.push(p);
            } else if self.smallest.peek().is_some_and(|&top| p < top) {
                self.smallest.pop();
                self.smallest.push(p);
            }
        }
        self.pending_rows += s.len();
        self.pending.push(s);
        if self.pending_rows >= capacity {
            self.compact()?;
        }
        Ok(())
    }

    fn compact(&mut self) -> Result<(), String> {
        let pending = std::mem::take(&mut self.pending);
        self.pending_rows = 0;
        self.sample.merge_all(&pending)
    }
}

/// One sketch per column for each task that profiles chunks at the same time: a task takes a set,
/// adds its chunk's values and puts the set back for the next chunk. Sketches do not depend on
/// the order of inserts and merges, so merging the sets at the end gives the dataset's sketches
/// whatever the threads did.
struct SketchSets {
    free: Mutex<Vec<Vec<ValueSketch>>>,
    max_buckets: usize,
}

impl SketchSets {
    fn take(&self, columns: usize) -> Vec<ValueSketch> {
        let set = self.free.lock().ok().and_then(|mut free| free.pop());
        set.unwrap_or_else(|| vec![ValueSketch::new(self.max_buckets); columns])
    }

    fn put(&self, set: Vec<ValueSketch>) {
        if let Ok(mut free) = self.free.lock() {
            free.push(set);
        }
    }

    /// The sketches of everything added, one per column (in parallel over columns).
    fn merged(self) -> Vec<ValueSketch> {
        let sets = self.free.into_inner().unwrap_or_default();
        // Column by column: every set's sketch of column c, to merge into one.
        let mut by_column: Vec<Vec<ValueSketch>> = Vec::new();
        for set in sets {
            by_column.resize_with(set.len(), Vec::new);
            for (column, sketch) in by_column.iter_mut().zip(set) {
                column.push(sketch);
            }
        }
        by_column
            .into_par_iter()
            .map(|sketches| {
                let mut sketches = sketches.into_iter();
                let mut merged = sketches.next().unwrap_or_default();
                merged.finish();
                for mut other in sketches {
                    other.finish();
                    merged.merge(&other);
                }
                merged
            })
            .collect()
    }
}

/// The partial profile of one chunk, or of all chunks merged so far. Numeric columns carry
/// counts and moments; their values went into a [`SketchSets`] set.
struct Partial {
    columns: Vec<ColumnStats>,
    sample: RowSample,
}

impl Partial {
    /// Merges columns in parallel (they are independent) beside the sample.
    fn merge(&mut self, other: Partial, samples: &mut SampleAccumulator) -> Result<(), String> {
        let (columns, sample) = rayon::join(
            || {
                self.columns
                    .par_iter_mut()
                    .zip(other.columns.par_iter())
                    .map(|(a, b)| match (a, b) {
                        (ColumnStats::Numeric(x), ColumnStats::Numeric(y)) => {
                            x.merge(y);
                            Ok(())
                        }
                        (ColumnStats::Text(x), ColumnStats::Text(y)) => {
                            x.merge(y);
                            Ok(())
                        }
                        _ => Err("column kinds differ between chunks".to_string()),
                    })
                    .collect::<Result<(), String>>()
            },
            || samples.push(other.sample),
        );
        columns.and(sample)
    }
}

fn profile_column(
    column: &ChunkColumn,
    sketch: &mut ValueSketch,
    options: &ProfileOptions,
) -> ColumnStats {
    match column {
        ChunkColumn::Numeric { values, invalid } => {
            let mut p = NumericProfile::new(options.max_buckets);
            p.add_to(values, *invalid, sketch);
            ColumnStats::Numeric(p)
        }
        ChunkColumn::Text(values) => {
            let mut p = TextProfile::new(options.category_cap);
            p.add(values);
            ColumnStats::Text(p)
        }
    }
}

/// The rows of one chunk that may enter the sample: priority below `threshold`, at most
/// `capacity` of them, in priority order. Numbers that are missing, invalid or non-finite
/// become NaN.
fn sample_chunk(chunk: &Chunk, options: &ProfileOptions, threshold: u64) -> RowSample {
    let capacity = options.sample_capacity.max(1);
    let mut picked: Vec<(u64, usize)> = (0..chunk.rows)
        .map(|r| {
            (
                sample::priority(options.seed, chunk.file_key, chunk.index as u64, r as u64),
                r,
            )
        })
        .filter(|p| p.0 < threshold)
        .collect();
    if picked.len() > capacity {
        picked.select_nth_unstable(capacity);
        picked.truncate(capacity);
    }
    picked.sort_unstable();
    let columns = chunk
        .columns
        .iter()
        .map(|c| match c {
            ChunkColumn::Numeric { values, .. } => SampleColumn::Numeric(
                picked
                    .iter()
                    .map(|&(_, r)| {
                        if values.is_valid(r) && values.value(r).is_finite() {
                            values.value(r)
                        } else {
                            f64::NAN
                        }
                    })
                    .collect(),
            ),
            ChunkColumn::Text(values) => {
                let mut labels: Vec<&str> = picked
                    .iter()
                    .filter(|&&(_, r)| values.is_valid(r))
                    .map(|&(_, r)| values.value(r))
                    .collect();
                labels.sort_unstable();
                labels.dedup();
                let codes = picked
                    .iter()
                    .map(|&(_, r)| {
                        if values.is_valid(r) {
                            labels
                                .binary_search(&values.value(r))
                                .map(|p| p as u32)
                                .unwrap_or(MISSING_CODE)
                        } else {
                            MISSING_CODE
                        }
                    })
                    .collect();
                SampleColumn::Categorical {
                    codes,
                    dictionary: labels.into_iter().map(str::to_string).collect(),
                }
            }
        })
        .collect();
    RowSample {
        capacity,
        priorities: picked.iter().map(|p| p.0).collect(),
        names: Vec::new(),
        columns,
    }
}

/// Profiles a dataset made of one or more files in one streaming pass.
pub fn build(inputs: &[Input], options: &ProfileOptions) -> Result<Profile, ProfileError> {
    if inputs.is_empty() {
        return Err(ProfileError::NoInputs);
    }
    let threshold = AtomicU64::new(u64::MAX);
    let sketches = SketchSets {
        free: Mutex::new(Vec::new()),
        max_buckets: options.max_buckets,
    };
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let process = |chunk: &Chunk| -> Partial {
        let t = threshold.load(Ordering::Relaxed);
        let mut set = sketches.take(chunk.columns.len());
        let (columns, sample) = rayon::join(
            || {
                chunk
                    .columns
                    .par_iter()
                    .zip(set.par_iter_mut())
                    .map(|(c, sketch)| profile_column(c, sketch, options))
                    .collect::<Vec<_>>()
            },
            || sample_chunk(chunk, options, t),
        );
        sketches.put(set);
        Partial { columns, sample }
    };
    let mut acc: Option<Partial> = None;
    let mut samples = SampleAccumulator::new(options.sample_capacity.max(1));
    let merge = |mut p: Partial| {
        let merged = match acc.as_mut() {
            None => {
                let first = std::mem::take(&mut p.sample);
                acc = Some(p);
                samples.push(first)
            }
            Some(a) => a.merge(p, &mut samples),
        };
        if let Err(e) = merged
            && let Ok(mut f) = failure.lock()
        {
            f.get_or_insert(e);
        }
        threshold.store(samples.threshold(), Ordering::Relaxed);
    };
    let info = data::scan_pinned(inputs, &options.pinned_kinds, process, merge)?;
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(ProfileError::Incompatible(e));
    }
    let Some(mut acc) = acc else {
        return Err(ProfileError::Read(ReadError::NoRows {
            file: inputs[0].name(),
        }));
    };
    for (column, sketch) in acc.columns.iter_mut().zip(sketches.merged()) {
        if let ColumnStats::Numeric(n) = column {
            n.sketch = sketch;
        }
    }
    samples.compact().map_err(ProfileError::Incompatible)?;
    let mut sample = samples.sample;
    let names: Vec<String> = info.schema.columns.iter().map(|c| c.name.clone()).collect();
    sample.names = names.clone();
    sample.capacity = options.sample_capacity.max(1);
    let columns = names
        .into_iter()
        .zip(acc.columns)
        .map(|(name, stats)| ColumnProfile { name, stats })
        .collect();
    let source = options.source.clone().unwrap_or_else(|| match inputs {
        [one] => one.name(),
        [first, rest @ ..] => format!("{} and {} more file(s)", first.name(), rest.len()),
        [] => String::new(),
    });
    Ok(Profile {
        source,
        content_hash: info.content_hash,
        rows: info.files.iter().map(|f| f.rows).sum(),
        seed: options.seed,
        files: info.files,
        excluded: info.schema.excluded,
        warnings: info.warnings,
        columns,
        sample,
    })
}

impl Profile {
    /// Versioned binary encoding, for caching baseline profiles: the same profile always gives
    /// the same bytes.
    pub fn to_bytes(&self) -> Vec<u8> {
        codec::encode(self)
    }

    /// Reads what [`Profile::to_bytes`] wrote; rejects other format versions with a clear error.
    pub fn from_bytes(bytes: &[u8]) -> Result<Profile, ProfileError> {
        codec::decode(bytes)
    }

    /// True when `bytes` start like a profile (to tell a cached profile from a data file).
    pub fn is_profile(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// A numeric column's statistics by name.
    pub fn numeric(&self, name: &str) -> Option<&NumericProfile> {
        self.column(name).and_then(ColumnProfile::numeric)
    }

    /// A text column's counts by name.
    pub fn text(&self, name: &str) -> Option<&TextProfile> {
        self.column(name).and_then(ColumnProfile::text)
    }

    /// The kind of every column, to pin a target's reading to the baseline's types
    /// ([`ProfileOptions::pinned_kinds`]).
    pub fn kinds(&self) -> Vec<(String, ColumnKind)> {
        self.columns
            .iter()
            .map(|c| (c.name.clone(), c.kind()))
            .collect()
    }

    /// The columns to compare and how. Without a list, every column with its
    /// [`ColumnProfile::feature_type`] (excluded ones too, so their reasons can be reported).
    /// With a list, exactly those columns, in the list's order, a text column always as
    /// categorical (the user's choice overrides typing); a name that is not a column is an error.
    pub fn features(
        &self,
        requested: Option<&[String]>,
    ) -> Result<Vec<(&ColumnProfile, FeatureType)>, ProfileError> {
        let Some(requested) = requested else {
            return Ok(self.columns.iter().map(|c| (c, c.feature_type())).collect());
        };
        let mut out = Vec::with_capacity(requested.len());
        for name in requested {
            if out
                .iter()
                .any(|(c, _): &(&ColumnProfile, FeatureType)| &c.name == name)
            {
                continue;
            }
            let column = self
                .column(name)
                .ok_or_else(|| ProfileError::UnknownFeature {
                    name: name.clone(),
                    source_name: self.source.clone(),
                    available: self
                        .columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                })?;
            let kind = match column.kind() {
                ColumnKind::Numeric => FeatureType::Numeric,
                ColumnKind::Text => FeatureType::Categorical,
            };
            out.push((column, kind));
        }
        Ok(out)
    }

    /// Every column's feature type, in column order.
    pub fn feature_types(&self) -> Vec<(&str, FeatureType)> {
        self.columns
            .iter()
            .map(|c| (c.name.as_str(), c.feature_type()))
            .collect()
    }

    /// Adds another profile of more data with the same columns (for example the next day's
    /// files). Counts and sketches become exactly those of profiling everything together; the
    /// row sample keeps the smallest priorities of both.
    pub fn merge(&mut self, other: &Profile) -> Result<(), ProfileError> {
        let shape = |p: &Profile| -> Vec<(String, ColumnKind)> {
            p.columns
                .iter()
                .map(|c| (c.name.clone(), c.kind()))
                .collect()
        };
        if shape(self) != shape(other) {
            return Err(ProfileError::Incompatible(format!(
                "the columns differ: `{}` has {:?}, `{}` has {:?}",
                self.source,
                shape(self),
                other.source,
                shape(other)
            )));
        }
        if self.seed != other.seed {
            return Err(ProfileError::Incompatible(format!(
                "the row samples use different seeds ({} and {})",
                self.seed, other.seed
            )));
        }
        let mut sample = self.sample.clone();
        sample
            .merge(&other.sample)
            .map_err(ProfileError::Incompatible)?;
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            match (&mut a.stats, &b.stats) {
                (ColumnStats::Numeric(x), ColumnStats::Numeric(y)) => x.merge(y),
                (ColumnStats::Text(x), ColumnStats::Text(y)) => x.merge(y),
                _ => unreachable!("kinds compared above"),
            }
        }
        self.sample = sample;
        self.rows += other.rows;
        self.files.extend(other.files.iter().cloned());
        for e in &other.excluded {
            if !self.excluded.contains(e) {
                self.excluded.push(e.clone());
            }
        }
        self.warnings.extend(other.warnings.iter().cloned());
        self.source = format!("{} + {}", self.source, other.source);
        use sha2::Digest;
        let mut h = sha2::Sha256::new();
        h.update(self.content_hash.as_bytes());
        h.update(other.content_hash.as_bytes());
        self.content_hash = hex::encode(h.finalize());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use bytes::Bytes;

    fn mem(name: &str, text: &str) -> Input {
        Input::Memory {
            name: name.into(),
            bytes: Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    fn text_column(values: &[&str]) -> ColumnProfile {
        let mut t = TextProfile::new(1000);
        t.add(&arrow::array::StringArray::from(values.to_vec()));
        ColumnProfile {
            name: "c".into(),
            stats: ColumnStats::Text(t),
        }
    }

    #[test]
    fn small_datasets_keep_a_few_categories() {
        // 40 rows, 3 categories: 7.5 % distinct, but sqrt(40) = 6.3 allows them.
        let v: Vec<&str> = (0..40).map(|i| ["a", "b", "c"][i % 3]).collect();
        assert_eq!(text_column(&v).feature_type(), FeatureType::Categorical);
        // 40 rows, 20 distinct: an identifier, excluded.
        let ids: Vec<String> = (0..40).map(|i| format!("id{}", i % 20)).collect();
        let ids: Vec<&str> = ids.iter().map(String::as_str).collect();
        assert!(matches!(
            text_column(&ids).feature_type(),
            FeatureType::Excluded(_)
        ));
    }

    #[test]
    fn large_datasets_follow_the_100_cap() {
        let labels: Vec<String> = (0..150).map(|i| format!("c{i}")).collect();
        let v: Vec<&str> = (0..10_000).map(|i| labels[i % 99].as_str()).collect();
        assert_eq!(text_column(&v).feature_type(), FeatureType::Categorical);
        let v: Vec<&str> = (0..10_000).map(|i| labels[i % 150].as_str()).collect();
        match text_column(&v).feature_type() {
            FeatureType::Excluded(r) => assert!(r.contains("150 distinct"), "{r}"),
            t => panic!("{t:?}"),
        }
    }

    #[test]
    fn bytes_round_trip_and_are_deterministic() {
        let input = mem("a.csv", "x,c\n1,a\n2,b\n,a\nnan,\n5.5,b\n");
        let p = build(std::slice::from_ref(&input), &ProfileOptions::default()).unwrap();
        let bytes = p.to_bytes();
        assert_eq!(
            bytes,
            build(&[input], &ProfileOptions::default())
                .unwrap()
                .to_bytes()
        );
        let back = Profile::from_bytes(&bytes).unwrap();
        assert_eq!(back.to_bytes(), bytes);
        assert_eq!(back.columns, p.columns);
        let x = back.numeric("x").unwrap();
        assert_eq!((x.rows, x.missing, x.non_finite, x.count), (5, 1, 1, 3));
        assert_eq!(back.sample.len(), 5);
    }

    #[test]
    fn bad_bytes_are_rejected_clearly() {
        assert!(matches!(
            Profile::from_bytes(b"hello"),
            Err(ProfileError::NotAProfile)
        ));
        let input = mem("a.csv", "x\n1\n2\n");
        let mut bytes = build(&[input], &ProfileOptions::default())
            .unwrap()
            .to_bytes();
        bytes[8] = 99;
        let e = Profile::from_bytes(&bytes).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("profile format version 99 is not supported"),
            "{e}"
        );
        bytes[8] = FORMAT_VERSION as u8;
        let n = bytes.len();
        bytes.truncate(n - 5);
        assert!(matches!(
            Profile::from_bytes(&bytes),
            Err(ProfileError::Corrupt(_))
        ));
    }
}

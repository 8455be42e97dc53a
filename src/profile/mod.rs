//! Typed Arrow batches in, a mergeable, serialisable [`Profile`] out, in one streaming pass.
//!
//! # Model
//!
//! [`build`] reads a dataset once through [`crate::data::scan_pinned`]; [`build_from`] profiles
//! whatever any other chunk driver feeds (an Arrow record-batch source, a Spark partition): a
//! driver calls `process` on every chunk, on any thread, and hands each result to `merge`. Every
//! chunk is profiled into a partial profile (its columns in parallel), and the partials are
//! merged in whatever order they come. Numeric values go straight into one sketch per worker
//! (`SketchSets`), merged at the end. Per column it keeps:
//!
//! * numeric: counts by validity (missing, invalid, non-finite), the exact sum and sum of squares
//!   ([`moments::Moments`]: mean and standard deviation without rounding drift or overflow), min,
//!   max and a [`sketch::ValueSketch`], exact for up to 32,768 distinct values and within a
//!   documented error beyond;
//! * text: exact category counts up to a cap, past it the categories with the smallest label
//!   hashes (see [`text`]).
//!
//! Beside the columns, a [`sample::DistinctSample`] keeps up to 100,000 distinct rows (bottom-k on
//! a seeded hash of each row's *content*, with the number of times each occurs), from which the
//! [`sample::RowSample`] the domain classifier reads is drawn. Memory is bounded by the sketch
//! budget, the category cap and the sample capacity, not by the number of rows.
//!
//! # Partition invariance
//!
//! Every statistic is a function of the multiset of rows alone: counts add, moments are exact
//! integers, sketches and bottom-k sets merge exactly. So a dataset's profile is the same bytes
//! however it was split into files, chunks or partitions, on any number of threads, and merged in
//! any order or grouping ([`Profile::merge`], [`Profile::merge_all`]). A profile has two parts:
//! the **statistics** (rows, seed, columns with their statistics, excluded columns, row sample),
//! which are canonical, and the **provenance** (source label, files, content hash, warnings),
//! which says where the rows came from and so depends on how they were stored.
//! [`Profile::statistics_bytes`] is the canonical encoding of the statistics: the profile of a
//! Spark DataFrame in 16 shuffled partitions and `driftscan profile` of the same rows in one file
//! have the same statistics bytes. [`Profile::to_bytes`] writes both parts, versioned and
//! compressed, for caching baselines.
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
//! // Profiles of parts merge into the profile of the whole.
//! let both = profile::Profile::merge_all(vec![base.clone(), target.clone()])?;
//! assert_eq!(both.rows, base.rows + target.rows);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod codec;
pub mod moments;
pub mod numeric;
pub mod sample;
pub mod sketch;
pub mod text;

use std::collections::{HashMap, HashSet};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};

use rayon::prelude::*;

pub use codec::{FORMAT_VERSION, MAGIC, MAX_DECODED_BYTES};
pub use numeric::{NumericProfile, OutsideRange, SketchOutside};
pub use text::TextProfile;

use crate::data::{self, Chunk, ChunkColumn, ColumnKind, DatasetInfo, FileInfo, Input, ReadError};
use sample::{DistinctSample, RowSample};
use sketch::ValueSketch;

/// File extension of a saved profile (`driftscan profile --out train.profile`).
pub const PROFILE_EXTENSION: &str = ".profile";

/// Whether a file name or location names a saved profile: it ends with [`PROFILE_EXTENSION`], in
/// any case (`TRAIN.PROFILE` is a profile on every surface).
pub fn is_profile_name(name: &str) -> bool {
    name.len() >= PROFILE_EXTENSION.len()
        && name.is_char_boundary(name.len() - PROFILE_EXTENSION.len())
        && name[name.len() - PROFILE_EXTENSION.len()..].eq_ignore_ascii_case(PROFILE_EXTENSION)
}

/// Default number of rows kept in the row sample.
pub const DEFAULT_SAMPLE_CAPACITY: usize = 100_000;

/// Default seed of the row sample.
pub const DEFAULT_SEED: u64 = 0x5eed_d21f_75ca_2026;

/// A text column is categorical when it has fewer distinct values than this ...
pub const CATEGORICAL_MAX_DISTINCT: usize = 100;

/// ... and at most this share of its rows distinct (or at most `sqrt(rows)`, see
/// [`ColumnProfile::feature_type`]).
pub const CATEGORICAL_MAX_SHARE: f64 = 0.05;

/// Summary of one dataset: per-column statistics plus a bounded row sample (the statistics,
/// canonical), and where the data came from (the provenance). See the module docs.
#[derive(Debug, Clone, PartialEq)]
pub struct Profile {
    /// Provenance: what was profiled (path, glob, blob prefix), for messages and results. A merged
    /// profile lists its parts' sources, sorted, joined by ` + `.
    pub source: String,
    /// Provenance: hex SHA-256 over, per file in order, its name (last path segment), size and
    /// the SHA-256 of its bytes: the key under which a baseline profile is cached. A merged
    /// profile's is the sum modulo 2^256 of its parts' (a multiset hash: the same whatever the
    /// order or grouping of the merges; an empty hash counts as 0).
    pub content_hash: String,
    /// Rows profiled.
    pub rows: u64,
    /// Seed of the row sample.
    pub seed: u64,
    /// Provenance: the files read, sorted by name.
    pub files: Vec<FileInfo>,
    /// Columns not profiled, with the reason (`$aml_*` bookkeeping, unsupported types), sorted.
    pub excluded: Vec<(String, String)>,
    /// Provenance: things that did not stop profiling (one sentence each), sorted.
    pub warnings: Vec<String>,
    /// Profiled columns, in the order of the data.
    pub columns: Vec<ColumnProfile>,
    /// Rows for the domain classifier, drawn from `distinct_sample` ([`DistinctSample::rows`]).
    pub sample: RowSample,
    /// The mergeable row sample: distinct rows with their counts. [`Profile::merge`] keeps
    /// `sample` in step with it.
    pub distinct_sample: DistinctSample,
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
    /// A reference's range `(column, min, max)` per numeric column: the finite values outside it
    /// are counted exactly ([`NumericProfile::outside`], the data-quality signal's
    /// `out_of_bounds_rate`). Default: none.
    pub reference_bounds: Vec<(String, f64, f64)>,
}

impl ProfileOptions {
    /// Options to profile data against `reference` (a target against its baseline): columns
    /// read with the reference's kinds ([`Profile::kinds`]) and values outside its numeric
    /// ranges counted ([`Profile::numeric_bounds`]); defaults otherwise.
    pub fn against(reference: &Profile) -> Self {
        ProfileOptions {
            pinned_kinds: reference.kinds(),
            reference_bounds: reference.numeric_bounds(),
            ..ProfileOptions::default()
        }
    }

    /// The range a numeric column is counted against, by column index of a chunk.
    fn bounds_of(&self, names: &[String]) -> Vec<Option<(f64, f64)>> {
        if self.reference_bounds.is_empty() {
            return vec![None; names.len()];
        }
        let by_name: HashMap<&str, (f64, f64)> = self
            .reference_bounds
            .iter()
            .map(|(n, lo, hi)| (n.as_str(), (*lo, *hi)))
            .collect();
        names
            .iter()
            .map(|n| by_name.get(n.as_str()).copied())
            .collect()
    }

    fn numeric(&self, bounds: Option<(f64, f64)>) -> NumericProfile {
        match bounds {
            Some((lo, hi)) => NumericProfile::against(self.max_buckets, lo, hi),
            None => NumericProfile::new(self.max_buckets),
        }
    }
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
            reference_bounds: Vec::new(),
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
    /// A profile that would decode to more memory than any real profile takes (see
    /// [`MAX_DECODED_BYTES`]): a damaged or hostile file, refused before the memory is spent.
    #[error(
        "corrupt profile: it would decode to {size} bytes, above the limit of {limit} bytes (real profiles are far smaller)"
    )]
    TooLarge {
        /// What the file declares or would take, in bytes.
        size: u64,
        /// [`MAX_DECODED_BYTES`].
        limit: u64,
    },
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
/// many rows as the capacity, then merge into the sample in one selection; after that, rows
/// above the sample's threshold cannot enter any more, so later chunks offer fewer and fewer
/// rows. The result is the same bottom-k set however the chunks were batched.
struct SampleAccumulator {
    sample: DistinctSample,
    pending: Vec<DistinctSample>,
    pending_rows: usize,
}

impl SampleAccumulator {
    fn new(capacity: usize) -> Self {
        SampleAccumulator {
            sample: DistinctSample {
                capacity,
                ..DistinctSample::default()
            },
            pending: Vec::new(),
            pending_rows: 0,
        }
    }

    fn push(&mut self, s: DistinctSample) -> Result<(), String> {
        self.pending_rows += s.len();
        self.pending.push(s);
        if self.pending_rows >= self.sample.capacity {
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

/// The profile of one chunk, as a chunk driver hands it from `process` to `merge` (see
/// [`build_from`]). Numeric columns carry counts and moments; their values went into the
/// worker's sketches.
pub struct ChunkProfile {
    rows: u64,
    columns: Vec<ColumnStats>,
    sample: DistinctSample,
}

/// Merges chunk profiles in whatever order they come, columns in parallel beside the sample.
struct Accumulator {
    rows: u64,
    columns: Option<Vec<ColumnStats>>,
    samples: SampleAccumulator,
}

impl Accumulator {
    fn add(&mut self, chunk: ChunkProfile) -> Result<(), String> {
        self.rows += chunk.rows;
        let Some(columns) = self.columns.as_mut() else {
            self.columns = Some(chunk.columns);
            return self.samples.push(chunk.sample);
        };
        let samples = &mut self.samples;
        let (merged, sample) = rayon::join(
            || {
                columns
                    .par_iter_mut()
                    .zip(chunk.columns.par_iter())
                    .map(|(a, b)| a.merge(b))
                    .collect::<Result<(), String>>()
            },
            || samples.push(chunk.sample),
        );
        merged.and(sample)
    }
}

fn profile_column(
    column: &ChunkColumn,
    sketch: &mut ValueSketch,
    bounds: Option<(f64, f64)>,
    options: &ProfileOptions,
) -> ColumnStats {
    match column {
        ChunkColumn::Numeric { values, invalid } => {
            let mut p = options.numeric(bounds);
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

/// Profiles a dataset made of one or more files in one streaming pass.
pub fn build(inputs: &[Input], options: &ProfileOptions) -> Result<Profile, ProfileError> {
    if inputs.is_empty() {
        return Err(ProfileError::NoInputs);
    }
    let profile = build_from(options, |process, merge| {
        data::scan_pinned(inputs, &options.pinned_kinds, process, merge)
    })?;
    if profile.rows == 0 {
        return Err(ProfileError::Read(ReadError::NoRows {
            file: inputs[0].name(),
        }));
    }
    Ok(profile)
}

/// Profiles what a chunk driver reads: `drive(process, merge)` must call `process` on every chunk
/// of the dataset (on any thread, chunks in any order), hand each result to `merge` (on the
/// calling thread), and return what it learnt about the dataset: the schema (column names and
/// kinds, in the order of the chunks' columns), files, content hash and warnings.
/// [`data::scan_pinned`] is one such driver; an Arrow record-batch source is another:
///
/// ```ignore
/// profile::build_from(&options, |process, merge| data::scan_batches(batches, process, merge))
/// ```
///
/// A driver that read no rows gives a profile of zero rows with the schema's columns: the
/// neutral element of [`Profile::merge`] (an empty Spark partition).
pub fn build_from<D>(options: &ProfileOptions, drive: D) -> Result<Profile, ProfileError>
where
    D: FnOnce(
        &(dyn Fn(&Chunk) -> ChunkProfile + Sync),
        &mut dyn FnMut(ChunkProfile),
    ) -> Result<DatasetInfo, ReadError>,
{
    let capacity = options.sample_capacity.max(1);
    let threshold = AtomicU64::new(u64::MAX);
    let sketches = SketchSets {
        free: Mutex::new(Vec::new()),
        max_buckets: options.max_buckets,
    };
    let failure: Mutex<Option<String>> = Mutex::new(None);
    let process = |chunk: &Chunk| -> ChunkProfile {
        let t = threshold.load(Ordering::Relaxed);
        let mut set = sketches.take(chunk.columns.len());
        let mut bounds = options.bounds_of(&chunk.names);
        bounds.resize(chunk.columns.len(), None);
        let (columns, sample) = rayon::join(
            || {
                chunk
                    .columns
                    .par_iter()
                    .zip(set.par_iter_mut())
                    .zip(&bounds)
                    .map(|((c, sketch), b)| profile_column(c, sketch, *b, options))
                    .collect::<Vec<_>>()
            },
            || sample::chunk_sample(chunk, options.seed, capacity, t),
        );
        sketches.put(set);
        ChunkProfile {
            rows: chunk.rows as u64,
            columns,
            sample,
        }
    };
    let mut acc = Accumulator {
        rows: 0,
        columns: None,
        samples: SampleAccumulator::new(capacity),
    };
    let mut merge = |chunk: ChunkProfile| {
        if let Err(e) = acc.add(chunk)
            && let Ok(mut f) = failure.lock()
        {
            f.get_or_insert(e);
        }
        threshold.store(acc.samples.sample.threshold(), Ordering::Relaxed);
    };
    let info = drive(&process, &mut merge)?;
    if let Some(e) = failure.into_inner().ok().flatten() {
        return Err(ProfileError::Incompatible(e));
    }
    let names: Vec<String> = info.schema.columns.iter().map(|c| c.name.clone()).collect();
    let empty = || {
        info.schema
            .columns
            .iter()
            .map(|c| ColumnStats::empty(&c.name, c.kind, options))
            .collect::<Vec<_>>()
    };
    let mut columns = acc.columns.take().unwrap_or_else(empty);
    if columns.len() != names.len() {
        return Err(ProfileError::Incompatible(format!(
            "the chunks hold {} columns but the schema names {}",
            columns.len(),
            names.len()
        )));
    }
    for (column, sketch) in columns.iter_mut().zip(sketches.merged()) {
        if let ColumnStats::Numeric(n) = column {
            n.sketch = sketch;
        }
    }
    acc.samples.compact().map_err(ProfileError::Incompatible)?;
    let mut distinct = acc.samples.sample;
    if distinct.columns.is_empty() {
        let categorical: Vec<bool> = columns
            .iter()
            .map(|c| matches!(c, ColumnStats::Text(_)))
            .collect();
        distinct = DistinctSample::empty(capacity, Vec::new(), &categorical);
    }
    distinct.names = names.clone();
    distinct.capacity = capacity;
    let columns = names
        .into_iter()
        .zip(columns)
        .map(|(name, stats)| ColumnProfile { name, stats })
        .collect();
    let source = options
        .source
        .clone()
        .unwrap_or_else(|| match info.files.as_slice() {
            [one] => one.name.clone(),
            [first, rest @ ..] => format!("{} and {} more file(s)", first.name, rest.len()),
            [] => String::new(),
        });
    let mut profile = Profile {
        source,
        content_hash: info.content_hash,
        rows: acc.rows,
        seed: options.seed,
        files: info.files,
        excluded: info.schema.excluded,
        warnings: info.warnings,
        columns,
        sample: distinct.rows(),
        distinct_sample: distinct,
    };
    profile.canonicalise();
    Ok(profile)
}

impl ColumnStats {
    /// The statistics of a column with no rows.
    fn empty(name: &str, kind: ColumnKind, options: &ProfileOptions) -> ColumnStats {
        match kind {
            ColumnKind::Numeric => {
                let bounds = options.bounds_of(&[name.to_string()])[0];
                ColumnStats::Numeric(options.numeric(bounds))
            }
            ColumnKind::Text => ColumnStats::Text(TextProfile::new(options.category_cap)),
        }
    }

    fn kind_name(&self) -> &'static str {
        match self {
            ColumnStats::Numeric(_) => ColumnKind::Numeric.as_str(),
            ColumnStats::Text(_) => ColumnKind::Text.as_str(),
        }
    }

    /// Adds another part's statistics of the same column; fails when the kinds differ.
    fn merge(&mut self, other: &ColumnStats) -> Result<(), String> {
        match (self, other) {
            (ColumnStats::Numeric(x), ColumnStats::Numeric(y)) => x.merge(y),
            (ColumnStats::Text(x), ColumnStats::Text(y)) => x.merge(y),
            (a, b) => {
                return Err(format!(
                    "it is {} in one part and {} in another",
                    a.kind_name(),
                    b.kind_name()
                ));
            }
        }
        Ok(())
    }
}

/// A content hash as a 256-bit number (see [`Profile::content_hash`]): hex digests as they are,
/// the empty string as 0, anything else by its SHA-256.
fn hash_number(hash: &str) -> [u8; 32] {
    let mut out = [0u8; 32];
    if hash.is_empty() {
        return out;
    }
    match hex::decode(hash) {
        Ok(bytes) if bytes.len() == 32 => out.copy_from_slice(&bytes),
        _ => out = crate::base::hash::sha256(hash.as_bytes()),
    }
    out
}

/// `a + b` modulo 2^256, big-endian.
fn add_hashes(a: &str, b: &str) -> String {
    let (x, y) = (hash_number(a), hash_number(b));
    let mut out = [0u8; 32];
    let mut carry = 0u16;
    for i in (0..32).rev() {
        let s = x[i] as u16 + y[i] as u16 + carry;
        out[i] = s as u8;
        carry = s >> 8;
    }
    if out == [0u8; 32] && a.is_empty() && b.is_empty() {
        return String::new();
    }
    hex::encode(out)
}

/// Sources of both, as a sorted list without repeats joined by ` + `.
fn merge_sources(a: &str, b: &str) -> String {
    let mut all: Vec<&str> = a
        .split(" + ")
        .chain(b.split(" + "))
        .filter(|s| !s.is_empty())
        .collect();
    all.sort_unstable();
    all.dedup();
    all.join(" + ")
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

    /// The canonical encoding of the statistics alone (rows, seed, columns, excluded columns,
    /// row sample), uncompressed: the same bytes for the same rows however they were stored,
    /// split, ordered and merged (see the module docs).
    pub fn statistics_bytes(&self) -> Vec<u8> {
        codec::encode_statistics(self)
    }

    /// Hex SHA-256 of [`Profile::statistics_bytes`]: a short fingerprint of the statistics.
    pub fn statistics_digest(&self) -> String {
        hex::encode(crate::base::hash::sha256(&self.statistics_bytes()))
    }

    /// True when `bytes` start like a profile (to tell a cached profile from a data file).
    pub fn is_profile(bytes: &[u8]) -> bool {
        bytes.starts_with(MAGIC)
    }

    /// Puts the lists whose order says nothing in their canonical order.
    fn canonicalise(&mut self) {
        self.excluded.sort();
        self.excluded.dedup();
        self.warnings.sort();
        self.warnings.dedup();
        self.files
            .sort_by(|a, b| (&a.name, a.bytes, a.rows).cmp(&(&b.name, b.bytes, b.rows)));
    }

    /// A column by name.
    pub fn column(&self, name: &str) -> Option<&ColumnProfile> {
        self.columns.iter().find(|c| c.name == name)
    }

    /// Every column by name, for code that looks up many names: [`Profile::column`] searches the
    /// list, and a dataset may have 100,000 columns.
    pub fn columns_by_name(&self) -> HashMap<&str, &ColumnProfile> {
        self.columns.iter().map(|c| (c.name.as_str(), c)).collect()
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

    /// The range `(column, min, max)` of every numeric column with finite values: what a
    /// target profiled against this profile counts values outside of
    /// ([`ProfileOptions::reference_bounds`]).
    pub fn numeric_bounds(&self) -> Vec<(String, f64, f64)> {
        self.columns
            .iter()
            .filter_map(|c| {
                let n = c.numeric()?;
                (n.count > 0).then(|| (c.name.clone(), n.min, n.max))
            })
            .collect()
    }

    /// Counts, in each numeric column named in `bounds` and not yet counted against its range,
    /// the values outside the range from the column's sketch, where that count is exact (see
    /// [`NumericProfile::outside_from_sketch`]). Returns false when some column's could not be
    /// exact (its sketch straddles a bound); that column is left uncounted. The result is the
    /// profile that [`ProfileOptions::against`] with these bounds would have built.
    pub fn count_outside_from_sketches(&mut self, bounds: &[(String, f64, f64)]) -> bool {
        let by_name: HashMap<&str, (f64, f64)> = bounds
            .iter()
            .map(|(n, lo, hi)| (n.as_str(), (*lo, *hi)))
            .collect();
        let mut exact = true;
        for column in &mut self.columns {
            let (ColumnStats::Numeric(n), Some(&(lo, hi))) =
                (&mut column.stats, by_name.get(column.name.as_str()))
            else {
                continue;
            };
            let range = OutsideRange::new(lo, hi);
            if n.outside.is_some_and(|o| o.is_against(range.lo, range.hi)) {
                continue;
            }
            let sketched = n.outside_from_sketch(range.lo, range.hi);
            if sketched.is_exact() {
                n.outside = Some(OutsideRange {
                    below: sketched.below,
                    above: sketched.above,
                    ..range
                });
            } else {
                exact = false;
            }
        }
        exact
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
        let by_name = self.columns_by_name();
        let mut seen = HashSet::with_capacity(requested.len());
        let mut out = Vec::with_capacity(requested.len());
        for name in requested {
            if !seen.insert(name.as_str()) {
                continue;
            }
            let column = by_name.get(name.as_str()).copied().ok_or_else(|| {
                ProfileError::UnknownFeature {
                    name: name.clone(),
                    source_name: self.source.clone(),
                    available: self
                        .columns
                        .iter()
                        .map(|c| c.name.as_str())
                        .collect::<Vec<_>>()
                        .join(", "),
                }
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

    /// Checks that `other` can be merged into `self`: same seed, same columns in the same order,
    /// each of the same kind. The error names the column.
    fn check_mergeable(&self, other: &Profile) -> Result<(), ProfileError> {
        if self.seed != other.seed {
            return Err(ProfileError::Incompatible(format!(
                "the row samples use different seeds ({} in `{}`, {} in `{}`)",
                self.seed, self.source, other.seed, other.source
            )));
        }
        let names = |p: &Profile| p.columns.iter().map(|c| c.name.clone()).collect::<Vec<_>>();
        if names(self) != names(other) {
            return Err(ProfileError::Incompatible(format!(
                "the columns differ: `{}` has {}, `{}` has {}",
                self.source,
                names(self).join(", "),
                other.source,
                names(other).join(", ")
            )));
        }
        for (a, b) in self.columns.iter().zip(&other.columns) {
            if a.kind() != b.kind() {
                return Err(ProfileError::Incompatible(format!(
                    "column `{}` is {} in `{}` and {} in `{}` (read every part with the same column types)",
                    a.name,
                    a.kind().as_str(),
                    self.source,
                    b.kind().as_str(),
                    other.source
                )));
            }
        }
        Ok(())
    }

    /// Adds another profile of more data with the same columns (another file, day or Spark
    /// partition). The statistics become exactly those of profiling everything together, bit for
    /// bit; the merge is commutative and associative in bytes, provenance included (files and
    /// warnings are unions in sorted order, sources a sorted list, content hashes add up).
    /// Fails, naming the column, when the columns or their kinds differ, or the seeds do.
    pub fn merge(&mut self, other: &Profile) -> Result<(), ProfileError> {
        self.check_mergeable(other)?;
        let mut distinct = self.distinct_sample.clone();
        distinct
            .merge(&other.distinct_sample)
            .map_err(ProfileError::Incompatible)?;
        for (a, b) in self.columns.iter_mut().zip(&other.columns) {
            a.stats
                .merge(&b.stats)
                .map_err(|e| ProfileError::Incompatible(format!("column `{}`: {e}", a.name)))?;
        }
        self.sample = distinct.rows();
        self.distinct_sample = distinct;
        self.rows += other.rows;
        self.excluded.extend(other.excluded.iter().cloned());
        self.files.extend(other.files.iter().cloned());
        self.warnings.extend(other.warnings.iter().cloned());
        self.source = merge_sources(&self.source, &other.source);
        self.content_hash = add_hashes(&self.content_hash, &other.content_hash);
        self.canonicalise();
        Ok(())
    }

    /// Merges many profiles at once, for a tree reduce (each node merges its children's
    /// profiles): the row samples in one selection, the columns in parallel. The result is the
    /// same as merging them one by one, in any order.
    pub fn merge_all(profiles: Vec<Profile>) -> Result<Profile, ProfileError> {
        let mut parts = profiles.into_iter();
        let Some(mut merged) = parts.next() else {
            return Err(ProfileError::NoInputs);
        };
        let rest: Vec<Profile> = parts.collect();
        for p in &rest {
            merged.check_mergeable(p)?;
        }
        let samples: Vec<DistinctSample> = rest.iter().map(|p| p.distinct_sample.clone()).collect();
        let (columns, sample) = rayon::join(
            || {
                merged
                    .columns
                    .par_iter_mut()
                    .enumerate()
                    .try_for_each(|(i, column)| {
                        rest.iter().try_for_each(|p| {
                            column.stats.merge(&p.columns[i].stats).map_err(|e| {
                                ProfileError::Incompatible(format!("column `{}`: {e}", column.name))
                            })
                        })
                    })
            },
            || {
                let mut distinct = merged.distinct_sample.clone();
                distinct
                    .merge_all(&samples)
                    .map_err(ProfileError::Incompatible)
                    .map(|()| distinct)
            },
        );
        columns?;
        let distinct = sample?;
        merged.sample = distinct.rows();
        merged.distinct_sample = distinct;
        for p in rest {
            merged.rows += p.rows;
            merged.excluded.extend(p.excluded);
            merged.files.extend(p.files);
            merged.warnings.extend(p.warnings);
            merged.source = merge_sources(&merged.source, &p.source);
            merged.content_hash = add_hashes(&merged.content_hash, &p.content_hash);
        }
        merged.canonicalise();
        Ok(merged)
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

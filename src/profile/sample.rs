//! The row sample: whole rows kept in the profile so that the domain classifier can run from a
//! cached baseline profile without the baseline data.
//!
//! # The rule
//!
//! Each row gets a **priority from its content**: a seeded hash of its values in the profiled
//! columns ([`chunk_sample`] defines it), the same whether the row came from CSV text, Parquet,
//! JSON or an Arrow batch, from which file, chunk or partition, and at which position. So
//! **identical rows share a priority**, and the sample is a bottom-k sample of the dataset's
//! *distinct* rows: the [`DistinctSample`] keeps the `capacity` distinct rows with the smallest
//! priorities (ties between different rows, which need a 64-bit hash collision, are broken by
//! their values) and, for each, **how many times it occurs** in the data. Those counts are exact:
//! a row among the smallest priorities of the whole data is among the smallest of every part, so
//! every part kept all its copies. Hence the sample is a function of the multiset of rows alone,
//! and merging the samples of parts gives the sample of the whole, bit for bit, in any order.
//!
//! # The rows the classifier reads
//!
//! A sample of distinct rows weighs a row seen once like a row seen a million times, so the
//! classifier does not read it directly: [`DistinctSample::rows`] draws the [`RowSample`] the
//! classifier reads from it in proportion to the counts. When the kept rows occur at most
//! `capacity` times in all, every occurrence is there; otherwise each kept row gets its share of
//! `capacity` rows (largest remainders, ties in priority order), and the rows are listed in a
//! seeded random order so that every prefix is again proportional. Without duplicates this is
//! simply the distinct rows in priority order: a uniform sample of the rows, as before. With
//! many duplicates (a few categorical columns) the sample holds every combination with its exact
//! frequency, which a positional sample could not.

use std::cell::RefCell;
use std::cmp::Ordering;

use arrow::array::{Array, Float64Array, StringArray};
use serde::{Deserialize, Serialize};

use crate::base::hash::{hash_bytes, mix64};
use crate::data::{Chunk, ChunkColumn};

/// Code of a missing value in [`SampleColumn::Categorical`].
pub const MISSING_CODE: u32 = u32::MAX;

/// The hashed form of a missing, invalid or null value: a NaN payload no number canonicalises to.
const MISSING_VALUE: u64 = 0x7ff8_0000_0000_d1ce;

/// Rows for the domain classifier, in an order whose every prefix is a uniform sample of the data.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RowSample {
    /// Most rows kept.
    pub capacity: usize,
    /// Sort key of each row, ascending; rows of every column are in this order.
    pub priorities: Vec<u64>,
    /// Column names, in the order of `columns`.
    pub names: Vec<String>,
    /// The sampled values, one entry per column.
    pub columns: Vec<SampleColumn>,
}

/// Sampled values of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SampleColumn {
    /// Numbers; NaN stands for missing, invalid and non-finite values.
    Numeric(Vec<f64>),
    /// Categories as codes into `dictionary`; [`MISSING_CODE`] for missing.
    Categorical {
        /// One code per sampled row.
        codes: Vec<u32>,
        /// Category labels.
        dictionary: Vec<String>,
    },
}

impl SampleColumn {
    fn len(&self) -> usize {
        match self {
            SampleColumn::Numeric(v) => v.len(),
            SampleColumn::Categorical { codes, .. } => codes.len(),
        }
    }

    /// The label of row `r` of a categorical column (`None` for missing); numbers give `None`.
    fn label(&self, r: usize) -> Option<&str> {
        match self {
            SampleColumn::Categorical { codes, dictionary } => match codes[r] {
                MISSING_CODE => None,
                c => dictionary.get(c as usize).map(String::as_str),
            },
            SampleColumn::Numeric(_) => None,
        }
    }

    /// Canonical order of two rows' values (of columns of the same kind).
    fn compare(&self, r: usize, other: &SampleColumn, s: usize) -> Ordering {
        match (self, other) {
            (SampleColumn::Numeric(a), SampleColumn::Numeric(b)) => {
                a[r].to_bits().cmp(&b[s].to_bits())
            }
            _ => self.label(r).cmp(&other.label(s)),
        }
    }

    fn is_numeric(&self) -> bool {
        matches!(self, SampleColumn::Numeric(_))
    }
}

impl RowSample {
    /// Number of sampled rows.
    pub fn len(&self) -> usize {
        self.priorities.len()
    }

    /// True when no row was sampled.
    pub fn is_empty(&self) -> bool {
        self.priorities.is_empty()
    }

    /// The sampled values of a column, by name.
    pub fn column(&self, name: &str) -> Option<&SampleColumn> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }

    /// An empty sample of the given columns; `categorical[i]` says which columns hold codes.
    pub fn empty(capacity: usize, names: Vec<String>, categorical: &[bool]) -> RowSample {
        RowSample {
            capacity,
            priorities: Vec::new(),
            columns: empty_columns(categorical),
            names,
        }
    }
}

fn empty_columns(categorical: &[bool]) -> Vec<SampleColumn> {
    categorical
        .iter()
        .map(|&c| {
            if c {
                SampleColumn::Categorical {
                    codes: Vec::new(),
                    dictionary: Vec::new(),
                }
            } else {
                SampleColumn::Numeric(Vec::new())
            }
        })
        .collect()
}

/// The mergeable form of the row sample: up to `capacity` distinct rows with the smallest
/// content priorities, each with the number of times it occurs (see the module docs).
#[derive(Debug, Clone, PartialEq, Default)]
pub struct DistinctSample {
    /// Most distinct rows kept.
    pub capacity: usize,
    /// Priority of each kept row, ascending (equal priorities: by the rows' values).
    pub priorities: Vec<u64>,
    /// How many rows of the data have each kept row's values (at least 1).
    pub counts: Vec<u64>,
    /// Column names, in the order of `columns`.
    pub names: Vec<String>,
    /// The kept rows' values, one entry per column, rows in priority order.
    pub columns: Vec<SampleColumn>,
}

impl DistinctSample {
    /// An empty sample of the given columns; `categorical[i]` says which columns hold codes.
    pub fn empty(capacity: usize, names: Vec<String>, categorical: &[bool]) -> DistinctSample {
        DistinctSample {
            capacity: capacity.max(1),
            priorities: Vec::new(),
            counts: Vec::new(),
            columns: empty_columns(categorical),
            names,
        }
    }

    /// Number of distinct rows kept.
    pub fn len(&self) -> usize {
        self.priorities.len()
    }

    /// True when no row is kept.
    pub fn is_empty(&self) -> bool {
        self.priorities.is_empty()
    }

    /// Rows of the data the kept rows stand for (the sum of the counts).
    pub fn occurrences(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// Rows with a priority above this cannot enter the sample any more. A row *at* it still
    /// can: it may be another copy of the last kept row, whose count must stay exact.
    pub fn threshold(&self) -> u64 {
        if self.len() >= self.capacity {
            self.priorities.last().copied().unwrap_or(u64::MAX)
        } else {
            u64::MAX
        }
    }

    /// Checks the internal consistency of a sample read from bytes.
    pub(crate) fn validate(&self) -> Result<(), String> {
        let n = self.len();
        if self.counts.len() != n || self.counts.contains(&0) {
            return Err("row sample counts do not match its rows".into());
        }
        if n > self.capacity || self.columns.len() != self.names.len() {
            return Err("row sample is larger than its capacity or misses columns".into());
        }
        if self.columns.iter().any(|c| c.len() != n) {
            return Err("a row sample column has the wrong length".into());
        }
        if (1..n).any(|i| self.order(i - 1, self, i) != Ordering::Less) {
            return Err("row sample rows are out of order or repeated".into());
        }
        Ok(())
    }

    /// Order of row `r` of `self` and row `s` of `other`: by priority, then by values.
    fn order(&self, r: usize, other: &DistinctSample, s: usize) -> Ordering {
        self.priorities[r].cmp(&other.priorities[s]).then_with(|| {
            self.columns
                .iter()
                .zip(&other.columns)
                .map(|(a, b)| a.compare(r, b, s))
                .find(|o| o.is_ne())
                .unwrap_or(Ordering::Equal)
        })
    }

    /// Adds another sample of more data with the same columns: the `capacity` smallest distinct
    /// rows of both, counts of rows in both added. Samples with different capacities merge to the
    /// smaller one. Fails when the columns differ.
    pub fn merge(&mut self, other: &DistinctSample) -> Result<(), String> {
        self.merge_all(std::slice::from_ref(other))
    }

    /// [`DistinctSample::merge`] with many samples at once: one selection and one copy of the
    /// kept rows, however many samples there are. The result does not depend on their order.
    pub fn merge_all(&mut self, others: &[DistinctSample]) -> Result<(), String> {
        let capacity = others
            .iter()
            .map(|o| o.capacity)
            .fold(self.capacity, usize::min)
            .max(1);
        let has_shape = |s: &DistinctSample| !(s.columns.is_empty() && s.is_empty());
        let sources: Vec<&DistinctSample> = std::iter::once(&*self)
            .chain(others)
            .filter(|s| has_shape(s))
            .collect();
        let Some(first) = sources.first() else {
            self.capacity = capacity;
            return Ok(());
        };
        for s in &sources {
            if s.names != first.names {
                return Err(format!(
                    "row samples hold different columns: {:?} and {:?}",
                    first.names, s.names
                ));
            }
            if let Some(c) = (0..first.columns.len())
                .find(|&c| s.columns[c].is_numeric() != first.columns[c].is_numeric())
            {
                return Err(format!(
                    "column `{}` is numeric in one row sample and categorical in another",
                    first.names[c]
                ));
            }
        }
        // (priority, source, row) of every candidate.
        let mut all: Vec<(u64, u32, u32)> = sources
            .iter()
            .enumerate()
            .flat_map(|(s, src)| {
                src.priorities
                    .iter()
                    .enumerate()
                    .map(move |(r, &p)| (p, s as u32, r as u32))
            })
            .collect();
        // Usually the `capacity` smallest priorities are enough; when copies of one row in
        // several sources leave fewer distinct rows than that, every candidate is looked at.
        let mut kept = if all.len() > capacity {
            let (_, &mut (pivot, ..), _) = all.select_nth_unstable(capacity - 1);
            let below: Vec<(u64, u32, u32)> =
                all.iter().copied().filter(|e| e.0 <= pivot).collect();
            let kept = distinct_rows(&sources, below, capacity);
            if kept.len() < capacity {
                distinct_rows(&sources, all, capacity)
            } else {
                kept
            }
        } else {
            distinct_rows(&sources, std::mem::take(&mut all), capacity)
        };
        kept.truncate(capacity);
        let columns = (0..first.columns.len())
            .map(|c| gather(&sources, c, kept.iter().map(|k| (k.source, k.row))))
            .collect();
        self.names = first.names.clone();
        self.priorities = kept.iter().map(|k| k.priority).collect();
        self.counts = kept.iter().map(|k| k.count).collect();
        self.columns = columns;
        self.capacity = capacity;
        Ok(())
    }

    /// The rows the classifier reads (see the module docs, "The rows the classifier reads").
    pub fn rows(&self) -> RowSample {
        let capacity = self.capacity.max(1);
        let total: u128 = self.counts.iter().map(|&c| c as u128).sum();
        let wanted = total.min(capacity as u128);
        let copies: Vec<u64> = if total <= capacity as u128 {
            self.counts.clone()
        } else {
            // Largest remainders of counts · wanted / total, ties to the smaller priority.
            let mut copies: Vec<u64> = Vec::with_capacity(self.len());
            let mut remainders: Vec<(u128, usize)> = Vec::with_capacity(self.len());
            for (i, &c) in self.counts.iter().enumerate() {
                let share = c as u128 * wanted;
                copies.push((share / total) as u64);
                remainders.push((share % total, i));
            }
            let given: u128 = copies.iter().map(|&c| c as u128).sum();
            let left = (wanted - given) as usize;
            if left > 0 {
                remainders
                    .select_nth_unstable_by(left - 1, |a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
                for &(_, i) in &remainders[..left] {
                    copies[i] += 1;
                }
            }
            copies
        };
        // A copy's sort key: the row's priority for the first copy, and further copies spread
        // uniformly below the sample's threshold like priorities of further rows would be.
        let bound = self.threshold();
        let mut order: Vec<(u64, u32)> = Vec::with_capacity(wanted as usize);
        for (i, (&p, &n)) in self.priorities.iter().zip(&copies).enumerate() {
            for j in 0..n {
                let key = if j == 0 {
                    p
                } else {
                    let h = mix64(p ^ mix64(j));
                    ((h as u128 * (bound as u128 + 1)) >> 64) as u64
                };
                order.push((key, i as u32));
            }
        }
        order.sort_unstable();
        let source = [self];
        RowSample {
            capacity,
            priorities: order.iter().map(|o| o.0).collect(),
            names: self.names.clone(),
            columns: (0..self.columns.len())
                .map(|c| gather(&source, c, order.iter().map(|o| (0, o.1))))
                .collect(),
        }
    }
}

/// One distinct row of a merge: where its values are and how often it occurs.
struct Kept {
    priority: u64,
    source: u32,
    row: u32,
    count: u64,
}

/// The distinct rows among `candidates` (`(priority, source, row)`), in order, at most
/// `capacity`, with the counts of equal rows added.
fn distinct_rows(
    sources: &[&DistinctSample],
    mut candidates: Vec<(u64, u32, u32)>,
    capacity: usize,
) -> Vec<Kept> {
    let same_order = |a: &(u64, u32, u32), b: &(u64, u32, u32)| {
        sources[a.1 as usize].order(a.2 as usize, sources[b.1 as usize], b.2 as usize)
    };
    candidates.sort_unstable_by(|a, b| a.0.cmp(&b.0).then_with(|| same_order(a, b)));
    let mut kept: Vec<Kept> = Vec::with_capacity(capacity.min(candidates.len()));
    let mut last: Option<(u64, u32, u32)> = None;
    for e in candidates {
        let count = sources[e.1 as usize].counts[e.2 as usize];
        if let (Some(prev), Some(k)) = (last, kept.last_mut())
            && same_order(&prev, &e) == Ordering::Equal
        {
            k.count += count;
            continue;
        }
        if kept.len() == capacity {
            break;
        }
        kept.push(Kept {
            priority: e.0,
            source: e.1,
            row: e.2,
            count,
        });
        last = Some(e);
    }
    kept
}

/// Column `c` of the rows `take` (`(source, row)`), categories renumbered into one dictionary
/// sorted by label, so that the result does not depend on the sources' own dictionaries.
fn gather(
    sources: &[&DistinctSample],
    c: usize,
    take: impl Iterator<Item = (u32, u32)> + Clone,
) -> SampleColumn {
    if sources[0].columns[c].is_numeric() {
        return SampleColumn::Numeric(
            take.map(|(s, r)| match &sources[s as usize].columns[c] {
                SampleColumn::Numeric(v) => v[r as usize],
                SampleColumn::Categorical { .. } => f64::NAN,
            })
            .collect(),
        );
    }
    let label = |s: u32, r: u32| sources[s as usize].columns[c].label(r as usize);
    let mut labels: Vec<&str> = take.clone().filter_map(|(s, r)| label(s, r)).collect();
    labels.sort_unstable();
    labels.dedup();
    let codes = take
        .map(|(s, r)| {
            label(s, r).map_or(MISSING_CODE, |l| {
                labels.binary_search(&l).map_or(MISSING_CODE, |p| p as u32)
            })
        })
        .collect();
    SampleColumn::Categorical {
        codes,
        dictionary: labels.into_iter().map(str::to_string).collect(),
    }
}

/// The seed of column `index`'s share of a row's priority.
fn column_seed(seed: u64, index: usize) -> u64 {
    mix64(seed ^ mix64(index as u64 ^ 0xc01_0e11))
}

/// Column `index`'s share of a row's hash: `(column seed ^ value) · multiplier`, with an odd
/// multiplier of its own, so that values differing in one column always give different sums and
/// two columns' differences practically never cancel; the row's sum is then mixed with
/// [`mix64`]. One multiplication per value keeps the hash cheap next to decoding.
#[derive(Clone, Copy)]
struct ColumnShare {
    seed: u64,
    multiplier: u64,
}

impl ColumnShare {
    fn new(seed: u64, index: usize) -> Self {
        let s = column_seed(seed, index);
        ColumnShare {
            seed: s,
            multiplier: mix64(s ^ 0x6d75_6c74) | 1,
        }
    }

    #[inline(always)]
    fn of(self, value: u64) -> u64 {
        (self.seed ^ value).wrapping_mul(self.multiplier)
    }
}

/// A number as the row hash sees it: its value, `-0.0` as `0.0`, every NaN alike; missing and
/// invalid values as one marker.
#[inline]
fn canonical_number(valid: bool, v: f64) -> u64 {
    if !valid {
        MISSING_VALUE
    } else if v.is_nan() {
        f64::NAN.to_bits()
    } else {
        (v + 0.0).to_bits()
    }
}

/// Adds column `index`'s share ([`ColumnShare`]) to each row's hash. A text value enters as the
/// hash of its UTF-8 bytes.
fn add_column_hashes(hashes: &mut [u64], seed: u64, index: usize, column: &ChunkColumn) {
    let share = ColumnShare::new(seed, index);
    match column {
        ChunkColumn::Numeric { values, .. } => {
            let raw = values.values();
            if values.null_count() == 0 {
                for (h, &v) in hashes.iter_mut().zip(raw.iter()) {
                    *h = h.wrapping_add(share.of(canonical_number(true, v)));
                }
            } else {
                for (r, (h, &v)) in hashes.iter_mut().zip(raw.iter()).enumerate() {
                    *h = h.wrapping_add(share.of(canonical_number(values.is_valid(r), v)));
                }
            }
        }
        ChunkColumn::Text(values) => {
            for (r, h) in hashes.iter_mut().enumerate() {
                let v = if values.is_valid(r) {
                    hash_bytes(values.value(r).as_bytes())
                } else {
                    MISSING_VALUE
                };
                *h = h.wrapping_add(share.of(v));
            }
        }
    }
}

/// The priority of every row of a chunk: a seeded hash of its values, column by column (see
/// the module docs). Column `i` of the chunk is column `i` of the dataset's schema.
pub fn row_priorities(seed: u64, columns: &[ChunkColumn], rows: usize) -> Vec<u64> {
    let mut hashes = Vec::new();
    fill_priorities(&mut hashes, seed, columns, rows);
    hashes
}

/// [`row_priorities`] into a buffer the caller reuses.
fn fill_priorities(hashes: &mut Vec<u64>, seed: u64, columns: &[ChunkColumn], rows: usize) {
    hashes.clear();
    hashes.resize(rows, 0);
    for (i, c) in columns.iter().enumerate() {
        add_column_hashes(hashes, seed, i, c);
    }
    for h in hashes.iter_mut() {
        *h = mix64(*h ^ seed);
    }
}

/// Buffers [`chunk_sample`] reuses, one set per thread: a chunk's priorities and the rows
/// picked, so that no chunk pays for fresh pages.
#[derive(Default)]
struct Scratch {
    priorities: Vec<u64>,
    picked: Vec<(u64, u32)>,
}

thread_local! {
    static SCRATCH: RefCell<Scratch> = RefCell::new(Scratch::default());
}

/// The sample value of a number: NaN for missing, invalid and non-finite values, `-0.0` as
/// `0.0` (so equal rows store equal bits).
fn sample_number(values: &Float64Array, r: usize) -> f64 {
    let v = values.value(r);
    if values.is_valid(r) && v.is_finite() {
        v + 0.0
    } else {
        f64::NAN
    }
}

/// Canonical order of rows `a` and `b` of a chunk, by their sample values.
fn chunk_row_order(columns: &[ChunkColumn], a: usize, b: usize) -> Ordering {
    fn label(v: &StringArray, r: usize) -> Option<&str> {
        v.is_valid(r).then(|| v.value(r))
    }
    for c in columns {
        let o = match c {
            ChunkColumn::Numeric { values, .. } => sample_number(values, a)
                .to_bits()
                .cmp(&sample_number(values, b).to_bits()),
            ChunkColumn::Text(v) => label(v, a).cmp(&label(v, b)),
        };
        if o.is_ne() {
            return o;
        }
    }
    Ordering::Equal
}

/// The sample of one chunk: its distinct rows with a priority at most `threshold`, at most
/// `capacity` of them, with their counts in the chunk.
pub fn chunk_sample(chunk: &Chunk, seed: u64, capacity: usize, threshold: u64) -> DistinctSample {
    let capacity = capacity.max(1);
    SCRATCH.with_borrow_mut(|scratch| {
        let Scratch { priorities, picked } = scratch;
        fill_priorities(priorities, seed, &chunk.columns, chunk.rows);
        picked.clear();
        picked.extend(
            priorities
                .iter()
                .enumerate()
                .filter(|&(_, &p)| p <= threshold)
                .map(|(r, &p)| (p, r as u32)),
        );
        picked.sort_unstable();
        sample_picked(chunk, picked, capacity)
    })
}

/// The distinct rows among `picked` (`(priority, row)`, sorted), at most `capacity`, with their
/// counts (see [`chunk_sample`]).
fn sample_picked(chunk: &Chunk, picked: &mut [(u64, u32)], capacity: usize) -> DistinctSample {
    // Rows of equal priority are copies of one row (or, rarely, a hash collision): order them by
    // their values and count each distinct one once.
    let mut rows: Vec<(u64, u32, u64)> = Vec::with_capacity(picked.len().min(capacity));
    let mut i = 0;
    while i < picked.len() && rows.len() < capacity {
        let mut j = i + 1;
        while j < picked.len() && picked[j].0 == picked[i].0 {
            j += 1;
        }
        let group = &mut picked[i..j];
        if group.len() > 1 {
            group.sort_by(|a, b| chunk_row_order(&chunk.columns, a.1 as usize, b.1 as usize));
        }
        let mut k = 0;
        while k < group.len() && rows.len() < capacity {
            let mut m = k + 1;
            while m < group.len()
                && chunk_row_order(&chunk.columns, group[k].1 as usize, group[m].1 as usize)
                    == Ordering::Equal
            {
                m += 1;
            }
            rows.push((group[k].0, group[k].1, (m - k) as u64));
            k = m;
        }
        i = j;
    }
    let columns = chunk
        .columns
        .iter()
        .map(|c| match c {
            ChunkColumn::Numeric { values, .. } => SampleColumn::Numeric(
                rows.iter()
                    .map(|&(_, r, _)| sample_number(values, r as usize))
                    .collect(),
            ),
            ChunkColumn::Text(values) => {
                let label = |r: u32| {
                    values
                        .is_valid(r as usize)
                        .then(|| values.value(r as usize))
                };
                let mut labels: Vec<&str> = rows.iter().filter_map(|&(_, r, _)| label(r)).collect();
                labels.sort_unstable();
                labels.dedup();
                let codes = rows
                    .iter()
                    .map(|&(_, r, _)| {
                        label(r).map_or(MISSING_CODE, |l| {
                            labels.binary_search(&l).map_or(MISSING_CODE, |p| p as u32)
                        })
                    })
                    .collect();
                SampleColumn::Categorical {
                    codes,
                    dictionary: labels.into_iter().map(str::to_string).collect(),
                }
            }
        })
        .collect();
    DistinctSample {
        capacity,
        priorities: rows.iter().map(|r| r.0).collect(),
        counts: rows.iter().map(|r| r.2).collect(),
        names: Vec::new(),
        columns,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn numeric(capacity: usize, rows: &[(u64, f64, u64)]) -> DistinctSample {
        DistinctSample {
            capacity,
            priorities: rows.iter().map(|r| r.0).collect(),
            counts: rows.iter().map(|r| r.2).collect(),
            names: vec!["x".into()],
            columns: vec![SampleColumn::Numeric(rows.iter().map(|r| r.1).collect())],
        }
    }

    #[test]
    fn merge_keeps_smallest_priorities_and_adds_counts_of_equal_rows() {
        let mut a = numeric(3, &[(1, 10.0, 1), (5, 50.0, 2), (9, 90.0, 1)]);
        let b = numeric(3, &[(2, 20.0, 1), (5, 50.0, 3)]);
        let mut c = b.clone();
        a.merge(&b).unwrap();
        assert_eq!(a.priorities, vec![1, 2, 5]);
        assert_eq!(a.counts, vec![1, 1, 5]);
        assert_eq!(a.columns[0], SampleColumn::Numeric(vec![10.0, 20.0, 50.0]));
        assert_eq!(a.threshold(), 5);
        c.merge(&numeric(3, &[(1, 10.0, 1), (5, 50.0, 2), (9, 90.0, 1)]))
            .unwrap();
        assert_eq!(a, c);
    }

    #[test]
    fn equal_priorities_of_different_rows_stay_apart_in_value_order() {
        let mut a = numeric(4, &[(7, 3.0, 1)]);
        a.merge(&numeric(4, &[(7, 1.0, 2), (7, 3.0, 1)])).unwrap();
        assert_eq!(a.priorities, vec![7, 7]);
        assert_eq!(a.counts, vec![2, 2]);
        assert_eq!(a.columns[0], SampleColumn::Numeric(vec![1.0, 3.0]));
    }

    #[test]
    fn merge_renumbers_categories_by_label() {
        let cat = |p: Vec<u64>, codes: Vec<u32>, dictionary: Vec<&str>| DistinctSample {
            capacity: 10,
            counts: vec![1; p.len()],
            priorities: p,
            names: vec!["c".into()],
            columns: vec![SampleColumn::Categorical {
                codes,
                dictionary: dictionary.into_iter().map(String::from).collect(),
            }],
        };
        let mut a = cat(vec![1, 3], vec![0, MISSING_CODE], vec!["zeta"]);
        a.merge(&cat(vec![2], vec![0], vec!["alpha"])).unwrap();
        assert_eq!(
            a.columns[0],
            SampleColumn::Categorical {
                codes: vec![1, 0, MISSING_CODE],
                dictionary: vec!["alpha".into(), "zeta".into()],
            }
        );
    }

    #[test]
    fn rows_without_duplicates_are_the_sample_in_priority_order() {
        let s = numeric(3, &[(1, 10.0, 1), (2, 20.0, 1), (5, 50.0, 1)]);
        let rows = s.rows();
        assert_eq!(rows.priorities, vec![1, 2, 5]);
        assert_eq!(
            rows.columns[0],
            SampleColumn::Numeric(vec![10.0, 20.0, 50.0])
        );
    }

    #[test]
    fn rows_follow_the_counts() {
        // Everything fits: every occurrence is there.
        let s = numeric(10, &[(1, 1.0, 3), (2, 2.0, 1)]);
        let mut v = match s.rows().columns.remove(0) {
            SampleColumn::Numeric(v) => v,
            _ => unreachable!(),
        };
        v.sort_by(f64::total_cmp);
        assert_eq!(v, vec![1.0, 1.0, 1.0, 2.0]);
        // 900 + 100 occurrences in 10 rows: 9 and 1, and the first half is mixed.
        let s = numeric(10, &[(1, 1.0, 900), (2, 2.0, 100)]);
        let rows = s.rows();
        assert_eq!(rows.len(), 10);
        let SampleColumn::Numeric(v) = &rows.columns[0] else {
            unreachable!()
        };
        assert_eq!(v.iter().filter(|&&x| x == 1.0).count(), 9);
        assert!(rows.priorities.windows(2).all(|w| w[0] <= w[1]));
    }

    #[test]
    fn column_shares_of_the_priority_differ_by_column_and_seed() {
        assert_ne!(column_seed(1, 0), column_seed(1, 1));
        assert_ne!(column_seed(1, 0), column_seed(2, 0));
        assert_eq!(canonical_number(true, -0.0), canonical_number(true, 0.0));
        assert_eq!(
            canonical_number(true, f64::NAN),
            canonical_number(true, -f64::NAN)
        );
        assert_ne!(
            canonical_number(false, 0.0),
            canonical_number(true, f64::NAN)
        );
    }
}

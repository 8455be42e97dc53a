//! Profile of one numeric column: counts by validity, exact moments, range and a [`ValueSketch`].
//!
//! Every part is a function of the multiset of values alone: counts and the exact sums of
//! [`Moments`] add up, min and max are order-free, and the sketch merges exactly. So the profile
//! of a column is the same bit for bit however its values were split into chunks, files or
//! partitions and in whatever order those were merged.

use std::borrow::Cow;

use arrow::array::{Array, Float64Array};

use super::moments::Moments;
use super::sketch::ValueSketch;

/// Statistics of a numeric column over its finite values, plus how many values were not.
#[derive(Debug, Clone, PartialEq)]
pub struct NumericProfile {
    /// Rows seen, every kind of value included.
    pub rows: u64,
    /// Empty or null values.
    pub missing: u64,
    /// Values that were not numbers (such as `abc`), treated as missing.
    pub invalid: u64,
    /// NaN and +-inf values, kept out of the statistics and the sketch.
    pub non_finite: u64,
    /// Finite values.
    pub count: u64,
    /// Exact sum and sum of squares of the finite values (mean and standard deviation).
    pub moments: Moments,
    /// Smallest finite value (`+inf` when there are none).
    pub min: f64,
    /// Largest finite value (`-inf` when there are none).
    pub max: f64,
    /// Distribution of the finite values; always flushed.
    pub sketch: ValueSketch,
}

impl NumericProfile {
    /// An empty profile whose sketch keeps at most `max_buckets` buckets.
    pub fn new(max_buckets: usize) -> Self {
        NumericProfile {
            rows: 0,
            missing: 0,
            invalid: 0,
            non_finite: 0,
            count: 0,
            moments: Moments::default(),
            min: f64::INFINITY,
            max: f64::NEG_INFINITY,
            sketch: ValueSketch::new(max_buckets),
        }
    }

    /// Adds one chunk of values; `invalid` of the nulls were invalid values rather than empty.
    pub fn add(&mut self, values: &Float64Array, invalid: u64) {
        let mut sketch = std::mem::take(&mut self.sketch);
        self.add_to(values, invalid, &mut sketch);
        sketch.finish();
        self.sketch = sketch;
    }

    /// Adds one chunk's counts and moments to `self` and its finite values to `sketch`.
    ///
    /// Profiling keeps one sketch per worker rather than one per chunk: a sketch does not depend
    /// on the order of its inserts and merges, so the workers' sketches merged at the end equal
    /// this profile's, and no chunk pays for a merge into a full sketch.
    pub fn add_to(&mut self, values: &Float64Array, invalid: u64, sketch: &mut ValueSketch) {
        let nulls = values.null_count() as u64;
        self.rows += values.len() as u64;
        self.invalid += invalid;
        self.missing += nulls.saturating_sub(invalid);
        let raw = values.values();
        // Usually every value is finite and the array's buffer is used as it is; otherwise the
        // finite values are copied out first.
        let finite: Cow<[f64]> = if nulls == 0 && raw.iter().all(|v| v.is_finite()) {
            Cow::Borrowed(raw)
        } else {
            Cow::Owned(values.iter().flatten().filter(|v| v.is_finite()).collect())
        };
        self.non_finite += values.len() as u64 - nulls - finite.len() as u64;
        let Some((lo, hi)) = min_max(&finite) else {
            return;
        };
        // `-0.0` and `0.0` compare equal, so which one `min` returns depends on the order: write
        // zero as `0.0` to keep the bytes order-free.
        let (lo, hi) = (lo + 0.0, hi + 0.0);
        sketch.extend_finite(&finite, lo, hi);
        self.moments.add(&finite);
        self.count += finite.len() as u64;
        self.min = self.min.min(lo);
        self.max = self.max.max(hi);
    }

    /// Adds everything `other` summarises.
    pub fn merge(&mut self, other: &NumericProfile) {
        self.rows += other.rows;
        self.missing += other.missing;
        self.invalid += other.invalid;
        self.non_finite += other.non_finite;
        self.count += other.count;
        self.moments.merge(&other.moments);
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
        self.sketch.merge(&other.sketch);
    }

    /// Population standard deviation (ddof = 0), NaN without values.
    /// Finite however large the values (see [`Moments::std`]).
    pub fn std_population(&self) -> f64 {
        self.moments.std(self.count, 0)
    }

    /// Sample standard deviation (ddof = 1), NaN with fewer than two values.
    pub fn std_sample(&self) -> f64 {
        self.moments.std(self.count, 1)
    }

    /// Mean, correctly rounded from the exact sum; NaN without values.
    pub fn mean(&self) -> f64 {
        self.moments.mean(self.count)
    }

    /// Smallest finite value, NaN without values.
    pub fn min(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.min }
    }

    /// Largest finite value, NaN without values.
    pub fn max(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.max }
    }

    /// The `q`-quantile of the finite values (numpy's linear interpolation), from the sketch.
    pub fn quantile(&self, q: f64) -> f64 {
        self.sketch.quantile(q)
    }

    /// `(q, quantile)` for each `q`.
    pub fn quantiles(&self, qs: &[f64]) -> Vec<(f64, f64)> {
        qs.iter().map(|&q| (q, self.quantile(q))).collect()
    }

    /// Empty or null values over rows (0 without rows).
    pub fn missing_rate(&self) -> f64 {
        ratio(self.missing, self.rows)
    }

    /// Distinct finite values when the sketch is exact, else a lower bound.
    pub fn distinct(&self) -> usize {
        self.sketch.distinct_lower_bound()
    }
}

/// Lanes of the branch-free loop below: independent accumulators let the comparisons overlap.
const LANES: usize = 4;

/// Min and max of finite values; `None` when empty.
fn min_max(values: &[f64]) -> Option<(f64, f64)> {
    let first = *values.first()?;
    let (mut lo, mut hi) = ([first; LANES], [first; LANES]);
    let mut lanes = values.chunks_exact(LANES);
    for chunk in &mut lanes {
        for l in 0..LANES {
            lo[l] = lo[l].min(chunk[l]);
            hi[l] = hi[l].max(chunk[l]);
        }
    }
    for &v in lanes.remainder() {
        lo[0] = lo[0].min(v);
        hi[0] = hi[0].max(v);
    }
    let fold = |a: [f64; LANES], f: fn(f64, f64) -> f64| a.into_iter().reduce(f);
    Some((fold(lo, f64::min)?, fold(hi, f64::max)?))
}

pub(crate) fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_kinds_of_values_and_matches_numpy_moments() {
        let a = Float64Array::from(vec![
            Some(1.0),
            None,
            Some(f64::NAN),
            Some(4.0),
            Some(f64::INFINITY),
            Some(7.0),
            None,
        ]);
        let mut p = NumericProfile::new(64);
        p.add(&a, 1);
        assert_eq!(
            (p.rows, p.missing, p.invalid, p.non_finite, p.count),
            (7, 1, 1, 2, 3)
        );
        // numpy.mean([1,4,7]) == 4.0; numpy.std([1,4,7]) == 2.449489742783178; ddof=1: 3.0
        assert!((p.mean() - 4.0).abs() < 1e-15);
        assert!((p.std_population() - 2.449489742783178).abs() < 1e-12);
        assert!((p.std_sample() - 3.0).abs() < 1e-12);
        assert_eq!((p.min(), p.max()), (1.0, 7.0));
    }

    #[test]
    fn chunked_profiles_equal_the_whole_bit_for_bit() {
        let v: Vec<f64> = (0..10_000)
            .map(|i| 1e6 + ((i * 37) % 101) as f64 * 0.01)
            .collect();
        let mut whole = NumericProfile::new(1024);
        whole.add(&Float64Array::from(v.clone()), 0);
        let mut parts = NumericProfile::new(1024);
        for c in v.chunks(777) {
            let mut p = NumericProfile::new(1024);
            p.add(&Float64Array::from(c.to_vec()), 0);
            parts.merge(&p);
        }
        assert_eq!(whole, parts);
    }
}

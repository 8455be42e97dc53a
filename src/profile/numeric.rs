//! Profile of one numeric column: counts by validity, moments, range and a [`ValueSketch`].
//!
//! Moments are computed per chunk with a two-pass mean and sum of squared deviations (accurate
//! even when the mean is large compared with the spread) and combined across chunks with Chan's
//! parallel formula, in chunk order, so the result does not depend on threads.

use std::borrow::Cow;

use arrow::array::{Array, Float64Array};

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
    /// Mean of the finite values (NaN when there are none).
    pub mean: f64,
    /// Sum of squared deviations from the mean (`M2`).
    pub m2: f64,
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
            mean: f64::NAN,
            m2: 0.0,
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
        let Some((sum, lo, hi)) = sum_min_max(&finite) else {
            return;
        };
        let n = finite.len() as u64;
        let mean = sum / n as f64;
        sketch.extend_finite(&finite, lo, hi);
        self.combine_moments(n, mean, squared_deviations(&finite, mean));
        self.count += n;
        self.min = self.min.min(lo);
        self.max = self.max.max(hi);
    }

    /// Chan et al.'s pairwise update of mean and M2 (before `count` is increased).
    fn combine_moments(&mut self, n: u64, mean: f64, m2: f64) {
        if self.count == 0 {
            self.mean = mean;
            self.m2 = m2;
            return;
        }
        let (na, nb) = (self.count as f64, n as f64);
        let total = na + nb;
        let delta = mean - self.mean;
        self.mean += delta * nb / total;
        self.m2 += m2 + delta * delta * na * nb / total;
    }

    /// Adds everything `other` summarises.
    pub fn merge(&mut self, other: &NumericProfile) {
        self.rows += other.rows;
        self.missing += other.missing;
        self.invalid += other.invalid;
        self.non_finite += other.non_finite;
        if other.count > 0 {
            self.combine_moments(other.count, other.mean, other.m2);
            self.count += other.count;
            self.min = self.min.min(other.min);
            self.max = self.max.max(other.max);
        }
        self.sketch.merge(&other.sketch);
    }

    /// Population standard deviation (ddof = 0), NaN without values.
    pub fn std_population(&self) -> f64 {
        if self.count == 0 {
            f64::NAN
        } else {
            (self.m2 / self.count as f64).max(0.0).sqrt()
        }
    }

    /// Sample standard deviation (ddof = 1), NaN with fewer than two values.
    pub fn std_sample(&self) -> f64 {
        if self.count < 2 {
            f64::NAN
        } else {
            (self.m2 / (self.count - 1) as f64).max(0.0).sqrt()
        }
    }

    /// Mean, NaN without values.
    pub fn mean(&self) -> f64 {
        if self.count == 0 { f64::NAN } else { self.mean }
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

/// Lanes of the branch-free loops below: independent accumulators let the adds overlap.
const LANES: usize = 4;

/// Sum, min and max of finite values; `None` when empty.
fn sum_min_max(values: &[f64]) -> Option<(f64, f64, f64)> {
    let first = *values.first()?;
    let (mut sum, mut lo, mut hi) = ([0.0f64; LANES], [first; LANES], [first; LANES]);
    let mut lanes = values.chunks_exact(LANES);
    for chunk in &mut lanes {
        for l in 0..LANES {
            sum[l] += chunk[l];
            lo[l] = lo[l].min(chunk[l]);
            hi[l] = hi[l].max(chunk[l]);
        }
    }
    for &v in lanes.remainder() {
        sum[0] += v;
        lo[0] = lo[0].min(v);
        hi[0] = hi[0].max(v);
    }
    let fold = |a: [f64; LANES], f: fn(f64, f64) -> f64| a.into_iter().reduce(f);
    Some((
        (sum[0] + sum[1]) + (sum[2] + sum[3]),
        fold(lo, f64::min)?,
        fold(hi, f64::max)?,
    ))
}

/// Sum of squared deviations from `mean`.
fn squared_deviations(values: &[f64], mean: f64) -> f64 {
    let mut acc = [0.0f64; LANES];
    let mut lanes = values.chunks_exact(LANES);
    for chunk in &mut lanes {
        for l in 0..LANES {
            let d = chunk[l] - mean;
            acc[l] += d * d;
        }
    }
    for &v in lanes.remainder() {
        acc[0] += (v - mean) * (v - mean);
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3])
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
    fn chunked_moments_equal_whole() {
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
        assert!((whole.mean - parts.mean).abs() / whole.mean < 1e-12);
        assert!((whole.m2 - parts.m2).abs() / whole.m2 < 1e-9);
        assert_eq!(whole.sketch, parts.sketch);
    }
}

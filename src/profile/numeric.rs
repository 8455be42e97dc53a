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
    /// Finite values below and above a reference's range, counted exactly when the column was
    /// profiled against a reference ([`super::ProfileOptions::against`]); `None` when it was not,
    /// or when parts counted against different ranges were merged.
    pub outside: Option<OutsideRange>,
}

/// Finite values outside a reference's `[lo, hi]`, counted while profiling: exact, and added up
/// by a merge of parts counted against the same range.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct OutsideRange {
    /// The reference's smallest finite value.
    pub lo: f64,
    /// The reference's largest finite value.
    pub hi: f64,
    /// Finite values `< lo`.
    pub below: u64,
    /// Finite values `> hi`.
    pub above: u64,
}

/// Finite values outside a range read from a sketch ([`NumericProfile::outside_from_sketch`]).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct SketchOutside {
    /// Values in buckets wholly below the range.
    pub below: u64,
    /// Values in buckets wholly above it.
    pub above: u64,
    /// Values in buckets that straddle a bound: each may be inside or outside.
    pub straddling: u64,
    /// The straddling values' estimated share outside, by the part of each bucket's width
    /// beyond the bound.
    pub interpolated: f64,
}

impl SketchOutside {
    /// Whether the count is exact: no bucket straddles a bound.
    pub fn is_exact(&self) -> bool {
        self.straddling == 0
    }
}

impl OutsideRange {
    /// No values yet, against `[lo, hi]` (zero written as `0.0`, as profiles write `min`).
    pub fn new(lo: f64, hi: f64) -> Self {
        OutsideRange {
            lo: lo + 0.0,
            hi: hi + 0.0,
            below: 0,
            above: 0,
        }
    }

    /// Whether it counted against exactly `[lo, hi]`.
    pub fn is_against(&self, lo: f64, hi: f64) -> bool {
        self.lo == lo && self.hi == hi
    }

    /// Values outside the range.
    pub fn total(&self) -> u64 {
        self.below + self.above
    }

    /// Counts `values` (finite) outside the range; branch-free, so the loop vectorises.
    fn count(&mut self, values: &[f64]) {
        let (lo, hi) = (self.lo, self.hi);
        let (mut below, mut above) = (0u64, 0u64);
        for &v in values {
            below += (v < lo) as u64;
            above += (v > hi) as u64;
        }
        self.below += below;
        self.above += above;
    }
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
            outside: None,
        }
    }

    /// An empty profile that also counts finite values outside the reference range `[lo, hi]`.
    pub fn against(max_buckets: usize, lo: f64, hi: f64) -> Self {
        NumericProfile {
            outside: Some(OutsideRange::new(lo, hi)),
            ..NumericProfile::new(max_buckets)
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
        if let Some(outside) = self.outside.as_mut() {
            outside.count(&finite);
        }
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
        // Counts against the same range add up; against different ranges (or none) they say
        // nothing about the whole.
        self.outside = match (self.outside, other.outside) {
            (Some(a), Some(b)) if a.is_against(b.lo, b.hi) => Some(OutsideRange {
                below: a.below + b.below,
                above: a.above + b.above,
                ..a
            }),
            _ => None,
        };
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

    /// The finite values outside `[lo, hi]` as the sketch tells them (for a profile that was not
    /// counted against that range, [`NumericProfile::outside`]): exact when no bucket holds
    /// values on both sides of a bound, which is always so while the sketch is exact.
    pub fn outside_from_sketch(&self, lo: f64, hi: f64) -> SketchOutside {
        let mut out = SketchOutside::default();
        for b in self.sketch.buckets() {
            if b.hi < lo {
                out.below += b.count;
            } else if b.lo > hi {
                out.above += b.count;
            } else if b.lo < lo || b.hi > hi {
                // Straddles a bound: its values are taken as evenly spread over its width.
                let width = b.hi - b.lo;
                let share = |part: f64| {
                    if width > 0.0 {
                        (part / width).clamp(0.0, 1.0)
                    } else {
                        0.0
                    }
                };
                let outside = share((lo - b.lo).max(0.0)) + share((b.hi - hi).max(0.0));
                out.straddling += b.count;
                out.interpolated += b.count as f64 * outside.min(1.0);
            }
        }
        out
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

    #[test]
    fn values_outside_the_reference_range_are_counted_exactly_and_merge() {
        // 10,000 distinct values: the sketch coarsens at 64 buckets, the counts stay exact.
        let v: Vec<Option<f64>> = (0..10_000)
            .map(|i| (i % 13 != 0).then_some(i as f64 * 0.01 - 10.0))
            .collect();
        let (lo, hi) = (0.5, 80.0);
        let expected_below = v.iter().flatten().filter(|&&x| x < lo).count() as u64;
        let expected_above = v.iter().flatten().filter(|&&x| x > hi).count() as u64;
        let mut whole = NumericProfile::against(64, lo, hi);
        whole.add(&Float64Array::from(v.clone()), 0);
        let counted = whole.outside.unwrap();
        assert_eq!(
            (counted.below, counted.above),
            (expected_below, expected_above)
        );
        assert!(!whole.sketch.is_exact());
        let mut parts = NumericProfile::against(64, lo, hi);
        for c in v.chunks(333) {
            let mut p = NumericProfile::against(64, lo, hi);
            p.add(&Float64Array::from(c.to_vec()), 0);
            parts.merge(&p);
        }
        assert_eq!(whole, parts);
        // A part counted against another range, or none, makes the counts unknown.
        let mut other = NumericProfile::against(64, lo, 81.0);
        other.add(&Float64Array::from(vec![1.0]), 0);
        let mut mixed = whole.clone();
        mixed.merge(&other);
        assert_eq!(mixed.outside, None);
        let mut plain = whole.clone();
        plain.merge(&NumericProfile::new(64));
        assert_eq!(plain.outside, None);
        // The coarse sketch brackets the exact count: certain buckets plus straddling ones.
        let sketched = whole.outside_from_sketch(lo, hi);
        let exact = expected_below + expected_above;
        assert!(sketched.below + sketched.above <= exact);
        assert!(sketched.below + sketched.above + sketched.straddling >= exact);
        assert!(sketched.straddling > 0);
        let estimate = (sketched.below + sketched.above) as f64 + sketched.interpolated;
        assert!((estimate - exact as f64).abs() <= sketched.straddling as f64);
    }

    #[test]
    fn an_exact_sketch_tells_the_values_outside_exactly() {
        let mut p = NumericProfile::new(1024);
        p.add(&Float64Array::from(vec![1.0, 2.0, 2.0, 3.0, 4.0, 9.0]), 0);
        let o = p.outside_from_sketch(2.0, 3.5);
        assert_eq!((o.below, o.above, o.straddling), (1, 2, 0));
        assert!(o.is_exact());
    }
}

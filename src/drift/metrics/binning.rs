//! Baseline-decile bins shared by [`super::psi`] and [`super::jensen_shannon`] on numeric
//! features.
//!
//! The interior edges are the baseline's 10 %, 20 %, ..., 90 % quantiles (numpy's linear
//! interpolation, from the sketch), duplicates removed; bins are `(-inf, e1], (e1, e2], ...,
//! (e_last, +inf)`, so the outer bins are open-ended and every target value falls in a bin.
//! When the baseline has at most 10 distinct values (flags, small counts), there is one bin per
//! baseline value instead: edges at every value but the largest.
//!
//! **Reference.** `edges = numpy.unique(numpy.quantile(b, [.1, ..., .9]))`, bin of `x` =
//! `numpy.searchsorted(edges, x, side="left")`.

use crate::profile::NumericProfile;

/// Most distinct baseline values binned one per bin.
pub const MAX_VALUE_BINS: usize = 10;

/// Interior edges of the bins of a baseline column (empty when it has no values).
pub fn baseline_edges(baseline: &NumericProfile) -> Vec<f64> {
    let s = &baseline.sketch;
    if s.count() == 0 {
        return Vec::new();
    }
    if s.is_exact() && s.distinct_lower_bound() <= MAX_VALUE_BINS {
        let values: Vec<f64> = s.buckets().map(|b| b.lo).collect();
        return values[..values.len() - 1].to_vec();
    }
    let mut edges: Vec<f64> = (1..10).map(|i| s.quantile(i as f64 / 10.0)).collect();
    edges.dedup();
    edges
}

/// Share of a column's finite values in each bin of `edges` (`edges.len() + 1` bins).
pub fn proportions(column: &NumericProfile, edges: &[f64]) -> Vec<f64> {
    let n = column.sketch.count() as f64;
    let mut out = Vec::with_capacity(edges.len() + 1);
    let mut below = 0.0;
    for &e in edges {
        let r = column.sketch.rank(e);
        out.push(((r - below) / n).max(0.0));
        below = r;
    }
    out.push(((n - below) / n).max(0.0));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Float64Array;

    fn col(v: &[f64]) -> NumericProfile {
        let mut p = NumericProfile::new(1 << 15);
        p.add(&Float64Array::from(v.to_vec()), 0);
        p
    }

    #[test]
    fn few_values_get_one_bin_each() {
        let b = col(&[0.0, 1.0, 1.0, 2.0]);
        let edges = baseline_edges(&b);
        assert_eq!(edges, vec![0.0, 1.0]);
        assert_eq!(proportions(&b, &edges), vec![0.25, 0.5, 0.25]);
        // Target values between baseline values fall in the next bin up.
        assert_eq!(proportions(&col(&[0.5, 3.0]), &edges), vec![0.0, 0.5, 0.5]);
    }

    #[test]
    fn deciles_split_a_uniform_baseline_evenly() {
        let v: Vec<f64> = (0..1000).map(|i| i as f64).collect();
        let b = col(&v);
        let edges = baseline_edges(&b);
        assert_eq!(edges.len(), 9);
        for p in proportions(&b, &edges) {
            assert!((p - 0.1).abs() < 0.002, "{p}");
        }
    }
}

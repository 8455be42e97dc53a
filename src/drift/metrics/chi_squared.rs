//! `chi_squared`: Pearson's test statistic of the category frequencies, and the test itself.

use statrs::distribution::{ChiSquared, ContinuousCDF};

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** Pearson's chi-squared statistic of the 2 x k contingency table (baseline and
    /// target rows by category).
    ///
    /// **Why.** The classical test of "same category frequencies"; users of statistical tooling
    /// expect it. It grows with the number of rows, so compare features by
    /// `jensen_shannon_distance` and judge chance by `chi_squared_p_value`.
    ///
    /// **Binning.** One column per category of either side, missing values as a category of their
    /// own (and, past the category cap, "other" as one more). No continuity correction.
    ///
    /// **Reference.** `scipy.stats.chi2_contingency(table, correction=False).statistic`.
    pub static CHI_SQUARED {
        name: names::CHI_SQUARED, label: "χ²", threshold: None,
        kind: Kind::Categorical, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Categorical(|p| chi_squared(&p.counts.0, &p.counts.1).0),
    }
}

/// `(statistic, p-value)` of the 2 x k table of counts; `(0, 1)` with fewer than two categories,
/// NaN when a side has no rows.
pub fn chi_squared(baseline: &[f64], target: &[f64]) -> (f64, f64) {
    let (rb, rt): (f64, f64) = (baseline.iter().sum(), target.iter().sum());
    if baseline.len() != target.len() || rb <= 0.0 || rt <= 0.0 {
        return (f64::NAN, f64::NAN);
    }
    let total = rb + rt;
    let mut stat = 0.0;
    let mut k = 0usize;
    for (&b, &t) in baseline.iter().zip(target) {
        let col = b + t;
        if col <= 0.0 {
            continue;
        }
        k += 1;
        let (eb, et) = (rb * col / total, rt * col / total);
        stat += (b - eb) * (b - eb) / eb + (t - et) * (t - et) / et;
    }
    if k < 2 {
        return (0.0, 1.0);
    }
    let p = ChiSquared::new((k - 1) as f64)
        .map(|d| d.sf(stat))
        .unwrap_or(f64::NAN);
    (stat, p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_chi2_contingency_without_correction() {
        // scipy.stats.chi2_contingency([[10,20,30],[20,20,20]], correction=False)
        //   -> statistic 5.333333333333334, pvalue 0.0694834512228015
        let (s, p) = chi_squared(&[10.0, 20.0, 30.0], &[20.0, 20.0, 20.0]);
        assert!((s - 5.333333333333333).abs() < 1e-12, "{s}");
        assert!((p - 0.0694834512228015).abs() < 1e-12, "{p}");
        assert_eq!(chi_squared(&[5.0], &[7.0]), (0.0, 1.0));
    }
}

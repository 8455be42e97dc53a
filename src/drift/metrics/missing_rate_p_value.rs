//! `missing_rate_p_value`: the two-proportion test of the missing rates, with its effect size.

use super::chi_squared::chi_squared;
use super::{Compute, Direction, Kind, Pair, Unit, names};

metric! {
    /// **What.** The p-value of the two-proportion test "the missing rate is the same on both
    /// sides": Pearson's chi-squared on the 2 x 2 table missing / present by side, one degree of
    /// freedom, no continuity correction (the square of the pooled two-proportion z statistic).
    ///
    /// **Why.** A pipeline that stops filling a field is drift that the value tests cannot see:
    /// they only look at values that are there. The p-value says whether the change could be
    /// chance; `missing_rate_cohens_h` says whether it is large enough to matter. It feeds the
    /// feature's `drifted` flag.
    ///
    /// **Binning.** None. When neither side has a missing value (or every value is missing on
    /// both), there is nothing to test: p = 1.
    ///
    /// **Reference.** `scipy.stats.chi2_contingency([[missing_b, present_b], [missing_t,
    /// present_t]], correction=False).pvalue`.
    pub static MISSING_RATE_P_VALUE {
        name: names::MISSING_RATE_P_VALUE, label: "miss. p", threshold: None,
        kind: Kind::Both, direction: Direction::Lower, unit: Unit::Unitless,
        compute: Compute::Either(|p| test(p).0),
    }
}

/// `(p-value, Cohen's h)` of a feature's missing rates.
pub fn test(p: &Pair) -> (f64, f64) {
    let [(mb, nb), (mt, nt)] = p.missing();
    missing_rate_test(mb, nb, mt, nt)
}

/// `(p-value, Cohen's h)` of the missing counts over the rows of each side; NaN without rows.
pub fn missing_rate_test(
    baseline_missing: u64,
    baseline_rows: u64,
    target_missing: u64,
    target_rows: u64,
) -> (f64, f64) {
    if baseline_rows == 0 || target_rows == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (mb, mt) = (
        baseline_missing.min(baseline_rows) as f64,
        target_missing.min(target_rows) as f64,
    );
    let (nb, nt) = (baseline_rows as f64, target_rows as f64);
    let (_, p) = chi_squared(&[mb, nb - mb], &[mt, nt - mt]);
    let h = (2.0 * (mt / nt).sqrt().asin() - 2.0 * (mb / nb).sqrt().asin()).abs();
    (p, h)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_chi2_contingency_and_cohens_h() {
        // scipy.stats.chi2_contingency([[50, 950], [200, 800]], correction=False).pvalue
        let (p, h) = missing_rate_test(50, 1000, 200, 1000);
        assert!((p / 3.602083368582619e-24 - 1.0).abs() < 1e-6, "{p}");
        let want = 2.0 * 0.2f64.sqrt().asin() - 2.0 * 0.05f64.sqrt().asin();
        assert!((h - want).abs() < 1e-15);
        assert_eq!(missing_rate_test(0, 30, 0, 31), (1.0, 0.0));
        assert!(missing_rate_test(0, 0, 1, 3).0.is_nan());
    }
}

//! `population_stability_index` over the baseline-decile bins.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** `PSI = sum over bins of (t - b) * ln(t / b)`, where `b` and `t` are the shares of
    /// baseline and target values in each bin. About 0.1 is usually read as "some shift"
    /// (Evidently's threshold, and the default here), 0.25 as "a major shift".
    ///
    /// **Why.** The credit-risk industry's drift score; users coming from scorecards expect it.
    ///
    /// **Binning.** Numeric features: the baseline-decile bins (`binning.rs`). Empty bins would
    /// make the logarithm infinite, so every share is floored at 1e-4 before the sum.
    ///
    /// **Reference.** `b, t = numpy.maximum(b, 1e-4), numpy.maximum(t, 1e-4);
    /// numpy.sum((t - b) * numpy.log(t / b))` on the shares from `numpy.searchsorted(edges, x)`.
    pub static POPULATION_STABILITY_INDEX {
        name: names::POPULATION_STABILITY_INDEX, label: "PSI", threshold: Some(0.1),
        kind: Kind::Numeric, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Numeric(|p| population_stability_index(&p.shares.0, &p.shares.1)),
    }
}

/// Floor of each bin's share.
pub const PROPORTION_FLOOR: f64 = 1e-4;

/// PSI of two share vectors of equal length; NaN when either is empty.
pub fn population_stability_index(baseline: &[f64], target: &[f64]) -> f64 {
    if baseline.is_empty() || baseline.len() != target.len() {
        return f64::NAN;
    }
    baseline
        .iter()
        .zip(target)
        .map(|(&b, &t)| {
            let (b, t) = (b.max(PROPORTION_FLOOR), t.max(PROPORTION_FLOOR));
            (t - b) * (t / b).ln()
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn psi_is_zero_for_identical_shares_and_matches_numpy() {
        assert_eq!(population_stability_index(&[0.5, 0.5], &[0.5, 0.5]), 0.0);
        // b=[.25,.25,.5], t=[.5,.25,.25]: (.25*ln2) + 0 + (-.25*ln(.5)) = 0.34657359027997264
        let v = population_stability_index(&[0.25, 0.25, 0.5], &[0.5, 0.25, 0.25]);
        assert!((v - 0.34657359027997264).abs() < 1e-15);
        // An empty target bin is floored: b=[.5,.5], t=[1,0]
        let v = population_stability_index(&[0.5, 0.5], &[1.0, 0.0]);
        let want = 0.5 * (1.0f64 / 0.5).ln() + (1e-4 - 0.5) * (1e-4f64 / 0.5).ln();
        assert!((v - want).abs() < 1e-12);
    }
}

//! `jensen_shannon_distance`, for numeric and categorical features alike.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The Jensen–Shannon distance (base 2, in [0, 1]) between the baseline's and the
    /// target's shares: `sqrt((KL(b || m) + KL(t || m)) / 2)` with `m = (b + t) / 2`. 0 means the
    /// same distribution, 1 disjoint ones.
    ///
    /// **Why.** Bounded and symmetric, so one threshold works for every feature, numeric or
    /// categorical (Evidently's and Azure ML model monitoring's default for categorical features,
    /// with 0.1 as the threshold).
    ///
    /// **Binning.** Numeric features: the baseline-decile bins (`binning.rs`). Categorical
    /// features: one bin per category of either side, missing values as a category of their own.
    /// No floor: empty bins contribute nothing.
    ///
    /// **Reference.** `scipy.spatial.distance.jensenshannon(b, t, base=2)`.
    pub static JENSEN_SHANNON_DISTANCE {
        name: names::JENSEN_SHANNON_DISTANCE, label: "JS", threshold: Some(0.1),
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Either(|p| {
            let (b, t) = p.frequencies();
            jensen_shannon_distance(b, t)
        }),
    }
}

/// JS distance of two share (or count) vectors of equal length; NaN when either sums to 0.
pub fn jensen_shannon_distance(baseline: &[f64], target: &[f64]) -> f64 {
    let (sb, st): (f64, f64) = (baseline.iter().sum(), target.iter().sum());
    if baseline.len() != target.len() || sb <= 0.0 || st <= 0.0 {
        return f64::NAN;
    }
    let mut js = 0.0;
    for (&b, &t) in baseline.iter().zip(target) {
        let (b, t) = (b / sb, t / st);
        let m = (b + t) / 2.0;
        if b > 0.0 {
            js += b * (b / m).log2();
        }
        if t > 0.0 {
            js += t * (t / m).log2();
        }
    }
    (js / 2.0).max(0.0).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_scipy_jensenshannon_base_2() {
        // scipy.spatial.distance.jensenshannon([1,0],[0,1], base=2) == 1.0
        assert!((jensen_shannon_distance(&[1.0, 0.0], &[0.0, 1.0]) - 1.0).abs() < 1e-12);
        // jensenshannon([.25,.25,.5],[.5,.25,.25], base=2) == 0.24754418688212573
        let v = jensen_shannon_distance(&[0.25, 0.25, 0.5], &[0.5, 0.25, 0.25]);
        assert!((v - 0.24754418688212573).abs() < 1e-12, "{v}");
        assert_eq!(jensen_shannon_distance(&[3.0, 1.0], &[3.0, 1.0]), 0.0);
    }
}

//! `chebyshev_distance`: the largest change of any one bin's share, for prediction drift.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The Chebyshev (L-infinity) distance between the baseline's and the target's
    /// shares: `max over bins of |b - t|`, where `b` and `t` are each side's share of values in
    /// the bin (each side's frequencies divided by its total). 0 means the same shares; 0.2 means
    /// some bin or class gained or lost 20 points of the rows.
    ///
    /// **Why.** Azure ML model monitoring reports it for prediction drift: on a model's output it
    /// reads directly as "the largest change in how often one class (or one score band) is
    /// predicted". It is computed for the output columns of `prediction_drift` only, not for the
    /// input features.
    ///
    /// **Binning.** The bins of `jensen_shannon_distance`: numeric columns the baseline-decile
    /// bins (`binning.rs`); categorical columns one bin per category of either side, missing
    /// values as a category of their own. No floor.
    ///
    /// **Reference.** `scipy.spatial.distance.chebyshev(b / b.sum(), t / t.sum())`.
    pub static CHEBYSHEV_DISTANCE {
        name: names::CHEBYSHEV_DISTANCE, label: "Chebyshev", threshold: None,
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Share,
        compute: Compute::Signal(|p| {
            let (b, t) = p.frequencies();
            chebyshev_distance(b, t)
        }),
    }
}

/// Chebyshev distance of two share (or count) vectors of equal length, each normalised to sum to
/// 1; NaN when either sums to 0 or the lengths differ.
pub fn chebyshev_distance(baseline: &[f64], target: &[f64]) -> f64 {
    let (sb, st): (f64, f64) = (baseline.iter().sum(), target.iter().sum());
    if baseline.len() != target.len() || sb <= 0.0 || st <= 0.0 {
        return f64::NAN;
    }
    baseline
        .iter()
        .zip(target)
        .map(|(&b, &t)| (b / sb - t / st).abs())
        .fold(0.0, f64::max)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chebyshev_is_the_largest_change_of_a_share() {
        // scipy.spatial.distance.chebyshev([.25,.25,.5],[.5,.25,.25]) == 0.25
        assert_eq!(
            chebyshev_distance(&[0.25, 0.25, 0.5], &[0.5, 0.25, 0.25]),
            0.25
        );
        // Counts are normalised first: [3,1] and [30,10] are the same shares.
        assert_eq!(chebyshev_distance(&[3.0, 1.0], &[30.0, 10.0]), 0.0);
        assert!(chebyshev_distance(&[0.0, 0.0], &[1.0, 0.0]).is_nan());
        assert!(chebyshev_distance(&[1.0], &[1.0, 0.0]).is_nan());
    }
}

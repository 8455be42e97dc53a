//! `normalized_wasserstein_distance`: W1 in baseline standard deviations.

use super::{Compute, Direction, Kind, Unit, names};

/// Smallest divisor used.
pub const STD_FLOOR: f64 = 0.001;

metric! {
    /// **What.** `wasserstein_distance` divided by the baseline's population standard deviation
    /// (ddof = 0), with the divisor floored at 0.001.
    ///
    /// **Why.** Raw Wasserstein is in the feature's units, so one threshold cannot serve features
    /// of different scales; in standard deviations it can (Evidently's default numeric drift test
    /// uses 0.1, the default threshold here). The floor keeps a constant baseline column from
    /// dividing by zero: any change of such a column is then reported as a large value rather
    /// than infinity.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `scipy.stats.wasserstein_distance(b, t) / max(numpy.std(b), 0.001)`.
    pub static NORMALIZED_WASSERSTEIN_DISTANCE {
        name: names::NORMALIZED_WASSERSTEIN_DISTANCE, label: "W/σ", threshold: Some(0.1),
        kind: Kind::Numeric, direction: Direction::Higher, unit: Unit::BaselineStd,
        compute: Compute::Numeric(|p| {
            normalized_wasserstein_distance(p.distances.wasserstein, p.baseline.std_population())
        }),
    }
}

/// W1 / max(baseline std, 0.001); NaN when W1 is.
pub fn normalized_wasserstein_distance(w1: f64, baseline_std: f64) -> f64 {
    let std = if baseline_std.is_finite() {
        baseline_std
    } else {
        0.0
    };
    w1 / std.max(STD_FLOOR)
}

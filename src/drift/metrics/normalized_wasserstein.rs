//! `normalized_wasserstein_distance`
//!
//! **What.** [`super::wasserstein`] divided by the baseline's population standard deviation
//! (ddof = 0), with the divisor floored at 0.001.
//!
//! **Why.** Raw Wasserstein is in the feature's units, so one threshold cannot serve features of
//! different scales; in standard deviations it can (Evidently's default numeric drift test uses
//! 0.1). The floor keeps a constant baseline column from dividing by zero: any change of such a
//! column is then reported as a large value rather than infinity.
//!
//! **Binning.** None.
//!
//! **Reference.** `scipy.stats.wasserstein_distance(b, t) / max(numpy.std(b), 0.001)`.

/// Smallest divisor used.
pub const STD_FLOOR: f64 = 0.001;

/// W1 / max(baseline std, 0.001); NaN when W1 is.
pub fn normalized_wasserstein_distance(w1: f64, baseline_std: f64) -> f64 {
    let std = if baseline_std.is_finite() {
        baseline_std
    } else {
        0.0
    };
    w1 / std.max(STD_FLOOR)
}

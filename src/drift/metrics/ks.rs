//! `two_sample_ks_statistic`
//!
//! **What.** The two-sample Kolmogorov–Smirnov statistic: the largest vertical gap between the
//! baseline's and the target's empirical CDFs, in [0, 1].
//!
//! **Why.** Scale-free and familiar; with the other CDF distances it comes from the same pass
//! over the sketches. (No p-value: with the sample sizes of production data every difference is
//! "significant", which is why the distances are reported instead.)
//!
//! **Binning.** None: evaluated at every sketch bucket edge (exact for exact sketches).
//!
//! **Reference.** `scipy.stats.ks_2samp(baseline, target).statistic`.

use crate::profile::sketch::{ValueSketch, compare};

/// `scipy.stats.ks_2samp(...).statistic`; NaN when either side has no finite value.
pub fn ks_statistic(baseline: &ValueSketch, target: &ValueSketch) -> f64 {
    compare(baseline, target).ks
}

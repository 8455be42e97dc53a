//! `energy_distance`
//!
//! **What.** The energy distance between the baseline and target values of a numeric feature:
//! `sqrt(2 * integral of (F - G)^2)` for the empirical CDFs `F` and `G`.
//!
//! **Why.** Azure ML's second per-column metric; more sensitive than Wasserstein to differences
//! in the bulk of the distribution and less to far tails.
//!
//! **Binning.** None: integrated from the sketches like [`super::wasserstein`].
//!
//! **Reference.** `scipy.stats.energy_distance(baseline, target)` on the raw finite values.

use crate::profile::sketch::{ValueSketch, compare};

/// `scipy.stats.energy_distance`; NaN when either side has no finite value.
pub fn energy_distance(baseline: &ValueSketch, target: &ValueSketch) -> f64 {
    compare(baseline, target).energy
}

//! `wasserstein_distance`, read from the shared pass over the two sketches.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The first Wasserstein (earth mover's) distance between the baseline and target
    /// values of a numeric feature: the area between their empirical CDFs, in the feature's units.
    ///
    /// **Why.** Azure ML's per-column metric, so dashboards built on it keep working; it grows with
    /// both shifts and changes of shape, and says "how far" in units a user understands.
    ///
    /// **Binning.** None: integrated exactly from the two value sketches, in the one pass that
    /// also yields `energy_distance` and `two_sample_ks_statistic` (exact while a column has at
    /// most 32,768 distinct values; beyond, CDFs are linear inside buckets of about 0.05 % of the
    /// value, well inside the 1 % + 0.001 x std tolerance the accuracy tests check).
    ///
    /// **Reference.** `scipy.stats.wasserstein_distance(baseline, target)` on the raw finite values.
    pub static WASSERSTEIN_DISTANCE {
        name: names::WASSERSTEIN_DISTANCE, label: "W₁", threshold: None,
        kind: Kind::Numeric, direction: Direction::Higher, unit: Unit::Feature,
        compute: Compute::Numeric(|p| p.distances.wasserstein),
    }
}

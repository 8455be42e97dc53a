//! `energy_distance`, read from the shared pass over the two sketches.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The energy distance between the baseline and target values of a numeric feature:
    /// `sqrt(2 * integral of (F - G)^2)` for the empirical CDFs `F` and `G`.
    ///
    /// **Why.** Azure ML's second per-column metric; more sensitive than Wasserstein to differences
    /// in the bulk of the distribution and less to far tails.
    ///
    /// **Binning.** None: integrated from the sketches in the pass that yields
    /// `wasserstein_distance`.
    ///
    /// **Reference.** `scipy.stats.energy_distance(baseline, target)` on the raw finite values.
    pub static ENERGY_DISTANCE {
        name: names::ENERGY_DISTANCE, label: "energy", threshold: None,
        kind: Kind::Numeric, direction: Direction::Higher, unit: Unit::Feature,
        compute: Compute::Numeric(|p| p.distances.energy),
    }
}

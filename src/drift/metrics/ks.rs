//! `two_sample_ks_statistic`, read from the shared pass over the two sketches.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The two-sample Kolmogorov–Smirnov statistic: the largest vertical gap between the
    /// baseline's and the target's empirical CDFs, in [0, 1].
    ///
    /// **Why.** Scale-free and familiar; with the other CDF distances it comes from the same pass
    /// over the sketches. Its p-value is `ks_p_value`.
    ///
    /// **Binning.** None: evaluated at every sketch bucket edge (exact for exact sketches).
    ///
    /// **Reference.** `scipy.stats.ks_2samp(baseline, target).statistic`.
    pub static TWO_SAMPLE_KS_STATISTIC {
        name: names::TWO_SAMPLE_KS_STATISTIC, label: "KS", threshold: None,
        kind: Kind::Numeric, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Numeric(|p| p.distances.ks),
    }
}

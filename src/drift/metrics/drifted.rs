//! `drifted`: a feature's verdict (computed in `drift::significance`).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** 1 when the feature drifted significantly (`drift_p_value_adjusted` at most the
    /// level and `drift_effect_size` at least `drift_min_effect`), else 0.
    ///
    /// **Why.** The per-feature verdict, calibrated at the run's own sample size, that the
    /// verdict sentence and the alert name.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `p_adjusted <= level and effect >= min_effect`.
    pub static DRIFTED {
        name: names::DRIFTED, label: "drifted", threshold: None,
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Flag,
        compute: Compute::Significance,
    }
}

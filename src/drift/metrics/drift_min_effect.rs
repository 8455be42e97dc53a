//! `drift_min_effect` (recorded by `drift::significance`).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The minimum `drift_effect_size` the feature had to reach to be flagged: the
    /// detector's `min_effect` (default 0.1) or its `feature_thresholds` entry.
    ///
    /// **Why.** Recorded beside the effect, so the flag can be checked from the result alone.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** The detector's settings.
    pub static DRIFT_MIN_EFFECT {
        name: names::DRIFT_MIN_EFFECT, label: "min. effect", threshold: None,
        kind: Kind::Both, direction: Direction::Neither, unit: Unit::Unitless,
        compute: Compute::Significance,
    }
}

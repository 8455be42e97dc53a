//! `drifted_features`: how many features drifted (counted in `drift::scan`).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The number of features flagged `drifted`.
    ///
    /// **Why.** The run's answer when the coefficient stays low but single features moved.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** The sum of `drifted` over the run's features.
    pub static DRIFTED_FEATURES {
        name: names::DRIFTED_FEATURES, label: "drifted features", threshold: None,
        kind: Kind::Dataset, direction: Direction::Higher, unit: Unit::Count,
        compute: Compute::Significance,
    }
}

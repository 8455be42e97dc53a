//! `datadrift_noise_floor` (computed in `drift::classifier`).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The 99th percentile of the coefficient with no drift, at this run's sample size
    /// and features.
    ///
    /// **Why.** With few rows a classifier finds chance patterns; a coefficient below this floor
    /// cannot be told from chance, and a floor at or above the threshold means only strong drift
    /// can raise an alert.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** The coefficient's null distribution, as `docs/classifier.md` describes it.
    pub static DATADRIFT_NOISE_FLOOR {
        name: names::DATADRIFT_NOISE_FLOOR, label: "noise floor", threshold: None,
        kind: Kind::Dataset, direction: Direction::Neither, unit: Unit::Unitless,
        compute: Compute::Classifier,
    }
}

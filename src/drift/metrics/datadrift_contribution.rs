//! `datadrift_contribution`: each feature's share of the domain classifier's importance
//! (computed in `drift::classifier`).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The domain classifier's importance of the feature (the forest's mean decrease in
    /// impurity, the boosted trees' total gain), normalised to sum to 1 over the features; all 0
    /// when the coefficient is 0.
    ///
    /// **Why.** Azure ML's per-column answer to "which features drifted": it says which features
    /// let the classifier tell target rows from baseline rows, interactions included.
    ///
    /// **Binning.** None: the classifier reads both sides' row samples.
    ///
    /// **Reference.** `azureml-datadrift`'s `datadrift_contribution`.
    pub static DATADRIFT_CONTRIBUTION {
        name: names::DATADRIFT_CONTRIBUTION, label: "contribution", threshold: None,
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Share,
        compute: Compute::Classifier,
    }
}

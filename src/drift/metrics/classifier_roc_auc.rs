//! `classifier_roc_auc` (computed in `drift::classifier`).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** ROC AUC of the domain classifier's held-out probabilities.
    ///
    /// **Why.** Threshold-free companion of the coefficient: 0.5 means the classifier cannot tell
    /// target rows from baseline rows, 1 that it always can.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `sklearn.metrics.roc_auc_score(labels, probabilities)`.
    pub static CLASSIFIER_ROC_AUC {
        name: names::CLASSIFIER_ROC_AUC, label: "ROC AUC", threshold: None,
        kind: Kind::Dataset, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Classifier,
    }
}

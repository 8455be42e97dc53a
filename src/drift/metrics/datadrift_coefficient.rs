//! `datadrift_coefficient`: the domain classifier's drift score (computed in `drift::classifier`).

use super::{Compute, Direction, Kind, Unit, names};
use crate::detector::DEFAULT_DRIFT_THRESHOLD as DETECTOR_DEFAULT;

metric! {
    /// **What.** Matthews correlation of the domain classifier's held-out predictions (baseline
    /// rows labelled 0, target rows 1; out of bag up to 1,000 rows per side, out of fold above),
    /// clipped to [0, 1]; 0 when the fit is not significant (see `docs/classifier.md`).
    ///
    /// **Why.** Azure ML's dataset-level drift score, so existing dashboards, alerts and KQL keep
    /// working; `has_drift` is this value strictly above the detector's threshold (default 0.2).
    ///
    /// **Binning.** None: the classifier reads both sides' row samples.
    ///
    /// **Reference.** `azureml-datadrift`'s `datadrift_coefficient`;
    /// `sklearn.metrics.matthews_corrcoef` on the held-out predictions.
    pub static DATADRIFT_COEFFICIENT {
        name: names::DATADRIFT_COEFFICIENT, label: "coefficient", threshold: Some(DETECTOR_DEFAULT),
        kind: Kind::Dataset, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Classifier,
    }
}

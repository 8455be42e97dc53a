//! The run's metrics from the domain classifier: `datadrift_coefficient`, `classifier_roc_auc`,
//! `datadrift_noise_floor` and `datadrift_p_value` (computed in `drift::classifier`).

use super::{Compute, Direction, Kind, Unit, names};

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
        name: names::DATADRIFT_COEFFICIENT, label: "coefficient",
        kind: Kind::Dataset, direction: Direction::Higher, unit: Unit::Unitless,
        threshold: Some(crate::detector::DEFAULT_DRIFT_THRESHOLD),
        compute: Compute::Classifier,
    }
}

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
        name: names::CLASSIFIER_ROC_AUC, label: "ROC AUC",
        kind: Kind::Dataset, direction: Direction::Higher, unit: Unit::Unitless, threshold: None,
        compute: Compute::Classifier,
    }
}

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
        name: names::DATADRIFT_NOISE_FLOOR, label: "noise floor",
        kind: Kind::Dataset, direction: Direction::Neither, unit: Unit::Unitless, threshold: None,
        compute: Compute::Classifier,
    }
}

metric! {
    /// **What.** The probability of a fit at least this good with no drift: up to 1,000 rows per
    /// side, of an out-of-bag ROC AUC at least this large among up to 499 label permutations;
    /// above, of a Matthews correlation at least this large under the per-fold hypergeometric
    /// reference.
    ///
    /// **Why.** Decides whether the coefficient counts: above the classifier's significance level
    /// (default 0.01) the coefficient and every contribution are 0.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** Besag and Clifford's sequential permutation test; see `docs/classifier.md`.
    pub static DATADRIFT_P_VALUE {
        name: names::DATADRIFT_P_VALUE, label: "coefficient p",
        kind: Kind::Dataset, direction: Direction::Lower, unit: Unit::Unitless, threshold: None,
        compute: Compute::Classifier,
    }
}

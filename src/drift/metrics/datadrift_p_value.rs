//! `datadrift_p_value`: whether the coefficient counts (computed in `drift::classifier`).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The probability of a fit at least this good with no drift: up to 1,000 rows per
    /// side, of an out-of-bag ROC AUC at least this large among up to 499 label permutations;
    /// above, of the prequential folds' summed Mann-Whitney statistics (each fold scored by a
    /// model trained on the folds before it) at least this large.
    ///
    /// **Why.** Decides whether the coefficient counts: above the classifier's significance level
    /// (default 0.01) the coefficient and every contribution are 0.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** Besag and Clifford's sequential permutation test; Stouffer's combination of
    /// independent tests; see `docs/classifier.md`.
    pub static DATADRIFT_P_VALUE {
        name: names::DATADRIFT_P_VALUE, label: "coefficient p", threshold: None,
        kind: Kind::Dataset, direction: Direction::Lower, unit: Unit::Unitless,
        compute: Compute::Classifier,
    }
}

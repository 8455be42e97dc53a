//! Which features drifted: the significance step's per-feature metrics and their count
//! (computed in `drift::significance` from each feature's tests, across the run).

use super::{Compute, Direction, Kind, Unit, names};
use crate::drift::significance::{DEFAULT_MIN_EFFECT, DEFAULT_SIGNIFICANCE_LEVEL};

metric! {
    /// **What.** The number of features flagged `drifted`.
    ///
    /// **Why.** The run's answer when the coefficient stays low but single features moved.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** The sum of `drifted` over the run's features.
    pub static DRIFTED_FEATURES {
        name: names::DRIFTED_FEATURES, label: "drifted features",
        kind: Kind::Dataset, direction: Direction::Higher, unit: Unit::Count, threshold: None,
        compute: Compute::Significance,
    }
}

metric! {
    /// **What.** The feature's p-value: twice the smaller of its value test's
    /// (`ks_p_value` or `chi_squared_p_value`) and its missing-rate test's
    /// (`missing_rate_p_value`), at most 1.
    ///
    /// **Why.** One p-value per feature, so the features of a run can be adjusted together; the
    /// doubling is the Bonferroni bound for the two tests.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `min(1, 2 * min(p_value, p_missing))`.
    pub static DRIFT_P_VALUE {
        name: names::DRIFT_P_VALUE, label: "p",
        kind: Kind::Both, direction: Direction::Lower, unit: Unit::Unitless, threshold: None,
        compute: Compute::Significance,
    }
}

metric! {
    /// **What.** `drift_p_value` adjusted across the run's features by Holm's method.
    ///
    /// **Why.** Many features mean many tests: without the adjustment, one feature in a hundred
    /// would drift by chance in every run. A feature is significant at or below the level
    /// (default 0.01).
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `statsmodels.stats.multitest.multipletests(p, method="holm")`.
    pub static DRIFT_P_VALUE_ADJUSTED {
        name: names::DRIFT_P_VALUE_ADJUSTED, label: "p adj.",
        kind: Kind::Both, direction: Direction::Lower, unit: Unit::Unitless,
        threshold: Some(DEFAULT_SIGNIFICANCE_LEVEL),
        compute: Compute::Significance,
    }
}

metric! {
    /// **What.** The larger of the value effect (`normalized_wasserstein_distance` for numeric
    /// features, `jensen_shannon_distance` for categorical ones) and `missing_rate_cohens_h`.
    ///
    /// **Why.** At very large samples everything is significant; a feature is flagged only when
    /// its effect also reaches `drift_min_effect`.
    ///
    /// **Binning.** As the metrics it takes.
    ///
    /// **Reference.** `max(effect, h)`.
    pub static DRIFT_EFFECT_SIZE {
        name: names::DRIFT_EFFECT_SIZE, label: "effect",
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Unitless,
        threshold: Some(DEFAULT_MIN_EFFECT),
        compute: Compute::Significance,
    }
}

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
        name: names::DRIFT_MIN_EFFECT, label: "min. effect",
        kind: Kind::Both, direction: Direction::Neither, unit: Unit::Unitless, threshold: None,
        compute: Compute::Significance,
    }
}

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
        name: names::DRIFTED, label: "drifted",
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Flag, threshold: None,
        compute: Compute::Significance,
    }
}

//! `drift_p_value_adjusted`: Holm's adjustment across the run (computed in `drift::significance`).

use super::{Compute, Direction, Kind, Unit, names};
use crate::drift::significance::DEFAULT_SIGNIFICANCE_LEVEL as LEVEL;

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
        name: names::DRIFT_P_VALUE_ADJUSTED, label: "p adj.", threshold: Some(LEVEL),
        kind: Kind::Both, direction: Direction::Lower, unit: Unit::Unitless,
        compute: Compute::Significance,
    }
}

//! `drift_p_value`: a feature's one p-value (computed in `drift::significance`).

use super::{Compute, Direction, Kind, Unit, names};

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
        name: names::DRIFT_P_VALUE, label: "p", threshold: None,
        kind: Kind::Both, direction: Direction::Lower, unit: Unit::Unitless,
        compute: Compute::Significance,
    }
}

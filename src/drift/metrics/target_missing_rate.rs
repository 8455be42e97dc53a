//! `target_missing_rate`.

use super::missing_rate::rate;
use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The share of target rows whose value is missing (empty or null), counted as
    /// `baseline_missing_rate` is.
    ///
    /// **Why.** Beside the baseline's rate, it shows a field that stopped being filled.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `target.isna().mean()`.
    pub static TARGET_MISSING_RATE {
        name: names::TARGET_MISSING_RATE, label: "miss. T", threshold: None,
        kind: Kind::Both, direction: Direction::Neither, unit: Unit::Share,
        compute: Compute::Either(|p| rate(p, 1)),
    }
}

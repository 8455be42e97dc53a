//! `baseline_missing_rate`.

use super::missing_rate::rate;
use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The share of baseline rows whose value is missing (empty or null). Invalid values
    /// (text in a numeric column) and NaN/inf are reported in the feature's data quality, not here.
    ///
    /// **Why.** With `target_missing_rate`, it shows a pipeline that stops filling a field: drift
    /// the distances cannot see, as they only look at the values that are there.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `baseline.isna().mean()` (pandas, with empty CSV fields read as NaN).
    pub static BASELINE_MISSING_RATE {
        name: names::BASELINE_MISSING_RATE, label: "miss. B", threshold: None,
        kind: Kind::Both, direction: Direction::Neither, unit: Unit::Share,
        compute: Compute::Either(|p| rate(p, 0)),
    }
}

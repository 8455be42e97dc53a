//! `baseline_missing_rate`, `target_missing_rate` and `missing_rate_change`.

use super::{Compute, Direction, Kind, Pair, Unit, names};
use crate::profile::numeric::ratio;

/// Missing values over rows on one side (0 = baseline, 1 = target); NaN without rows.
fn rate(p: &Pair, side: usize) -> f64 {
    let (missing, rows) = p.missing()[side];
    ratio(missing, rows)
}

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
        name: names::BASELINE_MISSING_RATE, label: "miss. B",
        kind: Kind::Both, direction: Direction::Neither, unit: Unit::Share, threshold: None,
        compute: Compute::Either(|p| rate(p, 0)),
    }
}

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
        name: names::TARGET_MISSING_RATE, label: "miss. T",
        kind: Kind::Both, direction: Direction::Neither, unit: Unit::Share, threshold: None,
        compute: Compute::Either(|p| rate(p, 1)),
    }
}

metric! {
    /// **What.** `target_missing_rate` minus `baseline_missing_rate`.
    ///
    /// **Why.** One signed number to sort and chart by; whether the change could be chance is
    /// `missing_rate_p_value`.
    ///
    /// **Binning.** None.
    ///
    /// **Reference.** `target.isna().mean() - baseline.isna().mean()`.
    pub static MISSING_RATE_CHANGE {
        name: names::MISSING_RATE_CHANGE, label: "miss. Δ",
        kind: Kind::Both, direction: Direction::EitherWay, unit: Unit::Share, threshold: None,
        compute: Compute::Either(|p| rate(p, 1) - rate(p, 0)),
    }
}

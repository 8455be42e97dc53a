//! `missing_rate_change`.

use super::missing_rate::rate;
use super::{Compute, Direction, Kind, Unit, names};

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
        name: names::MISSING_RATE_CHANGE, label: "miss. Δ", threshold: None,
        kind: Kind::Both, direction: Direction::EitherWay, unit: Unit::Share,
        compute: Compute::Either(|p| rate(p, 1) - rate(p, 0)),
    }
}

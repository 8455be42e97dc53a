//! `missing_rate_cohens_h`: the effect size of the missing rates' change.

use super::missing_rate_p_value::test;
use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** Cohen's h of the two missing rates: |2 asin sqrt(target rate) - 2 asin
    /// sqrt(baseline rate)|.
    ///
    /// **Why.** The effect size beside `missing_rate_p_value`. It treats rare events fairly:
    /// 0 % -> 0.25 % and 50 % -> 55 % both have h of about 0.1, while at a million rows
    /// 5.0 % -> 5.1 % is significant with h = 0.005.
    ///
    /// **Binning.** None; 0 when neither side has a missing value.
    ///
    /// **Reference.** h by its formula (Cohen 1988).
    pub static MISSING_RATE_COHENS_H {
        name: names::MISSING_RATE_COHENS_H, label: "miss. h", threshold: None,
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Either(|p| test(p).1),
    }
}

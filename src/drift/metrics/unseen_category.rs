//! `unseen_category_rate`: new categories in the target.

use super::{Compute, Direction, Kind, Unit, names};
use crate::profile::TextProfile;

metric! {
    /// **What.** The share of target rows whose category never occurs in the baseline (missing
    /// values are not "unseen"; divided by all target rows).
    ///
    /// **Why.** A new category (a new product code, a renamed country) is a common production
    /// surprise that frequency distances dilute when the new category is rare.
    ///
    /// **Binning.** Categories as counted by the profiles; when the baseline passed its category
    /// cap, categories it dropped count as unseen (an upper bound).
    ///
    /// **Reference.** `target[target.notna() & ~target.isin(set(baseline))].size / target.size`.
    pub static UNSEEN_CATEGORY_RATE {
        name: names::UNSEEN_CATEGORY_RATE, label: "unseen", threshold: None,
        kind: Kind::Categorical, direction: Direction::Higher, unit: Unit::Share,
        compute: Compute::Categorical(|p| unseen_category_rate(p.baseline, p.target)),
    }
}

/// Share of target rows with a category absent from the baseline; NaN without target rows.
pub fn unseen_category_rate(baseline: &TextProfile, target: &TextProfile) -> f64 {
    if target.rows == 0 {
        return f64::NAN;
    }
    let unseen: u64 = target
        .counts
        .iter()
        .filter(|(k, _)| !baseline.counts.contains_key(*k))
        .map(|(_, c)| c)
        .sum::<u64>()
        + target.other;
    unseen as f64 / target.rows as f64
}

//! Missing rates, shared by `baseline_missing_rate`, `target_missing_rate` and
//! `missing_rate_change`.

use super::Pair;
use crate::profile::numeric::ratio;

/// Missing values over rows on one side (0 = baseline, 1 = target); NaN without rows.
pub fn rate(p: &Pair, side: usize) -> f64 {
    let (missing, rows) = p.missing()[side];
    ratio(missing, rows)
}

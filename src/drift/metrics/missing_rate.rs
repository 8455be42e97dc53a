//! `baseline_missing_rate`, `target_missing_rate` and `missing_rate_change`
//!
//! **What.** The share of rows whose value is missing (empty or null) on each side, and the
//! target's minus the baseline's. Invalid values (text in a numeric column) and NaN/inf are
//! reported separately in the feature's data quality, not here.
//!
//! **Why.** A pipeline that stops filling a field is drift the distances cannot see: they only
//! look at the values that are there.
//!
//! **Binning.** None.
//!
//! **Reference.** `baseline.isna().mean()`, `target.isna().mean()` (pandas, with empty CSV
//! fields read as NaN).

use crate::drift::metrics::names;
use crate::drift::result::Metric;

/// The three missing-rate metrics.
pub fn missing_rate_metrics(baseline_rate: f64, target_rate: f64) -> [Metric; 3] {
    [
        Metric::new(names::BASELINE_MISSING_RATE, baseline_rate),
        Metric::new(names::TARGET_MISSING_RATE, target_rate),
        Metric::new(names::MISSING_RATE_CHANGE, target_rate - baseline_rate),
    ]
}

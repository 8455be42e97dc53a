//! The scan orchestrator: two profiles and the run's context in, a [`RunResult`] out.

use chrono::NaiveDate;

use super::result::{RunResult, RunType};
use crate::profile::Profile;

/// Who and what a run is for; copied into the result.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// Detector name (`adhoc` from the command line).
    pub detector: String,
    /// Service name (`local` from the command line).
    pub service_name: String,
    /// Model name.
    pub model_name: String,
    /// Model version.
    pub model_version: u32,
    /// Scoring date.
    pub date: NaiveDate,
    /// What started the run.
    pub run_type: RunType,
}

/// What to compare and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Features to compare; every common, comparable column when `None`.
    pub features: Option<Vec<String>>,
    /// Drift threshold for `has_drift`.
    pub threshold: f64,
    /// Seed of the classifier's split and booster.
    pub seed: u64,
}

/// Why two profiles could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {}

/// Compares a target profile with a baseline profile.
pub fn compare(
    _baseline: &Profile,
    _target: &Profile,
    _options: &ScanOptions,
    _context: &RunContext,
) -> Result<RunResult, ScanError> {
    todo!("drift::scan::compare")
}

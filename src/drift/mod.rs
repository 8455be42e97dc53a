//! Two profiles in, one [`result::RunResult`] out.
//!
//! `metrics` computes per-feature distances from the two profiles' sketches, `classifier` trains the
//! domain classifier on the two row samples, `distributions` prepares histograms and KDEs for plotting,
//! and `scan` is the orchestrator: the only place that wires `data`, `profile` and `drift` together.

pub mod classifier;
pub mod diff;
pub mod distributions;
pub mod metrics;
pub mod performance;
pub mod prediction;
pub mod quality;
pub mod result;
pub mod scan;
pub mod signals;
pub mod significance;
pub mod verdict;

//! Integration tests: one binary, one module per area.

/// Real components on loopback (Azurite, SMTP) shared by the areas below.
mod harness;

/// Drift engine: readers, profiles, metrics and diff (accuracy against scipy, bad input).
mod engine;
// Domain classifier (coefficient, contributions, noise floor) on generated data with known answers.
mod classifier;

// Plotting distributions (histograms, KDEs) against numpy and scipy reference values.
mod distributions;
// Per-feature p-values (KS, chi-squared, missing rate) and Holm's adjustment against scipy.
mod report;
mod significance;

// Metrics to Application Insights (loopback ingestion stand-in), JSON-lines file, alert mail
// (aiosmtpd), webhook.
mod sinks;

// infra/terraform and infra/bicep parsed by checkov and compared; `driftscan infra params`.
mod infra;

/// The dependency rule of src/lib.rs, read from the `use crate::` lines under src/.
mod layout;
/// REST API, timer invocations, readiness and the CLI of the service.
mod service;
/// Store contract on the local folder and on Azurite (also hosts the Azurite harness).
mod store;

// The scan, profile, diff and demo commands as a user runs them (exit codes, output, files).
mod cli;

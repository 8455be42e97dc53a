//! Integration tests: one binary, one module per area.

/// Real components on loopback (Azurite, SMTP) shared by the areas below.
mod harness;

/// A profile bomb, files of a million columns and a snapshot of 100,000 small files: refused or
/// read within bounded memory and open files.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod bounded_inputs;
/// Domain classifier (coefficient, contributions, noise floor) on generated data with known answers.
mod classifier;
/// Plotting distributions (histograms, KDEs) against numpy and scipy reference values.
mod distributions;
/// Drift engine: readers, profiles, metrics and diff (accuracy against scipy, bad input).
mod engine;
/// Fuzz corpus and mutated fixtures through the binary, under a memory limit and a timeout.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
mod fuzz;
/// Model performance: realized metrics against scikit-learn, estimates' bands over seeds.
mod performance;
/// Simulated models whose truth is known (shared with `examples/performance_sweep.rs`, which
/// also uses the multiclass model the tests leave out).
#[allow(dead_code)]
mod performance_data;
/// Prediction drift: Chebyshev distance against scipy, false-alarm rate and power over seeds.
mod prediction;
/// Profiles the same bytes however the data was split: partition invariance, merges, drivers.
mod profile;
/// Data quality: null, type-error and out-of-bounds rates equal to injected shares in every
/// format, merged parts and a detector run.
mod quality;
/// Readers on hostile input (one regression test per reader case of issue 12) and over byte
/// sources, as the service reads snapshots.
mod readers;
/// Per-feature p-values (KS, chi-squared, missing rate) and Holm's adjustment against scipy.
mod significance;

/// The HTML report in headless Chromium.
mod report;
/// Metrics to Application Insights (loopback ingestion stand-in), JSON-lines file, alert mail
/// (aiosmtpd), webhook.
mod sinks;

/// infra/terraform and infra/bicep parsed by checkov and compared; `driftscan infra params`.
mod infra;

/// The same refused request through the command line and the REST API: one code, one table.
mod detector_errors;
/// Hostile callers and bounded resources in the service (issue 12, numbered cases).
mod hostile;
/// The dependency rule of src/lib.rs, read from the `use crate::` lines under src/.
mod layout;
/// Symbolic links and special files in stores, data roots and command-line output paths.
mod paths;
/// One pipeline for CLI and service: gzipped snapshots, one content hash, ranged reads, CLI on az://.
mod pipeline;
/// REST API, timer invocations, readiness and the CLI of the service.
mod service;
/// Store contract on the local folder and on Azurite (also hosts the Azurite harness).
mod store;
/// Unreadable values, vanished columns and unseen categories in the verdict.
mod verdicts;
/// Reference and production windows: rolling references merged from cached day profiles, equal
/// to a scan by hand; missing days, late files, overlaps, fixed windows.
mod windows;

/// The scan, profile, diff and demo commands as a user runs them (exit codes, output, files).
mod cli;
/// Snapshots of the result document and the terminal summary, volatile fields redacted.
mod documents;
/// The README's demo output, compared with what the demo command prints.
mod readme;

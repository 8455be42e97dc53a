//! Integration tests: one binary, one module per area.

/// Drift engine: readers, profiles, metrics and diff (accuracy against scipy, bad input).
mod engine;
/// REST API, timer invocations, readiness and the CLI of the service.
mod service;
/// Store contract on the local folder and on Azurite (also hosts the Azurite harness).
mod store;

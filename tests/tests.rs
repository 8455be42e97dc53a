//! Integration tests: one binary, one module per area.

/// Drift engine: readers, profiles, metrics and diff (accuracy against scipy, bad input).
mod engine;

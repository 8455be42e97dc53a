//! Integration tests: one binary, one module per area.

// Domain classifier (coefficient, contributions, noise floor) on generated data with known answers.
mod classifier;

// Plotting distributions (histograms, KDEs) against numpy and scipy reference values.
mod distributions;

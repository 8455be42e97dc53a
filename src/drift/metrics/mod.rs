//! Per-feature drift metrics, each defined once.

pub mod names;

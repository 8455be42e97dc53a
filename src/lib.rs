//! driftscan: data-drift monitoring for deployed machine-learning models.
//!
//! # The flow of one scan
//!
//! ```text
//! trigger (timer | HTTP | CLI | Python)
//!   -> detector      which model, services, baseline, features, threshold, alerts     (detector/)
//!   -> data          files or blobs, read by ranges -> typed Arrow batches            (data/)
//!   -> profile       one streaming pass -> mergeable column sketches + row sample     (profile/)
//!   -> drift         two profiles -> per-feature metrics, domain classifier, result   (drift/)
//!   -> store         run result written atomically, history kept                      (store/)
//!   -> report        HTML + SVG from stored results                                   (report/)
//!   -> sinks         metrics (App Insights | JSONL), alerts (email | webhook | log)   (sinks/)
//! ```
//!
//! [`pipeline`] is the only module that wires the stages; the adapters ([`cli`], [`functions`]
//! and the Python package) call it. [`base`] is the ground floor: hashes and seeded randomness.
//!
//! # The dependency rule
//!
//! A module imports only modules on the layers below its own (the order of [`LAYERS`]), never one
//! above: `data` never knows about profiles, `profile` never about drift, no stage about the
//! pipeline or an adapter. `report` sits below `sinks` because an alert mail reuses the report's
//! rendering. The adapters reach the stages through [`pipeline`]: they never import `data` or
//! `profile` themselves. A test in `tests/layout.rs` reads every `use crate::` line under `src/`
//! and fails on an import against this rule.
#![warn(missing_docs)]

pub mod base;
pub mod cli;
pub mod data;
pub mod detector;
pub mod drift;
pub mod functions;
pub mod pipeline;
pub mod profile;
pub mod report;
pub mod sinks;
pub mod store;

/// The layers of the crate, lowest first (see "The dependency rule" above). Modules on one line
/// are the same layer and may use each other.
pub const LAYERS: &[&[&str]] = &[
    &["base"],
    &["detector"],
    &["data"],
    &["profile"],
    &["drift"],
    &["store"],
    &["report"],
    &["sinks"],
    &["pipeline"],
    &["cli", "functions"],
];

/// Stages the adapters may not import directly: they go through [`pipeline`].
pub const ADAPTERS_NEVER_IMPORT: &[&str] = &["data", "profile"];

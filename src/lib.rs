//! driftscan: data-drift monitoring for deployed machine-learning models.
//!
//! # The flow of one scan
//!
//! ```text
//! trigger (timer | HTTP | CLI)
//!   -> detector            which model, services, baseline, features, threshold, alerts   (detector.rs)
//!   -> data                snapshot files -> typed Arrow batches                            (data/)
//!   -> profile             one streaming pass -> mergeable column sketches + row sample     (profile/)
//!   -> drift               two profiles -> per-feature metrics, domain classifier, result   (drift/)
//!   -> store               run result written atomically, history kept                      (store/)
//!   -> sinks               metrics (App Insights | JSONL), alerts (email | webhook | log)   (sinks/)
//!   -> report              HTML + SVG from stored results                                   (report/)
//! ```
//!
//! Each arrow is a module boundary: a module owns its types and later stages import them.
//! [`drift::scan`] is the only place that wires `data`, `profile` and `drift` together;
//! [`functions`] and [`cli`] wire the scan to the store, the sinks and the report.
#![warn(missing_docs)]

pub mod cli;
pub mod data;
pub mod detector;
pub mod drift;
pub mod functions;
pub mod profile;
pub mod report;
pub mod sinks;
pub mod store;

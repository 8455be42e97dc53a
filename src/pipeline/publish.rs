//! After a result is recorded: metrics to Application Insights (or the JSON-lines file) and alerts
//! by email, webhook and log.

use std::sync::OnceLock;

use crate::detector::Detector;
use crate::drift::result::RunResult;
use crate::sinks::{self, SinkConfig};
use crate::store::Store;

/// Every stored result passes here once, after it is recorded. Publishing never fails the run;
/// what was delivered or dropped is logged. The settings are read from the environment once.
/// With a local store and neither a connection string nor `DRIFTSCAN_METRICS_FILE`, metrics go to
/// `metrics.jsonl` in the store folder, beside the results they come from.
pub async fn publish(result: &RunResult, detector: &Detector, store: &dyn Store) {
    static CONFIG: OnceLock<Option<SinkConfig>> = OnceLock::new();
    let config = CONFIG.get_or_init(|| match SinkConfig::from_env() {
        Ok(config) => Some(config),
        Err(error) => {
            tracing::error!(message = "Sink settings are invalid; metrics and alerts are off.", %error);
            None
        }
    });
    match config {
        Some(config) => {
            let in_store = store.local_root().and_then(|root| {
                config.with_metrics_file_in_place_of_default(root.join("metrics.jsonl"))
            });
            let config = in_store.as_ref().unwrap_or(config);
            let report = sinks::publish(result, detector, config).await;
            tracing::info!(message = "Published run.", detector = %detector.name, service = %result.service_name, date = %result.datetime, report = ?report);
        }
        None if result.has_drift => tracing::warn!(
            message = "Drift detected.",
            detector = %detector.name,
            service = %result.service_name,
            date = %result.datetime,
            coefficient = result.coefficient().unwrap_or(f64::NAN),
            threshold = result.drift_threshold,
        ),
        None => {}
    }
}

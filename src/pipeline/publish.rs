//! After a result is recorded: metrics to Application Insights (or the JSON-lines file) and alerts
//! by email, webhook and log.
//!
//! Publishing never holds a request: for ad-hoc runs and backfills it runs in the background,
//! bounded by each channel's retry budget, and what was delivered or dropped is written beside the
//! result as `runs/{detector}/{service}/{yyyy}/{mm}/{dd}.delivery.json`. A timer run waits for it
//! (a Functions instance may be frozen once its invocation returns). The command line waits for
//! everything still in flight before it exits ([`finish_pending`]).

use std::sync::{Arc, LazyLock, Mutex, OnceLock};

use chrono::Utc;
use serde_json::json;

use crate::detector::Detector;
use crate::drift::result::RunResult;
use crate::sinks::{self, PublishReport, SinkConfig};
use crate::store::{PutCondition, Store, keys};

/// Deliveries started in the background and not yet finished.
static PENDING: LazyLock<Mutex<Vec<tokio::task::JoinHandle<()>>>> = LazyLock::new(Default::default);

/// Publishes a recorded result; waits for the delivery when `wait`, else leaves it running.
pub async fn publish(result: &RunResult, detector: &Detector, store: &Arc<dyn Store>, wait: bool) {
    // `/metrics` of this process, whatever the sinks are.
    sinks::prometheus::record(result);
    let task = deliver(result.clone(), detector.clone(), Arc::clone(store));
    if wait {
        task.await;
        return;
    }
    let handle = tokio::spawn(task);
    if let Ok(mut pending) = PENDING.lock() {
        pending.retain(|h| !h.is_finished());
        pending.push(handle);
    }
}

/// Waits for every delivery started in the background by this process.
pub async fn finish_pending() {
    let handles: Vec<_> = PENDING
        .lock()
        .map(|mut p| std::mem::take(&mut *p))
        .unwrap_or_default();
    for h in handles {
        let _ = h.await;
    }
}

/// The sink settings of the process, read from the environment once.
fn config() -> Option<&'static SinkConfig> {
    static CONFIG: OnceLock<Option<SinkConfig>> = OnceLock::new();
    CONFIG
        .get_or_init(|| match SinkConfig::from_env() {
            Ok(config) => Some(config),
            Err(error) => {
                tracing::error!(message = "Sink settings are invalid; metrics and alerts are off.", %error);
                None
            }
        })
        .as_ref()
}

/// Sends one result to the sinks and records the outcome beside it. With a local store and
/// neither a connection string nor `DRIFTSCAN_METRICS_FILE`, metrics go to `metrics.jsonl` in the
/// store folder, beside the results they come from.
async fn deliver(result: RunResult, detector: Detector, store: Arc<dyn Store>) {
    let Some(config) = config() else {
        if result.has_drift {
            tracing::warn!(
                message = "Drift detected.",
                detector = %detector.name,
                service = %result.service_name,
                date = %result.datetime,
                coefficient = result.coefficient().unwrap_or(f64::NAN),
                threshold = result.drift_threshold,
            );
        }
        return;
    };
    let in_store = store
        .local_root()
        .and_then(|root| config.with_metrics_file_in_place_of_default(root.join("metrics.jsonl")));
    let report = sinks::publish(&result, &detector, in_store.as_ref().unwrap_or(config)).await;
    tracing::info!(message = "Published run.", detector = %detector.name, service = %result.service_name, date = %result.datetime, report = ?report);
    record(&*store, &result, &report).await;
}

/// Writes the delivery outcome beside the result; a failure to write it is logged, not fatal.
async fn record(store: &dyn Store, result: &RunResult, report: &PublishReport) {
    let outcome = json!({
        "recorded_at": Utc::now().to_rfc3339(),
        "fully_delivered": report.fully_delivered(),
        "summary": report.summary(),
        "report": report,
    });
    let write = async {
        let key = keys::delivery(&result.detector, &result.service_name, result.datetime)?;
        let bytes = serde_json::to_vec_pretty(&outcome).unwrap_or_default();
        store
            .put(&key, bytes.into(), PutCondition::Overwrite)
            .await
            .map(|_| ())
    };
    if let Err(e) = write.await {
        tracing::warn!(message = "Could not record the delivery outcome.", error = %super::error_chain(&e));
    }
}

/// Loads the latest stored result (and failed record) of every detector and service into
/// `/metrics` ([`sinks::prometheus`]), as a restarted process would have seen them. Errors are logged and skipped: `/metrics` then shows
/// what it has.
pub async fn load_latest(store: &Arc<dyn Store>) {
    let detectors = match super::Detectors::new(Arc::clone(store)).list().await {
        Ok(d) => d,
        Err(error) => {
            tracing::warn!(message = "Detectors not listed for /metrics.", %error);
            return;
        }
    };
    for detector in detectors {
        for service in &detector.services {
            let Ok(prefix) = keys::runs_prefix(&detector.name, service) else {
                continue;
            };
            let Ok(listed) = store.list(&prefix).await else {
                continue;
            };
            // The latest scored day, and the latest failed record if it is later.
            let mut scored = None;
            let mut failed = None;
            for key in listed {
                match keys::parse_run_key(key.as_str()) {
                    Some((date, false)) if scored.as_ref().is_none_or(|(d, _)| *d < date) => {
                        scored = Some((date, key))
                    }
                    Some((date, true)) if failed.as_ref().is_none_or(|(d, _)| *d < date) => {
                        failed = Some((date, key))
                    }
                    _ => {}
                }
            }
            for (_, key) in scored.into_iter().chain(failed) {
                let Ok(Some(object)) = store.get(&key).await else {
                    continue;
                };
                if let Ok(result) = serde_json::from_slice::<RunResult>(&object.bytes) {
                    sinks::prometheus::keep_latest(&result);
                }
            }
        }
    }
}

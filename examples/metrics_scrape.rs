//! The `/metrics` scrape at scale: 100 detectors whose latest runs each judged 200 features, read
//! back from a folder store as a restarted `driftscan serve` does, then rendered. Prints the load
//! and scrape times, the size of the answer, its series count against the documented bound, and
//! the process's peak RSS.
//!
//! ```text
//! cargo run --release --example metrics_scrape
//! ```

use std::sync::Arc;
use std::time::Instant;

use driftscan::drift::result::RunResult;
use driftscan::pipeline::Detectors;
use driftscan::sinks::{prometheus, series};
use driftscan::store::{LocalStore, PutCondition, Store, keys};
use serde_json::json;

const DETECTORS: usize = 100;
const FEATURES: usize = 200;
/// Per-column metrics of a numeric feature in a stored result.
const COLUMN_METRICS: [&str; 10] = [
    "datadrift_contribution",
    "wasserstein_distance",
    "energy_distance",
    "normalized_wasserstein_distance",
    "two_sample_ks_statistic",
    "ks_p_value",
    "population_stability_index",
    "drift_p_value",
    "drift_p_value_adjusted",
    "drift_effect_size",
];

fn result(detector: &str, seed: usize) -> RunResult {
    let columns: Vec<serde_json::Value> = (0..FEATURES)
        .map(|f| {
            let metrics: Vec<serde_json::Value> = COLUMN_METRICS
                .iter()
                .enumerate()
                .map(|(i, m)| {
                    json!({"name": m, "value": ((seed * 31 + f * 7 + i) % 997) as f64 / 997.0})
                })
                .collect();
            json!({ format!("feature_{f:03}"): metrics })
        })
        .collect();
    serde_json::from_value(json!({
        "schema_version": "1.0", "datetime": "2026-11-24", "detector": detector,
        "service_name": "svc", "model_name": "m", "model_version": 1,
        "drift_threshold": 0.3, "has_drift": false,
        "dataset_metrics": [
            {"name": "datadrift_coefficient", "value": 0.12},
            {"name": "classifier_roc_auc", "value": 0.56},
            {"name": "datadrift_noise_floor", "value": 0.05},
            {"name": "datadrift_p_value", "value": 0.2},
            {"name": "drifted_features", "value": 3.0}],
        "column_metrics": columns,
        "run": {"run_type": "Scheduler", "status": "succeeded", "started_at": "2026-11-25T02:00:00Z",
                "duration_ms": 1200, "driftscan_version": "0.1.0"},
        "baseline": {"source": "train.csv", "files": 1, "rows": 100000},
        "target": {"source": "day", "files": 1, "rows": 100000}
    }))
    .expect("a valid result")
}

fn peak_rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let store: Arc<dyn Store> = Arc::new(LocalStore::new(dir.path()).expect("a folder store"));
    let detectors = Detectors::new(Arc::clone(&store));
    for d in 0..DETECTORS {
        let name = format!("detector-{d:03}");
        let definition = json!({"name": name, "model_name": "m", "model_version": 1,
            "services": ["svc"], "baseline": "train.csv"});
        detectors
            .create(definition.to_string().as_bytes())
            .await
            .expect("a detector");
        let r = result(&name, d);
        let key = keys::run(&name, "svc", r.datetime).expect("a key");
        store
            .put(
                &key,
                serde_json::to_vec(&r).expect("JSON").into(),
                PutCondition::Overwrite,
            )
            .await
            .expect("stored");
    }
    let started = Instant::now();
    driftscan::pipeline::publish::load_latest(&store).await;
    let loaded = started.elapsed();
    let started = Instant::now();
    let text = prometheus::render();
    let scraped = started.elapsed();
    let series_count = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.is_empty())
        .count();
    let top = series::top_features();
    // Per detector and service: 5 dataset values, the threshold, one last-run time, and the
    // kept columns' values.
    let bound = DETECTORS * (5 + 1 + 1 + 2 * top * COLUMN_METRICS.len());
    println!(
        "{DETECTORS} detectors x {FEATURES} features ({} column metrics each), top {top} features kept",
        COLUMN_METRICS.len()
    );
    println!(
        "load from the store: {:.0} ms; scrape: {:.1} ms, {:.0} KB, {series_count} series (bound {bound}); peak RSS {:.0} MB",
        loaded.as_secs_f64() * 1000.0,
        scraped.as_secs_f64() * 1000.0,
        text.len() as f64 / 1024.0,
        peak_rss_mb()
    );
    assert!(
        series_count <= bound,
        "{series_count} series over the bound {bound}"
    );
}

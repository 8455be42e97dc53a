//! `/metrics` of `driftscan serve`: the latest run of each detector and service as gauges, and the
//! runs this process finished as a counter by status and a histogram of durations, in the
//! OpenMetrics text format (which Prometheus scrapes), encoded by `prometheus-client`.
//!
//! The latest values come from the runs the process publishes ([`record`]) and, at start, from
//! the results already in the store (`pipeline::publish::load_latest`), so a restarted or
//! scaled-out instance answers with every detector. A run of an earlier day (a backfill) never replaces a later
//! day's values; a failed or empty run keeps the values of the last scored day and shows in
//! `driftscan_last_run_timestamp_seconds{status}` and `driftscan_runs_total{status}`. Names and
//! bounded labels: [`super::series`].

use std::collections::BTreeMap;
use std::sync::atomic::AtomicU64;
use std::sync::{LazyLock, Mutex};

use chrono::NaiveDate;
use prometheus_client::encoding::text::encode;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::metrics::histogram::Histogram;
use prometheus_client::registry::Registry;

use super::MetricPoint;
use super::series::{
    DRIFT_THRESHOLD, DURATION_BUCKETS, RUN_DURATION, RUNS, prometheus_name, series_points,
    status_label, top_features,
};
use crate::drift::result::{RunResult, RunStatus};

/// The `Content-Type` of [`render`]'s text.
pub const CONTENT_TYPE: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

type Labels = Vec<(String, String)>;
type Durations = Family<Labels, Histogram, fn() -> Histogram>;

/// What is kept of one detector and service.
#[derive(Default)]
struct Latest {
    /// The last scored day and its values (bounded by [`series_points`]).
    scored: Option<(NaiveDate, f64, Vec<MetricPoint>)>,
    /// When a run last finished, by status, in Unix seconds.
    finished: BTreeMap<&'static str, f64>,
}

/// The process's metrics.
struct Exposition {
    latest: Mutex<BTreeMap<(String, String), Latest>>,
    runs: Family<Labels, Counter>,
    durations: Durations,
}

static EXPOSITION: LazyLock<Exposition> = LazyLock::new(|| Exposition {
    latest: Mutex::default(),
    runs: Family::default(),
    durations: Family::new_with_constructor(|| Histogram::new(DURATION_BUCKETS)),
});

/// Takes in a run this process finished: its values, its count and its duration.
pub fn record(result: &RunResult) {
    keep_latest(result);
    let detector = result.detector.clone();
    let status = status_label(result.run.status).to_string();
    EXPOSITION
        .runs
        .get_or_create(&vec![
            ("detector".to_string(), detector.clone()),
            ("status".to_string(), status),
        ])
        .inc();
    EXPOSITION
        .durations
        .get_or_create(&vec![("detector".to_string(), detector)])
        .observe(result.run.duration_ms as f64 / 1000.0);
}

/// Keeps `result`'s values if it is the latest scored day of its detector and service (a stored
/// result read at start, or a run this process made through [`record`]).
pub fn keep_latest(result: &RunResult) {
    let Ok(mut latest) = EXPOSITION.latest.lock() else {
        return;
    };
    let entry = latest
        .entry((result.detector.clone(), result.service_name.clone()))
        .or_default();
    let finished =
        (result.run.started_at.timestamp_millis() as f64 + result.run.duration_ms as f64) / 1000.0;
    let slot = entry
        .finished
        .entry(status_label(result.run.status))
        .or_insert(finished);
    *slot = slot.max(finished);
    let later = entry
        .scored
        .as_ref()
        .is_none_or(|(date, _, _)| *date <= result.datetime);
    if result.run.status == RunStatus::Succeeded && later {
        entry.scored = Some((
            result.datetime,
            result.drift_threshold,
            series_points(result, top_features()),
        ));
    }
}

/// The exposition: every kept value and the run counters, in the OpenMetrics text format.
pub fn render() -> String {
    let mut registry = Registry::default();
    let mut gauges: BTreeMap<String, Family<Labels, Gauge<f64, AtomicU64>>> = BTreeMap::new();
    let threshold = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    let last_run = Family::<Labels, Gauge<f64, AtomicU64>>::default();
    if let Ok(latest) = EXPOSITION.latest.lock() {
        for ((detector, service), kept) in latest.iter() {
            let base = vec![
                ("detector".to_string(), detector.clone()),
                ("service".to_string(), service.clone()),
            ];
            for (status, at) in &kept.finished {
                let mut labels = base.clone();
                labels.push(("status".to_string(), status.to_string()));
                last_run.get_or_create(&labels).set(*at);
            }
            let Some((_, drift_threshold, points)) = &kept.scored else {
                continue;
            };
            threshold.get_or_create(&base).set(*drift_threshold);
            for point in points {
                let mut labels = base.clone();
                if let Some(feature) = &point.feature {
                    labels.push(("feature".to_string(), feature.clone()));
                }
                if let Some(signal) = &point.signal {
                    labels.push(("signal".to_string(), signal.clone()));
                }
                gauges
                    .entry(prometheus_name(&point.name))
                    .or_default()
                    .get_or_create(&labels)
                    .set(point.value);
            }
        }
    }
    for (name, family) in gauges {
        registry.register(
            name,
            "the latest scored day's value (see docs/sinks.md)",
            family,
        );
    }
    registry.register(
        prometheus_name(DRIFT_THRESHOLD),
        "the drift threshold of the latest scored day",
        threshold,
    );
    registry.register(
        "driftscan_last_run_timestamp_seconds",
        "when a run of this status last finished (Unix time)",
        last_run,
    );
    registry.register(
        prometheus_name(RUNS),
        "runs finished by this process, by status",
        EXPOSITION.runs.clone(),
    );
    registry.register(
        format!("{}_seconds", prometheus_name(RUN_DURATION)),
        "how long runs of this process took",
        EXPOSITION.durations.clone(),
    );
    let mut text = String::new();
    // Writing into a String cannot fail.
    let _ = encode(&mut text, &registry);
    text
}

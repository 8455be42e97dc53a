//! What the time-series backends (Prometheus' `/metrics`, OpenTelemetry's OTLP) get of a run,
//! and under which names: one rule for both, so a dashboard over either reads the same series.
//!
//! * **Names.** A run's values keep their Application Insights names as OTLP metric names
//!   (`datadrift_coefficient`, `performance.accuracy`); Prometheus names are [`prometheus_name`]
//!   of those (`driftscan_datadrift_coefficient`, `driftscan_performance_accuracy`). Runs are
//!   counted as [`RUNS`] and timed as [`RUN_DURATION`] in seconds.
//! * **Labels** (attributes): `detector` and `service` on every value, `feature` on a column's,
//!   `signal` on a signal's, `status` on run counts; never a date or a free text.
//! * **Bounded cardinality.** Application Insights takes every column's values; a time-series
//!   store pays for each label combination, so per-column values are kept for the run's
//!   [`top_features`] most contributing columns and for columns a signal failed on, at most
//!   `2 x top_features` columns per run. Per detector and service that is at most
//!   `dataset values + signal values + 2 x top_features x column metrics` series (see
//!   docs/sinks.md for the figures).

use std::collections::BTreeSet;

use super::{MetricPoint, SIGNAL_FAILED, metric_points};
use crate::detector::signals::{
    DATA_QUALITY, PERFORMANCE, PERFORMANCE_METRICS, PREDICTION_DRIFT, QUALITY_METRICS,
};
use crate::drift::metrics::METRICS;
use crate::drift::result::{RunResult, RunStatus};

/// Runs finished, by detector and status (`succeeded`, `no_data`, `failed`): an OTLP counter,
/// `driftscan_runs_total` in Prometheus.
pub const RUNS: &str = "driftscan.runs";
/// How long runs took, in seconds, by detector: an OTLP histogram,
/// `driftscan_run_duration_seconds` in Prometheus.
pub const RUN_DURATION: &str = "driftscan.run.duration";
/// The detector's drift threshold at its latest run, by detector and service.
pub const DRIFT_THRESHOLD: &str = "drift_threshold";
/// Bucket bounds of [`RUN_DURATION`], in seconds: a run takes from milliseconds (a saved
/// profile) to minutes (a large snapshot, a backfill day with performance).
pub const DURATION_BUCKETS: [f64; 12] = [
    0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0,
];

/// A run's status as a label value: its name in results (`succeeded`, `no_data`, `failed`).
pub fn status_label(status: RunStatus) -> &'static str {
    match status {
        RunStatus::Succeeded => "succeeded",
        RunStatus::NoData => "no_data",
        RunStatus::Failed => "failed",
    }
}

/// Default of [`top_features`].
pub const DEFAULT_TOP_FEATURES: usize = 10;
/// Largest accepted `DRIFTSCAN_METRICS_TOP_FEATURES`.
pub const MAX_TOP_FEATURES: usize = 100;

/// Columns whose values a run sends to time-series backends: `DRIFTSCAN_METRICS_TOP_FEATURES`
/// (0 to [`MAX_TOP_FEATURES`]), else [`DEFAULT_TOP_FEATURES`]. An invalid value is logged once and
/// the default used: telemetry settings never stop a run.
pub fn top_features() -> usize {
    static TOP: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *TOP.get_or_init(|| {
        let Ok(text) = std::env::var("DRIFTSCAN_METRICS_TOP_FEATURES") else {
            return DEFAULT_TOP_FEATURES;
        };
        match text.trim().parse::<usize>() {
            Ok(n) if n <= MAX_TOP_FEATURES => n,
            _ => {
                tracing::warn!(
                    message = "DRIFTSCAN_METRICS_TOP_FEATURES is not a number from 0 to 100; the default is used.",
                    value = %text,
                    default = DEFAULT_TOP_FEATURES
                );
                DEFAULT_TOP_FEATURES
            }
        }
    })
}

/// The values of `result` a time-series backend gets: [`metric_points`] with per-column values
/// only for the `top` most contributing columns and, up to `top` more, the columns a signal
/// failed on.
pub fn series_points(result: &RunResult, top: usize) -> Vec<MetricPoint> {
    let mut kept: BTreeSet<String> = result
        .top_contributors(top)
        .into_iter()
        .map(|(name, _)| name)
        .collect();
    let failing = result
        .signals
        .iter()
        .flat_map(|s| s.features.iter())
        .filter(|f| !f.passed)
        .map(|f| f.name.clone());
    let mut extra = 0;
    for name in failing {
        if extra < top && kept.insert(name) {
            extra += 1;
        }
    }
    let (points, _) = metric_points(result);
    points
        .into_iter()
        .filter(|p| p.feature.as_ref().is_none_or(|f| kept.contains(f)))
        .collect()
}

/// A metric name as Prometheus spells it: `driftscan_` and the name with every character outside
/// `[a-zA-Z0-9_]` as `_` (`performance.accuracy` -> `driftscan_performance_accuracy`).
pub fn prometheus_name(name: &str) -> String {
    let body: String = name
        .chars()
        .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
        .collect();
    if body.starts_with("driftscan_") {
        body
    } else {
        format!("driftscan_{body}")
    }
}

/// Every metric name a run can send (to Application Insights, the metrics file and OTLP):
/// the input-drift metrics, [`SIGNAL_FAILED`], and each signal's metrics as `{signal}.{metric}`.
/// Dashboards and workbooks are checked against this list.
pub fn emitted_metric_names() -> Vec<String> {
    let mut names: BTreeSet<String> = METRICS.iter().map(|m| m.name.to_string()).collect();
    names.insert(SIGNAL_FAILED.to_string());
    // Prediction drift judges output columns by the input-drift metrics' definitions.
    for m in METRICS {
        names.insert(format!("{PREDICTION_DRIFT}.{}", m.name));
    }
    for m in QUALITY_METRICS {
        names.insert(format!("{DATA_QUALITY}.{m}"));
    }
    for m in PERFORMANCE_METRICS {
        let change = match crate::drift::performance::Metric::parse(m) {
            Some(metric) if metric.is_loss() => "rise",
            _ => "drop",
        };
        for name in [
            m.to_string(),
            format!("{m}_estimated"),
            format!("{m}_{change}"),
        ] {
            names.insert(format!("{PERFORMANCE}.{name}"));
        }
    }
    names.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prometheus_names_follow_one_rule() {
        assert_eq!(
            prometheus_name("datadrift_coefficient"),
            "driftscan_datadrift_coefficient"
        );
        assert_eq!(
            prometheus_name("performance.accuracy_drop"),
            "driftscan_performance_accuracy_drop"
        );
        assert_eq!(prometheus_name(RUNS), "driftscan_runs");
        assert_eq!(prometheus_name(RUN_DURATION), "driftscan_run_duration");
    }

    #[test]
    fn emitted_names_cover_every_signal() {
        let names = emitted_metric_names();
        for name in [
            "datadrift_coefficient",
            "datadrift_contribution",
            SIGNAL_FAILED,
            "data_quality.null_value_rate",
            "prediction_drift.jensen_shannon_distance",
            "performance.accuracy_drop",
            "performance.mae_rise",
            "performance.roc_auc_estimated",
        ] {
            assert!(names.iter().any(|n| n == name), "{name} missing");
        }
    }
}

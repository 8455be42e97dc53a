//! OpenTelemetry metrics over OTLP (HTTP, protobuf), beside Application Insights: for teams whose
//! monitoring is an OpenTelemetry Collector, Grafana Cloud, Datadog, Honeycomb or the like.
//!
//! On when `OTEL_EXPORTER_OTLP_ENDPOINT` or `OTEL_EXPORTER_OTLP_METRICS_ENDPOINT` is set; the
//! OpenTelemetry crates read those and the other standard variables themselves
//! (`OTEL_EXPORTER_OTLP_HEADERS`, `..._TIMEOUT`, `..._COMPRESSION`, `OTEL_SERVICE_NAME`,
//! `OTEL_RESOURCE_ATTRIBUTES`, `OTEL_METRIC_EXPORT_INTERVAL`). One meter provider serves the
//! process; each run records its values as gauges (the same names and attributes as `/metrics`,
//! [`super::series`]), counts itself in [`RUNS`] and times itself in [`RUN_DURATION`], then
//! flushes, so a Functions instance that stops after the run loses nothing.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use opentelemetry::KeyValue;
use opentelemetry::metrics::{Counter, Gauge, Histogram, Meter, MeterProvider as _};
use opentelemetry_otlp::MetricExporter;
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::metrics::{PeriodicReader, SdkMeterProvider};

use super::ChannelReport;
use super::series::{
    DRIFT_THRESHOLD, DURATION_BUCKETS, RUN_DURATION, RUNS, series_points, status_label,
    top_features,
};
use crate::drift::result::{RunResult, RunStatus};

/// The variables that turn the channel on (either).
pub const ENDPOINT_VARIABLES: [&str; 2] = [
    "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT",
    "OTEL_EXPORTER_OTLP_ENDPOINT",
];

/// Where metrics go, when the channel is on: the first of [`ENDPOINT_VARIABLES`] set.
pub fn configured_endpoint() -> Option<String> {
    ENDPOINT_VARIABLES
        .iter()
        .find_map(|v| std::env::var(v).ok().filter(|s| !s.trim().is_empty()))
}

/// The process's meter provider and instruments.
struct Otlp {
    provider: SdkMeterProvider,
    meter: Meter,
    gauges: Mutex<HashMap<String, Gauge<f64>>>,
    runs: Counter<u64>,
    durations: Histogram<f64>,
}

/// The provider, built on first use; `Err` says why the channel is off.
fn otlp() -> Result<&'static Otlp, &'static str> {
    static OTLP: OnceLock<Result<Otlp, String>> = OnceLock::new();
    OTLP.get_or_init(|| {
        let exporter = MetricExporter::builder()
            .with_http()
            .build()
            .map_err(|e| format!("the OTLP exporter could not be built: {e}"))?;
        let mut resource = Resource::builder();
        if std::env::var_os("OTEL_SERVICE_NAME").is_none() {
            resource = resource.with_service_name("driftscan");
        }
        let provider = SdkMeterProvider::builder()
            .with_reader(PeriodicReader::builder(exporter).build())
            .with_resource(resource.build())
            .build();
        let meter = provider.meter("driftscan");
        let runs = meter
            .u64_counter(RUNS)
            .with_description("runs finished, by detector and status")
            .build();
        let durations = meter
            .f64_histogram(RUN_DURATION)
            .with_unit("s")
            .with_description("how long runs took")
            .with_boundaries(DURATION_BUCKETS.to_vec())
            .build();
        Ok(Otlp {
            provider,
            meter,
            gauges: Mutex::default(),
            runs,
            durations,
        })
    })
    .as_ref()
    .map_err(String::as_str)
}

/// Records `result` and flushes it to the collector; `None` when the channel is off.
pub async fn send(result: &RunResult) -> Option<ChannelReport> {
    let endpoint = configured_endpoint()?;
    let otlp = match otlp() {
        Ok(o) => o,
        Err(reason) => {
            let mut report = ChannelReport::new("otlp", endpoint, 0);
            report.errors.push(reason.to_string());
            return Some(report);
        }
    };
    let points = if result.run.status == RunStatus::Succeeded {
        series_points(result, top_features())
    } else {
        Vec::new()
    };
    let base = [
        KeyValue::new("detector", result.detector.clone()),
        KeyValue::new("service", result.service_name.clone()),
    ];
    if let Ok(mut gauges) = otlp.gauges.lock() {
        for point in &points {
            let gauge = gauges
                .entry(point.name.clone())
                .or_insert_with(|| otlp.meter.f64_gauge(point.name.clone()).build());
            let mut attributes = base.to_vec();
            if let Some(feature) = &point.feature {
                attributes.push(KeyValue::new("feature", feature.clone()));
            }
            if let Some(signal) = &point.signal {
                attributes.push(KeyValue::new("signal", signal.clone()));
            }
            gauge.record(point.value, &attributes);
        }
        if !points.is_empty() {
            let threshold = gauges
                .entry(DRIFT_THRESHOLD.to_string())
                .or_insert_with(|| otlp.meter.f64_gauge(DRIFT_THRESHOLD).build());
            threshold.record(result.drift_threshold, &base);
        }
    }
    let status = status_label(result.run.status);
    otlp.runs.add(
        1,
        &[
            KeyValue::new("detector", result.detector.clone()),
            KeyValue::new("status", status),
        ],
    );
    otlp.durations.record(
        result.run.duration_ms as f64 / 1000.0,
        &[KeyValue::new("detector", result.detector.clone())],
    );
    // Each value, the threshold, the count and the duration: what this run adds to the export.
    let items = points.len() + usize::from(!points.is_empty()) + 2;
    let mut report = ChannelReport::new("otlp", endpoint, items);
    report.attempts = 1;
    // The reader exports on its own thread; waiting for it must not hold an async worker.
    let provider = otlp.provider.clone();
    match tokio::task::spawn_blocking(move || provider.force_flush()).await {
        Ok(Ok(())) => report.delivered = items,
        Ok(Err(e)) => {
            report.dropped = items;
            report.errors.push(format!("OTLP export failed: {e}"));
        }
        Err(e) => {
            report.dropped = items;
            report
                .errors
                .push(format!("OTLP export did not finish: {e}"));
        }
    }
    Some(report)
}

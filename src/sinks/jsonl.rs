//! Metrics as JSON lines in a local file: what Application Insights would have received, when no
//! connection string is set.
//!
//! One line per value, with the same fields as the `customMetrics` dimensions, so the file can be
//! charted with `jq`, pandas or DuckDB the way the KQL in `docs/sinks.md` charts Azure:
//!
//! ```json
//! {"time":"2026-11-25T02:00:00.000Z","name":"wasserstein_distance","value":4.858,"detector":"credit",
//!  "model_name":"credit-model","model_version":2,"service":"credit-svc","feature":"income",
//!  "run_type":"Scheduler","scoring_date":"2026-11-24","drift_threshold":0.2}
//! ```
//!
//! `feature` is absent on dataset-level metrics; `signal` and `threshold` are present only on the
//! metrics of signals (`signal_failed`, `data_quality.null_value_rate`, ...). Lines are appended; a rerun of a date appends
//! again (the newest `time` wins), as Application Insights would.

use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use chrono::{DateTime, SecondsFormat, Utc};
use serde::Serialize;

use super::settings::Settings;
use super::{ChannelReport, DEFAULT_METRICS_FILE, Dimensions, MetricPoint};

#[derive(Serialize)]
struct Line<'a> {
    time: String,
    name: &'a str,
    value: f64,
    detector: &'a str,
    model_name: &'a str,
    model_version: u32,
    service: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    feature: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    signal: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    threshold: Option<f64>,
    run_type: &'a str,
    scoring_date: String,
    drift_threshold: f64,
}

/// The lines for `points`, newline-terminated.
pub(crate) fn render(points: &[MetricPoint], dims: &Dimensions, time: DateTime<Utc>) -> String {
    let time = time.to_rfc3339_opts(SecondsFormat::Millis, true);
    let mut out = String::new();
    for p in points {
        let line = Line {
            time: time.clone(),
            name: &p.name,
            value: p.value,
            detector: &dims.detector,
            model_name: &dims.model_name,
            model_version: dims.model_version,
            service: &dims.service,
            feature: p.feature.as_deref(),
            signal: p.signal.as_deref(),
            threshold: p.threshold,
            run_type: dims.run_type,
            scoring_date: dims.scoring_date.to_string(),
            drift_threshold: dims.drift_threshold,
        };
        // Serialising plain strings and finite numbers cannot fail.
        if let Ok(s) = serde_json::to_string(&line) {
            out.push_str(&s);
            out.push('\n');
        }
    }
    out
}

/// Appends the lines in one write, so lines of concurrent runs do not interleave mid-line.
pub(crate) fn append(
    path: &Path,
    points: &[MetricPoint],
    dims: &Dimensions,
    time: DateTime<Utc>,
    report: &mut ChannelReport,
) {
    if points.is_empty() {
        return;
    }
    report.attempts += 1;
    let text = render(points, dims, time);
    let result = (|| -> std::io::Result<()> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            std::fs::create_dir_all(parent)?;
        }
        // As for every output path, a symbolic link at the file is refused, not followed.
        let mut f = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .custom_flags(libc::O_NOFOLLOW)
            .open(path)
            .map_err(|e| match e.raw_os_error() {
                Some(libc::ELOOP) => std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "it is a symbolic link, which is not followed",
                ),
                _ => e,
            })?;
        f.write_all(text.as_bytes())?;
        f.flush()
    })();
    match result {
        Ok(()) => report.delivered += points.len(),
        Err(e) => {
            tracing::error!(message = "Cannot write metrics file; metrics dropped.", path = %path.display(), error = %e);
            report.dropped += points.len();
            report
                .errors
                .push(format!("writing `{}`: {e}", path.display()));
        }
    }
}

/// The metrics file (see [`super::SinkConfig::from_lookup`]): `DRIFTSCAN_METRICS_FILE`, `off` for
/// none, the default file when metrics go nowhere else.
pub(crate) fn metrics_file_from_settings(env: &Settings, app_insights: bool) -> Option<PathBuf> {
    match env.get("DRIFTSCAN_METRICS_FILE") {
        Some(v) if v.eq_ignore_ascii_case("off") || v.eq_ignore_ascii_case("none") => None,
        Some(v) => Some(PathBuf::from(v)),
        None if !app_insights => Some(PathBuf::from(DEFAULT_METRICS_FILE)),
        None => None,
    }
}

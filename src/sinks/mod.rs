//! Where a run result goes after it is stored: metrics (Application Insights or a JSON-lines file)
//! and alerts (email, webhook, log).
//!
//! In: a stored [`RunResult`], the [`Detector`] it belongs to (for its alert settings) and a
//! [`SinkConfig`] read once from the environment. Out: a [`PublishReport`] saying, per channel,
//! what was delivered, sent again and dropped.
//!
//! [`publish`] never fails and never panics: the run result is already stored when it is called,
//! and telemetry or a mail server being down must not turn a good scan into a failed one. Every
//! channel has a bounded time budget ([`RetryPolicy::total`]) and the channels run concurrently,
//! so `publish` returns within about that budget whatever the network does.
//!
//! | channel | when | configured by |
//! |---|---|---|
//! | Application Insights | always, if a connection string is set | `APPLICATIONINSIGHTS_CONNECTION_STRING` (+ `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` or `DRIFTSCAN_APPINSIGHTS_AUTH` for Entra ID) |
//! | JSON-lines file | always, if no connection string is set or a file is named | `DRIFTSCAN_METRICS_FILE` (default `./driftscan-metrics.jsonl`) |
//! | log | on drift | always on: a `WARN` record with the whole alert |
//! | email | on drift, if the detector has `alert.emails` | `DRIFTSCAN_SMTP_*` |
//! | webhook | on drift, if the detector has `alert.webhook` | the detector |
//! | Event Grid | on drift, if the detector has `alert.event_grid` or `DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT` is set | the detector; `DRIFTSCAN_EVENTGRID_KEY` or the managed identity |
//!
//! "On drift" is [`alert::warrants_alert`]: `drift::verdict::warrants_alert` under the detector's
//! `alert_on` (by default `has_drift`, `datadrift_coefficient > drift_threshold`, or drifted
//! features), or any other signal the detector watches failed. One alert per run names every
//! failing signal. The full list of variables is in `docs/sinks.md` and on
//! [`SinkConfig::from_lookup`].
//!
//! ```no_run
//! # async fn demo(result: &driftscan::drift::result::RunResult, detector: &driftscan::detector::Detector) {
//! let config = driftscan::sinks::SinkConfig::from_env().expect("sink settings");
//! let report = driftscan::sinks::publish(result, detector, &config).await;
//! println!("{}", report.summary());
//! # }
//! ```

pub mod alert;
pub mod appinsights;
pub mod egress;
pub mod email;
pub mod eventgrid;
pub mod identity;
pub mod jsonl;
pub mod otlp;
pub mod prometheus;
pub mod retry;
pub mod series;
mod settings;
pub mod webhook;

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use serde::Serialize;
use url::Url;

use crate::detector::Detector;
use crate::detector::signals::DATA_DRIFT;
use crate::drift::metrics::names;
use crate::drift::result::RunResult;

pub use alert::AlertMessage;
pub use appinsights::{AppInsightsConfig, ConnectionString, IngestionAuth};
pub use email::{SmtpConfig, SmtpTls};
pub use eventgrid::EventGridSettings;
pub use retry::RetryPolicy;
use settings::Settings;

/// Name of the custom event sent to Application Insights when a run finds drift.
pub const DRIFT_EVENT: &str = "DriftDetected";
/// The Application Insights event every run sends, whatever its outcome: its `status`
/// (`succeeded`, `no_data`, `failed`), the `reason` of a run that scored nothing, and its
/// `duration_seconds`; what a workbook counts failed and empty runs from.
pub const RUN_EVENT: &str = "DriftscanRun";
/// Metric sent per signal, with the dimension `signal`: 1 when the signal failed, 0 when it passed
/// (only for detectors that watch more than `data_drift`).
pub const SIGNAL_FAILED: &str = "signal_failed";
/// Metrics file used when neither a connection string nor `DRIFTSCAN_METRICS_FILE` is set.
pub const DEFAULT_METRICS_FILE: &str = "driftscan-metrics.jsonl";

/// A sink setting that cannot be used. Only [`SinkConfig::from_env`] returns these: publishing
/// itself reports failures in its [`PublishReport`] instead.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SinkError {
    /// `APPLICATIONINSIGHTS_CONNECTION_STRING` cannot be parsed.
    #[error("APPLICATIONINSIGHTS_CONNECTION_STRING is not usable: {reason}")]
    ConnectionString {
        /// What is wrong with it.
        reason: String,
    },
    /// Some other variable has a value that cannot be used.
    #[error("{var}=`{value}` is not usable: {reason}")]
    InvalidSetting {
        /// The environment variable.
        var: &'static str,
        /// Its value.
        value: String,
        /// What is expected.
        reason: String,
    },
    /// The managed identity endpoint gave no token.
    #[error("no token from the managed identity endpoint `{endpoint}`: {reason}")]
    Identity {
        /// The endpoint called.
        endpoint: String,
        /// Why.
        reason: String,
    },
    /// The HTTP client could not be built (TLS roots unavailable).
    #[error("cannot build the HTTP client: {0}")]
    Http(#[source] reqwest::Error),
}

/// Where metrics go and how alerts are sent, read once from the environment.
#[derive(Debug)]
pub struct SinkConfig {
    /// Application Insights, when a connection string is set.
    pub app_insights: Option<AppInsightsConfig>,
    /// JSON-lines file, when no connection string is set or `DRIFTSCAN_METRICS_FILE` names one.
    pub metrics_file: Option<PathBuf>,
    /// SMTP server for alert mail, when `DRIFTSCAN_SMTP_HOST` is set.
    pub smtp: Option<SmtpConfig>,
    /// Base URL of the deployed service, for the report link in alerts (`DRIFTSCAN_REPORT_BASE_URL`).
    pub report_base_url: Option<Url>,
    /// Retries and time budget of each channel.
    pub retry: RetryPolicy,
    /// Whether webhooks (and Event Grid topics) may go to private addresses
    /// (`DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE`).
    pub webhook_allow_private: bool,
    /// Event Grid credentials and default topic.
    pub event_grid: EventGridSettings,
    http: reqwest::Client,
    webhook_http: reqwest::Client,
}

impl SinkConfig {
    /// When metrics would go to the default file in the working directory (no connection string,
    /// no `DRIFTSCAN_METRICS_FILE`), the same settings writing them to `path` instead: a local
    /// store keeps its metrics beside its results. `None` when another destination was chosen.
    pub fn with_metrics_file_in_place_of_default(&self, path: PathBuf) -> Option<SinkConfig> {
        if self.app_insights.is_some()
            || self.metrics_file.as_deref() != Some(std::path::Path::new(DEFAULT_METRICS_FILE))
            || std::env::var_os("DRIFTSCAN_METRICS_FILE").is_some()
        {
            return None;
        }
        Some(SinkConfig {
            app_insights: None,
            metrics_file: Some(path),
            smtp: self.smtp.clone(),
            report_base_url: self.report_base_url.clone(),
            retry: self.retry,
            webhook_allow_private: self.webhook_allow_private,
            event_grid: self.event_grid.clone(),
            http: self.http.clone(),
            webhook_http: self.webhook_http.clone(),
        })
    }

    /// Reads the process environment; see [`SinkConfig::from_lookup`].
    pub fn from_env() -> Result<Self, SinkError> {
        Self::from_lookup(|k| std::env::var(k).ok())
    }

    /// Reads the settings through `lookup` (a variable name to its value). Empty values count as
    /// unset.
    ///
    /// | variable | meaning | default |
    /// |---|---|---|
    /// | `APPLICATIONINSIGHTS_CONNECTION_STRING` | send metrics to this Application Insights resource | unset: metrics go to the file |
    /// | `APPLICATIONINSIGHTS_AUTHENTICATION_STRING` | `Authorization=AAD[;ClientId=<id>]`: authenticate with the managed identity (`/v2.1/track`) | instrumentation key (`/v2/track`) |
    /// | `DRIFTSCAN_APPINSIGHTS_AUTH` | `ikey` or `aad`; overrides the line above | |
    /// | `DRIFTSCAN_APPINSIGHTS_CLIENT_ID` | client id of a user-assigned identity | system-assigned |
    /// | `DRIFTSCAN_APPINSIGHTS_BATCH_SIZE` | envelopes per request | 500 |
    /// | `DRIFTSCAN_METRICS_FILE` | JSON-lines metrics file; `off` disables it | `driftscan-metrics.jsonl` when no connection string |
    /// | `DRIFTSCAN_SMTP_HOST` | SMTP server for alert mail | unset: no mail |
    /// | `DRIFTSCAN_SMTP_PORT` | its port | 587 / 465 / 25 by `DRIFTSCAN_SMTP_TLS` |
    /// | `DRIFTSCAN_SMTP_TLS` | `starttls`, `tls` or `none` | `starttls` |
    /// | `DRIFTSCAN_SMTP_USER`, `DRIFTSCAN_SMTP_PASSWORD` | login | none |
    /// | `DRIFTSCAN_SMTP_FROM` | sender | `driftscan <driftscan@localhost>` |
    /// | `DRIFTSCAN_REPORT_BASE_URL` | base of report links in alerts | no link |
    /// | `DRIFTSCAN_SINK_TIMEOUT_SECS` | time budget per channel, retries included | 35 |
    /// | `DRIFTSCAN_SINK_REQUEST_TIMEOUT_SECS` | time limit of one request | 10 |
    /// | `DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE` | `1`: webhooks may go to private and loopback addresses | public addresses only |
    /// | `DRIFTSCAN_WEBHOOK_PROXY` | `1`: webhooks go through the proxy of `HTTPS_PROXY`/`HTTP_PROXY` (the target's address is still checked) | webhooks connect directly |
    /// | `DRIFTSCAN_EVENTGRID_KEY` | access key of the Event Grid topics (`aeg-sas-key`) | the managed identity's token |
    /// | `DRIFTSCAN_EVENTGRID_CLIENT_ID` | client id of a user-assigned identity for Event Grid | system-assigned |
    /// | `DRIFTSCAN_EVENTGRID_TOPIC_ENDPOINT` | topic of detectors without `alert.event_grid` | no events for them |
    ///
    /// The platform's `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` (or `MSI_ENDPOINT`/`MSI_SECRET`),
    /// `WEBSITE_SITE_NAME` and `WEBSITE_INSTANCE_ID` are read too.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, SinkError> {
        let env = Settings::new(&lookup);
        let retry = RetryPolicy {
            total: env.secs("DRIFTSCAN_SINK_TIMEOUT_SECS", 35)?,
            request_timeout: env.secs("DRIFTSCAN_SINK_REQUEST_TIMEOUT_SECS", 10)?,
            ..RetryPolicy::default()
        };
        let app_insights = AppInsightsConfig::from_settings(&env)?;
        let metrics_file = jsonl::metrics_file_from_settings(&env, app_insights.is_some());
        let smtp = SmtpConfig::from_settings(&env)?;
        let report_base_url = match env.get("DRIFTSCAN_REPORT_BASE_URL") {
            None => None,
            Some(v) => {
                let u = Url::parse(&v).map_err(|e| {
                    env.invalid("DRIFTSCAN_REPORT_BASE_URL", &v, &format!("not a URL: {e}"))
                })?;
                if !matches!(u.scheme(), "http" | "https") || u.cannot_be_a_base() {
                    return Err(env.invalid(
                        "DRIFTSCAN_REPORT_BASE_URL",
                        &v,
                        "expected an http(s) URL",
                    ));
                }
                Some(u)
            }
        };

        let webhook_allow_private = env.flag("DRIFTSCAN_WEBHOOK_ALLOW_PRIVATE")?;
        let webhook_proxy = env.flag("DRIFTSCAN_WEBHOOK_PROXY")?;
        let http = reqwest::Client::builder()
            .user_agent(concat!("driftscan/", env!("CARGO_PKG_VERSION")))
            .build()
            .map_err(SinkError::Http)?;
        let webhook_http = egress::webhook_client(webhook_allow_private, webhook_proxy)
            .map_err(SinkError::Http)?;
        let event_grid = EventGridSettings::from_settings(&env, http.clone())?;
        Ok(SinkConfig {
            app_insights,
            metrics_file,
            smtp,
            report_base_url,
            retry,
            webhook_allow_private,
            event_grid,
            http,
            webhook_http,
        })
    }
}

/// One value sent as a metric.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MetricPoint {
    /// Metric name, one of [`crate::drift::metrics::names`].
    pub name: String,
    /// Its value (finite).
    pub value: f64,
    /// The column, for per-column metrics.
    pub feature: Option<String>,
    /// The signal, for the metrics of signals beside `data_drift` and for [`SIGNAL_FAILED`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signal: Option<String>,
    /// The metric's threshold, when it has one (signal metrics).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
}

/// The values of a result that are sent as metrics: dataset-level ones, then every column's, in
/// the result's order, then, for a detector that watches more than `data_drift`, per signal:
/// [`SIGNAL_FAILED`] and (except for `data_drift`, whose metrics are the ones above) each of its
/// metrics as `{signal}.{metric}` (`data_quality.null_value_rate`), so that no signal's values
/// mix with the input-drift metrics of the same name. Undefined values (NaN, written `null` in
/// the result) cannot be sent and are counted instead.
pub fn metric_points(result: &RunResult) -> (Vec<MetricPoint>, usize) {
    let mut points = Vec::new();
    let mut undefined = 0;
    for m in &result.dataset_metrics {
        if m.value.is_finite() {
            points.push(MetricPoint {
                name: m.name.clone(),
                value: m.value,
                feature: None,
                signal: None,
                threshold: None,
            });
        } else {
            undefined += 1;
        }
    }
    for column in &result.column_metrics {
        for (feature, metrics) in column {
            for m in metrics {
                if m.value.is_finite() {
                    points.push(MetricPoint {
                        name: m.name.clone(),
                        value: m.value,
                        feature: Some(feature.clone()),
                        signal: None,
                        threshold: None,
                    });
                } else {
                    undefined += 1;
                }
            }
        }
    }
    for s in &result.signals {
        points.push(MetricPoint {
            name: SIGNAL_FAILED.to_string(),
            value: if s.passed { 0.0 } else { 1.0 },
            feature: None,
            signal: Some(s.name.clone()),
            threshold: None,
        });
        if s.name == DATA_DRIFT {
            continue;
        }
        let dataset = s.metrics.iter().map(|m| (None, m));
        let features = s
            .features
            .iter()
            .flat_map(|f| f.metrics.iter().map(move |m| (Some(&f.name), m)));
        for (feature, m) in dataset.chain(features) {
            if m.value.is_finite() {
                points.push(MetricPoint {
                    name: format!("{}.{}", s.name, m.name),
                    value: m.value,
                    feature: feature.cloned(),
                    signal: Some(s.name.clone()),
                    threshold: m.threshold,
                });
            } else {
                undefined += 1;
            }
        }
    }
    (points, undefined)
}

/// The Application Insights dimensions (`customDimensions`) of every value and event of a run;
/// values add `feature`, `signal` and `threshold`, events their own (see docs/sinks.md).
pub const DIMENSIONS: [&str; 8] = [
    "detector",
    "model_name",
    "model_version",
    "service",
    "run_type",
    "scoring_date",
    "drift_threshold",
    "has_drift",
];

/// The dimensions every metric of one run carries.
#[derive(Debug, Clone)]
pub(crate) struct Dimensions {
    pub detector: String,
    pub model_name: String,
    pub model_version: u32,
    pub service: String,
    pub run_type: &'static str,
    pub scoring_date: NaiveDate,
    pub drift_threshold: f64,
    pub has_drift: bool,
}

impl Dimensions {
    fn of(result: &RunResult) -> Self {
        Dimensions {
            detector: result.detector.clone(),
            model_name: result.model_name.clone(),
            model_version: result.model_version,
            service: result.service_name.clone(),
            run_type: result.run.run_type.as_str(),
            scoring_date: result.datetime,
            drift_threshold: result.drift_threshold,
            has_drift: result.has_drift,
        }
    }

    /// As Application Insights properties (`customDimensions`, named [`DIMENSIONS`]), all
    /// strings.
    fn properties(&self) -> BTreeMap<String, String> {
        let values = [
            self.detector.clone(),
            self.model_name.clone(),
            self.model_version.to_string(),
            self.service.clone(),
            self.run_type.to_string(),
            self.scoring_date.to_string(),
            self.drift_threshold.to_string(),
            self.has_drift.to_string(),
        ];
        DIMENSIONS
            .iter()
            .map(|d| d.to_string())
            .zip(values)
            .collect()
    }

    fn operation_id(&self) -> String {
        format!("{}/{}/{}", self.detector, self.service, self.scoring_date)
    }
}

/// The [`RUN_EVENT`] of `result`.
fn run_event(
    ctx: &appinsights::EnvelopeContext,
    props: &BTreeMap<String, String>,
    result: &RunResult,
) -> serde_json::Value {
    let mut props = props.clone();
    props.insert(
        "status".to_string(),
        series::status_label(result.run.status).to_string(),
    );
    if let Some(reason) = &result.run.error {
        props.insert("reason".to_string(), reason.clone());
    }
    let mut measurements = BTreeMap::from([(
        "duration_seconds".to_string(),
        result.run.duration_ms as f64 / 1000.0,
    )]);
    if let Some(c) = result.coefficient().filter(|c| c.is_finite()) {
        measurements.insert(names::DATADRIFT_COEFFICIENT.to_string(), c);
    }
    ctx.event(RUN_EVENT, &props, &measurements)
}

/// What one channel did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct ChannelReport {
    /// `appinsights`, `file`, `otlp`, `log`, `email`, `webhook` or `eventgrid`.
    pub channel: &'static str,
    /// Where: ingestion URL, file path, SMTP server, webhook or topic host (never a webhook's
    /// secret path).
    pub destination: String,
    /// Items to deliver: metric and event envelopes, lines, recipients, or 1 for a webhook or an
    /// Event Grid event.
    pub items: usize,
    /// Items accepted by the other side.
    pub delivered: usize,
    /// Items sent again after a retryable failure (counted per resend).
    pub retried: usize,
    /// Items given up on: rejected, or still failing when the time budget ran out.
    pub dropped: usize,
    /// Requests made (HTTP requests, SMTP sessions, file writes).
    pub attempts: usize,
    /// Why the channel did nothing, when it did nothing on purpose.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub skipped: Option<String>,
    /// Each failure, in order, one line each.
    pub errors: Vec<String>,
}

impl ChannelReport {
    fn new(channel: &'static str, destination: impl Into<String>, items: usize) -> Self {
        ChannelReport {
            channel,
            destination: destination.into(),
            items,
            ..ChannelReport::default()
        }
    }

    fn skipped(channel: &'static str, reason: impl Into<String>) -> Self {
        ChannelReport {
            channel,
            skipped: Some(reason.into()),
            ..ChannelReport::default()
        }
    }
}

/// What [`publish`] did, per channel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PublishReport {
    /// Whether the result was an alert (`has_drift`).
    pub alerted: bool,
    /// Metric values that were undefined (NaN) and so not sent anywhere.
    pub undefined_values: usize,
    /// Metric channels: Application Insights and/or the file.
    pub metrics: Vec<ChannelReport>,
    /// Alert channels: log, email, webhook, Event Grid (only those that apply to this detector).
    pub alerts: Vec<ChannelReport>,
    /// Wall time of the whole publish.
    pub duration_ms: u64,
}

impl PublishReport {
    /// Every channel delivered every item.
    pub fn fully_delivered(&self) -> bool {
        self.metrics
            .iter()
            .chain(&self.alerts)
            .all(|c| c.dropped == 0 && c.delivered == c.items)
    }

    /// The channel named `channel`, if it took part.
    pub fn channel(&self, channel: &str) -> Option<&ChannelReport> {
        self.metrics
            .iter()
            .chain(&self.alerts)
            .find(|c| c.channel == channel)
    }

    /// One line per channel, for the terminal.
    pub fn summary(&self) -> String {
        let mut lines = Vec::new();
        for c in self.metrics.iter().chain(&self.alerts) {
            let line = match &c.skipped {
                Some(why) => format!("{}: skipped ({why})", c.channel),
                None => format!(
                    "{} {}: {}/{} delivered, {} retried, {} dropped",
                    c.channel, c.destination, c.delivered, c.items, c.retried, c.dropped
                ),
            };
            lines.push(line);
        }
        lines.join("\n")
    }
}

/// Sends the metrics of `result` and, when it found drift, the alerts of `detector`.
///
/// Never fails: every problem is logged and counted in the returned report. Returns within about
/// [`RetryPolicy::total`] of `config.retry` (channels run concurrently, each within that budget).
pub async fn publish(
    result: &RunResult,
    detector: &Detector,
    config: &SinkConfig,
) -> PublishReport {
    let started = Instant::now();
    let time = Utc::now();
    let dims = Dimensions::of(result);
    let (points, undefined_values) = metric_points(result);
    let alert =
        AlertMessage::for_result(result, detector.alert_on, config.report_base_url.as_ref());
    let policy = config.retry;

    let app_insights = async {
        let cfg = config.app_insights.as_ref()?;
        let deadline = retry::Deadline::after(policy.total);
        let ctx = appinsights::EnvelopeContext::new(cfg, &dims.operation_id(), time);
        let props = dims.properties();
        let mut envelopes: Vec<serde_json::Value> =
            points.iter().map(|p| ctx.metric(p, &props)).collect();
        if let Some(a) = &alert {
            let mut event_props = props.clone();
            event_props.insert(
                "top_features".to_string(),
                a.top_features
                    .iter()
                    .map(|(f, s)| format!("{f} ({:.1} %)", s * 100.0))
                    .collect::<Vec<_>>()
                    .join(", "),
            );
            if let Some(u) = &a.report_url {
                event_props.insert("report_url".to_string(), u.clone());
            }
            if !result.signals.is_empty() {
                event_props.insert(
                    "failed_signals".to_string(),
                    a.failing_signals
                        .iter()
                        .map(|s| s.name.as_str())
                        .collect::<Vec<_>>()
                        .join(","),
                );
            }
            let measurements = BTreeMap::from([
                (names::DATADRIFT_COEFFICIENT.to_string(), a.coefficient),
                ("drift_threshold".to_string(), result.drift_threshold),
            ]);
            envelopes.push(ctx.event(DRIFT_EVENT, &event_props, &measurements));
        }
        envelopes.push(run_event(&ctx, &props, result));
        let mut report = ChannelReport::new("appinsights", cfg.track_url(), envelopes.len());
        if !envelopes.is_empty() {
            appinsights::upload(
                &config.http,
                cfg,
                envelopes,
                &policy,
                &deadline,
                &mut report,
            )
            .await;
        }
        Some(report)
    };

    let file = async {
        let path = config.metrics_file.as_ref()?;
        let mut report = ChannelReport::new("file", path.display().to_string(), points.len());
        jsonl::append(path, &points, &dims, time, &mut report);
        Some(report)
    };

    let mail = async {
        let a = alert.as_ref()?;
        if detector.alert.emails.is_empty() {
            return None;
        }
        let Some(smtp) = &config.smtp else {
            tracing::info!(message = "Alert has mail recipients but DRIFTSCAN_SMTP_HOST is not set; no mail sent.", detector = %detector.name);
            return Some(ChannelReport::skipped(
                "email",
                "DRIFTSCAN_SMTP_HOST is not set (in Azure the alert rule sends the mail)",
            ));
        };
        let deadline = retry::Deadline::after(policy.total);
        let mut report = ChannelReport::new(
            "email",
            format!("{}:{}", smtp.host, smtp.port),
            detector.alert.emails.len(),
        );
        email::send(
            smtp,
            &detector.alert.emails,
            a,
            &policy,
            &deadline,
            &mut report,
        )
        .await;
        Some(report)
    };

    let hook = async {
        let a = alert.as_ref()?;
        let url = detector.alert.webhook.as_deref()?.trim();
        let mut report = ChannelReport::new("webhook", webhook::redact(url), 1);
        match Url::parse(url) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {
                if let Err(reason) = egress::check_target(&u, config.webhook_allow_private).await {
                    tracing::error!(message = "Alert webhook refused.", detector = %detector.name, %reason);
                    report.dropped = 1;
                    report.errors.push(reason);
                    return Some(report);
                }
                let deadline = retry::Deadline::after(policy.total);
                webhook::send(
                    &config.webhook_http,
                    url,
                    a,
                    &policy,
                    &deadline,
                    &mut report,
                )
                .await;
            }
            _ => {
                tracing::error!(message = "Alert webhook is not an http(s) URL; not sent.", detector = %detector.name);
                report.dropped = 1;
                report
                    .errors
                    .push("the detector's `alert.webhook` is not an http(s) URL".to_string());
            }
        }
        Some(report)
    };

    let grid = async {
        let a = alert.as_ref()?;
        let topic = match &detector.alert.event_grid {
            Some(g) => g.topic_endpoint.trim(),
            None => config.event_grid.default_topic.as_deref()?,
        };
        let mut report = ChannelReport::new("eventgrid", webhook::redact(topic), 1);
        match Url::parse(topic) {
            Ok(u) if matches!(u.scheme(), "http" | "https") => {
                if let Err(reason) = egress::check_target(&u, config.webhook_allow_private).await {
                    tracing::error!(message = "Event Grid topic refused.", detector = %detector.name, %reason);
                    report.dropped = 1;
                    report.errors.push(reason);
                    return Some(report);
                }
                let deadline = retry::Deadline::after(policy.total);
                let event = eventgrid::event(result, a);
                eventgrid::send(
                    &config.webhook_http,
                    &config.event_grid,
                    topic,
                    &event,
                    &policy,
                    &deadline,
                    &mut report,
                )
                .await;
            }
            _ => {
                tracing::error!(message = "Event Grid topic is not an http(s) URL; not sent.", detector = %detector.name);
                report.dropped = 1;
                report
                    .errors
                    .push("the Event Grid topic endpoint is not an http(s) URL".to_string());
            }
        }
        Some(report)
    };

    let log = alert.as_ref().map(|a| {
        if !result.signals.is_empty() {
            tracing::warn!(
                message = "Signals failed.",
                detector = %result.detector,
                service = %result.service_name,
                scoring_date = %result.datetime,
                failed_signals = %a.failing_signals.iter().map(|s| s.name.as_str()).collect::<Vec<_>>().join(","),
                report = a.report_url.as_deref().unwrap_or(""),
            );
        } else {
        tracing::warn!(
            message = "Drift detected.",
            detector = %result.detector,
            service = %result.service_name,
            scoring_date = %result.datetime,
            coefficient = a.coefficient,
            threshold = result.drift_threshold,
            top_features = %a.top_features.iter().map(|(f, s)| format!("{f}={s:.3}")).collect::<Vec<_>>().join(","),
            report = a.report_url.as_deref().unwrap_or(""),
        );
        }
        tracing::warn!("{}\n{}", a.subject, a.text);
        let mut r = ChannelReport::new("log", "tracing", 1);
        r.attempts = 1;
        r.delivered = 1;
        r
    });

    let otlp = otlp::send(result);
    let (ai, file, otlp, mail, hook, grid) =
        tokio::join!(app_insights, file, otlp, mail, hook, grid);
    let report = PublishReport {
        alerted: alert.is_some(),
        undefined_values,
        metrics: ai.into_iter().chain(file).chain(otlp).collect(),
        alerts: log
            .into_iter()
            .chain(mail)
            .chain(hook)
            .chain(grid)
            .collect(),
        duration_ms: started.elapsed().as_millis() as u64,
    };
    if report.fully_delivered() {
        tracing::info!(message = "Run published.", detector = %result.detector, service = %result.service_name, scoring_date = %result.datetime, metrics = points.len(), alerted = report.alerted, duration_ms = report.duration_ms);
    } else {
        tracing::warn!(message = "Run published with losses.", detector = %result.detector, service = %result.service_name, scoring_date = %result.datetime, summary = %report.summary().replace('\n', "; "));
    }
    report
}

#[cfg(test)]
mod tests {
    use super::*;

    fn assert_send<T: Send>(_: &T) {}

    /// The service may run `publish` on a spawned task, which needs a `Send` future.
    #[test]
    fn publish_can_run_on_a_spawned_task() {
        let result: RunResult = serde_json::from_value(serde_json::json!({
            "schema_version": "1.0", "datetime": "2026-11-24", "detector": "d",
            "service_name": "s", "model_name": "m", "model_version": 1,
            "drift_threshold": 0.2, "has_drift": false, "dataset_metrics": [],
            "column_metrics": [],
            "run": {"run_type": "Adhoc", "status": "no_data", "started_at": "2026-11-25T02:00:00Z",
                    "duration_ms": 0, "driftscan_version": "0.1.0"},
            "baseline": {"source": "b", "files": 0, "rows": 0},
            "target": {"source": "t", "files": 0, "rows": 0}
        }))
        .unwrap();
        let detector: Detector = serde_json::from_value(serde_json::json!({
            "name": "d", "model_name": "m", "model_version": 1, "services": ["s"], "baseline": "b"
        }))
        .unwrap();
        let config =
            SinkConfig::from_lookup(|k| (k == "DRIFTSCAN_METRICS_FILE").then(|| "off".to_string()))
                .unwrap();
        let fut = publish(&result, &detector, &config);
        assert_send(&fut);
        let report = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap()
            .block_on(fut);
        assert!(report.metrics.is_empty() && report.alerts.is_empty() && !report.alerted);
        assert!(report.fully_delivered());
    }
}

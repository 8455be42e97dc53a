//! Detector definitions: which model, which services, which baseline, which features, which
//! threshold, who is alerted, and how often it runs.
//!
//! A detector is stored as JSON at `detectors/{name}.json`. Its fields follow Azure ML's
//! `DataDriftDetector` (reference: azureml-datadrift 1.25 `parameter_validator.py`).
//!
//! Besides the definition this module owns the arithmetic every trigger shares: which window a
//! timer firing scores ([`Frequency::due_window`]), how a backfill splits into cycles
//! ([`Frequency::backfill_windows`]), which folders hold a service's snapshot for a day
//! ([`SnapshotTemplate::render`]) and when the generated timer fires ([`Detector::timer_schedule`]).
//! Validation happens once, in [`Detector::from_json`] / [`Detector::validate`]; nothing downstream
//! re-checks, and every store key is built from validated names only.

use std::sync::LazyLock;

use chrono::{DateTime, Datelike, Days, Months, NaiveDate, TimeDelta, Utc};
use regex::Regex;
use serde::{Deserialize, Serialize};

/// Default drift threshold (Azure ML's `DEFAULT_DRIFT_THRESHOLD`).
pub const DEFAULT_DRIFT_THRESHOLD: f64 = 0.2;
/// At most this many features per detector (Azure ML's limit).
pub const MAX_FEATURES: usize = 200;
/// A backfill covers at most this many cycles of the detector's frequency (Azure ML's `BACKFILL_BATCH_LIMIT`).
pub const MAX_BACKFILL_CYCLES: usize = 30;

/// How often a detector scores, and so how long its target window is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum Frequency {
    /// The most recent complete day.
    #[default]
    Day,
    /// The most recent complete Monday-to-Sunday week.
    Week,
    /// The most recent complete calendar month.
    Month,
}

/// Who hears about drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Addresses mailed when the coefficient crosses the threshold.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Incoming-webhook URL (Teams, Slack or any JSON receiver) posted to on drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
}

/// A detector as stored and as accepted by the API.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Detector {
    /// Unique name, `^[a-zA-Z0-9][\w\-]{0,35}$`. Also the key in the store.
    pub name: String,
    /// Registered model name.
    pub model_name: String,
    /// Registered model version (positive).
    pub model_version: u32,
    /// Services (deployments) whose inputs are scanned; one result per service and date.
    pub services: Vec<String>,
    /// Baseline: a dataset location (file, folder, glob or blob prefix) or a cached `.profile`.
    pub baseline: String,
    /// Where the daily snapshots are: a location template with `{service}`, `{model}`, `{version}`,
    /// `{yyyy}`, `{MM}`, `{dd}` and `{HH}`. Defaults to the legacy model-data-collector layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<String>,
    /// Day, Week or Month.
    #[serde(default)]
    pub frequency: Frequency,
    /// Hours to wait after the window closes before it is scored (0 to 1000).
    #[serde(default)]
    pub latency: u32,
    /// Features to compare; all common columns when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_list: Option<Vec<String>>,
    /// Drift is declared when the coefficient is strictly above this value (0 to 1).
    #[serde(default = "default_drift_threshold")]
    pub drift_threshold: f64,
    /// Who is alerted.
    #[serde(default)]
    pub alert: AlertConfig,
    /// Whether the timer runs it.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
}

fn default_drift_threshold() -> f64 {
    DEFAULT_DRIFT_THRESHOLD
}

fn default_enabled() -> bool {
    true
}

/// Longest latency Azure ML accepts (`MAX_LATENCY`), in hours.
pub const MAX_LATENCY_HOURS: u32 = 1000;

/// Prefix of the Azure Functions timer function generated for a detector: `drift-<detector>`.
///
/// Function names must start with a letter while detector names may start with a digit; the prefix
/// makes every valid detector name a valid function name.
pub const TIMER_FUNCTION_PREFIX: &str = "drift-";

/// Hours after a window closes (plus the detector's latency) at which its timer fires: model data
/// collection can take minutes to land, so the scan waits a little.
pub const TIMER_MARGIN_HOURS: u32 = 2;

/// Snapshot template of the legacy `azureml-monitoring` ModelDataCollector (AKS), relative to the
/// root of the storage holding the `modeldata` container's content. The three `*` segments are the
/// subscription, resource group and workspace, which a detector does not know: they are listed.
pub const LEGACY_SNAPSHOTS: &str =
    "modeldata/*/*/*/{service}/{model}/{version}/inputs/{yyyy}/{MM}/{dd}/";

/// Snapshot template of the `azureml-ai-monitoring` collector (managed online endpoints): the
/// service is the endpoint, `*` is any deployment, and every hour folder of the day is read.
pub const COLLECTOR_SNAPSHOTS: &str =
    "modelDataCollector/{service}/*/model_inputs/{yyyy}/{MM}/{dd}/{HH}/";

/// Why a detector definition, a date range or a template was rejected.
///
/// Every message names the field and the offending value, so an API caller can fix the request
/// without reading code.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The JSON did not parse or had unknown or missing fields.
    #[error("detector definition is not valid JSON for a detector: {0}")]
    Json(#[source] serde_json::Error),
    /// `name` does not match `^[a-zA-Z0-9][\w\-]{0,35}$`.
    #[error(
        "field `name`: `{0}` is not a valid detector name (1 to 36 characters: letters, digits, `_` and `-`, starting with a letter or digit)"
    )]
    Name(String),
    /// `model_name` does not match `^[a-zA-Z0-9 ._-]*$` or is empty, `.` or `..`.
    #[error(
        "field `model_name`: `{0}` is not a valid model name (letters, digits, space, `.`, `_`, `-`; not empty, `.` or `..`)"
    )]
    ModelName(String),
    /// `model_version` is 0.
    #[error("field `model_version`: `{0}` is not a positive integer")]
    ModelVersion(u32),
    /// `services` is empty.
    #[error("field `services`: the list is empty; give at least one service name")]
    NoServices,
    /// A service name does not match `^[a-zA-Z0-9 ._-]*$` or is empty, `.` or `..`.
    #[error(
        "field `services`: `{0}` is not a valid service name (letters, digits, space, `.`, `_`, `-`; not empty, `.` or `..`)"
    )]
    ServiceName(String),
    /// The same service is listed twice.
    #[error("field `services`: `{0}` is listed more than once")]
    DuplicateService(String),
    /// `baseline` is empty.
    #[error("field `baseline`: empty; give a dataset location or a cached `.profile`")]
    NoBaseline,
    /// A location contains a `..` segment or a backslash, or is the file-system root.
    #[error(
        "field `{field}`: `{value}` may not contain `..` segments or backslashes, nor be the root folder"
    )]
    Location {
        /// Field name.
        field: &'static str,
        /// The value given.
        value: String,
    },
    /// `drift_threshold` is outside [0, 1] or not a number.
    #[error("field `drift_threshold`: `{0}` is not a number between 0 and 1")]
    Threshold(f64),
    /// More than [`MAX_FEATURES`] features.
    #[error("field `feature_list`: {0} features given, at most {MAX_FEATURES} are allowed")]
    TooManyFeatures(usize),
    /// A feature name does not match Azure ML's feature pattern.
    #[error(
        "field `feature_list`: `{0}` is not a valid feature name (1 to 64 characters: letters, digits, space, `.`, `_`, `-`; no commas; no leading `-` or space, no trailing space)"
    )]
    Feature(String),
    /// `latency` above [`MAX_LATENCY_HOURS`].
    #[error("field `latency`: `{0}` hours is above the limit of {MAX_LATENCY_HOURS}")]
    Latency(u32),
    /// An alert address does not look like an email address.
    #[error("field `alert.emails`: `{0}` is not an email address")]
    Email(String),
    /// The webhook is not an http(s) URL.
    #[error("field `alert.webhook`: `{0}` is not an http:// or https:// URL")]
    Webhook(String),
    /// The snapshot template is malformed.
    #[error("field `snapshots`: template `{template}` {reason}")]
    Template {
        /// The template given.
        template: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A date range whose end is before its start.
    #[error("date range: `end_date` {end} is before `start_date` {start}")]
    DateOrder {
        /// First day.
        start: NaiveDate,
        /// Last day.
        end: NaiveDate,
    },
    /// A backfill over more than [`MAX_BACKFILL_CYCLES`] windows.
    #[error(
        "backfill from {start} to {end}: {cycles} {frequency:?} cycles, at most {MAX_BACKFILL_CYCLES} are allowed"
    )]
    BackfillTooLong {
        /// First day.
        start: NaiveDate,
        /// Last day.
        end: NaiveDate,
        /// Cycles the range covers.
        cycles: usize,
        /// The detector's frequency.
        frequency: Frequency,
    },
    /// A date that is not `YYYY-MM-DD`.
    #[error("field `{field}`: `{value}` is not a date in the form YYYY-MM-DD")]
    Date {
        /// Field name.
        field: &'static str,
        /// The value given.
        value: String,
    },
}

fn regex(pattern: &str) -> Regex {
    // The patterns are literals in this file, covered by the unit tests below.
    Regex::new(pattern).expect("literal regex compiles")
}

static NAME_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-zA-Z0-9][a-zA-Z0-9_\-]{0,35}$"));
static MODEL_OR_SERVICE_RE: LazyLock<Regex> = LazyLock::new(|| regex(r"^[a-zA-Z0-9 ._-]*$"));
static FEATURE_RE: LazyLock<Regex> = LazyLock::new(|| {
    regex(r"(^([a-zA-Z0-9._][a-zA-Z0-9 ._-]{0,62})[a-zA-Z0-9._-]$|^[a-zA-Z0-9._]$)")
});
static EMAIL_RE: LazyLock<Regex> =
    LazyLock::new(|| regex(r"^[a-zA-Z0-9_.+-]+@[a-zA-Z0-9-]+\.[a-zA-Z0-9-.]+$"));

/// Checks a detector name against Azure ML's pattern `^[a-zA-Z0-9][\w\-]{0,35}$`, with `\w` read as
/// ASCII: the name becomes a storage key and a function name, so nothing outside ASCII is accepted.
pub fn validate_name(name: &str) -> Result<(), ConfigError> {
    if NAME_RE.is_match(name) {
        Ok(())
    } else {
        Err(ConfigError::Name(name.to_string()))
    }
}

/// Model and service names become path segments of snapshot locations and result keys, so on top
/// of Azure ML's pattern they may not be empty, `.` or `..`.
fn is_model_or_service_name(name: &str) -> bool {
    MODEL_OR_SERVICE_RE.is_match(name) && !name.is_empty() && name != "." && name != ".."
}

/// A location may be relative to the store, `az://...` or an absolute folder; it never climbs.
fn check_location(field: &'static str, value: &str) -> Result<(), ConfigError> {
    let climbs = value.split('/').any(|seg| seg == "..");
    let whole_filesystem = value.trim_matches('/').is_empty();
    if climbs || whole_filesystem || value.contains('\\') {
        return Err(ConfigError::Location {
            field,
            value: value.to_string(),
        });
    }
    Ok(())
}

/// Parses a `YYYY-MM-DD` date from a request field.
pub fn parse_date(field: &'static str, value: &str) -> Result<NaiveDate, ConfigError> {
    NaiveDate::parse_from_str(value.trim(), "%Y-%m-%d").map_err(|_| ConfigError::Date {
        field,
        value: value.to_string(),
    })
}

impl Detector {
    /// Parses and validates a definition: the only way a request body becomes a [`Detector`].
    pub fn from_json(bytes: &[u8]) -> Result<Detector, ConfigError> {
        let detector: Detector = serde_json::from_slice(bytes).map_err(ConfigError::Json)?;
        detector.validate()?;
        Ok(detector)
    }

    /// Checks every field with the rules of Azure ML's `parameter_validator.py`; the first
    /// broken rule is reported.
    pub fn validate(&self) -> Result<(), ConfigError> {
        validate_name(&self.name)?;
        if !is_model_or_service_name(&self.model_name) {
            return Err(ConfigError::ModelName(self.model_name.clone()));
        }
        if self.model_version == 0 {
            return Err(ConfigError::ModelVersion(self.model_version));
        }
        validate_services(&self.services)?;
        if self.baseline.trim().is_empty() {
            return Err(ConfigError::NoBaseline);
        }
        check_location("baseline", &self.baseline)?;
        if let Some(t) = &self.snapshots {
            check_location("snapshots", t)?;
            SnapshotTemplate::parse(t)?;
        }
        validate_threshold(self.drift_threshold)?;
        if let Some(features) = &self.feature_list {
            validate_features(features)?;
        }
        if self.latency > MAX_LATENCY_HOURS {
            return Err(ConfigError::Latency(self.latency));
        }
        for email in &self.alert.emails {
            if !EMAIL_RE.is_match(email) {
                return Err(ConfigError::Email(email.clone()));
            }
        }
        if let Some(hook) = &self.alert.webhook {
            validate_webhook(hook)?;
        }
        Ok(())
    }

    /// The snapshot template in effect: the detector's own, or the legacy collector layout.
    pub fn snapshot_template(&self) -> Result<SnapshotTemplate, ConfigError> {
        SnapshotTemplate::parse(self.snapshots.as_deref().unwrap_or(LEGACY_SNAPSHOTS))
    }

    /// Name of the timer function that runs this detector: `drift-<name>`.
    pub fn timer_function_name(&self) -> String {
        format!("{TIMER_FUNCTION_PREFIX}{}", self.name)
    }

    /// NCRONTAB schedule (UTC, six fields) of the detector's timer.
    ///
    /// The timer fires [`TIMER_MARGIN_HOURS`] + `latency` hours after the window closes: daily at
    /// 02:00 for a Day detector without latency, Mondays for Week, the 1st for Month. Latencies
    /// that push the firing past midnight move it to a later day (of the week or month; a monthly
    /// firing day is capped at the 28th so that it exists in every month). Whatever the firing
    /// time, the window scored is the one [`Frequency::due_window`] picks, so the schedule only
    /// decides when, never what.
    pub fn timer_schedule(&self) -> String {
        let total = TIMER_MARGIN_HOURS + self.latency;
        let hour = total % 24;
        let days = total / 24;
        match self.frequency {
            Frequency::Day => format!("0 0 {hour} * * *"),
            // NCRONTAB day of week: 0 = Sunday, 1 = Monday.
            Frequency::Week => format!("0 0 {hour} * * {}", (1 + days) % 7),
            Frequency::Month => format!("0 0 {hour} {} * *", (1 + days).min(28)),
        }
    }

    /// The scan options a run uses when the request does not override them.
    pub fn apply_overrides(
        &self,
        services: Option<Vec<String>>,
        feature_list: Option<Vec<String>>,
        drift_threshold: Option<f64>,
    ) -> Result<Detector, ConfigError> {
        let mut d = self.clone();
        if let Some(s) = services {
            validate_services(&s)?;
            d.services = s;
        }
        if let Some(f) = feature_list {
            validate_features(&f)?;
            d.feature_list = Some(f);
        }
        if let Some(t) = drift_threshold {
            validate_threshold(t)?;
            d.drift_threshold = t;
        }
        Ok(d)
    }
}

fn validate_services(services: &[String]) -> Result<(), ConfigError> {
    if services.is_empty() {
        return Err(ConfigError::NoServices);
    }
    for (i, s) in services.iter().enumerate() {
        if !is_model_or_service_name(s) {
            return Err(ConfigError::ServiceName(s.clone()));
        }
        if services[..i].contains(s) {
            return Err(ConfigError::DuplicateService(s.clone()));
        }
    }
    Ok(())
}

fn validate_threshold(t: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&t) {
        Ok(())
    } else {
        Err(ConfigError::Threshold(t))
    }
}

fn validate_features(features: &[String]) -> Result<(), ConfigError> {
    if features.len() > MAX_FEATURES {
        return Err(ConfigError::TooManyFeatures(features.len()));
    }
    for f in features {
        if f.contains(',') || !FEATURE_RE.is_match(f) {
            return Err(ConfigError::Feature(f.clone()));
        }
    }
    Ok(())
}

fn validate_webhook(hook: &str) -> Result<(), ConfigError> {
    let bad = || ConfigError::Webhook(hook.to_string());
    let rest = hook
        .strip_prefix("https://")
        .or_else(|| hook.strip_prefix("http://"))
        .ok_or_else(bad)?;
    let host = rest.split(['/', '?', '#']).next().unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) || hook.contains(char::is_whitespace) {
        return Err(bad());
    }
    Ok(())
}

/// A target window: every day from `start` to `end`, both included.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Window {
    /// First day; also the scoring date the result is stored under.
    pub start: NaiveDate,
    /// Last day (inclusive).
    pub end: NaiveDate,
}

impl Window {
    /// The days of the window, in order.
    pub fn days(&self) -> impl Iterator<Item = NaiveDate> + '_ {
        self.start.iter_days().take_while(move |d| *d <= self.end)
    }
}

impl Frequency {
    /// The window of this frequency that contains `date`: the day itself, its Monday-to-Sunday
    /// week, or its calendar month.
    pub fn window_containing(self, date: NaiveDate) -> Window {
        match self {
            Frequency::Day => Window {
                start: date,
                end: date,
            },
            Frequency::Week => {
                let start = date - Days::new(u64::from(date.weekday().num_days_from_monday()));
                Window {
                    start,
                    end: start + Days::new(6),
                }
            }
            Frequency::Month => {
                let start = date.with_day(1).unwrap_or(date);
                let end = start
                    .checked_add_months(Months::new(1))
                    .and_then(|next| next.pred_opt())
                    .unwrap_or(start);
                Window { start, end }
            }
        }
    }

    /// The most recent complete window as of `now`, after waiting `latency` hours for its data:
    /// the newest window whose end (midnight after its last day) plus `latency` is not after `now`.
    pub fn due_window(self, now: DateTime<Utc>, latency: u32) -> Window {
        let as_of = now - TimeDelta::hours(i64::from(latency));
        // The day before `as_of`'s day is complete; the window containing it is complete only if
        // it ends on that day, otherwise step back one window.
        let yesterday = as_of.date_naive().pred_opt().unwrap_or(as_of.date_naive());
        let w = self.window_containing(yesterday);
        if w.end <= yesterday {
            w
        } else {
            self.window_containing(w.start.pred_opt().unwrap_or(w.start))
        }
    }

    /// Splits `start..=end` into the windows that cover it (the first and last may reach outside
    /// the range, since windows are aligned to the frequency). More than
    /// [`MAX_BACKFILL_CYCLES`] windows is an error, as in Azure ML.
    pub fn backfill_windows(
        self,
        start: NaiveDate,
        end: NaiveDate,
    ) -> Result<Vec<Window>, ConfigError> {
        if end < start {
            return Err(ConfigError::DateOrder { start, end });
        }
        let mut windows = Vec::new();
        let mut w = self.window_containing(start);
        loop {
            windows.push(w);
            if windows.len() > MAX_BACKFILL_CYCLES {
                // Count the rest only to say how far over the limit the request is.
                let mut cycles = windows.len();
                let mut next = w;
                while next.end < end {
                    next = self.window_containing(next.end.succ_opt().unwrap_or(next.end));
                    cycles += 1;
                }
                return Err(ConfigError::BackfillTooLong {
                    start,
                    end,
                    cycles,
                    frequency: self,
                });
            }
            if w.end >= end {
                break;
            }
            match w.end.succ_opt() {
                Some(next) => w = self.window_containing(next),
                None => break,
            }
        }
        Ok(windows)
    }
}

/// One `/`-separated piece of a rendered snapshot template.
#[derive(Debug, Clone)]
pub enum Segment {
    /// A fixed folder name; several when a date part may be written padded or not (`05` and `5`).
    Exact(Vec<String>),
    /// Any folder name matching the pattern (`*`, or `{HH}`: every hour of the day).
    Any(Regex),
}

/// Where a location's keys live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataRoot {
    /// In the detector store itself (same folder, or same container and prefix).
    Store,
    /// `az://<container>/...`: another container of the store's storage account.
    Container(String),
    /// `/...`: an absolute folder on the machine running driftscan.
    Folder,
}

/// Splits a baseline or snapshot location into its root and the `/`-separated key below it.
pub fn split_location(location: &str) -> (DataRoot, String) {
    if let Some(rest) = location.strip_prefix("az://") {
        let (container, key) = rest.split_once('/').unwrap_or((rest, ""));
        (DataRoot::Container(container.to_string()), key.to_string())
    } else if let Some(rest) = location.strip_prefix('/') {
        (DataRoot::Folder, rest.to_string())
    } else {
        (DataRoot::Store, location.to_string())
    }
}

/// A parsed snapshot location template.
///
/// Placeholders: `{service}`, `{model}`, `{version}`, `{yyyy}`, `{MM}`, `{dd}`, `{HH}`; a segment
/// that is exactly `*` matches any folder name. `{MM}` and `{dd}` render as both the zero-padded
/// and the unpadded number (the legacy collector has been seen writing `/3/` for March), `{HH}` as
/// every hour folder. Snapshot files are whatever lies below the rendered prefix: file names vary,
/// so they are found by listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotTemplate {
    /// The template, with `legacy` / `collector` shorthands expanded.
    pub template: String,
    /// Where the rendered keys live.
    pub root: DataRoot,
    /// The `/`-separated parts below the root.
    pub parts: Vec<String>,
}

const PLACEHOLDERS: [&str; 7] = ["service", "model", "version", "yyyy", "MM", "dd", "HH"];

impl SnapshotTemplate {
    /// Parses and checks a template: known placeholders only, a date in it, no climbing.
    pub fn parse(template: &str) -> Result<SnapshotTemplate, ConfigError> {
        let bad = |reason: &str| ConfigError::Template {
            template: template.to_string(),
            reason: reason.to_string(),
        };
        let shorthand = match template {
            "legacy" => LEGACY_SNAPSHOTS,
            "collector" => COLLECTOR_SNAPSHOTS,
            other => other,
        };
        let mut rest = shorthand;
        let mut seen = Vec::new();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| bad("has a `{` without a closing `}`"))?;
            let name = &after[..close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(bad(&format!(
                    "uses unknown placeholder `{{{name}}}` (known: {{service}}, {{model}}, {{version}}, {{yyyy}}, {{MM}}, {{dd}}, {{HH}})"
                )));
            }
            seen.push(name);
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(bad("has a `}` without an opening `{`"));
        }
        for needed in ["yyyy", "MM", "dd"] {
            if !seen.contains(&needed) {
                return Err(bad(&format!(
                    "has no `{{{needed}}}`: every scoring date would read the same files"
                )));
            }
        }
        let (root, key) = split_location(shorthand);
        if key.split('/').any(|s| s == ".." || s == ".") || key.contains('\\') {
            return Err(bad("may not contain `.` or `..` segments or backslashes"));
        }
        if let DataRoot::Container(c) = &root
            && (c.is_empty() || c.contains('{'))
        {
            return Err(bad("names no container after `az://`"));
        }
        Ok(SnapshotTemplate {
            template: shorthand.to_string(),
            root,
            parts: key
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }

    /// The folder pattern of one service's snapshot for one day, below [`SnapshotTemplate::root`].
    pub fn render(&self, service: &str, model: &str, version: u32, day: NaiveDate) -> Vec<Segment> {
        let yyyy = day.format("%Y").to_string();
        let mm = format!("{:02}", day.month());
        let dd = format!("{:02}", day.day());
        let mut out = Vec::new();
        for part in &self.parts {
            if part == "*" {
                out.push(Segment::Any(regex(r"^.+$")));
                continue;
            }
            if part.contains("{HH}") {
                let escaped = regex::escape(part);
                let pattern = escaped
                    .replace(r"\{HH\}", r"(?:[01]?[0-9]|2[0-3])")
                    .replace(r"\{service\}", &regex::escape(service))
                    .replace(r"\{model\}", &regex::escape(model))
                    .replace(r"\{version\}", &version.to_string())
                    .replace(r"\{yyyy\}", &yyyy)
                    .replace(r"\{MM\}", &format!("0?{}", day.month()))
                    .replace(r"\{dd\}", &format!("0?{}", day.day()));
                out.push(Segment::Any(regex(&format!("^{pattern}$"))));
                continue;
            }
            let fixed = part
                .replace("{service}", service)
                .replace("{model}", model)
                .replace("{version}", &version.to_string())
                .replace("{yyyy}", &yyyy);
            let mut variants = vec![fixed.replace("{MM}", &mm).replace("{dd}", &dd)];
            let unpadded = fixed
                .replace("{MM}", &day.month().to_string())
                .replace("{dd}", &day.day().to_string());
            if !variants.contains(&unpadded) {
                variants.push(unpadded);
            }
            out.push(Segment::Exact(variants));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
    }

    fn detector() -> Detector {
        Detector::from_json(
            br#"{"name":"churn-v2","model_name":"churn","model_version":2,"services":["aks-prod"],
                 "baseline":"baselines/train.csv"}"#,
        )
        .unwrap()
    }

    #[test]
    fn defaults_follow_azure_ml() {
        let det = detector();
        assert_eq!(det.drift_threshold, 0.2);
        assert_eq!(det.frequency, Frequency::Day);
        assert!(det.enabled);
        assert_eq!(det.latency, 0);
    }

    /// Names from Azure ML's pattern `^[a-zA-Z0-9][\w\-]{0,35}$` (parameter_validator.py).
    #[test]
    fn name_validation_table() {
        let cases = [
            ("a", true),
            ("churn-v2", true),
            ("Churn_2", true),
            ("1detector", true),
            (&"a".repeat(36), true),
            (&"a".repeat(37), false),
            ("", false),
            ("-abc", false),
            ("_abc", false),
            ("../x", false),
            ("a/b", false),
            ("a.b", false),
            ("a b", false),
            ("é", false),
        ];
        for (name, ok) in cases {
            assert_eq!(validate_name(name).is_ok(), ok, "name `{name}`");
        }
    }

    #[test]
    fn field_rules_name_the_field_and_value() {
        let base = serde_json::json!({"name":"d","model_name":"m","model_version":1,
            "services":["s"],"baseline":"b.csv"});
        let cases: Vec<(serde_json::Value, &str)> = vec![
            (serde_json::json!({"name":"../x"}), "field `name`: `../x`"),
            (
                serde_json::json!({"model_name":"m/1"}),
                "field `model_name`: `m/1`",
            ),
            (
                serde_json::json!({"model_name":".."}),
                "field `model_name`: `..`",
            ),
            (
                serde_json::json!({"model_version":0}),
                "field `model_version`: `0`",
            ),
            (
                serde_json::json!({"services":[]}),
                "field `services`: the list is empty",
            ),
            (
                serde_json::json!({"services":["ok","bad/x"]}),
                "field `services`: `bad/x`",
            ),
            (
                serde_json::json!({"services":["a","a"]}),
                "`a` is listed more than once",
            ),
            (
                serde_json::json!({"baseline":""}),
                "field `baseline`: empty",
            ),
            (serde_json::json!({"baseline":"/"}), "field `baseline`: `/`"),
            (
                serde_json::json!({"baseline":"../etc/passwd"}),
                "field `baseline`: `../etc/passwd`",
            ),
            (
                serde_json::json!({"drift_threshold":1.5}),
                "field `drift_threshold`: `1.5`",
            ),
            (
                serde_json::json!({"drift_threshold":-0.1}),
                "field `drift_threshold`: `-0.1`",
            ),
            (
                serde_json::json!({"feature_list":["a,b"]}),
                "field `feature_list`: `a,b`",
            ),
            (
                serde_json::json!({"feature_list":["-x"]}),
                "field `feature_list`: `-x`",
            ),
            (
                serde_json::json!({"latency":1001}),
                "field `latency`: `1001`",
            ),
            (
                serde_json::json!({"alert":{"emails":["nobody"]}}),
                "field `alert.emails`: `nobody`",
            ),
            (
                serde_json::json!({"alert":{"webhook":"ftp://x"}}),
                "field `alert.webhook`: `ftp://x`",
            ),
            (
                serde_json::json!({"alert":{"webhook":"https://"}}),
                "field `alert.webhook`",
            ),
            (
                serde_json::json!({"snapshots":"data/{yyyy}/{MM}"}),
                "has no `{dd}`",
            ),
            (
                serde_json::json!({"snapshots":"data/{foo}/{yyyy}/{MM}/{dd}"}),
                "unknown placeholder `{foo}`",
            ),
            (
                serde_json::json!({"snapshots":"data/../{yyyy}/{MM}/{dd}"}),
                "field `snapshots`",
            ),
            (
                serde_json::json!({"colour":"red"}),
                "unknown field `colour`",
            ),
        ];
        for (patch, expected) in cases {
            let mut v = base.clone();
            for (k, val) in patch.as_object().unwrap() {
                v[k] = val.clone();
            }
            let err = Detector::from_json(v.to_string().as_bytes())
                .unwrap_err()
                .to_string();
            assert!(
                err.contains(expected),
                "patch {patch}: got `{err}`, want `{expected}`"
            );
        }
        Detector::from_json(base.to_string().as_bytes()).unwrap();
    }

    #[test]
    fn feature_limits() {
        let ok: Vec<String> = (0..200).map(|i| format!("f{i}")).collect();
        assert!(validate_features(&ok).is_ok());
        let too_many: Vec<String> = (0..201).map(|i| format!("f{i}")).collect();
        assert!(matches!(
            validate_features(&too_many),
            Err(ConfigError::TooManyFeatures(201))
        ));
        for good in [
            "x",
            "age",
            "$bad".trim_start_matches('$'),
            "a b",
            "a.b-c_d",
            &"a".repeat(64),
        ] {
            assert!(validate_features(&[good.to_string()]).is_ok(), "{good}");
        }
        for bad in ["", "a ", &"a".repeat(65), "a,b", "$x"] {
            assert!(validate_features(&[bad.to_string()]).is_err(), "{bad}");
        }
    }

    #[test]
    fn window_containing_table() {
        let cases = [
            (Frequency::Day, "2026-11-25", "2026-11-25", "2026-11-25"),
            (Frequency::Week, "2026-11-25", "2026-11-23", "2026-11-29"), // Wednesday
            (Frequency::Week, "2026-11-23", "2026-11-23", "2026-11-29"), // Monday
            (Frequency::Week, "2026-11-29", "2026-11-23", "2026-11-29"), // Sunday
            (Frequency::Month, "2026-02-14", "2026-02-01", "2026-02-28"),
            (Frequency::Month, "2028-02-29", "2028-02-01", "2028-02-29"),
            (Frequency::Month, "2026-12-31", "2026-12-01", "2026-12-31"),
        ];
        for (f, date, start, end) in cases {
            assert_eq!(
                f.window_containing(d(date)),
                Window {
                    start: d(start),
                    end: d(end)
                },
                "{f:?} {date}"
            );
        }
    }

    #[test]
    fn due_window_table() {
        let t = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().with_timezone(&Utc);
        let cases = [
            // now, frequency, latency hours, window start, window end
            (
                "2026-11-25T02:00:00Z",
                Frequency::Day,
                0,
                "2026-11-24",
                "2026-11-24",
            ),
            (
                "2026-11-25T00:00:00Z",
                Frequency::Day,
                0,
                "2026-11-24",
                "2026-11-24",
            ),
            (
                "2026-11-25T05:00:00Z",
                Frequency::Day,
                6,
                "2026-11-23",
                "2026-11-23",
            ),
            (
                "2026-11-25T06:00:00Z",
                Frequency::Day,
                6,
                "2026-11-24",
                "2026-11-24",
            ),
            (
                "2026-11-25T02:00:00Z",
                Frequency::Day,
                48,
                "2026-11-22",
                "2026-11-22",
            ),
            // Wednesday: last complete week is Mon 16 - Sun 22.
            (
                "2026-11-25T02:00:00Z",
                Frequency::Week,
                0,
                "2026-11-16",
                "2026-11-22",
            ),
            // Monday 23rd 02:00: week 16-22 just completed.
            (
                "2026-11-23T02:00:00Z",
                Frequency::Week,
                0,
                "2026-11-16",
                "2026-11-22",
            ),
            // ...but not with 3 hours of latency.
            (
                "2026-11-23T02:00:00Z",
                Frequency::Week,
                3,
                "2026-11-09",
                "2026-11-15",
            ),
            (
                "2026-12-01T02:00:00Z",
                Frequency::Month,
                0,
                "2026-11-01",
                "2026-11-30",
            ),
            (
                "2026-11-30T23:00:00Z",
                Frequency::Month,
                0,
                "2026-10-01",
                "2026-10-31",
            ),
            (
                "2026-03-01T00:00:00Z",
                Frequency::Month,
                0,
                "2026-02-01",
                "2026-02-28",
            ),
            (
                "2026-03-02T00:00:00Z",
                Frequency::Month,
                25,
                "2026-01-01",
                "2026-01-31",
            ),
        ];
        for (now, f, lat, start, end) in cases {
            assert_eq!(
                f.due_window(t(now), lat),
                Window {
                    start: d(start),
                    end: d(end)
                },
                "{now} {f:?} latency {lat}"
            );
        }
    }

    #[test]
    fn backfill_splits_into_cycles() {
        let days = Frequency::Day
            .backfill_windows(d("2026-11-01"), d("2026-11-30"))
            .unwrap();
        assert_eq!(days.len(), 30);
        assert_eq!(days[29].start, d("2026-11-30"));
        let weeks = Frequency::Week
            .backfill_windows(d("2026-11-04"), d("2026-11-18"))
            .unwrap();
        assert_eq!(
            weeks.iter().map(|w| w.start).collect::<Vec<_>>(),
            vec![d("2026-11-02"), d("2026-11-09"), d("2026-11-16")]
        );
        let months = Frequency::Month
            .backfill_windows(d("2026-01-15"), d("2026-03-01"))
            .unwrap();
        assert_eq!(months.len(), 3);
        assert_eq!(
            Frequency::Day
                .backfill_windows(d("2026-11-05"), d("2026-11-05"))
                .unwrap()
                .len(),
            1
        );
    }

    #[test]
    fn backfill_over_thirty_cycles_is_rejected_with_the_count() {
        let err = Frequency::Day
            .backfill_windows(d("2026-11-01"), d("2026-12-01"))
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "backfill from 2026-11-01 to 2026-12-01: 31 Day cycles, at most 30 are allowed"
        );
        let err = Frequency::Week
            .backfill_windows(d("2026-01-01"), d("2026-12-31"))
            .unwrap_err();
        assert!(err.to_string().contains("53 Week cycles"), "{err}");
        let err = Frequency::Day
            .backfill_windows(d("2026-11-02"), d("2026-11-01"))
            .unwrap_err();
        assert!(err.to_string().contains("before `start_date`"), "{err}");
    }

    #[test]
    fn timer_schedules_follow_frequency_and_latency() {
        let cases = [
            (Frequency::Day, 0, "0 0 2 * * *"),
            (Frequency::Day, 5, "0 0 7 * * *"),
            (Frequency::Day, 23, "0 0 1 * * *"),
            (Frequency::Week, 0, "0 0 2 * * 1"),
            (Frequency::Week, 30, "0 0 8 * * 2"),
            (Frequency::Week, 22 + 24 * 5, "0 0 0 * * 0"),
            (Frequency::Month, 0, "0 0 2 1 * *"),
            (Frequency::Month, 46, "0 0 0 3 * *"),
            (Frequency::Month, 1000, "0 0 18 28 * *"),
        ];
        for (f, latency, expected) in cases {
            let mut det = detector();
            det.frequency = f;
            det.latency = latency;
            assert_eq!(det.timer_schedule(), expected, "{f:?} latency {latency}");
        }
        assert_eq!(detector().timer_function_name(), "drift-churn-v2");
    }

    fn rendered(t: &SnapshotTemplate, day: &str) -> Vec<String> {
        t.render("aks-prod", "churn", 2, d(day))
            .into_iter()
            .map(|s| match s {
                Segment::Exact(v) => v.join("|"),
                Segment::Any(r) => format!("~{}", r.as_str()),
            })
            .collect()
    }

    #[test]
    fn legacy_template_renders_padded_and_unpadded_dates() {
        let t = detector().snapshot_template().unwrap();
        assert_eq!(t.root, DataRoot::Store);
        assert_eq!(
            rendered(&t, "2026-03-05"),
            vec![
                "modeldata",
                "~^.+$",
                "~^.+$",
                "~^.+$",
                "aks-prod",
                "churn",
                "2",
                "inputs",
                "2026",
                "03|3",
                "05|5"
            ]
        );
        assert_eq!(rendered(&t, "2026-11-25")[9..], ["11", "25"]);
    }

    #[test]
    fn collector_template_reads_every_hour() {
        let t = SnapshotTemplate::parse(&format!("az://workspaceblobstore/{COLLECTOR_SNAPSHOTS}"))
            .unwrap();
        assert_eq!(t.root, DataRoot::Container("workspaceblobstore".into()));
        assert_eq!(t.parts[0], "modelDataCollector");
        let segs = t.render("ep", "m", 1, d("2026-11-05"));
        let Segment::Any(hour) = &segs[7] else {
            panic!("hour segment")
        };
        for ok in ["00", "0", "9", "23"] {
            assert!(hour.is_match(ok), "{ok}");
        }
        for bad in ["24", "x", "000"] {
            assert!(!hour.is_match(bad), "{bad}");
        }
        let t = SnapshotTemplate::parse("collector").unwrap();
        assert_eq!(t.root, DataRoot::Store);
    }

    #[test]
    fn locations_split_into_roots() {
        assert_eq!(
            split_location("a/b.csv"),
            (DataRoot::Store, "a/b.csv".into())
        );
        assert_eq!(
            split_location("az://c/a/b.csv"),
            (DataRoot::Container("c".into()), "a/b.csv".into())
        );
        assert_eq!(
            split_location("/data/b.csv"),
            (DataRoot::Folder, "data/b.csv".into())
        );
    }
}

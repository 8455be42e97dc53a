//! The rules a detector definition, a date or a date range must follow (Azure ML's
//! `parameter_validator.py`), each defined once, and the errors that name the broken rule.

use std::sync::LazyLock;

use chrono::NaiveDate;
use regex::Regex;

use super::schedule::Frequency;

/// Default drift threshold (Azure ML's `DEFAULT_DRIFT_THRESHOLD`).
pub const DEFAULT_DRIFT_THRESHOLD: f64 = 0.2;
/// Default minimum effect size of a drifted feature (see `drift::significance`).
pub const DEFAULT_MIN_EFFECT: f64 = 0.1;
/// At most this many features per detector (Azure ML's limit).
pub const MAX_FEATURES: usize = 200;
/// At most this many services per detector. Every run scores each service and writes its result,
/// delivery record and metrics: 5,000 services made one run take 15 s and write 20,000 files. A
/// hundred covers the deployments of one model; a larger fleet is split over several detectors.
pub const MAX_SERVICES: usize = 100;
/// A backfill covers at most this many cycles of the detector's frequency (Azure ML's `BACKFILL_BATCH_LIMIT`).
pub const MAX_BACKFILL_CYCLES: usize = 30;

/// Longest latency Azure ML accepts (`MAX_LATENCY`), in hours.
pub const MAX_LATENCY_HOURS: u32 = 1000;

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
    /// A run names a service the detector does not monitor.
    #[error("field `services`: `{0}` is not one of the detector's services")]
    UnknownService(String),
    /// More than [`MAX_SERVICES`] services.
    #[error(
        "field `services`: {0} services given, at most {MAX_SERVICES} are allowed; split them over several detectors"
    )]
    TooManyServices(usize),
    /// The same service is listed twice.
    #[error("field `services`: `{0}` is listed more than once")]
    DuplicateService(String),
    /// `baseline` is empty and there is no `reference_window`.
    #[error(
        "field `baseline`: empty; give a dataset location or a cached `.profile`, or a `reference_window`"
    )]
    NoBaseline,
    /// A reference or production window that breaks a rule of [`super::windows`].
    #[error("field `{field}`: {reason}")]
    Window {
        /// `reference_window`, `production_window` or one of their fields.
        field: &'static str,
        /// What is wrong, with the value.
        reason: String,
    },
    /// A location contains a `.` or `..` segment or a backslash, or is the file-system root.
    #[error(
        "field `{field}`: `{value}` may not contain `.` or `..` segments or backslashes, nor be the root folder"
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
    /// A minimum effect that is negative or not a number.
    #[error("field `{field}`: `{value}` is not a number >= 0")]
    MinEffect {
        /// `min_effect` or `feature_thresholds.<name>`.
        field: String,
        /// The value given.
        value: f64,
    },
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
    /// The Event Grid topic endpoint is not an https URL (http only to a loopback address).
    #[error("field `alert.event_grid.topic_endpoint`: `{value}` {reason}")]
    EventGridTopic {
        /// The value given.
        value: String,
        /// What is wrong with it.
        reason: String,
    },
    /// A signal setting that is not valid (an unknown metric, a negative threshold, no columns).
    #[error("field `{field}`: {reason}")]
    Signal {
        /// Path of the field, e.g. `signals.data_quality.metric_thresholds.numerical.null_rate`.
        field: String,
        /// What is wrong with it.
        reason: String,
    },
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
    /// A date that is not `YYYY-MM-DD` between 1900-01-01 and 9999-12-31.
    #[error(
        "field `{field}`: `{value}` is not a date in the form YYYY-MM-DD between 1900-01-01 and 9999-12-31"
    )]
    Date {
        /// Field name.
        field: &'static str,
        /// The value given.
        value: String,
    },
}

pub(super) fn regex(pattern: &str) -> Regex {
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

/// Whether `address` looks like an email address (the rule for alert recipients everywhere).
pub fn is_email(address: &str) -> bool {
    EMAIL_RE.is_match(address)
}

/// Model and service names become path segments of snapshot locations and result keys, so on top
/// of Azure ML's pattern they may not be empty, `.` or `..`.
pub(super) fn is_model_or_service_name(name: &str) -> bool {
    MODEL_OR_SERVICE_RE.is_match(name) && !name.is_empty() && name != "." && name != ".."
}

/// A location may be relative to the store, `az://...` or an absolute folder; it never climbs.
/// `.` segments are refused too rather than dropped: store keys refuse them, so a location that
/// holds one could be created but never read.
pub(super) fn check_location(field: &'static str, value: &str) -> Result<(), ConfigError> {
    let climbs = value.split('/').any(|seg| seg == ".." || seg == ".");
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
///
/// Dates outside [`FIRST_DATE`]..=[`LAST_DATE`] are refused here, so that no window arithmetic
/// downstream can leave the calendar.
pub fn parse_date(field: &'static str, value: &str) -> Result<NaiveDate, ConfigError> {
    let bad = || ConfigError::Date {
        field,
        value: value.to_string(),
    };
    let date = crate::base::text::parse_day(value.trim()).ok_or_else(bad)?;
    if !(FIRST_DATE..=LAST_DATE).contains(&date) {
        return Err(bad());
    }
    Ok(date)
}

/// The first date a request may name.
pub const FIRST_DATE: NaiveDate = NaiveDate::from_ymd_opt(1900, 1, 1).expect("valid date");
/// The last date a request may name.
pub const LAST_DATE: NaiveDate = NaiveDate::from_ymd_opt(9999, 12, 31).expect("valid date");

pub(super) fn validate_services(services: &[String]) -> Result<(), ConfigError> {
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

/// The services limit, checked on every new or replacing definition (a detector stored before
/// the limit keeps running until it is replaced).
pub(super) fn validate_service_count(services: &[String]) -> Result<(), ConfigError> {
    if services.len() > MAX_SERVICES {
        return Err(ConfigError::TooManyServices(services.len()));
    }
    Ok(())
}

pub(super) fn validate_threshold(t: f64) -> Result<(), ConfigError> {
    if (0.0..=1.0).contains(&t) {
        Ok(())
    } else {
        Err(ConfigError::Threshold(t))
    }
}

pub(super) fn validate_features(features: &[String]) -> Result<(), ConfigError> {
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

/// Minimum effects are finite and >= 0; per-feature ones name valid features.
pub(super) fn validate_min_effects(
    min_effect: f64,
    per_feature: &std::collections::BTreeMap<String, f64>,
) -> Result<(), ConfigError> {
    let names: Vec<String> = per_feature.keys().cloned().collect();
    validate_features(&names)?;
    let fields = std::iter::once(("min_effect".to_string(), min_effect)).chain(
        per_feature
            .iter()
            .map(|(k, &v)| (format!("feature_thresholds.{k}"), v)),
    );
    for (field, value) in fields {
        if !(value.is_finite() && value >= 0.0) {
            return Err(ConfigError::MinEffect { field, value });
        }
    }
    Ok(())
}

/// Checks an Event Grid topic endpoint: an https URL with a host
/// (`https://<topic>.<region>-1.eventgrid.azure.net/api/events`); plain http only to a loopback
/// address (a local receiver in tests). The reason says what is wrong.
pub fn check_topic_endpoint(endpoint: &str) -> Result<(), String> {
    let url = url::Url::parse(endpoint).map_err(|e| format!("is not a URL: {e}"))?;
    if url.cannot_be_a_base() || url.host().is_none() || endpoint.contains(char::is_whitespace) {
        return Err("is not an https:// URL with a host".to_string());
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(
            "may not carry credentials (the key comes from DRIFTSCAN_EVENTGRID_KEY)".to_string(),
        );
    }
    let loopback = match url.host() {
        Some(url::Host::Ipv4(ip)) => ip.is_loopback(),
        Some(url::Host::Ipv6(ip)) => ip.is_loopback(),
        Some(url::Host::Domain(d)) => d.eq_ignore_ascii_case("localhost"),
        None => false,
    };
    match url.scheme() {
        "https" => Ok(()),
        "http" if loopback => Ok(()),
        "http" => Err(
            "is not an https:// URL (plain http is allowed only to a loopback address)".to_string(),
        ),
        _ => Err("is not an https:// URL".to_string()),
    }
}

pub(super) fn validate_webhook(hook: &str) -> Result<(), ConfigError> {
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

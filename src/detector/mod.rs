//! Detector definitions: which model, which services, which baseline, which features, which
//! threshold, who is alerted, and how often it runs.
//!
//! A detector is stored as JSON at `detectors/{name}.json`. Its fields follow Azure ML's
//! `DataDriftDetector` (reference: azureml-datadrift 1.25 `parameter_validator.py`).
//!
//! * [`config`]: the wire form ([`DetectorConfig`]) a user writes and the store keeps;
//! * [`rules`]: every rule a field must follow, defined once, and [`ConfigError`];
//! * [`schedule`]: which window a timer firing scores ([`Frequency::due_window`]), how a backfill
//!   splits into cycles ([`Frequency::backfill_windows`]) and when the timer fires;
//! * [`snapshots`]: which folders hold a service's snapshot for a day ([`SnapshotTemplate::render`]).
//!
//! A [`Detector`] can only be made from a [`DetectorConfig`] that passed every rule (`try_from`,
//! also when a stored definition is read back), and it cannot be changed without passing them
//! again, so no code holds an unvalidated detector and nothing downstream re-checks. Every store
//! key is built from validated names only.

pub mod config;
pub mod rules;
pub mod schedule;
pub mod signals;
pub mod snapshots;
pub mod windows;

use serde::{Deserialize, Serialize};

pub use config::{
    AlertConfig, AlertOn, DeclaredType, DetectorConfig, EventGridConfig, OnMissingFeature,
};
pub use rules::{
    ConfigError, DEFAULT_DRIFT_THRESHOLD, DEFAULT_MIN_EFFECT, FIRST_DATE, LAST_DATE,
    MAX_BACKFILL_CYCLES, MAX_FEATURES, MAX_LATENCY_HOURS, MAX_SERVICES, check_topic_endpoint,
    is_email, parse_date, validate_name,
};
pub use schedule::{Frequency, TIMER_FUNCTION_PREFIX, TIMER_MARGIN_HOURS, Window};
pub use signals::{
    DataQualityConfig, MetricThresholds, PredictionDriftConfig, SignalsConfig, WindowConfig,
};
pub use snapshots::{
    COLLECTOR_SNAPSHOTS, DataRoot, LEGACY_SNAPSHOTS, Segment, SnapshotTemplate, split_location,
};
pub use windows::RunWindows;

use rules::{
    check_location, is_model_or_service_name, validate_features, validate_min_effects,
    validate_service_count, validate_services, validate_threshold, validate_webhook,
};

/// A detector whose every field passed [`rules`]. Read its fields through `Deref` to
/// [`DetectorConfig`]; change it only through the methods below, which check again.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "DetectorConfig", into = "DetectorConfig")]
pub struct Detector(DetectorConfig);

impl std::ops::Deref for Detector {
    type Target = DetectorConfig;

    fn deref(&self) -> &DetectorConfig {
        &self.0
    }
}

impl TryFrom<DetectorConfig> for Detector {
    type Error = ConfigError;

    /// Checks every field with the rules of Azure ML's `parameter_validator.py`; the first
    /// broken rule is reported.
    fn try_from(config: DetectorConfig) -> Result<Detector, ConfigError> {
        check(&config)?;
        Ok(Detector(config))
    }
}

impl From<Detector> for DetectorConfig {
    fn from(d: Detector) -> DetectorConfig {
        d.0
    }
}

fn check(config: &DetectorConfig) -> Result<(), ConfigError> {
    validate_name(&config.name)?;
    if !is_model_or_service_name(&config.model_name) {
        return Err(ConfigError::ModelName(config.model_name.clone()));
    }
    if config.model_version == 0 {
        return Err(ConfigError::ModelVersion(config.model_version));
    }
    validate_services(&config.services)?;
    // Without a baseline, the reference window is the reference (see `windows`).
    if !(config.baseline.is_empty() && config.reference_window.is_some()) {
        if config.baseline.trim().is_empty() {
            return Err(ConfigError::NoBaseline);
        }
        check_location("baseline", &config.baseline)?;
    }
    windows::validate(config)?;
    if let Some(t) = &config.snapshots {
        check_location("snapshots", t)?;
        SnapshotTemplate::parse(t)?;
    }
    validate_threshold(config.drift_threshold)?;
    config.signals.validate()?;
    if let (Some(features), Some(outputs)) =
        (&config.feature_list, &config.signals.prediction_drift)
        && let Some(both) = features.iter().find(|f| outputs.columns.contains(f))
    {
        return Err(ConfigError::Signal {
            field: "feature_list".into(),
            reason: format!(
                "`{both}` is also an output column of `signals.prediction_drift`: a model's output is never one of its input features"
            ),
        });
    }
    if let Some(features) = &config.feature_list {
        validate_features(features)?;
    }
    validate_min_effects(config.min_effect, &config.feature_thresholds)?;
    validate_features(&config.feature_types.keys().cloned().collect::<Vec<_>>())?;
    if config.latency > MAX_LATENCY_HOURS {
        return Err(ConfigError::Latency(config.latency));
    }
    for email in &config.alert.emails {
        if !is_email(email) {
            return Err(ConfigError::Email(email.clone()));
        }
    }
    if let Some(hook) = &config.alert.webhook {
        validate_webhook(hook)?;
    }
    if let Some(topic) = &config.alert.event_grid {
        check_topic_endpoint(&topic.topic_endpoint).map_err(|reason| {
            ConfigError::EventGridTopic {
                value: topic.topic_endpoint.clone(),
                reason,
            }
        })?;
    }
    Ok(())
}

impl Detector {
    /// Parses and validates a definition: the only way a request body becomes a [`Detector`].
    /// A new definition is held to the limits too ([`MAX_SERVICES`]).
    pub fn from_json(bytes: &[u8]) -> Result<Detector, ConfigError> {
        let config: DetectorConfig = serde_json::from_slice(bytes).map_err(ConfigError::Json)?;
        Detector::new_definition(config)
    }

    /// A detector from a parsed JSON definition, checked as [`Detector::from_json`] checks it.
    pub fn from_value(value: serde_json::Value) -> Result<Detector, ConfigError> {
        let config: DetectorConfig = serde_json::from_value(value).map_err(ConfigError::Json)?;
        Detector::new_definition(config)
    }

    fn new_definition(config: DetectorConfig) -> Result<Detector, ConfigError> {
        validate_service_count(&config.services)?;
        Detector::try_from(config)
    }

    /// The definition, to change and validate again with `try_from`.
    pub fn to_config(&self) -> DetectorConfig {
        self.0.clone()
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

    /// This detector with the per-request overrides of a run applied (each checked as in a
    /// definition). A services override may only name services the detector already has: a
    /// request cannot make results appear for services the detector does not monitor.
    pub fn with_overrides(
        &self,
        services: Option<Vec<String>>,
        feature_list: Option<Vec<String>>,
        drift_threshold: Option<f64>,
    ) -> Result<Detector, ConfigError> {
        let mut d = self.0.clone();
        if let Some(s) = services {
            validate_services(&s)?;
            if let Some(unknown) = s.iter().find(|s| !self.services.contains(s)) {
                return Err(ConfigError::UnknownService(unknown.clone()));
            }
            d.services = s;
        }
        if let Some(f) = feature_list {
            d.feature_list = Some(f);
        }
        if let Some(t) = drift_threshold {
            d.drift_threshold = t;
        }
        Detector::try_from(d)
    }

    /// This detector enabled or disabled for the timer.
    pub fn with_enabled(&self, enabled: bool) -> Detector {
        let mut d = self.clone();
        d.0.enabled = enabled;
        d
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{DateTime, NaiveDate, Utc};

    fn d(s: &str) -> NaiveDate {
        crate::base::text::parse_day(s).unwrap()
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
        assert_eq!(det.alert_on, AlertOn::Coefficient);
        assert_eq!(det.min_effect, DEFAULT_MIN_EFFECT);
        assert!(det.feature_thresholds.is_empty());
    }

    #[test]
    fn alert_policy_and_minimum_effects_are_read_and_checked() {
        let with = |extra: &str| {
            Detector::from_json(
                format!(
                    r#"{{"name":"d","model_name":"m","model_version":1,"services":["s"],
                        "baseline":"b.csv",{extra}}}"#
                )
                .as_bytes(),
            )
        };
        let d =
            with(r#""alert_on":"features","min_effect":0.2,"feature_thresholds":{"temp_max":0.5}"#)
                .unwrap();
        assert_eq!(d.alert_on, AlertOn::Features);
        assert_eq!(d.feature_thresholds["temp_max"], 0.5);
        assert_eq!(
            with(r#""min_effect":-1"#).unwrap_err().to_string(),
            "field `min_effect`: `-1` is not a number >= 0"
        );
        assert_eq!(
            with(r#""feature_thresholds":{"x":-0.5}"#)
                .unwrap_err()
                .to_string(),
            "field `feature_thresholds.x`: `-0.5` is not a number >= 0"
        );
        assert!(with(r#""feature_thresholds":{"a,b":0.5}"#).is_err());
        assert!(with(r#""alert_on":"always""#).is_err());
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
                serde_json::json!({"alert":{"event_grid":{"topic_endpoint":"http://topic.westeurope-1.eventgrid.azure.net/api/events"}}}),
                "field `alert.event_grid.topic_endpoint`: `http://topic.westeurope-1.eventgrid.azure.net/api/events` is not an https:// URL (plain http is allowed only to a loopback address)",
            ),
            (
                serde_json::json!({"alert":{"event_grid":{"topic_endpoint":"topic.eventgrid.azure.net"}}}),
                "field `alert.event_grid.topic_endpoint`: `topic.eventgrid.azure.net` is not a URL",
            ),
            (
                serde_json::json!({"alert":{"event_grid":{"topic_endpoint":"https://k:secret@topic.eventgrid.azure.net/api/events"}}}),
                "may not carry credentials",
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
            let mut config = detector().to_config();
            config.frequency = f;
            config.latency = latency;
            let det = Detector::try_from(config).unwrap();
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

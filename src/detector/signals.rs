//! The signals a detector watches beside input drift, and the windows it compares: the wire form
//! of Azure ML v2's monitor settings (`azure-ai-ml` `entities/_monitoring`), with its defaults.
//!
//! ```json
//! {"signals": {
//!    "prediction_drift": {"columns": ["proba"],
//!                         "metric_thresholds": {"numerical": {"normalized_wasserstein_distance": 0.1}}},
//!    "data_quality": {"feature_thresholds": {"age": {"null_value_rate": 0.05}}}},
//!  "reference_window": {"lookback_window_size": "P28D", "lookback_window_offset": "P7D"},
//!  "production_window": {"lookback_window_size": "P1D"}}
//! ```
//!
//! `data_drift` (the coefficient and the per-feature metrics of the v1 detector) is always on; a
//! detector that names no other signal writes the v1 result document unchanged.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::rules::{ConfigError, validate_features};

/// Name of the input-drift signal (the v1 detector's coefficient and feature metrics).
pub const DATA_DRIFT: &str = "data_drift";
/// Name of the prediction-drift signal.
pub const PREDICTION_DRIFT: &str = "prediction_drift";
/// Name of the data-quality signal.
pub const DATA_QUALITY: &str = "data_quality";
/// Name of the model-performance signal.
pub const PERFORMANCE: &str = "performance";

/// Azure ML v2's default threshold of `normalized_wasserstein_distance` on numerical columns.
pub const DEFAULT_NUMERICAL_DRIFT_THRESHOLD: f64 = 0.1;
/// Azure ML v2's default threshold of `jensen_shannon_distance` on categorical columns.
pub const DEFAULT_CATEGORICAL_DRIFT_THRESHOLD: f64 = 0.1;
/// Azure ML v2's default threshold of each data-quality rate.
pub const DEFAULT_QUALITY_THRESHOLD: f64 = 0.0;

/// The signals beside `data_drift`; each is on when present.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct SignalsConfig {
    /// Drift of the model's outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prediction_drift: Option<PredictionDriftConfig>,
    /// Null, type-error and out-of-bounds rates of the inputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data_quality: Option<DataQualityConfig>,
    /// The model's performance: realized from labels, estimated before they arrive.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<PerformanceConfig>,
}

impl SignalsConfig {
    /// Whether only `data_drift` is watched (the v1 result document, unchanged).
    pub fn is_empty(&self) -> bool {
        self.prediction_drift.is_none() && self.data_quality.is_none() && self.performance.is_none()
    }
}

/// Model performance of each scored day against a labelled reference (Azure ML v2's model
/// performance signal, plus estimates before the labels arrive).
///
/// ```json
/// {"problem": "binary", "y_true": "repaid", "y_pred": "y_pred", "y_pred_proba": ["y_pred_proba"],
///  "labels": "labels/{yyyy}/{MM}/{dd}", "id": "correlationid", "label_lookback_days": 7,
///  "metric_thresholds": {"accuracy": 0.05}}
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PerformanceConfig {
    /// `binary`, `multiclass` or `regression`; absent: guessed from the reference's truth.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub problem: Option<String>,
    /// The ground-truth column (in the labels when they arrive apart, else in the inputs).
    pub y_true: String,
    /// The model's prediction column.
    pub y_pred: String,
    /// Predicted probabilities: the positive class's column (binary), one per class or
    /// `class=column` (multiclass). Needed for ROC AUC and for estimates without labels.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub y_pred_proba: Vec<String>,
    /// The positive class of a binary model (default: the second class in order).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub positive_class: Option<String>,
    /// Where labels arrive apart from the inputs: a snapshot template (like `snapshots`), each
    /// day's folder holding the labels that arrived that day, joined to rows by `id`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub labels: Option<String>,
    /// The column joining labels to rows (`correlationid` in Azure ML's collector).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The labelled reference: a dataset location; absent: the detector's baseline, which then
    /// holds the truth and the outputs.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// How many days labels may arrive late: a scheduled run looks for labels of the days
    /// before it up to this far back and recomputes those days' performance when new labels
    /// came (default 7; 0 turns it off).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label_lookback_days: Option<u32>,
    /// Thresholds by metric: the drop of a rate (default 0.05), the relative rise of a loss
    /// (default 0.10).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub metric_thresholds: BTreeMap<String, f64>,
}

/// Default of [`PerformanceConfig::label_lookback_days`].
pub const DEFAULT_LABEL_LOOKBACK_DAYS: u32 = 7;

/// Metrics a performance threshold may name.
pub const PERFORMANCE_METRICS: [&str; 9] = [
    "roc_auc",
    "accuracy",
    "precision",
    "recall",
    "f1",
    "mae",
    "mse",
    "rmse",
    "mape",
];

/// Thresholds by column kind and metric name, as Azure ML writes them:
/// `{"numerical": {"normalized_wasserstein_distance": 0.1}, "categorical": {"jensen_shannon_distance": 0.1}}`.
/// A metric without a threshold is computed and reported, and never fails the signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct MetricThresholds {
    /// Thresholds of numeric columns.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub numerical: BTreeMap<String, f64>,
    /// Thresholds of categorical columns.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub categorical: BTreeMap<String, f64>,
}

impl MetricThresholds {
    /// Whether no threshold is set (every metric takes its default).
    pub fn is_empty(&self) -> bool {
        self.numerical.is_empty() && self.categorical.is_empty()
    }
}

/// Prediction drift: the model's outputs compared with reference outputs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct PredictionDriftConfig {
    /// Output columns (a probability, a predicted class, a score). They never enter the input
    /// drift coefficient.
    pub columns: Vec<String>,
    /// Where the outputs are, when not in the input files: a snapshot template like
    /// `snapshots` (the legacy collector's `predictions` folder, the v2 collector's
    /// `model_outputs` collection). Absent: the output columns are read from the input snapshots.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<String>,
    /// Reference outputs: a dataset location or `.profile` (a validation set's outputs). Absent:
    /// the output columns of the detector's reference (baseline or reference window).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference: Option<String>,
    /// Thresholds by kind; absent kinds take Azure ML's defaults (normalised Wasserstein 0.1,
    /// Jensen-Shannon 0.1).
    #[serde(default, skip_serializing_if = "MetricThresholds::is_empty")]
    pub metric_thresholds: MetricThresholds,
    /// Per-column thresholds, in place of `metric_thresholds` for the metrics named.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_thresholds: BTreeMap<String, BTreeMap<String, f64>>,
}

/// Data quality of the inputs, each rate against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct DataQualityConfig {
    /// Features checked; absent: the detector's features (every common column).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub features: Option<Vec<String>>,
    /// Thresholds by kind; a rate above its threshold fails the signal. Absent metrics take the
    /// reference's own rate: Azure ML's 0.0 wherever the reference was clean
    /// (`drift::quality::evaluate`).
    #[serde(default, skip_serializing_if = "MetricThresholds::is_empty")]
    pub metric_thresholds: MetricThresholds,
    /// Per-feature thresholds, in place of `metric_thresholds` for the metrics named.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_thresholds: BTreeMap<String, BTreeMap<String, f64>>,
}

/// A window of production days, as Azure ML v2 defines it (ISO 8601 durations in whole days or
/// weeks: `P7D`, `P4W`). Rolling: `lookback_window_size` days ending `lookback_window_offset`
/// before the end of the scored cycle. Fixed (reference only): `window_start` to `window_end`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct WindowConfig {
    /// Length of a rolling window (`P28D`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_window_size: Option<String>,
    /// How far before the end of the scored cycle a rolling window ends (`P7D`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lookback_window_offset: Option<String>,
    /// First day of a fixed window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_start: Option<NaiveDate>,
    /// Last day (inclusive) of a fixed window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_end: Option<NaiveDate>,
}

/// Metrics a data-quality threshold may name.
pub const QUALITY_METRICS: [&str; 3] = [
    "null_value_rate",
    "data_type_error_rate",
    "out_of_bounds_rate",
];

/// Metrics a prediction-drift threshold may name on a numerical output column (Azure ML v2's
/// numerical metrics, as driftscan names them in results).
pub const PREDICTION_NUMERICAL_METRICS: [&str; 5] = [
    "normalized_wasserstein_distance",
    "jensen_shannon_distance",
    "population_stability_index",
    "two_sample_ks_statistic",
    "chebyshev_distance",
];

/// Metrics a prediction-drift threshold may name on a categorical output column.
pub const PREDICTION_CATEGORICAL_METRICS: [&str; 4] = [
    "jensen_shannon_distance",
    "population_stability_index",
    "chi_squared",
    "chebyshev_distance",
];

impl SignalsConfig {
    /// Checks every setting: metric names each signal knows, thresholds that are numbers >= 0,
    /// column names by the feature rule, at least one output column.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(p) = &self.prediction_drift {
            let field = "signals.prediction_drift";
            if p.columns.is_empty() {
                return Err(ConfigError::Signal {
                    field: format!("{field}.columns"),
                    reason: "name at least one output column of the model".into(),
                });
            }
            validate_features(&p.columns)?;
            let both: Vec<&str> = PREDICTION_NUMERICAL_METRICS
                .iter()
                .chain(&PREDICTION_CATEGORICAL_METRICS)
                .copied()
                .collect();
            check_thresholds(
                field,
                &p.metric_thresholds,
                &PREDICTION_NUMERICAL_METRICS,
                &PREDICTION_CATEGORICAL_METRICS,
            )?;
            check_feature_thresholds(field, &p.feature_thresholds, &both)?;
        }
        if let Some(p) = &self.performance {
            let field = "signals.performance";
            if let Some(problem) = &p.problem {
                check_metric(
                    format!("{field}.problem"),
                    problem,
                    &["binary", "multiclass", "regression"],
                )?;
            }
            for (name, value) in [("y_true", &p.y_true), ("y_pred", &p.y_pred)] {
                if value.trim().is_empty() {
                    return Err(ConfigError::Signal {
                        field: format!("{field}.{name}"),
                        reason: "name the column".into(),
                    });
                }
            }
            if p.labels.is_some() && p.id.is_none() {
                return Err(ConfigError::Signal {
                    field: format!("{field}.id"),
                    reason: "labels that arrive apart need the id column that joins them to rows"
                        .into(),
                });
            }
            if let Some(days) = p.label_lookback_days
                && days > MAX_LABEL_LOOKBACK_DAYS
            {
                return Err(ConfigError::Signal {
                    field: format!("{field}.label_lookback_days"),
                    reason: format!("at most {MAX_LABEL_LOOKBACK_DAYS} days"),
                });
            }
            for (metric, value) in &p.metric_thresholds {
                let path = format!("{field}.metric_thresholds.{metric}");
                check_metric(path.clone(), metric, &PERFORMANCE_METRICS)?;
                check_value(path, *value)?;
            }
        }
        if let Some(q) = &self.data_quality {
            let field = "signals.data_quality";
            if let Some(features) = &q.features {
                validate_features(features)?;
            }
            check_thresholds(
                field,
                &q.metric_thresholds,
                &QUALITY_METRICS,
                &QUALITY_METRICS,
            )?;
            check_feature_thresholds(field, &q.feature_thresholds, &QUALITY_METRICS)?;
        }
        Ok(())
    }
}

fn check_value(field: String, value: f64) -> Result<(), ConfigError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ConfigError::Signal {
            field,
            reason: format!("`{value}` is not a number >= 0"),
        })
    }
}

fn check_metric(field: String, metric: &str, known: &[&str]) -> Result<(), ConfigError> {
    if known.contains(&metric) {
        Ok(())
    } else {
        Err(ConfigError::Signal {
            field,
            reason: format!("`{metric}` is not one of {}", known.join(", ")),
        })
    }
}

fn check_thresholds(
    field: &str,
    thresholds: &MetricThresholds,
    numerical: &[&str],
    categorical: &[&str],
) -> Result<(), ConfigError> {
    for (kind, map, known) in [
        ("numerical", &thresholds.numerical, numerical),
        ("categorical", &thresholds.categorical, categorical),
    ] {
        for (metric, value) in map {
            let path = format!("{field}.metric_thresholds.{kind}.{metric}");
            check_metric(path.clone(), metric, known)?;
            check_value(path, *value)?;
        }
    }
    Ok(())
}

fn check_feature_thresholds(
    field: &str,
    thresholds: &BTreeMap<String, BTreeMap<String, f64>>,
    known: &[&str],
) -> Result<(), ConfigError> {
    validate_features(&thresholds.keys().cloned().collect::<Vec<_>>())?;
    for (feature, map) in thresholds {
        for (metric, value) in map {
            let path = format!("{field}.feature_thresholds.{feature}.{metric}");
            check_metric(path.clone(), metric, known)?;
            check_value(path, *value)?;
        }
    }
    Ok(())
}

/// Parses an ISO 8601 duration of whole days or weeks (`P0D`, `P7D`, `P4W`, `P1W3D`) into days.
/// Months and years have no fixed length and times of day finer than the daily snapshots, so
/// both are refused with a message that says so.
pub fn parse_days(text: &str) -> Result<u32, String> {
    let body = text
        .strip_prefix('P')
        .ok_or_else(|| format!("`{text}` is not an ISO 8601 duration (like P7D or P4W)"))?;
    if body.is_empty() {
        return Err(format!(
            "`{text}` is not an ISO 8601 duration (like P7D or P4W)"
        ));
    }
    let mut days: u64 = 0;
    let mut number = String::new();
    for c in body.chars() {
        match c {
            '0'..='9' => number.push(c),
            'W' | 'D' if !number.is_empty() => {
                let n: u64 = number
                    .parse()
                    .map_err(|_| format!("`{text}` is too long"))?;
                days += if c == 'W' { n * 7 } else { n };
                number.clear();
            }
            'Y' | 'M' | 'T' => {
                return Err(format!(
                    "`{text}`: give the duration in days or weeks (P30D, P4W); months, years and hours are not whole days of snapshots"
                ));
            }
            _ => {
                return Err(format!(
                    "`{text}` is not an ISO 8601 duration (like P7D or P4W)"
                ));
            }
        }
    }
    if !number.is_empty() {
        return Err(format!("`{text}`: a number needs its unit (D or W)"));
    }
    u32::try_from(days)
        .ok()
        .filter(|d| *d <= MAX_WINDOW_DAYS)
        .ok_or_else(|| format!("`{text}` is longer than {MAX_WINDOW_DAYS} days"))
}

/// Longest label lookback accepted: each scheduled run rereads this many days.
pub const MAX_LABEL_LOOKBACK_DAYS: u32 = 90;

/// Longest window or offset accepted, in days (ten years).
pub const MAX_WINDOW_DAYS: u32 = 3660;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_settings_name_the_field_that_is_wrong() {
        let parse = |json: &str| -> Result<(), ConfigError> {
            serde_json::from_str::<SignalsConfig>(json)
                .map_err(ConfigError::Json)?
                .validate()
        };
        assert!(parse(r#"{"data_quality": {}, "prediction_drift": {"columns": ["p"]}}"#).is_ok());
        let cases = [
            (
                r#"{"prediction_drift": {"columns": []}}"#,
                "field `signals.prediction_drift.columns`: name at least one output column",
            ),
            (
                r#"{"data_quality": {"metric_thresholds": {"numerical": {"null_rate": 0.1}}}}"#,
                "field `signals.data_quality.metric_thresholds.numerical.null_rate`: `null_rate` is not one of",
            ),
            (
                r#"{"data_quality": {"feature_thresholds": {"age": {"null_value_rate": -1}}}}"#,
                "field `signals.data_quality.feature_thresholds.age.null_value_rate`: `-1` is not a number >= 0",
            ),
            (
                r#"{"prediction_drift": {"columns": ["p"], "metric_thresholds": {"categorical": {"normalized_wasserstein_distance": 0.1}}}}"#,
                "categorical.normalized_wasserstein_distance`: `normalized_wasserstein_distance` is not one of",
            ),
        ];
        for (json, message) in cases {
            let e = parse(json).unwrap_err().to_string();
            assert!(e.contains(message), "{json}: {e}");
        }
        assert!(
            parse(r#"{"data_quality": {"threshold": 1}}"#).is_err(),
            "unknown keys"
        );
        let both = crate::detector::Detector::from_json(
            br#"{"name":"d","model_name":"m","model_version":1,"services":["s"],"baseline":"b.csv",
                "feature_list":["age","proba"],"signals":{"prediction_drift":{"columns":["proba"]}}}"#,
        )
        .unwrap_err()
        .to_string();
        assert!(
            both.starts_with("field `feature_list`: `proba` is also an output column"),
            "{both}"
        );
    }

    #[test]
    fn durations_in_days_and_weeks() {
        assert_eq!(parse_days("P0D"), Ok(0));
        assert_eq!(parse_days("P7D"), Ok(7));
        assert_eq!(parse_days("P4W"), Ok(28));
        assert_eq!(parse_days("P1W3D"), Ok(10));
        for bad in [
            "7D", "P", "PD", "P1M", "PT1H", "P1Y", "P7", "P-1D", "P99999D",
        ] {
            assert!(parse_days(bad).is_err(), "{bad}");
        }
    }
}

//! The result of each signal a run computed beside the v1 document: one [`SignalResult`] per
//! signal, in [`RunResult::signals`](super::result::RunResult::signals).
//!
//! Every signal has the same shape, so alerts, App Insights, the CLI summary and the reports read
//! them one way: dataset-level metrics, per-feature metrics each with its threshold and verdict,
//! and the signal's pass or fail (it fails when any thresholded metric passes its threshold).
//!
//! ```json
//! {"name": "data_quality", "passed": false, "reference": {...}, "production": {...},
//!  "features": [{"name": "age", "kind": "numeric", "passed": false,
//!                "metrics": [{"name": "null_value_rate", "value": 0.25, "count": 25, "rows": 100,
//!                             "threshold": 0.0, "passed": false}]}]}
//! ```

use serde::{Deserialize, Serialize};

use crate::detector::AlertOn;
use crate::detector::signals::DATA_DRIFT;

use super::metrics::names;
use super::result::{DatasetSummary, FeatureKind, Metric, RunResult, nullable_f64};

/// One signal's outcome in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalResult {
    /// `data_drift`, `prediction_drift` or `data_quality` (`crate::detector::signals`).
    pub name: String,
    /// False when any thresholded metric of any feature (or of the dataset) failed.
    pub passed: bool,
    /// What the production side was compared with.
    pub reference: DatasetSummary,
    /// What the production side was.
    pub production: DatasetSummary,
    /// Dataset-level metrics of the signal.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub metrics: Vec<SignalMetric>,
    /// Per-feature (or per-output-column) metrics, failing features first.
    #[serde(default)]
    pub features: Vec<SignalFeature>,
    /// Things the user should know about this signal (a column skipped, an approximation).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// The performance signal's detail: realized and estimated values with their bands, the
    /// confusion matrix.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performance: Option<super::performance::WindowPerformance>,
    /// The performance signal of an earlier day recomputed because labels arrived: when, and
    /// how many rows had labels before.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub recomputed: Option<Recomputed>,
    /// Earlier days whose performance this run recomputed because labels arrived.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub updated_windows: Vec<UpdatedWindow>,
}

/// When and why a day's performance was recomputed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Recomputed {
    /// When the recomputation ran.
    pub at: chrono::DateTime<chrono::Utc>,
    /// Labelled rows before it.
    pub labelled_rows_before: u64,
}

/// An earlier day whose performance a run recomputed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct UpdatedWindow {
    /// The day.
    #[serde(with = "super::result::date_format")]
    pub date: chrono::NaiveDate,
    /// Labelled rows before.
    pub labelled_rows_before: u64,
    /// Labelled rows now.
    pub labelled_rows: u64,
    /// Whether the day's performance passes now.
    pub passed: bool,
}

/// One feature's metrics in a signal.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalFeature {
    /// Column name, as in the data (escape before display).
    pub name: String,
    /// How it was compared.
    pub kind: FeatureKind,
    /// False when any of its thresholded metrics failed.
    pub passed: bool,
    /// Its metrics, thresholded ones first.
    pub metrics: Vec<SignalMetric>,
}

/// A metric with, where it has one, its threshold and verdict; rates carry their exact counts.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignalMetric {
    /// Metric name (`crate::drift::metrics::names`).
    pub name: String,
    /// The value; `null` when undefined.
    #[serde(with = "nullable_f64")]
    pub value: f64,
    /// For a rate: the rows counted (the numerator), exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<u64>,
    /// For a rate: the rows it is a share of (the denominator), exact.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub rows: Option<u64>,
    /// The threshold, when the metric has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub threshold: Option<f64>,
    /// Whether the value is within its threshold; absent without a threshold.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

impl SignalMetric {
    /// A metric without a threshold.
    pub fn plain(name: &str, value: f64) -> Self {
        SignalMetric {
            name: name.to_string(),
            value,
            count: None,
            rows: None,
            threshold: None,
            passed: None,
        }
    }

    /// An exact rate `count / rows` (0 when there are no rows).
    pub fn rate(name: &str, count: u64, rows: u64) -> Self {
        let value = if rows == 0 {
            0.0
        } else {
            count as f64 / rows as f64
        };
        SignalMetric {
            count: Some(count),
            rows: Some(rows),
            ..SignalMetric::plain(name, value)
        }
    }

    /// This metric judged against `threshold`: it fails when its value is strictly above it (an
    /// undefined value never fails).
    pub fn with_threshold(mut self, threshold: f64) -> Self {
        self.threshold = Some(threshold);
        self.passed = Some(self.value.partial_cmp(&threshold) != Some(std::cmp::Ordering::Greater));
        self
    }

    /// Whether it has a threshold and failed it.
    pub fn failed(&self) -> bool {
        self.passed == Some(false)
    }
}

impl From<&Metric> for SignalMetric {
    fn from(m: &Metric) -> Self {
        SignalMetric::plain(&m.name, m.value)
    }
}

impl SignalFeature {
    /// A feature whose verdict follows its metrics: it fails when any of them failed.
    pub fn judged(name: &str, kind: FeatureKind, mut metrics: Vec<SignalMetric>) -> Self {
        metrics.sort_by_key(|m| m.threshold.is_none());
        SignalFeature {
            name: name.to_string(),
            kind,
            passed: !metrics.iter().any(SignalMetric::failed),
            metrics,
        }
    }

    /// The metrics that failed their threshold.
    pub fn failures(&self) -> impl Iterator<Item = &SignalMetric> {
        self.metrics.iter().filter(|m| m.failed())
    }
}

impl SignalResult {
    /// A signal whose verdict follows its metrics; failing features come first, then by name.
    pub fn judged(
        name: &str,
        reference: DatasetSummary,
        production: DatasetSummary,
        metrics: Vec<SignalMetric>,
        mut features: Vec<SignalFeature>,
        warnings: Vec<String>,
    ) -> Self {
        features.sort_by(|a, b| a.passed.cmp(&b.passed).then_with(|| a.name.cmp(&b.name)));
        SignalResult {
            name: name.to_string(),
            passed: !metrics.iter().any(SignalMetric::failed) && features.iter().all(|f| f.passed),
            reference,
            production,
            metrics,
            features,
            warnings,
            performance: None,
            recomputed: None,
            updated_windows: Vec::new(),
        }
    }

    /// The features that failed, in order.
    pub fn failing_features(&self) -> impl Iterator<Item = &SignalFeature> {
        self.features.iter().filter(|f| !f.passed)
    }

    /// One line per failing metric, `age: null_value_rate 0.25 > 0`, for alerts and summaries.
    pub fn failure_lines(&self) -> Vec<String> {
        let line = |feature: Option<&str>, m: &SignalMetric| {
            let value = short(m.value);
            let threshold = m
                .threshold
                .map_or(String::new(), |t| format!(" > {}", short(t)));
            match feature {
                Some(f) => format!("{f}: {} {value}{threshold}", m.name),
                None => format!("{} {value}{threshold}", m.name),
            }
        };
        let dataset = self
            .metrics
            .iter()
            .filter(|m| m.failed())
            .map(|m| line(None, m));
        let features = self
            .failing_features()
            .flat_map(|f| f.failures().map(move |m| line(Some(&f.name), m)));
        dataset.chain(features).collect()
    }
}

/// The `data_drift` signal of a scored run, read from its v1 fields: it fails by the detector's
/// alert rule (`alert_on`, [`super::verdict::warrants_alert`]); the coefficient carries its
/// threshold, and each feature's effect size carries its minimum effect, failing when the feature
/// drifted (significant and at least that large). A monitored feature missing from the target
/// fails with an undefined effect.
pub fn data_drift(result: &RunResult, alert_on: AlertOn) -> SignalResult {
    let coefficient = result.coefficient().unwrap_or(f64::NAN);
    let mut metrics = vec![
        SignalMetric::plain(names::DATADRIFT_COEFFICIENT, coefficient)
            .with_threshold(result.drift_threshold),
    ];
    metrics.extend(
        result
            .dataset_metrics
            .iter()
            .filter(|m| m.name != names::DATADRIFT_COEFFICIENT)
            .map(SignalMetric::from),
    );
    let drifted = result.drifted_features();
    let mut features: Vec<SignalFeature> = result
        .features
        .iter()
        .map(|f| {
            let effect = result
                .column_metric(&f.name, names::DRIFT_EFFECT_SIZE)
                .unwrap_or(f64::NAN);
            let mut effect = SignalMetric::plain(names::DRIFT_EFFECT_SIZE, effect);
            effect.threshold = result.column_metric(&f.name, names::DRIFT_MIN_EFFECT);
            effect.passed = Some(!drifted.contains(&f.name));
            let mut metrics = vec![effect];
            if let Some(ms) = result.column_metrics.iter().find_map(|m| m.get(&f.name)) {
                metrics.extend(
                    ms.iter()
                        .filter(|m| m.name != names::DRIFT_EFFECT_SIZE)
                        .map(SignalMetric::from),
                );
            }
            SignalFeature {
                name: f.name.clone(),
                kind: f.kind,
                passed: !drifted.contains(&f.name),
                metrics,
            }
        })
        .collect();
    for missing in &result.schema.missing_features {
        let mut gone = SignalMetric::plain(names::DRIFT_EFFECT_SIZE, f64::NAN);
        gone.passed = Some(false);
        features.push(SignalFeature {
            name: missing.clone(),
            kind: FeatureKind::Numeric,
            passed: false,
            metrics: vec![gone],
        });
    }
    features.sort_by_key(|f| f.passed);
    let mut warnings = Vec::new();
    if !result.schema.missing_features.is_empty() {
        warnings.push(format!(
            "missing from the production data: {}",
            result.schema.missing_features.join(", ")
        ));
    }
    SignalResult {
        name: DATA_DRIFT.to_string(),
        passed: !super::verdict::warrants_alert(result, alert_on),
        reference: result.baseline.clone(),
        production: result.target.clone(),
        metrics,
        features,
        warnings,
        performance: None,
        recomputed: None,
        updated_windows: Vec::new(),
    }
}

/// A value in a one-line message: at most four decimals, trailing zeros dropped (`0.25`, `3`).
fn short(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let s = format!("{v:.4}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    if s == "-0" { "0".into() } else { s.to_string() }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signal_fails_when_any_thresholded_metric_passes_its_threshold() {
        let ok = SignalFeature::judged(
            "a",
            FeatureKind::Numeric,
            vec![SignalMetric::rate("null_value_rate", 0, 10).with_threshold(0.0)],
        );
        let bad = SignalFeature::judged(
            "b",
            FeatureKind::Categorical,
            vec![
                SignalMetric::plain("chi_squared", 9.0),
                SignalMetric::rate("null_value_rate", 3, 10).with_threshold(0.1),
            ],
        );
        assert!(ok.passed && !bad.passed);
        assert_eq!(bad.metrics[0].name, "null_value_rate", "thresholded first");
        let undefined = SignalMetric::plain("x", f64::NAN).with_threshold(0.0);
        assert!(!undefined.failed(), "an undefined value never fails");
        let s = SignalResult::judged(
            "data_quality",
            DatasetSummary::default(),
            DatasetSummary::default(),
            Vec::new(),
            vec![ok, bad],
            Vec::new(),
        );
        assert!(!s.passed);
        assert_eq!(s.features[0].name, "b", "failing first");
        assert_eq!(s.failure_lines(), vec!["b: null_value_rate 0.3 > 0.1"]);
    }
}

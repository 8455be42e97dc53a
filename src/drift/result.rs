//! The run result: what one scan of one service on one date produced.
//!
//! # Wire format
//!
//! A [`RunResult`] serialises to the JSON document users parse. Its first keys keep the shape of
//! Azure ML's `DataDriftDetector.get_output()` metrics entry, so old parsing code works:
//!
//! ```json
//! {"schema_version": "1.0", "datetime": "2026-11-24", "detector": "d", "service_name": "s",
//!  "model_name": "m", "model_version": 2, "drift_threshold": 0.2, "has_drift": true,
//!  "dataset_metrics": [{"name": "datadrift_coefficient", "value": 0.3453}],
//!  "column_metrics": [{"feature1": [{"name": "datadrift_contribution", "value": 0.41},
//!                                   {"name": "wasserstein_distance", "value": 4.858}]}]}
//! ```
//!
//! Everything after `column_metrics` (`run`, `baseline`, `target`, `classifier`, `features`,
//! `schema`, `warnings`) is driftscan's own and is only ever added to, never renamed.
//! A metric whose value is undefined (for example a distance on a column with no values on one
//! side) is written as `null`.
//!
//! `has_drift` is `datadrift_coefficient > drift_threshold` (strict), as in Azure ML.

use std::collections::BTreeMap;

use chrono::{DateTime, NaiveDate, Utc};
use serde::{Deserialize, Serialize};

/// Version of the result document. Bumped only when a key changes meaning.
pub const SCHEMA_VERSION: &str = "1.0";

/// One scan of one service's snapshot for one scoring date against the baseline.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunResult {
    /// Always [`SCHEMA_VERSION`] for results written by this version.
    pub schema_version: String,
    /// Scoring date (the first day of the target window).
    #[serde(with = "date_format")]
    pub datetime: NaiveDate,
    /// Detector name (`adhoc` for a scan run from the command line without a detector).
    pub detector: String,
    /// Service (deployment) whose inputs were scanned (`local` on the command line).
    pub service_name: String,
    /// Registered model name.
    pub model_name: String,
    /// Registered model version.
    pub model_version: u32,
    /// Threshold the coefficient is compared with.
    pub drift_threshold: f64,
    /// `datadrift_coefficient > drift_threshold`. False for runs that did not succeed.
    pub has_drift: bool,
    /// Dataset-level metrics; the first is always `datadrift_coefficient` on a successful run.
    pub dataset_metrics: Vec<Metric>,
    /// Per-column metrics, one single-key object per feature, most drifted feature first.
    pub column_metrics: Vec<BTreeMap<String, Vec<Metric>>>,
    /// How the run went: type, status, timings, failure reason.
    pub run: RunInfo,
    /// What the baseline was.
    pub baseline: DatasetSummary,
    /// What the target was.
    pub target: DatasetSummary,
    /// Domain-classifier details, when the classifier ran.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub classifier: Option<ClassifierSummary>,
    /// Per-feature details for plotting and data quality, in the order of `column_metrics`.
    #[serde(default)]
    pub features: Vec<FeatureReport>,
    /// Columns that differ between baseline and target, or were left out of the comparison.
    #[serde(default)]
    pub schema: SchemaChanges,
    /// Things a user should know that did not stop the run (one sentence each).
    #[serde(default)]
    pub warnings: Vec<String>,
    /// Every signal the detector watches, `data_drift` first, when it watches more than
    /// `data_drift`; absent otherwise, so the v1 document of such a detector is unchanged.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub signals: Vec<super::signals::SignalResult>,
}

/// A named value, as in Azure ML's metrics lists.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    /// One of the names in [`crate::drift::metrics::names`].
    pub name: String,
    /// The value; `null` in JSON when undefined.
    #[serde(with = "nullable_f64")]
    pub value: f64,
}

impl Metric {
    /// A metric with the given name and value.
    pub fn new(name: &str, value: f64) -> Self {
        Metric {
            name: name.to_string(),
            value,
        }
    }
}

/// What started a run. Azure ML's `run_type` values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
pub enum RunType {
    /// Started by hand: CLI, or `POST /api/detectors/{name}/run`.
    #[default]
    Adhoc,
    /// Started by the detector's timer.
    Scheduler,
    /// Part of a backfill over a date range.
    BackFill,
}

impl RunType {
    /// The name used in JSON, metrics dimensions and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            RunType::Adhoc => "Adhoc",
            RunType::Scheduler => "Scheduler",
            RunType::BackFill => "BackFill",
        }
    }
}

/// Outcome of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum RunStatus {
    /// Scored; metrics are present.
    #[default]
    Succeeded,
    /// No snapshot was found for the window: nothing to score, not an error.
    NoData,
    /// The run failed; `RunInfo::error` says why. Never replaces an earlier succeeded result.
    Failed,
}

/// Bookkeeping of one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct RunInfo {
    /// What started the run.
    pub run_type: RunType,
    /// Outcome.
    pub status: RunStatus,
    /// Why the run failed or had no data (one line), when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// When scoring started (UTC).
    pub started_at: DateTime<Utc>,
    /// Wall time of the whole run in milliseconds.
    pub duration_ms: u64,
    /// Version of driftscan that produced the result.
    pub driftscan_version: String,
    /// First and last day (inclusive) of the target window.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<(NaiveDate, NaiveDate)>,
}

/// Size and origin of one side of the comparison.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct DatasetSummary {
    /// Where the data came from: path, glob, blob prefix or cached profile.
    pub source: String,
    /// Number of files read (0 when a cached profile was used).
    pub files: usize,
    /// Rows profiled.
    pub rows: u64,
    /// Content hash of the profiled input (hex SHA-256 over file names, sizes and bytes).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub content_hash: Option<String>,
}

/// Domain-classifier details beside `datadrift_coefficient`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct ClassifierSummary {
    /// Model used, e.g. `gradient-boosted trees (forust-ml 0.8), 30 rounds, depth 3, ...`.
    pub model: String,
    /// Which importance the contributions are: `total_gain` (boosted trees) or
    /// `mean_decrease_impurity` (the small-sample forest).
    pub importance: String,
    /// Held-out Matthews correlation before clipping to [0, 1], and before it is set to 0
    /// for not being significant.
    pub mcc_raw: f64,
    /// ROC AUC of the held-out (out-of-bag or out-of-fold) probabilities.
    pub roc_auc: f64,
    /// Rows drawn from the baseline's row sample.
    pub baseline_sample_rows: usize,
    /// Rows drawn from the target's row sample.
    pub target_sample_rows: usize,
    /// Rows each fold's model was trained on (the largest fold's training set); out of bag, the
    /// rows of each tree's bootstrap sample.
    pub train_rows: usize,
    /// Rows scored by a model that did not see them: every sampled row, once.
    pub test_rows: usize,
    /// Seed of the folds and the model.
    pub seed: u64,
    /// What the coefficient looks like when there is no drift, at this sample size.
    pub noise_floor: NoiseFloor,
    /// Milliseconds spent training, scoring and calibrating the classifier.
    pub duration_ms: u64,
    /// `datadrift_p_value`: probability of a cross-fitted MCC at least `mcc_raw` with no drift.
    #[serde(default = "one", with = "nullable_f64")]
    pub p_value: f64,
    /// The coefficient is 0 unless `p_value` is at or below this level.
    #[serde(default)]
    pub significance_level: f64,
    /// Cross-fitting folds; 0 when every row was scored out of bag (small samples) and in
    /// results written before cross-fitting.
    #[serde(default)]
    pub folds: usize,
}

fn one() -> f64 {
    1.0
}

/// The coefficient's null distribution at this run's sample size (see `docs/classifier.md`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NoiseFloor {
    /// Mean of the null coefficient.
    pub mean: f64,
    /// The noise floor: the `quantile` quantile of the null coefficient (`datadrift_noise_floor`).
    /// Results written before calibration hold the largest of a few baseline-vs-baseline fits.
    pub max: f64,
    /// Baseline-vs-baseline refits behind the figures (0: computed exactly, without refits).
    pub repetitions: usize,
    /// Rows per side the null distribution is for.
    pub rows_per_side: usize,
    /// Which quantile `max` is (0.99).
    #[serde(default)]
    pub quantile: f64,
    /// How the null distribution was obtained.
    #[serde(default)]
    pub method: String,
}

/// Whether a feature was compared as numbers or as categories.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FeatureKind {
    /// Compared by value: distances, histograms, KDE.
    Numeric,
    /// Compared by category frequencies.
    Categorical,
}

/// Everything driftscan knows about one feature in one run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureReport {
    /// Column name, as in the data (may contain any characters: escape before display).
    pub name: String,
    /// How it was compared.
    pub kind: FeatureKind,
    /// Data quality on each side.
    pub quality: FeatureQuality,
    /// Summary statistics on each side (numeric features).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub stats: Option<SideBySide<NumericStats>>,
    /// Distributions for plotting.
    pub distribution: Distribution,
}

/// A pair of values, one per side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SideBySide<T> {
    /// Baseline side.
    pub baseline: T,
    /// Target side.
    pub target: T,
}

impl<T> SideBySide<T> {
    /// The same figure read from the baseline's and the target's profile.
    pub fn read<P>(baseline: &P, target: &P, figure: impl Fn(&P) -> T) -> Self {
        SideBySide {
            baseline: figure(baseline),
            target: figure(target),
        }
    }
}

/// Counts of rows by validity, on each side.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct FeatureQuality {
    /// Rows seen, missing ones included.
    pub rows: SideBySide<u64>,
    /// Empty or null values.
    pub missing: SideBySide<u64>,
    /// Values that could not be read as the column's type (counted, then treated as missing).
    pub invalid: SideBySide<u64>,
    /// NaN and +-inf values in numeric columns (counted, kept out of distances).
    pub non_finite: SideBySide<u64>,
    /// Share of target rows whose category is absent from the baseline (categorical only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unseen_category_rate: Option<f64>,
}

/// Summary statistics of a numeric column over its finite values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct NumericStats {
    /// Number of finite values.
    pub count: u64,
    /// Mean.
    #[serde(with = "nullable_f64")]
    pub mean: f64,
    /// Population standard deviation (ddof = 0).
    #[serde(with = "nullable_f64")]
    pub std: f64,
    /// Minimum.
    #[serde(with = "nullable_f64")]
    pub min: f64,
    /// Maximum.
    #[serde(with = "nullable_f64")]
    pub max: f64,
    /// Quantiles at 1, 5, 25, 50, 75, 95, 99 %.
    pub quantiles: Vec<(f64, f64)>,
}

/// Distributions of one feature on both sides, on shared axes.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Distribution {
    /// Numeric feature: a histogram on shared bin edges and a KDE on a shared grid.
    Numeric {
        /// Histogram of each side.
        histogram: Histogram,
        /// Gaussian kernel density estimate of each side.
        kde: Kde,
    },
    /// Categorical feature: frequencies of the top categories, then `other`, then missing.
    Categorical {
        /// Category labels, in display order.
        categories: Vec<String>,
        /// Share of baseline rows per category (sums to 1 with missing rows included).
        baseline: Vec<f64>,
        /// Share of target rows per category.
        target: Vec<f64>,
    },
    /// Nothing to plot (no values on either side).
    Empty,
}

/// Counts on shared bin edges, as `numpy.histogram(values, bins=edges)` gives them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Histogram {
    /// `bins + 1` increasing edges; the last bin includes its right edge.
    pub edges: Vec<f64>,
    /// Baseline counts per bin.
    pub baseline: Vec<f64>,
    /// Target counts per bin.
    pub target: Vec<f64>,
    /// Finite values below the first edge and above the last one, per side.
    pub outside: SideBySide<(u64, u64)>,
}

/// Density of each side on a shared grid, as `scipy.stats.gaussian_kde(values)(grid)` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct Kde {
    /// Evaluation points.
    pub grid: Vec<f64>,
    /// Baseline density at each grid point.
    pub baseline: Vec<f64>,
    /// Target density at each grid point.
    pub target: Vec<f64>,
    /// Kernel standard deviation used on each side (Scott's rule: std(ddof=1) * n^(-1/5)).
    pub bandwidth: SideBySide<f64>,
}

/// Columns that are not compared as features, and why.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, Default)]
pub struct SchemaChanges {
    /// In the baseline, absent from the target.
    pub missing_in_target: Vec<String>,
    /// Of those, the features the scan monitors: the model now sees them missing on every row.
    /// Named in the verdict and counted as drift for alerts (`OnMissingFeature::Report`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub missing_features: Vec<String>,
    /// In the target, absent from the baseline.
    pub added_in_target: Vec<String>,
    /// Columns whose type differs between baseline and target: (name, baseline type, target type).
    pub retyped: Vec<(String, String, String)>,
    /// Columns left out of the comparison: (name, reason).
    pub excluded: Vec<(String, String)>,
}

impl RunResult {
    /// The value of a dataset-level metric, if present.
    pub fn dataset_metric(&self, name: &str) -> Option<f64> {
        self.dataset_metrics
            .iter()
            .find(|m| m.name == name)
            .map(|m| m.value)
    }

    /// The drift coefficient, if the run succeeded.
    pub fn coefficient(&self) -> Option<f64> {
        self.dataset_metric(super::metrics::names::DATADRIFT_COEFFICIENT)
    }

    /// The value of one column metric, if present.
    pub fn column_metric(&self, feature: &str, name: &str) -> Option<f64> {
        self.column_metrics
            .iter()
            .find_map(|m| m.get(feature))
            .and_then(|ms| ms.iter().find(|m| m.name == name))
            .map(|m| m.value)
    }

    /// Features flagged `drifted`, in the order of `column_metrics` (most drifted first).
    pub fn drifted_features(&self) -> Vec<String> {
        self.column_metrics
            .iter()
            .flat_map(|m| m.iter())
            .filter(|(_, ms)| {
                ms.iter()
                    .any(|m| m.name == super::metrics::names::DRIFTED && m.value == 1.0)
            })
            .map(|(name, _)| name.clone())
            .collect()
    }

    /// Features ordered by contribution, largest first, with their contribution.
    pub fn top_contributors(&self, n: usize) -> Vec<(String, f64)> {
        let mut v: Vec<(String, f64)> = self
            .column_metrics
            .iter()
            .flat_map(|m| m.iter())
            .filter_map(|(name, ms)| {
                ms.iter()
                    .find(|m| m.name == super::metrics::names::DATADRIFT_CONTRIBUTION)
                    .map(|m| (name.clone(), m.value))
            })
            .filter(|(_, v)| v.is_finite())
            .collect();
        v.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.truncate(n);
        v
    }
}

/// `YYYY-MM-DD` ([`crate::base::text::DATE_FORMAT`]), as Azure ML writes `datetime`.
pub mod date_format {
    use chrono::NaiveDate;
    use serde::{Deserialize, Deserializer, Serializer};

    /// Serialise as `YYYY-MM-DD`.
    pub fn serialize<S: Serializer>(d: &NaiveDate, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&d.to_string())
    }

    /// Accept `YYYY-MM-DD`, with or without a time part after it.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<NaiveDate, D::Error> {
        let s = String::deserialize(d)?;
        let day = s.get(..10).unwrap_or(&s);
        NaiveDate::parse_from_str(day, crate::base::text::DATE_FORMAT)
            .map_err(serde::de::Error::custom)
    }
}

/// Non-finite floats as JSON `null` (JSON has no NaN), and `null` back as NaN.
pub mod nullable_f64 {
    use serde::{Deserialize, Deserializer, Serializer};

    /// Finite values as numbers, others as `null`.
    pub fn serialize<S: Serializer>(v: &f64, s: S) -> Result<S::Ok, S::Error> {
        if v.is_finite() {
            s.serialize_f64(*v)
        } else {
            s.serialize_none()
        }
    }

    /// `null` reads back as NaN.
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<f64, D::Error> {
        Ok(Option::<f64>::deserialize(d)?.unwrap_or(f64::NAN))
    }
}

//! Model performance: realized when the ground truth is known, estimated before it arrives.
//!
//! One labelled reference (the model's validation or first production period) and windows of
//! production rows in; per window and metric out: the realized value with its sampling error
//! where the window has labels, the estimate with its 95 % band where it has the model's scores
//! (classification, `estimate`) or its inputs (regression, `loss`), and a verdict against the
//! reference's own performance.
//!
//! The verdict rule, defined once in [`verdict`]: a metric fails when it is worse than the
//! reference's by more than its threshold (an absolute drop for classification rates, a relative
//! rise for regression losses) **and** the change is larger than 1.96 standard errors of the two
//! values combined, so that a 30-row window's dip is not an alarm. The value judged is the
//! realized one when the window has labels, else the estimate.

pub mod calibration;
pub mod estimate;
pub mod loss;
pub mod realized;
pub mod uncertainty;

use serde::{Deserialize, Serialize};

use super::result::nullable_f64;
use estimate::{Cbpe, Estimated};
use loss::{Columns, Dle};
use uncertainty::{Z95, band, bounds, hanley_mcneil, multinomial};

/// What the model predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Problem {
    /// Two classes; the second of the sorted classes (or the one named) is the positive one.
    Binary,
    /// More than two classes; precision, recall and F1 are macro averages.
    Multiclass,
    /// A number.
    Regression,
}

impl Problem {
    /// The name used in flags and documents.
    pub fn as_str(self) -> &'static str {
        match self {
            Problem::Binary => "binary",
            Problem::Multiclass => "multiclass",
            Problem::Regression => "regression",
        }
    }

    /// Parses `binary`, `multiclass` or `regression`.
    pub fn parse(s: &str) -> Option<Problem> {
        [Problem::Binary, Problem::Multiclass, Problem::Regression]
            .into_iter()
            .find(|p| p.as_str() == s)
    }
}

/// A performance metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Area under the ROC curve (one-vs-rest macro for multiclass).
    RocAuc,
    /// Share of rows predicted right.
    Accuracy,
    /// Of the rows predicted positive, the share that are (macro for multiclass).
    Precision,
    /// Of the positive rows, the share predicted positive (macro for multiclass).
    Recall,
    /// 2 TP / (2 TP + FP + FN) (macro for multiclass).
    F1,
    /// Mean absolute error.
    Mae,
    /// Mean squared error.
    Mse,
    /// Root mean squared error.
    Rmse,
    /// Mean absolute percentage error, a share, over rows whose truth is not 0.
    Mape,
}

impl Metric {
    /// Every metric, in the order documents list them.
    pub const ALL: [Metric; 9] = [
        Metric::RocAuc,
        Metric::Accuracy,
        Metric::Precision,
        Metric::Recall,
        Metric::F1,
        Metric::Mae,
        Metric::Mse,
        Metric::Rmse,
        Metric::Mape,
    ];

    /// Its name in documents, flags and App Insights.
    pub fn as_str(self) -> &'static str {
        match self {
            Metric::RocAuc => "roc_auc",
            Metric::Accuracy => "accuracy",
            Metric::Precision => "precision",
            Metric::Recall => "recall",
            Metric::F1 => "f1",
            Metric::Mae => "mae",
            Metric::Mse => "mse",
            Metric::Rmse => "rmse",
            Metric::Mape => "mape",
        }
    }

    /// Parses a name of [`Metric::as_str`].
    pub fn parse(s: &str) -> Option<Metric> {
        Metric::ALL.into_iter().find(|m| m.as_str() == s)
    }

    /// Lower is better (regression losses); higher is better for the others.
    pub fn is_loss(self) -> bool {
        matches!(
            self,
            Metric::Mae | Metric::Mse | Metric::Rmse | Metric::Mape
        )
    }

    /// The metrics of a problem; ROC AUC only with scores.
    pub fn of(problem: Problem, scores: bool) -> Vec<Metric> {
        match problem {
            Problem::Regression => vec![Metric::Mae, Metric::Mse, Metric::Rmse, Metric::Mape],
            _ => Metric::ALL[..5]
                .iter()
                .copied()
                .filter(|&m| scores || m != Metric::RocAuc)
                .collect(),
        }
    }

    /// The default threshold: a drop of 0.05 for a classification rate, a rise of 10 % of the
    /// reference's value for a regression loss.
    pub fn default_threshold(self) -> f64 {
        if self.is_loss() { 0.10 } else { 0.05 }
    }
}

/// A class position meaning "no label yet".
pub const NO_LABEL: u32 = u32::MAX;

/// The model's outputs for a set of rows and, where known, their truth.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcomes {
    /// A classifier's.
    Classification {
        /// True class position per row ([`NO_LABEL`] when unknown).
        truth: Vec<u32>,
        /// Predicted class position per row.
        predicted: Vec<u32>,
        /// Scores, row-major, `columns` per row: binary one (the positive class's), multiclass
        /// one per class; empty without scores.
        scores: Vec<f64>,
        /// Scores per row (0 without scores).
        columns: usize,
    },
    /// A regressor's.
    Regression {
        /// True value per row (NaN when unknown).
        truth: Vec<f64>,
        /// Predicted value per row.
        predicted: Vec<f64>,
        /// The model's inputs as numbers, one column each (missing = NaN), for loss estimation;
        /// empty when not given.
        features: Vec<Vec<f64>>,
    },
}

impl Outcomes {
    /// Number of rows.
    pub fn rows(&self) -> usize {
        match self {
            Outcomes::Classification { predicted, .. } => predicted.len(),
            Outcomes::Regression { predicted, .. } => predicted.len(),
        }
    }

    /// Whether row `r`'s truth is known.
    fn is_labelled(&self, r: usize) -> bool {
        match self {
            Outcomes::Classification { truth, .. } => truth[r] != NO_LABEL,
            Outcomes::Regression { truth, .. } => !truth[r].is_nan(),
        }
    }

    /// Rows whose truth is known.
    pub fn labelled_rows(&self) -> usize {
        (0..self.rows()).filter(|&r| self.is_labelled(r)).count()
    }

    /// The rows `range` (windows of a longer table).
    pub fn slice(&self, range: std::ops::Range<usize>) -> Outcomes {
        self.pick(&range.collect::<Vec<_>>())
    }

    /// The rows whose truth is known.
    fn labelled(&self) -> Outcomes {
        let keep: Vec<usize> = (0..self.rows()).filter(|&r| self.is_labelled(r)).collect();
        self.pick(&keep)
    }

    /// The rows `keep`, in that order.
    fn pick(&self, keep: &[usize]) -> Outcomes {
        let take = |v: &[f64]| keep.iter().map(|&r| v[r]).collect::<Vec<_>>();
        match self {
            Outcomes::Classification {
                truth,
                predicted,
                scores,
                columns,
            } => Outcomes::Classification {
                truth: keep.iter().map(|&r| truth[r]).collect(),
                predicted: keep.iter().map(|&r| predicted[r]).collect(),
                scores: keep
                    .iter()
                    .flat_map(|&r| scores[r * columns..(r + 1) * columns].iter().copied())
                    .collect(),
                columns: *columns,
            },
            Outcomes::Regression {
                truth,
                predicted,
                features,
            } => Outcomes::Regression {
                truth: take(truth),
                predicted: take(predicted),
                features: features.iter().map(|f| take(f)).collect(),
            },
        }
    }
}

/// What to compute.
#[derive(Debug, Clone, PartialEq)]
pub struct PerformanceSpec {
    /// The problem.
    pub problem: Problem,
    /// Class names in position order (classification); the positive class of a binary model is
    /// the second.
    pub classes: Vec<String>,
    /// Thresholds by metric; a metric not listed uses [`Metric::default_threshold`].
    pub thresholds: Vec<(Metric, f64)>,
    /// Seed of the loss models' trees (regression estimation).
    pub seed: u64,
}

impl PerformanceSpec {
    fn threshold(&self, metric: Metric) -> f64 {
        self.thresholds
            .iter()
            .find(|(m, _)| *m == metric)
            .map_or(metric.default_threshold(), |t| t.1)
    }
}

/// Why performance could not be computed at all.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum PerformanceError {
    /// The reference has no rows with a label.
    #[error(
        "the reference has no rows with ground truth: performance is measured against a labelled reference"
    )]
    UnlabelledReference,
    /// A classification problem with too few classes.
    #[error("{problem} classification needs {need} classes; found {found}: {names}")]
    Classes {
        /// The problem.
        problem: &'static str,
        /// Classes needed.
        need: &'static str,
        /// Classes found.
        found: usize,
        /// Their names.
        names: String,
    },
}

/// A value with its sampling error and 95 % band.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Band {
    /// The value; `null` when undefined.
    #[serde(with = "nullable_f64")]
    pub value: f64,
    /// Its standard error.
    #[serde(with = "nullable_f64")]
    pub sampling_error: f64,
    /// Lower end of the 95 % band.
    #[serde(with = "nullable_f64")]
    pub lower: f64,
    /// Upper end of the 95 % band.
    #[serde(with = "nullable_f64")]
    pub upper: f64,
}

impl Band {
    fn new(metric: Metric, value: f64, sampling_error: f64) -> Band {
        let (low, high) = bounds(metric);
        let (lower, upper) = if value.is_finite() && sampling_error.is_finite() {
            band(value, sampling_error, low, high)
        } else {
            (f64::NAN, f64::NAN)
        };
        Band {
            value,
            sampling_error,
            lower,
            upper,
        }
    }

    /// Whether `value` lies inside the band.
    pub fn covers(&self, value: f64) -> bool {
        value >= self.lower && value <= self.upper
    }
}

/// One metric in one window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MetricPerformance {
    /// [`Metric::as_str`].
    pub name: String,
    /// The reference's realized value.
    #[serde(with = "nullable_f64")]
    pub reference: f64,
    /// The window's realized value, its sampling error at the window's size, and band; absent
    /// without labels.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realized: Option<Band>,
    /// The estimate and its band; absent when it cannot be estimated (no scores, no inputs).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub estimated: Option<Band>,
    /// The threshold on the change against the reference (see the module's rule).
    pub threshold: f64,
    /// Whether the window passed; absent when neither value is defined.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub passed: Option<bool>,
}

/// One window's performance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WindowPerformance {
    /// What the window is ("rows 0 to 9,999", a date).
    pub label: String,
    /// Its rows.
    pub rows: u64,
    /// Rows with ground truth.
    pub labelled_rows: u64,
    /// False when any metric failed.
    pub passed: bool,
    /// The metrics, in [`Metric::ALL`] order.
    pub metrics: Vec<MetricPerformance>,
    /// Realized confusion matrix of the labelled rows (rows = true class), classification.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confusion_matrix: Option<Vec<Vec<u64>>>,
    /// Things to know about this window's figures.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

impl WindowPerformance {
    /// The metric named `name`.
    pub fn metric(&self, name: &str) -> Option<&MetricPerformance> {
        self.metrics.iter().find(|m| m.name == name)
    }
}

/// Performance of every window against the reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PerformanceResult {
    /// The problem.
    pub problem: Problem,
    /// Class names in position order (classification).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub classes: Vec<String>,
    /// False when any window failed.
    pub passed: bool,
    /// The reference's own realized performance (bands at its size).
    pub reference: WindowPerformance,
    /// The windows, in order.
    pub windows: Vec<WindowPerformance>,
    /// How estimates were made and when they cannot be trusted.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
}

/// Below this many labelled reference rows, calibrated probabilities (and loss models) are
/// learnt from too little to trust the estimates' bands.
pub const MIN_REFERENCE_ROWS: usize = 500;
/// Below this many rows, a window's figures are shown with a warning that they say little.
pub const MIN_WINDOW_ROWS: usize = 100;

/// The reference's figures that windows are judged against, and the estimators fitted on it.
struct Reference {
    rows: usize,
    values: Vec<(Metric, f64)>,
    /// Confusion-matrix shares (classification) or per-loss standard deviation per row
    /// (regression), for sampling errors at other sizes.
    shares: Vec<f64>,
    loss_sd: Vec<(Metric, f64)>,
    prevalence: Vec<f64>,
    cbpe: Option<Cbpe>,
    dle: Option<Dle>,
    score_range: Option<(f64, f64)>,
}

/// Computes performance for every window against the reference.
pub fn evaluate(
    spec: &PerformanceSpec,
    reference: &Outcomes,
    windows: &[(String, Outcomes)],
) -> Result<PerformanceResult, PerformanceError> {
    check_classes(spec)?;
    let labelled = reference.labelled();
    if labelled.rows() == 0 {
        return Err(PerformanceError::UnlabelledReference);
    }
    let mut warnings = Vec::new();
    let fitted = fit_reference(spec, &labelled, &mut warnings);
    let reference_window = judge(spec, &fitted, "reference".into(), &labelled);
    // Windows are independent: one per core (a loss model's predictions of one window use
    // every core only from 20,000 rows).
    let windows = {
        use rayon::prelude::*;
        windows
            .par_iter()
            .map(|(label, outcomes)| judge(spec, &fitted, label.clone(), outcomes))
            .collect::<Vec<_>>()
    };
    Ok(PerformanceResult {
        problem: spec.problem,
        classes: spec.classes.clone(),
        passed: windows.iter().all(|w| w.passed),
        reference: reference_window,
        windows,
        warnings,
    })
}

fn check_classes(spec: &PerformanceSpec) -> Result<(), PerformanceError> {
    let (need, ok) = match spec.problem {
        Problem::Binary => ("exactly 2", spec.classes.len() == 2),
        Problem::Multiclass => ("at least 3", spec.classes.len() >= 3),
        Problem::Regression => return Ok(()),
    };
    if ok {
        return Ok(());
    }
    Err(PerformanceError::Classes {
        problem: spec.problem.as_str(),
        need,
        found: spec.classes.len(),
        names: crate::base::text::some_names(&spec.classes, 10),
    })
}

fn fit_reference(
    spec: &PerformanceSpec,
    labelled: &Outcomes,
    warnings: &mut Vec<String>,
) -> Reference {
    let rows = labelled.rows();
    let k = spec.classes.len();
    let mut fitted = Reference {
        rows,
        values: Vec::new(),
        shares: Vec::new(),
        loss_sd: Vec::new(),
        prevalence: Vec::new(),
        cbpe: None,
        dle: None,
        score_range: None,
    };
    match labelled {
        Outcomes::Classification {
            truth,
            predicted,
            scores,
            columns,
        } => {
            let cm = realized::confusion(truth, predicted, k);
            fitted.shares = cm
                .iter()
                .flatten()
                .map(|&c| c as f64 / rows as f64)
                .collect();
            fitted.prevalence = cm
                .iter()
                .map(|row| row.iter().sum::<u64>() as f64 / rows as f64)
                .collect();
            if *columns > 0 {
                fitted.cbpe = Cbpe::fit(spec.problem, k, truth, scores, *columns);
                let finite = scores.iter().copied().filter(|s| s.is_finite());
                fitted.score_range = finite.fold(None, |r, s| match r {
                    None => Some((s, s)),
                    Some((lo, hi)) => Some((f64::min(lo, s), f64::max(hi, s))),
                });
            } else {
                warnings.push(
                    "no predicted probabilities were given: performance cannot be estimated without labels (name the score columns)".into(),
                );
            }
        }
        Outcomes::Regression {
            truth,
            predicted,
            features,
        } => {
            for metric in [Metric::Mae, Metric::Mse, Metric::Mape] {
                fitted
                    .loss_sd
                    .push((metric, loss_sd(metric, truth, predicted)));
            }
            let columns = Columns {
                features,
                predicted,
            };
            match Dle::fit(&columns, truth, spec.seed) {
                Ok(dle) => fitted.dle = Some(dle),
                Err(e) => warnings.push(format!("loss models could not be fitted: {e}")),
            }
            if features.is_empty() {
                warnings.push(
                    "no model inputs were given: losses are estimated from the prediction alone"
                        .into(),
                );
            }
        }
    }
    fitted.values = Metric::of(
        spec.problem,
        fitted.cbpe.is_some() || fitted.score_range.is_some(),
    )
    .into_iter()
    .map(|m| (m, realized_value(spec, m, labelled)))
    .collect();
    if rows < MIN_REFERENCE_ROWS {
        warnings.push(format!(
            "the reference has {rows} labelled rows: estimates learnt from fewer than {MIN_REFERENCE_ROWS} are rough and their bands may be too narrow"
        ));
    }
    fitted
}

/// Standard deviation of one row's loss on the reference.
fn loss_sd(metric: Metric, truth: &[f64], predicted: &[f64]) -> f64 {
    let losses: Vec<f64> = truth
        .iter()
        .zip(predicted)
        .filter(|(t, _)| metric != Metric::Mape || **t != 0.0)
        .map(|(t, p)| {
            let e = (t - p).abs();
            match metric {
                Metric::Mse => e * e,
                Metric::Mape => e / t.abs(),
                _ => e,
            }
        })
        .collect();
    let n = losses.len() as f64;
    if n < 2.0 {
        return f64::NAN;
    }
    let mean = losses.iter().sum::<f64>() / n;
    (losses.iter().map(|l| (l - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt()
}

/// A labelled set's realized value of `metric`.
fn realized_value(spec: &PerformanceSpec, metric: Metric, labelled: &Outcomes) -> f64 {
    let k = spec.classes.len();
    match labelled {
        Outcomes::Classification {
            truth,
            predicted,
            scores,
            columns,
        } => {
            if truth.is_empty() {
                return f64::NAN;
            }
            if metric == Metric::RocAuc {
                return realized::classification_roc_auc(spec.problem, truth, scores, *columns);
            }
            let cells: Vec<f64> = realized::confusion(truth, predicted, k)
                .into_iter()
                .flatten()
                .map(|c| c as f64)
                .collect();
            realized::from_cells(metric, spec.problem, &cells, k)
        }
        Outcomes::Regression {
            truth, predicted, ..
        } => {
            if truth.is_empty() {
                return f64::NAN;
            }
            realized::Losses::of(truth, predicted).get(metric)
        }
    }
}

/// Standard error of a realized value over windows of `rows` labelled rows like the reference.
fn realized_error(spec: &PerformanceSpec, fitted: &Reference, metric: Metric, rows: f64) -> f64 {
    let k = spec.classes.len();
    let reference_value = fitted
        .values
        .iter()
        .find(|(m, _)| *m == metric)
        .map_or(f64::NAN, |v| v.1);
    match metric {
        Metric::RocAuc => {
            let positives = match spec.problem {
                Problem::Binary => fitted.prevalence[1],
                // One-vs-rest classes averaged: the error of a mean of k AUCs.
                _ => 1.0 / k as f64,
            };
            let se = hanley_mcneil(reference_value, positives * rows, (1.0 - positives) * rows);
            if spec.problem == Problem::Binary {
                se
            } else {
                se / (k as f64).sqrt()
            }
        }
        Metric::Rmse => {
            let mse_sd = sd_of(fitted, Metric::Mse);
            mse_sd / rows.sqrt() / (2.0 * reference_value)
        }
        m if m.is_loss() => sd_of(fitted, m) / rows.sqrt(),
        _ => multinomial(metric, spec.problem, &fitted.shares, k, rows),
    }
}

fn sd_of(fitted: &Reference, metric: Metric) -> f64 {
    fitted
        .loss_sd
        .iter()
        .find(|(m, _)| *m == metric)
        .map_or(f64::NAN, |v| v.1)
}

/// Every metric of one window: realized, estimated, judged.
fn judge(
    spec: &PerformanceSpec,
    fitted: &Reference,
    label: String,
    window: &Outcomes,
) -> WindowPerformance {
    let labelled = window.labelled();
    let metrics: Vec<Metric> = fitted.values.iter().map(|v| v.0).collect();
    let estimates = estimate(fitted, window, &metrics);
    let mut warnings = Vec::new();
    if window.rows() < MIN_WINDOW_ROWS {
        warnings.push(format!(
            "{} rows: a window this small moves a lot by chance; read the bands",
            window.rows()
        ));
    }
    if let (Some((lo, hi)), Outcomes::Classification { scores, .. }) = (fitted.score_range, window)
    {
        let outside = scores.iter().filter(|s| **s < lo || **s > hi).count();
        if outside * 20 > scores.len() {
            warnings.push(format!(
                "{outside} of {} scores lie outside the reference's range [{lo}, {hi}]: their calibration is extrapolated",
                scores.len()
            ));
        }
    }
    if let Outcomes::Regression {
        truth, predicted, ..
    } = &labelled
    {
        let excluded = realized::Losses::of(truth, predicted).mape_excluded;
        if excluded > 0 {
            warnings.push(format!(
                "{excluded} rows have a true value of 0: MAPE leaves them out (their percentage error is infinite)"
            ));
        }
    }
    let mut passed = true;
    let metrics = metrics
        .iter()
        .zip(&fitted.values)
        .enumerate()
        .map(|(i, (&metric, &(_, reference)))| {
            let realized = (labelled.rows() > 0).then(|| {
                Band::new(
                    metric,
                    realized_value(spec, metric, &labelled),
                    realized_error(spec, fitted, metric, labelled.rows() as f64),
                )
            });
            let estimated = estimates
                .as_ref()
                .map(|e| Band::new(metric, e[i].value, e[i].sampling_error));
            let reference_error = realized_error(spec, fitted, metric, fitted.rows as f64);
            let threshold = spec.threshold(metric);
            let judged = realized
                .filter(|b| b.value.is_finite())
                .or(estimated.filter(|b| b.value.is_finite()));
            let verdict =
                judged.map(|b| verdict(metric, reference, reference_error, &b, threshold));
            if verdict == Some(false) {
                passed = false;
            }
            MetricPerformance {
                name: metric.as_str().into(),
                reference,
                realized,
                estimated,
                threshold,
                passed: verdict,
            }
        })
        .collect();
    let confusion_matrix = match &labelled {
        Outcomes::Classification {
            truth, predicted, ..
        } if !truth.is_empty() => Some(realized::confusion(truth, predicted, spec.classes.len())),
        _ => None,
    };
    WindowPerformance {
        label,
        rows: window.rows() as u64,
        labelled_rows: labelled.rows() as u64,
        passed,
        metrics,
        confusion_matrix,
        warnings,
    }
}

fn estimate(fitted: &Reference, window: &Outcomes, metrics: &[Metric]) -> Option<Vec<Estimated>> {
    if window.rows() == 0 {
        return None;
    }
    match window {
        Outcomes::Classification {
            predicted, scores, ..
        } => fitted
            .cbpe
            .as_ref()
            .map(|cbpe| cbpe.estimate(predicted, scores, metrics)),
        Outcomes::Regression {
            predicted,
            features,
            ..
        } => fitted.dle.as_ref().map(|dle| {
            dle.estimate(
                &Columns {
                    features,
                    predicted,
                },
                metrics,
            )
        }),
    }
}

/// The rule of the module's documentation: worse than the reference by more than `threshold`
/// and by more than 1.96 combined standard errors.
pub fn verdict(
    metric: Metric,
    reference: f64,
    reference_error: f64,
    value: &Band,
    threshold: f64,
) -> bool {
    if !reference.is_finite() {
        return true;
    }
    let se = (value.sampling_error.powi(2) + reference_error.powi(2)).sqrt();
    let (worse, scale) = if metric.is_loss() {
        (value.value - reference, reference.abs())
    } else {
        (reference - value.value, 1.0)
    };
    let beyond_threshold = worse > threshold * scale;
    let beyond_chance = !(se.is_finite()) || worse > Z95 * se;
    !(beyond_threshold && beyond_chance)
}

//! Model performance from data: reads the model's outputs, the truth and (for regression
//! estimates) the inputs from a reference and a target however they are handed over, joins late
//! labels by id, cuts the target into windows and hands them to [`crate::drift::performance`].
//!
//! Classes are the distinct labels and predictions of both sides, numbers before text and in
//! numeric order (`0`, `1`, `2`, `10`); a number is spelt as an integer when it is one, so a
//! label `1` in a CSV and `1.0` in Parquet are one class.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::Array;

use super::PipelineError;
use super::local::{Dataset, store_location, with_runtime};
use super::locate::{baseline_files, inputs_for, is_profile_key, snapshot_files};
use crate::data::{self, Chunk, ChunkColumn, DatasetInfo, Input, ReadError};
use crate::detector::signals::{DEFAULT_LABEL_LOOKBACK_DAYS, PERFORMANCE, PerformanceConfig};
use crate::detector::{Detector, SnapshotTemplate, Window};
use crate::drift::performance::{
    self, NO_LABEL, Outcomes, PerformanceResult, PerformanceSpec, Problem,
};
use crate::drift::result::DatasetSummary;
use crate::drift::signals::{Recomputed, SignalMetric, SignalResult, UpdatedWindow};
use crate::profile::Profile;
use crate::profile::sample::SampleColumn;
use crate::store::{Key, Store};

/// Which columns hold what, and how to cut windows.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct PerformanceRequest {
    /// `binary`, `multiclass` or `regression`.
    pub problem: Option<Problem>,
    /// The ground truth column (in the data, or in the labels when they are joined).
    pub y_true: String,
    /// The model's prediction: a class, or a number.
    pub y_pred: String,
    /// The predicted probabilities: binary one column (the positive class's); multiclass one
    /// per class, either `class=column` pairs or columns in the classes' order.
    pub y_pred_proba: Vec<String>,
    /// The positive class of a binary model (default: the second class in order).
    pub positive_class: Option<String>,
    /// Regression estimates' inputs (default: every column that is not an output, the truth
    /// or the id).
    pub features: Option<Vec<String>>,
    /// The id joining labels to rows (`correlationid` in Azure ML's collector).
    pub id: Option<String>,
    /// Rows per window of the target (default: the whole target is one window).
    pub window_rows: Option<usize>,
    /// Thresholds by metric name.
    pub thresholds: Vec<(performance::Metric, f64)>,
    /// Seed of the loss models (regression estimates).
    pub seed: u64,
}

/// A column read from a dataset, whatever its type.
#[derive(Debug, Clone)]
enum RawColumn {
    Numbers(Vec<f64>),
    Text(Vec<Option<String>>),
}

impl RawColumn {
    fn len(&self) -> usize {
        match self {
            RawColumn::Numbers(v) => v.len(),
            RawColumn::Text(v) => v.len(),
        }
    }

    /// The values as labels: numbers spelt as integers when they are, text as it is (booleans
    /// in one spelling); missing = `None`.
    fn labels(&self) -> Vec<Option<String>> {
        match self {
            RawColumn::Numbers(v) => v.iter().map(|&x| number_label(x)).collect(),
            RawColumn::Text(v) => v
                .iter()
                .map(|s| s.as_deref().map(|s| data::value::text_label(s).to_string()))
                .collect(),
        }
    }

    /// The values as numbers; text that is not a number is NaN.
    fn numbers(&self) -> Vec<f64> {
        match self {
            RawColumn::Numbers(v) => v.clone(),
            RawColumn::Text(v) => v
                .iter()
                .map(|s| {
                    s.as_deref()
                        .and_then(|s| s.trim().parse().ok())
                        .unwrap_or(f64::NAN)
                })
                .collect(),
        }
    }
}

fn number_label(x: f64) -> Option<String> {
    if x.is_nan() {
        None
    } else if x.fract() == 0.0 && x.abs() < 9e15 {
        Some(format!("{}", x as i64))
    } else {
        Some(format!("{x}"))
    }
}

/// Named columns of one dataset, in row order.
#[derive(Debug, Default)]
struct Table {
    name: String,
    columns: Vec<(String, RawColumn)>,
    rows: usize,
    /// Every column of the dataset, also those not read, for messages.
    all: Vec<String>,
    /// When the rows are a profile's row sample of fewer rows than it profiled: how many it
    /// profiled.
    sampled_from: Option<u64>,
}

impl Table {
    fn get(&self, name: &str) -> Result<&RawColumn, PipelineError> {
        self.columns
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, c)| c)
            .ok_or_else(|| {
                PipelineError::Performance(format!(
                    "{} has no column `{name}`; its columns: {}",
                    self.name,
                    crate::base::text::some_names(&self.all, 50)
                ))
            })
    }
}

/// Reads the columns `keep` of a dataset (every column when `None`).
fn read_table(
    side: &'static str,
    dataset: Dataset,
    keep: Option<&[String]>,
) -> Result<Table, PipelineError> {
    let name = match &dataset {
        Dataset::Location(spec) => spec.clone(),
        Dataset::Batches { name, .. } | Dataset::Inputs { name, .. } => name.clone(),
        Dataset::Profile(profile) => return Ok(profile_table(side, profile, keep)),
    };
    if let Dataset::Location(spec) = &dataset
        && super::local::is_profile_location(spec)
    {
        let profile = super::local::load_dataset(side, dataset, &Default::default())?;
        return Ok(profile_table(side, &profile, keep));
    }
    let mut parts: Vec<Vec<(String, RawColumn)>> = Vec::new();
    let process = |chunk: &Chunk| -> Vec<(String, RawColumn)> {
        chunk
            .names
            .iter()
            .zip(&chunk.columns)
            .filter(|(name, _)| keep.is_none_or(|k| k.contains(name)))
            .map(|(name, column)| (name.clone(), raw(column)))
            .collect()
    };
    let wrap = |e: ReadError| PipelineError::Profile {
        side,
        source_name: name.clone(),
        source: e.into(),
    };
    let info: DatasetInfo = match dataset {
        Dataset::Location(spec) => match store_location(&spec)? {
            Some((store, prefix)) => {
                let spec2 = spec.clone();
                let inputs: Vec<Input> = with_runtime(|| async move {
                    super::locate::dataset_inputs(&store, &prefix, &spec2).await
                })??;
                data::scan(&inputs, process, |p| parts.push(p)).map_err(wrap)?
            }
            None => {
                let inputs = data::resolve(&spec).map_err(wrap)?;
                data::scan(&inputs, process, |p| parts.push(p)).map_err(wrap)?
            }
        },
        Dataset::Batches { name, reader } => {
            data::scan_batches(&name, reader, &data::ReadOptions::default(), process, |p| {
                parts.push(p)
            })
            .map_err(wrap)?
        }
        Dataset::Inputs { inputs, .. } => {
            data::scan(&inputs, process, |p| parts.push(p)).map_err(wrap)?
        }
        Dataset::Profile(_) => unreachable!("read above"),
    };
    let mut table = Table {
        name: format!("the {side} `{name}`"),
        all: info.schema.columns.iter().map(|c| c.name.clone()).collect(),
        ..Table::default()
    };
    for column in info.schema.columns.iter().map(|c| &c.name) {
        let mut merged: Option<RawColumn> = None;
        for part in &parts {
            let Some((_, piece)) = part.iter().find(|(n, _)| n == column) else {
                continue;
            };
            merged = Some(match (merged, piece) {
                (None, p) => p.clone(),
                (Some(RawColumn::Numbers(mut a)), RawColumn::Numbers(b)) => {
                    a.extend_from_slice(b);
                    RawColumn::Numbers(a)
                }
                (Some(a), b) => {
                    let mut text = as_text(a);
                    text.extend(as_text(b.clone()));
                    RawColumn::Text(text)
                }
            });
        }
        if let Some(m) = merged {
            table.rows = m.len();
            table.columns.push((column.clone(), m));
        }
    }
    Ok(table)
}

/// The rows a profile carries: its row sample (every row when the data had at most the
/// sample's capacity of rows, else a uniform sample of them; see [`crate::profile::sample`]).
/// The sample holds every profiled column, so a profile of the model's outputs (and labels,
/// and inputs for regression) is all that performance needs, wherever it was profiled.
fn profile_table(side: &'static str, profile: &Profile, keep: Option<&[String]>) -> Table {
    let sample = &profile.sample;
    let columns = sample
        .names
        .iter()
        .zip(&sample.columns)
        .filter(|(name, _)| keep.is_none_or(|k| k.contains(name)))
        .map(|(name, column)| {
            let raw = match column {
                SampleColumn::Numeric(values) => RawColumn::Numbers(values.clone()),
                SampleColumn::Categorical { codes, dictionary } => RawColumn::Text(
                    codes
                        .iter()
                        .map(|&c| dictionary.get(c as usize).cloned())
                        .collect(),
                ),
            };
            (name.clone(), raw)
        })
        .collect();
    Table {
        name: format!("the {side} profile `{}`", profile.source),
        columns,
        rows: sample.len(),
        all: sample.names.clone(),
        sampled_from: (profile.rows > sample.len() as u64).then_some(profile.rows),
    }
}

fn raw(column: &ChunkColumn) -> RawColumn {
    match column {
        ChunkColumn::Numeric { values, .. } => RawColumn::Numbers(
            (0..values.len())
                .map(|i| {
                    if values.is_null(i) {
                        f64::NAN
                    } else {
                        values.value(i)
                    }
                })
                .collect(),
        ),
        ChunkColumn::Text(values) => RawColumn::Text(
            (0..values.len())
                .map(|i| (!values.is_null(i)).then(|| values.value(i).to_string()))
                .collect(),
        ),
    }
}

fn as_text(c: RawColumn) -> Vec<Option<String>> {
    match c {
        RawColumn::Text(t) => t,
        RawColumn::Numbers(v) => v.iter().map(|&x| number_label(x)).collect(),
    }
}

/// Orders class names: numbers first, numerically, then text.
fn sort_classes(classes: &mut [String]) {
    classes.sort_by(|a, b| match (a.parse::<f64>(), b.parse::<f64>()) {
        (Ok(x), Ok(y)) => x.total_cmp(&y),
        (Ok(_), Err(_)) => std::cmp::Ordering::Less,
        (Err(_), Ok(_)) => std::cmp::Ordering::Greater,
        _ => a.cmp(b),
    });
}

/// Performance of `target` (in windows) against the labelled `reference`; `labels`, when given,
/// holds the target's truth by id (late labels).
pub fn performance(
    request: &PerformanceRequest,
    reference: Dataset,
    target: Dataset,
    labels: Option<Dataset>,
) -> Result<PerformanceResult, PipelineError> {
    let keep = columns_needed(request);
    let reference = read_table("reference", reference, keep.as_deref())?;
    let target = read_table("target", target, keep.as_deref())?;
    let labels = labels
        .map(|l| read_table("labels", l, keep.as_deref()))
        .transpose()?;
    let truth_of_target = match &labels {
        Some(labels) => Some(join_labels(request, &target, labels)?),
        None => None,
    };
    let problem = match request.problem {
        Some(p) => p,
        None => guess_problem(request, &reference)?,
    };
    let (spec, reference_outcomes, target_outcomes) = match problem {
        Problem::Regression => {
            let features = feature_names(request, &reference);
            let regression = |t: &Table, truth: Vec<f64>| -> Result<Outcomes, PipelineError> {
                Ok(Outcomes::Regression {
                    truth,
                    predicted: t.get(&request.y_pred)?.numbers(),
                    features: features
                        .iter()
                        .map(|f| encode_feature(&reference, t, f))
                        .collect::<Result<_, _>>()?,
                })
            };
            // The target's truth: joined labels, else its own column, else unknown.
            let truth = match truth_of_target {
                Some(labels) => labels
                    .iter()
                    .map(|l| {
                        l.as_deref()
                            .and_then(|s| s.parse().ok())
                            .unwrap_or(f64::NAN)
                    })
                    .collect(),
                None => target
                    .get(&request.y_true)
                    .map_or_else(|_| vec![f64::NAN; target.rows], RawColumn::numbers),
            };
            let spec = PerformanceSpec {
                problem,
                classes: Vec::new(),
                thresholds: request.thresholds.clone(),
                seed: request.seed,
            };
            (
                spec,
                regression(&reference, reference.get(&request.y_true)?.numbers())?,
                regression(&target, truth)?,
            )
        }
        _ => {
            let ref_truth = reference.get(&request.y_true)?.labels();
            let target_truth = match truth_of_target {
                Some(t) => t,
                None => match target.get(&request.y_true) {
                    Ok(c) => c.labels(),
                    Err(_) => vec![None; target.rows],
                },
            };
            let ref_pred = reference.get(&request.y_pred)?.labels();
            let target_pred = target.get(&request.y_pred)?.labels();
            let mut classes: Vec<String> = ref_truth
                .iter()
                .chain(&target_truth)
                .chain(&ref_pred)
                .chain(&target_pred)
                .flatten()
                .cloned()
                .collect::<std::collections::BTreeSet<_>>()
                .into_iter()
                .collect();
            let proba = proba_columns(request, problem, &mut classes)?;
            sort_classes(&mut classes);
            if problem == Problem::Binary {
                order_binary(request, &mut classes)?;
            }
            let position: HashMap<&str, u32> = classes
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i as u32))
                .collect();
            let positions = |labels: &[Option<String>]| -> Vec<u32> {
                labels
                    .iter()
                    .map(|l| l.as_deref().map_or(NO_LABEL, |l| position[l]))
                    .collect()
            };
            let outcomes = |t: &Table,
                            truth: &[Option<String>],
                            pred: &[Option<String>]|
             -> Result<Outcomes, PipelineError> {
                let missing = pred.iter().filter(|p| p.is_none()).count();
                if missing > 0 {
                    return Err(PipelineError::Performance(format!(
                        "{} has {missing} rows without a prediction in `{}`",
                        t.name, request.y_pred
                    )));
                }
                let score_columns: Vec<Vec<f64>> = proba
                    .iter()
                    .map(|(_, column)| t.get(column).map(RawColumn::numbers))
                    .collect::<Result<_, _>>()?;
                let columns = score_columns.len();
                let mut scores = Vec::with_capacity(t.rows * columns);
                for r in 0..t.rows {
                    scores.extend(score_columns.iter().map(|c| c[r]));
                }
                Ok(Outcomes::Classification {
                    truth: positions(truth),
                    predicted: positions(pred),
                    scores,
                    columns,
                })
            };
            let reference_outcomes = outcomes(&reference, &ref_truth, &ref_pred)?;
            let target_outcomes = outcomes(&target, &target_truth, &target_pred)?;
            let spec = PerformanceSpec {
                problem,
                classes,
                thresholds: request.thresholds.clone(),
                seed: request.seed,
            };
            (spec, reference_outcomes, target_outcomes)
        }
    };
    if target.sampled_from.is_some() && request.window_rows.is_some() {
        return Err(PipelineError::Performance(format!(
            "{} keeps a sample of its rows in no particular order: it is one window, without --window-rows",
            target.name
        )));
    }
    let windows = cut_windows(&target_outcomes, request.window_rows);
    let mut result = performance::evaluate(&spec, &reference_outcomes, &windows)?;
    for table in [&reference, &target] {
        if let Some(total) = table.sampled_from {
            result.warnings.push(format!(
                "{} profiled {} rows and keeps a uniform sample of {}: its figures are the sample's, with bands at the sample's size",
                table.name,
                total,
                table.rows,
            ));
        }
    }
    Ok(result)
}

/// The columns a request reads: its outputs, truth, id and named features; `None` (every
/// column) when regression inputs are not named or the problem is to be guessed.
fn columns_needed(request: &PerformanceRequest) -> Option<Vec<String>> {
    let features = match (request.problem, &request.features) {
        (Some(Problem::Binary | Problem::Multiclass), _) => Vec::new(),
        (Some(Problem::Regression), Some(f)) => f.clone(),
        _ => return None,
    };
    let proba = request.y_pred_proba.iter().map(|item| {
        item.split_once('=')
            .map_or(item.as_str(), |p| p.1)
            .trim()
            .to_string()
    });
    Some(
        [request.y_true.clone(), request.y_pred.clone()]
            .into_iter()
            .chain(request.id.clone())
            .chain(proba)
            .chain(features)
            .collect(),
    )
}

/// Binary without `--problem`: two classes in the reference's truth make it binary, more make
/// it multiclass; a truth with fractions is regression.
fn guess_problem(
    request: &PerformanceRequest,
    reference: &Table,
) -> Result<Problem, PipelineError> {
    let truth = reference.get(&request.y_true)?;
    let distinct: std::collections::BTreeSet<String> =
        truth.labels().into_iter().flatten().collect();
    let fractional = matches!(truth, RawColumn::Numbers(v) if v.iter().any(|x| x.fract() != 0.0));
    Ok(if fractional || distinct.len() > 20 {
        Problem::Regression
    } else if distinct.len() > 2 || request.y_pred_proba.len() > 1 {
        Problem::Multiclass
    } else {
        Problem::Binary
    })
}

/// The probability columns as (class, column) pairs; classes named there join the classes.
fn proba_columns(
    request: &PerformanceRequest,
    problem: Problem,
    classes: &mut Vec<String>,
) -> Result<Vec<(Option<String>, String)>, PipelineError> {
    let pairs: Vec<(Option<String>, String)> = request
        .y_pred_proba
        .iter()
        .map(|item| match item.split_once('=') {
            Some((class, column)) => (Some(class.trim().to_string()), column.trim().to_string()),
            None => (None, item.trim().to_string()),
        })
        .collect();
    for class in pairs.iter().filter_map(|p| p.0.clone()) {
        if !classes.contains(&class) {
            classes.push(class);
        }
    }
    match problem {
        Problem::Binary if pairs.len() > 1 => Err(PipelineError::Performance(format!(
            "a binary model takes one probability column (the positive class's); got {}",
            pairs.len()
        ))),
        Problem::Multiclass if !pairs.is_empty() && pairs.iter().any(|p| p.0.is_some()) => {
            // Put the columns in the classes' order once the classes are sorted.
            let mut sorted = classes.clone();
            sort_classes(&mut sorted);
            sorted
                .iter()
                .map(|class| {
                    pairs
                        .iter()
                        .find(|p| p.0.as_deref() == Some(class))
                        .map(|p| (Some(class.clone()), p.1.clone()))
                        .ok_or_else(|| {
                            PipelineError::Performance(format!(
                                "no probability column for class `{class}`: name one per class as CLASS=COLUMN"
                            ))
                        })
                })
                .collect()
        }
        Problem::Multiclass if !pairs.is_empty() && pairs.len() != classes.len() => {
            let mut sorted = classes.clone();
            sort_classes(&mut sorted);
            Err(PipelineError::Performance(format!(
                "{} probability columns for {} classes ({}): give one per class, in that order, or as CLASS=COLUMN",
                pairs.len(),
                sorted.len(),
                crate::base::text::some_names(&sorted, 10)
            )))
        }
        _ => Ok(pairs),
    }
}

/// Puts the positive class second.
fn order_binary(
    request: &PerformanceRequest,
    classes: &mut Vec<String>,
) -> Result<(), PipelineError> {
    if let Some(positive) = &request.positive_class {
        if !classes.contains(positive) {
            classes.push(positive.clone());
        }
        classes.retain(|c| c != positive);
        classes.push(positive.clone());
    }
    if classes.len() != 2 {
        return Err(PipelineError::Performance(format!(
            "binary classification needs 2 classes across labels and predictions; found {}: {}",
            classes.len(),
            crate::base::text::some_names(classes, 10)
        )));
    }
    Ok(())
}

/// The target's truth from the labels, by id; rows without a label get `None`.
fn join_labels(
    request: &PerformanceRequest,
    target: &Table,
    labels: &Table,
) -> Result<Vec<Option<String>>, PipelineError> {
    let id = request.id.as_deref().ok_or_else(|| {
        PipelineError::Performance(
            "labels given without the id column that joins them (--id)".into(),
        )
    })?;
    let label_ids = as_text(labels.get(id)?.clone());
    let label_values = labels.get(&request.y_true)?.labels();
    let by_id: HashMap<&str, &Option<String>> = label_ids
        .iter()
        .zip(&label_values)
        .filter_map(|(i, v)| i.as_deref().map(|i| (i, v)))
        .collect();
    let target_ids = as_text(target.get(id)?.clone());
    Ok(target_ids
        .iter()
        .map(|i| {
            i.as_deref()
                .and_then(|i| by_id.get(i))
                .and_then(|v| (*v).clone())
        })
        .collect())
}

/// The inputs of loss estimation: the named ones, or every column that is not an output, the
/// truth or the id.
fn feature_names(request: &PerformanceRequest, reference: &Table) -> Vec<String> {
    if let Some(f) = &request.features {
        return f.clone();
    }
    reference
        .columns
        .iter()
        .map(|(n, _)| n.clone())
        .filter(|n| {
            *n != request.y_true
                && *n != request.y_pred
                && Some(n.as_str()) != request.id.as_deref()
                && !request.y_pred_proba.contains(n)
        })
        .collect()
}

/// A feature as numbers: numbers as they are, text as the position of its category among the
/// reference's (unseen = missing).
fn encode_feature(reference: &Table, table: &Table, name: &str) -> Result<Vec<f64>, PipelineError> {
    let column = table.get(name)?;
    match (reference.get(name)?, column) {
        (RawColumn::Numbers(_), RawColumn::Numbers(v)) => Ok(v.clone()),
        (reference_column, column) => {
            let mut categories: Vec<String> = as_text(reference_column.clone())
                .into_iter()
                .flatten()
                .collect();
            categories.sort();
            categories.dedup();
            let code: HashMap<&str, f64> = categories
                .iter()
                .enumerate()
                .map(|(i, c)| (c.as_str(), i as f64))
                .collect();
            Ok(as_text(column.clone())
                .iter()
                .map(|v| {
                    v.as_deref()
                        .and_then(|v| code.get(v).copied())
                        .unwrap_or(f64::NAN)
                })
                .collect())
        }
    }
}

/// The target as windows of `rows` rows (the last one may be shorter), or whole.
fn cut_windows(target: &Outcomes, rows: Option<usize>) -> Vec<(String, Outcomes)> {
    let total = target.rows();
    let size = rows.filter(|&r| r > 0).unwrap_or(total.max(1));
    (0..total)
        .step_by(size)
        .map(|start| {
            let end = (start + size).min(total);
            (
                format!("rows {start}-{}", end - 1),
                target.slice(start..end),
            )
        })
        .collect()
}

/// The request a detector's performance settings make.
fn detector_request(config: &PerformanceConfig, seed: u64) -> PerformanceRequest {
    PerformanceRequest {
        problem: config.problem.as_deref().and_then(Problem::parse),
        y_true: config.y_true.clone(),
        y_pred: config.y_pred.clone(),
        y_pred_proba: config.y_pred_proba.clone(),
        positive_class: config.positive_class.clone(),
        features: None,
        id: config.id.clone(),
        window_rows: None,
        thresholds: config
            .metric_thresholds
            .iter()
            .filter_map(|(m, v)| performance::Metric::parse(m).map(|m| (m, *v)))
            .collect(),
        seed,
    }
}

/// A day's rows for its performance signal: its data files and the profiles a Spark job (or
/// `driftscan profile`) saved beside them.
pub(super) struct DayRows {
    pub inputs: Vec<Input>,
    pub saved: Option<Profile>,
}

impl DayRows {
    /// Every row of the data files when there are only files; with saved profiles, the row
    /// sample of the day's whole profile (files profiled and merged with the saved ones).
    fn dataset(self, name: String) -> Result<Dataset, PipelineError> {
        match self.saved {
            None => Ok(Dataset::Inputs {
                name,
                inputs: self.inputs,
            }),
            Some(saved) => Ok(Dataset::Profile(Box::new(super::run::target_profile(
                Vec::new(),
                self.inputs,
                Some(saved),
                name,
            )?))),
        }
    }
}

/// The performance signal of one scored window of a detector: the labelled reference (the
/// signal's `reference`, else the detector's baseline), the window's rows, and the labels that
/// have arrived for them up to `label_lookback_days` after the window (or today, if sooner).
pub(super) async fn day_signal(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    window: Window,
    production: DayRows,
    production_summary: DatasetSummary,
) -> Result<SignalResult, PipelineError> {
    let Some(config) = &detector.signals.performance else {
        return Err(PipelineError::Performance("no performance settings".into()));
    };
    let location = config.reference.as_deref().unwrap_or(&detector.baseline);
    let (data, keys) = baseline_files(store, super::data_roots()?, location).await?;
    // Data files when there are any (every row); else the saved profiles' row sample.
    let (profiles, files): (Vec<Key>, Vec<Key>) = keys.into_iter().partition(is_profile_key);
    let reference = if files.is_empty() && !profiles.is_empty() {
        let mut profile = super::baseline::read_profiles(&data, &profiles).await?;
        profile.source = location.to_string();
        Dataset::Profile(Box::new(profile))
    } else {
        Dataset::Inputs {
            name: location.to_string(),
            inputs: inputs_for(&data, &files).await?,
        }
    };
    let labels = match &config.labels {
        None => None,
        Some(template) => {
            let lookback = config
                .label_lookback_days
                .unwrap_or(DEFAULT_LABEL_LOOKBACK_DAYS);
            let today = chrono::Utc::now().date_naive();
            let end = (window.end + chrono::Days::new(lookback.into())).min(today.max(window.end));
            let label_window = Window {
                start: window.start,
                end,
            };
            let template = SnapshotTemplate::parse(template)?;
            let (data, template) = super::data_roots()?.open_template(store, &template)?;
            let files = snapshot_files(&*data, &template, detector, service, &label_window).await?;
            Some(Dataset::Inputs {
                name: format!("labels {} to {}", label_window.start, label_window.end),
                inputs: inputs_for(&data, &files).await?,
            })
        }
    };
    let request = detector_request(
        config,
        super::run::seed(&detector.name, service, window.start),
    );
    let name = production_summary.source.clone();
    let reference_source = location.to_string();
    let result = super::blocking("measuring performance", move || {
        let production = production.dataset(name)?;
        // No label file yet for the window: every row is unlabelled, so the window is estimated.
        let labels =
            labels.filter(|l| !matches!(l, Dataset::Inputs { inputs, .. } if inputs.is_empty()));
        let has_labels = labels.is_some();
        let mut request = request;
        if !has_labels {
            request.id = None;
        }
        performance(&request, reference, production, labels)
    })
    .await?;
    Ok(signal_of(
        result,
        window.start,
        reference_source,
        production_summary,
    ))
}

/// A one-window performance result as the detector's `performance` signal: per metric the
/// judged value (realized when labelled, else estimated), the estimate, and the drop (a rate's
/// fall, a loss's relative rise) with its threshold and the engine's verdict.
fn signal_of(
    result: PerformanceResult,
    date: chrono::NaiveDate,
    reference_source: String,
    production: DatasetSummary,
) -> SignalResult {
    let mut window = result.windows.into_iter().next().expect("one window");
    window.label = date.to_string();
    let mut metrics = Vec::new();
    for m in &window.metrics {
        let judged = m
            .realized
            .filter(|b| b.value.is_finite())
            .or(m.estimated)
            .map_or(f64::NAN, |b| b.value);
        metrics.push(SignalMetric::plain(&m.name, judged));
        if let Some(e) = m.estimated {
            metrics.push(SignalMetric::plain(
                &format!("{}_estimated", m.name),
                e.value,
            ));
        }
        let is_loss = performance::Metric::parse(&m.name).is_some_and(performance::Metric::is_loss);
        let (name, change) = if is_loss {
            (format!("{}_rise", m.name), judged / m.reference - 1.0)
        } else {
            (format!("{}_drop", m.name), m.reference - judged)
        };
        metrics.push(SignalMetric {
            threshold: Some(m.threshold),
            passed: m.passed,
            ..SignalMetric::plain(&name, change)
        });
    }
    let mut warnings = result.warnings;
    warnings.extend(window.warnings.iter().cloned());
    SignalResult {
        name: PERFORMANCE.to_string(),
        passed: window.passed,
        reference: DatasetSummary {
            source: reference_source,
            rows: result.reference.rows,
            ..DatasetSummary::default()
        },
        production,
        metrics,
        features: Vec::new(),
        warnings,
        performance: Some(window),
        recomputed: None,
        updated_windows: Vec::new(),
    }
}

/// The performance signal of a run where it could not be measured: failed, with the reason.
pub(super) fn unmeasured(reason: String, result: &crate::drift::result::RunResult) -> SignalResult {
    let mut signal = SignalResult::judged(
        PERFORMANCE,
        result.baseline.clone(),
        result.target.clone(),
        Vec::new(),
        Vec::new(),
        vec![format!("performance could not be measured: {reason}")],
    );
    signal.passed = false;
    signal
}

/// Late labels: recomputes the performance of each of the `label_lookback_days` days before
/// `window` whose stored result has fewer labelled rows than the labels now give, rewrites those
/// results (marked `recomputed`), and returns the days it updated.
pub(super) async fn recompute_late_labels(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    window: Window,
) -> Vec<UpdatedWindow> {
    let Some(config) = &detector.signals.performance else {
        return Vec::new();
    };
    let lookback = config
        .label_lookback_days
        .unwrap_or(DEFAULT_LABEL_LOOKBACK_DAYS);
    if config.labels.is_none() || lookback == 0 {
        return Vec::new();
    }
    let start = window.start - chrono::Days::new(lookback.into());
    let Some(end) = window.start.pred_opt() else {
        return Vec::new();
    };
    let history = match crate::store::service_history(&**store, &detector.name, service, start, end)
        .await
    {
        Ok(h) => h,
        Err(e) => {
            tracing::warn!(message = "Late labels: cannot read the history.", detector = %detector.name, service = %service, error = %e);
            return Vec::new();
        }
    };
    let mut updated = Vec::new();
    for mut earlier in history.results {
        let Some(position) = earlier.signals.iter().position(|s| s.name == PERFORMANCE) else {
            continue;
        };
        let before = earlier.signals[position]
            .performance
            .as_ref()
            .map_or(0, |w| w.labelled_rows);
        let day = Window {
            start: earlier.datetime,
            end: earlier.run.window.map_or(earlier.datetime, |w| w.1),
        };
        match recompute_day(store, detector, service, day, &earlier).await {
            Ok(mut signal) => {
                let now = signal.performance.as_ref().map_or(0, |w| w.labelled_rows);
                if now == before {
                    continue;
                }
                signal.recomputed = Some(Recomputed {
                    at: chrono::Utc::now(),
                    labelled_rows_before: before,
                });
                updated.push(UpdatedWindow {
                    date: earlier.datetime,
                    labelled_rows_before: before,
                    labelled_rows: now,
                    passed: signal.passed,
                });
                earlier.signals[position] = signal;
                if let Err(e) = crate::store::record_run(&**store, &earlier).await {
                    tracing::warn!(message = "Late labels: cannot rewrite a result.", detector = %detector.name, service = %service, date = %earlier.datetime, error = %e);
                    updated.pop();
                }
            }
            Err(e) => {
                tracing::warn!(message = "Late labels: cannot recompute a day.", detector = %detector.name, service = %service, date = %earlier.datetime, error = %e);
            }
        }
    }
    updated
}

/// The performance signal of an earlier day, from its snapshot files as they are now.
async fn recompute_day(
    store: &Arc<dyn Store>,
    detector: &Detector,
    service: &str,
    day: Window,
    earlier: &crate::drift::result::RunResult,
) -> Result<SignalResult, PipelineError> {
    let template = detector.snapshot_template()?;
    let (data, template) = super::data_roots()?.open_template(store, &template)?;
    let files = snapshot_files(&*data, &template, detector, service, &day).await?;
    let (inputs, saved, _) = super::run::snapshot_parts(&data, files).await?;
    day_signal(
        store,
        detector,
        service,
        day,
        DayRows { inputs, saved },
        earlier.target.clone(),
    )
    .await
}

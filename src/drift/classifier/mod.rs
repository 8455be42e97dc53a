//! The domain classifier: two row samples in, `datadrift_coefficient`, its p-value and noise
//! floor, and per-feature `datadrift_contribution` out.
//!
//! # Definition (Azure ML's, with every row used)
//!
//! Baseline rows are labelled 0 and target rows 1. A classifier that can tell them apart means
//! something changed, whether one feature, the missing values, or how features relate. The
//! coefficient is the Matthews correlation (MCC) of the classifier's hard predictions
//! (probability > 0.5) on rows it was not trained on, clipped to [0, 1], as in Azure ML. Where
//! Azure ML trains on one half and scores the other, driftscan scores **every sampled row once
//! by a model that did not see it**. Above `max_rows_permutation` rows per side it
//! **cross-fits**: the rows are split into K stratified folds, each fold is scored by boosted
//! trees trained on the other K - 1, and the MCC is taken over all rows ([`model`]). Up to
//! that size a random forest scores each row **out of bag**, by the trees whose bootstrap
//! sample left it out ([`forest`]): the same principle with the bootstrap as the split, at a
//! tenth of the cost of K folds of forests, which is what lets the null be refitted hundreds
//! of times.
//!
//! # Significance, and the coefficient when there is none
//!
//! A held-out MCC of a flexible model scatters around 0 when nothing drifted, by about
//! `1/sqrt(rows)` (0.13 at 30 rows per side). [`calibration`] computes the MCC's null
//! distribution at the run's own sample size: the run reports its p-value
//! (`datadrift_p_value`) and its 99th percentile (the noise floor). **When the p-value is above
//! the significance level (default 0.01), the coefficient is 0 and every contribution is 0**: the
//! classifier found nothing that chance would not produce as often; the unclipped MCC stays in
//! the summary's `mcc_raw`. Otherwise the coefficient is the MCC clipped to [0, 1], and the
//! contributions are each feature's share of the models' split gains.
//!
//! Up to `max_rows_permutation` rows per side the p-value is that of the out-of-bag ROC AUC
//! among label permutations; above, that of the prequential folds' rank statistics (each fold
//! scored by a model trained on the folds before it). The gate is the p-value alone: a 1 % test
//! at every size. Requiring the
//! MCC above the noise floor as well (`floor_gate`) cut the no-drift rate at 30 rows per side from
//! 1.2 % to 0.2 % of seeds but the power from 93.6 % to 83.4 % (`docs/classifier.md`, "Choosing
//! the model").
//!
//! # Sampling
//!
//! Each side's [`RowSample`] is a bottom-k sample whose rows are sorted by priority, so its first
//! rows are a uniform sample of the data. Both sides use the same number of rows,
//! `min(baseline rows, target rows, max_rows_per_side)`, taken from the front. Equal sides keep
//! the classes balanced, which makes "probability > 0.5" the natural cut and makes a constant
//! model predict one class (MCC 0); the smaller side bounds the classifier's power anyway.
//!
//! The modules: [`encoding`] (features to numbers), [`forest`] (the small-sample random
//! forest), [`model`] (the boosted trees, above `max_rows_permutation` rows per side),
//! [`scores`] (MCC, ROC AUC), [`calibration`] (null distribution, p-value, noise floor).

pub mod calibration;
pub mod encoding;
pub mod forest;
pub mod model;
pub mod scores;

use std::fmt;
use std::time::Instant;

use rayon::prelude::*;

use crate::base::rng::{SplitMix64, derive_seed};
use crate::drift::result::{ClassifierSummary, FeatureKind, NoiseFloor};
use crate::profile::sample::{RowSample, SampleColumn};
use calibration::{Calibration, FoldTable};
use encoding::{Encoder, FeatureMatrix};
pub use forest::ForestParams;
use forest::{RankedFeatures, Workspace};
pub use model::ModelParams;
pub use scores::{matthews_correlation, roc_auc};

/// Fewest rows per side the classifier runs on: fewer leave folds with no row of a side.
pub const MIN_ROWS_PER_SIDE: usize = 10;

/// Which side of the comparison a row sample is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    /// The reference data (training data of the model).
    Baseline,
    /// The data being checked for drift.
    Target,
}

impl fmt::Display for Side {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Side::Baseline => "baseline",
            Side::Target => "target",
        })
    }
}

/// Why the classifier could not run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ClassifierError {
    /// The feature list is empty.
    #[error("domain classifier: no features to compare")]
    NoFeatures,
    /// A feature is absent from one row sample.
    #[error("domain classifier: feature `{feature}` is not in the {side} row sample")]
    MissingFeature {
        /// Feature name.
        feature: String,
        /// Side whose sample lacks it.
        side: Side,
    },
    /// A feature is declared with one kind but sampled as the other.
    #[error(
        "domain classifier: feature `{feature}` is declared {declared} but the {side} row sample holds it as {found}"
    )]
    KindMismatch {
        /// Feature name.
        feature: String,
        /// Side whose sample disagrees.
        side: Side,
        /// Kind in the feature list.
        declared: &'static str,
        /// Kind in the sample.
        found: &'static str,
    },
    /// A sample column's length differs from the sample's row count.
    #[error(
        "domain classifier: column `{feature}` of the {side} row sample has {len} values for {rows} rows"
    )]
    RaggedSample {
        /// Feature name.
        feature: String,
        /// Side of the broken sample.
        side: Side,
        /// Values in the column.
        len: usize,
        /// Rows in the sample.
        rows: usize,
    },
    /// A categorical code points outside its dictionary.
    #[error(
        "domain classifier: column `{feature}` of the {side} row sample has code {code} but a dictionary of {dictionary} categories"
    )]
    BadCode {
        /// Feature name.
        feature: String,
        /// Side of the broken sample.
        side: Side,
        /// The offending code.
        code: u32,
        /// Dictionary size.
        dictionary: usize,
    },
    /// Too few rows on one side.
    #[error(
        "domain classifier: the {side} row sample has {rows} rows; at least {min} per side are needed"
    )]
    TooFewRows {
        /// Side with too few rows.
        side: Side,
        /// Rows it has.
        rows: usize,
        /// Rows needed.
        min: usize,
    },
    /// An option is out of range.
    #[error("domain classifier: option `{option}` = {value} is invalid: {reason}")]
    InvalidOption {
        /// Option name.
        option: &'static str,
        /// Its value.
        value: String,
        /// What it must be.
        reason: &'static str,
    },
    /// The model rejected its input or parameters.
    #[error("domain classifier: the model failed: {0}")]
    Model(String),
}

/// A feature to compare, and how.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureSpec {
    /// Column name in both row samples.
    pub name: String,
    /// Numeric or categorical.
    pub kind: FeatureKind,
}

impl FeatureSpec {
    /// A numeric feature.
    pub fn numeric(name: impl Into<String>) -> Self {
        FeatureSpec {
            name: name.into(),
            kind: FeatureKind::Numeric,
        }
    }

    /// A categorical feature.
    pub fn categorical(name: impl Into<String>) -> Self {
        FeatureSpec {
            name: name.into(),
            kind: FeatureKind::Categorical,
        }
    }
}

/// Quantile of the null coefficient reported as the noise floor.
pub const NOISE_FLOOR_QUANTILE: f64 = 0.99;

/// Knobs of [`score`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierOptions {
    /// Most rows used from each side's row sample. Default 50,000.
    pub max_rows_per_side: usize,
    /// Seed of the folds and the model. Default 42.
    pub seed: u64,
    /// Cross-fitting folds at most. Default 5.
    pub folds: usize,
    /// Most training rows summed over the folds' fits; fewer folds (but at least 2) are used
    /// when `folds` would exceed it. It bounds the time at large samples: at 50,000 rows per
    /// side, 2 folds. Default 100,000.
    pub max_training_rows: usize,
    /// A fit whose p-value is above this level gives coefficient 0. Default 0.01.
    pub significance_level: f64,
    /// Label permutations (refits) behind the null distribution at small samples. With 499, a
    /// p-value of 0.01 allows four permuted fits as good as the real one. Default 499: at 30
    /// rows per side it found a 1.5 sd shift in 93.6 % of seeds where 199 found it in 92.6 %
    /// (coarser p-values lose power), and the refits take about 17 ms.
    pub permutations: usize,
    /// Rows per side up to which the null comes from label permutations (and the model is
    /// `small_sample_model`); above, from the prequential folds (`calibration`), where refits
    /// would cost too much. Default 1,000: up to there the
    /// hypergeometric reference, which treats the folds as independent, passed a 1 % level in
    /// 2.2 to 2.5 % of no-drift seeds, and the forest with permutations found a 0.5 sd shift at
    /// 200 rows per side in 60 % of seeds where the boosted trees found it in 38 %. At 1,000
    /// rows per side the refits take about 0.25 s without drift and 1.2 s with it
    /// (`docs/classifier.md`).
    pub max_rows_permutation: usize,
    /// The model up to `max_rows_permutation` rows per side: a random forest written for fast
    /// refits ([`forest`]).
    pub small_sample_model: ForestParams,
    /// What the permutation test ranks the real fit by among the permuted ones. Default
    /// [`PermutationStatistic::Auc`]: it found a 1.5 sd shift at 30 rows per side in 93.6 % of
    /// seeds where the MCC found it in 86.4 %.
    pub statistic: PermutationStatistic,
    /// With label permutations, the coefficient is reported only when the MCC is also above the
    /// noise floor (the permuted MCCs' 99th percentile), not only when the p-value is at most
    /// the level. Default false (its power cost is in the module docs).
    pub floor_gate: bool,
    /// The model's parameters above `max_rows_permutation` rows per side.
    pub model: ModelParams,
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        ClassifierOptions {
            max_rows_per_side: 50_000,
            seed: crate::drift::scan::DEFAULT_SCAN_SEED,
            folds: 5,
            max_training_rows: 100_000,
            significance_level: 0.01,
            permutations: 499,
            max_rows_permutation: 1_000,
            small_sample_model: ForestParams::default(),
            statistic: PermutationStatistic::Auc,
            floor_gate: false,
            model: ModelParams::default(),
        }
    }
}

/// The statistic behind the permutation p-value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PermutationStatistic {
    /// Out-of-fold ROC AUC, ties broken by the MCC.
    Auc,
    /// Out-of-fold MCC, ties broken by the AUC.
    Mcc,
}

impl PermutationStatistic {
    /// One number ordering fits: the primary score plus a thousandth of the other, so a permuted
    /// fit only ties the real one when it is as good on both.
    fn value(self, mcc: f64, auc: f64) -> f64 {
        match self {
            PermutationStatistic::Auc => auc + 1e-3 * mcc,
            PermutationStatistic::Mcc => mcc + 1e-3 * auc,
        }
    }
}

/// What [`score`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierOutcome {
    /// `datadrift_coefficient`: cross-fitted MCC clipped to [0, 1] when significant, else 0.
    pub coefficient: f64,
    /// `datadrift_p_value`: probability of an MCC at least this large with no drift.
    pub p_value: f64,
    /// `datadrift_contribution` per feature, in the order of the feature list; sums to 1, or is
    /// all 0 when the coefficient is 0.
    pub contributions: Vec<(String, f64)>,
    /// Details for the result document.
    pub summary: ClassifierSummary,
}

/// Folds for `per_side` rows per side: `options.folds`, fewer when the training rows summed
/// over the folds would pass `max_training_rows`, never fewer than 2, never more than the rows
/// of a side allow (a fold needs at least one row of each side).
pub fn folds_for(per_side: usize, options: &ClassifierOptions) -> usize {
    let mut k = options.folds.max(2);
    // Each of the k fits trains on (k - 1) / k of the 2 * per_side rows.
    while k > 2 && (k - 1) * 2 * per_side > options.max_training_rows {
        k -= 1;
    }
    k.min(per_side).max(2)
}

/// Scores drift between two row samples: coefficient, p-value, noise floor and contributions.
///
/// Errors when a feature is absent or of another kind in a sample, when a side has fewer than
/// [`MIN_ROWS_PER_SIDE`] rows, or when an option is out of range. The same inputs and seed give
/// the same outcome.
pub fn score(
    baseline: &RowSample,
    target: &RowSample,
    features: &[FeatureSpec],
    options: &ClassifierOptions,
) -> Result<ClassifierOutcome, ClassifierError> {
    let started = Instant::now();
    validate_options(options)?;
    if features.is_empty() {
        return Err(ClassifierError::NoFeatures);
    }
    for (sample, side) in [(baseline, Side::Baseline), (target, Side::Target)] {
        check_sample(sample, side, features)?;
    }
    let per_side = baseline
        .len()
        .min(target.len())
        .min(options.max_rows_per_side);
    let encoder = Encoder::new(baseline, per_side, target, per_side, features)?;
    let x = encoding::stack(
        &encoder.encode(baseline, Side::Baseline, 0..per_side)?,
        &encoder.encode(target, Side::Target, 0..per_side)?,
    );
    // Small samples: refits on permuted labels are cheap and needed (see `calibration`).
    let permuted = per_side <= options.max_rows_permutation && options.permutations > 0;
    // Out-of-bag scoring has no folds.
    let k = if permuted {
        0
    } else {
        folds_for(per_side, options)
    };
    let truth: Vec<bool> = (0..x.rows).map(|i| i >= per_side).collect();
    let (fit, calibration) = if permuted {
        small_sample_fit(&x, &truth, options)
    } else {
        let fit = cross_fit(&x, &truth, k, options.seed, &options.model)?;
        let tables: Vec<FoldTable> = fit.folds.iter().map(|f| f.table).collect();
        let mut calibration = calibration::calibrate(&tables, NOISE_FLOOR_QUANTILE);
        calibration.p_value = prequential_p_value(&x, &truth, &fit, options)?;
        (fit, calibration)
    };
    let significant = calibration.p_value <= options.significance_level
        && !(permuted && options.floor_gate && calibration.mcc <= calibration.noise_floor);
    let coefficient = if significant {
        calibration.mcc.clamp(0.0, 1.0)
    } else {
        0.0
    };
    let (proba, importance) = (fit.proba, fit.importance);
    let train_rows = fit.folds.iter().map(|f| f.train_rows).max().unwrap_or(0);

    let total: f64 = importance.iter().sum();
    let contributions = features
        .iter()
        .zip(&importance)
        .map(|(f, &g)| {
            let share = if coefficient > 0.0 && total > 0.0 {
                g / total
            } else {
                0.0
            };
            (f.name.clone(), share)
        })
        .collect();
    let summary = ClassifierSummary {
        model: if permuted {
            options.small_sample_model.describe()
        } else {
            options.model.describe()
        },
        importance: if permuted {
            "mean_decrease_impurity"
        } else {
            "total_gain"
        }
        .to_string(),
        mcc_raw: calibration.mcc,
        roc_auc: roc_auc(&truth, &proba),
        baseline_sample_rows: per_side,
        target_sample_rows: per_side,
        train_rows,
        test_rows: x.rows,
        seed: options.seed,
        noise_floor: NoiseFloor {
            mean: calibration.null_mean,
            max: calibration.noise_floor,
            repetitions: calibration.refits,
            rows_per_side: per_side,
            quantile: NOISE_FLOOR_QUANTILE,
            method: if calibration.refits > 0 {
                format!("label permutation, {} refits", calibration.refits)
            } else {
                "hypergeometric per fold".to_string()
            },
        },
        duration_ms: started.elapsed().as_millis() as u64,
        p_value: calibration.p_value,
        significance_level: options.significance_level,
        folds: k,
    };
    Ok(ClassifierOutcome {
        coefficient,
        p_value: calibration.p_value,
        contributions,
        summary,
    })
}

/// Fold of each row: each label's rows are shuffled with the seed and dealt round-robin, so
/// every fold holds the same number of rows of each label, give or take one.
fn assign_folds(labels: &[bool], k: usize, seed: u64) -> Vec<usize> {
    let mut fold_of = vec![0; labels.len()];
    for (side, label) in [false, true].into_iter().enumerate() {
        let mut idx: Vec<usize> = (0..labels.len()).filter(|&i| labels[i] == label).collect();
        SplitMix64::new(derive_seed(seed, side as u64)).shuffle(&mut idx);
        for (position, &row) in idx.iter().enumerate() {
            fold_of[row] = position % k;
        }
    }
    fold_of
}

/// Each fold's 2 x 2 table of out-of-fold predictions (probability > 0.5 is "target").
fn fold_tables(labels: &[bool], fold_of: &[usize], k: usize, proba: &[f64]) -> Vec<FoldTable> {
    let mut tables = vec![
        FoldTable {
            rows: 0,
            positives: 0,
            predicted: 0,
            true_positives: 0,
        };
        k
    ];
    for ((&label, &fold), &p) in labels.iter().zip(fold_of).zip(proba) {
        let t = &mut tables[fold];
        let predicted = p > 0.5;
        t.rows += 1;
        t.positives += usize::from(label);
        t.predicted += usize::from(predicted);
        t.true_positives += usize::from(label && predicted);
    }
    tables
}

/// Label permutations run before the test may stop early, so the noise floor always has them
/// behind it: from 99 refits the 99th percentile is their largest value, which over no-drift
/// seeds at 30 rows per side averaged 0.41, against 0.40 from 499.
pub const MIN_PERMUTATIONS: usize = 99;

/// Label permutations added at a time once [`MIN_PERMUTATIONS`] have run.
const PERMUTATION_BATCH: usize = 50;

/// The small-sample regime: the forest fitted to the real labels and every row scored out of
/// bag, and the null from up to `options.permutations` label permutations, each a whole refit,
/// spread over threads with one [`Workspace`] per thread.
///
/// The p-value is `(1 + #{permuted fits at least as good}) / (1 + permutations)`, "as good"
/// meaning by `options.statistic`; exact under exchangeability whatever the model. The refits
/// run in batches, and stop once more of them are as good as the real fit than a p-value at the
/// level allows (Besag and Clifford's sequential test): the gate's answer is then the one all
/// `options.permutations` refits would give, and the p-value reported is that of the refits
/// run. So a run without drift costs [`MIN_PERMUTATIONS`] refits, not all of them. Each refit
/// depends on its index alone, so where the test stops does not depend on the threads. The
/// noise floor is the permuted MCCs' 99th percentile.
fn small_sample_fit(
    x: &FeatureMatrix,
    truth: &[bool],
    options: &ClassifierOptions,
) -> (CrossFit, Calibration) {
    let data = RankedFeatures::new(x, options.small_sample_model.bins);
    let params = &options.small_sample_model;
    let mut ws = Workspace::new(&data);
    let mut proba = vec![0.0; x.rows];
    let mut importance = vec![0.0; x.cols];
    forest::fit_out_of_bag(
        &data,
        truth,
        options.seed,
        params,
        &mut ws,
        &mut proba,
        Some(&mut importance),
    );
    let table = fold_tables(truth, &vec![0; x.rows], 1, &proba)[0];
    let observed = calibration::pooled_mcc(&[table]);
    let observed_stat = options.statistic.value(observed, roc_auc(truth, &proba));
    let refit = |ws: &mut Workspace, proba: &mut Vec<f64>, r: usize| {
        let seed = derive_seed(options.seed, 1_000 + r as u64);
        let mut labels = std::mem::take(&mut ws.labels);
        labels.clear();
        labels.extend_from_slice(truth);
        SplitMix64::new(seed).shuffle(&mut labels);
        forest::fit_out_of_bag(&data, &labels, seed, params, ws, proba, None);
        let mcc = matthews_of(&labels, proba);
        let stat = options.statistic.value(mcc, roc_auc(&labels, proba));
        ws.labels = labels;
        (mcc, stat)
    };
    let as_good =
        |null: &[(f64, f64)]| null.iter().filter(|v| v.1 >= observed_stat - 1e-12).count();
    // p <= level  <=>  1 + as_good <= level (1 + permutations).
    let allowed = options.significance_level * (1 + options.permutations) as f64 - 1.0;
    let mut null: Vec<(f64, f64)> = Vec::with_capacity(options.permutations);
    while null.len() < options.permutations {
        let from = null.len();
        let to = if from == 0 {
            MIN_PERMUTATIONS
        } else {
            from + PERMUTATION_BATCH
        }
        .min(options.permutations);
        null.par_extend((from..to).into_par_iter().map_init(
            || (Workspace::new(&data), vec![0.0; x.rows]),
            |(ws, proba), r| refit(ws, proba, r),
        ));
        if as_good(&null) as f64 > allowed + 1e-9 {
            break;
        }
    }
    let mccs: Vec<f64> = null.iter().map(|v| v.0).collect();
    let calibration = calibration::from_null(observed, &mccs, as_good(&null), NOISE_FLOOR_QUANTILE);
    let fit = CrossFit {
        proba,
        importance,
        // Each tree trains on a bootstrap sample as large as all rows.
        folds: vec![FoldFit {
            table,
            train_rows: x.rows,
        }],
        fold_of: Vec::new(),
    };
    (fit, calibration)
}

/// MCC of "probability > 0.5" against `labels`.
fn matthews_of(labels: &[bool], proba: &[f64]) -> f64 {
    let (mut tp, mut predicted, mut positives) = (0, 0, 0);
    for (&t, &p) in labels.iter().zip(proba) {
        let p = p > 0.5;
        tp += usize::from(t && p);
        predicted += usize::from(p);
        positives += usize::from(t);
    }
    calibration::mcc_of(labels.len(), positives, predicted, tp)
}

/// Out-of-fold probabilities of every row, the fold models' summed importances, each fold's
/// table, and the fold of each row (empty out of bag).
struct CrossFit {
    proba: Vec<f64>,
    fold_of: Vec<usize>,
    importance: Vec<f64>,
    folds: Vec<FoldFit>,
}

/// One fold's table and training size.
struct FoldFit {
    table: FoldTable,
    train_rows: usize,
}

/// What one fold's fit gives: its rows, their out-of-fold probabilities, the model's total
/// gains, and the fold's table.
struct FoldOut {
    rows: Vec<usize>,
    proba: Vec<f64>,
    gain: Vec<f64>,
    fold: FoldFit,
}

/// K-fold cross-fitting of `x` with `labels` (true = target): each fold scored by a model trained
/// on the others, the folds fitted side by side.
fn cross_fit(
    x: &FeatureMatrix,
    labels: &[bool],
    k: usize,
    seed: u64,
    params: &ModelParams,
) -> Result<CrossFit, ClassifierError> {
    let fold_of = assign_folds(labels, k, seed);
    let fits: Vec<FoldOut> = (0..k)
        .into_par_iter()
        .map(|fold| fit_fold(x, labels, &fold_of, fold, seed, params))
        .collect::<Result<_, _>>()?;
    let mut proba = vec![0.0; x.rows];
    let mut importance = vec![0.0; x.cols];
    let mut folds = Vec::with_capacity(k);
    for out in fits {
        for (row, p) in out.rows.into_iter().zip(out.proba) {
            proba[row] = p;
        }
        for (total, g) in importance.iter_mut().zip(out.gain) {
            *total += g;
        }
        folds.push(out.fold);
    }
    Ok(CrossFit {
        proba,
        importance,
        folds,
        fold_of,
    })
}

/// The large-sample p-value (`calibration`, "Large samples"): fold f, for f from 1 to K - 1,
/// scored by a model trained on folds 0 to f - 1 only, each fold's Mann-Whitney statistic
/// exact and independent of the others' under no drift, their sum tested by Stouffer's method.
/// The last fold's scores are the cross-fit's own (its model trained on exactly the folds
/// before it), so K folds cost K - 2 fits more than the cross-fit: none at 2 folds.
fn prequential_p_value(
    x: &FeatureMatrix,
    labels: &[bool],
    fit: &CrossFit,
    options: &ClassifierOptions,
) -> Result<f64, ClassifierError> {
    let k = fit.folds.len();
    let rows_of =
        |fold: usize| -> Vec<usize> { (0..x.rows).filter(|&i| fit.fold_of[i] == fold).collect() };
    let z: Vec<f64> = (1..k)
        .into_par_iter()
        .map(|fold| {
            let test = rows_of(fold);
            let test_labels: Vec<bool> = test.iter().map(|&i| labels[i]).collect();
            let scores: Vec<f64> = if fold == k - 1 {
                test.iter().map(|&i| fit.proba[i]).collect()
            } else {
                let train: Vec<usize> = (0..x.rows).filter(|&i| fit.fold_of[i] < fold).collect();
                let y: Vec<f64> = train
                    .iter()
                    .map(|&i| f64::from(u8::from(labels[i])))
                    .collect();
                let seed = derive_seed(options.seed, 100 + fold as u64);
                model::fit(&options.model, &x.select(&train), &y, seed)?
                    .predict_proba(&x.select(&test))
            };
            Ok(calibration::mann_whitney_z(&test_labels, &scores))
        })
        .collect::<Result<_, ClassifierError>>()?;
    Ok(calibration::stouffer_p_value(&z))
}

/// Trains on every fold but `fold` and scores `fold`.
fn fit_fold(
    x: &FeatureMatrix,
    labels: &[bool],
    fold_of: &[usize],
    fold: usize,
    seed: u64,
    params: &ModelParams,
) -> Result<FoldOut, ClassifierError> {
    let (test, train): (Vec<usize>, Vec<usize>) = (0..x.rows).partition(|&i| fold_of[i] == fold);
    let y_train: Vec<f64> = train
        .iter()
        .map(|&i| f64::from(u8::from(labels[i])))
        .collect();
    let fitted = model::fit(
        params,
        &x.select(&train),
        &y_train,
        derive_seed(seed, 2 + fold as u64),
    )?;
    let proba = fitted.predict_proba(&x.select(&test));
    let predicted: Vec<bool> = proba.iter().map(|&p| p > 0.5).collect();
    let table = FoldTable {
        rows: test.len(),
        positives: test.iter().filter(|&&i| labels[i]).count(),
        predicted: predicted.iter().filter(|&&p| p).count(),
        true_positives: test
            .iter()
            .zip(&predicted)
            .filter(|&(&i, &p)| p && labels[i])
            .count(),
    };
    let fold = FoldFit {
        table,
        train_rows: train.len(),
    };
    Ok(FoldOut {
        gain: fitted.total_gain(x.cols),
        rows: test,
        proba,
        fold,
    })
}

fn validate_options(options: &ClassifierOptions) -> Result<(), ClassifierError> {
    let invalid = |option, value: String, reason| {
        Err(ClassifierError::InvalidOption {
            option,
            value,
            reason,
        })
    };
    if options.max_rows_per_side < MIN_ROWS_PER_SIDE {
        return invalid(
            "max_rows_per_side",
            options.max_rows_per_side.to_string(),
            "must be at least 10",
        );
    }
    if options.folds < 2 {
        return invalid("folds", options.folds.to_string(), "must be at least 2");
    }
    if !(options.significance_level > 0.0 && options.significance_level < 1.0) {
        return invalid(
            "significance_level",
            options.significance_level.to_string(),
            "must be between 0 and 1",
        );
    }
    options.model.validate()?;
    options.small_sample_model.validate()
}

fn kind_name(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

fn check_sample(
    sample: &RowSample,
    side: Side,
    features: &[FeatureSpec],
) -> Result<(), ClassifierError> {
    if sample.len() < MIN_ROWS_PER_SIDE {
        return Err(ClassifierError::TooFewRows {
            side,
            rows: sample.len(),
            min: MIN_ROWS_PER_SIDE,
        });
    }
    for f in features {
        let col = sample
            .column(&f.name)
            .ok_or_else(|| ClassifierError::MissingFeature {
                feature: f.name.clone(),
                side,
            })?;
        let (found, len) = match col {
            SampleColumn::Numeric(v) => (FeatureKind::Numeric, v.len()),
            SampleColumn::Categorical { codes, .. } => (FeatureKind::Categorical, codes.len()),
        };
        if found != f.kind {
            return Err(ClassifierError::KindMismatch {
                feature: f.name.clone(),
                side,
                declared: kind_name(f.kind),
                found: kind_name(found),
            });
        }
        if len != sample.len() {
            return Err(ClassifierError::RaggedSample {
                feature: f.name.clone(),
                side,
                len,
                rows: sample.len(),
            });
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_shrink_with_the_training_budget() {
        let o = ClassifierOptions::default();
        assert_eq!(folds_for(30, &o), 5);
        assert_eq!(folds_for(10_000, &o), 5);
        assert_eq!(folds_for(20_000, &o), 3);
        assert_eq!(folds_for(50_000, &o), 2);
        assert_eq!(folds_for(3, &o), 3);
    }

    #[test]
    fn folds_are_stratified_and_balanced() {
        let labels: Vec<bool> = (0..62).map(|i| i >= 31).collect();
        let fold_of = assign_folds(&labels, 5, 7);
        for fold in 0..5 {
            let base = fold_of[..31].iter().filter(|&&f| f == fold).count();
            let target = fold_of[31..].iter().filter(|&&f| f == fold).count();
            assert!((6..=7).contains(&base) && (6..=7).contains(&target));
        }
    }
}

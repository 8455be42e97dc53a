//! The domain classifier: two row samples in, `datadrift_coefficient`, per-feature
//! `datadrift_contribution` and a no-drift noise floor out.
//!
//! # Definition (Azure ML's)
//!
//! Baseline rows are labelled 0 and target rows 1. The rows are split 50/50, stratified by label
//! and seeded; a gradient-boosted tree classifier is trained on one half and scored on the other.
//! The coefficient is the Matthews correlation (MCC) of its hard predictions (probability > 0.5) on
//! the held-out half, clipped to [0, 1]. Beside it, the held-out ROC AUC and the sample sizes are
//! reported. Contributions are the booster's *total gain* importances, normalised to sum to 1.
//!
//! # Sampling
//!
//! Each side's [`RowSample`] is a bottom-k sample whose rows are sorted by priority, so its first
//! rows are a uniform sample of the data. Both sides use the same number of rows,
//! `min(baseline rows, target rows, max_rows_per_side)`, taken from the front. Equal sides keep the
//! classes balanced, which makes "probability > 0.5" the natural cut, makes a constant model
//! predict one class (MCC 0), and keeps the split gain the chi-squared statistic described below;
//! the smaller side bounds the classifier's power anyway.
//!
//! # Why it does not raise false alarms
//!
//! A plain held-out MCC under no drift scatters with sd about `1/sqrt(n_test)` (0.14 at 50 rows per
//! side), because a flexible model always finds some split in noise. With the logistic loss at
//! p = 0.5, a split's second-order gain `G_L²/H_L + G_R²/H_R − G²/H` is the score (Pearson
//! chi-squared) statistic of the 2 x 2 table "left/right x baseline/target", whatever the number of
//! rows. The largest such statistic over all features and cut points of pure noise stays below
//! about 20 (see [`BoosterParams::gamma`] for the measurement), while the statistic of a real
//! difference grows in proportion to the rows. So a minimum split gain (`gamma`) of that order
//! removes noise splits at every sample size and keeps real drift: with no drift the pruned trees
//! are single leaves, the model predicts one class, and the coefficient is exactly 0.
//!
//! The threshold prunes each tree bottom-up, as XGBoost's `gamma` does, so a weak split stays when
//! a strong one sits under it. That is how a flipped correlation is found: no single split on
//! either feature gains anything by itself, the splits under it do. (XGBoost prunes a tree before
//! growing the next; forust has no hook between rounds, so the trees are pruned after training and
//! later trees were fitted beside unpruned earlier ones. Their noise leaves are small, and the
//! measurements in `docs/classifier.md` show no false alarm and full power on the flipped
//! correlation: MCC 0.59 at 20,000 rows per side, where the best possible rule gives 0.59.)
//!
//! # Encoding
//!
//! Numeric features go in as they are; NaN (missing, invalid, non-finite) is handled by the
//! booster, which learns for every split which side missing values go to and may split
//! "missing vs present" on its own, so a jump in the missing rate is drift the classifier sees.
//! Categorical features are coded by baseline frequency: the most frequent baseline category (in
//! the classifier's baseline rows) is 0, the next 1, ties broken by label; categories that occur
//! only in the target get the codes after those, by target frequency; missing is NaN. Frequency
//! order puts categories of similar weight next to each other, so few cuts isolate a shift.

use rayon::prelude::*;
use std::collections::HashMap;
use std::fmt;
use std::time::Instant;

use forust_ml::GradientBooster;
use forust_ml::gradientbooster::ImportanceMethod;
use forust_ml::objective::ObjectiveType;

use crate::base::rng::{SplitMix64, derive_seed};
use crate::drift::result::{ClassifierSummary, FeatureKind, NoiseFloor};
use crate::profile::sample::{MISSING_CODE, RowSample, SampleColumn};

/// Fewest rows per side the classifier runs on: fewer cannot give a held-out half on each side.
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
    /// The booster rejected its input or parameters.
    #[error("domain classifier: the booster failed: {0}")]
    Booster(String),
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

/// Parameters of the gradient-boosted trees. The defaults were measured on this machine; the
/// measurements are in `docs/classifier.md`.
#[derive(Debug, Clone, PartialEq)]
pub struct BoosterParams {
    /// Boosting rounds. Default 50.
    pub iterations: usize,
    /// Shrinkage of each tree. Default 0.3.
    pub learning_rate: f32,
    /// Depth of each tree; depth 4 sees interactions of up to four features (a flipped
    /// correlation needs two). Default 4.
    pub max_depth: usize,
    /// Minimum split gain, applied XGBoost-style after a tree is grown (see `prune`). The gain
    /// of a split at p = 0.5 is a chi-squared statistic; over pure noise the largest one found
    /// over 20 features x 256 cut points had a 99.9th percentile of 16 to 23 at 50 to 50,000
    /// training rows. With 25, no-drift runs gave a coefficient of exactly 0 in all of 200 trials
    /// at 50, 500 and 5,000 rows per side and 20 at 50,000; with 15, 3 % of trials at 500 rows
    /// passed 0.05. Default 25.
    pub gamma: f32,
    /// Minimum hessian sum in a leaf (0.25 per row at p = 0.5), so that a leaf holds at least
    /// about 20 rows and the chi-squared reading of the gain holds. Default 5.
    pub min_leaf_weight: f32,
    /// L2 penalty on leaf weights. Default 1.
    pub l2: f32,
    /// Histogram bins per feature. Default 256.
    pub nbins: u16,
}

impl Default for BoosterParams {
    fn default() -> Self {
        BoosterParams {
            iterations: 50,
            learning_rate: 0.3,
            max_depth: 4,
            gamma: 25.0,
            min_leaf_weight: 5.0,
            l2: 1.0,
            nbins: 256,
        }
    }
}

/// Knobs of [`score`].
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierOptions {
    /// Most rows used from each side's row sample. Default 50,000.
    pub max_rows_per_side: usize,
    /// Seed of the split and the booster. Default 42.
    pub seed: u64,
    /// Baseline-vs-baseline runs behind the noise floor; 0 turns it off. Default 3.
    pub noise_floor_repetitions: usize,
    /// The booster's parameters.
    pub booster: BoosterParams,
}

impl Default for ClassifierOptions {
    fn default() -> Self {
        ClassifierOptions {
            max_rows_per_side: 50_000,
            seed: 42,
            noise_floor_repetitions: 3,
            booster: BoosterParams::default(),
        }
    }
}

/// What [`score`] found.
#[derive(Debug, Clone, PartialEq)]
pub struct ClassifierOutcome {
    /// `datadrift_coefficient`: held-out MCC clipped to [0, 1].
    pub coefficient: f64,
    /// `datadrift_contribution` per feature, in the order of the feature list; sums to 1, or is
    /// all 0 when the model made no split.
    pub contributions: Vec<(String, f64)>,
    /// Details for the result document.
    pub summary: ClassifierSummary,
}

/// Features in column-major order, as the booster reads them; NaN is missing.
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureMatrix {
    /// `cols` columns of `rows` values each, one after the other.
    pub data: Vec<f64>,
    /// Number of rows.
    pub rows: usize,
    /// Number of columns (features).
    pub cols: usize,
}

impl FeatureMatrix {
    /// The rows at `index`, in that order.
    fn select(&self, index: &[usize]) -> FeatureMatrix {
        let mut data = Vec::with_capacity(index.len() * self.cols);
        for c in 0..self.cols {
            let col = &self.data[c * self.rows..(c + 1) * self.rows];
            data.extend(index.iter().map(|&i| col[i]));
        }
        FeatureMatrix {
            data,
            rows: index.len(),
            cols: self.cols,
        }
    }
}

/// A binary probabilistic classifier with per-feature importances: what the coefficient needs
/// from a model. The contract: `fit` may be called once; `predict_proba` gives P(label = 1) per
/// row; `feature_importance` gives one non-negative value per column (not normalised).
pub trait Booster {
    /// Trains on `x` with labels `y` (0.0 or 1.0).
    fn fit(&mut self, x: &FeatureMatrix, y: &[f64]) -> Result<(), ClassifierError>;
    /// Probability of label 1 for each row of `x`.
    fn predict_proba(&self, x: &FeatureMatrix) -> Vec<f64>;
    /// Importance of each column, in column order.
    fn feature_importance(&self, cols: usize) -> Vec<f64>;
    /// One line naming the model and its parameters.
    fn describe(&self) -> String;
}

/// Gradient-boosted trees from forust-ml (logistic loss, depth-wise growth, native missing
/// handling), the one [`Booster`].
pub struct ForustBooster {
    params: BoosterParams,
    model: GradientBooster,
}

impl ForustBooster {
    /// A booster with these parameters and seed.
    pub fn new(params: &BoosterParams, seed: u64) -> Self {
        let model = GradientBooster::default()
            .set_objective_type(ObjectiveType::LogLoss)
            .set_iterations(params.iterations)
            .set_learning_rate(params.learning_rate)
            .set_max_depth(params.max_depth)
            // Pruning happens after growth (see `prune`), so forust itself must not pre-prune.
            .set_gamma(0.0)
            .set_min_leaf_weight(params.min_leaf_weight)
            .set_l2(params.l2)
            .set_nbins(params.nbins)
            .set_subsample(1.0)
            .set_allow_missing_splits(true)
            .set_create_missing_branch(false)
            .set_initialize_base_score(false)
            .set_base_score(0.0)
            .set_parallel(true)
            .set_seed(seed);
        ForustBooster {
            params: params.clone(),
            model,
        }
    }
}

impl Booster for ForustBooster {
    fn fit(&mut self, x: &FeatureMatrix, y: &[f64]) -> Result<(), ClassifierError> {
        let ones = y.iter().filter(|&&v| v == 1.0).count();
        let zeros = y.len() - ones;
        // Start from the training prior (0 when the classes are balanced, as `score` makes them).
        let base = if ones > 0 && zeros > 0 {
            (ones as f64 / zeros as f64).ln()
        } else {
            0.0
        };
        self.model.base_score = base;
        let matrix = forust_ml::Matrix::new(&x.data, x.rows, x.cols);
        self.model
            .fit_unweighted(&matrix, y, None)
            .map_err(|e| ClassifierError::Booster(e.to_string()))?;
        let gamma = self.params.gamma;
        for tree in &mut self.model.trees {
            let splits: Vec<SplitNode> = tree
                .nodes
                .iter()
                .map(|n| SplitNode {
                    is_leaf: n.is_leaf,
                    children: [n.left_child, n.right_child, n.missing_node],
                    gain: n.split_gain,
                })
                .collect();
            for idx in prune(&splits, gamma) {
                tree.nodes[idx].is_leaf = true;
            }
        }
        Ok(())
    }

    fn predict_proba(&self, x: &FeatureMatrix) -> Vec<f64> {
        let matrix = forust_ml::Matrix::new(&x.data, x.rows, x.cols);
        self.model
            .predict(&matrix, true)
            .into_iter()
            .map(|z| 1.0 / (1.0 + (-z).exp()))
            .collect()
    }

    fn feature_importance(&self, cols: usize) -> Vec<f64> {
        // Trees are grown with forust's own `gamma` at 0, so a split's stored gain is its whole
        // loss reduction; pruned splits are leaves now and no longer count.
        let gain = self
            .model
            .calculate_feature_importance(ImportanceMethod::TotalGain, false);
        (0..cols)
            .map(|c| (gain.get(&c).copied().unwrap_or(0.0) as f64).max(0.0))
            .collect()
    }

    fn describe(&self) -> String {
        let p = &self.params;
        format!(
            "gradient-boosted trees (forust-ml 0.8), {} rounds, depth {}, learning rate {}, min split gain {}, min leaf hessian {}",
            p.iterations, p.max_depth, p.learning_rate, p.gamma, p.min_leaf_weight
        )
    }
}

/// One split of a grown tree, as [`prune`] needs it (forust's node type is private).
#[derive(Debug, Clone, Copy)]
struct SplitNode {
    is_leaf: bool,
    children: [usize; 3],
    gain: f32,
}

/// Bottom-up pruning as XGBoost applies its `gamma`: a split whose gain is below `gamma` becomes
/// a leaf (with its own weight) when nothing below it is kept. Returns the nodes that become
/// leaves.
///
/// Pruning after growth, rather than refusing weak splits while growing, is what lets the
/// classifier see interactions: when two features' correlation flips while their marginals stay
/// put, the first split on either feature gains nothing by itself, yet the splits under it do.
fn prune(nodes: &[SplitNode], gamma: f32) -> Vec<usize> {
    // Post-order walk without recursion; `kept[i]` says whether node i's subtree keeps a split.
    let mut kept = vec![false; nodes.len()];
    let mut pruned = Vec::new();
    let mut stack = vec![(0usize, false)];
    while let Some((idx, children_done)) = stack.pop() {
        let Some(node) = nodes.get(idx) else { continue };
        if node.is_leaf {
            continue;
        }
        let mut children = node.children.to_vec();
        children.sort_unstable();
        children.dedup();
        children.retain(|&c| c != idx && c < nodes.len());
        if !children_done {
            stack.push((idx, true));
            stack.extend(children.iter().map(|&c| (c, false)));
            continue;
        }
        let below = children.iter().any(|&c| kept[c]);
        if below || node.gain >= gamma {
            kept[idx] = true;
        } else {
            pruned.push(idx);
        }
    }
    pruned
}

/// Scores drift between two row samples: coefficient, contributions and noise floor.
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
    // The baseline's coding covers the rows the noise floor draws from as well.
    let pool_rows = baseline.len().min(2 * per_side);
    let encoder = Encoder::new(baseline, pool_rows, target, per_side, features)?;
    let x_base = encoder.encode(baseline, Side::Baseline, 0..per_side)?;
    let x_target = encoder.encode(target, Side::Target, 0..per_side)?;
    let x = stack(&x_base, &x_target);
    drop((x_base, x_target));
    // The noise-floor fits do not depend on the real one: run them beside it. forust
    // parallelises only parts of a fit, so two fits at once keep both cores busier.
    let (run, noise_floor) = rayon::join(
        || {
            let mut booster = ForustBooster::new(&options.booster, options.seed);
            fit_and_score(&x, None, per_side, options.seed, &mut booster)
        },
        || noise_floor(baseline, &encoder, per_side, options),
    );
    let (run, noise_floor) = (run?, noise_floor?);

    let total: f64 = run.importance.iter().sum();
    let contributions = features
        .iter()
        .zip(&run.importance)
        .map(|(f, &g)| {
            let share = if total > 0.0 { g / total } else { 0.0 };
            (f.name.clone(), share)
        })
        .collect();
    let summary = ClassifierSummary {
        model: run.model,
        importance: "total_gain".to_string(),
        mcc_raw: run.mcc,
        roc_auc: run.auc,
        baseline_sample_rows: per_side,
        target_sample_rows: per_side,
        train_rows: run.train_rows,
        test_rows: run.test_rows,
        seed: options.seed,
        noise_floor,
        duration_ms: started.elapsed().as_millis() as u64,
    };
    Ok(ClassifierOutcome {
        coefficient: run.mcc.clamp(0.0, 1.0),
        contributions,
        summary,
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
    let b = &options.booster;
    if options.max_rows_per_side < MIN_ROWS_PER_SIDE {
        return invalid(
            "max_rows_per_side",
            options.max_rows_per_side.to_string(),
            "must be at least 10",
        );
    }
    if b.iterations == 0 {
        return invalid("iterations", "0".into(), "must be at least 1");
    }
    if b.max_depth == 0 {
        return invalid("max_depth", "0".into(), "must be at least 1");
    }
    if !(b.learning_rate.is_finite() && b.learning_rate > 0.0) {
        return invalid(
            "learning_rate",
            b.learning_rate.to_string(),
            "must be a positive number",
        );
    }
    for (name, v) in [
        ("gamma", b.gamma),
        ("min_leaf_weight", b.min_leaf_weight),
        ("l2", b.l2),
    ] {
        if !(v.is_finite() && v >= 0.0) {
            return invalid(name, v.to_string(), "must be a number >= 0");
        }
    }
    if b.nbins < 2 {
        return invalid("nbins", b.nbins.to_string(), "must be at least 2");
    }
    Ok(())
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

/// How each feature becomes a column of numbers: for a categorical feature, the code of each
/// label (see the module docs); numeric features pass through.
struct Encoder {
    names: Vec<String>,
    /// Per feature: `None` for numeric, else label -> code.
    codes: Vec<Option<HashMap<String, f64>>>,
}

impl Encoder {
    /// Codes from the first `baseline_rows` baseline rows and `target_rows` target rows.
    fn new(
        baseline: &RowSample,
        baseline_rows: usize,
        target: &RowSample,
        target_rows: usize,
        features: &[FeatureSpec],
    ) -> Result<Self, ClassifierError> {
        let mut codes = Vec::with_capacity(features.len());
        for f in features {
            if f.kind == FeatureKind::Numeric {
                codes.push(None);
                continue;
            }
            let base = label_counts(baseline, Side::Baseline, &f.name, baseline_rows)?;
            let tgt = label_counts(target, Side::Target, &f.name, target_rows)?;
            let mut map = HashMap::new();
            for (label, _) in ordered(&base) {
                let next = map.len() as f64;
                map.insert(label.to_string(), next);
            }
            for (label, _) in ordered(&tgt) {
                if !map.contains_key(label) {
                    let next = map.len() as f64;
                    map.insert(label.to_string(), next);
                }
            }
            codes.push(Some(map));
        }
        Ok(Encoder {
            names: features.iter().map(|f| f.name.clone()).collect(),
            codes,
        })
    }

    /// Column-major matrix of the rows `range` of `sample`.
    fn encode(
        &self,
        sample: &RowSample,
        side: Side,
        range: std::ops::Range<usize>,
    ) -> Result<FeatureMatrix, ClassifierError> {
        let rows = range.len();
        let mut data = Vec::with_capacity(rows * self.names.len());
        for (name, codes) in self.names.iter().zip(&self.codes) {
            let col = sample
                .column(name)
                .ok_or_else(|| ClassifierError::MissingFeature {
                    feature: name.clone(),
                    side,
                })?;
            match (col, codes) {
                (SampleColumn::Numeric(v), _) => data.extend(
                    v[range.clone()]
                        .iter()
                        .map(|&x| if x.is_finite() { x } else { f64::NAN }),
                ),
                (
                    SampleColumn::Categorical {
                        codes: sampled,
                        dictionary,
                    },
                    Some(map),
                ) => {
                    // Translate the sample's dictionary once, then each row.
                    let local: Vec<f64> = dictionary
                        .iter()
                        .map(|label| map.get(label).copied().unwrap_or(f64::NAN))
                        .collect();
                    for &code in &sampled[range.clone()] {
                        data.push(categorical_value(&local, code, name, side)?);
                    }
                }
                (SampleColumn::Categorical { .. }, None) => {
                    return Err(ClassifierError::KindMismatch {
                        feature: name.clone(),
                        side,
                        declared: "numeric",
                        found: "categorical",
                    });
                }
            }
        }
        Ok(FeatureMatrix {
            data,
            rows,
            cols: self.names.len(),
        })
    }
}

fn categorical_value(
    local: &[f64],
    code: u32,
    name: &str,
    side: Side,
) -> Result<f64, ClassifierError> {
    if code == MISSING_CODE {
        return Ok(f64::NAN);
    }
    local
        .get(code as usize)
        .copied()
        .ok_or_else(|| ClassifierError::BadCode {
            feature: name.to_string(),
            side,
            code,
            dictionary: local.len(),
        })
}

/// Occurrences of each label among the first `rows` rows of a categorical sample column.
fn label_counts<'a>(
    sample: &'a RowSample,
    side: Side,
    name: &str,
    rows: usize,
) -> Result<Vec<(&'a str, usize)>, ClassifierError> {
    let Some(SampleColumn::Categorical { codes, dictionary }) = sample.column(name) else {
        return Err(ClassifierError::MissingFeature {
            feature: name.to_string(),
            side,
        });
    };
    let mut counts = vec![0usize; dictionary.len()];
    for &code in codes.iter().take(rows) {
        if code == MISSING_CODE {
            continue;
        }
        match counts.get_mut(code as usize) {
            Some(c) => *c += 1,
            None => {
                return Err(ClassifierError::BadCode {
                    feature: name.to_string(),
                    side,
                    code,
                    dictionary: dictionary.len(),
                });
            }
        }
    }
    Ok(dictionary
        .iter()
        .map(String::as_str)
        .zip(counts)
        .filter(|(_, c)| *c > 0)
        .collect())
}

/// Labels by descending count, ties by label, so the coding does not depend on dictionary order.
fn ordered<'a>(counts: &[(&'a str, usize)]) -> Vec<(&'a str, usize)> {
    let mut v = counts.to_vec();
    v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    v
}

/// Baseline rows on top of target rows.
fn stack(a: &FeatureMatrix, b: &FeatureMatrix) -> FeatureMatrix {
    let rows = a.rows + b.rows;
    let mut data = Vec::with_capacity(rows * a.cols);
    for c in 0..a.cols {
        data.extend_from_slice(&a.data[c * a.rows..(c + 1) * a.rows]);
        data.extend_from_slice(&b.data[c * b.rows..(c + 1) * b.rows]);
    }
    FeatureMatrix {
        data,
        rows,
        cols: a.cols,
    }
}

/// One train/score run.
struct Run {
    mcc: f64,
    auc: f64,
    importance: Vec<f64>,
    train_rows: usize,
    test_rows: usize,
    model: String,
}

/// Trains on a stratified half of `2 * per_side` rows (the first `per_side` label 0, the next
/// `per_side` label 1) and scores the other half. Row `i` is row `rows[i]` of `x`, or row `i`
/// without `rows`: the noise floor's rows are a shuffle of the baseline pool, picked without
/// copying the pool first.
fn fit_and_score(
    x: &FeatureMatrix,
    rows: Option<&[usize]>,
    per_side: usize,
    seed: u64,
    booster: &mut dyn Booster,
) -> Result<Run, ClassifierError> {
    let mut rng = SplitMix64::new(seed);
    let mut train = Vec::with_capacity(per_side + 1);
    let mut test = Vec::with_capacity(per_side + 1);
    for label in 0..2 {
        let mut idx: Vec<usize> = (label * per_side..(label + 1) * per_side).collect();
        rng.shuffle(&mut idx);
        // As scikit-learn's train_test_split(test_size=0.5): the held-out half gets the odd row.
        let n_test = per_side.div_ceil(2);
        test.extend_from_slice(&idx[..n_test]);
        train.extend_from_slice(&idx[n_test..]);
    }
    let label = |i: usize| if i < per_side { 0.0 } else { 1.0 };
    let in_x = |picked: &[usize]| -> Vec<usize> {
        match rows {
            Some(rows) => picked.iter().map(|&i| rows[i]).collect(),
            None => picked.to_vec(),
        }
    };
    let y_train: Vec<f64> = train.iter().map(|&i| label(i)).collect();
    let y_test: Vec<bool> = test.iter().map(|&i| label(i) == 1.0).collect();
    // One copy of the data at a time: fits run side by side.
    let x_train = x.select(&in_x(&train));
    booster.fit(&x_train, &y_train)?;
    drop(x_train);
    let x_test = x.select(&in_x(&test));
    let proba = booster.predict_proba(&x_test);
    let predicted: Vec<bool> = proba.iter().map(|&p| p > 0.5).collect();
    Ok(Run {
        mcc: matthews_correlation(&y_test, &predicted),
        auc: roc_auc(&y_test, &proba),
        importance: booster.feature_importance(x.cols),
        train_rows: train.len(),
        test_rows: test.len(),
        model: booster.describe(),
    })
}

/// The coefficient under no drift: the same classifier on two disjoint random halves of the
/// baseline sample, `repetitions` times with different seeds, each half with `per_side` rows
/// when the sample holds twice that, else as many as it allows.
fn noise_floor(
    baseline: &RowSample,
    encoder: &Encoder,
    per_side: usize,
    options: &ClassifierOptions,
) -> Result<NoiseFloor, ClassifierError> {
    let half = per_side.min(baseline.len() / 2);
    if options.noise_floor_repetitions == 0 || half < MIN_ROWS_PER_SIDE {
        return Ok(NoiseFloor::default());
    }
    let pool = encoder.encode(
        baseline,
        Side::Baseline,
        0..baseline.len().min(2 * per_side),
    )?;
    // The repetitions are independent: fit them at once, beside the real fit (see `score`).
    let coefficients: Vec<f64> = (0..options.noise_floor_repetitions)
        .into_par_iter()
        .map(|r| {
            let seed = derive_seed(options.seed, r as u64);
            let mut idx: Vec<usize> = (0..pool.rows).collect();
            SplitMix64::new(seed).shuffle(&mut idx);
            let mut booster = ForustBooster::new(&options.booster, seed);
            fit_and_score(&pool, Some(&idx[..2 * half]), half, seed, &mut booster)
                .map(|run| run.mcc.clamp(0.0, 1.0))
        })
        .collect::<Result<_, _>>()?;
    Ok(NoiseFloor {
        mean: coefficients.iter().sum::<f64>() / coefficients.len() as f64,
        max: coefficients.iter().copied().fold(0.0, f64::max),
        repetitions: coefficients.len(),
        rows_per_side: half,
    })
}

/// Matthews correlation of hard predictions, computed in f64; 0 when a row or column of the
/// confusion matrix is empty, as scikit-learn's `matthews_corrcoef` defines it.
///
/// linfa's `ConfusionMatrix::mcc` accumulates products of counts in f32, which cancels badly at
/// 10^5 rows, and returns NaN for a constant prediction; hence this one.
pub fn matthews_correlation(truth: &[bool], predicted: &[bool]) -> f64 {
    let (mut tp, mut tn, mut fp, mut fn_) = (0.0f64, 0.0f64, 0.0f64, 0.0f64);
    for (&t, &p) in truth.iter().zip(predicted) {
        match (t, p) {
            (true, true) => tp += 1.0,
            (false, false) => tn += 1.0,
            (false, true) => fp += 1.0,
            (true, false) => fn_ += 1.0,
        }
    }
    let denominator = (tp + fp) * (tp + fn_) * (tn + fp) * (tn + fn_);
    if denominator == 0.0 {
        return 0.0;
    }
    (tp * tn - fp * fn_) / denominator.sqrt()
}

/// ROC AUC by the rank-sum (Mann-Whitney) formula with tied scores counted half, which equals
/// scikit-learn's `roc_auc_score`. 0.5 when one class is absent. NaN scores rank lowest.
///
/// linfa's ROC compares f32 scores with a 1e-10 tolerance and panics on NaN; hence this one.
pub fn roc_auc(truth: &[bool], scores: &[f64]) -> f64 {
    let n = truth.len().min(scores.len());
    let positives = truth[..n].iter().filter(|&&t| t).count() as f64;
    let negatives = n as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return 0.5;
    }
    let key = |s: f64| if s.is_nan() { f64::NEG_INFINITY } else { s };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| key(scores[a]).total_cmp(&key(scores[b])));
    let mut rank_sum = 0.0;
    let mut i = 0;
    while i < n {
        let mut j = i;
        while j + 1 < n && key(scores[order[j + 1]]) == key(scores[order[i]]) {
            j += 1;
        }
        // Ranks i+1 ..= j+1 share their mean.
        let mid = (i + j) as f64 / 2.0 + 1.0;
        for &k in &order[i..=j] {
            if truth[k] {
                rank_sum += mid;
            }
        }
        i = j + 1;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mcc_matches_sklearn() {
        // sklearn.metrics.matthews_corrcoef([1,1,1,0,0,0,1,0], [1,0,1,0,1,0,1,0]) == 0.5
        let t = [true, true, true, false, false, false, true, false];
        let p = [true, false, true, false, true, false, true, false];
        assert!((matthews_correlation(&t, &p) - 0.5).abs() < 1e-12);
        // Constant prediction: sklearn returns 0.0.
        assert_eq!(matthews_correlation(&t, &[false; 8]), 0.0);
        // sklearn.metrics.matthews_corrcoef([1,0,1,1,0,1,0,0,1], [1,1,0,1,0,1,1,0,1]) == 0.31622776601683794
        let t = [true, false, true, true, false, true, false, false, true];
        let p = [true, true, false, true, false, true, true, false, true];
        assert!((matthews_correlation(&t, &p) - 0.31622776601683794).abs() < 1e-12);
    }

    #[test]
    fn auc_matches_sklearn_with_ties() {
        // sklearn.metrics.roc_auc_score([0,0,1,1,0,1], [0.1,0.4,0.35,0.8,0.4,0.4]) == 0.6666666666666667
        let t = [false, false, true, true, false, true];
        let s = [0.1, 0.4, 0.35, 0.8, 0.4, 0.4];
        assert!((roc_auc(&t, &s) - 0.6666666666666667).abs() < 1e-12);
        // All scores tied -> 0.5.
        assert!((roc_auc(&t, &[0.5; 6]) - 0.5).abs() < 1e-12);
    }

    fn split(children: [usize; 2], gain: f32) -> SplitNode {
        SplitNode {
            is_leaf: false,
            children: [children[0], children[1], children[1]],
            gain,
        }
    }

    fn leaf() -> SplitNode {
        SplitNode {
            is_leaf: true,
            children: [0; 3],
            gain: 0.0,
        }
    }

    #[test]
    fn pruning_keeps_weak_splits_above_strong_ones() {
        // 0 (gain 1) -> 1 (gain 40) -> leaves 3, 4
        //            -> 2 (gain 3)  -> leaves 5, 6
        let nodes = vec![
            split([1, 2], 1.0),
            split([3, 4], 40.0),
            split([5, 6], 3.0),
            leaf(),
            leaf(),
            leaf(),
            leaf(),
        ];
        let mut pruned = prune(&nodes, 25.0);
        pruned.sort();
        assert_eq!(
            pruned,
            vec![2],
            "only the weak subtree goes; the weak root stays"
        );
        // Nothing strong anywhere: the whole tree becomes one leaf, bottom-up.
        let mut pruned = prune(&nodes, 50.0);
        pruned.sort();
        assert_eq!(pruned, vec![0, 1, 2]);
        // A single leaf stays as it is.
        assert!(prune(&[leaf()], 25.0).is_empty());
    }
}

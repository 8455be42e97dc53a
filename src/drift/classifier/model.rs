//! The model behind the coefficient: gradient-boosted trees from forust-ml (logistic loss, native
//! missing-value handling, total-gain importances), fitted once per cross-fitting fold.
//!
//! No split is refused for a small gain: whether the fit found anything is decided afterwards,
//! by comparing the cross-fitted Matthews correlation with its null distribution
//! (`super::calibration`). This is the large-sample model (above `max_rows_permutation` rows per
//! side): forust fits 50,000 rows per side inside the time budget, handles missing values and
//! gives total-gain importances; its fixed cost per fit (binning, allocation, threads) is what
//! made it the wrong tool for the permutation null's hundreds of refits (`super::forest`).

use forust_ml::GradientBooster;
use forust_ml::gradientbooster::ImportanceMethod;
use forust_ml::objective::ObjectiveType;

use super::ClassifierError;
use super::encoding::FeatureMatrix;

/// Rows of training data above which one fit uses several threads; below it, thread hand-offs
/// cost more than they save and the folds run side by side instead.
const PARALLEL_FIT_ROWS: usize = 20_000;

/// Parameters of the gradient-boosted trees, the model above `max_rows_permutation` rows per side
/// (below, `super::forest`), chosen by measurement (`docs/classifier.md`).
#[derive(Debug, Clone, PartialEq)]
pub struct ModelParams {
    /// Boosting rounds. Default 30.
    pub iterations: usize,
    /// Shrinkage of each tree. Default 0.3.
    pub learning_rate: f32,
    /// Depth of each tree; depth 3 sees interactions of up to three features (a flipped
    /// correlation needs two). Default 3.
    pub max_depth: usize,
    /// Minimum hessian sum in a leaf (0.25 per row at p = 0.5). Default 1.
    pub min_leaf_weight: f32,
    /// L2 penalty on leaf weights. Default 1.
    pub l2: f32,
    /// Histogram bins per feature. Default 256.
    pub nbins: u16,
    /// Share of the training rows each round sees (stochastic boosting). Default 1.
    pub subsample: f32,
    /// Share of the features each tree may use. Default 1.
    pub colsample: f64,
}

impl Default for ModelParams {
    fn default() -> Self {
        ModelParams {
            iterations: 30,
            learning_rate: 0.3,
            max_depth: 3,
            min_leaf_weight: 1.0,
            l2: 1.0,
            nbins: 256,
            subsample: 1.0,
            colsample: 1.0,
        }
    }
}

impl ModelParams {
    /// One line naming the model and its parameters, for the result document.
    pub fn describe(&self) -> String {
        format!(
            "gradient-boosted trees (forust-ml 0.8), {} rounds, depth {}, learning rate {}, min leaf hessian {}, subsample {}, colsample {}",
            self.iterations,
            self.max_depth,
            self.learning_rate,
            self.min_leaf_weight,
            self.subsample,
            self.colsample
        )
    }

    /// Checks every parameter's range.
    pub(super) fn validate(&self) -> Result<(), ClassifierError> {
        let invalid = |option, value: String, reason| {
            Err(ClassifierError::InvalidOption {
                option,
                value,
                reason,
            })
        };
        if self.iterations == 0 {
            return invalid("iterations", "0".into(), "must be at least 1");
        }
        if self.max_depth == 0 {
            return invalid("max_depth", "0".into(), "must be at least 1");
        }
        if !(self.learning_rate.is_finite() && self.learning_rate > 0.0) {
            return invalid(
                "learning_rate",
                self.learning_rate.to_string(),
                "must be a positive number",
            );
        }
        for (name, v) in [("min_leaf_weight", self.min_leaf_weight), ("l2", self.l2)] {
            if !(v.is_finite() && v >= 0.0) {
                return invalid(name, v.to_string(), "must be a number >= 0");
            }
        }
        if !(self.subsample > 0.0 && self.subsample <= 1.0) {
            return invalid("subsample", self.subsample.to_string(), "must be in (0, 1]");
        }
        if !(self.colsample > 0.0 && self.colsample <= 1.0) {
            return invalid("colsample", self.colsample.to_string(), "must be in (0, 1]");
        }
        if self.nbins < 2 {
            return invalid("nbins", self.nbins.to_string(), "must be at least 2");
        }
        Ok(())
    }
}

/// A fitted model: P(target) for new rows, and the total gain of each feature's splits.
pub(super) struct Fitted {
    model: GradientBooster,
}

/// Trains on `x` with labels `y` (0.0 baseline, 1.0 target).
pub(super) fn fit(
    params: &ModelParams,
    x: &FeatureMatrix,
    y: &[f64],
    seed: u64,
) -> Result<Fitted, ClassifierError> {
    let ones = y.iter().filter(|&&v| v == 1.0).count();
    let zeros = y.len() - ones;
    // Start from the training prior (0 when the classes are balanced, as the folds make them).
    let base = if ones > 0 && zeros > 0 {
        (ones as f64 / zeros as f64).ln()
    } else {
        0.0
    };
    let mut model = GradientBooster::default()
        .set_objective_type(ObjectiveType::LogLoss)
        .set_iterations(params.iterations)
        .set_learning_rate(params.learning_rate)
        .set_max_depth(params.max_depth)
        .set_gamma(0.0)
        .set_min_leaf_weight(params.min_leaf_weight)
        .set_l2(params.l2)
        .set_nbins(params.nbins)
        .set_subsample(params.subsample)
        .set_colsample_bytree(params.colsample)
        .set_allow_missing_splits(true)
        .set_create_missing_branch(false)
        .set_initialize_base_score(false)
        .set_base_score(base)
        .set_parallel(x.rows >= PARALLEL_FIT_ROWS)
        .set_seed(seed);
    let matrix = forust_ml::Matrix::new(&x.data, x.rows, x.cols);
    model
        .fit_unweighted(&matrix, y, None)
        .map_err(|e| ClassifierError::Model(e.to_string()))?;
    Ok(Fitted { model })
}

impl Fitted {
    /// Probability of the target label for each row of `x`.
    pub(super) fn predict_proba(&self, x: &FeatureMatrix) -> Vec<f64> {
        let matrix = forust_ml::Matrix::new(&x.data, x.rows, x.cols);
        self.model
            .predict(&matrix, x.rows >= PARALLEL_FIT_ROWS)
            .into_iter()
            .map(|z| 1.0 / (1.0 + (-z).exp()))
            .collect()
    }

    /// Total gain of each column's splits (the loss reduction they bring, summed), in column
    /// order; 0 for a column never split on.
    pub(super) fn total_gain(&self, cols: usize) -> Vec<f64> {
        let gain = self
            .model
            .calculate_feature_importance(ImportanceMethod::TotalGain, false);
        (0..cols)
            .map(|c| (gain.get(&c).copied().unwrap_or(0.0) as f64).max(0.0))
            .collect()
    }
}

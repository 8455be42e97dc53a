//! Estimated regression performance without labels: direct loss estimation (DLE).
//!
//! On the labelled reference, gradient-boosted trees (forust-ml, squared loss) learn each row's
//! absolute error, squared error and absolute percentage error from the features and the
//! prediction. Each loss is learnt [`HALVES`] times, each time from a different random half of
//! the reference rows. A window's estimated MAE, MSE and MAPE are the means of the halves' mean
//! predictions for its rows; RMSE is the root of the estimated MSE.
//!
//! The band adds two variances:
//! - the window's own losses vary around their expectations: each row's loss around its
//!   prediction `m` with a variance `v x m^2`, the loss being its expectation times a noise of
//!   one shape everywhere (`|e|` and `e^2` of a normal error of any spread are). `v` is measured
//!   on the reference as the squared residuals of the losses over their squared predictions, each
//!   row predicted by the halves that did not learn from it (out of bag: an in-sample residual
//!   would be too small). The share `mean(L^2) / mean(L)^2 - 1` over all rows would count the
//!   spread of the expectations between rows as noise, and made the bands of 100 rows too wide;
//! - the loss models are learnt from a finite reference, and their error is shared by every row
//!   of the window: with 10,000 reference rows it is about as large as the window's own noise at
//!   10,000 rows, twice as large under a shift. Its variance is read from the halves: for a mean, the spread of means of random halves
//!   drawn without replacement is the error of the mean of all rows, so the variance of the
//!   halves' window estimates, times `1 + 1 / HALVES` for averaging a finite number of them, is
//!   the error of their average.
//!
//! That second variance is itself measured from 8 values (7 degrees of freedom). Where it is
//! most of the band (10,000 rows or more, or inputs shifted beyond where the reference has many
//! rows, where the halves disagree most) a normal band built on it holds the realized value in
//! about 92 % of windows, not 95 %, for the reason a t interval is wider than a normal one. So
//! the sampling error is widened by the ratio of Student's t quantile to the normal one at
//! Satterthwaite's degrees of freedom for the sum (the first variance counted as known): a
//! factor of 1.007 where the models' error is a fifth of the variance, 1.12 where it is four
//! fifths, 1.21 (t with 7 degrees of freedom) at the limit. The sampling error reported is the
//! standard error so widened: the estimate +- 1.96 of it is the t interval.

use forust_ml::GradientBooster;
use forust_ml::objective::ObjectiveType;
use statrs::distribution::{ContinuousCDF, StudentsT};

use super::Metric;
use super::estimate::Estimated;
use super::uncertainty::Z95;
use crate::base::rng::{SplitMix64, derive_seed};

/// Trees per loss model and their depth: enough for a smooth loss surface over 20 features.
const ROUNDS: usize = 100;
const DEPTH: usize = 4;
/// Loss models per loss, each learnt from a random half of the reference: with 8, the variance
/// of the models' error is measured with 7 degrees of freedom, the fits cost as much as 4 fits on
/// all rows (run one per core from 20,000 reference rows) and a window is predicted 24 times.
pub const HALVES: usize = 8;
/// Rows predicted together, tree by tree.
const BLOCK: usize = 256;
/// Rows that walk a tree side by side.
const LANES: usize = 8;

/// The fitted loss models.
pub struct Dle {
    models: Vec<LossModel>,
}

struct LossModel {
    metric: Metric,
    halves: Vec<Trees>,
    /// `v`: the variance of a row's loss over its expectation squared.
    spread: f64,
}

/// A fitted booster's trees laid out flat for prediction. A window is predicted by
/// `3 x HALVES` models, and forust's own prediction walks each tree with a branch per level that
/// the processor cannot foresee; here every tree is walked for exactly its depth with selects
/// instead of branches (a leaf leads to itself), tree by tree over blocks of rows.
struct Trees {
    base: f64,
    /// Every tree's nodes; per tree, its root and depth.
    nodes: Vec<FlatNode>,
    roots: Vec<(u32, u32)>,
}

/// A split (go `left` when the feature is below `value`, `missing` when it is missing, else
/// `right`) or a leaf (`value` is infinite, every child is itself, `leaf` its prediction).
/// Children are indices into the flat list.
#[derive(Debug, Clone, Copy)]
struct FlatNode {
    value: f64,
    leaf: f64,
    feature: u32,
    left: u32,
    right: u32,
    missing: u32,
}

impl Trees {
    /// The booster's trees; missing values must be forust's default, NaN.
    fn of(model: &GradientBooster) -> Trees {
        debug_assert!(model.missing.is_nan());
        let mut nodes = Vec::new();
        let mut roots = Vec::with_capacity(model.trees.len());
        for tree in &model.trees {
            let offset = nodes.len() as u32;
            let depth = tree.nodes.iter().map(|n| n.depth).max().unwrap_or(0);
            roots.push((offset, depth as u32));
            nodes.extend(tree.nodes.iter().enumerate().map(|(i, n)| {
                if n.is_leaf {
                    let me = offset + i as u32;
                    FlatNode {
                        value: f64::INFINITY,
                        leaf: f64::from(n.weight_value),
                        feature: 0,
                        left: me,
                        right: me,
                        missing: me,
                    }
                } else {
                    FlatNode {
                        value: n.split_value,
                        leaf: 0.0,
                        feature: n.split_feature as u32,
                        left: offset + n.left_child as u32,
                        right: offset + n.right_child as u32,
                        missing: offset + n.missing_node as u32,
                    }
                }
            }));
        }
        Trees {
            base: model.base_score,
            nodes,
            roots,
        }
    }

    /// The predictions for row-major rows of `cols` columns into `out` (one per row), summed
    /// tree by tree as forust sums them. [`LANES`] rows walk each tree side by side, so that
    /// their chains of dependent loads overlap.
    fn predict(&self, rows: &[f64], cols: usize, out: &mut [f64]) {
        out.iter_mut().for_each(|o| *o = self.base);
        let step = |i: u32, row: &[f64]| {
            let node = &self.nodes[i as usize];
            let v = row[node.feature as usize];
            let other = if v.is_nan() { node.missing } else { node.right };
            if v < node.value { node.left } else { other }
        };
        let n = rows.len() / cols;
        let groups = n / LANES;
        for &(root, depth) in &self.roots {
            for g in 0..groups {
                let first = g * LANES;
                let lane: [&[f64]; LANES] =
                    std::array::from_fn(|k| &rows[(first + k) * cols..(first + k + 1) * cols]);
                let mut i = [root; LANES];
                for _ in 0..depth {
                    i = std::array::from_fn(|k| step(i[k], lane[k]));
                }
                for k in 0..LANES {
                    out[first + k] += self.nodes[i[k] as usize].leaf;
                }
            }
            for (r, o) in out.iter_mut().enumerate().skip(LANES * groups) {
                let row = &rows[r * cols..(r + 1) * cols];
                let mut i = root;
                for _ in 0..depth {
                    i = step(i, row);
                }
                *o += self.nodes[i as usize].leaf;
            }
        }
    }
}

/// Rows as columns of numbers (missing = NaN), the layout forust reads.
pub struct Columns<'a> {
    /// The feature columns, each `rows` long.
    pub features: &'a [Vec<f64>],
    /// The model's predictions.
    pub predicted: &'a [f64],
}

impl Columns<'_> {
    fn matrix(&self, keep: Option<&[usize]>) -> (Vec<f64>, usize, usize) {
        let rows = keep.map_or(self.predicted.len(), <[usize]>::len);
        let mut data = Vec::with_capacity(rows * (self.features.len() + 1));
        for column in self
            .features
            .iter()
            .map(Vec::as_slice)
            .chain([self.predicted])
        {
            match keep {
                Some(rows) => data.extend(rows.iter().map(|&r| column[r])),
                None => data.extend_from_slice(column),
            }
        }
        (data, rows, self.features.len() + 1)
    }

    /// The rows `keep` (all without), row-major.
    fn rows(&self, keep: Option<&[usize]>) -> (Vec<f64>, usize) {
        let (data, rows, cols) = self.matrix(keep);
        let mut out = vec![0.0; data.len()];
        for c in 0..cols {
            for r in 0..rows {
                out[r * cols + c] = data[c * rows + r];
            }
        }
        (out, cols)
    }
}

impl Dle {
    /// Fits the loss models on the reference's rows and truth. `Err` carries forust's message.
    pub fn fit(reference: &Columns, truth: &[f64], seed: u64) -> Result<Dle, String> {
        let errors: Vec<f64> = truth
            .iter()
            .zip(reference.predicted)
            .map(|(t, p)| t - p)
            .collect();
        let all: Vec<usize> = (0..truth.len()).collect();
        let nonzero: Vec<usize> = (0..truth.len()).filter(|&r| truth[r] != 0.0).collect();
        let targets: [(Metric, &[usize], Vec<f64>); 3] = [
            (Metric::Mae, &all, errors.iter().map(|e| e.abs()).collect()),
            (Metric::Mse, &all, errors.iter().map(|e| e * e).collect()),
            (
                Metric::Mape,
                &nonzero,
                nonzero
                    .iter()
                    .map(|&r| errors[r].abs() / truth[r].abs())
                    .collect(),
            ),
        ];
        let mut models = Vec::new();
        for (i, (metric, keep, loss)) in targets.into_iter().enumerate() {
            // A half needs rows to learn from and rows to be checked on.
            if loss.len() < 4 {
                continue;
            }
            let mut rng = SplitMix64::new(derive_seed(seed, i as u64));
            let mut order: Vec<usize> = (0..loss.len()).collect();
            let splits: Vec<Vec<usize>> = (0..HALVES)
                .map(|_| {
                    rng.shuffle(&mut order);
                    order.clone()
                })
                .collect();
            // One half: learnt from the first half of `split`, predicting the second.
            let parallel = loss.len() >= 20_000;
            let fit_half = |(half, split): (usize, &Vec<usize>)| {
                let (learn, check) = split.split_at(loss.len() / 2);
                let rows: Vec<usize> = learn.iter().map(|&j| keep[j]).collect();
                let (data, n, cols) = reference.matrix(Some(&rows));
                let target: Vec<f64> = learn.iter().map(|&j| loss[j]).collect();
                let mut model = GradientBooster::default()
                    .set_objective_type(ObjectiveType::SquaredLoss)
                    .set_iterations(ROUNDS)
                    .set_learning_rate(0.1)
                    .set_max_depth(DEPTH)
                    .set_min_leaf_weight(20.0)
                    .set_initialize_base_score(true)
                    .set_allow_missing_splits(true)
                    .set_parallel(false)
                    .set_seed(derive_seed(seed, (i * HALVES + half) as u64));
                model
                    .fit_unweighted(&forust_ml::Matrix::new(&data, n, cols), &target, None)
                    .map_err(|e| e.to_string())?;
                let trees = Trees::of(&model);
                let rows: Vec<usize> = check.iter().map(|&j| keep[j]).collect();
                let (data, cols) = reference.rows(Some(&rows));
                let mut predicted = vec![0.0; rows.len()];
                for (block, out) in data.chunks(cols * BLOCK).zip(predicted.chunks_mut(BLOCK)) {
                    trees.predict(block, cols, out);
                }
                Ok::<_, String>((trees, predicted))
            };
            // The halves are independent: on a large reference, one per core.
            let fitted: Vec<Result<(Trees, Vec<f64>), String>> = if parallel {
                use rayon::prelude::*;
                splits.par_iter().enumerate().map(fit_half).collect()
            } else {
                splits.iter().enumerate().map(fit_half).collect()
            };
            let mut oob_sum = vec![0.0; loss.len()];
            let mut oob_count = vec![0u32; loss.len()];
            let mut halves = Vec::with_capacity(HALVES);
            for (split, fitted) in splits.iter().zip(fitted) {
                let (trees, predicted) = fitted?;
                for (&j, p) in split[loss.len() / 2..].iter().zip(predicted) {
                    oob_sum[j] += p.max(0.0);
                    oob_count[j] += 1;
                }
                halves.push(trees);
            }
            let (mut residual, mut scale) = (0.0, 0.0);
            for j in 0..loss.len() {
                if oob_count[j] > 0 {
                    let m = oob_sum[j] / f64::from(oob_count[j]);
                    residual += (loss[j] - m).powi(2);
                    scale += m * m;
                }
            }
            let spread = if scale > 0.0 { residual / scale } else { 0.0 };
            models.push(LossModel {
                metric,
                halves,
                spread,
            });
        }
        Ok(Dle { models })
    }

    /// Estimates each of `metrics` for a window's rows.
    pub fn estimate(&self, window: &Columns, metrics: &[Metric]) -> Vec<Estimated> {
        let (data, cols) = window.rows(None);
        let rows = window.predicted.len();
        let mean_of = |metric: Metric| -> Estimated {
            let Some(m) = self.models.iter().find(|m| m.metric == metric) else {
                return Estimated {
                    value: f64::NAN,
                    sampling_error: f64::NAN,
                };
            };
            let n = rows as f64;
            let b = m.halves.len();
            // Per half, its summed predictions; over rows, the halves' mean prediction squared.
            let sums = |chunk: &[f64]| -> (Vec<f64>, f64) {
                let mut sums = vec![0.0; b];
                let mut squares = 0.0;
                let mut mean = [0.0; BLOCK];
                let mut one = [0.0; BLOCK];
                for block in chunk.chunks(cols * BLOCK) {
                    let n = block.len() / cols;
                    mean[..n].fill(0.0);
                    for (sum, half) in sums.iter_mut().zip(&m.halves) {
                        half.predict(block, cols, &mut one[..n]);
                        for (mean, l) in mean.iter_mut().zip(&one[..n]) {
                            let l = l.max(0.0);
                            *sum += l;
                            *mean += l / b as f64;
                        }
                    }
                    squares += mean[..n].iter().map(|m| m * m).sum::<f64>();
                }
                (sums, squares)
            };
            let (sums, squares) = if rows >= 20_000 {
                use rayon::prelude::*;
                data.par_chunks(cols * BLOCK * 16).map(sums).reduce(
                    || (vec![0.0; b], 0.0),
                    |(mut a, x), (c, y)| {
                        a.iter_mut().zip(c).for_each(|(a, c)| *a += c);
                        (a, x + y)
                    },
                )
            } else {
                sums(&data)
            };
            let means: Vec<f64> = sums.iter().map(|s| s / n).collect();
            let bf = b as f64;
            let value = means.iter().sum::<f64>() / bf;
            let noise = m.spread * squares / (n * n);
            let model = means.iter().map(|v| (v - value).powi(2)).sum::<f64>() / (bf - 1.0)
                * (1.0 + 1.0 / bf);
            Estimated {
                value,
                sampling_error: (noise + model).sqrt() * t_widening(noise, model, bf - 1.0),
            }
        };
        metrics
            .iter()
            .map(|&metric| match metric {
                Metric::Rmse => {
                    let mse = mean_of(Metric::Mse);
                    let value = mse.value.sqrt();
                    Estimated {
                        value,
                        sampling_error: mse.sampling_error / (2.0 * value),
                    }
                }
                _ => mean_of(metric),
            })
            .collect()
    }
}

/// How much wider than a normal band Student's t makes a 95 % band whose variance is
/// `known + estimated`, `estimated` measured with `df` degrees of freedom: the ratio of t's
/// quantile at Satterthwaite's degrees of freedom, `(known + estimated)^2 / (estimated^2 / df)`,
/// to the normal one. 1 when nothing is estimated.
fn t_widening(known: f64, estimated: f64, df: f64) -> f64 {
    if !(estimated > 0.0 && df > 0.0) {
        return 1.0;
    }
    let nu = (known + estimated).powi(2) / (estimated * estimated / df);
    match StudentsT::new(0.0, 1.0, nu) {
        Ok(t) if nu.is_finite() => t.inverse_cdf(0.975) / Z95,
        _ => 1.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::base::rng::SplitMix64;

    #[test]
    fn flat_trees_predict_as_forust() {
        let mut rng = SplitMix64::new(3);
        let n = 2_003; // not a multiple of LANES: the rows left over walk alone
        let mut data: Vec<f64> = (0..3 * n).map(|_| rng.unit()).collect();
        // Some missing values, so that missing branches are learnt and taken.
        for i in (0..n).step_by(7) {
            data[i] = f64::NAN;
        }
        let y: Vec<f64> = (0..n)
            .map(|i| 2.0 * data[n + i] + if data[i].is_nan() { 1.0 } else { data[i] })
            .collect();
        let mut model = GradientBooster::default()
            .set_objective_type(ObjectiveType::SquaredLoss)
            .set_iterations(20)
            .set_max_depth(DEPTH)
            .set_allow_missing_splits(true);
        let matrix = forust_ml::Matrix::new(&data, n, 3);
        model.fit_unweighted(&matrix, &y, None).unwrap();
        let trees = Trees::of(&model);
        let forust = model.predict(&matrix, false);
        let rows: Vec<f64> = (0..n)
            .flat_map(|r| [data[r], data[n + r], data[2 * n + r]])
            .collect();
        let mut flat = vec![0.0; n];
        trees.predict(&rows, 3, &mut flat);
        assert_eq!(flat, forust);
    }

    #[test]
    fn t_widening_follows_satterthwaite() {
        // All of the variance estimated with 7 degrees of freedom: t(7) = 2.365.
        assert!((t_widening(0.0, 1.0, 7.0) * Z95 - 2.364_624).abs() < 1e-5);
        // A fifth of it estimated: 7 / 0.2^2 = 175 degrees of freedom, barely wider.
        let w = t_widening(4.0, 1.0, 7.0);
        assert!((w - 1.007).abs() < 5e-4, "{w}");
        // Four fifths: 10.9 degrees of freedom.
        let w = t_widening(1.0, 4.0, 7.0);
        assert!((w - 1.12).abs() < 5e-3, "{w}");
        assert_eq!(t_widening(1.0, 0.0, 7.0), 1.0);
    }
}

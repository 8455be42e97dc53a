//! Estimated regression performance without labels: direct loss estimation (DLE).
//!
//! On the labelled reference, gradient-boosted trees (forust-ml, squared loss) learn each row's
//! absolute error, squared error and absolute percentage error from the features and the
//! prediction. A window's estimated MAE, MSE and MAPE are the means of their predictions for its
//! rows; RMSE is the root of the estimated MSE.
//!
//! The band is the spread of the realized mean given the rows: each row's loss varies around its
//! prediction with a variance proportional to its square, `(kappa - 1) x prediction^2`, where
//! `kappa = mean(L^2) / mean(L)^2` of the loss `L` on the reference (`pi / 2` for the absolute
//! error of normal residuals).

use forust_ml::GradientBooster;
use forust_ml::objective::ObjectiveType;

use super::Metric;
use super::estimate::Estimated;

/// Trees per loss model and their depth: enough for a smooth loss surface over 20 features
/// (fitted in about a second on 100,000 reference rows).
const ROUNDS: usize = 100;
const DEPTH: usize = 4;

/// The fitted loss models.
pub struct Dle {
    models: Vec<LossModel>,
}

struct LossModel {
    metric: Metric,
    model: GradientBooster,
    kappa: f64,
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
}

impl Dle {
    /// Fits the loss models on the reference's rows and truth. `Err` carries forust's message.
    pub fn fit(reference: &Columns, truth: &[f64], seed: u64) -> Result<Dle, String> {
        let errors: Vec<f64> = truth
            .iter()
            .zip(reference.predicted)
            .map(|(t, p)| t - p)
            .collect();
        let nonzero: Vec<usize> = (0..truth.len()).filter(|&r| truth[r] != 0.0).collect();
        let targets: [(Metric, Option<&[usize]>, Vec<f64>); 3] = [
            (Metric::Mae, None, errors.iter().map(|e| e.abs()).collect()),
            (Metric::Mse, None, errors.iter().map(|e| e * e).collect()),
            (
                Metric::Mape,
                Some(&nonzero),
                nonzero
                    .iter()
                    .map(|&r| errors[r].abs() / truth[r].abs())
                    .collect(),
            ),
        ];
        let mut models = Vec::new();
        for (metric, keep, loss) in targets {
            if loss.is_empty() {
                continue;
            }
            let (data, rows, cols) = reference.matrix(keep);
            let mut model = GradientBooster::default()
                .set_objective_type(ObjectiveType::SquaredLoss)
                .set_iterations(ROUNDS)
                .set_learning_rate(0.1)
                .set_max_depth(DEPTH)
                .set_min_leaf_weight(20.0)
                .set_allow_missing_splits(true)
                .set_parallel(rows >= 20_000)
                .set_seed(seed);
            model
                .fit_unweighted(&forust_ml::Matrix::new(&data, rows, cols), &loss, None)
                .map_err(|e| e.to_string())?;
            let mean = loss.iter().sum::<f64>() / loss.len() as f64;
            let second = loss.iter().map(|l| l * l).sum::<f64>() / loss.len() as f64;
            let kappa = if mean > 0.0 {
                second / (mean * mean)
            } else {
                1.0
            };
            models.push(LossModel {
                metric,
                model,
                kappa,
            });
        }
        Ok(Dle { models })
    }

    /// Estimates each of `metrics` for a window's rows.
    pub fn estimate(&self, window: &Columns, metrics: &[Metric]) -> Vec<Estimated> {
        let (data, rows, cols) = window.matrix(None);
        let matrix = forust_ml::Matrix::new(&data, rows, cols);
        let mean_of = |metric: Metric| -> Estimated {
            let Some(m) = self.models.iter().find(|m| m.metric == metric) else {
                return Estimated {
                    value: f64::NAN,
                    sampling_error: f64::NAN,
                };
            };
            let predictions: Vec<f64> = m
                .model
                .predict(&matrix, rows >= 20_000)
                .into_iter()
                .map(|l| l.max(0.0))
                .collect();
            let n = rows as f64;
            let value = predictions.iter().sum::<f64>() / n;
            let variance =
                (m.kappa - 1.0).max(0.0) * predictions.iter().map(|l| l * l).sum::<f64>() / (n * n);
            Estimated {
                value,
                sampling_error: variance.sqrt(),
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

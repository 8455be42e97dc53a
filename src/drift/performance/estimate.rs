//! Estimated classification performance without labels: confidence-based performance estimation
//! (CBPE).
//!
//! The scores are calibrated on the labelled reference (isotonic, one-vs-rest and renormalised
//! for more than two classes). In a window without labels each row then counts as a fractional
//! member of every class, its calibrated probability: their sums split by the model's hard
//! prediction are the expected confusion matrix, and every confusion-matrix metric follows from
//! it through the same code as realized values. ROC AUC is the area under the ROC curve built
//! with those fractional weights over the ranked scores.
//!
//! The band is the estimate's own variance, two parts added:
//! - the labels are random given the probabilities: each row is a categorical draw over its
//!   column of the matrix, carried through the metric's gradient (the delta method of
//!   `uncertainty`);
//! - the calibration is measured on a finite reference: a calibrated block's rate has a binomial
//!   error at the block's size, shared by every row of the window in that block.
//!
//! It assumes what CBPE assumes: the probability of a class given the score stays as on the
//! reference (covariate shift is fine; a change of the relation between inputs and labels is
//! not).

use super::calibration::{Calibrated, Isotonic};
use super::realized::{from_cells, mean_defined, roc_auc};
use super::uncertainty::{gradient, hanley_mcneil};
use super::{Metric, Problem};

/// Calibrators fitted on the reference: one for the positive class of a binary model, one per
/// class (one-vs-rest) for a multiclass one.
#[derive(Debug, Clone)]
pub struct Cbpe {
    problem: Problem,
    classes: usize,
    calibrators: Vec<Isotonic>,
}

/// A window's estimate of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimated {
    /// The estimated value; NaN when undefined.
    pub value: f64,
    /// Standard deviation of the realized value around it.
    pub sampling_error: f64,
}

impl Cbpe {
    /// Fits on the labelled reference: `truth` holds class positions, `scores` `columns` scores
    /// per row (binary: one, the positive class's). `None` when a class has no rows to calibrate.
    pub fn fit(
        problem: Problem,
        classes: usize,
        truth: &[u32],
        scores: &[f64],
        columns: usize,
    ) -> Option<Cbpe> {
        let targets: Vec<u32> = match problem {
            Problem::Binary => vec![1],
            _ => (0..classes as u32).collect(),
        };
        let calibrators = targets
            .iter()
            .enumerate()
            .map(|(column, &class)| {
                let pairs = truth
                    .iter()
                    .zip(scores.iter().skip(column).step_by(columns))
                    .map(|(&t, &s)| (s, f64::from(u8::from(t == class))))
                    .collect();
                Isotonic::fit(pairs)
            })
            .collect::<Option<Vec<_>>>()?;
        Some(Cbpe {
            problem,
            classes,
            calibrators,
        })
    }

    /// Per row, its calibrated probability of each class (row-major, `classes` per row) and the
    /// calibration of each calibrator used.
    fn probabilities(&self, scores: &[f64]) -> (Vec<f64>, Vec<Vec<Calibrated>>) {
        let k = self.classes;
        let columns = self.calibrators.len();
        let rows = scores.len() / columns;
        let mut probs = vec![0.0; rows * k];
        let mut calibrated = vec![Vec::with_capacity(rows); columns];
        for r in 0..rows {
            let row = &mut probs[r * k..(r + 1) * k];
            if self.problem == Problem::Binary {
                let c = self.calibrators[0].predict(scores[r]);
                row[0] = 1.0 - c.p;
                row[1] = c.p;
                calibrated[0].push(c);
                continue;
            }
            let mut sum = 0.0;
            for (c, calibrator) in self.calibrators.iter().enumerate() {
                let cal = calibrator.predict(scores[r * columns + c]);
                row[c] = cal.p;
                sum += cal.p;
                calibrated[c].push(cal);
            }
            // Renormalised so that the classes share each row; a row every calibrator put at 0
            // is spread evenly.
            for p in row.iter_mut() {
                *p = if sum > 0.0 { *p / sum } else { 1.0 / k as f64 };
            }
        }
        (probs, calibrated)
    }

    /// Estimates each of `metrics` for a window of `predicted` classes and their `scores`.
    pub fn estimate(
        &self,
        predicted: &[u32],
        scores: &[f64],
        metrics: &[Metric],
    ) -> Vec<Estimated> {
        let k = self.classes;
        let (probs, calibrated) = self.probabilities(scores);
        let mut cells = vec![0.0; k * k];
        for (r, &p) in predicted.iter().enumerate() {
            for t in 0..k {
                cells[t * k + p as usize] += probs[r * k + t];
            }
        }
        metrics
            .iter()
            .map(|&metric| match metric {
                Metric::RocAuc => self.roc_auc(scores, &probs),
                _ => self.from_matrix(metric, &cells, predicted, &probs, &calibrated),
            })
            .collect()
    }

    fn from_matrix(
        &self,
        metric: Metric,
        cells: &[f64],
        predicted: &[u32],
        probs: &[f64],
        calibrated: &[Vec<Calibrated>],
    ) -> Estimated {
        let k = self.classes;
        let value = from_cells(metric, self.problem, cells, k);
        let g = gradient(metric, self.problem, cells, k);
        // Labels given the probabilities: one categorical draw per row over its column.
        let mut labels = 0.0;
        // Calibration: per calibrator and block, the summed effect of its rate on the metric.
        let mut blocks: Vec<std::collections::HashMap<usize, (f64, f64, f64)>> =
            vec![Default::default(); self.calibrators.len()];
        for (r, &p) in predicted.iter().enumerate() {
            let p = p as usize;
            let row = &probs[r * k..(r + 1) * k];
            let (mut mean, mut second) = (0.0, 0.0);
            for t in 0..k {
                let gt = g[t * k + p];
                mean += row[t] * gt;
                second += row[t] * gt * gt;
            }
            labels += (second - mean * mean).max(0.0);
            for (c, cal) in calibrated.iter().enumerate() {
                let cal = cal[r];
                // How the metric moves when this calibrator's rate moves for this row.
                let effect = if self.problem == Problem::Binary {
                    g[k + p] - g[p]
                } else {
                    let raw_sum: f64 = calibrated.iter().map(|cc| cc[r].p).sum();
                    if raw_sum > 0.0 {
                        (g[c * k + p] - mean) / raw_sum
                    } else {
                        0.0
                    }
                };
                let entry = blocks[c].entry(cal.block).or_insert((0.0, 0.0, 0.0));
                entry.0 += effect;
                entry.1 += cal.variance;
                entry.2 += 1.0;
            }
        }
        let calibration: f64 = blocks
            .iter()
            .flat_map(|b| b.values())
            .map(|&(effect, variance, rows)| effect * effect * variance / rows)
            .sum();
        Estimated {
            value,
            sampling_error: (labels + calibration).sqrt(),
        }
    }

    fn roc_auc(&self, scores: &[f64], probs: &[f64]) -> Estimated {
        let k = self.classes;
        let columns = self.calibrators.len();
        let per_class = |class: usize, column: usize| -> (f64, f64) {
            let score: Vec<f64> = scores
                .iter()
                .skip(column)
                .step_by(columns)
                .copied()
                .collect();
            let p = |r: usize| probs[r * k + class];
            let auc = roc_auc(&score, |r| (p(r), 1.0 - p(r)));
            let positives: f64 = (0..score.len()).map(p).sum();
            let se = hanley_mcneil(auc, positives, score.len() as f64 - positives);
            (auc, se)
        };
        if self.problem == Problem::Binary {
            let (value, sampling_error) = per_class(1, 0);
            return Estimated {
                value,
                sampling_error,
            };
        }
        let each: Vec<(f64, f64)> = (0..k).map(|c| per_class(c, c)).collect();
        let value = mean_defined(each.iter().map(|e| e.0));
        let defined: Vec<f64> = each.iter().filter(|e| !e.0.is_nan()).map(|e| e.1).collect();
        let sampling_error =
            (defined.iter().map(|s| s * s).sum::<f64>()).sqrt() / defined.len().max(1) as f64;
        Estimated {
            value,
            sampling_error,
        }
    }
}

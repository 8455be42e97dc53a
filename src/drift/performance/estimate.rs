//! Estimated classification performance without labels: confidence-based performance estimation
//! (CBPE).
//!
//! The scores are calibrated on the labelled reference (isotonic, `calibration`). In a window
//! without labels each row then counts as a fractional member of every class, its calibrated
//! probability: their sums split by the model's hard prediction are the expected confusion
//! matrix, and every confusion-matrix metric follows from it through the same code as realized
//! values. ROC AUC is the expected area under the ROC curve of the ranked scores with those
//! fractional labels.
//!
//! A binary model has one calibrator, the positive class's probability given its score. With
//! more than two classes a class's probability given its own score alone is not enough: among
//! rows with the same score for class `c`, those whose scores rank `c` first are more often `c`
//! than the others, the more so the less calibrated the model, and an expected matrix from
//! one-vs-rest probabilities is then off even without any shift (by about 0.005 of accuracy for
//! a model twice as confident as it should be: as much as the sampling error of 10,000 rows). So
//! the reference rows are split by the class their scores rank first, and within each part every
//! class is calibrated on its own score: the probability of the top class is used as calibrated,
//! and the other classes share the rest in proportion to theirs. For a model that predicts its
//! top class, the expected diagonal is then right as long as the probability of the top class
//! given its score stays as on the reference; under a shift that moves the other classes'
//! scores, a model miscalibrated jointly (not class by class) keeps a smaller bias
//! (`docs/performance-estimation.md`). A part with no reference rows falls back on one-vs-rest
//! calibrators over all rows, renormalised.
//!
//! The band is the estimate's own variance, two parts added:
//! - the labels are random given the probabilities: each row is a categorical draw over its
//!   column of the matrix, carried through the metric's gradient (the delta method of
//!   `uncertainty`);
//! - the calibration is measured on a finite reference: each isotonic block's rate has a
//!   binomial error at the block's size, one error shared by every row of the window in that
//!   block (see `calibration`), carried through the same gradient.
//!
//! ROC AUC has the same two parts. Its estimate is the expected Mann-Whitney statistic of the
//! window's own scores with each row's label drawn from its calibrated probability (pairs of
//! distinct rows only), and its label variance is the delta method over those draws. Hanley and
//! McNeil's formula would be the error of an AUC over fresh draws of scores and labels; here the
//! window's scores are given and only its labels are unknown, a different error (with it, the
//! band held the realized AUC of 100-row windows in up to 98 % of windows without shift and 91 %
//! under a shift). For more than two classes each class's AUC ranks its own score column and
//! weighs rows by that class's calibrated probability as it comes out of its calibrator (before
//! the sharing above, which would blur it).
//!
//! It assumes what CBPE assumes: the probability of a class given the scores (for more than two
//! classes: given its own score and the top class) stays as on the reference (covariate shift is
//! fine; a change of the relation between inputs and labels is not).

use super::calibration::{Calibrated, Isotonic};
use super::realized::from_cells;
use super::uncertainty::gradient;
use super::{Metric, Problem};

/// Calibrators fitted on the reference: for a binary model one, the positive class's; for a
/// multiclass one, per class one-vs-rest over all rows, then per part (rows whose scores rank
/// class `a` first) one per class.
#[derive(Debug, Clone)]
pub struct Cbpe {
    problem: Problem,
    classes: usize,
    /// Binary: the positive class's. Multiclass: each class's over all rows.
    overall: Vec<Isotonic>,
    /// Multiclass, per top class: each class's calibrator over the rows ranking it first;
    /// `None` when no reference row does.
    parts: Vec<Option<Vec<Isotonic>>>,
}

/// A window's estimate of one metric.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Estimated {
    /// The estimated value; NaN when undefined.
    pub value: f64,
    /// Standard deviation of the realized value around it (for a loss estimate, widened where
    /// part of it is measured from few models, so that +- 1.96 of it is a t interval: see
    /// `loss`).
    pub sampling_error: f64,
}

/// How a window row's class probabilities were made.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Made {
    /// The binary calibrator.
    Binary,
    /// Within the part of its top class: that class's probability as calibrated, the others
    /// sharing the rest.
    Part(usize),
    /// One-vs-rest over all rows, renormalised.
    Renormalised,
}

/// A window's calibrated rows.
struct Rows {
    /// Per row, its probability of each class (row-major, `classes` per row).
    probs: Vec<f64>,
    /// Per row, what each calibrator it used gave (row-major, one per binary row, `classes` per
    /// multiclass row: entry `c` is class `c`'s).
    calibrated: Vec<Calibrated>,
    /// Per row, how.
    made: Vec<Made>,
}

/// The class that a row's scores rank first (the first of equal ones; 0 when none is a number).
fn top(row: &[f64]) -> usize {
    let mut best = 0;
    for (c, s) in row.iter().enumerate() {
        if s.is_finite() && (!row[best].is_finite() || *s > row[best]) {
            best = c;
        }
    }
    best
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
        let rows = truth.len().min(scores.len() / columns.max(1));
        // Calibrators of `class` on score column `column` over `keep` rows.
        let fit = |class: u32, column: usize, keep: &dyn Fn(usize) -> bool| {
            let pairs = (0..rows)
                .filter(|&r| keep(r))
                .map(|r| {
                    (
                        scores[r * columns + column],
                        f64::from(u8::from(truth[r] == class)),
                    )
                })
                .collect();
            Isotonic::fit(pairs)
        };
        if problem == Problem::Binary {
            return Some(Cbpe {
                problem,
                classes,
                overall: vec![fit(1, 0, &|_| true)?],
                parts: Vec::new(),
            });
        }
        let overall = (0..classes)
            .map(|c| fit(c as u32, c, &|_| true))
            .collect::<Option<Vec<_>>>()?;
        let tops: Vec<usize> = (0..rows)
            .map(|r| top(&scores[r * columns..(r + 1) * columns]))
            .collect();
        let parts = (0..classes)
            .map(|a| {
                (0..classes)
                    .map(|c| fit(c as u32, c, &|r| tops[r] == a))
                    .collect::<Option<Vec<_>>>()
            })
            .collect();
        Some(Cbpe {
            problem,
            classes,
            overall,
            parts,
        })
    }

    /// The calibrator behind entry `c` of a row made `made`, by its index in [`Cbpe::effects`].
    fn index(&self, made: Made, c: usize) -> usize {
        match made {
            Made::Binary => 0,
            Made::Renormalised => c,
            Made::Part(a) => self.classes * (1 + a) + c,
        }
    }

    /// Zeroed effect sums, one per block of each calibrator (the overall ones, then the parts').
    fn effects(&self) -> Vec<Vec<f64>> {
        let zeros = |c: &Isotonic| vec![0.0; c.blocks()];
        let mut effects: Vec<Vec<f64>> = self.overall.iter().map(zeros).collect();
        for part in &self.parts {
            match part {
                Some(calibrators) => effects.extend(calibrators.iter().map(zeros)),
                None => effects.extend((0..self.classes).map(|_| Vec::new())),
            }
        }
        effects
    }

    /// The variance that the calibrators' block errors give a metric whose summed effects per
    /// block are `effects`.
    fn calibration_variance(&self, effects: &[Vec<f64>]) -> f64 {
        let mut total = 0.0;
        for (i, effects) in effects.iter().enumerate() {
            let Some(calibrator) = self.calibrator(i) else {
                continue;
            };
            total += effects
                .iter()
                .enumerate()
                .filter(|(_, e)| **e != 0.0)
                .map(|(b, e)| e * e * calibrator.variance(b))
                .sum::<f64>();
        }
        total
    }

    /// The calibrator of index `i` (see [`Cbpe::index`]).
    fn calibrator(&self, i: usize) -> Option<&Isotonic> {
        let k = self.classes;
        if i < self.overall.len() {
            return Some(&self.overall[i]);
        }
        let (a, c) = ((i - k) / k, (i - k) % k);
        self.parts.get(a)?.as_ref().map(|p| &p[c])
    }

    /// Each row's calibrated class probabilities.
    fn rows(&self, scores: &[f64]) -> Rows {
        let k = self.classes;
        if self.problem == Problem::Binary {
            let calibrated: Vec<Calibrated> =
                scores.iter().map(|&s| self.overall[0].predict(s)).collect();
            let probs = calibrated.iter().flat_map(|c| [1.0 - c.p, c.p]).collect();
            let made = vec![Made::Binary; calibrated.len()];
            return Rows {
                probs,
                calibrated,
                made,
            };
        }
        let rows = scores.len() / k;
        let mut out = Rows {
            probs: vec![0.0; rows * k],
            calibrated: Vec::with_capacity(rows * k),
            made: Vec::with_capacity(rows),
        };
        for r in 0..rows {
            let score = &scores[r * k..(r + 1) * k];
            let a = top(score);
            let (made, calibrators) = match &self.parts[a] {
                Some(part) => (Made::Part(a), part),
                None => (Made::Renormalised, &self.overall),
            };
            let start = out.calibrated.len();
            out.calibrated
                .extend(calibrators.iter().zip(score).map(|(c, &s)| c.predict(s)));
            let q: Vec<f64> = out.calibrated[start..].iter().map(|c| c.p).collect();
            let row = &mut out.probs[r * k..(r + 1) * k];
            match made {
                Made::Part(a) => {
                    // The top class as calibrated; the others share the rest in proportion.
                    let others: f64 = (0..k).filter(|&c| c != a).map(|c| q[c]).sum();
                    for c in 0..k {
                        row[c] = if c == a {
                            q[a]
                        } else if others > 0.0 {
                            (1.0 - q[a]) * q[c] / others
                        } else {
                            (1.0 - q[a]) / (k - 1) as f64
                        };
                    }
                }
                _ => {
                    // Renormalised; a row every calibrator put at 0 is spread evenly.
                    let sum: f64 = q.iter().sum();
                    for c in 0..k {
                        row[c] = if sum > 0.0 {
                            q[c] / sum
                        } else {
                            1.0 / k as f64
                        };
                    }
                }
            }
            out.made.push(made);
        }
        out
    }

    /// How the metric moves per unit of each calibrated probability of row `r`, given the
    /// metric's gradient `g` at the cells of the row's prediction `p` (`g[t]` for true class
    /// `t`): the chain rule through the way the row's probabilities were made.
    fn row_effects(&self, rows: &Rows, r: usize, g: &[f64], out: &mut Vec<f64>) {
        let k = self.classes;
        out.clear();
        match rows.made[r] {
            Made::Binary => out.push(g[1] - g[0]),
            Made::Renormalised => {
                let q = &rows.calibrated[r * k..(r + 1) * k];
                let sum: f64 = q.iter().map(|c| c.p).sum();
                let probs = &rows.probs[r * k..(r + 1) * k];
                let mean: f64 = (0..k).map(|t| probs[t] * g[t]).sum();
                out.extend((0..k).map(|c| if sum > 0.0 { (g[c] - mean) / sum } else { 0.0 }));
            }
            Made::Part(a) => {
                let q = &rows.calibrated[r * k..(r + 1) * k];
                let others: f64 = (0..k).filter(|&c| c != a).map(|c| q[c].p).sum();
                // The others' share-weighted gradient.
                let mean = if others > 0.0 {
                    (0..k)
                        .filter(|&c| c != a)
                        .map(|c| q[c].p * g[c])
                        .sum::<f64>()
                        / others
                } else {
                    (0..k).filter(|&c| c != a).map(|c| g[c]).sum::<f64>() / (k - 1) as f64
                };
                out.extend((0..k).map(|c| {
                    if c == a {
                        g[a] - mean
                    } else if others > 0.0 {
                        (1.0 - q[a].p) / others * (g[c] - mean)
                    } else {
                        0.0
                    }
                }));
            }
        }
    }

    /// The calibrated entries of row `r` (one for a binary row, `classes` otherwise).
    fn entries<'a>(&self, rows: &'a Rows, r: usize) -> &'a [Calibrated] {
        match rows.made[r] {
            Made::Binary => std::slice::from_ref(&rows.calibrated[r]),
            _ => &rows.calibrated[r * self.classes..(r + 1) * self.classes],
        }
    }

    /// Estimates each of `metrics` for a window of `predicted` classes and their `scores`.
    pub fn estimate(
        &self,
        predicted: &[u32],
        scores: &[f64],
        metrics: &[Metric],
    ) -> Vec<Estimated> {
        let k = self.classes;
        let rows = self.rows(scores);
        let mut cells = vec![0.0; k * k];
        for (r, &p) in predicted.iter().enumerate() {
            for t in 0..k {
                cells[t * k + p as usize] += rows.probs[r * k + t];
            }
        }
        metrics
            .iter()
            .map(|&metric| match metric {
                Metric::RocAuc => self.roc_auc(scores, &rows),
                _ => self.matrix_metric(metric, &cells, predicted, &rows),
            })
            .collect()
    }

    fn matrix_metric(
        &self,
        metric: Metric,
        cells: &[f64],
        predicted: &[u32],
        rows: &Rows,
    ) -> Estimated {
        let k = self.classes;
        let value = from_cells(metric, self.problem, cells, k);
        let g = gradient(metric, self.problem, cells, k);
        // Labels given the probabilities: one categorical draw per row over its column.
        let mut labels = 0.0;
        // Calibration: per calibrator and block, the summed effect of its rate on the metric.
        let mut effects = self.effects();
        let mut column = vec![0.0; k];
        let mut row_effects = Vec::with_capacity(k);
        for (r, &p) in predicted.iter().enumerate() {
            let p = p as usize;
            for t in 0..k {
                column[t] = g[t * k + p];
            }
            labels += categorical_variance(&rows.probs[r * k..(r + 1) * k], &column);
            self.row_effects(rows, r, &column, &mut row_effects);
            for (c, (cal, effect)) in self.entries(rows, r).iter().zip(&row_effects).enumerate() {
                add_effect(&mut effects[self.index(rows.made[r], c)], cal, *effect);
            }
        }
        Estimated {
            value,
            sampling_error: (labels + self.calibration_variance(&effects)).sqrt(),
        }
    }

    fn roc_auc(&self, scores: &[f64], rows: &Rows) -> Estimated {
        let k = self.classes;
        let columns = self.overall.len();
        let n = scores.len() / columns;
        // Per class: its AUC and the gradient of the AUC with respect to each row's label. A
        // row weighs in with its class's probability as its calibrator gave it.
        let per_class: Vec<Option<(f64, Vec<f64>)>> = (0..columns)
            .map(|column| {
                let score: Vec<f64> = scores
                    .iter()
                    .skip(column)
                    .step_by(columns)
                    .copied()
                    .collect();
                let p: Vec<f64> = (0..n).map(|r| self.entries(rows, r)[column].p).collect();
                expected_auc(&score, &p)
            })
            .collect();
        let defined = per_class.iter().flatten().count();
        if defined == 0 {
            return Estimated {
                value: f64::NAN,
                sampling_error: f64::NAN,
            };
        }
        let value = per_class.iter().flatten().map(|c| c.0).sum::<f64>() / defined as f64;
        let weight = 1.0 / defined as f64;
        let mut labels = 0.0;
        let mut effects = self.effects();
        let mut g = vec![0.0; columns];
        for r in 0..n {
            for (c, class) in per_class.iter().enumerate() {
                g[c] = class.as_ref().map_or(0.0, |class| class.1[r] * weight);
            }
            let entries = self.entries(rows, r);
            if self.problem == Problem::Binary {
                let p = entries[0].p;
                labels += g[0] * g[0] * p * (1.0 - p);
            } else {
                // The row's label is one class: the macro AUC moves by its class's gradient.
                labels += categorical_variance(&rows.probs[r * k..(r + 1) * k], &g);
            }
            for (c, cal) in entries.iter().enumerate() {
                add_effect(&mut effects[self.index(rows.made[r], c)], cal, g[c]);
            }
        }
        Estimated {
            value,
            sampling_error: (labels + self.calibration_variance(&effects)).sqrt(),
        }
    }
}

/// Variance of `values[t]` when `t` is drawn with probabilities `probs`.
fn categorical_variance(probs: &[f64], values: &[f64]) -> f64 {
    let (mut mean, mut second) = (0.0, 0.0);
    for (p, v) in probs.iter().zip(values) {
        mean += p * v;
        second += p * v * v;
    }
    (second - mean * mean).max(0.0)
}

/// Adds a row's `effect` on the metric per unit of its calibrated probability to the blocks the
/// probability comes from.
fn add_effect(effects: &mut [f64], calibrated: &Calibrated, effect: f64) {
    for (block, weight) in calibrated.blocks {
        if weight != 0.0 {
            effects[block] += weight * effect;
        }
    }
}

/// The expected ROC AUC of rows ranked by `score` whose labels are independent draws, positive
/// with probability `p`: the Mann-Whitney statistic over pairs of distinct rows (ties counted
/// half) with its count of pairs and of positives and negatives at their expected values. With
/// it, the gradient of the statistic with respect to each row's label at those expectations,
/// for the delta method. `None` when the expected positives or negatives are 0.
fn expected_auc(score: &[f64], p: &[f64]) -> Option<(f64, Vec<f64>)> {
    let n = score.len();
    let mut order: Vec<usize> = (0..n).filter(|&r| score[r].is_finite()).collect();
    order.sort_unstable_by(|&a, &b| score[a].total_cmp(&score[b]));
    // Per row: the expected negatives ranked below it and positives ranked above it, ties half.
    let mut below = vec![0.0; n];
    let mut above = vec![0.0; n];
    let groups: Vec<&[usize]> = order.chunk_by(|&a, &b| score[a] == score[b]).collect();
    let mut negatives = 0.0;
    for group in &groups {
        let tie: f64 = group.iter().map(|&r| 1.0 - p[r]).sum();
        for &r in *group {
            below[r] = negatives + 0.5 * (tie - (1.0 - p[r]));
        }
        negatives += tie;
    }
    let mut positives = 0.0;
    for group in groups.iter().rev() {
        let tie: f64 = group.iter().map(|&r| p[r]).sum();
        for &r in *group {
            above[r] = positives + 0.5 * (tie - p[r]);
        }
        positives += tie;
    }
    if !(positives > 0.0 && negatives > 0.0) {
        return None;
    }
    let pairs = positives * negatives;
    let area: f64 = order.iter().map(|&r| p[r] * below[r]).sum();
    let auc = area / pairs;
    // AUC = A / (P N): a label turning positive adds its negatives below to A and takes its
    // positives above out, adds 1 to P and takes 1 from N.
    let grad = (0..n)
        .map(|r| {
            if score[r].is_finite() {
                (below[r] - above[r] - auc * (negatives - positives)) / pairs
            } else {
                0.0
            }
        })
        .collect();
    Some((auc, grad))
}

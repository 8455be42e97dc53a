//! Realized performance: the metrics of a window whose ground truth is known, with scikit-learn's
//! definitions (`scripts/reference/performance.py` writes the values they are checked against).
//!
//! Classification metrics are functions of the confusion matrix (weights, so that expected
//! matrices from estimation go through the same code), except ROC AUC, which ranks the scores.

use super::{Metric, Problem};

/// Confusion matrix of `truth` against `predicted` (class positions), rows = true class.
pub fn confusion(truth: &[u32], predicted: &[u32], classes: usize) -> Vec<Vec<u64>> {
    let mut cm = vec![vec![0u64; classes]; classes];
    for (&t, &p) in truth.iter().zip(predicted) {
        cm[t as usize][p as usize] += 1;
    }
    cm
}

/// A confusion matrix of weights (counts, or expected counts), flattened row by row.
pub(crate) type Cells = [f64];

/// The value of a confusion-matrix metric for a matrix of `k` x `k` weights; NaN when undefined
/// (a precision with no predicted positives, a recall with no true positives).
pub(crate) fn from_cells(metric: Metric, problem: Problem, cells: &Cells, k: usize) -> f64 {
    let at = |t: usize, p: usize| cells[t * k + p];
    let total: f64 = cells.iter().sum();
    if metric == Metric::Accuracy {
        return (0..k).map(|c| at(c, c)).sum::<f64>() / total;
    }
    let per_class = |c: usize| -> f64 {
        let tp = at(c, c);
        let predicted: f64 = (0..k).map(|t| at(t, c)).sum();
        let actual: f64 = (0..k).map(|p| at(c, p)).sum();
        match metric {
            Metric::Precision => ratio(tp, predicted),
            Metric::Recall => ratio(tp, actual),
            // scikit-learn's F1: 2 TP / (2 TP + FP + FN), undefined when all three are zero.
            _ => ratio(2.0 * tp, predicted + actual),
        }
    };
    match problem {
        Problem::Binary => per_class(1),
        // Macro average over the classes where the metric is defined (scikit-learn's
        // `zero_division=np.nan`).
        _ => mean_defined((0..k).map(per_class)),
    }
}

fn ratio(num: f64, den: f64) -> f64 {
    if den > 0.0 { num / den } else { f64::NAN }
}

/// Mean of the values that are not NaN; NaN when none is.
pub(crate) fn mean_defined(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values
        .filter(|v| !v.is_nan())
        .fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    if n == 0 { f64::NAN } else { sum / n as f64 }
}

/// ROC AUC of `scores` for rows whose label is `positive`: the Mann-Whitney statistic with ties
/// counted half, which is the area under scikit-learn's ROC curve. `weights` give each row a
/// positive and a negative weight (1/0 for a labelled row; `p`, `1 - p` for an expected one).
/// NaN when either weight sums to zero.
pub(crate) fn roc_auc(scores: &[f64], weights: impl Fn(usize) -> (f64, f64)) -> f64 {
    let mut order: Vec<usize> = (0..scores.len()).collect();
    order.sort_unstable_by(|&a, &b| scores[a].total_cmp(&scores[b]));
    let (mut below_negative, mut area, mut positives) = (0.0f64, 0.0f64, 0.0f64);
    let mut i = 0;
    while i < order.len() {
        let mut j = i;
        let (mut tie_pos, mut tie_neg) = (0.0, 0.0);
        while j < order.len() && scores[order[j]] == scores[order[i]] {
            let (p, n) = weights(order[j]);
            tie_pos += p;
            tie_neg += n;
            j += 1;
        }
        area += tie_pos * (below_negative + 0.5 * tie_neg);
        below_negative += tie_neg;
        positives += tie_pos;
        i = j;
    }
    if positives > 0.0 && below_negative > 0.0 {
        area / (positives * below_negative)
    } else {
        f64::NAN
    }
}

/// ROC AUC of a labelled window: binary on the positive class's score; multiclass one-vs-rest,
/// the macro mean over the classes present and absent in the window's truth.
pub fn classification_roc_auc(
    problem: Problem,
    truth: &[u32],
    scores: &[f64],
    columns: usize,
) -> f64 {
    let column =
        |c: usize| -> Vec<f64> { scores.iter().skip(c).step_by(columns).copied().collect() };
    let auc_of = |class: u32, score: &[f64]| {
        roc_auc(score, |i| {
            if truth[i] == class {
                (1.0, 0.0)
            } else {
                (0.0, 1.0)
            }
        })
    };
    match problem {
        Problem::Binary => auc_of(1, &column(0)),
        _ => mean_defined((0..columns).map(|c| auc_of(c as u32, &column(c)))),
    }
}

/// Regression losses of `truth` against `predicted`; MAPE leaves out rows whose truth is 0
/// (their percentage error is infinite) and says how many it left out.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Losses {
    /// Mean absolute error.
    pub mae: f64,
    /// Mean squared error.
    pub mse: f64,
    /// Mean absolute percentage error (a share: 0.1 = 10 %) over rows with a non-zero truth.
    pub mape: f64,
    /// Rows left out of MAPE because their truth is 0.
    pub mape_excluded: u64,
}

impl Losses {
    /// The losses of paired rows.
    pub fn of(truth: &[f64], predicted: &[f64]) -> Losses {
        let n = truth.len() as f64;
        let (mut abs, mut sq, mut pct, mut pct_rows) = (0.0, 0.0, 0.0, 0u64);
        for (&t, &p) in truth.iter().zip(predicted) {
            let e = t - p;
            abs += e.abs();
            sq += e * e;
            if t != 0.0 {
                pct += e.abs() / t.abs();
                pct_rows += 1;
            }
        }
        Losses {
            mae: abs / n,
            mse: sq / n,
            mape: if pct_rows > 0 {
                pct / pct_rows as f64
            } else {
                f64::NAN
            },
            mape_excluded: truth.len() as u64 - pct_rows,
        }
    }

    /// The value of one regression metric.
    pub fn get(&self, metric: Metric) -> f64 {
        match metric {
            Metric::Mae => self.mae,
            Metric::Mse => self.mse,
            Metric::Rmse => self.mse.sqrt(),
            Metric::Mape => self.mape,
            _ => f64::NAN,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn auc_counts_ties_half() {
        let scores = [0.1, 0.4, 0.4, 0.8];
        let truth = [0u32, 0, 1, 1];
        let auc = classification_roc_auc(Problem::Binary, &truth, &scores, 1);
        // Pairs (pos, neg): 0.4 vs 0.1 win, 0.4 vs 0.4 tie, 0.8 wins twice: 3.5 / 4.
        assert_eq!(auc, 0.875);
    }

    #[test]
    fn macro_leaves_out_undefined_classes() {
        // Class 2 is never true nor predicted: its precision and recall are undefined.
        let cm = confusion(&[0, 1, 1, 0], &[0, 1, 0, 0], 3);
        let cells: Vec<f64> = cm.iter().flatten().map(|&c| c as f64).collect();
        let recall = from_cells(Metric::Recall, Problem::Multiclass, &cells, 3);
        assert_eq!(recall, (1.0 + 0.5) / 2.0);
    }
}

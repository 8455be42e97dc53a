//! How far a window's metric moves by chance: the standard errors behind every band and every
//! verdict of performance.
//!
//! Confusion-matrix metrics use one rule, the delta method: a metric is a smooth function of the
//! matrix's weights, so its variance is the variance of the weights (multinomial for realized
//! windows, a sum of per-row categorical draws for estimated ones) carried through the metric's
//! gradient. A realized ROC AUC uses Hanley and McNeil's formula; an estimated one its own delta
//! method (`estimate`).

use super::realized::from_cells;
use super::{Metric, Problem};

/// The gradient of a confusion-matrix metric with respect to each cell's weight, by central
/// differences; cells where the metric is undefined on either side get 0.
pub(crate) fn gradient(metric: Metric, problem: Problem, cells: &[f64], k: usize) -> Vec<f64> {
    let total: f64 = cells.iter().sum();
    let h = (total * 1e-6).max(1e-9);
    let mut work = cells.to_vec();
    (0..cells.len())
        .map(|c| {
            let base = work[c];
            work[c] = base + h;
            let up = from_cells(metric, problem, &work, k);
            work[c] = (base - h).max(0.0);
            let down = from_cells(metric, problem, &work, k);
            let step = base + h - work[c];
            work[c] = base;
            let g = (up - down) / step;
            if g.is_finite() { g } else { 0.0 }
        })
        .collect()
}

/// Standard error of a confusion-matrix metric over windows of `rows` rows drawn from a
/// population whose matrix has these cell `shares` (the reference's, for realized windows): the
/// variance of a multinomial draw through the metric's gradient.
pub(crate) fn multinomial(
    metric: Metric,
    problem: Problem,
    shares: &[f64],
    k: usize,
    rows: f64,
) -> f64 {
    if rows <= 0.0 {
        return f64::NAN;
    }
    // The metric does not change when every weight is scaled, so its gradient at `rows x
    // shares` is the gradient at `shares` divided by `rows`.
    let g = gradient(metric, problem, shares, k);
    let mean: f64 = shares.iter().zip(&g).map(|(s, g)| s * g).sum();
    let second: f64 = shares.iter().zip(&g).map(|(s, g)| s * g * g).sum();
    ((second - mean * mean).max(0.0) / rows).sqrt()
}

/// Hanley and McNeil's (1982) standard error of an AUC of `auc` from `positives` and
/// `negatives` rows.
pub(crate) fn hanley_mcneil(auc: f64, positives: f64, negatives: f64) -> f64 {
    if !(auc.is_finite() && positives > 0.0 && negatives > 0.0) {
        return f64::NAN;
    }
    let q1 = auc / (2.0 - auc);
    let q2 = 2.0 * auc * auc / (1.0 + auc);
    let var = (auc * (1.0 - auc)
        + (positives - 1.0).max(0.0) * (q1 - auc * auc)
        + (negatives - 1.0).max(0.0) * (q2 - auc * auc))
        / (positives * negatives);
    var.max(0.0).sqrt()
}

/// The two-sided 95 % normal quantile.
pub const Z95: f64 = 1.959_963_984_540_054;

/// `value ± 1.96 se`, clipped to `[low, high]`.
pub(crate) fn band(value: f64, se: f64, low: f64, high: f64) -> (f64, f64) {
    (
        (value - Z95 * se).clamp(low, high),
        (value + Z95 * se).clamp(low, high),
    )
}

/// Whether a metric's value `problem`-wise is not a rate in [0, 1] (a loss), so its band is
/// clipped at 0 only.
pub(crate) fn bounds(metric: Metric) -> (f64, f64) {
    if metric.is_loss() {
        (0.0, f64::INFINITY)
    } else {
        (0.0, 1.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accuracy_error_is_the_binomial_one() {
        // 80 % accuracy: cells (TN, FP, FN, TP) = (.5, .1, .1, .3).
        let shares = [0.5, 0.1, 0.1, 0.3];
        let se = multinomial(Metric::Accuracy, Problem::Binary, &shares, 2, 100.0);
        assert!((se - (0.8f64 * 0.2 / 100.0).sqrt()).abs() < 1e-6, "{se}");
        // Precision: TP / (TP + FP) = .75 over 40 % of the rows predicted positive.
        let se = multinomial(Metric::Precision, Problem::Binary, &shares, 2, 100.0);
        assert!((se - (0.75f64 * 0.25 / 40.0).sqrt()).abs() < 1e-6, "{se}");
    }
}

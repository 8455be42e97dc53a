//! What the coefficient looks like when nothing drifted: its p-value and noise floor at this run's
//! own sample size and features.
//!
//! # Small samples: label permutations
//!
//! Up to 1,000 rows per side the null comes from **label permutations** ([`from_null`]): the
//! model refitted on randomly relabelled rows, exact under exchangeability whatever the model.
//!
//! # Large samples: prequential folds
//!
//! Refits cost too much above that. Under no drift, baseline and target rows are exchangeable,
//! so within one cross-fitting fold, which of its rows carry the target label is (given how many
//! do) a uniformly random choice. A fold's out-of-fold predictions are therefore tested exactly
//! against its labels **when the model that made them saw no label that the other tested folds'
//! models depend on**. Pooling the K folds of a cross-fit breaks that: each fold's labels helped
//! train the other folds' models, so a chance pattern shared by two folds is learnt by each from
//! the other, and the pooled null is wider than the folds-as-independent reference (that
//! reference passed a 1 % level in 1.7 % of no-drift seeds at 2,000 rows per side and 2.7 % at
//! 10,000).
//!
//! The p-value is instead **prequential**: fold 1 is scored by a model trained on fold 0, fold 2
//! by one trained on folds 0 and 1, and so on, the last fold by the cross-fit's own model for it.
//! Given the folds before it, a fold's labels are a uniform random choice whatever those folds
//! held, so the folds' statistics are independent under no drift, each exactly the Mann-Whitney
//! rank-sum of its scores ([`mann_whitney_z`], the ROC AUC standardised with the tie
//! correction). The p-value is that of their sum (Stouffer's method, [`stouffer_p_value`]):
//! within the binomial band of the level over many seeds at 2,000, 10,000 and 50,000 rows per
//! side (`docs/classifier.md`). It tests K - 1 of the K folds by their rank, not their
//! thresholded table, which keeps most of the pooled test's power.
//!
//! The noise floor, the 99th percentile of the coefficient without drift, is still read from the
//! pooled MCC's folds-as-independent reference ([`calibrate`]): the exact convolution of the
//! folds' hypergeometric true-positive counts. It is a scale for the reader (below 0.04 above
//! 1,000 rows per side), not the gate.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::gamma::ln_gamma;

/// The 2 x 2 table of one fold's out-of-fold predictions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldTable {
    /// Rows in the fold.
    pub rows: usize,
    /// Target rows in the fold.
    pub positives: usize,
    /// Rows the fold's model predicted to be target rows.
    pub predicted: usize,
    /// Target rows among those predicted.
    pub true_positives: usize,
}

/// The observed coefficient set against its null distribution.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibration {
    /// Matthews correlation of the pooled table, before clipping.
    pub mcc: f64,
    /// P(null coefficient >= observed): exact under the reference above.
    pub p_value: f64,
    /// The `quantile` quantile of the null coefficient (clipped to [0, 1]).
    pub noise_floor: f64,
    /// Mean of the null coefficient (clipped to [0, 1]).
    pub null_mean: f64,
    /// Refits behind the null (0 for the hypergeometric reference).
    pub refits: usize,
}

/// Probabilities of a count, from `offset` on.
#[derive(Debug, Clone)]
struct Pmf {
    offset: usize,
    p: Vec<f64>,
}

/// Probabilities below this fraction of the mode's are dropped (they underflow anyway).
const NEGLIGIBLE: f64 = 1e-300;

fn ln_choose(n: usize, k: usize) -> f64 {
    ln_gamma(n as f64 + 1.0) - ln_gamma(k as f64 + 1.0) - ln_gamma((n - k) as f64 + 1.0)
}

/// Hypergeometric pmf of the successes among `draws` rows drawn from `population` rows of which
/// `successes` are successes, from the mode outwards until the terms vanish, then normalised.
fn hypergeometric(population: usize, successes: usize, draws: usize) -> Pmf {
    let lo = (draws + successes).saturating_sub(population);
    let hi = draws.min(successes);
    if lo >= hi {
        return Pmf {
            offset: lo,
            p: vec![1.0],
        };
    }
    let mode = (((draws + 1) as f64 * (successes + 1) as f64 / (population + 2) as f64).floor()
        as usize)
        .clamp(lo, hi);
    let at_mode = (ln_choose(successes, mode) + ln_choose(population - successes, draws - mode)
        - ln_choose(population, draws))
    .exp();
    // ratio(x) = pmf(x + 1) / pmf(x)
    let ratio = |x: usize| -> f64 {
        let (k, n, nn) = (successes as f64, draws as f64, population as f64);
        let x = x as f64;
        (k - x) * (n - x) / ((x + 1.0) * (nn - k - n + x + 1.0))
    };
    let mut up = Vec::new();
    let mut v = at_mode;
    let mut x = mode;
    while x < hi {
        v *= ratio(x);
        x += 1;
        if v < NEGLIGIBLE * at_mode {
            break;
        }
        up.push(v);
    }
    let mut down = Vec::new();
    let mut v = at_mode;
    let mut x = mode;
    while x > lo {
        v /= ratio(x - 1);
        x -= 1;
        if v < NEGLIGIBLE * at_mode {
            break;
        }
        down.push(v);
    }
    let offset = mode - down.len();
    let mut p: Vec<f64> = down.into_iter().rev().collect();
    p.push(at_mode);
    p.extend(up);
    let total: f64 = p.iter().sum();
    p.iter_mut().for_each(|v| *v /= total);
    Pmf { offset, p }
}

fn convolve(a: &Pmf, b: &Pmf) -> Pmf {
    let mut p = vec![0.0; a.p.len() + b.p.len() - 1];
    for (i, &x) in a.p.iter().enumerate() {
        if x == 0.0 {
            continue;
        }
        for (j, &y) in b.p.iter().enumerate() {
            p[i + j] += x * y;
        }
    }
    // Trim what underflowed at the ends, so long chains of convolutions stay short.
    let top = p.iter().copied().fold(0.0, f64::max);
    let first = p.iter().position(|&v| v >= NEGLIGIBLE * top).unwrap_or(0);
    let last = p
        .iter()
        .rposition(|&v| v >= NEGLIGIBLE * top)
        .unwrap_or(p.len() - 1);
    Pmf {
        offset: a.offset + b.offset + first,
        p: p[first..=last].to_vec(),
    }
}

/// Matthews correlation of a 2 x 2 table given its true positives and margins; 0 when a margin
/// is empty (scikit-learn's convention).
pub fn mcc_of(rows: usize, positives: usize, predicted: usize, true_positives: usize) -> f64 {
    let (n, pos, pred, tp) = (
        rows as f64,
        positives as f64,
        predicted as f64,
        true_positives as f64,
    );
    let denominator = pred * pos * (n - pred) * (n - pos);
    if denominator == 0.0 {
        return 0.0;
    }
    (n * tp - pred * pos) / denominator.sqrt()
}

/// The pooled coefficient of `folds`, its p-value, noise floor (`quantile` quantile of the
/// null) and null mean, with the folds treated as independent (see the module docs for why the
/// large-sample gate uses [`stouffer_p_value`] instead).
pub fn calibrate(folds: &[FoldTable], quantile: f64) -> Calibration {
    let rows: usize = folds.iter().map(|f| f.rows).sum();
    let positives: usize = folds.iter().map(|f| f.positives).sum();
    let predicted: usize = folds.iter().map(|f| f.predicted).sum();
    let true_positives: usize = folds.iter().map(|f| f.true_positives).sum();
    let mcc = mcc_of(rows, positives, predicted, true_positives);
    let mut null = Pmf {
        offset: 0,
        p: vec![1.0],
    };
    for f in folds {
        null = convolve(&null, &hypergeometric(f.rows, f.positives, f.predicted));
    }
    let coefficient = |tp: usize| mcc_of(rows, positives, predicted, tp).clamp(0.0, 1.0);
    let mut p_value = 0.0;
    let mut null_mean = 0.0;
    let mut below = 0.0;
    let mut noise_floor = None;
    for (i, &p) in null.p.iter().enumerate() {
        let tp = null.offset + i;
        if tp >= true_positives {
            p_value += p;
        }
        null_mean += p * coefficient(tp);
        below += p;
        if noise_floor.is_none() && below >= quantile {
            noise_floor = Some(coefficient(tp));
        }
    }
    let last = null.offset + null.p.len() - 1;
    Calibration {
        mcc,
        // A constant prediction gives MCC 0 whatever the labels: nothing to test.
        p_value: if mcc_of(rows, positives, predicted, last) == 0.0 {
            1.0
        } else {
            p_value.clamp(0.0, 1.0)
        },
        noise_floor: noise_floor.unwrap_or_else(|| coefficient(last)),
        null_mean,
        refits: 0,
    }
}

/// The Mann-Whitney statistic of `scores` against `labels` (true = target), standardised: the
/// ROC AUC's distance from 0.5 in standard deviations of its null distribution, with the
/// variance corrected for tied scores. Positive when target rows score higher. 0 when a side is
/// absent or every score ties (nothing to test).
pub fn mann_whitney_z(labels: &[bool], scores: &[f64]) -> f64 {
    let n = labels.len().min(scores.len());
    let positives = labels[..n].iter().filter(|&&t| t).count() as f64;
    let negatives = n as f64 - positives;
    let mut sorted: Vec<f64> = scores[..n].to_vec();
    sorted.sort_by(f64::total_cmp);
    // Sum of t^3 - t over groups of t tied scores.
    let mut ties = 0.0;
    for group in sorted.chunk_by(|a, b| a == b) {
        let t = group.len() as f64;
        ties += t * t * t - t;
    }
    let rows = n as f64;
    let variance = positives * negatives / 12.0 * ((rows + 1.0) - ties / (rows * (rows - 1.0)));
    if positives == 0.0 || negatives == 0.0 || variance <= 0.0 {
        return 0.0;
    }
    let u = (super::scores::roc_auc(&labels[..n], &scores[..n]) - 0.5) * positives * negatives;
    u / variance.sqrt()
}

/// One-sided p-value of independent standard-normal statistics summed (Stouffer's method):
/// `P(N(0, 1) >= sum / sqrt(count))`; 1 when there are none.
pub fn stouffer_p_value(z: &[f64]) -> f64 {
    if z.is_empty() {
        return 1.0;
    }
    let combined = z.iter().sum::<f64>() / (z.len() as f64).sqrt();
    Normal::standard().sf(combined)
}

/// Matthews correlation of the folds' tables pooled into one.
pub fn pooled_mcc(folds: &[FoldTable]) -> f64 {
    let sum = |f: fn(&FoldTable) -> usize| folds.iter().map(f).sum::<usize>();
    mcc_of(
        sum(|f| f.rows),
        sum(|f| f.positives),
        sum(|f| f.predicted),
        sum(|f| f.true_positives),
    )
}

/// The observed MCC set against refitted null MCCs (label permutations), `as_good` of which
/// were at least as good as the real fit by the test's statistic: p-value
/// `(1 + as_good) / (1 + refits)`, exact under exchangeability; the noise floor is the
/// `quantile` quantile of the clipped null values (nearest rank).
pub fn from_null(observed: f64, null: &[f64], as_good: usize, quantile: f64) -> Calibration {
    let mut clipped: Vec<f64> = null.iter().map(|v| v.clamp(0.0, 1.0)).collect();
    clipped.sort_by(f64::total_cmp);
    let r = clipped.len();
    let rank = ((quantile * r as f64).ceil() as usize).clamp(1, r.max(1));
    Calibration {
        mcc: observed,
        p_value: (1 + as_good) as f64 / (1 + r) as f64,
        noise_floor: clipped.get(rank - 1).copied().unwrap_or(0.0),
        null_mean: if r == 0 {
            0.0
        } else {
            clipped.iter().sum::<f64>() / r as f64
        },
        refits: r,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mann_whitney_matches_scipy() {
        // scipy.stats.mannwhitneyu(t, b, alternative="greater", method="asymptotic",
        // use_continuity=False) with t = [0.9, 0.8, 0.8, 0.3, 0.5], b = [0.1, 0.8, 0.2, 0.3]:
        // statistic 16.5 and pvalue 0.0519309742.
        let scores = [0.9, 0.8, 0.8, 0.3, 0.5, 0.1, 0.8, 0.2, 0.3];
        let labels = [true, true, true, true, true, false, false, false, false];
        let z = mann_whitney_z(&labels, &scores);
        let p = stouffer_p_value(&[z]);
        assert!((p - 0.051_930_974).abs() < 1e-8, "p {p}, z {z}");
        // Every score tied, or one side only: nothing to test.
        assert_eq!(mann_whitney_z(&labels, &[0.5; 9]), 0.0);
        assert_eq!(mann_whitney_z(&[true; 3], &[0.1, 0.2, 0.3]), 0.0);
        assert_eq!(stouffer_p_value(&[]), 1.0);
        // Two independent z of 1.645 sum to a z of 2.326: p 0.01.
        assert!((stouffer_p_value(&[1.644_853_6, 1.644_853_6]) - 0.01).abs() < 1e-4);
    }

    #[test]
    fn hypergeometric_matches_scipy() {
        // scipy.stats.hypergeom(M=20, n=7, N=12).pmf(5) == 0.2860681114551084: population 20, 7
        // successes, 12 draws.
        let pmf = hypergeometric(20, 7, 12);
        let at = |x: usize| pmf.p[x - pmf.offset];
        assert!((at(5) - 0.2860681114551084).abs() < 1e-12, "{}", at(5));
        assert!((pmf.p.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        // Large, far in the tail: hypergeom(100000, 50000, 50000).sf(25599) == P(X >= 25600)
        let pmf = hypergeometric(100_000, 50_000, 50_000);
        let tail: f64 = pmf
            .p
            .iter()
            .enumerate()
            .filter(|(i, _)| pmf.offset + i >= 25_600)
            .map(|(_, p)| p)
            .sum();
        assert!((tail / 1.6817911036565778e-14 - 1.0).abs() < 1e-6, "{tail}");
    }

    #[test]
    fn one_fold_is_fisher_one_sided() {
        // One fold of 20 rows, 10 targets, 8 predicted target, 6 of them right:
        // scipy.stats.fisher_exact([[6, 2], [4, 8]], alternative="greater").pvalue
        let c = calibrate(
            &[FoldTable {
                rows: 20,
                positives: 10,
                predicted: 8,
                true_positives: 6,
            }],
            0.99,
        );
        assert!(
            (c.p_value - 0.08490116694451058).abs() < 1e-12,
            "{}",
            c.p_value
        );
        assert!((c.mcc - mcc_of(20, 10, 8, 6)).abs() < 1e-15);
    }

    #[test]
    fn a_constant_prediction_is_never_significant() {
        let c = calibrate(
            &[FoldTable {
                rows: 20,
                positives: 10,
                predicted: 0,
                true_positives: 0,
            }],
            0.99,
        );
        assert_eq!((c.mcc, c.p_value, c.noise_floor), (0.0, 1.0, 0.0));
    }

    #[test]
    fn the_noise_floor_shrinks_like_one_over_root_n() {
        let floor = |n: usize| {
            let folds: Vec<FoldTable> = (0..5)
                .map(|_| FoldTable {
                    rows: 2 * n / 5,
                    positives: n / 5,
                    predicted: n / 5,
                    true_positives: n / 10,
                })
                .collect();
            calibrate(&folds, 0.99).noise_floor
        };
        // 99th percentile of MCC under the null ~ 2.33 / sqrt(2n).
        for n in [1_000, 10_000, 50_000] {
            let want = 2.326 / ((2 * n) as f64).sqrt();
            let got = floor(n);
            assert!((got / want - 1.0).abs() < 0.05, "{n}: {got} vs {want}");
        }
    }
}

//! Scores of hard and probabilistic predictions, computed in f64 and checked against
//! scikit-learn (`matthews_corrcoef`, `roc_auc_score`).

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
}

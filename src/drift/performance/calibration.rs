//! Isotonic calibration of a classifier's scores on the labelled reference, as scikit-learn's
//! `IsotonicRegression(out_of_bounds="clip")` fits and predicts it: pool adjacent violators over
//! the distinct scores, then linear interpolation between the ends of the fitted blocks.
//!
//! Each block also keeps how many reference rows it pooled, so that estimation can say how
//! uncertain a calibrated probability is: a block of 20 rows pins its rate far less than one of
//! 20,000.

/// A fitted non-decreasing map from a score to the probability of the class.
#[derive(Debug, Clone, PartialEq)]
pub struct Isotonic {
    /// Knots: score, calibrated probability, reference rows of the knot's block.
    knots: Vec<(f64, f64, f64)>,
}

/// A calibrated probability and the variance of its calibration (the binomial variance of the
/// block's rate at the block's size).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Calibrated {
    /// The probability.
    pub p: f64,
    /// Variance of `p` from the finite reference.
    pub variance: f64,
    /// The knot whose block the score falls in (nearest), to group rows that share an error.
    pub block: usize,
}

impl Isotonic {
    /// Fits on `(score, label)` pairs, `label` in {0, 1}; `None` without pairs.
    pub fn fit(mut pairs: Vec<(f64, f64)>) -> Option<Isotonic> {
        pairs.retain(|(x, y)| x.is_finite() && y.is_finite());
        if pairs.is_empty() {
            return None;
        }
        pairs.sort_unstable_by(|a, b| a.0.total_cmp(&b.0));
        // Blocks: (first score, last score, sum of labels, rows).
        let mut blocks: Vec<(f64, f64, f64, f64)> = Vec::new();
        for (x, y) in pairs {
            match blocks.last_mut() {
                Some(last) if last.1 == x => {
                    last.2 += y;
                    last.3 += 1.0;
                }
                _ => blocks.push((x, x, y, 1.0)),
            }
            // Pool while the last block's mean is below the one before it.
            while blocks.len() >= 2 {
                let n = blocks.len();
                let (a, b) = (blocks[n - 2], blocks[n - 1]);
                if a.2 / a.3 <= b.2 / b.3 {
                    break;
                }
                blocks[n - 2] = (a.0, b.1, a.2 + b.2, a.3 + b.3);
                blocks.pop();
            }
        }
        let mut knots = Vec::with_capacity(blocks.len() * 2);
        for (first, last, sum, rows) in blocks {
            let p = sum / rows;
            knots.push((first, p, rows));
            if last != first {
                knots.push((last, p, rows));
            }
        }
        Some(Isotonic { knots })
    }

    /// The calibrated probability of `score`: interpolated between knots, clipped to the
    /// fitted range.
    pub fn predict(&self, score: f64) -> Calibrated {
        let k = &self.knots;
        let at = |i: usize| Calibrated {
            p: k[i].1,
            variance: binomial_variance(k[i].1, k[i].2),
            block: i,
        };
        if !score.is_finite() || score <= k[0].0 {
            return at(0);
        }
        let upper = k.partition_point(|knot| knot.0 < score);
        if upper >= k.len() {
            return at(k.len() - 1);
        }
        if k[upper].0 == score || upper == 0 {
            return at(upper);
        }
        let (a, b) = (k[upper - 1], k[upper]);
        let t = (score - a.0) / (b.0 - a.0);
        Calibrated {
            p: a.1 + t * (b.1 - a.1),
            variance: (1.0 - t).powi(2) * binomial_variance(a.1, a.2)
                + t * t * binomial_variance(b.1, b.2),
            block: if t < 0.5 { upper - 1 } else { upper },
        }
    }

    /// Number of knots (blocks are at most this many).
    pub fn knots(&self) -> usize {
        self.knots.len()
    }
}

/// Variance of a rate `p` measured on `rows` rows; a block of all 0s or all 1s still has the
/// uncertainty of a rule-of-three bound (as if half a row had gone the other way).
fn binomial_variance(p: f64, rows: f64) -> f64 {
    let p = p.clamp(0.5 / (rows + 1.0), 1.0 - 0.5 / (rows + 1.0));
    p * (1.0 - p) / rows
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pools_violators_and_interpolates() {
        // Scores 1..4 with labels 0, 1, 0, 1: the middle pair pools to 0.5.
        let pairs = vec![(1.0, 0.0), (2.0, 1.0), (3.0, 0.0), (4.0, 1.0)];
        let iso = Isotonic::fit(pairs).unwrap();
        assert_eq!(iso.predict(2.5).p, 0.5);
        assert_eq!(iso.predict(1.5).p, 0.25);
        assert_eq!(iso.predict(0.0).p, 0.0);
        assert_eq!(iso.predict(9.0).p, 1.0);
    }
}

//! Which features drifted: per-feature p-values, their adjustment for testing many features, and
//! the `drifted` flag that pairs significance with a minimum effect.
//!
//! # The rule
//!
//! Each feature has two tests: its values (two-sample KS for numeric features,
//! [`super::metrics::ks_p_value`]; chi-squared homogeneity for categorical ones,
//! [`super::metrics::chi_squared`]) and its missing rate ([`super::metrics::missing_rate_p_value`]).
//! Its p-value, `drift_p_value`, is the smaller of the two times 2 (Bonferroni within the
//! feature, valid whatever the dependence of the two tests). Across features the p-values are
//! adjusted by **Holm's step-down method** (`drift_p_value_adjusted`). A feature is **drifted**
//! when its adjusted p-value is at most the significance level (default 0.01) **and** its effect
//! size `drift_effect_size` is at least its minimum effect (default 0.1, per feature settable).
//!
//! The effect size is the larger of the value effect (numeric: `normalized_wasserstein_distance`,
//! W1 in baseline standard deviations; categorical: `jensen_shannon_distance`, missing values as
//! a category) and the missing-rate effect (`missing_rate_cohens_h`). All three read "0.1 = a
//! small but real change" (Evidently's default drift thresholds are 0.1 normalised W1 and 0.1 JS
//! distance; 0.1 in Cohen's h is half his "small"), so one minimum serves every kind of feature.
//!
//! # Why Holm, not Benjamini–Hochberg
//!
//! A monitor's cost of a false flag is an alert someone chases. Holm controls the family-wise
//! error rate, the chance that *any* feature is flagged when none drifted, which is what "no
//! feature flagged in more than 1 % of quiet days" needs; Benjamini–Hochberg controls the share
//! of false flags among the flagged, which lets one quiet feature ride along with real drift and
//! gives no such guarantee per run. Holm is valid under any dependence between features (they
//! are usually correlated), where BH needs positive dependence, and it is uniformly more powerful
//! than Bonferroni. Real drift at the sizes the monitor sees has tiny p-values, so the price in
//! power is small; and at large samples the minimum effect, not the p-value, is what decides.
//!
//! **Reference.** Holm: `statsmodels.stats.multitest.multipletests(p, method="holm")[1]`;
//! recomputed by `scripts/reference/significance.py`.

use std::collections::BTreeMap;

pub use crate::detector::DEFAULT_MIN_EFFECT;
use crate::detector::DetectorConfig;
use crate::drift::metrics::names;
use crate::drift::result::Metric;

/// Default family-wise significance level of the flags and of the coefficient.
pub const DEFAULT_SIGNIFICANCE_LEVEL: f64 = 0.01;

/// What makes a feature drifted.
#[derive(Debug, Clone, PartialEq)]
pub struct SignificanceOptions {
    /// Family-wise level of the adjusted p-values (and the classifier's level). Default 0.01.
    pub level: f64,
    /// Minimum effect size of a drifted feature. Default 0.1.
    pub min_effect: f64,
    /// Minimum effect of named features, in place of `min_effect`.
    pub min_effect_by_feature: BTreeMap<String, f64>,
}

impl Default for SignificanceOptions {
    fn default() -> Self {
        SignificanceOptions {
            level: DEFAULT_SIGNIFICANCE_LEVEL,
            min_effect: DEFAULT_MIN_EFFECT,
            min_effect_by_feature: BTreeMap::new(),
        }
    }
}

impl SignificanceOptions {
    /// The minimum effects a detector sets (`min_effect`, `feature_thresholds`).
    pub fn for_detector(detector: &DetectorConfig) -> Self {
        SignificanceOptions {
            min_effect: detector.min_effect,
            min_effect_by_feature: detector.feature_thresholds.clone(),
            ..SignificanceOptions::default()
        }
    }

    /// The minimum effect of `feature`.
    pub fn min_effect_of(&self, feature: &str) -> f64 {
        self.min_effect_by_feature
            .get(feature)
            .copied()
            .unwrap_or(self.min_effect)
    }
}

/// The tests of one feature, before adjustment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FeatureTests {
    /// p-value of the value test (KS or chi-squared); NaN when undefined.
    pub value_p: f64,
    /// Effect size of the values (normalised W1 or JS distance); NaN when undefined.
    pub value_effect: f64,
    /// p-value of the missing-rate test.
    pub missing_p: f64,
    /// Cohen's h of the missing rates.
    pub missing_effect: f64,
}

impl FeatureTests {
    /// The tests of a feature, read from its metrics ([`crate::drift::metrics::numeric`] or
    /// [`crate::drift::metrics::categorical`]); a test that is absent counts as undefined.
    pub fn from_metrics(metrics: &[Metric]) -> Self {
        let pick = |names: &[&str]| {
            names
                .iter()
                .find_map(|n| metrics.iter().find(|m| m.name == *n))
                .map_or(f64::NAN, |m| m.value)
        };
        FeatureTests {
            value_p: pick(&[names::KS_P_VALUE, names::CHI_SQUARED_P_VALUE]),
            value_effect: pick(&[
                names::NORMALIZED_WASSERSTEIN_DISTANCE,
                names::JENSEN_SHANNON_DISTANCE,
            ]),
            missing_p: pick(&[names::MISSING_RATE_P_VALUE]),
            missing_effect: pick(&[names::MISSING_RATE_COHENS_H]),
        }
    }

    /// `drift_p_value`: twice the smaller p-value (at most 1); an undefined test counts as 1.
    pub fn p_value(&self) -> f64 {
        let p = |v: f64| if v.is_nan() { 1.0 } else { v };
        (2.0 * p(self.value_p).min(p(self.missing_p))).min(1.0)
    }

    /// `drift_effect_size`: the larger of the two effects; an undefined one counts as 0.
    pub fn effect(&self) -> f64 {
        let e = |v: f64| if v.is_finite() { v } else { 0.0 };
        e(self.value_effect).max(e(self.missing_effect))
    }
}

/// One feature's verdict, stored in the result as its metrics `drift_p_value`,
/// `drift_p_value_adjusted`, `drift_effect_size`, `drift_min_effect` and `drifted`.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct FeatureSignificance {
    /// `drift_p_value`.
    pub p_value: f64,
    /// `drift_p_value_adjusted` (Holm, across the run's features).
    pub p_value_adjusted: f64,
    /// `drift_effect_size`.
    pub effect_size: f64,
    /// `drift_min_effect`: the minimum effect this feature had to reach.
    pub min_effect: f64,
    /// Adjusted p-value at most the level and effect at least the minimum.
    pub drifted: bool,
}

/// Holm's step-down adjustment: sorted ascending, `p_(i)` becomes `max over j <= i of
/// min(1, (m - j + 1) p_(j))`; returned in the input's order. NaN counts as 1.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let p = |i: usize| {
        let v = p_values[i];
        if v.is_nan() { 1.0 } else { v }
    };
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p(a).total_cmp(&p(b)));
    let mut adjusted = vec![1.0; m];
    let mut running: f64 = 0.0;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p(i)).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

/// Every feature's verdict, in the order given: `(name, tests)`.
pub fn assess(
    features: &[(&str, FeatureTests)],
    options: &SignificanceOptions,
) -> Vec<FeatureSignificance> {
    let p: Vec<f64> = features.iter().map(|(_, t)| t.p_value()).collect();
    let adjusted = holm(&p);
    features
        .iter()
        .zip(p.iter().zip(adjusted))
        .map(|((name, tests), (&p_value, p_value_adjusted))| {
            let min_effect = options.min_effect_of(name);
            let effect_size = tests.effect();
            FeatureSignificance {
                p_value,
                p_value_adjusted,
                effect_size,
                min_effect,
                drifted: p_value_adjusted <= options.level && effect_size >= min_effect,
            }
        })
        .collect()
}

impl FeatureSignificance {
    /// The verdict as the feature's metrics.
    pub fn metrics(&self) -> [Metric; 5] {
        [
            Metric::new(names::DRIFT_P_VALUE, self.p_value),
            Metric::new(names::DRIFT_P_VALUE_ADJUSTED, self.p_value_adjusted),
            Metric::new(names::DRIFT_EFFECT_SIZE, self.effect_size),
            Metric::new(names::DRIFT_MIN_EFFECT, self.min_effect),
            Metric::new(names::DRIFTED, if self.drifted { 1.0 } else { 0.0 }),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn holm_steps_down_and_keeps_order() {
        // multipletests([0.01, 0.04, 0.03, 0.005], method="holm")[1] == [0.03, 0.06, 0.06, 0.02]
        let a = holm(&[0.01, 0.04, 0.03, 0.005]);
        for (x, y) in a.iter().zip([0.03, 0.06, 0.06, 0.02]) {
            assert!((x - y).abs() < 1e-15, "{a:?}");
        }
        assert_eq!(holm(&[f64::NAN, 0.5]), vec![1.0, 1.0]);
    }

    #[test]
    fn a_feature_needs_both_significance_and_effect() {
        let tests = |value_p, value_effect| FeatureTests {
            value_p,
            value_effect,
            missing_p: 1.0,
            missing_effect: 0.0,
        };
        let mut options = SignificanceOptions::default();
        options.min_effect_by_feature.insert("big".into(), 0.5);
        let v = assess(
            &[
                ("tiny_but_sure", tests(1e-30, 0.01)),
                ("real", tests(1e-6, 0.3)),
                ("noise", tests(0.2, 0.4)),
                ("big", tests(1e-9, 0.3)),
            ],
            &options,
        );
        let flags: Vec<bool> = v.iter().map(|s| s.drifted).collect();
        assert_eq!(flags, vec![false, true, false, false]);
        assert_eq!(v[3].min_effect, 0.5);
        assert!((v[1].p_value - 2e-6).abs() < 1e-18);
    }
}

//! The `prediction_drift` signal: a model's outputs (a probability, a score, a predicted class)
//! compared with reference outputs, per output column, from the two sides' profiles.
//!
//! # Metrics
//!
//! Each output column gets the metrics an input feature gets, plus Azure ML's Chebyshev distance:
//!
//! | column | metrics |
//! |---|---|
//! | numeric (a probability, a score) | `normalized_wasserstein_distance`, `jensen_shannon_distance`, `population_stability_index`, `chebyshev_distance`, `two_sample_ks_statistic`, `ks_p_value`, and the rest of an input feature's numeric metrics |
//! | categorical (a class label) | `jensen_shannon_distance`, `population_stability_index`, `chebyshev_distance`, `chi_squared`, `chi_squared_p_value`, and the rest of an input feature's categorical metrics |
//!
//! followed by the column's `drift_p_value` and `drift_p_value_adjusted`. The distances bin as
//! input features do (`crate::drift::metrics::binning`; a category per class). On a categorical
//! column the population stability index is computed on the class shares with the same 1e-4
//! floor as on numeric bins.
//!
//! # Which columns are categorical
//!
//! A text column is categorical. A numeric column is numeric, except a **class code**: a column
//! whose reference holds at most [`MAX_CLASS_CODES`] (20) distinct values, all integers (a
//! `y_pred` of 0 and 1, a class index). Its values are compared as categories, by their counts,
//! as Azure ML compares a predicted class; a probability of 0.0 to 1.0 has far more than 20
//! values and stays numeric. To override, declare the column's type (`--type label=categorical`,
//! `feature_types`), which reads it as text.
//!
//! # The verdict
//!
//! A column's thresholded metrics are Azure ML v2's defaults (`normalized_wasserstein_distance`
//! 0.1 on numeric columns, `jensen_shannon_distance` 0.1 on categorical ones) unless
//! `metric_thresholds` names metrics for the column's kind (then exactly those), overridden per
//! metric by `feature_thresholds[column]`. A column **fails only when a thresholded metric is
//! beyond its threshold and the change is significant**: its `drift_p_value` (the value test, KS
//! or chi-squared, and the missing-rate test, as for input features:
//! [`crate::drift::significance`]) adjusted by Holm's method across the signal's output columns is
//! at most the significance level (default 0.01). At 30 rows a side the distances of an
//! unchanged output often pass 0.1 by chance (the normalised Wasserstein distance of two samples
//! of 30 from one distribution is about 0.2), and the test keeps them from alarming; at 100,000
//! rows everything is significant and the threshold decides. Measured over seeds
//! (`tests/prediction.rs`): see `docs/signals.md`.
//!
//! An output column missing from either side fails the signal, named in a warning.

use std::collections::BTreeMap;

use crate::detector::signals::{
    DEFAULT_CATEGORICAL_DRIFT_THRESHOLD, DEFAULT_NUMERICAL_DRIFT_THRESHOLD, PREDICTION_DRIFT,
    PredictionDriftConfig,
};
use crate::profile::{ColumnStats, NumericProfile, Profile, TextProfile};

use super::metrics::{self, CategoricalPair, Direction, NumericPair, Pair, names};
use super::result::{DatasetSummary, FeatureKind, Metric};
use super::signals::{SignalFeature, SignalMetric, SignalResult};
use super::significance::{self, FeatureTests, SignificanceOptions};

/// Most distinct integer values of a numeric output column, in the reference, for it to be
/// compared as class codes (categories) rather than as numbers.
pub const MAX_CLASS_CODES: usize = 20;

/// One output column's two sides, ready to compare.
enum Sides<'a> {
    Numeric(&'a NumericProfile, &'a NumericProfile),
    Categorical(TextSide<'a>, TextSide<'a>),
}

/// A categorical side: a text column as profiled, or class codes counted from a numeric one.
enum TextSide<'a> {
    Text(&'a TextProfile),
    Codes(TextProfile),
}

impl TextSide<'_> {
    fn get(&self) -> &TextProfile {
        match self {
            TextSide::Text(t) => t,
            TextSide::Codes(t) => t,
        }
    }
}

/// Whether a numeric reference column holds class codes: at most [`MAX_CLASS_CODES`] distinct
/// values, all integers (the sketch is exact at so few values).
pub fn is_class_code(reference: &NumericProfile) -> bool {
    let s = &reference.sketch;
    s.count() > 0
        && s.is_exact()
        && s.distinct_lower_bound() <= MAX_CLASS_CODES
        && s.buckets().all(|b| b.lo.fract() == 0.0)
}

/// A numeric column's counts per value, as a text column's: label `1` for the value 1.0. Values
/// the sketch no longer holds exactly (more than 32,768 distinct) count as "other"; unreadable
/// and non-finite values as missing.
fn class_codes(column: &NumericProfile) -> TextProfile {
    let mut t = TextProfile::new(usize::MAX);
    t.rows = column.rows;
    t.missing = column.rows.saturating_sub(column.count);
    for b in column.sketch.buckets() {
        if b.lo == b.hi {
            let label = if b.lo.fract() == 0.0 && b.lo.abs() < 1e15 {
                format!("{}", b.lo as i64)
            } else {
                format!("{}", b.lo)
            };
            *t.counts.entry(label).or_insert(0) += b.count;
        } else {
            t.other += b.count;
        }
    }
    t
}

/// The thresholds of one output column (see the module docs).
fn thresholds(
    config: &PredictionDriftConfig,
    column: &str,
    kind: FeatureKind,
) -> BTreeMap<String, f64> {
    let by_kind = match kind {
        FeatureKind::Numeric => &config.metric_thresholds.numerical,
        FeatureKind::Categorical => &config.metric_thresholds.categorical,
    };
    let mut out = if by_kind.is_empty() {
        match kind {
            FeatureKind::Numeric => BTreeMap::from([(
                names::NORMALIZED_WASSERSTEIN_DISTANCE.to_string(),
                DEFAULT_NUMERICAL_DRIFT_THRESHOLD,
            )]),
            FeatureKind::Categorical => BTreeMap::from([(
                names::JENSEN_SHANNON_DISTANCE.to_string(),
                DEFAULT_CATEGORICAL_DRIFT_THRESHOLD,
            )]),
        }
    } else {
        by_kind.clone()
    };
    if let Some(own) = config.feature_thresholds.get(column) {
        out.extend(own.iter().map(|(k, v)| (k.clone(), *v)));
    }
    out
}

/// Every metric of one output column, before significance.
fn column_metrics(sides: &Sides<'_>) -> Vec<Metric> {
    match sides {
        Sides::Numeric(b, t) => {
            let mut m = metrics::numeric(b, t);
            m.extend(metrics::signal(&Pair::Numeric(NumericPair::new(b, t))));
            m
        }
        Sides::Categorical(b, t) => {
            let (b, t) = (b.get(), t.get());
            let mut m = metrics::categorical(b, t);
            let pair = CategoricalPair::new(b, t);
            m.push(Metric::new(
                names::POPULATION_STABILITY_INDEX,
                categorical_psi(&pair.counts.0, &pair.counts.1),
            ));
            m.extend(metrics::signal(&Pair::Categorical(pair)));
            m
        }
    }
}

/// The population stability index of two sides' counts per category: each side's counts divided
/// by its total, then [`metrics::psi::population_stability_index`] (shares floored at 1e-4); NaN
/// when a side has no rows.
pub fn categorical_psi(reference: &[f64], production: &[f64]) -> f64 {
    let share = |v: &[f64]| -> Option<Vec<f64>> {
        let sum: f64 = v.iter().sum();
        (sum > 0.0).then(|| v.iter().map(|x| x / sum).collect())
    };
    match (share(reference), share(production)) {
        (Some(b), Some(t)) => metrics::psi::population_stability_index(&b, &t),
        _ => f64::NAN,
    }
}

/// The `prediction_drift` signal of `production`'s output columns against `reference`'s (see the
/// module docs). `significance.level` is the family-wise level across the output columns.
pub fn evaluate(
    reference: &Profile,
    production: &Profile,
    config: &PredictionDriftConfig,
    significance: &SignificanceOptions,
) -> SignalResult {
    let mut warnings = Vec::new();
    let mut compared: Vec<(&str, FeatureKind, Vec<Metric>)> = Vec::new();
    let mut failed: Vec<SignalFeature> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for column in &config.columns {
        if !seen.insert(column.as_str()) {
            continue;
        }
        let (b, t) = (reference.column(column), production.column(column));
        let sides = match (b.map(|c| &c.stats), t.map(|c| &c.stats)) {
            (Some(ColumnStats::Numeric(b)), Some(ColumnStats::Numeric(t))) => {
                if is_class_code(b) {
                    Sides::Categorical(
                        TextSide::Codes(class_codes(b)),
                        TextSide::Codes(class_codes(t)),
                    )
                } else {
                    Sides::Numeric(b, t)
                }
            }
            (Some(ColumnStats::Text(b)), Some(ColumnStats::Text(t))) => {
                Sides::Categorical(TextSide::Text(b), TextSide::Text(t))
            }
            (Some(ColumnStats::Text(b)), Some(ColumnStats::Numeric(t))) => {
                Sides::Categorical(TextSide::Text(b), TextSide::Codes(class_codes(t)))
            }
            (Some(ColumnStats::Numeric(b)), Some(ColumnStats::Text(t))) => {
                Sides::Categorical(TextSide::Codes(class_codes(b)), TextSide::Text(t))
            }
            (b, t) => {
                let sides: Vec<&str> = [("reference", b.is_none()), ("production", t.is_none())]
                    .into_iter()
                    .filter_map(|(side, gone)| gone.then_some(side))
                    .collect();
                warnings.push(format!(
                    "output column `{column}` is missing from the {} outputs",
                    sides.join(" and the ")
                ));
                let mut gone = SignalMetric::plain(names::DRIFT_P_VALUE, f64::NAN);
                gone.passed = Some(false);
                failed.push(SignalFeature {
                    name: column.clone(),
                    kind: FeatureKind::Numeric,
                    passed: false,
                    metrics: vec![gone],
                });
                continue;
            }
        };
        let kind = match sides {
            Sides::Numeric(..) => FeatureKind::Numeric,
            Sides::Categorical(..) => FeatureKind::Categorical,
        };
        compared.push((column.as_str(), kind, column_metrics(&sides)));
    }

    // Holm across the output columns, as across a run's input features.
    let tests: Vec<(&str, FeatureTests)> = compared
        .iter()
        .map(|(name, _, m)| (*name, FeatureTests::from_metrics(m)))
        .collect();
    let verdicts = significance::assess(&tests, significance);
    let mut features = failed;
    for ((name, kind, metrics), verdict) in compared.into_iter().zip(verdicts) {
        let significant = verdict.p_value_adjusted <= significance.level;
        let limits = thresholds(config, name, kind);
        for metric in limits.keys() {
            if !metrics.iter().any(|m| &m.name == metric) {
                warnings.push(format!(
                    "`{name}`: no threshold applies for `{metric}`, which is not computed for a {} column",
                    kind_word(kind)
                ));
            }
        }
        let mut judged: Vec<SignalMetric> = metrics
            .iter()
            .map(|m| {
                let mut s = SignalMetric::from(m);
                if let Some(&t) = limits.get(&m.name) {
                    let lower =
                        metrics::get(&m.name).is_some_and(|d| d.direction == Direction::Lower);
                    let beyond = if lower { m.value < t } else { m.value > t };
                    s.threshold = Some(t);
                    s.passed = Some(!(beyond && significant));
                }
                s
            })
            .collect();
        judged.push(SignalMetric::plain(names::DRIFT_P_VALUE, verdict.p_value));
        judged.push(SignalMetric::plain(
            names::DRIFT_P_VALUE_ADJUSTED,
            verdict.p_value_adjusted,
        ));
        features.push(SignalFeature::judged(name, kind, judged));
    }
    SignalResult::judged(
        PREDICTION_DRIFT,
        summary(reference),
        summary(production),
        Vec::new(),
        features,
        warnings,
    )
}

fn kind_word(kind: FeatureKind) -> &'static str {
    match kind {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

fn summary(p: &Profile) -> DatasetSummary {
    DatasetSummary {
        source: p.source.clone(),
        files: p.files.len(),
        rows: p.rows,
        content_hash: Some(p.content_hash.clone()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::detector::signals::MetricThresholds;

    fn config(columns: &[&str]) -> PredictionDriftConfig {
        PredictionDriftConfig {
            columns: columns.iter().map(|c| c.to_string()).collect(),
            ..PredictionDriftConfig::default()
        }
    }

    #[test]
    fn thresholds_default_to_azure_and_a_column_overrides_per_metric() {
        let mut c = config(&["p"]);
        let t = thresholds(&c, "p", FeatureKind::Numeric);
        assert_eq!(
            t,
            BTreeMap::from([(names::NORMALIZED_WASSERSTEIN_DISTANCE.into(), 0.1)])
        );
        let t = thresholds(&c, "p", FeatureKind::Categorical);
        assert_eq!(
            t,
            BTreeMap::from([(names::JENSEN_SHANNON_DISTANCE.into(), 0.1)])
        );
        c.metric_thresholds = MetricThresholds {
            numerical: BTreeMap::from([(names::CHEBYSHEV_DISTANCE.into(), 0.05)]),
            categorical: BTreeMap::new(),
        };
        c.feature_thresholds = BTreeMap::from([(
            "p".to_string(),
            BTreeMap::from([(names::POPULATION_STABILITY_INDEX.to_string(), 0.2)]),
        )]);
        let t = thresholds(&c, "p", FeatureKind::Numeric);
        assert_eq!(
            t,
            BTreeMap::from([
                (names::CHEBYSHEV_DISTANCE.into(), 0.05),
                (names::POPULATION_STABILITY_INDEX.into(), 0.2)
            ])
        );
        assert_eq!(thresholds(&c, "q", FeatureKind::Numeric).len(), 1);
    }

    #[test]
    fn integer_outputs_with_few_values_are_class_codes() {
        let mut p = NumericProfile::new(1 << 15);
        p.add(
            &arrow::array::Float64Array::from(vec![0.0, 1.0, 1.0, 2.0]),
            0,
        );
        assert!(is_class_code(&p));
        let codes = class_codes(&p);
        assert_eq!(codes.counts.get("1"), Some(&2));
        let mut q = NumericProfile::new(1 << 15);
        q.add(&arrow::array::Float64Array::from(vec![0.25, 1.0]), 0);
        assert!(!is_class_code(&q), "a fraction is not a class");
        let many: Vec<f64> = (0..21).map(f64::from).collect();
        let mut r = NumericProfile::new(1 << 15);
        r.add(&arrow::array::Float64Array::from(many), 0);
        assert!(!is_class_code(&r), "21 values are more than 20 classes");
    }
}

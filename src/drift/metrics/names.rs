//! Metric names, defined once.
//!
//! The first four are Azure ML's (`azureml-datadrift`), so existing dashboards and KQL queries over
//! `customMetrics` keep working; the others follow Azure ML model monitoring v2 and Evidently.

/// Dataset level: Matthews correlation of the domain classifier's held-out (out-of-bag or
/// out-of-fold) predictions, clipped to [0, 1]; 0 when not significant (see `docs/classifier.md`).
pub const DATADRIFT_COEFFICIENT: &str = "datadrift_coefficient";
/// Per column: the classifier's importance of the feature (the forest's mean decrease in
/// impurity, the boosted trees' total gain), normalised to sum to 1 (all 0 when the coefficient
/// is 0).
pub const DATADRIFT_CONTRIBUTION: &str = "datadrift_contribution";
/// Per numeric column: `scipy.stats.wasserstein_distance` on the raw values.
pub const WASSERSTEIN_DISTANCE: &str = "wasserstein_distance";
/// Per numeric column: `scipy.stats.energy_distance` on the raw values.
pub const ENERGY_DISTANCE: &str = "energy_distance";
/// Per numeric column: Wasserstein distance divided by the baseline standard deviation.
pub const NORMALIZED_WASSERSTEIN_DISTANCE: &str = "normalized_wasserstein_distance";
/// Per column: Jensen–Shannon distance (base 2, in [0, 1]) between binned or categorical frequencies.
pub const JENSEN_SHANNON_DISTANCE: &str = "jensen_shannon_distance";
/// Per numeric column: population stability index over baseline-decile bins.
pub const POPULATION_STABILITY_INDEX: &str = "population_stability_index";
/// Per numeric column: two-sample Kolmogorov–Smirnov statistic (sup |F - G|).
pub const TWO_SAMPLE_KS_STATISTIC: &str = "two_sample_ks_statistic";
/// Per categorical column: Pearson chi-squared statistic of the 2 x k contingency table.
pub const CHI_SQUARED: &str = "chi_squared";
/// Per output column of prediction drift: the largest absolute change of a bin's or category's
/// share (L-infinity), on the bins of [`JENSEN_SHANNON_DISTANCE`].
pub const CHEBYSHEV_DISTANCE: &str = "chebyshev_distance";
/// Per categorical column: p-value of [`CHI_SQUARED`].
pub const CHI_SQUARED_P_VALUE: &str = "chi_squared_p_value";
/// Per categorical column: share of target rows whose category never occurs in the baseline.
pub const UNSEEN_CATEGORY_RATE: &str = "unseen_category_rate";
/// Per column: share of baseline rows that are missing (empty, null).
pub const BASELINE_MISSING_RATE: &str = "baseline_missing_rate";
/// Per column: share of target rows that are missing (empty, null).
pub const TARGET_MISSING_RATE: &str = "target_missing_rate";
/// Per column: target missing rate minus baseline missing rate.
pub const MISSING_RATE_CHANGE: &str = "missing_rate_change";
/// Per feature of the data-quality signal: share of production rows that are null or empty.
pub const NULL_VALUE_RATE: &str = "null_value_rate";
/// Per feature of the data-quality signal: share of production rows whose value does not parse as
/// the reference's type.
pub const DATA_TYPE_ERROR_RATE: &str = "data_type_error_rate";
/// Per feature of the data-quality signal: share of production rows outside the reference's range
/// (numeric) or categories (categorical).
pub const OUT_OF_BOUNDS_RATE: &str = "out_of_bounds_rate";
/// Dataset level: ROC AUC of the domain classifier's held-out probabilities.
pub const CLASSIFIER_ROC_AUC: &str = "classifier_roc_auc";
/// Dataset level: the 99th percentile of the coefficient with no drift at this sample size.
pub const DATADRIFT_NOISE_FLOOR: &str = "datadrift_noise_floor";
/// Dataset level: p-value of the coefficient under no drift (see `docs/classifier.md`).
pub const DATADRIFT_P_VALUE: &str = "datadrift_p_value";
/// Dataset level: number of features flagged [`DRIFTED`].
pub const DRIFTED_FEATURES: &str = "drifted_features";
/// Per numeric column: p-value of the two-sample Kolmogorov–Smirnov test (`scipy.stats.ks_2samp`).
pub const KS_P_VALUE: &str = "ks_p_value";
/// Per column: p-value of the two-proportion (2 x 2 chi-squared) test of the missing rates.
pub const MISSING_RATE_P_VALUE: &str = "missing_rate_p_value";
/// Per column: Cohen's h of the two missing rates.
pub const MISSING_RATE_COHENS_H: &str = "missing_rate_cohens_h";
/// Per column: the feature's p-value, twice the smaller of its value test's and its missing-rate test's.
pub const DRIFT_P_VALUE: &str = "drift_p_value";
/// Per column: [`DRIFT_P_VALUE`] adjusted across the run's features by Holm's method.
pub const DRIFT_P_VALUE_ADJUSTED: &str = "drift_p_value_adjusted";
/// Per column: the larger of the value effect (normalised W1 or JS distance) and Cohen's h.
pub const DRIFT_EFFECT_SIZE: &str = "drift_effect_size";
/// Per column: the minimum effect size the feature had to reach to be flagged.
pub const DRIFT_MIN_EFFECT: &str = "drift_min_effect";
/// Per column: 1 when the feature drifted significantly (adjusted p-value at most the level and
/// effect at least the minimum), else 0.
pub const DRIFTED: &str = "drifted";

//! The scan orchestrator: two profiles and the run's context in, a [`RunResult`] out.
//!
//! This is the only place that wires the stages together: it picks the features (the user's list
//! or every comparable common column), computes each feature's metrics and distributions from the
//! profiles (in parallel), trains the domain classifier on the two row samples, and assembles the
//! result with the features ordered by contribution. Reading data and profiling happen before
//! (the caller builds or loads the two profiles); storing and publishing happen after.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

use chrono::{NaiveDate, Utc};
use rayon::prelude::*;

use super::classifier::{self, ClassifierError, ClassifierOptions, FeatureSpec};
use super::distributions::{self, DistributionError, NumericSide};
use super::metrics::{self, names};
use super::result::{
    DatasetSummary, FeatureKind, FeatureQuality, FeatureReport, Metric, NumericStats, RunInfo,
    RunResult, RunStatus, RunType, SCHEMA_VERSION, SchemaChanges, SideBySide,
};
use super::significance::{self, FeatureTests, SignificanceOptions};
use crate::data::is_aml_bookkeeping;
use crate::detector::{MAX_FEATURES, OnMissingFeature};
use crate::profile::{ColumnProfile, FeatureType, NumericProfile, Profile, ProfileError};

/// Quantiles reported per numeric feature.
const QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/// Who and what a run is for; copied into the result.
#[derive(Debug, Clone)]
pub struct RunContext {
    /// Detector name (`adhoc` from the command line).
    pub detector: String,
    /// Service name (`local` from the command line).
    pub service_name: String,
    /// Model name.
    pub model_name: String,
    /// Model version.
    pub model_version: u32,
    /// Scoring date.
    pub date: NaiveDate,
    /// What started the run.
    pub run_type: RunType,
}

/// What to compare and how.
#[derive(Debug, Clone)]
pub struct ScanOptions {
    /// Features to compare; every common, comparable column when `None`.
    pub features: Option<Vec<String>>,
    /// Drift threshold for `has_drift`.
    pub threshold: f64,
    /// Seed of the classifier's folds and model.
    pub seed: u64,
    /// Significance level and minimum effects of the per-feature `drifted` flags (the level is
    /// also the classifier's).
    pub significance: SignificanceOptions,
    /// What a monitored feature missing from the target does: reported as drift, or an error.
    pub on_missing_feature: OnMissingFeature,
    /// The model's output columns (`prediction_drift`): profiled with the inputs when they are in
    /// the same files, never a feature, so they never enter the coefficient or the feature
    /// metrics. Empty by default.
    pub outputs: Vec<String>,
}

/// Seed of the classifier's sampling, folds and model unless one is given, so that two scans of
/// the same data give the same result.
pub const DEFAULT_SCAN_SEED: u64 = 42;

impl Default for ScanOptions {
    fn default() -> Self {
        ScanOptions {
            features: None,
            threshold: crate::detector::DEFAULT_DRIFT_THRESHOLD,
            seed: DEFAULT_SCAN_SEED,
            significance: SignificanceOptions::default(),
            on_missing_feature: OnMissingFeature::default(),
            outputs: Vec::new(),
        }
    }
}

/// The options of an ad-hoc scan as a user gives them (the command line's flags, Python's
/// keywords), checked once by [`ScanRequest::validate`]: the adapters never check them
/// themselves.
#[derive(Debug, Clone)]
pub struct ScanRequest {
    /// Features to compare; every common, comparable column when `None`.
    pub features: Option<Vec<String>>,
    /// Drift threshold, between 0 and 1.
    pub threshold: f64,
    /// Minimum effect size of a drifted feature, at least 0.
    pub min_effect: f64,
    /// Seed of the classifier.
    pub seed: u64,
    /// The model's output columns, compared by the `prediction_drift` signal and never as
    /// features; empty when the scan has none.
    pub outputs: Vec<String>,
}

impl Default for ScanRequest {
    fn default() -> Self {
        let options = ScanOptions::default();
        ScanRequest {
            features: None,
            threshold: options.threshold,
            min_effect: options.significance.min_effect,
            seed: options.seed,
            outputs: Vec::new(),
        }
    }
}

/// A scan option out of its range; the message names the option and the value.
#[derive(Debug, Clone, thiserror::Error)]
#[error("{0}")]
pub struct InvalidOption(String);

impl ScanRequest {
    /// The checked options.
    pub fn validate(self) -> Result<ScanOptions, InvalidOption> {
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(InvalidOption(format!(
                "threshold must be between 0 and 1, got `{}`",
                self.threshold
            )));
        }
        if !(self.min_effect.is_finite() && self.min_effect >= 0.0) {
            return Err(InvalidOption(format!(
                "min_effect must be a non-negative number, got `{}`",
                self.min_effect
            )));
        }
        if self.features.as_ref().is_some_and(Vec::is_empty) {
            return Err(InvalidOption(
                "features: the list is empty; leave it out to compare every column".into(),
            ));
        }
        if let Some(both) = self
            .features
            .iter()
            .flatten()
            .find(|f| self.outputs.contains(f))
        {
            return Err(InvalidOption(format!(
                "`{both}` is named both as a feature and as a prediction column; an output is compared by prediction drift only"
            )));
        }
        if self.outputs.iter().any(String::is_empty) {
            return Err(InvalidOption("predictions: a column name is empty".into()));
        }
        Ok(ScanOptions {
            features: self.features,
            threshold: self.threshold,
            seed: self.seed,
            significance: SignificanceOptions {
                min_effect: self.min_effect,
                ..SignificanceOptions::default()
            },
            on_missing_feature: OnMissingFeature::default(),
            outputs: self.outputs,
        })
    }
}

/// Why two profiles could not be compared.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ScanError {
    /// A requested feature is not a column of the baseline.
    #[error(transparent)]
    Profile(#[from] ProfileError),
    /// A requested feature is a baseline column the target lacks.
    #[error("feature `{name}` is not a column of the target `{target}`")]
    FeatureNotInTarget {
        /// The feature.
        name: String,
        /// The target's source.
        target: String,
    },
    /// More features than a detector may have.
    #[error("{count} features requested; at most {MAX_FEATURES} can be compared")]
    TooManyFeatures {
        /// Number requested.
        count: usize,
    },
    /// Nothing left to compare.
    #[error("no feature to compare: baseline and target share no comparable column{hint}")]
    NoFeatures {
        /// What was left out and why, when anything was.
        hint: String,
    },
    /// The domain classifier could not run.
    #[error(transparent)]
    Classifier(#[from] ClassifierError),
    /// A feature's distribution could not be computed.
    #[error("feature `{name}`: {source}")]
    Distribution {
        /// The feature.
        name: String,
        /// Why.
        source: DistributionError,
    },
}

/// One feature chosen for the comparison.
struct Chosen<'a> {
    name: &'a str,
    kind: FeatureKind,
    baseline: &'a ColumnProfile,
    target: &'a ColumnProfile,
}

/// Compares a target profile with a baseline profile.
pub fn compare(
    baseline: &Profile,
    target: &Profile,
    options: &ScanOptions,
    context: &RunContext,
) -> Result<RunResult, ScanError> {
    let started_at = Utc::now();
    let clock = Instant::now();
    let mut warnings = Vec::new();
    for (side, profile) in [("baseline", baseline), ("target", target)] {
        warnings.extend(profile.warnings.iter().map(|w| format!("{side}: {w}")));
    }
    let (chosen, schema) = choose_features(baseline, target, options, &mut warnings)?;
    warnings.extend(data_warnings(&chosen, &schema));

    // Per-feature metrics and distributions are independent: one task per feature.
    let per_feature: Vec<(Vec<Metric>, FeatureReport)> = chosen
        .par_iter()
        .map(|f| describe_feature(f))
        .collect::<Result<_, _>>()?;

    let specs: Vec<FeatureSpec> = chosen
        .iter()
        .map(|f| match f.kind {
            FeatureKind::Numeric => FeatureSpec::numeric(f.name),
            FeatureKind::Categorical => FeatureSpec::categorical(f.name),
        })
        .collect();
    let classifier_options = ClassifierOptions {
        seed: options.seed,
        significance_level: options.significance.level,
        ..ClassifierOptions::default()
    };
    let outcome = classifier::score(
        &baseline.sample,
        &target.sample,
        &specs,
        &classifier_options,
    )?;
    let contribution: BTreeMap<&str, f64> = outcome
        .contributions
        .iter()
        .map(|(n, v)| (n.as_str(), *v))
        .collect();

    // Which features drifted: their tests, adjusted across features, and their effects.
    let tests: Vec<(&str, FeatureTests)> = chosen
        .iter()
        .zip(&per_feature)
        .map(|(f, (metrics, _))| (f.name, FeatureTests::from_metrics(metrics)))
        .collect();
    let verdicts = significance::assess(&tests, &options.significance);
    let drifted_count = verdicts.iter().filter(|v| v.drifted).count();

    // Most drifted first: by contribution, then drifted features, then by own distance.
    let mut order: Vec<usize> = (0..chosen.len()).collect();
    let own_distance = |i: usize| -> f64 {
        let metrics = &per_feature[i].0;
        let pick = |n: &str| metrics.iter().find(|m| m.name == n).map(|m| m.value);
        pick(names::NORMALIZED_WASSERSTEIN_DISTANCE)
            .or_else(|| pick(names::JENSEN_SHANNON_DISTANCE))
            .filter(|v| v.is_finite())
            .unwrap_or(0.0)
    };
    order.sort_by(|&a, &b| {
        let (ca, cb) = (contribution[chosen[a].name], contribution[chosen[b].name]);
        cb.total_cmp(&ca)
            .then_with(|| verdicts[b].drifted.cmp(&verdicts[a].drifted))
            .then_with(|| own_distance(b).total_cmp(&own_distance(a)))
            .then_with(|| chosen[a].name.cmp(chosen[b].name))
    });

    let mut column_metrics = Vec::with_capacity(order.len());
    let mut features = Vec::with_capacity(order.len());
    let mut per_feature: Vec<Option<(Vec<Metric>, FeatureReport)>> =
        per_feature.into_iter().map(Some).collect();
    for i in order {
        let Some((metrics, report)) = per_feature[i].take() else {
            continue;
        };
        let mut all = vec![Metric::new(
            names::DATADRIFT_CONTRIBUTION,
            contribution[chosen[i].name],
        )];
        all.extend(metrics);
        all.extend(verdicts[i].metrics());
        column_metrics.push(BTreeMap::from([(chosen[i].name.to_string(), all)]));
        features.push(report);
    }

    let (coefficient, p_value) = (outcome.coefficient, outcome.p_value);
    let summary = outcome.summary;
    let dataset_metrics = vec![
        Metric::new(names::DATADRIFT_COEFFICIENT, coefficient),
        Metric::new(names::CLASSIFIER_ROC_AUC, summary.roc_auc),
        Metric::new(names::DATADRIFT_NOISE_FLOOR, summary.noise_floor.max),
        Metric::new(names::DATADRIFT_P_VALUE, p_value),
        Metric::new(names::DRIFTED_FEATURES, drifted_count as f64),
    ];
    if summary.noise_floor.max >= options.threshold {
        warnings.push(format!(
            "at {} rows per side, a coefficient below the noise floor ({:.3}) cannot be told from chance, and the floor reaches the threshold ({}): only strong drift can raise the coefficient; see the per-feature tests",
            summary.noise_floor.rows_per_side, summary.noise_floor.max, options.threshold
        ));
    }

    Ok(RunResult {
        schema_version: SCHEMA_VERSION.to_string(),
        datetime: context.date,
        detector: context.detector.clone(),
        service_name: context.service_name.clone(),
        model_name: context.model_name.clone(),
        model_version: context.model_version,
        drift_threshold: options.threshold,
        has_drift: coefficient > options.threshold,
        dataset_metrics,
        column_metrics,
        run: RunInfo {
            run_type: context.run_type,
            status: RunStatus::Succeeded,
            error: None,
            started_at,
            duration_ms: clock.elapsed().as_millis() as u64,
            driftscan_version: env!("CARGO_PKG_VERSION").to_string(),
            window: None,
        },
        baseline: summarize(baseline),
        target: summarize(target),
        classifier: Some(summary),
        features,
        schema,
        warnings,
        signals: Vec::new(),
    })
}

/// The features to compare, and what differs between the two sides' columns.
fn choose_features<'a>(
    baseline: &'a Profile,
    target: &'a Profile,
    options: &ScanOptions,
    warnings: &mut Vec<String>,
) -> Result<(Vec<Chosen<'a>>, SchemaChanges), ScanError> {
    // By name through maps: a dataset may have 100,000 columns.
    let (baseline_by_name, target_by_name) = (baseline.columns_by_name(), target.columns_by_name());
    // Columns of `a` that `b` lacks.
    let absent = |a: &Profile, b: &HashMap<&str, &ColumnProfile>| -> Vec<String> {
        a.columns
            .iter()
            .filter(|c| !b.contains_key(c.name.as_str()) && !options.outputs.contains(&c.name))
            .map(|c| c.name.clone())
            .collect()
    };
    let mut schema = SchemaChanges {
        missing_in_target: absent(baseline, &target_by_name),
        added_in_target: absent(target, &baseline_by_name),
        ..SchemaChanges::default()
    };
    for b in &baseline.columns {
        if let Some(t) = target_by_name.get(b.name.as_str())
            && b.kind() != t.kind()
        {
            schema.retyped.push((
                b.name.clone(),
                b.kind().as_str().to_string(),
                t.kind().as_str().to_string(),
            ));
        }
    }
    let mut excluded_names = HashSet::new();
    for (name, reason) in baseline.excluded.iter().chain(&target.excluded) {
        if !is_aml_bookkeeping(name) && excluded_names.insert(name.as_str()) {
            schema.excluded.push((name.clone(), reason.clone()));
        }
    }

    let requested = options.features.as_deref();
    if let Some(list) = requested
        && list.len() > MAX_FEATURES
    {
        return Err(ScanError::TooManyFeatures { count: list.len() });
    }
    let mut chosen = Vec::new();
    for (column, feature_type) in baseline.features(requested)? {
        // The model's outputs are compared by prediction drift, never as inputs.
        if options.outputs.contains(&column.name) {
            continue;
        }
        let kind = match feature_type {
            FeatureType::Numeric => FeatureKind::Numeric,
            FeatureType::Categorical => FeatureKind::Categorical,
            FeatureType::Excluded(reason) => {
                schema.excluded.push((column.name.clone(), reason));
                continue;
            }
        };
        let Some(&other) = target_by_name.get(column.name.as_str()) else {
            if options.on_missing_feature == OnMissingFeature::Fail {
                return Err(ScanError::FeatureNotInTarget {
                    name: column.name.clone(),
                    target: target.source.clone(),
                });
            }
            schema.missing_features.push(column.name.clone());
            continue;
        };
        if other.kind() != column.kind() {
            continue; // reported in `retyped`
        }
        chosen.push(Chosen {
            name: &column.name,
            kind,
            baseline: column,
            target: other,
        });
    }
    if chosen.len() > MAX_FEATURES {
        warnings.push(format!(
            "{} comparable columns; the first {MAX_FEATURES} are compared (name the features to choose others)",
            chosen.len()
        ));
        chosen.truncate(MAX_FEATURES);
    }
    if chosen.is_empty() {
        let hint = if schema.excluded.is_empty() && schema.missing_in_target.is_empty() {
            String::new()
        } else {
            let mut left: Vec<String> = schema
                .excluded
                .iter()
                .map(|(n, r)| format!("`{n}` ({r})"))
                .collect();
            left.extend(
                schema
                    .missing_in_target
                    .iter()
                    .map(|n| format!("`{n}` (not in the target)")),
            );
            format!("; left out: {}", left.join("; "))
        };
        return Err(ScanError::NoFeatures { hint });
    }
    Ok((chosen, schema))
}

/// Share of a column's values that may not parse before a warning says so: more than half
/// unreadable is a broken feed, not noise.
const UNREADABLE_WARNING_SHARE: f64 = 0.5;

/// How many unseen categories a warning names per feature.
const UNSEEN_NAMED: usize = 5;

/// What a user must read even when no test flags it: monitored features that vanished from the
/// target, columns mostly unreadable, and categories the baseline never had (whatever their
/// share: a category the model never saw is a fact, not an effect size).
fn data_warnings(chosen: &[Chosen<'_>], schema: &SchemaChanges) -> Vec<String> {
    let mut warnings = Vec::new();
    if !schema.missing_features.is_empty() {
        warnings.push(format!(
            "missing from the target: {}; the model sees {} as missing on every row",
            schema.missing_features.join(", "),
            if schema.missing_features.len() == 1 {
                "it"
            } else {
                "them"
            }
        ));
    }
    let share = |part: u64, rows: u64| part as f64 / rows.max(1) as f64;
    for f in chosen {
        if let (Some(b), Some(t)) = (f.baseline.numeric(), f.target.numeric()) {
            for (side, p) in [("baseline", b), ("target", t)] {
                if p.rows > 0 && share(p.invalid, p.rows) > UNREADABLE_WARNING_SHARE {
                    warnings.push(format!(
                        "`{}`: {} of {} values in the {side} ({:.1} %) are not numbers; they count as missing",
                        f.name,
                        p.invalid,
                        p.rows,
                        100.0 * share(p.invalid, p.rows)
                    ));
                }
            }
        }
        if let (Some(b), Some(t)) = (f.baseline.text(), f.target.text()) {
            // Past its category cap the baseline may hold a category among its `other` rows.
            if b.other > 0 {
                continue;
            }
            let unseen: Vec<(&str, u64)> = t
                .categories()
                .into_iter()
                .filter(|(c, _)| !b.counts.contains_key(*c))
                .collect();
            if unseen.is_empty() {
                continue;
            }
            let total: u64 = unseen.iter().map(|(_, n)| n).sum();
            let mut named: Vec<String> = unseen
                .iter()
                .take(UNSEEN_NAMED)
                .map(|(c, n)| format!("`{c}` ({:.1} %)", 100.0 * share(*n, t.rows)))
                .collect();
            if unseen.len() > UNSEEN_NAMED {
                named.push(format!("and {} more", unseen.len() - UNSEEN_NAMED));
            }
            warnings.push(format!(
                "`{}`: categories the baseline never had, in {:.1} % of the target's rows: {}",
                f.name,
                100.0 * share(total, t.rows),
                named.join(", ")
            ));
        }
    }
    warnings
}

/// Metrics (without the contribution) and the report of one feature.
fn describe_feature(f: &Chosen<'_>) -> Result<(Vec<Metric>, FeatureReport), ScanError> {
    match (
        f.kind,
        f.baseline.numeric(),
        f.target.numeric(),
        f.baseline.text(),
        f.target.text(),
    ) {
        (FeatureKind::Numeric, Some(b), Some(t), _, _) => {
            let distribution = distributions::numeric(
                NumericSide {
                    sketch: &b.sketch,
                    std: b.std_sample(),
                },
                NumericSide {
                    sketch: &t.sketch,
                    std: t.std_sample(),
                },
            )
            .map_err(|source| ScanError::Distribution {
                name: f.name.to_string(),
                source,
            })?;
            let report = FeatureReport {
                name: f.name.to_string(),
                kind: FeatureKind::Numeric,
                quality: FeatureQuality {
                    rows: SideBySide::read(b, t, |p| p.rows),
                    missing: SideBySide::read(b, t, |p| p.missing),
                    invalid: SideBySide::read(b, t, |p| p.invalid),
                    non_finite: SideBySide::read(b, t, |p| p.non_finite),
                    unseen_category_rate: None,
                },
                stats: Some(SideBySide::read(b, t, numeric_stats)),
                distribution,
            };
            Ok((metrics::numeric(b, t), report))
        }
        (_, _, _, Some(b), Some(t)) => {
            let metrics = metrics::categorical(b, t);
            let unseen = metrics
                .iter()
                .find(|m| m.name == names::UNSEEN_CATEGORY_RATE)
                .map(|m| m.value);
            let report = FeatureReport {
                name: f.name.to_string(),
                kind: FeatureKind::Categorical,
                quality: FeatureQuality {
                    rows: SideBySide::read(b, t, |p| p.rows),
                    missing: SideBySide::read(b, t, |p| p.missing),
                    invalid: SideBySide::default(),
                    non_finite: SideBySide::default(),
                    unseen_category_rate: unseen,
                },
                stats: None,
                distribution: distributions::categorical(
                    &b.categories(),
                    b.missing,
                    &t.categories(),
                    t.missing,
                ),
            };
            Ok((metrics, report))
        }
        // `choose_features` only pairs columns of the same kind, so a numeric feature has numeric
        // profiles on both sides and a categorical one text profiles.
        _ => unreachable!("feature `{}` paired with columns of another kind", f.name),
    }
}

fn numeric_stats(p: &NumericProfile) -> NumericStats {
    NumericStats {
        count: p.count,
        mean: p.mean(),
        std: p.std_population(),
        min: p.min(),
        max: p.max(),
        quantiles: p.quantiles(&QUANTILES),
    }
}

fn summarize(p: &Profile) -> DatasetSummary {
    DatasetSummary {
        source: p.source.clone(),
        files: p.files.len(),
        rows: p.rows,
        content_hash: Some(p.content_hash.clone()),
    }
}

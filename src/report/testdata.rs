//! Synthetic results for unit tests: analytic normal shapes (no sampling), sized like real ones
//! (50 histogram bins, a 256-point KDE grid, 20 categories), so page sizes measured here are the
//! sizes users get.

use std::collections::BTreeMap;

use chrono::{NaiveDate, TimeZone, Utc};

use crate::drift::metrics::names;
use crate::drift::result::*;

pub const BINS: usize = 50;
pub const GRID: usize = 256;
pub const CATEGORIES: usize = 20;

fn pdf(x: f64, mu: f64, sd: f64) -> f64 {
    (-(x - mu) * (x - mu) / (2.0 * sd * sd)).exp() / (sd * (2.0 * std::f64::consts::PI).sqrt())
}

/// A succeeded run with `n` features (every fifth categorical) and the given coefficient.
pub fn run(date: NaiveDate, service: &str, n: usize, coefficient: f64) -> RunResult {
    let mut features = Vec::with_capacity(n);
    let mut column_metrics = Vec::with_capacity(n);
    let weights: Vec<f64> = (0..n).map(|i| 1.0 / (1.0 + i as f64)).collect();
    let wsum: f64 = weights.iter().sum();
    for (i, weight) in weights.iter().enumerate() {
        let name = format!("feature_{i:03}_with_a_realistic_length");
        let shift = coefficient * 2.0 / (1.0 + i as f64);
        let rows = 10_000u64;
        let quality = FeatureQuality {
            rows: SideBySide {
                baseline: rows,
                target: rows,
            },
            missing: SideBySide {
                baseline: 12,
                target: 40 + i as u64,
            },
            invalid: SideBySide {
                baseline: 0,
                target: (i % 7 == 0) as u64 * 3,
            },
            non_finite: SideBySide::default(),
            unseen_category_rate: None,
        };
        let mut metrics = vec![Metric::new(names::DATADRIFT_CONTRIBUTION, weight / wsum)];
        let (kind, distribution, stats, quality) = if i % 5 == 4 {
            let categories: Vec<String> =
                (0..CATEGORIES).map(|c| format!("category_{c}")).collect();
            let base: Vec<f64> = (0..CATEGORIES).map(|c| 1.0 / (c as f64 + 2.0)).collect();
            let bs: f64 = base.iter().sum();
            let baseline: Vec<f64> = base.iter().map(|b| b / bs).collect();
            let target: Vec<f64> = baseline.iter().rev().copied().collect();
            metrics.push(Metric::new(names::JENSEN_SHANNON_DISTANCE, 0.1 * shift));
            metrics.push(Metric::new(names::CHI_SQUARED, 100.0 * shift));
            metrics.push(Metric::new(names::CHI_SQUARED_P_VALUE, 0.01));
            metrics.push(Metric::new(names::UNSEEN_CATEGORY_RATE, 0.02));
            let quality = FeatureQuality {
                unseen_category_rate: Some(0.02),
                ..quality
            };
            (
                FeatureKind::Categorical,
                Distribution::Categorical {
                    categories,
                    baseline,
                    target,
                },
                None,
                quality,
            )
        } else {
            let edges: Vec<f64> = (0..=BINS)
                .map(|b| -4.0 + 9.0 * b as f64 / BINS as f64)
                .collect();
            let counts = |mu: f64| -> Vec<f64> {
                edges
                    .windows(2)
                    .map(|w| (pdf((w[0] + w[1]) / 2.0, mu, 1.0) * 2000.0).round())
                    .collect()
            };
            let grid: Vec<f64> = (0..GRID)
                .map(|g| -4.0 + 9.0 * g as f64 / (GRID - 1) as f64)
                .collect();
            let kde = Kde {
                baseline: grid.iter().map(|x| pdf(*x, 0.0, 1.05)).collect(),
                target: grid.iter().map(|x| pdf(*x, shift, 1.05)).collect(),
                grid,
                bandwidth: SideBySide {
                    baseline: 0.16,
                    target: 0.16,
                },
            };
            let histogram = Histogram {
                baseline: counts(0.0),
                target: counts(shift),
                edges,
                outside: SideBySide {
                    baseline: (0, 0),
                    target: (0, 2),
                },
            };
            let stat = |mu: f64| NumericStats {
                count: rows - 12,
                mean: mu,
                std: 1.0,
                min: mu - 3.9,
                max: mu + 3.8,
                quantiles: vec![
                    (0.05, mu - 1.64),
                    (0.25, mu - 0.67),
                    (0.5, mu),
                    (0.75, mu + 0.67),
                    (0.95, mu + 1.64),
                ],
            };
            for (m, v) in [
                (names::WASSERSTEIN_DISTANCE, shift),
                (names::NORMALIZED_WASSERSTEIN_DISTANCE, shift),
                (names::ENERGY_DISTANCE, shift * 0.6),
                (names::JENSEN_SHANNON_DISTANCE, shift * 0.3),
                (names::POPULATION_STABILITY_INDEX, shift * 0.8),
                (names::TWO_SAMPLE_KS_STATISTIC, shift * 0.35),
            ] {
                metrics.push(Metric::new(m, v));
            }
            (
                FeatureKind::Numeric,
                Distribution::Numeric { histogram, kde },
                Some(SideBySide {
                    baseline: stat(0.0),
                    target: stat(shift),
                }),
                quality,
            )
        };
        metrics.push(Metric::new(names::BASELINE_MISSING_RATE, 0.0012));
        metrics.push(Metric::new(
            names::TARGET_MISSING_RATE,
            (40 + i) as f64 / 10_000.0,
        ));
        column_metrics.push(BTreeMap::from([(name.clone(), metrics)]));
        features.push(FeatureReport {
            name,
            kind,
            quality,
            stats,
            distribution,
        });
    }
    RunResult {
        schema_version: SCHEMA_VERSION.to_string(),
        datetime: date,
        detector: "churn-model".into(),
        service_name: service.into(),
        model_name: "churn".into(),
        model_version: 3,
        drift_threshold: 0.2,
        has_drift: coefficient > 0.2,
        dataset_metrics: vec![
            Metric::new(names::DATADRIFT_COEFFICIENT, coefficient),
            Metric::new(names::CLASSIFIER_ROC_AUC, 0.5 + coefficient / 2.0),
            Metric::new(names::DATADRIFT_NOISE_FLOOR, 0.04),
        ],
        column_metrics,
        run: RunInfo {
            run_type: RunType::Scheduler,
            status: RunStatus::Succeeded,
            error: None,
            started_at: Utc.with_ymd_and_hms(2026, 11, 25, 1, 0, 0).unwrap(),
            duration_ms: 5400,
            driftscan_version: "0.1.0".into(),
            window: Some((date, date)),
        },
        baseline: DatasetSummary {
            source: "baselines/train.parquet".into(),
            files: 1,
            rows: 50_000,
            content_hash: None,
        },
        target: DatasetSummary {
            source: format!("snapshots/{service}/{date}"),
            files: 24,
            rows: 10_000,
            content_hash: None,
        },
        classifier: Some(ClassifierSummary {
            model: "gradient-boosted trees (forust-ml), 50 rounds, depth 4".into(),
            importance: "total_gain".into(),
            mcc_raw: coefficient,
            roc_auc: 0.5 + coefficient / 2.0,
            baseline_sample_rows: 10_000,
            target_sample_rows: 10_000,
            train_rows: 10_000,
            test_rows: 10_000,
            seed: 42,
            noise_floor: NoiseFloor {
                mean: 0.02,
                max: 0.04,
                repetitions: 5,
                rows_per_side: 5_000,
                ..Default::default()
            },
            duration_ms: 900,
            ..Default::default()
        }),
        features,
        schema: SchemaChanges::default(),
        warnings: vec![],
        signals: vec![],
    }
}

/// A run that did not score.
pub fn unscored(date: NaiveDate, service: &str, status: RunStatus, why: &str) -> RunResult {
    let mut r = run(date, service, 0, f64::NAN);
    r.has_drift = false;
    r.dataset_metrics.clear();
    r.classifier = None;
    r.run.status = status;
    r.run.error = Some(why.to_string());
    r
}

pub fn day(s: &str) -> NaiveDate {
    crate::base::text::parse_day(s).unwrap()
}

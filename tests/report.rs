//! The report pages end to end: realistic results rendered to HTML, loaded in headless Chromium,
//! and checked in the rendered DOM and on the browser console; and `driftscan report` on a store
//! folder.
//!
//! Chromium is found through `DRIFTSCAN_CHROMIUM`; with `DRIFTSCAN_REQUIRE_COMPONENTS=1` a missing
//! browser fails the test. Set `DRIFTSCAN_REPORT_SAMPLES=<dir>` to keep the rendered pages (and
//! their screenshots) there, e.g. to refresh `docs/screenshots/`.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use driftscan::detector::{AlertConfig, Detector, DetectorConfig, Frequency};
use driftscan::report::{DiffView, ReportOptions, render_diff, render_history, render_run};

/// Test data: results built from seeded random samples the way the engine builds them
/// (shared-edge histograms, Scott's-rule Gaussian KDE, category shares), with hostile names.
mod data {
    use std::collections::BTreeMap;

    use chrono::{NaiveDate, TimeZone, Utc};
    use driftscan::drift::metrics::names;
    use driftscan::drift::result::*;
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};
    use rand_distr::{Distribution as _, Exp, LogNormal, Normal};

    pub const SCRIPT_COLUMN: &str = "<script>alert(1)</script>";
    pub const IMG_CATEGORY: &str = "<img src=x onerror=alert(1)>";

    /// Raw values of one feature on one side (`None` = missing).
    enum Values {
        Num(Vec<Option<f64>>),
        Cat(Vec<Option<String>>),
    }

    /// How a feature's target differs from its baseline, as a function of drift strength `s`.
    fn sample(feature: usize, n: usize, s: f64, rng: &mut StdRng) -> Values {
        let normal = |m: f64, sd: f64, rng: &mut StdRng| {
            Normal::new(m, sd).map(|d| d.sample(rng)).unwrap_or(m)
        };
        let num = |f: &mut dyn FnMut(&mut StdRng) -> f64, missing: f64, rng: &mut StdRng| {
            Values::Num(
                (0..n)
                    .map(|_| {
                        if rng.random::<f64>() < missing {
                            None
                        } else {
                            Some(f(rng))
                        }
                    })
                    .collect(),
            )
        };
        let cat = |cats: &[(&str, f64)], missing: f64, rng: &mut StdRng| {
            let total: f64 = cats.iter().map(|c| c.1).sum();
            Values::Cat(
                (0..n)
                    .map(|_| {
                        if rng.random::<f64>() < missing {
                            return None;
                        }
                        let mut u = rng.random::<f64>() * total;
                        for (c, w) in cats {
                            if u < *w {
                                return Some(c.to_string());
                            }
                            u -= w;
                        }
                        Some(cats[cats.len() - 1].0.to_string())
                    })
                    .collect(),
            )
        };
        match feature {
            0 => num(
                &mut |r| normal(40.0 + 8.0 * s, 12.0, r).max(18.0),
                0.01,
                rng,
            ),
            1 => num(
                &mut |r| {
                    LogNormal::new(10.5 + 0.2 * s, 0.5 + 0.1 * s)
                        .map(|d| d.sample(r))
                        .unwrap_or(0.0)
                },
                0.02 + 0.05 * s,
                rng,
            ),
            2 => num(
                &mut |r| {
                    Exp::new(1.0 / (24.0 - 6.0 * s))
                        .map(|d| d.sample(r))
                        .unwrap_or(0.0)
                        .round()
                },
                0.0,
                rng,
            ),
            3 => num(&mut |r| normal(1000.0, 300.0, r), 0.0, rng),
            4 => num(&mut |r| normal(1.2 * s, 1.0 + 0.4 * s, r), 0.0, rng),
            5 => num(&mut |r| normal(5.0, 2.0, r).round().max(0.0), 0.0, rng),
            6 => num(&mut |r| normal(650.0 - 15.0 * s, 60.0, r), 0.005, rng),
            7 => cat(
                &[
                    ("DE", 30.0),
                    ("FR", 25.0),
                    ("NL", 15.0),
                    ("ES", 12.0),
                    ("IT", 10.0),
                    ("BE", 8.0),
                    (IMG_CATEGORY, 8.0 * s),
                ],
                0.0,
                rng,
            ),
            8 => cat(
                &[
                    ("free", 40.0 + 30.0 * s),
                    ("basic", 30.0),
                    ("pro", 20.0),
                    ("enterprise", 10.0 - 5.0 * s),
                ],
                0.0,
                rng,
            ),
            9 => cat(
                &[("ios", 45.0), ("android", 40.0), ("web", 15.0)],
                0.01,
                rng,
            ),
            10 => cat(
                &[
                    ("email", 20.0),
                    ("ads", 35.0),
                    ("organic", 40.0),
                    ("partner", 5.0),
                ],
                0.0,
                rng,
            ),
            _ => Values::Num(vec![None; n]),
        }
    }

    pub const FEATURES: [&str; 12] = [
        "age",
        "annual_income_eur",
        "tenure_months",
        "account_balance",
        SCRIPT_COLUMN,
        "sessions_per_week",
        "credit_score",
        "country",
        "plan",
        "device",
        "signup_channel",
        "promo_code",
    ];

    /// Features that get a chart: all but `promo_code`, which is empty on both sides.
    pub const CHARTED: usize = 11;

    fn scott_kde(values: &[f64], grid: &[f64]) -> (Vec<f64>, f64) {
        let n = values.len() as f64;
        if values.len() < 2 {
            return (vec![0.0; grid.len()], f64::NAN);
        }
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        let bw = sd * n.powf(-0.2);
        // Evaluate on at most 400 evenly spaced sorted values: plenty for a plot.
        let mut sorted = values.to_vec();
        sorted.sort_by(f64::total_cmp);
        let step = (sorted.len() / 400).max(1);
        let pts: Vec<f64> = sorted.iter().step_by(step).copied().collect();
        let k = 1.0 / (pts.len() as f64 * bw * (2.0 * std::f64::consts::PI).sqrt());
        let dens = grid
            .iter()
            .map(|x| {
                pts.iter()
                    .map(|v| (-(x - v).powi(2) / (2.0 * bw * bw)).exp())
                    .sum::<f64>()
                    * k
            })
            .collect();
        (dens, bw)
    }

    fn quantile(sorted: &[f64], q: f64) -> f64 {
        if sorted.is_empty() {
            return f64::NAN;
        }
        let pos = q * (sorted.len() - 1) as f64;
        let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
        sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
    }

    fn stats(sorted: &[f64]) -> NumericStats {
        let n = sorted.len() as f64;
        let mean = sorted.iter().sum::<f64>() / n;
        NumericStats {
            count: sorted.len() as u64,
            mean,
            std: (sorted.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / n).sqrt(),
            min: sorted.first().copied().unwrap_or(f64::NAN),
            max: sorted.last().copied().unwrap_or(f64::NAN),
            quantiles: [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99]
                .iter()
                .map(|q| (*q, quantile(sorted, *q)))
                .collect(),
        }
    }

    fn js(p: &[f64], q: &[f64]) -> f64 {
        let (sp, sq): (f64, f64) = (p.iter().sum(), q.iter().sum());
        let mut d = 0.0;
        for (a, b) in p.iter().zip(q) {
            let (a, b) = (a / sp, b / sq);
            let m = (a + b) / 2.0;
            if a > 0.0 {
                d += 0.5 * a * (a / m).log2();
            }
            if b > 0.0 {
                d += 0.5 * b * (b / m).log2();
            }
        }
        d.max(0.0).sqrt()
    }

    fn quality(b: usize, t: usize, mb: usize, mt: usize) -> FeatureQuality {
        FeatureQuality {
            rows: SideBySide {
                baseline: b as u64,
                target: t as u64,
            },
            missing: SideBySide {
                baseline: mb as u64,
                target: mt as u64,
            },
            ..Default::default()
        }
    }

    /// Profiles of one feature from its raw values, and its metrics (contribution filled later).
    fn feature(name: &str, base: &Values, target: &Values) -> (FeatureReport, Vec<Metric>, f64) {
        match (base, target) {
            (Values::Num(b), Values::Num(t)) => {
                let mut bv: Vec<f64> = b.iter().flatten().copied().collect();
                let mut tv: Vec<f64> = t.iter().flatten().copied().collect();
                bv.sort_by(f64::total_cmp);
                tv.sort_by(f64::total_cmp);
                let q = quality(b.len(), t.len(), b.len() - bv.len(), t.len() - tv.len());
                let mut metrics = vec![
                    Metric::new(
                        names::BASELINE_MISSING_RATE,
                        (b.len() - bv.len()) as f64 / b.len() as f64,
                    ),
                    Metric::new(
                        names::TARGET_MISSING_RATE,
                        (t.len() - tv.len()) as f64 / t.len() as f64,
                    ),
                ];
                if bv.is_empty() || tv.is_empty() {
                    let f = FeatureReport {
                        name: name.into(),
                        kind: FeatureKind::Numeric,
                        quality: q,
                        stats: None,
                        distribution: Distribution::Empty,
                    };
                    return (f, metrics, 0.0);
                }
                let lo = bv[0].min(tv[0]);
                let hi = bv[bv.len() - 1].max(tv[tv.len() - 1]);
                let bins = 30;
                let edges: Vec<f64> = (0..=bins)
                    .map(|i| lo + (hi - lo) * i as f64 / bins as f64)
                    .collect();
                let count = |vals: &[f64]| {
                    let mut c = vec![0.0; bins];
                    for v in vals {
                        let i = (((v - lo) / (hi - lo)) * bins as f64).floor() as usize;
                        c[i.min(bins - 1)] += 1.0;
                    }
                    c
                };
                let (hb, ht) = (count(&bv), count(&tv));
                let grid_n = 128;
                let (_, bw0) = scott_kde(&bv, &[]);
                let (g0, g1) = (lo - 3.0 * bw0, hi + 3.0 * bw0);
                let grid: Vec<f64> = (0..grid_n)
                    .map(|i| g0 + (g1 - g0) * i as f64 / (grid_n - 1) as f64)
                    .collect();
                let (kb, bwb) = scott_kde(&bv, &grid);
                let (kt, bwt) = scott_kde(&tv, &grid);
                let sb = stats(&bv);
                let st = stats(&tv);
                let w1 = (0..1000)
                    .map(|i| {
                        let q = (i as f64 + 0.5) / 1000.0;
                        (quantile(&bv, q) - quantile(&tv, q)).abs()
                    })
                    .sum::<f64>()
                    / 1000.0;
                let mut ks = 0.0f64;
                let (mut i, mut j) = (0, 0);
                while i < bv.len() && j < tv.len() {
                    let x = bv[i].min(tv[j]);
                    while i < bv.len() && bv[i] <= x {
                        i += 1;
                    }
                    while j < tv.len() && tv[j] <= x {
                        j += 1;
                    }
                    ks = ks.max((i as f64 / bv.len() as f64 - j as f64 / tv.len() as f64).abs());
                }
                let psi: f64 = hb
                    .iter()
                    .zip(&ht)
                    .map(|(a, b)| {
                        let (a, b) = (
                            (a / bv.len() as f64).max(1e-4),
                            (b / tv.len() as f64).max(1e-4),
                        );
                        (b - a) * (b / a).ln()
                    })
                    .sum();
                let nw = if sb.std > 0.0 { w1 / sb.std } else { f64::NAN };
                metrics.extend([
                    Metric::new(names::WASSERSTEIN_DISTANCE, w1),
                    Metric::new(names::NORMALIZED_WASSERSTEIN_DISTANCE, nw),
                    Metric::new(
                        names::ENERGY_DISTANCE,
                        (2.0f64).sqrt() * w1 / (1.0 + sb.std).sqrt(),
                    ),
                    Metric::new(names::JENSEN_SHANNON_DISTANCE, js(&hb, &ht)),
                    Metric::new(names::POPULATION_STABILITY_INDEX, psi),
                    Metric::new(names::TWO_SAMPLE_KS_STATISTIC, ks),
                ]);
                let f = FeatureReport {
                    name: name.into(),
                    kind: FeatureKind::Numeric,
                    quality: q,
                    stats: Some(SideBySide {
                        baseline: sb,
                        target: st,
                    }),
                    distribution: Distribution::Numeric {
                        histogram: Histogram {
                            edges,
                            baseline: hb,
                            target: ht,
                            outside: SideBySide::default(),
                        },
                        kde: Kde {
                            grid,
                            baseline: kb,
                            target: kt,
                            bandwidth: SideBySide {
                                baseline: bwb,
                                target: bwt,
                            },
                        },
                    },
                };
                (f, metrics, nw.min(2.0))
            }
            (Values::Cat(b), Values::Cat(t)) => {
                let mut cats: BTreeMap<&str, (f64, f64)> = BTreeMap::new();
                for v in b.iter().flatten() {
                    cats.entry(v).or_default().0 += 1.0;
                }
                for v in t.iter().flatten() {
                    cats.entry(v).or_default().1 += 1.0;
                }
                let mut order: Vec<(&str, (f64, f64))> = cats.into_iter().collect();
                order.sort_by(|a, b| (b.1.0 + b.1.1).total_cmp(&(a.1.0 + a.1.1)));
                let (nb, nt) = (b.len() as f64, t.len() as f64);
                let mut categories: Vec<String> = order.iter().map(|c| c.0.to_string()).collect();
                let mut bs: Vec<f64> = order.iter().map(|c| c.1.0 / nb).collect();
                let mut ts: Vec<f64> = order.iter().map(|c| c.1.1 / nt).collect();
                let (mb, mt) = (
                    b.iter().filter(|v| v.is_none()).count(),
                    t.iter().filter(|v| v.is_none()).count(),
                );
                if mb + mt > 0 {
                    categories.push("(missing)".into());
                    bs.push(mb as f64 / nb);
                    ts.push(mt as f64 / nt);
                }
                let unseen: f64 = order
                    .iter()
                    .filter(|c| c.1.0 == 0.0)
                    .map(|c| c.1.1)
                    .sum::<f64>()
                    / nt;
                let chi: f64 = order
                    .iter()
                    .map(|c| {
                        let tot = c.1.0 + c.1.1;
                        let (eb, et) = (tot * nb / (nb + nt), tot * nt / (nb + nt));
                        (c.1.0 - eb).powi(2) / eb + (c.1.1 - et).powi(2) / et
                    })
                    .sum();
                let jsd = js(&bs, &ts);
                let mut q = quality(b.len(), t.len(), mb, mt);
                q.unseen_category_rate = Some(unseen);
                let metrics = vec![
                    Metric::new(names::JENSEN_SHANNON_DISTANCE, jsd),
                    Metric::new(names::CHI_SQUARED, chi),
                    Metric::new(
                        names::CHI_SQUARED_P_VALUE,
                        if chi > 30.0 { 1e-6 } else { 0.4 },
                    ),
                    Metric::new(names::UNSEEN_CATEGORY_RATE, unseen),
                    Metric::new(names::BASELINE_MISSING_RATE, mb as f64 / nb),
                    Metric::new(names::TARGET_MISSING_RATE, mt as f64 / nt),
                ];
                let f = FeatureReport {
                    name: name.into(),
                    kind: FeatureKind::Categorical,
                    quality: q,
                    stats: None,
                    distribution: Distribution::Categorical {
                        categories,
                        baseline: bs,
                        target: ts,
                    },
                };
                (f, metrics, 3.0 * jsd)
            }
            _ => unreachable!("test data pairs sides of the same kind"),
        }
    }

    pub fn day(s: &str) -> NaiveDate {
        NaiveDate::parse_from_str(s, "%Y-%m-%d").expect("test dates are valid")
    }

    /// One succeeded run with drift strength `s` (0 = none) and the given coefficient.
    pub fn run(date: NaiveDate, service: &str, s: f64, coefficient: f64, seed: u64) -> RunResult {
        let mut brng = StdRng::seed_from_u64(7);
        let mut trng = StdRng::seed_from_u64(seed);
        let (nb, nt) = (2000, 1200);
        let mut features = Vec::new();
        let mut metrics = Vec::new();
        let mut weights = Vec::new();
        for (i, name) in FEATURES.iter().enumerate() {
            let base = sample(i, nb, 0.0, &mut brng);
            let target = sample(i, nt, s, &mut trng);
            let (f, m, w) = feature(name, &base, &target);
            features.push(f);
            metrics.push(m);
            weights.push(if matches!(features[i].distribution, Distribution::Empty) {
                0.0
            } else {
                w + 0.02
            });
        }
        let total: f64 = weights.iter().sum();
        for (m, w) in metrics.iter_mut().zip(&weights) {
            m.insert(0, Metric::new(names::DATADRIFT_CONTRIBUTION, w / total));
        }
        let mut column_metrics: Vec<(String, Vec<Metric>)> = FEATURES
            .iter()
            .map(|n| n.to_string())
            .zip(metrics)
            .collect();
        column_metrics.sort_by(|a, b| b.1[0].value.total_cmp(&a.1[0].value));
        let order: Vec<String> = column_metrics.iter().map(|c| c.0.clone()).collect();
        features.sort_by_key(|f| order.iter().position(|n| *n == f.name));
        let noise = 0.03 + 0.02 * (seed % 3) as f64;
        RunResult {
            schema_version: SCHEMA_VERSION.into(),
            datetime: date,
            detector: "churn-model".into(),
            service_name: service.into(),
            model_name: "churn-classifier".into(),
            model_version: 3,
            drift_threshold: 0.2,
            has_drift: coefficient > 0.2,
            dataset_metrics: vec![
                Metric::new(names::DATADRIFT_COEFFICIENT, coefficient),
                Metric::new(names::CLASSIFIER_ROC_AUC, 0.5 + coefficient * 0.45),
                Metric::new(names::DATADRIFT_NOISE_FLOOR, noise),
            ],
            column_metrics: column_metrics
                .into_iter()
                .map(|(k, v)| BTreeMap::from([(k, v)]))
                .collect(),
            run: RunInfo {
                run_type: RunType::Scheduler,
                status: RunStatus::Succeeded,
                error: None,
                started_at: Utc
                    .with_ymd_and_hms(2026, 11, 25, 2, 0, 0)
                    .single()
                    .expect("valid time"),
                duration_ms: 4210,
                driftscan_version: "0.1.0".into(),
                window: Some((date, date)),
            },
            baseline: DatasetSummary {
                source: "baselines/churn/train-2026-09.parquet".into(),
                files: 1,
                rows: nb as u64,
                content_hash: Some("9f2c".repeat(16)),
            },
            target: DatasetSummary {
                source: format!(
                    "modeldata/churn-classifier/3/{service}/inputs/{}",
                    date.format("%Y/%m/%d")
                ),
                files: 24,
                rows: nt as u64,
                content_hash: None,
            },
            classifier: Some(ClassifierSummary {
                model: "gradient-boosted trees (forust-ml), 50 rounds, depth 4".into(),
                importance: "total_gain".into(),
                mcc_raw: coefficient,
                roc_auc: 0.5 + coefficient * 0.45,
                baseline_sample_rows: nb,
                target_sample_rows: nt,
                train_rows: (nb + nt) / 2,
                test_rows: (nb + nt) / 2,
                seed: 42,
                noise_floor: NoiseFloor {
                    mean: noise * 0.5,
                    max: noise,
                    repetitions: 5,
                    rows_per_side: nt / 2,
                    ..Default::default()
                },
                duration_ms: 820,
                ..Default::default()
            }),
            features,
            schema: SchemaChanges {
                missing_in_target: vec!["legacy_segment".into()],
                added_in_target: vec!["utm_source".into()],
                retyped: vec![("postcode".into(), "integer".into(), "string".into())],
                excluded: vec![(
                    "customer_id".into(),
                    "identifier: unique in every row".into(),
                )],
                ..SchemaChanges::default()
            },
            warnings: vec![format!(
                "Column `{SCRIPT_COLUMN}` has a standard deviation 1.4 times the baseline's."
            )],
            signals: vec![],
        }
    }

    /// A run that did not score.
    pub fn unscored(date: NaiveDate, service: &str, status: RunStatus, why: &str) -> RunResult {
        let mut r = run(date, service, 0.0, 0.0, 1);
        r.has_drift = false;
        r.dataset_metrics.clear();
        r.column_metrics.clear();
        r.features.clear();
        r.classifier = None;
        r.target.rows = 0;
        r.run.status = status;
        r.run.error = Some(why.into());
        r
    }

    /// 30 days of two services; drift builds up in `scoring-eu` over the last ten days; one run
    /// failed and one found no data.
    pub fn history() -> Vec<RunResult> {
        let start = day("2026-10-26");
        let mut out = Vec::new();
        for d in 0..30u64 {
            let date = start + chrono::Days::new(d);
            let ramp = ((d as f64 - 19.0) / 10.0).clamp(0.0, 1.0);
            let wobble = ((d * 37 % 11) as f64 - 5.0) / 250.0;
            if d == 12 {
                out.push(unscored(
                    date,
                    "scoring-eu",
                    RunStatus::Failed,
                    "reading `modeldata/churn-classifier/3/scoring-eu/inputs/2026/11/07/part-3.csv`: line 4: column `age`: cannot parse `4.x4` as float",
                ));
            } else {
                out.push(run(
                    date,
                    "scoring-eu",
                    ramp,
                    0.06 + 0.4 * ramp + wobble,
                    100 + d,
                ));
            }
            if d == 20 {
                out.push(unscored(date, "scoring-us", RunStatus::NoData, "no snapshot under `modeldata/churn-classifier/3/scoring-us/inputs/2026/11/15/`"));
            } else {
                out.push(run(date, "scoring-us", 0.1, 0.08 - wobble, 200 + d));
            }
        }
        out
    }
}

/// Headless Chromium, driven from the command line.
mod browser {
    use super::*;

    pub fn chromium() -> Option<PathBuf> {
        match std::env::var_os("DRIFTSCAN_CHROMIUM").map(PathBuf::from) {
            Some(p) if p.is_file() => Some(p),
            other => {
                let why = match other {
                    Some(p) => format!("DRIFTSCAN_CHROMIUM=`{}` is not a file", p.display()),
                    None => "DRIFTSCAN_CHROMIUM is not set".to_string(),
                };
                if std::env::var("DRIFTSCAN_REQUIRE_COMPONENTS").as_deref() == Ok("1") {
                    panic!(
                        "Chromium is required (DRIFTSCAN_REQUIRE_COMPONENTS=1) but {why}; run scripts/test.sh or install the Debian package `chromium`"
                    );
                }
                eprintln!("NOT RUN: report rendering in Chromium: {why}");
                None
            }
        }
    }

    /// Runs Chromium headless on `page` with `extra` flags; returns (stdout, stderr).
    fn run(chromium: &Path, page: &Path, extra: &[String]) -> (String, String) {
        let dir = page.parent().expect("pages live in a temp dir");
        let profile = tempfile::tempdir_in(dir).expect("temp profile dir");
        let out_path = profile.path().join("stdout");
        let err_path = profile.path().join("stderr");
        let mut child = Command::new(chromium)
            .args([
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--hide-scrollbars",
            ])
            .arg(format!(
                "--user-data-dir={}",
                profile.path().join("ud").display()
            ))
            .args(extra)
            .arg(format!("file://{}", page.display()))
            .stdin(Stdio::null())
            .stdout(std::fs::File::create(&out_path).expect("stdout file"))
            .stderr(std::fs::File::create(&err_path).expect("stderr file"))
            .spawn()
            .unwrap_or_else(|e| panic!("starting `{}`: {e}", chromium.display()));
        let deadline = Instant::now() + Duration::from_secs(120);
        loop {
            match child.try_wait().expect("waiting for Chromium") {
                Some(status) => {
                    let out = std::fs::read_to_string(&out_path).unwrap_or_default();
                    let err = std::fs::read_to_string(&err_path).unwrap_or_default();
                    assert!(
                        status.success(),
                        "Chromium exited with {status}; stderr:\n{err}"
                    );
                    return (out, err);
                }
                None if Instant::now() > deadline => {
                    let _ = child.kill();
                    let _ = child.wait();
                    panic!(
                        "Chromium did not finish rendering `{}` within 120 s",
                        page.display()
                    );
                }
                None => std::thread::sleep(Duration::from_millis(100)),
            }
        }
    }

    /// The DOM after scripts ran, and every console message the page produced (uncaught
    /// errors, `console.*` calls, Content-Security-Policy refusals all land there).
    pub fn dom_and_console(chromium: &Path, page: &Path) -> (String, Vec<String>) {
        let (dom, err) = run(
            chromium,
            page,
            &[
                "--enable-logging=stderr".into(),
                "--v=0".into(),
                "--dump-dom".into(),
            ],
        );
        let console = err
            .lines()
            .filter(|l| l.contains(":CONSOLE"))
            .map(str::to_string)
            .collect();
        (dom, console)
    }

    /// What a probe measured of a page laid out `width` CSS px wide (every feature section open):
    /// the page's `scrollWidth` and `clientWidth`, and each chart's label, left and right edge.
    pub struct Layout {
        pub scroll_width: f64,
        pub client_width: f64,
        pub charts: Vec<(String, f64, f64)>,
    }

    /// Lays `html` out `width` CSS px wide and measures it. Headless Chromium does not make a
    /// window narrower than 500 px, so the page is loaded unchanged (its own policy and script
    /// included) into a frame of that width, and a probe in the framing page measures it once it
    /// has loaded and writes the figures into the framing page's DOM.
    pub fn layout_at_width(chromium: &Path, html: &str, width: u32) -> Layout {
        let dir = tempfile::tempdir().expect("temp dir");
        let frame = format!(
            r#"<!DOCTYPE html><html><head><meta charset="utf-8"><style>body{{margin:0}}iframe{{border:0;display:block}}</style></head><body><iframe id="page" width="{width}" height="2000" srcdoc="{}"></iframe><script>
var f=document.getElementById('page');f.onload=function(){{var d=f.contentDocument,de=d.documentElement;
var ds=d.querySelectorAll('details');for(var i=0;i<ds.length;i++)ds[i].open=true;
var lines=['page '+de.scrollWidth+' '+de.clientWidth];var svgs=d.querySelectorAll('svg');
for(var i=0;i<svgs.length;i++){{var b=svgs[i].getBoundingClientRect();lines.push('chart '+b.left+' '+b.right+' '+svgs[i].getAttribute('aria-label'))}}
var pre=document.createElement('pre');pre.id='probe';pre.textContent=lines.join('\n');document.body.appendChild(pre)}};
</script></body></html>"#,
            html.replace('&', "&amp;").replace('"', "&quot;")
        );
        let page = dir.path().join("frame.html");
        std::fs::write(&page, frame).expect("writing the framing page");
        let (dom, _) = run(
            chromium,
            &page,
            &[
                format!("--window-size={},2000", width.max(500)),
                "--dump-dom".into(),
            ],
        );
        let start =
            dom.find("<pre id=\"probe\">").expect("the probe ran") + "<pre id=\"probe\">".len();
        let text = &dom[start..start + dom[start..].find("</pre>").expect("probe output ends")];
        let mut layout = Layout {
            scroll_width: f64::NAN,
            client_width: f64::NAN,
            charts: Vec::new(),
        };
        for line in text.lines() {
            let mut parts = line.splitn(4, ' ');
            let kind = parts.next().unwrap_or_default();
            let a: f64 = parts.next().and_then(|v| v.parse().ok()).expect("a number");
            let b: f64 = parts.next().and_then(|v| v.parse().ok()).expect("a number");
            match kind {
                "page" => (layout.scroll_width, layout.client_width) = (a, b),
                _ => layout
                    .charts
                    .push((parts.next().unwrap_or_default().to_string(), a, b)),
            }
        }
        layout
    }

    /// A 1280 x 2000 screenshot of the top of the page.
    pub fn screenshot(chromium: &Path, page: &Path, png: &Path) {
        run(
            chromium,
            page,
            &[
                format!("--screenshot={}", png.display()),
                "--window-size=1280,2000".into(),
            ],
        );
    }
}

/// Writes `html` to a temp dir (and to `DRIFTSCAN_REPORT_SAMPLES` if set), loads it in Chromium
/// and checks what a user would see: no console messages, the sorting script ran, the expected
/// number of charts each with drawn marks, names from data shown as text. Returns the DOM.
fn check_in_browser(name: &str, html: &str, expected_charts: usize) -> Option<String> {
    let samples = std::env::var_os("DRIFTSCAN_REPORT_SAMPLES").map(PathBuf::from);
    if let Some(dir) = &samples {
        std::fs::create_dir_all(dir).expect("samples dir");
        std::fs::write(dir.join(format!("{name}.html")), html).expect("writing sample page");
    }
    let chromium = browser::chromium()?;
    let dir = tempfile::tempdir().expect("temp dir");
    let page = dir.path().join(format!("{name}.html"));
    std::fs::write(&page, html).expect("writing page");

    let (dom, console) = browser::dom_and_console(&chromium, &page);
    assert!(
        dom.contains("</html>"),
        "Chromium returned no DOM for {name}"
    );
    assert!(
        console.is_empty(),
        "{name}: console messages:\n{}",
        console.join("\n")
    );
    // The one inline script ran (so the policy's hash matched): it made headers focusable.
    assert!(
        dom.contains("tabindex=\"0\""),
        "{name}: the table-sorting script did not run"
    );

    let charts: Vec<&str> = dom.split("<svg").skip(1).collect();
    assert_eq!(charts.len(), expected_charts, "{name}: number of charts");
    for (i, c) in charts.iter().enumerate() {
        let body = &c[..c.find("</svg>").unwrap_or(c.len())];
        let marks = body.matches("<path d=\"M").count()
            + body.matches("<rect").count()
            + body.matches("<circle").count();
        assert!(
            marks > 0,
            "{name}: chart {i} draws nothing: {}",
            &body[..body.len().min(300)]
        );
    }

    let png = dir.path().join(format!("{name}.png"));
    browser::screenshot(&chromium, &page, &png);
    let bytes = std::fs::read(&png).expect("screenshot written");
    assert!(
        bytes.starts_with(b"\x89PNG\r\n\x1a\n"),
        "{name}: screenshot is not a PNG"
    );
    assert!(
        bytes.len() > 20_000,
        "{name}: screenshot of {} bytes looks blank",
        bytes.len()
    );
    if let Some(dir) = &samples {
        std::fs::copy(&png, dir.join(format!("{name}.png"))).expect("copying screenshot");
    }
    Some(dom)
}

/// Names from data must be text in the rendered page, never elements.
fn assert_hostile_names_are_text(name: &str, html: &str, dom: &str) {
    assert!(
        html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{name}: column name not escaped in source"
    );
    assert!(
        dom.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{name}: column name not shown as text"
    );
    assert!(
        !dom.contains("<script>alert"),
        "{name}: column name became a script element"
    );
    assert_eq!(
        dom.matches("<script").count(),
        1,
        "{name}: only the page's own script may exist"
    );
    assert!(
        !dom.contains("<img"),
        "{name}: a category name became an image element"
    );
}

/// The text a reader sees on a page, for snapshots: one block per line, table cells separated
/// by ` | `, entities decoded; no style or script, and each chart reduced to `[chart: <label>]`.
/// The version in the footer is written `[version]`.
fn visible_text(html: &str) -> String {
    let body = html.find("<body>").map_or(html, |i| &html[i..]);
    let mut text = String::with_capacity(body.len() / 2);
    let mut rest = body;
    while let Some(open) = rest.find('<') {
        text.push_str(&rest[..open]);
        let tag_end = open + rest[open..].find('>').expect("tags end");
        let tag = &rest[open..=tag_end];
        let name: String = tag[1..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '/')
            .collect();
        let mut next = tag_end + 1;
        match name.as_str() {
            "script" | "style" => {
                let close = format!("</{name}>");
                next = open + rest[open..].find(&close).expect("element closes") + close.len();
            }
            "svg" => {
                let label = tag
                    .split("aria-label=\"")
                    .nth(1)
                    .and_then(|l| l.split('"').next())
                    .unwrap_or("");
                text.push_str(&format!("\n[chart: {label}]\n"));
                next = open + rest[open..].find("</svg>").expect("chart closes") + "</svg>".len();
            }
            "/td" | "/th" => text.push_str(" | "),
            "span" => text.push(' '),
            "/dt" => text.push_str(": "),
            "br" | "p" | "/p" | "div" | "/div" | "h1" | "/h1" | "h2" | "/h2" | "h3" | "/h3"
            | "tr" | "/tr" | "li" | "/li" | "summary" | "/summary" | "dt" | "/dd" | "section"
            | "/section" | "footer" | "table" | "/table" | "details" | "/details" | "nav"
            | "/nav" => {
                text.push('\n');
            }
            _ => {}
        }
        rest = &rest[next..];
    }
    text.push_str(rest);
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", " ")
        .replace("&amp;", "&")
        .replace(
            &format!("driftscan {}", env!("CARGO_PKG_VERSION")),
            "driftscan [version]",
        );
    // `driftscan report` stamps the page with the time it was made.
    let text = match text.find("Generated by driftscan [version] at ") {
        Some(at) => {
            let from = at + "Generated by driftscan [version]".len();
            match text[from..].find(" UTC") {
                Some(to) => format!("{}{}", &text[..from], &text[from + to + " UTC".len()..]),
                None => text,
            }
        }
        None => text,
    };
    text.lines()
        .map(|l| {
            let l = l.split_whitespace().collect::<Vec<_>>().join(" ");
            l.trim_end_matches(" |")
                .trim_end_matches('|')
                .trim()
                .to_string()
        })
        .filter(|l| !l.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

fn detector() -> Detector {
    Detector::try_from(DetectorConfig {
        name: "churn-model".into(),
        model_name: "churn-classifier".into(),
        model_version: 3,
        services: vec!["scoring-eu".into(), "scoring-us".into()],
        baseline: "baselines/churn/train-2026-09.parquet".into(),
        snapshots: None,
        frequency: Frequency::Day,
        latency: 2,
        feature_list: None,
        drift_threshold: 0.2,
        alert: AlertConfig::default(),
        alert_on: Default::default(),
        min_effect: driftscan::detector::DEFAULT_MIN_EFFECT,
        feature_thresholds: Default::default(),
        feature_types: Default::default(),
        on_missing_feature: Default::default(),
        signals: Default::default(),
        reference_window: None,
        production_window: None,
        enabled: true,
    })
    .expect("valid detector")
}

#[test]
fn run_page_renders_in_chromium_with_every_chart_and_names_as_text() {
    let r = data::run(data::day("2026-11-24"), "scoring-eu", 1.0, 0.43, 129);
    let html = render_run(&r, &ReportOptions::default());
    // Verdict "Drift detected: coefficient 0.43 > threshold 0.20", facts, metrics, quality.
    insta::assert_snapshot!("run_page_text", visible_text(&html));
    let Some(dom) = check_in_browser("report-run", &html, 1 + data::CHARTED) else {
        return;
    };
    assert_hostile_names_are_text("run", &html, &dom);
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "category name not shown as text"
    );
    // Every feature is reachable, the empty one says why it has no chart.
    assert_eq!(dom.matches("<details").count(), data::FEATURES.len());
    assert!(dom.contains("No values to plot on either side."));
}

#[test]
fn history_page_renders_in_chromium_with_trend_runs_and_detail() {
    let results = data::history();
    let html = render_history(Some(&detector()), &results, None, &ReportOptions::default());
    // Verdict "Drift detected in 7 of 30 days", the runs (failed and no-data ones with their
    // reason), the run in detail.
    insta::assert_snapshot!("history_page_text", visible_text(&html));
    // Coefficient trend, contribution heat map, then the latest run: contributions + features.
    let Some(dom) = check_in_browser("report-history", &html, 2 + 1 + data::CHARTED) else {
        return;
    };
    assert_hostile_names_are_text("history", &html, &dom);
    assert!(
        dom.contains("cannot parse `4.x4` as float"),
        "failed run not listed"
    );
    assert!(dom.contains("no snapshot under"), "no-data run not listed");
    assert!(dom.contains("Run in detail: scoring-eu on 2026-11-24"));
}

/// The diff page's view of a run: its baseline as the old side, its target as the new.
fn diff_view(r: &driftscan::drift::result::RunResult) -> DiffView {
    DiffView {
        old: r.baseline.clone(),
        new: r.target.clone(),
        column_metrics: r.column_metrics.clone(),
        features: r.features.clone(),
        schema: r.schema.clone(),
        warnings: r.warnings.clone(),
        coefficient: r.coefficient(),
    }
}

#[test]
fn diff_page_renders_in_chromium() {
    let r = data::run(data::day("2026-11-24"), "scoring-eu", 0.6, 0.3, 5);
    let view = diff_view(&r);
    let html = render_diff(&view, &ReportOptions::default());
    insta::assert_snapshot!("diff_page_text", visible_text(&html));
    let Some(dom) = check_in_browser("report-diff", &html, 1 + data::CHARTED) else {
        return;
    };
    assert_hostile_names_are_text("diff", &html, &dom);
    assert!(dom.contains("Distributions: old vs new"));
}

/// At a phone's width (390 CSS px) every page fits the screen: it does not scroll sideways, and
/// every chart, the contribution chart above all, lies inside it with every feature's section
/// open. (Wide tables may scroll inside their own box; that box fits too.)
#[test]
fn pages_fit_a_390_px_phone_screen() {
    let Some(chromium) = browser::chromium() else {
        return;
    };
    let r = data::run(data::day("2026-11-24"), "scoring-eu", 1.0, 0.43, 129);
    let opts = ReportOptions::default();
    let view = diff_view(&r);
    let pages = [
        ("run", render_run(&r, &opts), 1 + data::CHARTED),
        (
            "history",
            render_history(Some(&detector()), &data::history(), None, &opts),
            2 + 1 + data::CHARTED,
        ),
        ("diff", render_diff(&view, &opts), 1 + data::CHARTED),
    ];
    for (name, html, charts) in pages {
        let layout = browser::layout_at_width(&chromium, &html, 390);
        assert_eq!(
            layout.client_width, 390.0,
            "{name}: the frame is 390 px wide"
        );
        assert!(
            layout.scroll_width <= 390.0,
            "{name}: the page scrolls sideways: scrollWidth {}",
            layout.scroll_width
        );
        assert_eq!(layout.charts.len(), charts, "{name}: charts measured");
        for (label, left, right) in &layout.charts {
            assert!(
                *left >= 0.0 && *right <= 390.0 && right - left > 300.0,
                "{name}: chart `{label}` spans {left}..{right} px of 390"
            );
        }
        assert!(
            layout
                .charts
                .iter()
                .any(|(label, _, _)| label.starts_with("Contribution to drift")),
            "{name}: no contribution chart measured"
        );
    }
}

/// The console check is only worth something if it catches a broken page: a page whose script
/// throws, and a page with an injected handler that the policy refuses, must both be reported.
#[test]
fn console_check_catches_script_errors_and_refused_injections() {
    let Some(chromium) = browser::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let r = data::run(data::day("2026-11-24"), "scoring-eu", 0.2, 0.1, 3);
    let good = render_run(&r, &ReportOptions::default());
    // A script that throws (the policy line is dropped, or the changed script would be refused
    // for its hash instead of running).
    let policy_start = good
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("page has a policy");
    let policy_end = policy_start + good[policy_start..].find('>').expect("policy tag ends") + 1;
    let without_policy = format!("{}{}", &good[..policy_start], &good[policy_end..]);
    let throwing = without_policy.replacen(
        "(function(){",
        "(function(){throw new Error('broken-sort');",
        1,
    );
    let injected = good.replacen(
        "<main>",
        "<main><img src=x onerror=\"document.title='pwned'\">",
        1,
    );
    for (name, html, needle) in [
        ("throwing", throwing, "broken-sort"),
        ("injected", injected, "Content Security Policy"),
    ] {
        let page = dir.path().join(format!("{name}.html"));
        std::fs::write(&page, html).expect("writing page");
        let (dom, console) = browser::dom_and_console(&chromium, &page);
        assert!(
            console.iter().any(|l| l.contains(needle)),
            "{name}: expected a console message containing {needle:?}, got {console:?}"
        );
        assert!(!dom.contains("<title>pwned</title>"));
    }
}

/// `driftscan report`, run in-process: the shared build folder's binary may belong to another
/// branch at any moment, the library's `cli::run` is this one.
/// The metrics table sorts when a header is clicked: numbers largest first on the first click,
/// smallest first on the second, undefined values last both times. The click is made by a probe
/// script appended to the page (with the policy line dropped so the probe may run).
#[test]
fn metrics_table_sorts_by_a_clicked_header() {
    let Some(chromium) = browser::chromium() else {
        return;
    };
    let dir = tempfile::tempdir().expect("temp dir");
    let r = data::run(data::day("2026-11-24"), "scoring-eu", 1.0, 0.43, 129);
    let html = render_run(&r, &ReportOptions::default());
    let policy_start = html
        .find("<meta http-equiv=\"Content-Security-Policy\"")
        .expect("page has a policy");
    let policy_end = policy_start + html[policy_start..].find('>').expect("policy tag ends") + 1;
    let probe = r#"<script>
var t=document.querySelector('#metrics').nextElementSibling.nextElementSibling.querySelector('table');
var ths=t.tHead.rows[0].cells,col=-1;for(var i=0;i<ths.length;i++){if(ths[i].textContent==='W/σ')col=i}
function column(){return Array.prototype.map.call(t.tBodies[0].rows,function(r){return r.cells[col].getAttribute('data-v')||'-'}).join(' ')}
ths[col].click();var first=column();ths[col].click();var second=column();
var pre=document.createElement('pre');pre.id='probe';pre.textContent=first+'|'+second+'|'+ths[col].getAttribute('aria-sort');document.body.appendChild(pre);
</script></body>"#;
    let page_html =
        format!("{}{}", &html[..policy_start], &html[policy_end..]).replacen("</body>", probe, 1);
    let page = dir.path().join("sort.html");
    std::fs::write(&page, page_html).expect("writing page");
    let (dom, console) = browser::dom_and_console(&chromium, &page);
    assert!(console.is_empty(), "console: {console:?}");
    let start = dom.find("<pre id=\"probe\">").expect("probe ran") + "<pre id=\"probe\">".len();
    let text = &dom[start..start + dom[start..].find("</pre>").expect("probe output ends")];
    let parts: Vec<&str> = text.split('|').collect();
    assert_eq!(parts.len(), 3, "{text}");
    let parse = |s: &str| -> (Vec<f64>, usize) {
        let vals: Vec<&str> = s.split(' ').collect();
        let missing_from = vals.iter().position(|v| *v == "-").unwrap_or(vals.len());
        assert!(
            vals[missing_from..].iter().all(|v| *v == "-"),
            "undefined values not last: {s}"
        );
        (
            vals[..missing_from]
                .iter()
                .map(|v| v.parse().expect("numeric data-v"))
                .collect(),
            vals.len() - missing_from,
        )
    };
    let (desc, missing) = parse(parts[0]);
    assert!(desc.len() >= 6 && missing >= 4, "{text}");
    assert!(
        desc.windows(2).all(|w| w[0] >= w[1]),
        "first click is not largest first: {desc:?}"
    );
    let (asc, _) = parse(parts[1]);
    assert!(
        asc.windows(2).all(|w| w[0] <= w[1]),
        "second click is not smallest first: {asc:?}"
    );
    assert_eq!(parts[2], "ascending");
}

mod cli {
    use super::*;
    use clap::Parser;

    fn store_with_history() -> tempfile::TempDir {
        let store = tempfile::tempdir().expect("temp dir");
        let det = store.path().join("detectors");
        std::fs::create_dir_all(&det).expect("detectors dir");
        std::fs::write(
            det.join("churn-model.json"),
            serde_json::to_vec(&detector()).expect("detector json"),
        )
        .expect("writing detector");
        for r in data::history() {
            let dir = store
                .path()
                .join("runs/churn-model")
                .join(&r.service_name)
                .join(r.datetime.format("%Y/%m").to_string());
            std::fs::create_dir_all(&dir).expect("run dir");
            let file = dir.join(r.datetime.format("%d.json").to_string());
            std::fs::write(file, serde_json::to_vec(&r).expect("result json"))
                .expect("writing result");
        }
        // Left behind by an interrupted atomic write: not a result, passed over.
        std::fs::write(
            store
                .path()
                .join("runs/churn-model/scoring-eu/2026/11/24.json.tmp"),
            b"{",
        )
        .expect("writing temp file");
        store
    }

    fn report(store: &Path, args: &[&str]) -> anyhow::Result<driftscan::cli::ExitStatus> {
        let store = store.to_str().expect("temp paths are UTF-8");
        let argv = ["driftscan", "report", "--store", store]
            .into_iter()
            .chain(args.iter().copied());
        let cli = driftscan::cli::Cli::try_parse_from(argv)?;
        driftscan::cli::run(cli)
    }

    #[test]
    fn report_writes_the_history_of_a_store_folder() {
        let store = store_with_history();
        let out = store.path().join("report.html");
        let status = report(
            store.path(),
            &[
                "--detector",
                "churn-model",
                "--out",
                out.to_str().unwrap_or_default(),
            ],
        )
        .expect("report succeeds");
        assert_eq!(status, driftscan::cli::ExitStatus::Success);
        let html = std::fs::read_to_string(&out).expect("report written");
        // The page the library renders from the same results (its text is the
        // `history_page_text` snapshot): verdict, "58 scored, 1 failed, 1 with no data", runs,
        // and per-feature detail for the run shown.
        let expected = render_history(
            Some(&detector()),
            &data::history(),
            None,
            &ReportOptions::default(),
        );
        assert_eq!(visible_text(&html), visible_text(&expected));
        assert_eq!(html.matches("<svg").count(), 2 + 1 + data::CHARTED);
    }

    #[test]
    fn report_limits_period_services_and_detail_run() {
        let store = store_with_history();
        let out = store.path().join("report.html");
        report(
            store.path(),
            &[
                "--detector",
                "churn-model",
                "--start",
                "2026-11-01",
                "--end",
                "2026-11-10",
                "--service",
                "scoring-us",
                "--run",
                "2026-11-05",
                "--out",
                out.to_str().unwrap_or_default(),
            ],
        )
        .expect("report succeeds");
        let html = std::fs::read_to_string(&out).expect("report written");
        // "2026-11-01 to 2026-11-10", "No drift in 10 days", only scoring-us in the runs, and
        // "Run in detail: scoring-us on 2026-11-05".
        insta::assert_snapshot!("limited_history_page_text", visible_text(&html));
        assert_eq!(html.matches("<svg").count(), 2 + 1 + data::CHARTED);
        assert!(!html.contains("<td class=\"t\">scoring-eu</td>"));
    }

    #[test]
    fn report_errors_name_the_culprit() {
        let store = store_with_history();
        let bad = store
            .path()
            .join("runs/churn-model/scoring-us/2026/11/03.json");
        std::fs::write(&bad, b"{\"schema_version\": ").expect("corrupting a result");
        let out = store.path().join("r.html");
        let out = out.to_str().unwrap_or_default();
        let err = report(store.path(), &["--detector", "churn-model", "--out", out])
            .expect_err("corrupt result");
        let msg = format!("{err:#}");
        assert!(
            msg.contains(
                "`runs/churn-model/scoring-us/2026/11/03.json` is not a valid stored document: "
            ),
            "{msg}"
        );

        for (args, message) in [
            (vec!["--detector", "nope"], "no detector `nope` in `"),
            (
                vec!["--detector", "../etc"],
                "`../etc` is not a valid detector name",
            ),
            (
                vec![
                    "--detector",
                    "churn-model",
                    "--start",
                    "2026-11-20",
                    "--end",
                    "2026-11-01",
                ],
                "`--start` 2026-11-20 is after `--end` 2026-11-01",
            ),
        ] {
            let args: Vec<&str> = args.into_iter().chain(["--out", out]).collect();
            let err = report(store.path(), &args).expect_err(message);
            assert!(format!("{err:#}").contains(message), "{err:#}");
        }
        let err = report(
            Path::new("/nonexistent/store"),
            &["--detector", "x", "--out", "-"],
        )
        .expect_err("no store");
        assert_eq!(
            format!("{err:#}"),
            "store folder `/nonexistent/store` does not exist"
        );
        let err = report(
            store.path(),
            &["--detector", "x", "--start", "2026-13-01", "--out", "-"],
        )
        .expect_err("bad date");
        assert!(format!("{err:#}").contains("2026-13-01"), "{err:#}");
    }
}

/// A binary model's performance over six windows of 1,000 rows against a reference of 3,000:
/// four labelled windows (the third named by a script tag) and two without labels, estimates in
/// all six with their bands; the fourth window's realized figures fell 0.18 below the
/// reference's, which fails every metric. Built by hand, so the page's text does not move when
/// the estimators are tuned.
fn performance_result() -> driftscan::drift::performance::PerformanceResult {
    use driftscan::drift::performance::{
        Band, MetricPerformance, PerformanceResult, Problem, WindowPerformance,
    };
    const METRICS: [(&str, f64); 5] = [
        ("roc_auc", 0.969),
        ("accuracy", 0.902),
        ("precision", 0.898),
        ("recall", 0.911),
        ("f1", 0.904),
    ];
    let band = |value: f64, half: f64| Band {
        value,
        sampling_error: half / 1.96,
        lower: value - half,
        upper: (value + half).min(1.0),
    };
    // Small deterministic wobble per window and metric.
    let wobble = |w: usize, k: usize| 0.004 * (((w * 7 + k * 3) % 5) as f64 - 2.0);
    let window = |w: usize, label: &str, labelled: bool, fall: f64| {
        let metrics: Vec<MetricPerformance> = METRICS
            .iter()
            .enumerate()
            .map(|(k, &(name, reference))| {
                let realized = labelled.then(|| band(reference + wobble(w, k) - fall, 0.018));
                MetricPerformance {
                    name: name.into(),
                    reference,
                    realized,
                    estimated: Some(band(reference - wobble(w + 1, k), 0.026)),
                    threshold: 0.05,
                    passed: Some(fall == 0.0),
                }
            })
            .collect();
        WindowPerformance {
            label: label.into(),
            rows: 1000,
            labelled_rows: if labelled { 1000 } else { 0 },
            passed: fall == 0.0,
            metrics,
            confusion_matrix: None,
            warnings: Vec::new(),
        }
    };
    let mut reference = window(0, "reference", true, 0.0);
    reference.rows = 3000;
    reference.labelled_rows = 3000;
    for m in &mut reference.metrics {
        m.realized = Some(band(m.reference, 0.01));
        m.estimated = None;
    }
    let windows = vec![
        window(1, "rows 0-999", true, 0.0),
        window(2, "rows 1000-1999", true, 0.0),
        window(3, data::SCRIPT_COLUMN, true, 0.0),
        window(4, "rows 3000-3999", true, 0.18),
        window(5, "rows 4000-4999", false, 0.0),
        window(6, "rows 5000-5999", false, 0.0),
    ];
    PerformanceResult {
        problem: Problem::Binary,
        classes: vec!["repaid".into(), data::IMG_CATEGORY.into()],
        passed: false,
        reference,
        windows,
        warnings: vec!["the reference has 3000 labelled rows: estimates are rough".into()],
    }
}

/// The performance page: a chart per metric (reference and threshold lines, realized and
/// estimated values, the estimate's band, the failing window marked), the sentence of each
/// failing metric, names from data as text, no console message.
#[test]
fn performance_page_renders_in_chromium_with_a_chart_per_metric_and_the_drop() {
    let result = performance_result();
    let html = driftscan::report::render_performance(&result);
    insta::assert_snapshot!("performance_page_text", visible_text(&html));
    let metrics = result.reference.metrics.len();
    let Some(dom) = check_in_browser("report-performance", &html, metrics) else {
        return;
    };
    assert_hostile_names_are_text("performance", &html, &dom);
    assert!(
        dom.contains("&lt;img src=x onerror=alert(1)&gt;"),
        "class name not shown as text"
    );
    for m in &result.windows[3].metrics {
        assert!(
            dom.contains(&format!(
                "<li><b>rows 3000-3999</b>: {}</li>",
                driftscan::report::drop_sentence(m)
            )),
            "{}: no sentence for the failing window",
            m.name
        );
    }
    for (i, chart) in dom.split("<svg").skip(1).enumerate() {
        let chart = &chart[..chart.find("</svg>").expect("chart closes")];
        let name = &result.reference.metrics[i].name;
        assert!(
            chart.contains(&format!("aria-label=\"{name} per window")),
            "chart {i} is not {name}'s"
        );
        assert!(chart.contains(">reference "), "{name}: no reference line");
        assert!(chart.contains(">threshold "), "{name}: no threshold line");
        assert!(
            chart.contains("stroke-dasharray=\"5 3\""),
            "{name}: no estimate line"
        );
        assert!(
            chart.contains("fill-opacity=\"0.22\""),
            "{name}: no estimate band"
        );
        // Realized points in the four labelled windows, estimates in all six, the failing
        // window shaded and its value ringed.
        assert_eq!(
            chart.matches("r=\"3\"").count(),
            4,
            "{name}: realized points"
        );
        assert_eq!(
            chart.matches("r=\"2.5\"").count(),
            6,
            "{name}: estimated points"
        );
        assert_eq!(
            chart.matches("r=\"5.5\"").count(),
            1,
            "{name}: ringed value"
        );
        assert!(
            chart.contains("<title>rows 3000-3999: "),
            "{name}: failing window not marked"
        );
    }
}

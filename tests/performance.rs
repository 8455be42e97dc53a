//! Model performance: realized metrics equal scikit-learn's to 1e-12
//! (`tests/data/reference/performance.json`, written by `scripts/reference/performance.py`) for
//! binary, multiclass and regression windows, including windows with one class only.

use driftscan::drift::performance::{
    Metric, Outcomes, PerformanceSpec, Problem, WindowPerformance, evaluate,
};
use serde_json::Value;

const FIXTURE: &str = "tests/data/reference/performance.json";

fn label(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// A fixture case as outcomes, with its spec.
fn case(case: &Value) -> (PerformanceSpec, Outcomes) {
    let problem = Problem::parse(case["problem"].as_str().unwrap()).unwrap();
    let numbers = |key: &str| -> Vec<f64> {
        case[key]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_f64().unwrap())
            .collect()
    };
    let spec = |classes: Vec<String>| PerformanceSpec {
        problem,
        classes,
        thresholds: Vec::new(),
        seed: 7,
    };
    if problem == Problem::Regression {
        let outcomes = Outcomes::Regression {
            truth: numbers("y_true"),
            predicted: numbers("y_pred"),
            features: Vec::new(),
        };
        return (spec(Vec::new()), outcomes);
    }
    let classes: Vec<String> = case["classes"]
        .as_array()
        .unwrap()
        .iter()
        .map(label)
        .collect();
    let position = |v: &Value| classes.iter().position(|c| *c == label(v)).unwrap() as u32;
    let positions =
        |key: &str| -> Vec<u32> { case[key].as_array().unwrap().iter().map(position).collect() };
    let (scores, columns) = match problem {
        Problem::Binary => (numbers("y_pred_proba"), 1),
        _ => {
            let rows = case["y_pred_proba"].as_array().unwrap();
            let scores: Vec<f64> = rows
                .iter()
                .flat_map(|r| r.as_array().unwrap().iter().map(|v| v.as_f64().unwrap()))
                .collect();
            (scores, classes.len())
        }
    };
    let outcomes = Outcomes::Classification {
        truth: positions("y_true"),
        predicted: positions("y_pred"),
        scores,
        columns,
    };
    (spec(classes), outcomes)
}

fn assert_close(name: &str, metric: &str, got: f64, want: &Value) {
    match want.as_f64() {
        None => assert!(
            got.is_nan(),
            "{name} {metric}: {got}, scikit-learn: undefined"
        ),
        Some(want) => assert!(
            (got - want).abs() <= 1e-12 * want.abs().max(1.0),
            "{name} {metric}: {got}, scikit-learn: {want}"
        ),
    }
}

/// Every case as a window scored against itself as the reference: each realized value (the
/// window's and the reference's) equals scikit-learn's.
#[test]
fn realized_metrics_equal_scikit_learn() {
    let doc: Value = serde_json::from_str(&std::fs::read_to_string(FIXTURE).unwrap()).unwrap();
    let cases = doc["cases"].as_array().unwrap();
    assert!(cases.len() >= 14, "fixture cases: {}", cases.len());
    for c in cases {
        let name = c["name"].as_str().unwrap();
        let (spec, outcomes) = case(c);
        let result = evaluate(&spec, &outcomes, &[(name.into(), outcomes.clone())]).unwrap();
        let window: &WindowPerformance = &result.windows[0];
        let expected = c["expected"].as_object().unwrap();
        for metric in Metric::ALL {
            let Some(want) = expected.get(metric.as_str()) else {
                continue;
            };
            let got = window
                .metric(metric.as_str())
                .unwrap_or_else(|| panic!("{name}: no {}", metric.as_str()));
            assert_close(name, metric.as_str(), got.realized.unwrap().value, want);
            assert_close(name, metric.as_str(), got.reference, want);
        }
        if let Some(cm) = expected.get("confusion_matrix") {
            let want: Vec<Vec<u64>> = serde_json::from_value(cm.clone()).unwrap();
            assert_eq!(window.confusion_matrix.as_ref(), Some(&want), "{name}");
        }
        if let Some(excluded) = expected.get("mape_excluded_rows").and_then(Value::as_u64)
            && excluded > 0
        {
            let said = window
                .warnings
                .iter()
                .any(|w| w.contains(&format!("{excluded} rows")));
            assert!(
                said,
                "{name}: MAPE's left-out rows not said: {:?}",
                window.warnings
            );
        }
    }
}

mod detector {
    //! The `performance` signal of a detector: estimated on the day it is scored (no labels
    //! yet), recomputed when the labels of that day arrive later (joined by id), and failing
    //! when the model goes wrong.

    use std::path::Path;
    use std::sync::Arc;

    use driftscan::drift::result::{RunResult, RunStatus};
    use driftscan::drift::signals::SignalResult;
    use driftscan::pipeline::Detectors;
    use driftscan::pipeline::detectors::RunRequest;
    use driftscan::store::{LocalStore, Store, keys};
    use rand::rngs::StdRng;
    use rand::{Rng, SeedableRng};

    /// `rows` rows of a logistic model on two inputs: id, x1, x2, the model's probability and
    /// prediction, and the truth drawn from the probability (flipped for a share `wrong` of the
    /// rows: a model gone wrong). Returns the inputs CSV, the labels CSV (id, label) and the
    /// accuracy of the rows.
    fn rows(seed: u64, n: usize, first_id: usize, wrong: f64) -> (String, String, f64) {
        let mut rng = StdRng::seed_from_u64(seed);
        let mut inputs = String::from("id,x1,x2,proba,y_pred\n");
        let mut labels = String::from("id,label\n");
        let mut right = 0usize;
        for i in 0..n {
            let (x1, x2): (f64, f64) = (
                rng.random::<f64>() * 4.0 - 2.0,
                rng.random::<f64>() * 4.0 - 2.0,
            );
            let p = 1.0 / (1.0 + (-(1.5 * x1 - x2)).exp());
            let pred = u8::from(p >= 0.5);
            let mut y = u8::from(rng.random::<f64>() < p);
            if rng.random::<f64>() < wrong {
                y = 1 - y;
            }
            right += usize::from(y == pred);
            inputs.push_str(&format!(
                "r{},{x1:.4},{x2:.4},{p:.6},{pred}\n",
                first_id + i
            ));
            labels.push_str(&format!("r{},{y}\n", first_id + i));
        }
        (inputs, labels, right as f64 / n as f64)
    }

    fn write(root: &Path, path: &str, body: &str) {
        let p = root.join(path);
        std::fs::create_dir_all(p.parent().unwrap()).unwrap();
        std::fs::write(p, body).unwrap();
    }

    fn performance(r: &RunResult) -> &SignalResult {
        r.signals
            .iter()
            .find(|s| s.name == "performance")
            .expect("a performance signal")
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn late_labels_recompute_the_day_they_belong_to() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        // The labelled reference: inputs and their labels in one file.
        let (reference, reference_labels, _) = rows(1, 5000, 0, 0.0);
        let mut joined = String::from("id,x1,x2,proba,y_pred,label\n");
        for (a, b) in reference
            .lines()
            .skip(1)
            .zip(reference_labels.lines().skip(1))
        {
            joined.push_str(&format!("{a},{}\n", b.split(',').nth(1).unwrap()));
        }
        write(root, "training/ref.csv", &joined);
        let (day1, labels1, accuracy1) = rows(2, 2000, 100_000, 0.0);
        let (day2, labels2, _) = rows(3, 2000, 200_000, 0.45);
        write(root, "data/svc/2026/03/02/inputs.csv", &day1);
        write(root, "data/svc/2026/03/03/inputs.csv", &day2);
        let store: Arc<dyn Store> = Arc::new(LocalStore::new(root).unwrap());
        let detectors = Detectors::new(Arc::clone(&store));
        detectors
            .create(
                br#"{"name":"perf","model_name":"m","model_version":1,"services":["svc"],
                     "baseline":"training/ref.csv","feature_list":["x1","x2"],
                     "snapshots":"data/{service}/{yyyy}/{MM}/{dd}",
                     "signals":{"performance":{"problem":"binary","y_true":"label","y_pred":"y_pred",
                        "y_pred_proba":["proba"],"labels":"labels/{service}/{yyyy}/{MM}/{dd}",
                        "id":"id","label_lookback_days":7}}}"#,
            )
            .await
            .unwrap();
        let run = |date: &str| {
            detectors.run(
                "perf",
                RunRequest {
                    target_date: date.into(),
                    services: None,
                    feature_list: None,
                    drift_threshold: None,
                },
            )
        };
        let stored = |date: &str| {
            let store = Arc::clone(&store);
            let key = keys::run("perf", "svc", date.parse().unwrap()).unwrap();
            async move {
                let obj = store.get(&key).await.unwrap().unwrap();
                serde_json::from_slice::<RunResult>(&obj.bytes).unwrap()
            }
        };

        // Day 1 is scored before any label: estimated only, and it passes.
        let answer = run("2026-03-02").await.unwrap();
        assert_eq!(
            answer.runs[0].status,
            RunStatus::Succeeded,
            "{}",
            answer.runs[0]
        );
        let first = stored("2026-03-02").await;
        let drift_before = first.column_metrics.clone();
        let signal = performance(&first);
        let window = signal.performance.as_ref().unwrap();
        assert_eq!(window.labelled_rows, 0);
        let accuracy = window.metric("accuracy").unwrap();
        assert!(accuracy.realized.is_none());
        let estimate = accuracy.estimated.unwrap();
        assert!(
            estimate.covers(accuracy1),
            "{estimate:?} vs realized {accuracy1}"
        );
        assert!(signal.passed, "{:?}", signal.metrics);
        // Every value sent for it has a name dashboards and workbooks are checked against.
        let emitted = driftscan::sinks::series::emitted_metric_names();
        let (points, _) = driftscan::sinks::metric_points(&first);
        for p in &points {
            assert!(
                emitted.contains(&p.name),
                "{} is not in emitted_metric_names()",
                p.name
            );
        }

        // Day 1's labels arrive with day 3's files; day 2's labels arrive on day 2 and show a
        // model gone wrong (45 % of its labels flipped).
        write(root, "labels/svc/2026/03/04/labels.csv", &labels1);
        write(root, "labels/svc/2026/03/03/labels.csv", &labels2);
        let answer = run("2026-03-03").await.unwrap();
        let second = stored("2026-03-03").await;
        let signal = performance(&second);
        assert!(
            !signal.passed,
            "a model gone wrong passes: {:?}",
            signal.metrics
        );
        assert_eq!(signal.performance.as_ref().unwrap().labelled_rows, 2000);
        let line = answer.runs[0].to_string();
        assert!(
            line.contains("performance FAILED:") && line.contains("accuracy_drop"),
            "{line}"
        );
        // The run says which earlier window it recomputed, and the stored day 1 now has its
        // labels, its realized accuracy, and when it was recomputed.
        assert_eq!(
            signal.updated_windows.len(),
            1,
            "{:?}",
            signal.updated_windows
        );
        let updated = &signal.updated_windows[0];
        assert_eq!(updated.date.to_string(), "2026-03-02");
        assert_eq!(
            (updated.labelled_rows_before, updated.labelled_rows),
            (0, 2000)
        );
        let first = stored("2026-03-02").await;
        let signal = performance(&first);
        assert!(signal.recomputed.is_some());
        let accuracy = signal
            .performance
            .as_ref()
            .unwrap()
            .metric("accuracy")
            .unwrap();
        let realized = accuracy.realized.unwrap().value;
        assert!(
            (realized - accuracy1).abs() < 1e-12,
            "{realized} vs {accuracy1}"
        );
        // Its drift results are kept as they were.
        assert_eq!(first.column_metrics, drift_before);
        // The history page draws the headline metric over the two days.
        let html =
            driftscan::report::render_history(None, &[first, second], None, &Default::default());
        assert!(
            html.contains("id=\"performance-over-time\""),
            "no performance chart"
        );
        assert!(html.contains("svc · "), "the chart names its service");
    }

    /// A day that a Spark job profiled (a saved profile in the snapshot folder instead of the
    /// rows) gets the performance signal the rows would give: its row sample carries the
    /// model's outputs and labels.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn a_day_saved_as_a_profile_is_measured_as_its_rows() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        let with_labels = |inputs: &str, labels: &str| {
            let mut joined = String::from("id,x1,x2,proba,y_pred,label\n");
            for (a, b) in inputs.lines().skip(1).zip(labels.lines().skip(1)) {
                joined.push_str(&format!("{a},{}\n", b.split(',').nth(1).unwrap()));
            }
            joined
        };
        let (reference, reference_labels, _) = rows(1, 5000, 0, 0.0);
        write(
            root,
            "training/ref.csv",
            &with_labels(&reference, &reference_labels),
        );
        let (day, day_labels, accuracy) = rows(2, 2000, 100_000, 0.0);
        write(
            root,
            "rows/svc/2026/03/02/day.csv",
            &with_labels(&day, &day_labels),
        );
        let inputs =
            driftscan::data::resolve(root.join("rows/svc/2026/03/02/day.csv").to_str().unwrap())
                .unwrap();
        let profile = driftscan::profile::build(&inputs, &Default::default()).unwrap();
        let saved = root.join("profiled/svc/2026/03/02/day.profile");
        std::fs::create_dir_all(saved.parent().unwrap()).unwrap();
        std::fs::write(&saved, profile.to_bytes()).unwrap();
        let store: Arc<dyn Store> = Arc::new(LocalStore::new(root).unwrap());
        let detectors = Detectors::new(Arc::clone(&store));
        let mut signals = Vec::new();
        for folder in ["rows", "profiled"] {
            let definition = format!(
                r#"{{"name":"{folder}","model_name":"m","model_version":1,"services":["svc"],
                     "baseline":"training/ref.csv","feature_list":["x1","x2"],
                     "snapshots":"{folder}/{{service}}/{{yyyy}}/{{MM}}/{{dd}}",
                     "signals":{{"performance":{{"problem":"binary","y_true":"label","y_pred":"y_pred",
                        "y_pred_proba":["proba"]}}}}}}"#
            );
            detectors.create(definition.as_bytes()).await.unwrap();
            let request = RunRequest {
                target_date: "2026-03-02".into(),
                services: None,
                feature_list: None,
                drift_threshold: None,
            };
            let answer = detectors.run(folder, request).await.unwrap();
            assert_eq!(
                answer.runs[0].status,
                RunStatus::Succeeded,
                "{}",
                answer.runs[0]
            );
            let key = keys::run(folder, "svc", "2026-03-02".parse().unwrap()).unwrap();
            let obj = store.get(&key).await.unwrap().unwrap();
            let result: RunResult = serde_json::from_slice(&obj.bytes).unwrap();
            signals.push(performance(&result).performance.clone().unwrap());
        }
        let (rows, profiled) = (&signals[0], &signals[1]);
        assert_eq!((profiled.rows, profiled.labelled_rows), (2000, 2000));
        for (a, b) in rows.metrics.iter().zip(&profiled.metrics) {
            let (ra, rb) = (a.realized.unwrap().value, b.realized.unwrap().value);
            assert!((ra - rb).abs() < 1e-12, "{}: {ra} vs {rb}", a.name);
            let (ea, eb) = (a.estimated.unwrap().value, b.estimated.unwrap().value);
            assert!((ea - eb).abs() < 1e-9, "{}: {ea} vs {eb}", a.name);
        }
        let realized = profiled.metric("accuracy").unwrap().realized.unwrap().value;
        assert!((realized - accuracy).abs() < 1e-12);
    }
}

/// Coverage of the estimates' 95 % bands on generated data whose truth is known (the small
/// version of `examples/performance_sweep.rs`, whose full figures are in
/// `docs/performance-estimation.md`). A window's labels are passed with it, so each result
/// carries the realized value beside the estimate made without the labels; coverage is the
/// share of (window, metric) pairs whose realized value lies in the estimate's band, pooled over
/// metrics (they are correlated within a window, so the binomial standard errors below, counted
/// over windows alone, are the conservative ones).
mod coverage {
    use driftscan::drift::performance::evaluate;
    use driftscan::drift::performance::{Outcomes, PerformanceResult, PerformanceSpec, Problem};
    use rand::SeedableRng;
    use rand::rngs::StdRng;
    use rayon::prelude::*;

    use crate::performance_data::{binary, binary_mu, regression, regression_mu};

    /// (covered, scored) pairs per window size of a result's windows.
    fn covered(result: &PerformanceResult, sizes: &[usize]) -> Vec<(u64, u64)> {
        let mut out = vec![(0, 0); sizes.len()];
        for window in &result.windows {
            let i = sizes.iter().position(|&s| s as u64 == window.rows).unwrap();
            for m in &window.metrics {
                let (Some(realized), Some(estimated)) = (m.realized, m.estimated) else {
                    continue;
                };
                if realized.value.is_finite() && estimated.value.is_finite() {
                    out[i].0 += u64::from(estimated.covers(realized.value));
                    out[i].1 += 1;
                }
            }
        }
        out
    }

    fn sum(parts: Vec<Vec<(u64, u64)>>, sizes: usize) -> Vec<f64> {
        (0..sizes)
            .map(|i| {
                let (c, n) = parts
                    .iter()
                    .fold((0, 0), |(c, n), p| (c + p[i].0, n + p[i].1));
                100.0 * c as f64 / n as f64
            })
            .collect()
    }

    /// Binary CBPE: 250 seeds, each a fresh reference of 20,000 labelled rows per model
    /// (calibrated, miscalibrated), scored on one window of 100 and one of 1,000 rows per
    /// scenario (no shift; inputs moved along `w`, which raises accuracy from 0.81 to 0.87; moved
    /// 1.5 sd at right angles to `w`, which leaves it). Per size that is 1,500 windows and 7,500
    /// (window, metric) pairs; at 95 % the binomial standard error over 1,500 windows is 0.56 %,
    /// so [93 %, 97 %] is more than 3.5 standard errors either side. The full sweep measured 95.0 %
    /// at both sizes.
    #[test]
    fn binary_bands_cover_the_realized_value() {
        let sizes = [100, 1_000];
        let scenarios = ["none", "along", "orthogonal"].map(binary_mu);
        let parts: Vec<Vec<(u64, u64)>> = (0..250u64)
            .into_par_iter()
            .flat_map_iter(|seed| {
                [true, false].into_iter().map(move |calibrated| {
                    let mut rng = StdRng::seed_from_u64(0xb1a5 + 2 * seed + u64::from(calibrated));
                    let reference = binary(&mut rng, 20_000, &[0.0; 5], calibrated);
                    let windows: Vec<(String, Outcomes)> = scenarios
                        .iter()
                        .flat_map(|mu| {
                            sizes
                                .map(|rows| (String::new(), binary(&mut rng, rows, mu, calibrated)))
                        })
                        .collect();
                    let spec = PerformanceSpec {
                        problem: Problem::Binary,
                        classes: vec!["0".into(), "1".into()],
                        thresholds: Vec::new(),
                        seed,
                    };
                    covered(&evaluate(&spec, &reference, &windows).unwrap(), &sizes)
                })
            })
            .collect();
        let coverage = sum(parts, sizes.len());
        for (rows, c) in sizes.iter().zip(&coverage) {
            assert!(
                (93.0..=97.0).contains(c),
                "binary, windows of {rows} rows: coverage {c:.1} %"
            );
        }
    }

    /// Regression DLE: 24 seeds, each a reference of 10,000 labelled rows (the exact model for
    /// even seeds, the biased one for odd), scored on 10 windows of 1,000 rows without shift and
    /// 10 with `x4` moved by 1 sd and `x0` by 0.5 (the losses grow by a quarter to a half). That
    /// is 480 windows and 1,920 (window, metric) pairs; at 95 % the binomial standard error over
    /// 480 windows is 1.0 % (more, as windows share their reference's loss models), so the band
    /// is [92 %, 98 %]. The full sweep measured 94.6 %.
    #[test]
    fn regression_bands_cover_the_realized_value() {
        let sizes = [1_000];
        let parts: Vec<Vec<(u64, u64)>> = (0..24u64)
            .into_par_iter()
            .map(|seed| {
                let biased = seed % 2 == 1;
                let mut rng = StdRng::seed_from_u64(0x4e91 + seed);
                let reference = regression(&mut rng, 10_000, &[0.0; 5], biased);
                let windows: Vec<(String, Outcomes)> = ["none", "shift"]
                    .map(regression_mu)
                    .iter()
                    .flat_map(|mu| {
                        (0..10)
                            .map(|_| (String::new(), regression(&mut rng, 1_000, mu, biased)))
                            .collect::<Vec<_>>()
                    })
                    .collect();
                let spec = PerformanceSpec {
                    problem: Problem::Regression,
                    classes: Vec::new(),
                    thresholds: Vec::new(),
                    seed,
                };
                covered(&evaluate(&spec, &reference, &windows).unwrap(), &sizes)
            })
            .collect();
        let coverage = sum(parts, 1)[0];
        assert!(
            (92.0..=98.0).contains(&coverage),
            "regression, windows of 1,000 rows: coverage {coverage:.1} %"
        );
    }
}

mod from_a_profile {
    //! A profile's row sample carries the model's outputs and labels, so a profile (one a Spark
    //! job saved, say) measures performance as the rows do: exactly while the data fits the
    //! sample, and from a uniform sample, said in a warning, beyond it.

    use driftscan::drift::performance::{PerformanceResult, Problem};
    use driftscan::pipeline::local::Dataset;
    use driftscan::pipeline::performance::{PerformanceRequest, performance};
    use driftscan::profile::{self, ProfileOptions};

    const DATA: &str = "tests/data/public/car_loan";

    fn request() -> PerformanceRequest {
        PerformanceRequest {
            problem: Some(Problem::Binary),
            y_true: "repaid".into(),
            y_pred: "y_pred".into(),
            y_pred_proba: vec!["y_pred_proba".into()],
            seed: 7,
            ..PerformanceRequest::default()
        }
    }

    fn profile_of(path: &str, capacity: usize) -> Dataset {
        let inputs = driftscan::data::resolve(path).unwrap();
        let options = ProfileOptions {
            sample_capacity: capacity,
            ..ProfileOptions::default()
        };
        Dataset::Profile(Box::new(profile::build(&inputs, &options).unwrap()))
    }

    fn run(target: Dataset) -> PerformanceResult {
        let reference = Dataset::Location(format!("{DATA}/reference.parquet"));
        performance(&request(), reference, target, None).unwrap()
    }

    #[test]
    fn a_profile_of_every_row_gives_the_figures_of_the_rows() {
        let target = format!("{DATA}/analysis.parquet");
        let rows = run(Dataset::Location(target.clone()));
        let profiled = run(profile_of(&target, profile::DEFAULT_SAMPLE_CAPACITY));
        assert!(profiled.warnings.iter().all(|w| !w.contains("sample")));
        let (a, b) = (&rows.windows[0], &profiled.windows[0]);
        assert_eq!((a.rows, a.labelled_rows), (b.rows, b.labelled_rows));
        assert_eq!(a.confusion_matrix, b.confusion_matrix);
        for (x, y) in a.metrics.iter().zip(&b.metrics) {
            let (rx, ry) = (x.realized.as_ref().unwrap(), y.realized.as_ref().unwrap());
            assert!((rx.value - ry.value).abs() < 1e-12, "{}", x.name);
            let (ex, ey) = (x.estimated.as_ref().unwrap(), y.estimated.as_ref().unwrap());
            assert!((ex.value - ey.value).abs() < 1e-9, "{}", x.name);
            assert!((ex.upper - ey.upper).abs() < 1e-9, "{}", x.name);
        }
    }

    #[test]
    fn a_sampled_profile_says_so_and_its_band_holds_the_rows_value() {
        let target = format!("{DATA}/analysis.parquet");
        let rows = run(Dataset::Location(target.clone()));
        let sampled = run(profile_of(&target, 5_000));
        let said = sampled
            .warnings
            .iter()
            .any(|w| w.contains("profiled 50000 rows and keeps a uniform sample of 5000"));
        assert!(said, "{:?}", sampled.warnings);
        assert_eq!(sampled.windows[0].rows, 5_000);
        for (all, some) in rows.windows[0]
            .metrics
            .iter()
            .zip(&sampled.windows[0].metrics)
        {
            let truth = all.realized.as_ref().unwrap().value;
            let band = some.estimated.as_ref().unwrap();
            assert!(
                band.lower <= truth && truth <= band.upper,
                "{}: {truth} outside [{}, {}]",
                all.name,
                band.lower,
                band.upper
            );
        }
        let windowed = PerformanceRequest {
            window_rows: Some(1_000),
            ..request()
        };
        let reference = Dataset::Location(format!("{DATA}/reference.parquet"));
        let e = performance(&windowed, reference, profile_of(&target, 5_000), None).unwrap_err();
        assert!(e.to_string().contains("one window"), "{e}");
    }
}

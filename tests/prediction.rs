//! Prediction drift: its own metrics against scipy (Chebyshev distance, the PSI of class shares;
//! `tests/data/reference/prediction.json`, written by `scripts/reference/prediction.py`), and its
//! verdict over many seeds: an unchanged output is flagged in at most 1 % of seeds at 30 and at
//! 100,000 rows per side, a shifted probability and a changed class mix are found and attributed
//! to their column.

use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchIterator};
use driftscan::detector::signals::PredictionDriftConfig;
use driftscan::drift::metrics::chebyshev::chebyshev_distance;
use driftscan::drift::metrics::{NumericPair, Pair, names};
use driftscan::drift::prediction;
use driftscan::drift::signals::SignalResult;
use driftscan::drift::significance::SignificanceOptions;
use driftscan::pipeline::local::profile_batches;
use driftscan::profile::{NumericProfile, Profile, ProfileOptions};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, Normal};
use serde_json::Value;

use crate::distributions::generate;

const FIXTURE: &str = "tests/data/reference/prediction.json";

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

fn column(values: &[f64]) -> NumericProfile {
    let mut p = NumericProfile::new(1 << 15);
    p.add(&Float64Array::from(values.to_vec()), 0);
    p
}

fn check(doc: &Value) {
    for case in doc["numeric"].as_array().expect("numeric") {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (
            column(&generate(&case["baseline"])),
            column(&generate(&case["target"])),
        );
        let pair = NumericPair::new(&a, &b);
        for (got, want) in [
            (&pair.shares.0, floats(&case["baseline_shares"])),
            (&pair.shares.1, floats(&case["target_shares"])),
        ] {
            assert_eq!(got.len(), want.len(), "{name}: bins");
            for (g, w) in got.iter().zip(&want) {
                assert!((g - w).abs() < 1e-12, "{name}: share {g} vs numpy {w}");
            }
        }
        let metrics = driftscan::drift::metrics::signal(&Pair::Numeric(pair));
        let cheb = metrics
            .iter()
            .find(|m| m.name == names::CHEBYSHEV_DISTANCE)
            .expect("chebyshev_distance is a signal metric")
            .value;
        let want = f(&case["chebyshev_distance"]);
        assert!(
            (cheb - want).abs() < 1e-12,
            "{name}: {cheb} vs scipy {want}"
        );
    }
    for case in doc["categorical"].as_array().expect("categorical") {
        let (b, t) = (floats(&case["baseline"]), floats(&case["target"]));
        let cheb = chebyshev_distance(&b, &t);
        let want = f(&case["chebyshev_distance"]);
        assert!(
            (cheb - want).abs() < 1e-12,
            "{b:?} {t:?}: {cheb} vs scipy {want}"
        );
        let got = prediction::categorical_psi(&b, &t);
        let want = f(&case["population_stability_index"]);
        assert!(
            (got - want).abs() < 1e-12,
            "{b:?} {t:?}: PSI {got} vs numpy {want}"
        );
    }
}

#[test]
fn chebyshev_and_class_psi_match_scipy_on_the_committed_fixture() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("read the fixture"))
            .expect("fixture is JSON");
    check(&doc);
}

/// Re-runs the reference script, so a change in the script or in scipy cannot leave the
/// committed values stale.
#[test]
fn reference_script_still_produces_the_fixture() {
    let Some(fresh) = crate::harness::run_reference_script("scripts/reference/prediction.py")
    else {
        return;
    };
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("fixture")).unwrap();
    assert_eq!(
        fresh, committed,
        "the committed fixture is stale: regenerate it"
    );
    check(&fresh);
}

/// How one side's outputs are drawn: a logit shift of the probability, the share of class 1 of
/// the integer label, the shares of the text tier.
#[derive(Clone, Copy)]
struct Model {
    logit_shift: f64,
    positive: f64,
    tiers: [f64; 3],
}

const QUIET: Model = Model {
    logit_shift: 0.0,
    positive: 0.3,
    tiers: [0.5, 0.3, 0.2],
};

/// `rows` outputs of a model: `proba` (a probability, logistic of a normal score), `label` (0 or
/// 1, drawn independently with its own share so that each column can change alone) and `tier`
/// (a text class).
fn outputs(rows: usize, model: Model, rng: &mut StdRng) -> Profile {
    let score = Normal::new(-1.0 + model.logit_shift, 1.0).unwrap();
    let proba: Vec<f64> = (0..rows)
        .map(|_| 1.0 / (1.0 + (-score.sample(rng)).exp()))
        .collect();
    let label: Vec<f64> = (0..rows)
        .map(|_| f64::from(u8::from(rng.random::<f64>() < model.positive)))
        .collect();
    let tier: Vec<&str> = (0..rows)
        .map(|_| {
            let u: f64 = rng.random();
            if u < model.tiers[0] {
                "gold"
            } else if u < model.tiers[0] + model.tiers[1] {
                "silver"
            } else {
                "bronze"
            }
        })
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("proba", DataType::Float64, true),
        Field::new("label", DataType::Float64, true),
        Field::new("tier", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(proba)),
        Arc::new(Float64Array::from(label)),
        Arc::new(StringArray::from(tier)),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
    let reader = RecordBatchIterator::new(vec![Ok(batch)], schema);
    profile_batches(
        "outputs",
        "<outputs>",
        Box::new(reader),
        &ProfileOptions::default(),
    )
    .expect("profile")
}

fn signal(rows: usize, production: Model, seed: u64) -> SignalResult {
    let mut rng = StdRng::seed_from_u64(seed);
    let reference = outputs(rows, QUIET, &mut rng);
    let target = outputs(rows, production, &mut rng);
    let config = PredictionDriftConfig {
        columns: vec!["proba".into(), "label".into(), "tier".into()],
        ..PredictionDriftConfig::default()
    };
    prediction::evaluate(
        &reference,
        &target,
        &config,
        &SignificanceOptions::default(),
    )
}

/// Seeds in which the signal failed, and in how many of them a column other than `expected`
/// (any column when `None`) failed.
fn rates(rows: usize, production: Model, seeds: u64, expected: Option<&str>) -> (u64, u64) {
    let (mut flagged, mut misattributed) = (0, 0);
    for seed in 0..seeds {
        let s = signal(rows, production, 1000 + seed);
        if !s.passed {
            flagged += 1;
        }
        if s.failing_features()
            .any(|f| Some(f.name.as_str()) != expected)
        {
            misattributed += 1;
        }
    }
    // The figures docs/signals.md quotes (`--nocapture`).
    eprintln!(
        "{rows} rows, {}: flagged in {flagged} of {seeds} seeds, another column in {misattributed}",
        expected.unwrap_or("unchanged")
    );
    (flagged, misattributed)
}

#[test]
fn an_unchanged_output_is_flagged_in_at_most_one_percent_of_seeds() {
    // 1,000 seeds at 30 rows a side: the distances often pass 0.1 by chance, the tests do not.
    let (flagged, _) = rates(30, QUIET, 1000, None);
    assert!(flagged <= 10, "30 rows: {flagged} of 1,000 seeds flagged");
    // 100,000 rows a side: everything is significant, the thresholds decide, and an unchanged
    // output stays far below them.
    let (flagged, _) = rates(100_000, QUIET, 4, None);
    assert_eq!(flagged, 0, "100,000 rows: {flagged} of 4 seeds flagged");
    let mut largest: f64 = 0.0;
    for seed in 0..4 {
        for f in &signal(100_000, QUIET, 1000 + seed).features {
            for m in f.metrics.iter().filter(|m| m.threshold.is_some()) {
                largest = largest.max(m.value / m.threshold.unwrap());
            }
        }
    }
    eprintln!("100000 rows, unchanged: largest thresholded metric {largest:.3} of its threshold");
    assert!(
        largest < 0.25,
        "100,000 rows: a metric reached {largest} of its threshold"
    );
}

#[test]
fn a_shifted_probability_is_found_and_attributed_to_it() {
    let shifted = Model {
        logit_shift: 1.5,
        ..QUIET
    };
    let (found, wrong) = rates(30, shifted, 100, Some("proba"));
    assert!(found >= 80, "30 rows: found in {found} of 100 seeds");
    assert!(
        wrong <= 1,
        "30 rows: another column failed in {wrong} seeds"
    );
    let shifted = Model {
        logit_shift: 0.5,
        ..QUIET
    };
    let (found, wrong) = rates(1000, shifted, 40, Some("proba"));
    assert_eq!(found, 40, "1,000 rows: found in {found} of 40 seeds");
    assert!(
        wrong <= 1,
        "1,000 rows: another column failed in {wrong} seeds"
    );
}

#[test]
fn a_changed_class_mix_is_found_and_attributed_to_its_column() {
    let label = Model {
        positive: 0.6,
        ..QUIET
    };
    let (found, wrong) = rates(1000, label, 40, Some("label"));
    assert_eq!(found, 40, "label: found in {found} of 40 seeds");
    assert!(wrong <= 1, "label: another column failed in {wrong} seeds");
    let tier = Model {
        tiers: [0.3, 0.3, 0.4],
        ..QUIET
    };
    let (found, wrong) = rates(1000, tier, 40, Some("tier"));
    assert_eq!(found, 40, "tier: found in {found} of 40 seeds");
    assert!(wrong <= 1, "tier: another column failed in {wrong} seeds");
    // The integer label was compared as classes.
    let s = signal(1000, label, 7);
    let f = s.features.iter().find(|f| f.name == "label").unwrap();
    assert_eq!(f.kind, driftscan::drift::result::FeatureKind::Categorical);
    assert!(
        f.metrics
            .iter()
            .any(|m| m.name == names::CHI_SQUARED_P_VALUE)
    );
}

#[test]
fn a_missing_output_column_fails_the_signal_naming_it() {
    let mut rng = StdRng::seed_from_u64(3);
    let reference = outputs(100, QUIET, &mut rng);
    let target = outputs(100, QUIET, &mut rng);
    let config = PredictionDriftConfig {
        columns: vec!["proba".into(), "score".into()],
        ..PredictionDriftConfig::default()
    };
    let s = prediction::evaluate(
        &reference,
        &target,
        &config,
        &SignificanceOptions::default(),
    );
    assert!(!s.passed);
    assert_eq!(s.features[0].name, "score");
    assert!(
        s.warnings
            .iter()
            .any(|w| w.contains("`score`") && w.contains("reference and the production")),
        "{:?}",
        s.warnings
    );
}

/// A CSV of `rows` rows from `seed`: inputs `x` and `c` unless `inputs` is false, outputs
/// `proba` (a probability whose logit is shifted by `shift`) and `label` (0/1, share `positive`)
/// unless `outputs` is false.
fn model_csv(
    rows: usize,
    seed: u64,
    shift: f64,
    positive: f64,
    inputs: bool,
    outputs: bool,
) -> String {
    let mut rng = StdRng::seed_from_u64(seed);
    let score = Normal::new(-1.0 + shift, 1.0).unwrap();
    let mut header = Vec::new();
    if inputs {
        header.extend(["x", "c"]);
    }
    if outputs {
        header.extend(["proba", "label"]);
    }
    let mut out = header.join(",") + "\n";
    for _ in 0..rows {
        let mut row = Vec::new();
        let (x, c, p, l) = (
            rng.random::<f64>() * 10.0,
            ["a", "b"][usize::from(rng.random::<bool>())],
            1.0 / (1.0 + (-score.sample(&mut rng)).exp()),
            u8::from(rng.random::<f64>() < positive),
        );
        if inputs {
            row.push(format!("{x:.3}"));
            row.push(c.to_string());
        }
        if outputs {
            row.push(format!("{p:.5}"));
            row.push(l.to_string());
        }
        out.push_str(&row.join(","));
        out.push('\n');
    }
    out
}

mod detector {
    use super::*;
    use driftscan::drift::result::RunStatus;
    use driftscan::pipeline::Detectors;
    use driftscan::pipeline::detectors::RunRequest;
    use driftscan::store::{LocalStore, Store, keys};

    const DAY: &str = "2025-03-04";

    fn write(root: &std::path::Path, rel: &str, text: &str) {
        let path = root.join(rel);
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(path, text).unwrap();
    }

    async fn run(root: &std::path::Path, definition: &str) -> driftscan::drift::result::RunResult {
        let store: Arc<dyn Store> = Arc::new(LocalStore::new(root).unwrap());
        let detectors = Detectors::new(Arc::clone(&store));
        let d = detectors.create(definition.as_bytes()).await.unwrap();
        let answer = detectors
            .run(
                &d.name,
                RunRequest {
                    target_date: DAY.into(),
                    services: None,
                    feature_list: None,
                    drift_threshold: None,
                },
            )
            .await
            .unwrap();
        assert_eq!(
            answer.runs[0].status,
            RunStatus::Succeeded,
            "{}",
            answer.runs[0]
        );
        let obj = store
            .get(&keys::run(&d.name, "svc", DAY.parse().unwrap()).unwrap())
            .await
            .unwrap()
            .unwrap();
        serde_json::from_slice(&obj.bytes).unwrap()
    }

    fn prediction(r: &driftscan::drift::result::RunResult) -> &SignalResult {
        r.signals
            .iter()
            .find(|s| s.name == "prediction_drift")
            .expect("a prediction_drift signal")
    }

    /// The outputs are columns of the input files: the run compares them by prediction drift and
    /// never as features.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn outputs_in_the_input_files_are_a_signal_and_never_features() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "baseline/train.csv",
            &model_csv(2000, 1, 0.0, 0.3, true, true),
        );
        write(
            root,
            "data/svc/2025/03/04/inputs.csv",
            &model_csv(2000, 2, 1.0, 0.3, true, true),
        );
        let r = run(
            root,
            r#"{"name":"same-files","model_name":"m","model_version":1,"services":["svc"],
                "baseline":"baseline/train.csv","snapshots":"data/{service}/{yyyy}/{MM}/{dd}",
                "signals":{"prediction_drift":{"columns":["proba","label"]}}}"#,
        )
        .await;
        let features: Vec<&str> = r.features.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(features.len(), 2, "{features:?}");
        assert!(!features.contains(&"proba") && !features.contains(&"label"));
        assert!(r.column_metrics.iter().all(|m| !m.contains_key("proba")));
        let s = prediction(&r);
        assert!(!s.passed);
        let failing: Vec<&str> = s.failing_features().map(|f| f.name.as_str()).collect();
        assert_eq!(failing, ["proba"]);
        let label = s.features.iter().find(|f| f.name == "label").unwrap();
        assert_eq!(
            label.kind,
            driftscan::drift::result::FeatureKind::Categorical
        );
    }

    /// The outputs are files of their own (the legacy collector's `predictions` folder) and the
    /// reference outputs a validation set's: the class mix changed, the probability did not.
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn outputs_in_a_folder_of_their_own_against_validation_outputs() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path();
        write(
            root,
            "baseline/train.csv",
            &model_csv(2000, 1, 0.0, 0.3, true, false),
        );
        write(
            root,
            "validation/outputs.csv",
            &model_csv(2000, 3, 0.0, 0.3, false, true),
        );
        write(
            root,
            "data/svc/inputs/2025/03/04/data.csv",
            &model_csv(2000, 2, 0.0, 0.3, true, false),
        );
        write(
            root,
            "data/svc/predictions/2025/03/04/data.csv",
            &model_csv(2000, 4, 0.0, 0.6, false, true),
        );
        let r = run(
            root,
            r#"{"name":"own-folder","model_name":"m","model_version":1,"services":["svc"],
                "baseline":"baseline/train.csv","snapshots":"data/{service}/inputs/{yyyy}/{MM}/{dd}",
                "signals":{"prediction_drift":{"columns":["proba","label"],
                    "snapshots":"data/{service}/predictions/{yyyy}/{MM}/{dd}",
                    "reference":"validation/outputs.csv"}}}"#,
        )
        .await;
        assert!(r.schema.missing_in_target.is_empty(), "{:?}", r.schema);
        let s = prediction(&r);
        let failing: Vec<&str> = s.failing_features().map(|f| f.name.as_str()).collect();
        assert_eq!(failing, ["label"], "{:?}", s.warnings);
        assert_eq!(s.reference.source, "validation/outputs.csv");
        assert_eq!(s.reference.rows, 2000);
        assert_eq!(s.production.rows, 2000);
        // Without output files for the day the signal fails and names the columns.
        std::fs::remove_dir_all(root.join("data/svc/predictions")).unwrap();
        let r = run(
            root,
            r#"{"name":"no-outputs","model_name":"m","model_version":1,"services":["svc"],
                "baseline":"baseline/train.csv","snapshots":"data/{service}/inputs/{yyyy}/{MM}/{dd}",
                "signals":{"prediction_drift":{"columns":["proba"],
                    "snapshots":"data/{service}/predictions/{yyyy}/{MM}/{dd}",
                    "reference":"validation/outputs.csv"}}}"#,
        )
        .await;
        let s = prediction(&r);
        assert!(!s.passed);
        assert!(
            s.warnings.iter().any(|w| w.contains("`proba`")),
            "{:?}",
            s.warnings
        );
    }
}

/// `driftscan scan --predictions`: a section of the summary (a line per failing column) and a
/// signal in the JSON result; the outputs are not features.
#[test]
fn scan_with_predictions_reports_the_signal_in_the_summary_and_the_json() {
    let dir = tempfile::tempdir().unwrap();
    let (b, t) = (dir.path().join("b.csv"), dir.path().join("t.csv"));
    std::fs::write(&b, model_csv(2000, 1, 0.0, 0.3, true, true)).unwrap();
    std::fs::write(&t, model_csv(2000, 2, 1.0, 0.3, true, true)).unwrap();
    let summary = crate::cli::scan_stdout(&b, &t, dir.path(), &["--predictions", "proba,label"]);
    assert!(
        summary.contains("\nPrediction drift: 1 of 2 output columns drifted\nproba: normalized_wasserstein_distance "),
        "{summary}"
    );
    assert!(!summary.contains("\nlabel:"), "{summary}");
    let plain = crate::cli::scan_stdout(&b, &t, dir.path(), &[]);
    assert!(!plain.contains("Prediction drift"), "{plain}");
    let doc: Value = serde_json::from_str(&crate::cli::scan_stdout(
        &b,
        &t,
        dir.path(),
        &["--json", "--predictions", "proba,label"],
    ))
    .unwrap();
    let features: Vec<&str> = doc["features"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["name"].as_str().unwrap())
        .collect();
    assert_eq!(features.len(), 2, "{features:?}");
    let signal = doc["signals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["name"] == "prediction_drift")
        .expect("the signal in the JSON result");
    assert_eq!(signal["passed"], false);
    assert_eq!(signal["features"][0]["name"], "proba");
    // A column named both ways is refused.
    let out = crate::cli::driftscan(
        &[
            "scan",
            "--baseline",
            b.to_str().unwrap(),
            "--target",
            t.to_str().unwrap(),
            "--features",
            "x,proba",
            "--predictions",
            "proba",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(2));
    assert!(
        crate::cli::stderr(&out)
            .contains("`proba` is named both as a feature and as a prediction column")
    );
}

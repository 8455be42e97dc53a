//! Reference and production windows (issue 22): a rolling reference is the exact merge of the
//! cached profiles of its days, so a backfilled day scores as a scan whose baseline is that day's
//! reference window written out as files; days without data are counted, a late file makes its
//! day profiled again, and overlapping windows are warned about.

use std::path::PathBuf;
use std::sync::Arc;

use chrono::{Days, NaiveDate};
use driftscan::base::rng::seed_from_names;
use driftscan::detector::{Detector, RunWindows, Window};
use driftscan::drift::result::{RunResult, RunStatus};
use driftscan::drift::scan::{RunContext, ScanOptions};
use driftscan::drift::significance::SignificanceOptions;
use driftscan::pipeline::{self, Detectors, detectors::BackfillRequest};
use driftscan::store::{Key, LocalStore, Store, keys};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const SERVICE: &str = "svc";
const FIRST_DAY: &str = "2025-01-20";
const DAYS: u64 = 100;

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn plus(d: NaiveDate, n: u64) -> NaiveDate {
    d.checked_add_days(Days::new(n)).unwrap()
}

/// 200 rows of day `i`: `x` drifts slowly upward, `y` widens, `c` shifts its mix, so that every
/// day's result differs. Values have few decimals, as collected data does.
fn day_csv(i: u64, rows: usize) -> String {
    let mut rng = StdRng::seed_from_u64(1000 + i);
    let mut out = String::from("x,y,c\n");
    let t = i as f64 / DAYS as f64;
    for _ in 0..rows {
        let x: f64 = 10.0 + 3.0 * t + rng.random::<f64>() * 4.0 - 2.0;
        let y: f64 = (rng.random::<f64>() - 0.5) * (1.0 + t);
        let c = if rng.random::<f64>() < 0.3 + 0.4 * t {
            "a"
        } else if rng.random::<f64>() < 0.5 {
            "b"
        } else {
            "c"
        };
        out.push_str(&format!("{x:.3},{y:.4},{c}\n"));
    }
    out
}

/// The folder of a day's snapshot, below the store, as the detectors' template renders it.
fn folder(d: NaiveDate) -> String {
    format!("data/{SERVICE}/{}", d.format("%Y/%m/%d"))
}

struct Site {
    _dir: tempfile::TempDir,
    root: PathBuf,
    store: Arc<dyn Store>,
    detectors: Detectors,
}

/// A local store with `DAYS` days of snapshots from [`FIRST_DAY`], one file per day.
fn site() -> Site {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().to_path_buf();
    for i in 0..DAYS {
        let d = plus(day(FIRST_DAY), i);
        let path = root.join(folder(d));
        std::fs::create_dir_all(&path).unwrap();
        std::fs::write(path.join("inputs.csv"), day_csv(i, 200)).unwrap();
    }
    let store: Arc<dyn Store> = Arc::new(LocalStore::new(&root).unwrap());
    let detectors = Detectors::new(Arc::clone(&store));
    Site {
        _dir: dir,
        root,
        store,
        detectors,
    }
}

fn definition(name: &str, extra: &str) -> String {
    format!(
        r#"{{"name":"{name}","model_name":"m","model_version":1,"services":["{SERVICE}"],
             "snapshots":"data/{{service}}/{{yyyy}}/{{MM}}/{{dd}}"{extra}}}"#
    )
}

async fn create(site: &Site, name: &str, extra: &str) -> Detector {
    site.detectors
        .create(definition(name, extra).as_bytes())
        .await
        .unwrap()
}

async fn backfill(site: &Site, name: &str, start: NaiveDate, end: NaiveDate) {
    let answer = site
        .detectors
        .backfill(
            name,
            BackfillRequest {
                start_date: start.to_string(),
                end_date: end.to_string(),
            },
            |_, _, _| {},
        )
        .await
        .unwrap();
    for run in &answer.runs {
        assert_eq!(run.status, RunStatus::Succeeded, "{run}");
    }
}

async fn stored(site: &Site, name: &str, d: NaiveDate) -> RunResult {
    let obj = site
        .store
        .get(&keys::run(name, SERVICE, d).unwrap())
        .await
        .unwrap()
        .unwrap_or_else(|| panic!("no result for {d}"));
    serde_json::from_slice(&obj.bytes).unwrap()
}

/// The scan a user would run by hand: the reference window's files copied into one folder as the
/// baseline, the day's file as the target, with the run's options and seed.
fn one_shot(site: &Site, det: &Detector, d: NaiveDate, reference: Window) -> RunResult {
    let baseline = site.root.join(format!("by-hand/{d}"));
    std::fs::create_dir_all(&baseline).unwrap();
    for r in reference.days() {
        let file = site.root.join(folder(r)).join("inputs.csv");
        if file.exists() {
            std::fs::copy(&file, baseline.join(format!("{r}.csv"))).unwrap();
        }
    }
    let target = site.root.join(folder(d)).join("inputs.csv");
    let options = ScanOptions {
        features: det.feature_list.clone(),
        threshold: det.drift_threshold,
        seed: seed_from_names(&[&det.name, SERVICE, &d.to_string()]),
        significance: SignificanceOptions::for_detector(det),
        on_missing_feature: det.on_missing_feature,
        ..ScanOptions::default()
    };
    let context = RunContext {
        detector: det.name.clone(),
        service_name: SERVICE.to_string(),
        model_name: det.model_name.clone(),
        model_version: det.model_version,
        date: d,
        run_type: driftscan::drift::result::RunType::BackFill,
    };
    pipeline::local::scan(
        &baseline.display().to_string(),
        &target.display().to_string(),
        &[],
        &options,
        &context,
    )
    .unwrap()
}

/// Everything a result says about drift, as JSON (floats written exactly, so equal text is
/// bit-identical values): coefficient and p-value, every column metric, every feature's details,
/// the classifier's figures (its duration aside).
fn scores(r: &RunResult) -> serde_json::Value {
    let mut classifier = serde_json::to_value(&r.classifier).unwrap();
    if let Some(c) = classifier.as_object_mut() {
        c.remove("duration_ms");
    }
    serde_json::json!({
        "has_drift": r.has_drift,
        "dataset_metrics": r.dataset_metrics,
        "column_metrics": r.column_metrics,
        "features": r.features,
        "classifier": classifier,
        "schema": r.schema,
        "baseline_rows": r.baseline.rows,
        "target_rows": r.target.rows,
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_rolling_backfill_scores_each_day_against_the_reference_it_would_have_had() {
    let site = site();
    let det = create(
        &site,
        "rolling",
        r#","reference_window":{"lookback_window_size":"P28D","lookback_window_offset":"P7D"}"#,
    )
    .await;
    // 60 days in two backfills of 30 cycles (the limit).
    let first = day("2025-03-01");
    backfill(&site, "rolling", first, plus(first, 29)).await;
    backfill(&site, "rolling", plus(first, 30), plus(first, 59)).await;
    let mut coefficients = Vec::new();
    for i in 0..60 {
        let d = plus(first, i);
        let windows = RunWindows::of(&det, Window { start: d, end: d });
        let reference = windows.reference.unwrap();
        assert_eq!(reference.end, d - Days::new(7), "{d}");
        assert_eq!(reference.days().count(), 28);
        let got = stored(&site, "rolling", d).await;
        let want = one_shot(&site, &det, d, reference);
        assert_eq!(
            serde_json::to_string(&scores(&got)).unwrap(),
            serde_json::to_string(&scores(&want)).unwrap(),
            "{d}: the run and the scan by hand differ"
        );
        assert_eq!(
            got.baseline.source,
            format!(
                "reference window {}..{} (28 of 28 days)",
                reference.start, reference.end
            )
        );
        assert_eq!(got.baseline.rows, 28 * 200);
        assert_eq!(got.baseline.files, 28);
        assert!(got.warnings.is_empty(), "{d}: {:?}", got.warnings);
        coefficients.push(got.coefficient().unwrap());
    }
    // The data drift slowly: the results differ from day to day.
    coefficients.sort_by(f64::total_cmp);
    coefficients.dedup();
    assert!(coefficients.len() > 30, "{coefficients:?}");
    // Every day a window covered, and every scored day, has its cached profile.
    for i in 0..DAYS - 8 {
        let d = plus(day(FIRST_DAY), i);
        if d >= day("2025-01-26") {
            let key = keys::day_profile("rolling", SERVICE, d).unwrap();
            assert!(site.store.head(&key).await.unwrap().is_some(), "{key}");
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn windows_warn_count_missing_days_and_follow_late_files() {
    let site = site();
    // Two days without data inside the window of 2025-03-10 (2025-02-04..2025-03-03).
    for gone in ["2025-02-10", "2025-02-11"] {
        std::fs::remove_dir_all(site.root.join(folder(day(gone)))).unwrap();
    }
    create(
        &site,
        "gaps",
        r#","reference_window":{"lookback_window_size":"P28D","lookback_window_offset":"P7D"}"#,
    )
    .await;
    let d = day("2025-03-10");
    backfill(&site, "gaps", d, d).await;
    let r = stored(&site, "gaps", d).await;
    assert_eq!(
        r.warnings,
        vec!["reference window 2025-02-04..2025-03-03: 26 of 28 days had data".to_string()]
    );
    assert_eq!(
        r.baseline.source,
        "reference window 2025-02-04..2025-03-03 (26 of 28 days)"
    );
    assert_eq!(r.baseline.rows, 26 * 200);

    // A late file on a cached day: the day is profiled again, not served stale.
    let late = day("2025-02-20");
    std::fs::write(
        site.root.join(folder(late)).join("late.csv"),
        day_csv(500, 50),
    )
    .unwrap();
    backfill(&site, "gaps", d, d).await;
    let again = stored(&site, "gaps", d).await;
    assert_eq!(again.baseline.rows, 26 * 200 + 50);
    assert_eq!(again.baseline.files, 27);
    let cached = site
        .store
        .get(&keys::day_profile("gaps", SERVICE, late).unwrap())
        .await
        .unwrap()
        .unwrap();
    let cached = driftscan::profile::Profile::from_bytes(&cached.bytes).unwrap();
    assert_eq!(cached.rows, 250);

    // A cached profile that no longer decodes (another format) is rebuilt, not an error.
    let key = keys::day_profile("gaps", SERVICE, late).unwrap();
    site.store
        .put(
            &key,
            bytes::Bytes::from_static(b"not a profile"),
            driftscan::store::PutCondition::Overwrite,
        )
        .await
        .unwrap();
    backfill(&site, "gaps", d, d).await;
    let rebuilt = stored(&site, "gaps", d).await;
    assert_eq!(scores(&rebuilt), scores(&again));
    let cached = site.store.get(&key).await.unwrap().unwrap();
    assert_eq!(
        driftscan::profile::Profile::from_bytes(&cached.bytes)
            .unwrap()
            .rows,
        250
    );

    // Overlapping windows are scored, with a warning.
    create(
        &site,
        "overlap",
        r#","reference_window":{"lookback_window_size":"P7D","lookback_window_offset":"P0D"}"#,
    )
    .await;
    backfill(&site, "overlap", d, d).await;
    let r = stored(&site, "overlap", d).await;
    assert!(
        r.warnings.iter().any(|w| w
            == "reference window 2025-03-04..2025-03-10 overlaps the production window 2025-03-10..2025-03-10: the days they share are compared with themselves, which hides drift"),
        "{:?}",
        r.warnings
    );

    // A window without a single day of data fails the run and says why.
    create(
        &site,
        "empty",
        r#","reference_window":{"window_start":"2024-06-01","window_end":"2024-06-30"}"#,
    )
    .await;
    let answer = site
        .detectors
        .backfill(
            "empty",
            BackfillRequest {
                start_date: d.to_string(),
                end_date: d.to_string(),
            },
            |_, _, _| {},
        )
        .await
        .unwrap();
    assert_eq!(answer.runs[0].status, RunStatus::Failed);
    assert_eq!(
        answer.runs[0].error.as_deref(),
        Some(
            "reference window 2024-06-01..2024-06-30: none of its 30 days has snapshot data for service `svc`"
        )
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_fixed_window_is_the_same_reference_every_day() {
    let site = site();
    let det = create(
        &site,
        "fixed",
        r#","reference_window":{"window_start":"2025-02-01","window_end":"2025-02-14"}"#,
    )
    .await;
    let first = day("2025-04-01");
    backfill(&site, "fixed", first, plus(first, 2)).await;
    let reference = Window {
        start: day("2025-02-01"),
        end: day("2025-02-14"),
    };
    for i in 0..3 {
        let d = plus(first, i);
        let got = stored(&site, "fixed", d).await;
        assert_eq!(
            got.baseline.source,
            "reference window 2025-02-01..2025-02-14 (14 of 14 days)"
        );
        assert_eq!(scores(&got), scores(&one_shot(&site, &det, d, reference)));
    }
    // A detector without a reference window writes no day profiles.
    create(
        &site,
        "plain",
        r#","baseline":"data/svc/2025/02/01/inputs.csv""#,
    )
    .await;
    backfill(&site, "plain", first, first).await;
    let prefix = Key::parse("profiles/plain").unwrap();
    assert!(site.store.list(&prefix).await.unwrap().is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn days_whose_column_types_disagree_are_named() {
    let site = site();
    let text_day = day("2025-02-20");
    std::fs::write(
        site.root.join(folder(text_day)).join("inputs.csv"),
        "x,y,c\nabc,0.5,a\ndef,0.1,b\n",
    )
    .unwrap();
    create(
        &site,
        "types",
        r#","reference_window":{"lookback_window_size":"P28D","lookback_window_offset":"P7D"}"#,
    )
    .await;
    let d = day("2025-03-10");
    let answer = site
        .detectors
        .backfill(
            "types",
            BackfillRequest {
                start_date: d.to_string(),
                end_date: d.to_string(),
            },
            |_, _, _| {},
        )
        .await
        .unwrap();
    assert_eq!(answer.runs[0].status, RunStatus::Failed);
    let error = answer.runs[0].error.clone().unwrap();
    assert!(
        error.starts_with(
            "reference window 2025-02-04..2025-03-03: column `x` is numeric on 2025-02-04, 2025-02-05, 2025-02-06, 2025-02-07, 2025-02-08 and 22 more and text on 2025-02-20; declare its type in `feature_types`"
        ),
        "{error}"
    );
    // Declaring the type reads that day's text as invalid numbers, and the window merges.
    create(
        &site,
        "declared",
        r#","feature_types":{"x":"numeric"},"reference_window":{"lookback_window_size":"P28D","lookback_window_offset":"P7D"}"#,
    )
    .await;
    backfill(&site, "declared", d, d).await;
    assert_eq!(
        stored(&site, "declared", d).await.baseline.rows,
        27 * 200 + 2
    );
}

//! The data-quality signal on generated data with known answers: nulls, text in a numeric
//! column, values beyond the reference's range and unseen categories injected at exact shares;
//! each rate equals its share exactly from CSV, Parquet and JSON lines, from one file or split
//! into files and merged, and through a detector run. (Python frames and merged Spark partitions:
//! `python/tests/test_quality.py`, on the same design.)

use std::path::Path;
use std::sync::Arc;

use arrow::array::{ArrayRef, Float64Array, RecordBatch, StringArray};
use driftscan::data::Input;
use driftscan::detector::signals::DataQualityConfig;
use driftscan::drift::quality;
use driftscan::drift::result::RunResult;
use driftscan::drift::signals::SignalResult;
use driftscan::pipeline::{Detectors, local};
use driftscan::profile::{self, Profile, ProfileOptions};
use driftscan::store::{LocalStore, Store, keys};

/// Rows per side: past the 32,768 distinct values a sketch keeps exactly, so `v`'s count outside
/// the range cannot come from the sketch.
const ROWS: usize = 40_000;

/// What each rate must be, exactly: `(feature, null, type error, out of bounds)` as counts of
/// [`ROWS`].
const EXPECTED: [(&str, u64, u64, u64); 3] = [
    // x: i % 20 == 0 null, == 1 text, == 2 above, == 3 below: 5 %, 5 %, 10 %.
    ("x", 2_000, 2_000, 4_000),
    // c: i % 25 == 0 null, == 1 or 2 a category the reference never had: 4 %, 0, 8 %.
    ("c", 1_600, 0, 3_200),
    // v: i % 50 == 4 below, == 5 above, 40,000 distinct values: 0, 0, 4 %.
    ("v", 0, 0, 1_600),
];

/// One value of the reference: x in [0, 99], c in {a, b, c, d}, v in [1000, 10999.75].
fn reference_row(i: usize) -> (Option<String>, Option<String>, f64) {
    (
        Some((i % 100).to_string()),
        Some(["a", "b", "c", "d"][i % 4].to_string()),
        1000.0 + i as f64 * 0.25,
    )
}

/// One value of production, with the injected faults. `x` is text where it is not a number.
fn production_row(i: usize) -> (Option<String>, Option<String>, f64) {
    let x = match i % 20 {
        0 => None,
        1 => Some("abc".to_string()),
        2 => Some((100 + i).to_string()),
        3 => Some(format!("-{}", 1 + i)),
        _ => Some((i % 100).to_string()),
    };
    let c = match i % 25 {
        0 => None,
        1 => Some("zz".to_string()),
        2 => Some("yy".to_string()),
        _ => Some(["a", "b", "c", "d"][i % 4].to_string()),
    };
    let v = match i % 50 {
        4 => 500.0 + i as f64 * 0.001,
        5 => 20_000.0 + i as f64 * 0.5,
        _ => 1000.5 + i as f64 * 0.2,
    };
    (x, c, v)
}

type Row = (Option<String>, Option<String>, f64);

fn csv(rows: &[Row]) -> String {
    let mut out = String::from("x,c,v\n");
    for (x, c, v) in rows {
        out.push_str(&format!(
            "{},{},{v}\n",
            x.as_deref().unwrap_or(""),
            c.as_deref().unwrap_or("")
        ));
    }
    out
}

/// JSON lines: numbers as numbers, the text faults half as strings and half as nested objects,
/// nulls as `null`.
fn jsonl(rows: &[Row]) -> String {
    let mut out = String::new();
    for (i, (x, c, v)) in rows.iter().enumerate() {
        let x = match x.as_deref() {
            None => "null".to_string(),
            Some("abc") if i % 40 == 1 => r#"{"unit": "kg"}"#.to_string(),
            Some("abc") => r#""abc""#.to_string(),
            Some(n) => n.to_string(),
        };
        let c = c
            .as_deref()
            .map_or("null".to_string(), |c| format!("\"{c}\""));
        out.push_str(&format!(r#"{{"x": {x}, "c": {c}, "v": {v}}}"#));
        out.push('\n');
    }
    out
}

/// Parquet: `x` is a string column (it holds text), `v` a float column.
fn parquet(rows: &[Row]) -> Vec<u8> {
    let x: ArrayRef = Arc::new(StringArray::from_iter(rows.iter().map(|r| r.0.clone())));
    let c: ArrayRef = Arc::new(StringArray::from_iter(rows.iter().map(|r| r.1.clone())));
    let v: ArrayRef = Arc::new(Float64Array::from_iter_values(rows.iter().map(|r| r.2)));
    let batch = RecordBatch::try_from_iter([("x", x), ("c", c), ("v", v)]).unwrap();
    write_parquet(&batch)
}

fn write_parquet(batch: &RecordBatch) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).unwrap();
    w.write(batch).unwrap();
    w.close().unwrap();
    buf
}

fn reference_rows() -> Vec<Row> {
    (0..ROWS).map(reference_row).collect()
}

fn production_rows() -> Vec<Row> {
    (0..ROWS).map(production_row).collect()
}

fn counts(signal: &SignalResult, feature: &str) -> (u64, u64, u64, u64) {
    let f = signal
        .features
        .iter()
        .find(|f| f.name == feature)
        .unwrap_or_else(|| panic!("no `{feature}` in {signal:?}"));
    let get = |name: &str| {
        let m = f.metrics.iter().find(|m| m.name == name).unwrap();
        assert_eq!(
            m.value,
            m.count.unwrap() as f64 / m.rows.unwrap() as f64,
            "{feature}.{name}"
        );
        m.count.unwrap()
    };
    let rows = f.metrics[0].rows.unwrap();
    (
        rows,
        get("null_value_rate"),
        get("data_type_error_rate"),
        get("out_of_bounds_rate"),
    )
}

fn assert_exact(signal: &SignalResult, how: &str) {
    for (feature, nulls, errors, outside) in EXPECTED {
        assert_eq!(
            counts(signal, feature),
            (ROWS as u64, nulls, errors, outside),
            "{how}: `{feature}`"
        );
    }
    assert!(signal.warnings.is_empty(), "{how}: {:?}", signal.warnings);
    assert!(!signal.passed, "{how}: Azure's 0.0 thresholds fail");
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> String {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(&path, bytes).unwrap();
    path.display().to_string()
}

fn one_shot(baseline: &str, target: &str) -> RunResult {
    local::scan(
        baseline,
        target,
        &[],
        &driftscan::drift::scan::ScanOptions::default(),
        &local::adhoc_context(local::ADHOC_MODEL, 1, None),
    )
    .unwrap()
}

fn data_quality(result: &RunResult) -> &SignalResult {
    result
        .signals
        .iter()
        .find(|s| s.name == "data_quality")
        .expect("a one-shot scan reports data quality")
}

/// The acceptance test: each rate equals its injected share on CSV, Parquet and JSON lines, the
/// baseline in any of the formats, through `driftscan scan`'s pipeline.
#[test]
fn each_rate_equals_the_injected_share_in_every_format() {
    let dir = tempfile::tempdir().unwrap();
    let (reference, production) = (reference_rows(), production_rows());
    let baseline = write(dir.path(), "ref.csv", csv(&reference).as_bytes());
    let targets = [
        (
            "CSV",
            write(dir.path(), "prod.csv", csv(&production).as_bytes()),
        ),
        (
            "Parquet",
            write(dir.path(), "prod.parquet", &parquet(&production)),
        ),
        (
            "JSON lines",
            write(dir.path(), "prod.jsonl", jsonl(&production).as_bytes()),
        ),
    ];
    for (format, target) in &targets {
        let result = one_shot(&baseline, target);
        assert_exact(data_quality(&result), format);
    }
    // A Parquet baseline (x numbers as floats) and a saved baseline profile give the same.
    let x: ArrayRef = Arc::new(Float64Array::from_iter_values(
        reference
            .iter()
            .map(|r| r.0.as_deref().unwrap().parse::<f64>().unwrap()),
    ));
    let c: ArrayRef = Arc::new(StringArray::from_iter(
        reference.iter().map(|r| r.1.clone()),
    ));
    let v: ArrayRef = Arc::new(Float64Array::from_iter_values(
        reference.iter().map(|r| r.2),
    ));
    let batch = RecordBatch::try_from_iter([("x", x), ("c", c), ("v", v)]).unwrap();
    let parquet_baseline = write(dir.path(), "ref.parquet", &write_parquet(&batch));
    assert_exact(
        data_quality(&one_shot(&parquet_baseline, &targets[2].1)),
        "Parquet baseline",
    );
    let saved = dir.path().join("ref.profile");
    let p = local::load("baseline", &baseline, &ProfileOptions::default()).unwrap();
    local::save_profile(&p, &saved).unwrap();
    assert_exact(
        data_quality(&one_shot(&saved.display().to_string(), &targets[0].1)),
        "saved baseline profile",
    );
}

fn profile_of(inputs: Vec<Input>, options: &ProfileOptions) -> Profile {
    profile::build(&inputs, options).unwrap()
}

fn memory(name: &str, bytes: Vec<u8>) -> Input {
    Input::Memory {
        name: name.into(),
        bytes: bytes.into(),
    }
}

/// Production split into files of every format, profiled one by one against the reference and
/// merged: the counts add up exactly, and the statistics are the bytes of one file's profile.
#[test]
fn merged_parts_profiled_against_the_reference_count_exactly() {
    let reference = profile_of(
        vec![memory("ref.csv", csv(&reference_rows()).into_bytes())],
        &ProfileOptions::default(),
    );
    // A small sketch budget, so the sketches are coarse: the counts must not come from them.
    let against = ProfileOptions {
        max_buckets: 64,
        ..ProfileOptions::against(&reference)
    };
    let production = production_rows();
    let whole = profile_of(
        vec![memory("prod.csv", csv(&production).into_bytes())],
        &against,
    );
    let cuts = [0, 7_001, 19_999, 33_333, ROWS];
    let parts: Vec<Profile> = cuts
        .windows(2)
        .enumerate()
        .map(|(k, w)| {
            let rows = &production[w[0]..w[1]];
            let input = match k % 3 {
                0 => memory("part.csv", csv(rows).into_bytes()),
                1 => memory("part.parquet", parquet(rows)),
                _ => memory("part.jsonl", jsonl(rows).into_bytes()),
            };
            profile_of(vec![input], &against)
        })
        .collect();
    let merged = Profile::merge_all(parts).unwrap();
    let features: Vec<String> = ["x", "c", "v"].map(String::from).to_vec();
    let config = DataQualityConfig::default();
    assert_exact(
        &quality::evaluate(&reference, &merged, &features, &config),
        "merged parts",
    );
    assert_exact(
        &quality::evaluate(&reference, &whole, &features, &config),
        "one file",
    );
    // The counts outside the range are statistics: the same bytes whole or merged (the row
    // sample is not compared: JSON lines hold the nested objects Parquet cannot).
    for name in ["v", "x"] {
        assert_eq!(
            merged.numeric(name).unwrap().outside,
            whole.numeric(name).unwrap().outside,
            "{name}"
        );
    }
    // v's sketch is coarse, so its count could only come from profiling against the range;
    // without it the sketch answers within the rows its straddling buckets hold, and says so.
    assert!(!whole.numeric("v").unwrap().sketch.is_exact());
    let blind = profile_of(
        vec![memory("prod.csv", csv(&production).into_bytes())],
        &ProfileOptions {
            pinned_kinds: reference.kinds(),
            max_buckets: 64,
            ..ProfileOptions::default()
        },
    );
    let signal = quality::evaluate(&reference, &blind, &features, &config);
    let (_, _, _, outside) = counts(&signal, "v");
    let warning = signal
        .warnings
        .iter()
        .find(|w| w.starts_with("`v`: out_of_bounds_rate is approximate"))
        .unwrap_or_else(|| panic!("{:?}", signal.warnings));
    let off: u64 = warning
        .split("off by at most ")
        .nth(1)
        .and_then(|s| s.split(' ').next())
        .and_then(|s| s.parse().ok())
        .unwrap();
    assert!(outside.abs_diff(1_600) <= off, "{outside} off by {off}");
}

/// A float Parquet column where the reference's column is text is read as text: no type errors.
#[test]
fn numbers_in_a_text_column_of_the_reference_are_not_type_errors() {
    let labels: Vec<&str> = (0..100).map(|i| ["1.5", "2.5", "n/a"][i % 3]).collect();
    let text: ArrayRef = Arc::new(StringArray::from(labels));
    let reference = profile_of(
        vec![memory(
            "ref.parquet",
            write_parquet(&RecordBatch::try_from_iter([("code", text)]).unwrap()),
        )],
        &ProfileOptions::default(),
    );
    let floats: ArrayRef = Arc::new(Float64Array::from(
        (0..90).map(|i| [1.5, 2.5][i % 2]).collect::<Vec<_>>(),
    ));
    let production = profile_of(
        vec![memory(
            "prod.parquet",
            write_parquet(&RecordBatch::try_from_iter([("code", floats)]).unwrap()),
        )],
        &ProfileOptions::against(&reference),
    );
    let signal = quality::evaluate(
        &reference,
        &production,
        &["code".to_string()],
        &DataQualityConfig::default(),
    );
    let (rows, nulls, errors, outside) = counts(&signal, "code");
    assert_eq!((rows, nulls, errors, outside), (90, 0, 0, 0));
    assert!(signal.passed);
}

/// A detector with `signals.data_quality` stores the signal beside the v1 fields, with the
/// per-feature thresholds it was given; a detector without signals stores no `signals` key.
#[test]
fn a_detector_run_stores_the_signal_only_when_asked() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(root, "training/ref.csv", csv(&reference_rows()).as_bytes());
    write(
        root,
        "data/svc/2026/03/02/inputs.csv",
        csv(&production_rows()).as_bytes(),
    );
    let store: Arc<dyn Store> = Arc::new(LocalStore::new(root).unwrap());
    let detectors = Detectors::new(Arc::clone(&store));
    let definition = |name: &str, extra: &str| {
        format!(
            r#"{{"name":"{name}","model_name":"m","model_version":1,"services":["svc"],
                 "baseline":"training/ref.csv",
                 "snapshots":"data/{{service}}/{{yyyy}}/{{MM}}/{{dd}}"{extra}}}"#
        )
    };
    let rt = tokio::runtime::Runtime::new().unwrap();
    rt.block_on(async {
        detectors
            .create(
                definition(
                    "dq",
                    r#","signals":{"data_quality":{
                        "metric_thresholds":{"categorical":{"out_of_bounds_rate":0.1}},
                        "feature_thresholds":{"x":{"null_value_rate":0.05,"data_type_error_rate":0.05}}}}"#,
                )
                .as_bytes(),
            )
            .await
            .unwrap();
        detectors
            .create(definition("plain", "").as_bytes())
            .await
            .unwrap();
        for name in ["dq", "plain"] {
            let answer = detectors
                .backfill(
                    name,
                    driftscan::pipeline::detectors::BackfillRequest {
                        start_date: "2026-03-02".into(),
                        end_date: "2026-03-02".into(),
                    },
                    |_, _, _| {},
                )
                .await
                .unwrap();
            assert_eq!(answer.runs.len(), 1, "{name}");
        }
        let day = "2026-03-02".parse().unwrap();
        let stored = |name: &'static str| {
            let store = Arc::clone(&store);
            async move {
                let obj = store
                    .get(&keys::run(name, "svc", day).unwrap())
                    .await
                    .unwrap()
                    .unwrap();
                serde_json::from_slice::<serde_json::Value>(&obj.bytes).unwrap()
            }
        };
        let plain = stored("plain").await;
        assert!(plain.get("signals").is_none(), "{plain}");
        let doc = stored("dq").await;
        let signals = doc["signals"].as_array().unwrap();
        let names: Vec<&str> = signals.iter().map(|s| s["name"].as_str().unwrap()).collect();
        assert_eq!(names, ["data_drift", "data_quality"]);
        let result: RunResult = serde_json::from_value(doc.clone()).unwrap();
        let dq = data_quality(&result);
        assert_exact(dq, "detector run");
        let metric = |feature: &str, name: &str| {
            dq.features
                .iter()
                .find(|f| f.name == feature)
                .and_then(|f| f.metrics.iter().find(|m| m.name == name))
                .unwrap()
                .clone()
        };
        // x: 5 % nulls and type errors against per-feature thresholds of 5 %: pass; its 10 % out
        // of bounds against the default 0: fail.
        let nulls = metric("x", "null_value_rate");
        assert_eq!((nulls.threshold, nulls.passed), (Some(0.05), Some(true)));
        assert_eq!(metric("x", "out_of_bounds_rate").passed, Some(false));
        // c: 8 % unseen against the categorical threshold of 10 %: pass; 4 % nulls against 0: fail.
        let unseen = metric("c", "out_of_bounds_rate");
        assert_eq!((unseen.threshold, unseen.passed), (Some(0.1), Some(true)));
        assert_eq!(metric("c", "null_value_rate").passed, Some(false));
        assert_eq!(dq.reference.rows, ROWS as u64);
        assert_eq!(dq.production.rows, ROWS as u64);
        // The v1 fields stay beside the signals.
        for key in ["has_drift", "dataset_metrics", "column_metrics", "drift_threshold"] {
            assert!(doc.get(key).is_some() && plain.get(key).is_some(), "{key}");
        }
    });
}

//! Snapshots of what a user and a downstream program read: the result document of `scan --json`
//! and the terminal summary of `scan`. A change to either shows up as a diff of a committed file
//! under `tests/snapshots/` (review it, then accept with `INSTA_UPDATE=always cargo test` or
//! `cargo insta review`).
//!
//! Volatile fields are redacted (start time, durations, version); numbers are kept to 8
//! significant digits, so a last-bit difference of a platform's `exp` does not fail the test but
//! any real change of a statistic does.

use serde_json::Value;

use super::cli::{driftscan, stderr, stdout, write_pair};

/// The same 3,000-row pair the CLI tests use, `x` shifted by half a standard deviation: the
/// coefficient stays below the threshold while `x` drifts significantly, so the summary shows
/// the "features drifted" verdict.
fn scan(extra: &[&str]) -> String {
    let dir = tempfile::tempdir().unwrap();
    write_pair(dir.path(), 0.5);
    let mut args = vec![
        "scan",
        "--baseline",
        "train.csv",
        "--target",
        "today.csv",
        "--date",
        "2026-03-01",
    ];
    args.extend_from_slice(extra);
    let out = driftscan(&args, dir.path());
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    stdout(&out)
}

/// Rounds every number to 8 significant digits.
fn rounded(value: Value) -> Value {
    match value {
        Value::Number(n) if n.is_f64() => {
            let v = n.as_f64().unwrap();
            let r: f64 = format!("{v:.7e}").parse().unwrap();
            serde_json::Number::from_f64(r).map_or(Value::Null, Value::Number)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(rounded).collect()),
        Value::Object(map) => {
            Value::Object(map.into_iter().map(|(k, v)| (k, rounded(v))).collect())
        }
        other => other,
    }
}

#[test]
fn the_result_document() {
    let document: Value = serde_json::from_str(&scan(&["--json"])).expect("one JSON document");
    insta::assert_json_snapshot!("scan_result_document", rounded(document), {
        ".run.started_at" => "[started_at]",
        ".run.duration_ms" => "[duration_ms]",
        ".run.driftscan_version" => "[version]",
        ".classifier.duration_ms" => "[duration_ms]",
    });
}

#[test]
fn the_terminal_summary() {
    insta::assert_snapshot!("scan_summary", scan(&[]));
}

/// A detector that watches only data drift: its stored result and its `get_output` document.
/// These snapshots were recorded before detectors had signals, and must not change: a user's
/// parsing code of the v1 documents keeps working.
#[test]
fn a_data_drift_detector_writes_the_v1_documents() {
    let dir = tempfile::tempdir().unwrap();
    let (_, today) = write_pair(dir.path(), 0.5);
    let day = dir.path().join("snapshots/svc/2026/03/01");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::rename(today, day.join("data.csv")).unwrap();
    std::fs::write(
        dir.path().join("detector.json"),
        r#"{"name": "v1-shape", "model_name": "m", "model_version": 1, "services": ["svc"],
            "baseline": "train.csv", "snapshots": "snapshots/{service}/{yyyy}/{MM}/{dd}/"}"#,
    )
    .unwrap();
    let store = dir.path().to_str().unwrap();
    let ok = |args: &[&str]| {
        let out = driftscan(args, dir.path());
        assert_eq!(out.status.code(), Some(0), "{args:?}: {}", stderr(&out));
        stdout(&out)
    };
    ok(&["detectors", "create", "detector.json", "--store", store]);
    ok(&[
        "detectors",
        "run",
        "v1-shape",
        "--date",
        "2026-03-01",
        "--store",
        store,
    ]);
    let stored: Value = serde_json::from_slice(
        &std::fs::read(dir.path().join("runs/v1-shape/svc/2026/03/01.json")).unwrap(),
    )
    .unwrap();
    insta::assert_json_snapshot!("detector_result_document", rounded(stored), {
        ".run.started_at" => "[started_at]",
        ".run.duration_ms" => "[duration_ms]",
        ".run.driftscan_version" => "[version]",
        ".classifier.duration_ms" => "[duration_ms]",
        ".baseline.source" => "[baseline]",
        ".target.source" => "[target]",
    });
    let output: Value = serde_json::from_str(&ok(&[
        "detectors",
        "output",
        "v1-shape",
        "--start",
        "2026-03-01",
        "--end",
        "2026-03-01",
        "--store",
        store,
    ]))
    .unwrap();
    insta::assert_json_snapshot!("detector_output_document", rounded(output), {
        ".metrics[].metrics[].run.started_at" => "[started_at]",
        ".metrics[].metrics[].run.duration_ms" => "[duration_ms]",
        ".metrics[].metrics[].run.driftscan_version" => "[version]",
        ".metrics[].metrics[].classifier.duration_ms" => "[duration_ms]",
        ".metrics[].metrics[].baseline.source" => "[baseline]",
        ".metrics[].metrics[].target.source" => "[target]",
    });
}

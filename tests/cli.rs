//! The `scan`, `profile`, `diff` and `demo` commands as a user runs them: output, files written,
//! exit codes (0 success, 1 drift with `--fail-on-drift`, 2 error with a one-line reason).

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use serde_json::Value;

pub(crate) fn driftscan(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_driftscan"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("driftscan runs")
}

pub(crate) fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

pub(crate) fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// What a user sees of a run, as a snapshot records it: exit code, stdout and stderr, with the
/// test's temp folder written `[TEMP_DIR]` so the text does not depend on where the test ran.
fn transcript(o: &Output, dir: &Path) -> String {
    let mut text = format!(
        "exit code: {}\n----- stdout -----\n{}----- stderr -----\n{}",
        o.status
            .code()
            .map_or("none".to_string(), |c| c.to_string()),
        stdout(o),
        stderr(o)
    );
    let mut roots = vec![dir.to_path_buf()];
    roots.extend(dir.canonicalize().ok());
    for root in roots {
        if let Some(root) = root.to_str() {
            text = text.replace(root, "[TEMP_DIR]");
        }
    }
    text
}

/// Two CSVs of 3,000 rows: `x` normal, `g` a category; the target's `x` is shifted by `shift`
/// standard deviations. A tiny deterministic generator keeps the test free of fixtures.
pub(crate) fn write_pair(dir: &Path, shift: f64) -> (PathBuf, PathBuf) {
    let mut state = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64
    };
    let mut write = |name: &str, offset: f64| {
        let mut text = String::from("x,y,g\n");
        for _ in 0..3000 {
            // Sum of uniforms: close enough to normal for a shift to be seen.
            let x: f64 = (0..12).map(|_| next()).sum::<f64>() - 6.0 + offset;
            let y = next() * 10.0;
            let g = ["a", "b", "c"][(next() * 3.0) as usize % 3];
            text.push_str(&format!("{x:.5},{y:.4},{g}\n"));
        }
        let path = dir.join(name);
        std::fs::write(&path, text).expect("write csv");
        path
    };
    (write("train.csv", 0.0), write("today.csv", shift))
}

/// `driftscan scan` on two datasets with `extra` options, which must succeed; its stdout.
pub(crate) fn scan_stdout(baseline: &Path, target: &Path, dir: &Path, extra: &[&str]) -> String {
    let mut args = vec![
        "scan",
        "--baseline",
        baseline.to_str().unwrap(),
        "--target",
        target.to_str().unwrap(),
    ];
    args.extend(extra);
    let out = driftscan(&args, dir);
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    stdout(&out)
}

/// `driftscan scan --json` on two datasets, which must succeed; the parsed result document.
pub(crate) fn scan_json(baseline: &Path, target: &Path, dir: &Path) -> Value {
    serde_json::from_str(&scan_stdout(baseline, target, dir, &["--json"]))
        .expect("stdout is one JSON document")
}

#[test]
fn scan_json_prints_only_the_result_document() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (b, t) = write_pair(dir.path(), 0.0);
    let doc = scan_json(&b, &t, dir.path());
    assert_eq!(doc["schema_version"], "1.0");
    assert_eq!(doc["dataset_metrics"][0]["name"], "datadrift_coefficient");
    assert_eq!(
        doc["has_drift"], false,
        "no drift between two draws of one distribution"
    );
    let features: Vec<&str> = doc["column_metrics"]
        .as_array()
        .expect("column metrics")
        .iter()
        .flat_map(|m| m.as_object().expect("single-key object").keys())
        .map(String::as_str)
        .collect();
    assert_eq!(features.len(), 3);
    assert!(
        features.contains(&"g"),
        "the low-cardinality text column is categorical: {features:?}"
    );
}

#[test]
fn drift_exits_1_only_with_fail_on_drift() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (b, t) = write_pair(dir.path(), 1.0);
    let args = [
        "scan",
        "--baseline",
        b.to_str().unwrap(),
        "--target",
        t.to_str().unwrap(),
    ];
    let plain = driftscan(&args, dir.path());
    assert_eq!(plain.status.code(), Some(0), "stderr: {}", stderr(&plain));
    // The verdict line says DRIFT, and the table lists the most drifted feature (x) first.
    insta::assert_snapshot!("scan_drift_summary", transcript(&plain, dir.path()));

    let mut strict = args.to_vec();
    strict.push("--fail-on-drift");
    assert_eq!(driftscan(&strict, dir.path()).status.code(), Some(1));
}

#[test]
fn errors_exit_2_with_one_line_on_stderr() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (b, _) = write_pair(dir.path(), 0.0);
    for (args, needle) in [
        (
            vec![
                "scan",
                "--baseline",
                b.to_str().unwrap(),
                "--target",
                "nope.csv",
            ],
            "nope.csv",
        ),
        (
            vec![
                "scan",
                "--baseline",
                b.to_str().unwrap(),
                "--target",
                b.to_str().unwrap(),
                "--features",
                "x,salary",
            ],
            "salary",
        ),
        (
            vec![
                "scan",
                "--baseline",
                b.to_str().unwrap(),
                "--target",
                b.to_str().unwrap(),
                "--threshold",
                "1.5",
            ],
            "threshold must be between 0 and 1",
        ),
    ] {
        let out = driftscan(&args, dir.path());
        assert_eq!(out.status.code(), Some(2), "{args:?}");
        let err = stderr(&out);
        assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        assert!(err.starts_with("error: ") && err.contains(needle), "{err}");
        assert!(stdout(&out).is_empty());
    }
}

#[test]
fn a_cached_profile_gives_the_same_result_as_the_raw_baseline() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (b, t) = write_pair(dir.path(), 0.3);
    let profile = dir.path().join("train.profile");
    let made = driftscan(
        &[
            "profile",
            "--input",
            b.to_str().unwrap(),
            "--out",
            profile.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(made.status.code(), Some(0), "stderr: {}", stderr(&made));
    // One line on stderr, nothing on stdout; the size of the file is the profile format's
    // business, not the command's.
    let said = transcript(&made, dir.path());
    let said = match (said.rfind(" ("), said.rfind(" bytes).")) {
        (Some(open), Some(close)) if open < close => {
            format!(
                "{} ([size] bytes).{}",
                &said[..open],
                &said[close + " bytes).".len()..]
            )
        }
        _ => said,
    };
    insta::assert_snapshot!("profile_output", said);
    let scan = |baseline: &Path| -> Value {
        let out = driftscan(
            &[
                "scan",
                "--baseline",
                baseline.to_str().unwrap(),
                "--target",
                t.to_str().unwrap(),
                "--json",
                "--date",
                "2026-11-24",
            ],
            dir.path(),
        );
        assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
        serde_json::from_str(&stdout(&out)).expect("json")
    };
    let (raw, cached) = (scan(&b), scan(&profile));
    assert_eq!(raw["dataset_metrics"], cached["dataset_metrics"]);
    assert_eq!(raw["column_metrics"], cached["column_metrics"]);
    assert_eq!(raw["datetime"], "2026-11-24");
}

#[test]
fn a_target_is_read_with_the_raw_baselines_types() {
    // Baseline and target are profiled at once; a target whose `x` looks like text must still be
    // read as numbers, as the baseline types it, its words counted as invalid.
    let dir = tempfile::tempdir().expect("temp dir");
    let (b, _) = write_pair(dir.path(), 0.0);
    let mut text = String::from("x,y,g\n");
    for i in 0..3000 {
        let x = if i % 3 == 0 {
            format!("{}", i % 7)
        } else {
            "n/a".to_string()
        };
        text.push_str(&format!("{x},{}.5,{}\n", i % 10, ["a", "b"][i % 2]));
    }
    let t = dir.path().join("wordy.csv");
    std::fs::write(&t, text).expect("write csv");
    let result = scan_json(&b, &t, dir.path());
    let features = result["features"].as_array().expect("features");
    let x = features
        .iter()
        .find(|f| f["name"] == "x")
        .expect("x compared");
    assert_eq!(x["kind"], "numeric");
    assert_eq!(x["quality"]["invalid"]["target"], 2000);
    assert_eq!(x["quality"]["rows"]["target"], 3000);
}

#[test]
fn diff_reports_changes_and_writes_the_page() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (b, t) = write_pair(dir.path(), 0.5);
    let page = dir.path().join("diff.html");
    let out = driftscan(
        &[
            "diff",
            b.to_str().unwrap(),
            t.to_str().unwrap(),
            "--json",
            "--report",
            page.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let doc: Value = serde_json::from_str(&stdout(&out)).expect("json");
    let x = doc["columns"]
        .as_array()
        .expect("columns")
        .iter()
        .find(|c| c["name"] == "x")
        .expect("column x");
    let moved = x["mean"]["change"].as_f64().expect("mean change");
    assert!(
        (moved - 0.5).abs() < 0.1,
        "the mean moved by about 0.5: {moved}"
    );
    let html = std::fs::read_to_string(&page).expect("page written");
    assert!(html.contains("<svg"), "the page has charts");

    // Without --json: the sources, the row counts and one table row per column, old -> new.
    let plain = driftscan(&["diff", "train.csv", "today.csv"], dir.path());
    insta::assert_snapshot!("diff_output", transcript(&plain, dir.path()));
}

#[test]
fn demo_runs_end_to_end_in_an_empty_folder() {
    let dir = tempfile::tempdir().expect("temp dir");
    let out = driftscan(
        &[
            "demo",
            "--dir",
            "demo",
            "--baseline-rows",
            "8000",
            "--snapshot-rows",
            "2000",
        ],
        dir.path(),
    );
    assert_eq!(out.status.code(), Some(0), "stderr: {}", stderr(&out));
    let text = stdout(&out);
    assert!(text.contains("DRIFT: coefficient"), "{text}");
    let days: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("  credit-svc  coefficient"))
        .collect();
    assert_eq!(days.len(), 7, "{text}");
    assert!(
        days[0].ends_with("no drift") && days[6].ends_with("DRIFT"),
        "{days:?}"
    );
    for file in [
        "report.html",
        "history.html",
        "result.json",
        "credit_train.profile",
        "metrics.jsonl",
    ] {
        assert!(
            dir.path().join("demo").join(file).is_file(),
            "{file} written"
        );
    }
}

/// Column names holding a terminal escape (`ESC [31m`) and a bidi override (U+202E) are shown
/// escaped in every terminal rendering (scan's summary, diff's table) and kept exact in JSON.
#[test]
fn control_characters_in_column_names_do_not_reach_the_terminal() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (red, flipped) = ("\u{1b}[31mred", "a\u{202e}b");
    let csv = |shift: f64| {
        let mut text = format!("\"{red}\",\"{flipped}\",plain\n");
        for i in 0..400 {
            let v = (i % 40) as f64 + shift;
            text.push_str(&format!("{v},{},{}\n", v * 2.0, i % 7));
        }
        text
    };
    let (b, t) = (dir.path().join("b.csv"), dir.path().join("t.csv"));
    std::fs::write(&b, csv(0.0)).unwrap();
    std::fs::write(&t, csv(15.0)).unwrap();
    let (b, t) = (b.to_str().unwrap(), t.to_str().unwrap());
    for args in [
        vec!["scan", "--baseline", b, "--target", t],
        vec!["diff", b, t],
    ] {
        let out = driftscan(&args, dir.path());
        let text = stdout(&out);
        assert!(!text.is_empty(), "{args:?}: {}", stderr(&out));
        assert!(
            !text.contains('\u{1b}'),
            "{args:?}: ESC reached the terminal"
        );
        assert!(
            !text.contains('\u{202e}'),
            "{args:?}: U+202E reached the terminal"
        );
        assert!(text.contains("\\u{1b}[31mred"), "{args:?}: {text}");
        assert!(text.contains("a\\u{202e}b"), "{args:?}: {text}");
    }
    let doc = scan_json(Path::new(b), Path::new(t), dir.path());
    let names: Vec<String> = doc["column_metrics"]
        .as_array()
        .expect("column metrics")
        .iter()
        .flat_map(|m| m.as_object().expect("single-key object").keys().cloned())
        .collect();
    assert!(names.iter().any(|n| n == red), "{names:?}");
    assert!(names.iter().any(|n| n == flipped), "{names:?}");
}

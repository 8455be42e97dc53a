//! What real data does to the verdict: values that do not parse, a monitored column that
//! vanished, categories the baseline never had. Each is said in the numbers, the flags, the
//! warnings and the verdict sentence alike, never in one and not the others.

use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;

use crate::cli::{driftscan, scan_stdout, stderr, stdout};

/// A CSV of `rows` rows: `amount` (numeric, or `text` in place of every value when given),
/// `tier` (a category; every `unseen_every`-th row `50%`, which the baseline never has) and
/// `region` unless `without_region`.
fn write_csv(
    path: &Path,
    rows: usize,
    amount_text: Option<&str>,
    unseen_every: Option<usize>,
    without_region: bool,
) {
    let mut s = String::from(if without_region {
        "amount,tier\n"
    } else {
        "amount,tier,region\n"
    });
    for i in 0..rows {
        // A deterministic spread of amounts and categories: both sides alike.
        let amount = 1000.0 + ((i * 7919) % 1000) as f64;
        let tier = match unseen_every {
            Some(k) if i % k == k - 1 => "50%",
            _ => ["gold", "silver", "bronze"][(i * 31) % 3],
        };
        let region = ["north", "south"][(i * 17) % 2];
        let amount = match amount_text {
            Some(t) => format!("{amount}{t}"),
            None => amount.to_string(),
        };
        if without_region {
            writeln!(s, "{amount},{tier}").unwrap();
        } else {
            writeln!(s, "{amount},{tier},{region}").unwrap();
        }
    }
    std::fs::write(path, s).unwrap();
}

fn scan_json(dir: &Path, baseline: &Path, target: &Path) -> Value {
    crate::cli::scan_json(baseline, target, dir)
}

fn summary(dir: &Path, baseline: &Path, target: &Path) -> String {
    scan_stdout(baseline, target, dir, &[])
}

fn metric(doc: &Value, feature: &str, name: &str) -> f64 {
    doc["column_metrics"]
        .as_array()
        .unwrap()
        .iter()
        .find_map(|m| m.get(feature))
        .and_then(|ms| ms.as_array().unwrap().iter().find(|m| m["name"] == name))
        .and_then(|m| m["value"].as_f64())
        .unwrap_or_else(|| panic!("{feature}.{name} in {doc}"))
}

fn warnings(doc: &Value) -> Vec<String> {
    doc["warnings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_string())
        .collect()
}

#[test]
fn unreadable_numbers_count_as_missing_flag_the_feature_and_warn() {
    let dir = tempfile::tempdir().unwrap();
    let (b, t) = (dir.path().join("b.csv"), dir.path().join("t.csv"));
    write_csv(&b, 3000, None, None, false);
    write_csv(&t, 3000, Some("x"), None, false);
    let doc = scan_json(dir.path(), &b, &t);
    assert_eq!(metric(&doc, "amount", "target_missing_rate"), 1.0, "{doc}");
    assert_eq!(metric(&doc, "amount", "drifted"), 1.0);
    assert!(
        warnings(&doc)
            .iter()
            .any(|w| w
                .contains("`amount`: 3000 of 3000 values in the target (100.0 %) are not numbers")),
        "{:?}",
        warnings(&doc)
    );
    let text = summary(dir.path(), &b, &t);
    let verdict = text.lines().next().unwrap();
    assert!(verdict.contains("drifted: amount"), "{verdict}");
}

#[test]
fn a_vanished_column_is_named_in_the_verdict_and_can_fail_a_detector_run() {
    let dir = tempfile::tempdir().unwrap();
    let (b, t) = (dir.path().join("b.csv"), dir.path().join("t.csv"));
    write_csv(&b, 3000, None, None, false);
    write_csv(&t, 3000, None, None, true);
    let doc = scan_json(dir.path(), &b, &t);
    assert_eq!(
        doc["schema"]["missing_features"],
        serde_json::json!(["region"])
    );
    assert!(
        warnings(&doc)
            .iter()
            .any(|w| w.starts_with("missing from the target: region")),
        "{:?}",
        warnings(&doc)
    );
    let text = summary(dir.path(), &b, &t);
    let verdict = text.lines().next().unwrap();
    assert!(
        verdict.starts_with("FEATURES DRIFTED")
            && verdict.contains("missing from the target: region"),
        "{verdict}"
    );

    // A detector may choose to fail the run instead: the result says why.
    let store = dir.path().join("store");
    let day = store.join("snap/svc/2026/11/20");
    std::fs::create_dir_all(&day).unwrap();
    std::fs::copy(&t, day.join("t.csv")).unwrap();
    std::fs::copy(&b, store.join("b.csv")).unwrap();
    for (name, policy) in [("reports", "report"), ("fails", "fail")] {
        let definition = dir.path().join(format!("{name}.json"));
        std::fs::write(
            &definition,
            serde_json::json!({"name": name, "model_name": "m", "model_version": 1,
                "services": ["svc"], "baseline": "b.csv",
                "snapshots": "snap/{service}/{yyyy}/{MM}/{dd}", "on_missing_feature": policy})
            .to_string(),
        )
        .unwrap();
        let store_arg = format!("--store={}", store.display());
        let made = driftscan(
            &[
                "detectors",
                &store_arg,
                "create",
                definition.to_str().unwrap(),
            ],
            dir.path(),
        );
        assert!(made.status.success(), "{}", stderr(&made));
        let ran = driftscan(
            &["detectors", &store_arg, "run", name, "--date", "2026-11-20"],
            dir.path(),
        );
        assert!(ran.status.success(), "{}", stderr(&ran));
        let line = stdout(&ran);
        match policy {
            "report" => assert!(line.contains("missing: region"), "{line}"),
            _ => assert!(
                line.contains("Failed")
                    && line.contains("feature `region` is not a column of the target"),
                "{line}"
            ),
        }
    }
}

#[test]
fn unseen_categories_are_listed_with_their_share_whatever_the_effect() {
    let dir = tempfile::tempdir().unwrap();
    let (b, t) = (dir.path().join("b.csv"), dir.path().join("t.csv"));
    write_csv(&b, 3000, None, None, false);
    // One row in 111: 0.9 % of the target, below the default minimum effect.
    write_csv(&t, 3000, None, Some(111), false);
    let doc = scan_json(dir.path(), &b, &t);
    assert!(
        warnings(&doc)
            .iter()
            .any(|w| w == "`tier`: categories the baseline never had, in 0.9 % of the target's rows: `50%` (0.9 %)"),
        "{:?}",
        warnings(&doc)
    );
    assert!(
        summary(dir.path(), &b, &t).contains("categories the baseline never had"),
        "the terminal summary lists the warning"
    );
}

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

/// `detectors create` of a definition file, then `detectors run` of its detector on 2026-11-20;
/// both must succeed. The run's output.
fn create_and_run(
    dir: &Path,
    store_arg: &str,
    definition: &Path,
    name: &str,
) -> std::process::Output {
    let made = driftscan(
        &[
            "detectors",
            store_arg,
            "create",
            definition.to_str().unwrap(),
        ],
        dir,
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let ran = driftscan(
        &["detectors", store_arg, "run", name, "--date", "2026-11-20"],
        dir,
    );
    assert!(ran.status.success(), "{}", stderr(&ran));
    ran
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
            && verdict.contains("no compared feature drifted")
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
        let ran = create_and_run(dir.path(), &store_arg, &definition, name);
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

#[test]
fn a_declared_type_reads_integer_codes_as_categories_and_a_profile_cannot_contradict_it() {
    let dir = tempfile::tempdir().unwrap();
    let (b, t) = (dir.path().join("b.csv"), dir.path().join("t.csv"));
    let codes = |path: &Path, shift: usize| {
        let mut s = String::from("puma,amount\n");
        for i in 0..2000 {
            writeln!(s, "{},{}", 100 + (i * 7 + shift) % 5, (i * 13) % 97).unwrap();
        }
        std::fs::write(path, s).unwrap();
    };
    codes(&b, 0);
    codes(&t, 1);
    let kind_of = |doc: &Value| {
        doc["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "puma")
            .map(|f| f["kind"].as_str().unwrap().to_string())
            .unwrap()
    };
    assert_eq!(kind_of(&scan_json(dir.path(), &b, &t)), "numeric");
    let declared: Value = serde_json::from_str(&scan_stdout(
        &b,
        &t,
        dir.path(),
        &["--json", "--type", "puma=categorical"],
    ))
    .unwrap();
    assert_eq!(kind_of(&declared), "categorical");

    // A baseline profile keeps the types it was profiled with: declared, or refused.
    let profile = dir.path().join("b.profile");
    let (p, ps) = (profile.to_str().unwrap(), b.to_str().unwrap());
    let made = driftscan(
        &[
            "profile",
            "--input",
            ps,
            "--out",
            p,
            "--type",
            "puma=categorical",
        ],
        dir.path(),
    );
    assert!(made.status.success(), "{}", stderr(&made));
    let from_profile: Value =
        serde_json::from_str(&scan_stdout(&profile, &t, dir.path(), &["--json"])).unwrap();
    assert_eq!(kind_of(&from_profile), "categorical");
    let refused = driftscan(
        &[
            "scan",
            "--baseline",
            p,
            "--target",
            t.to_str().unwrap(),
            "--type",
            "puma=numeric",
        ],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).contains("column `puma` is text in the saved baseline profile"),
        "{}",
        stderr(&refused)
    );
    let bad = driftscan(
        &[
            "scan",
            "--baseline",
            ps,
            "--target",
            t.to_str().unwrap(),
            "--type",
            "puma=date",
        ],
        dir.path(),
    );
    assert!(
        stderr(&bad).contains("type `date` is not `numeric` or `categorical`"),
        "{}",
        stderr(&bad)
    );
}

#[test]
fn a_detector_reads_declared_columns_as_declared_and_caches_the_baseline_per_declaration() {
    let dir = tempfile::tempdir().unwrap();
    let store = dir.path().join("store");
    let day = store.join("snap/svc/2026/11/20");
    std::fs::create_dir_all(&day).unwrap();
    let codes = |path: &Path, shift: usize| {
        let mut s = String::from("puma,amount\n");
        for i in 0..2000 {
            writeln!(s, "{},{}", 100 + (i * 7 + shift) % 5, (i * 13) % 97).unwrap();
        }
        std::fs::write(path, s).unwrap();
    };
    codes(&store.join("b.csv"), 0);
    codes(&day.join("t.csv"), 1);
    let store_arg = format!("--store={}", store.display());
    for (name, types) in [
        ("as-numbers", serde_json::json!({})),
        ("as-codes", serde_json::json!({"puma": "categorical"})),
    ] {
        let definition = dir.path().join(format!("{name}.json"));
        std::fs::write(
            &definition,
            serde_json::json!({"name": name, "model_name": "m", "model_version": 1,
                "services": ["svc"], "baseline": "b.csv", "feature_types": types,
                "snapshots": "snap/{service}/{yyyy}/{MM}/{dd}"})
            .to_string(),
        )
        .unwrap();
        create_and_run(dir.path(), &store_arg, &definition, name);
        let stored: Value = serde_json::from_slice(
            &std::fs::read(store.join(format!("runs/{name}/svc/2026/11/20.json"))).unwrap(),
        )
        .unwrap();
        let kind = stored["features"]
            .as_array()
            .unwrap()
            .iter()
            .find(|f| f["name"] == "puma")
            .map(|f| f["kind"].as_str().unwrap().to_string());
        let expected = if name == "as-codes" {
            "categorical"
        } else {
            "numeric"
        };
        assert_eq!(kind.as_deref(), Some(expected), "{name}");
    }
    // Declaring a type later re-profiles the baseline: the cache is keyed by the declaration.
    let changed = dir.path().join("changed.json");
    std::fs::write(
        &changed,
        serde_json::json!({"name": "as-numbers", "model_name": "m", "model_version": 1,
            "services": ["svc"], "baseline": "b.csv", "feature_types": {"puma": "categorical"},
            "snapshots": "snap/{service}/{yyyy}/{MM}/{dd}"})
        .to_string(),
    )
    .unwrap();
    let updated = driftscan(
        &[
            "detectors",
            &store_arg,
            "update",
            "as-numbers",
            changed.to_str().unwrap(),
        ],
        dir.path(),
    );
    assert!(updated.status.success(), "{}", stderr(&updated));
    let ran = driftscan(
        &[
            "detectors",
            &store_arg,
            "run",
            "as-numbers",
            "--date",
            "2026-11-20",
        ],
        dir.path(),
    );
    assert!(ran.status.success(), "{}", stderr(&ran));
    let stored =
        std::fs::read_to_string(store.join("runs/as-numbers/svc/2026/11/20.json")).unwrap();
    assert!(
        stored.contains("\"kind\": \"categorical\""),
        "re-profiled with the declared type"
    );
    let cached: Vec<String> = std::fs::read_dir(store.join("baselines/as-numbers"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".profile"))
        .collect();
    assert_eq!(
        cached.len(),
        2,
        "one cached profile per declaration: {cached:?}"
    );

    let bad = dir.path().join("bad.json");
    std::fs::write(
        &bad,
        r#"{"name": "bad", "model_name": "m", "model_version": 1, "services": ["svc"],
            "baseline": "b.csv", "feature_types": {"puma": "date"}}"#,
    )
    .unwrap();
    let refused = driftscan(
        &["detectors", &store_arg, "create", bad.to_str().unwrap()],
        dir.path(),
    );
    assert_eq!(refused.status.code(), Some(2));
    assert!(
        stderr(&refused).starts_with("error[invalid_json]"),
        "{}",
        stderr(&refused)
    );
}

//! Per-feature significance against scipy: KS p-values (exact and asymptotic regimes, equal and
//! unequal sizes), chi-squared homogeneity and the missing-rate test, Holm's adjustment. The
//! expected values in `tests/data/reference/significance.json` were written by
//! `scripts/reference/significance.py`; the samples are regenerated bit for bit.

use driftscan::drift::metrics::chi_squared::chi_squared;
use driftscan::drift::metrics::ks_p_value::ks_p_value;
use driftscan::drift::significance::holm;
use driftscan::profile::sketch::{ValueSketch, compare};
use serde_json::Value;

use crate::distributions::generate;

const FIXTURE: &str = "tests/data/reference/significance.json";
/// Largest relative difference allowed between a p-value and scipy's.
const TOLERANCE: f64 = 1e-6;

fn sketch(values: &[f64]) -> ValueSketch {
    let mut s = ValueSketch::default();
    values.iter().for_each(|&v| s.insert(v));
    s.flush();
    s
}

fn close(got: f64, want: f64, what: &str) {
    let ok = if want == 0.0 {
        got.abs() < 1e-300
    } else {
        ((got - want) / want).abs() <= TOLERANCE
    };
    assert!(ok, "{what}: got {got:e}, scipy {want:e}");
}

fn f(v: &Value) -> f64 {
    v.as_f64().expect("number")
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array().expect("array").iter().map(f).collect()
}

fn check(doc: &Value) {
    for case in doc["ks_samples"].as_array().expect("ks_samples") {
        let name = case["name"].as_str().unwrap();
        let (a, b) = (generate(&case["baseline"]), generate(&case["target"]));
        let (sa, sb) = (sketch(&a), sketch(&b));
        assert!(
            sa.is_exact() && sb.is_exact(),
            "{name}: sketches must be exact"
        );
        let d = compare(&sa, &sb).ks;
        assert!(
            (d - f(&case["statistic"])).abs() < 1e-12,
            "{name}: statistic {d} vs scipy {}",
            case["statistic"]
        );
        let p = ks_p_value(d, a.len() as u64, b.len() as u64);
        close(p, f(&case["p_value"]), name);
    }
    for case in doc["ks_direct"].as_array().expect("ks_direct") {
        let (d, n1, n2) = (
            f(&case["statistic"]),
            case["n1"].as_u64().unwrap(),
            case["n2"].as_u64().unwrap(),
        );
        let p = ks_p_value(d, n1, n2);
        close(p, f(&case["p_value"]), &format!("KS D={d} n1={n1} n2={n2}"));
    }
    for case in doc["chi2"].as_array().expect("chi2") {
        let (b, t) = (floats(&case["baseline"]), floats(&case["target"]));
        let (s, p) = chi_squared(&b, &t);
        close(
            s,
            f(&case["statistic"]),
            &format!("chi2 statistic {b:?} {t:?}"),
        );
        close(p, f(&case["p_value"]), &format!("chi2 p-value {b:?} {t:?}"));
    }
    for case in doc["holm"].as_array().expect("holm") {
        let got = holm(&floats(&case["p_values"]));
        for (g, w) in got.iter().zip(floats(&case["adjusted"])) {
            close(*g, w, &format!("Holm of {}", case["p_values"]));
        }
    }
}

#[test]
fn p_values_match_scipy_on_the_committed_fixture() {
    let doc: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("read the fixture"))
            .expect("fixture is JSON");
    check(&doc);
}

/// Re-runs the reference script, so a change in the script or in scipy cannot leave the
/// committed values stale.
#[test]
fn reference_script_still_produces_the_fixture() {
    let Some(fresh) = crate::harness::run_reference_script("scripts/reference/significance.py")
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

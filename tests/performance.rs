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

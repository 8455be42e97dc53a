//! Coverage and error of the estimated performance (CBPE for classifiers, DLE for regression) on
//! generated data whose truth is known: the measurements behind `docs/performance-estimation.md`.
//!
//! ```text
//! cargo run --release --example performance_sweep -- [seeds] [rows,rows,...] [problems] [regression seeds]
//! ```
//!
//! Defaults: 1,000 seeds, windows of 100, 1,000 and 10,000 rows, every problem
//! (`binary,multiclass,regression`), 64 regression seeds. Every seed draws a fresh labelled
//! reference from the unshifted inputs, fits the estimators on it and scores windows drawn with
//! their labels, so that each window's result has the realized value beside the estimate made
//! without the labels:
//!
//! * binary: 5 standard normal inputs, `P(y = 1 | x) = sigmoid(w.x + b)` (reference accuracy
//!   0.81); the `calibrated` model scores the true probability, the `miscalibrated` one
//!   `sigmoid(0.5 (w.x + b) + 0.4)`; scenarios `none`, `along` (inputs moved along `w`, the
//!   logit's mean up by 2: the accuracy rises to 0.87) and `orthogonal` (moved 1.5 sd at right
//!   angles to `w`: the accuracy does not change). A reference of 20,000 rows per seed and model,
//!   one window per scenario and size;
//! * multiclass: 3 classes, the truth a softmax of linear logits; the model's probabilities
//!   `softmax(tau x logits)` with `tau` 1 (`calibrated`) or 2 (`overconfident`), its prediction
//!   their arg max; scenarios `none` and `shift` (inputs moved towards class 0). A reference of
//!   20,000 rows per seed and model, one window per scenario and size;
//! * regression: `y = f(x) + e`, `e` normal with a standard deviation between 0.5 and 1.5 that
//!   grows with `x4`; the `exact` model predicts `f(x)` (even seeds), the `biased` one
//!   `f(x) + 0.3 + 0.2 x1` (odd seeds); the inputs are passed as features; scenarios `none` and
//!   `shift` (`x4` moved by 1 sd, `x0` by 0.5: the losses grow). The loss models are the slow part,
//!   so a seed's reference has 10,000 rows and serves 10, 8 and 4 windows of 100, 1,000 and
//!   10,000 rows per scenario ([`REGRESSION_WINDOWS`]).
//!
//! It prints one markdown row per problem, scenario, window size and metric (windows scored,
//! share whose realized value lies inside the estimate's 95 % band, mean absolute error of the
//! estimate against the realized value, mean estimated standard error, mean realized value), then
//! the coverage pooled over scenarios and metrics per problem and window size, with the binomial
//! standard error of that share counted over windows (metrics of one window, and regression
//! windows of one reference, are correlated, so the true uncertainty lies between that and the
//! same over pairs), and the time per problem.

use std::collections::BTreeMap;
use std::time::Instant;

use driftscan::drift::performance::{Outcomes, PerformanceSpec, Problem, evaluate};
use rand::SeedableRng;
use rand::rngs::StdRng;
use rayon::prelude::*;

/// The simulated models, shared with the coverage tests.
#[path = "../tests/performance_data.rs"]
mod performance_data;
use performance_data::*;

/// Rows of every classification reference.
const REFERENCE_ROWS: usize = 20_000;
/// Rows of every regression reference: the loss models are the slow part (each loss is learnt
/// 8 times, see `loss::HALVES`), so they learn from fewer rows and serve several windows.
const REGRESSION_REFERENCE_ROWS: usize = 10_000;
/// Windows per regression seed and scenario at each size.
const REGRESSION_WINDOWS: [(usize, usize); 3] = [(100, 10), (1_000, 8), (10_000, 4)];

/// One window's metric: its cell and what was measured.
struct Record {
    problem: &'static str,
    scenario: String,
    rows: usize,
    metric: String,
    covered: bool,
    error: f64,
    sampling_error: f64,
    realized: f64,
    /// The window's first metric (to count windows).
    first: bool,
}

/// Evaluates `windows` (label = scenario) against `reference` and records every metric that has
/// both a realized value and an estimate.
fn score(
    problem: Problem,
    name: &'static str,
    model: &str,
    reference: &Outcomes,
    windows: Vec<(String, Outcomes)>,
    seed: u64,
) -> Vec<Record> {
    let classes = match problem {
        Problem::Binary => vec!["0".into(), "1".into()],
        Problem::Multiclass => vec!["0".into(), "1".into(), "2".into()],
        Problem::Regression => Vec::new(),
    };
    let spec = PerformanceSpec {
        problem,
        classes,
        thresholds: Vec::new(),
        seed,
    };
    let result = evaluate(&spec, reference, &windows).expect("evaluate");
    let mut records = Vec::new();
    for window in &result.windows {
        let mut first = true;
        for m in &window.metrics {
            let (Some(realized), Some(estimated)) = (m.realized, m.estimated) else {
                continue;
            };
            if !(realized.value.is_finite() && estimated.value.is_finite()) {
                continue;
            }
            records.push(Record {
                problem: name,
                scenario: format!("{model}, {}", window.label),
                rows: window.rows as usize,
                metric: m.name.clone(),
                covered: estimated.covers(realized.value),
                error: (estimated.value - realized.value).abs(),
                sampling_error: estimated.sampling_error,
                realized: realized.value,
                first,
            });
            first = false;
        }
    }
    records
}

fn classification_seed(problem: Problem, seed: u64, sizes: &[usize]) -> Vec<Record> {
    let mut rng = StdRng::seed_from_u64(0x9e37_79b9_0000 + seed);
    let (name, models, scenarios): (&str, [(&str, f64); 2], &[&str]) = match problem {
        Problem::Binary => (
            "binary",
            [("calibrated", 1.0), ("miscalibrated", 0.0)],
            &["none", "along", "orthogonal"],
        ),
        _ => (
            "multiclass",
            [("calibrated", 1.0), ("overconfident", 2.0)],
            &["none", "shift"],
        ),
    };
    let draw = |rng: &mut StdRng, rows: usize, scenario: &str, model: f64| match problem {
        Problem::Binary => binary(rng, rows, &binary_mu(scenario), model == 1.0),
        _ => multiclass(rng, rows, &multiclass_mu(scenario), model),
    };
    let mut records = Vec::new();
    for (model, parameter) in models {
        let reference = draw(&mut rng, REFERENCE_ROWS, "none", parameter);
        let mut windows = Vec::new();
        for &scenario in scenarios {
            for &rows in sizes {
                windows.push((
                    scenario.to_string(),
                    draw(&mut rng, rows, scenario, parameter),
                ));
            }
        }
        records.extend(score(problem, name, model, &reference, windows, seed));
    }
    records
}

/// One regression seed: a reference of [`REGRESSION_REFERENCE_ROWS`] for the `exact` model
/// (even seeds) or the `biased` one (odd seeds), then [`REGRESSION_WINDOWS`] windows per
/// scenario and size.
fn regression_seed(seed: u64, sizes: &[usize]) -> Vec<Record> {
    let mut rng = StdRng::seed_from_u64(0x7f4a_7c15_0000 + seed);
    let (model, biased) = if seed.is_multiple_of(2) {
        ("exact", false)
    } else {
        ("biased", true)
    };
    let reference = regression(&mut rng, REGRESSION_REFERENCE_ROWS, &[0.0; 5], biased);
    let mut windows = Vec::new();
    for scenario in ["none", "shift"] {
        for &rows in sizes {
            let count = REGRESSION_WINDOWS
                .iter()
                .find(|w| w.0 == rows)
                .map_or(1, |w| w.1);
            for _ in 0..count {
                let window = regression(&mut rng, rows, &regression_mu(scenario), biased);
                windows.push((scenario.to_string(), window));
            }
        }
    }
    score(
        Problem::Regression,
        "regression",
        model,
        &reference,
        windows,
        seed,
    )
}

#[derive(Default)]
struct Cell {
    windows: u64,
    covered: u64,
    error: f64,
    sampling_error: f64,
    realized: f64,
}

impl Cell {
    fn add(&mut self, r: &Record) {
        self.windows += 1;
        self.covered += u64::from(r.covered);
        self.error += r.error;
        self.sampling_error += r.sampling_error;
        self.realized += r.realized;
    }

    fn coverage(&self) -> f64 {
        100.0 * self.covered as f64 / self.windows as f64
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(1_000);
    let sizes: Vec<usize> = args
        .get(1)
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![100, 1_000, 10_000]);
    let problems: Vec<String> = args
        .get(2)
        .map(|s| s.split(',').map(str::to_string).collect())
        .unwrap_or_else(|| vec!["binary".into(), "multiclass".into(), "regression".into()]);
    let regression_seeds: u64 = args.get(3).and_then(|s| s.parse().ok()).unwrap_or(64);
    let metric_order =
        |m: &str| driftscan::drift::performance::Metric::parse(m).map_or(99, |m| m as usize);

    let mut cells: BTreeMap<(String, String, usize, usize, String), Cell> = BTreeMap::new();
    let mut pooled: BTreeMap<(String, usize), Cell> = BTreeMap::new();
    let mut windows: BTreeMap<(String, usize), u64> = BTreeMap::new();
    let mut times = Vec::new();
    for problem in &problems {
        let clock = Instant::now();
        let records: Vec<Record> = match problem.as_str() {
            "binary" | "multiclass" => {
                let p = Problem::parse(problem).expect("problem");
                (0..seeds)
                    .into_par_iter()
                    .flat_map_iter(|seed| classification_seed(p, seed, &sizes))
                    .collect()
            }
            "regression" => (0..regression_seeds)
                .into_par_iter()
                .flat_map_iter(|seed| regression_seed(seed, &sizes))
                .collect(),
            other => panic!("unknown problem {other}"),
        };
        times.push((problem.clone(), clock.elapsed().as_secs_f64()));
        for r in &records {
            cells
                .entry((
                    r.problem.into(),
                    r.scenario.clone(),
                    r.rows,
                    metric_order(&r.metric),
                    r.metric.clone(),
                ))
                .or_default()
                .add(r);
            pooled.entry((r.problem.into(), r.rows)).or_default().add(r);
            if r.first {
                *windows.entry((r.problem.into(), r.rows)).or_default() += 1;
            }
        }
    }

    println!(
        "| problem | scenario | window rows | metric | windows | coverage % | MAE of estimate | mean sampling_error | mean realized |"
    );
    println!("|---|---|---:|---|---:|---:|---:|---:|---:|");
    let mut keys: Vec<_> = cells.keys().cloned().collect();
    keys.sort_by(|a, b| (&a.0, a.2, &a.1, a.3).cmp(&(&b.0, b.2, &b.1, b.3)));
    for key in keys {
        let c = &cells[&key];
        let n = c.windows as f64;
        println!(
            "| {} | {} | {} | {} | {} | {:.1} | {:.4} | {:.4} | {:.4} |",
            key.0,
            key.1,
            key.2,
            key.4,
            c.windows,
            c.coverage(),
            c.error / n,
            c.sampling_error / n,
            c.realized / n
        );
    }
    println!();
    println!(
        "| problem | window rows | windows | (window, metric) pairs | coverage % | binomial se over windows % |"
    );
    println!("|---|---:|---:|---:|---:|---:|");
    for ((problem, rows), c) in &pooled {
        let p = c.coverage() / 100.0;
        let windows = windows.get(&(problem.clone(), *rows)).copied().unwrap_or(0);
        println!(
            "| {problem} | {rows} | {windows} | {} | {:.1} | {:.2} |",
            c.windows,
            c.coverage(),
            100.0 * (p * (1.0 - p) / windows as f64).sqrt()
        );
    }
    println!();
    for (problem, seconds) in times {
        println!("{problem}: {seconds:.0} s");
    }
}

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
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use rand_distr::{Distribution, StandardNormal};
use rayon::prelude::*;

/// Rows of every classification reference.
const REFERENCE_ROWS: usize = 20_000;
/// Rows of every regression reference: the loss models are the slow part (each loss is learnt
/// 8 times, see `loss::HALVES`), so they learn from fewer rows and serve several windows.
const REGRESSION_REFERENCE_ROWS: usize = 10_000;
/// Windows per regression seed and scenario at each size.
const REGRESSION_WINDOWS: [(usize, usize); 3] = [(100, 10), (1_000, 8), (10_000, 4)];

fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `rows` draws of 5 independent normal inputs around `mu`, row-major.
fn inputs(rng: &mut StdRng, rows: usize, mu: &[f64; 5]) -> Vec<[f64; 5]> {
    (0..rows)
        .map(|_| std::array::from_fn(|j| mu[j] + normal(rng)))
        .collect()
}

fn normal(rng: &mut StdRng) -> f64 {
    StandardNormal.sample(rng)
}

fn dot(a: &[f64; 5], b: &[f64; 5]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

// Binary.
const W: [f64; 5] = [1.6, -1.2, 1.0, 0.8, 0.0];
const B: f64 = 0.5;

/// The inputs' mean per binary scenario: along `w` (the logit's mean up by 2) or at right angles
/// to it (1.5 sd along (0.6, 0.8, 0, 0, 0), whose product with `w` is 0).
fn binary_mu(scenario: &str) -> [f64; 5] {
    let w2 = dot(&W, &W);
    match scenario {
        "along" => W.map(|w| 2.0 * w / w2),
        "orthogonal" => [0.9, 1.2, 0.0, 0.0, 0.0],
        _ => [0.0; 5],
    }
}

/// `rows` binary rows: the truth drawn from `sigmoid(w.x + b)`, the model's score and its
/// prediction (score at least 0.5).
fn binary(rng: &mut StdRng, rows: usize, mu: &[f64; 5], calibrated: bool) -> Outcomes {
    let x = inputs(rng, rows, mu);
    let (mut truth, mut predicted, mut scores) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
    );
    for x in &x {
        let z = dot(&W, x) + B;
        truth.push(u32::from(rng.random::<f64>() < sigmoid(z)));
        let s = if calibrated {
            sigmoid(z)
        } else {
            sigmoid(0.5 * z + 0.4)
        };
        predicted.push(u32::from(s >= 0.5));
        scores.push(s);
    }
    Outcomes::Classification {
        truth,
        predicted,
        scores,
        columns: 1,
    }
}

// Multiclass.
const WM: [[f64; 5]; 3] = [
    [1.2, 0.0, 0.8, 0.0, 0.0],
    [-0.6, 1.2, 0.0, 0.6, 0.0],
    [-0.6, -1.2, -0.8, -0.6, 0.0],
];
const CM: [f64; 3] = [0.0, 0.3, -0.3];

fn multiclass_mu(scenario: &str) -> [f64; 5] {
    match scenario {
        "shift" => [0.8, -0.4, 0.0, 0.0, 0.0],
        _ => [0.0; 5],
    }
}

fn softmax(logits: [f64; 3]) -> [f64; 3] {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = logits.map(|l| (l - max).exp());
    let sum: f64 = e.iter().sum();
    e.map(|v| v / sum)
}

/// `rows` multiclass rows: the truth drawn from `softmax(logits)`, the model's probabilities
/// `softmax(tau logits)` and their argmax.
fn multiclass(rng: &mut StdRng, rows: usize, mu: &[f64; 5], tau: f64) -> Outcomes {
    let x = inputs(rng, rows, mu);
    let (mut truth, mut predicted, mut scores) = (
        Vec::with_capacity(rows),
        Vec::with_capacity(rows),
        Vec::with_capacity(rows * 3),
    );
    for x in &x {
        let logits: [f64; 3] = std::array::from_fn(|c| dot(&WM[c], x) + CM[c]);
        let p = softmax(logits);
        let u: f64 = rng.random();
        truth.push(if u < p[0] {
            0
        } else if u < p[0] + p[1] {
            1
        } else {
            2
        });
        let s = softmax(logits.map(|l| tau * l));
        let argmax = (0..3).fold(0, |best, c| if s[c] > s[best] { c } else { best });
        predicted.push(argmax as u32);
        scores.extend_from_slice(&s);
    }
    Outcomes::Classification {
        truth,
        predicted,
        scores,
        columns: 3,
    }
}

// Regression.
fn regression_mu(scenario: &str) -> [f64; 5] {
    match scenario {
        "shift" => [0.5, 0.0, 0.0, 0.0, 1.0],
        _ => [0.0; 5],
    }
}

/// `rows` regression rows: `y = f(x) + e` with `f` between 5.5 and 18.5 (so that no truth comes
/// near 0, where MAPE has no variance to speak of) and `sd(e) = 0.5 + sigmoid(1.5 x4)`, the
/// model's prediction (`f(x)`, or biased) and the inputs as feature columns.
fn regression(rng: &mut StdRng, rows: usize, mu: &[f64; 5], biased: bool) -> Outcomes {
    let x = inputs(rng, rows, mu);
    let (mut truth, mut predicted) = (Vec::with_capacity(rows), Vec::with_capacity(rows));
    for x in &x {
        let f = 12.0 + 3.0 * x[0].tanh() - 2.0 * x[1].tanh()
            + (2.0 * x[2]).sin()
            + 0.5 * (x[2] * x[3]).tanh();
        let sd = 0.5 + sigmoid(1.5 * x[4]);
        truth.push(f + sd * normal(rng));
        predicted.push(if biased { f + 0.3 + 0.2 * x[1] } else { f });
    }
    let features = (0..5).map(|j| x.iter().map(|r| r[j]).collect()).collect();
    Outcomes::Regression {
        truth,
        predicted,
        features,
    }
}

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

//! Simulated models whose truth is known, shared by the coverage tests (`tests/performance.rs`)
//! and the full sweep (`examples/performance_sweep.rs`, which includes this file): 5 normal
//! inputs, a binary model (calibrated or not), a 3-class one (calibrated or overconfident) and a
//! regressor (exact or biased), each with the scenarios that move its inputs.

use driftscan::drift::performance::Outcomes;
use rand::Rng;
use rand::rngs::StdRng;
use rand_distr::{Distribution, StandardNormal};

pub fn sigmoid(z: f64) -> f64 {
    1.0 / (1.0 + (-z).exp())
}

/// `rows` draws of 5 independent normal inputs around `mu`, row-major.
pub fn inputs(rng: &mut StdRng, rows: usize, mu: &[f64; 5]) -> Vec<[f64; 5]> {
    (0..rows)
        .map(|_| std::array::from_fn(|j| mu[j] + normal(rng)))
        .collect()
}

pub fn normal(rng: &mut StdRng) -> f64 {
    StandardNormal.sample(rng)
}

pub fn dot(a: &[f64; 5], b: &[f64; 5]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

// Binary.
pub const W: [f64; 5] = [1.6, -1.2, 1.0, 0.8, 0.0];
pub const B: f64 = 0.5;

/// The inputs' mean per binary scenario: along `w` (the logit's mean up by 2) or at right angles
/// to it (1.5 sd along (0.6, 0.8, 0, 0, 0), whose product with `w` is 0).
pub fn binary_mu(scenario: &str) -> [f64; 5] {
    let w2 = dot(&W, &W);
    match scenario {
        "along" => W.map(|w| 2.0 * w / w2),
        "orthogonal" => [0.9, 1.2, 0.0, 0.0, 0.0],
        _ => [0.0; 5],
    }
}

/// `rows` binary rows: the truth drawn from `sigmoid(w.x + b)`, the model's score and its
/// prediction (score at least 0.5).
pub fn binary(rng: &mut StdRng, rows: usize, mu: &[f64; 5], calibrated: bool) -> Outcomes {
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
pub const WM: [[f64; 5]; 3] = [
    [1.2, 0.0, 0.8, 0.0, 0.0],
    [-0.6, 1.2, 0.0, 0.6, 0.0],
    [-0.6, -1.2, -0.8, -0.6, 0.0],
];
pub const CM: [f64; 3] = [0.0, 0.3, -0.3];

pub fn multiclass_mu(scenario: &str) -> [f64; 5] {
    match scenario {
        "shift" => [0.8, -0.4, 0.0, 0.0, 0.0],
        _ => [0.0; 5],
    }
}

pub fn softmax(logits: [f64; 3]) -> [f64; 3] {
    let max = logits.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let e = logits.map(|l| (l - max).exp());
    let sum: f64 = e.iter().sum();
    e.map(|v| v / sum)
}

/// `rows` multiclass rows: the truth drawn from `softmax(logits)`, the model's probabilities
/// `softmax(tau logits)` and their argmax.
pub fn multiclass(rng: &mut StdRng, rows: usize, mu: &[f64; 5], tau: f64) -> Outcomes {
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
pub fn regression_mu(scenario: &str) -> [f64; 5] {
    match scenario {
        "shift" => [0.5, 0.0, 0.0, 0.0, 1.0],
        _ => [0.0; 5],
    }
}

/// `rows` regression rows: `y = f(x) + e` with `f` between 5.5 and 18.5 (so that no truth comes
/// near 0, where MAPE has no variance to speak of) and `sd(e) = 0.5 + sigmoid(1.5 x4)`, the
/// model's prediction (`f(x)`, or biased) and the inputs as feature columns.
pub fn regression(rng: &mut StdRng, rows: usize, mu: &[f64; 5], biased: bool) -> Outcomes {
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

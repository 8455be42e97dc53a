//! False-alarm rate and power of the prediction-drift signal over many seeds: the measurements
//! behind the table in `docs/signals.md`.
//!
//! ```text
//! cargo run --release --example prediction_sweep -- [seeds] [rows,rows,...]
//! ```
//!
//! Three outputs per side: `proba` (logistic of a normal score), `label` (0 or 1, its own share)
//! and `tier` (three text classes). Scenarios: `unchanged`, `proba` (the score's mean moved by
//! 0.05 sd: at the edge of what the thresholds let through), `label` (class 1 from 30 % to 33 %).
//! Per size and scenario it prints the share of seeds in which the signal failed, the share in
//! which a column that did not change failed, and the largest thresholded metric as a share of
//! its threshold.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, Float64Array, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchIterator};
use driftscan::base::rng::SplitMix64;
use driftscan::detector::signals::PredictionDriftConfig;
use driftscan::drift::prediction;
use driftscan::drift::significance::SignificanceOptions;
use driftscan::pipeline::local::profile_batches;
use driftscan::profile::{Profile, ProfileOptions};

fn normal(rng: &mut SplitMix64) -> f64 {
    let u = rng.unit().max(1e-300);
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

#[derive(Clone, Copy)]
struct Model {
    score_shift: f64,
    positive: f64,
}

const UNCHANGED: Model = Model {
    score_shift: 0.0,
    positive: 0.3,
};

fn outputs(rows: usize, model: Model, rng: &mut SplitMix64) -> Profile {
    let proba: Vec<f64> = (0..rows)
        .map(|_| 1.0 / (1.0 + (1.0 - normal(rng) - model.score_shift).exp()))
        .collect();
    let label: Vec<f64> = (0..rows)
        .map(|_| f64::from(u8::from(rng.unit() < model.positive)))
        .collect();
    let tier: Vec<&str> = (0..rows)
        .map(|_| match rng.unit() {
            u if u < 0.5 => "gold",
            u if u < 0.8 => "silver",
            _ => "bronze",
        })
        .collect();
    let schema = Arc::new(Schema::new(vec![
        Field::new("proba", DataType::Float64, true),
        Field::new("label", DataType::Float64, true),
        Field::new("tier", DataType::Utf8, true),
    ]));
    let columns: Vec<ArrayRef> = vec![
        Arc::new(Float64Array::from(proba)),
        Arc::new(Float64Array::from(label)),
        Arc::new(StringArray::from(tier)),
    ];
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).expect("batch");
    let reader = RecordBatchIterator::new(vec![Ok(batch)], schema);
    profile_batches(
        "outputs",
        "<outputs>",
        Box::new(reader),
        &ProfileOptions::default(),
    )
    .expect("profile")
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(200);
    let sizes: Vec<usize> = args
        .get(1)
        .map(|s| s.split(',').filter_map(|n| n.parse().ok()).collect())
        .unwrap_or_else(|| vec![30, 1_000, 100_000]);
    let config = PredictionDriftConfig {
        columns: vec!["proba".into(), "label".into(), "tier".into()],
        ..PredictionDriftConfig::default()
    };
    let scenarios = [
        ("unchanged", UNCHANGED, None),
        (
            "proba",
            Model {
                score_shift: 0.05,
                ..UNCHANGED
            },
            Some("proba"),
        ),
        (
            "label",
            Model {
                positive: 0.33,
                ..UNCHANGED
            },
            Some("label"),
        ),
    ];
    println!(
        "rows\tscenario\tseeds\tfailed\twrong column\tlargest metric / threshold\tms per seed"
    );
    for &rows in &sizes {
        for (name, model, changed) in scenarios {
            let (mut failed, mut wrong, mut largest) = (0u64, 0u64, 0.0f64);
            let clock = Instant::now();
            for seed in 0..seeds {
                let mut rng = SplitMix64::new(0x5eed_0000 + seed);
                let reference = outputs(rows, UNCHANGED, &mut rng);
                let production = outputs(rows, model, &mut rng);
                let signal = prediction::evaluate(
                    &reference,
                    &production,
                    &config,
                    &SignificanceOptions::default(),
                );
                failed += u64::from(!signal.passed);
                wrong += u64::from(
                    signal
                        .failing_features()
                        .any(|f| Some(f.name.as_str()) != changed),
                );
                for f in &signal.features {
                    for m in &f.metrics {
                        if let Some(t) = m.threshold.filter(|t| *t > 0.0) {
                            largest = largest.max(m.value / t);
                        }
                    }
                }
            }
            println!(
                "{rows}\t{name}\t{seeds}\t{:.1} %\t{:.1} %\t{largest:.3}\t{:.0}",
                100.0 * failed as f64 / seeds as f64,
                100.0 * wrong as f64 / seeds as f64,
                clock.elapsed().as_secs_f64() * 1000.0 / seeds as f64
            );
        }
    }
}

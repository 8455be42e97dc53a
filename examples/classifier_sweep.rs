//! False-alarm rate, power and time of the domain classifier over many seeds: the measurements
//! behind the model parameters in `docs/classifier.md`.
//!
//! ```text
//! cargo run --release --example classifier_sweep -- [seeds] [rows,rows,...] [key=value ...]
//! ```
//!
//! Keys: `iterations`, `depth`, `lr`, `leaf` (min leaf hessian), `subsample`, `colsample`,
//! `nbins` (the large-sample model's); `small.trees`, `small.leaf`, `small.depth`, `small.mtry`,
//! `small.bins` (the small-sample forest's); `shift` (the `shift` scenario's sd above 100 rows per
//! side, default 0.5); `folds`, `level`, `perms` (label permutations), `permrows` (rows
//! per side up to which the null is permuted), `stat` (`auc` or `mcc`: the permutation test's
//! statistic), `floorgate` (`true` or `false`), `scenarios` (a comma-separated subset). Scenarios (5 standard normal features unless said):
//!
//! * `none`: both sides from the same distribution;
//! * `shift`: `f2` shifted by 1.5 sd at 30 rows per side, 1 sd at 100, 0.5 sd above (`shift`);
//! * `seasonal`: `f0` and `f1` correlated 0.9, both shifted by 1.5 sd (summer temperatures).
//!
//! Per size and scenario it prints the share of seeds with a p-value at most the level, with
//! coefficient > 0.05 and > 0.2, the
//! share with coefficient > 0.2 and a drifted feature on top, the median coefficient, the mean
//! noise floor and the median time of one `score` call.

use std::time::Instant;

use driftscan::base::rng::SplitMix64;
use driftscan::drift::classifier::{
    self, ClassifierOptions, FeatureSpec, ForestParams, ModelParams, PermutationStatistic,
};
use driftscan::profile::sample::{RowSample, SampleColumn};

fn normal(rng: &mut SplitMix64) -> f64 {
    let u = rng.unit().max(1e-300);
    let v = rng.unit();
    (-2.0 * u.ln()).sqrt() * (2.0 * std::f64::consts::PI * v).cos()
}

/// `rows` rows of 5 features; `shift` moves `shifted` features, `rho` correlates f0 and f1.
fn sample(rows: usize, rng: &mut SplitMix64, shift: f64, shifted: &[usize], rho: f64) -> RowSample {
    let mut cols: Vec<Vec<f64>> = (0..5)
        .map(|_| (0..rows).map(|_| normal(rng)).collect())
        .collect();
    if rho != 0.0 {
        let (a, b) = (cols[0].clone(), cols[1].clone());
        cols[1] = a
            .iter()
            .zip(&b)
            .map(|(x, z)| rho * x + (1.0 - rho * rho).sqrt() * z)
            .collect();
    }
    for &f in shifted {
        cols[f].iter_mut().for_each(|v| *v += shift);
    }
    RowSample {
        capacity: rows,
        priorities: (0..rows as u64).collect(),
        names: (0..5).map(|i| format!("f{i}")).collect(),
        columns: cols.into_iter().map(SampleColumn::Numeric).collect(),
    }
}

/// Sets one model key; false when `key` is not a model key.
fn set_model(model: &mut ModelParams, key: &str, v: &str) -> bool {
    match key {
        "iterations" => model.iterations = v.parse().unwrap(),
        "depth" => model.max_depth = v.parse().unwrap(),
        "lr" => model.learning_rate = v.parse().unwrap(),
        "leaf" => model.min_leaf_weight = v.parse().unwrap(),
        "subsample" => model.subsample = v.parse().unwrap(),
        "colsample" => model.colsample = v.parse().unwrap(),
        "nbins" => model.nbins = v.parse().unwrap(),
        _ => return false,
    }
    true
}

/// Sets one forest key; false when `key` is not a forest key.
fn set_forest(forest: &mut ForestParams, key: &str, v: &str) -> bool {
    match key {
        "trees" => forest.trees = v.parse().unwrap(),
        "leaf" => forest.min_leaf = v.parse().unwrap(),
        "depth" => forest.max_depth = v.parse().unwrap(),
        "mtry" => forest.max_features = v.parse().unwrap(),
        "bins" => forest.bins = v.parse().unwrap(),
        _ => return false,
    }
    true
}

fn median(v: &mut [f64]) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let seeds: u64 = args.first().and_then(|s| s.parse().ok()).unwrap_or(200);
    let sizes: Vec<usize> = args
        .get(1)
        .map(|s| s.split(',').filter_map(|v| v.parse().ok()).collect())
        .unwrap_or_else(|| vec![30, 100, 1_000, 10_000]);
    let mut options = ClassifierOptions::default();
    let mut only: Option<Vec<String>> = None;
    let mut large_shift = 0.5;
    // `small.` prefixes a key of the small-sample forest.
    for kv in args.iter().skip(2) {
        if let Some(rest) = kv.strip_prefix("small.") {
            let (k, v) = rest.split_once('=').expect("key=value");
            assert!(
                set_forest(&mut options.small_sample_model, k, v),
                "unknown key small.{k}"
            );
            continue;
        }
        let (k, v) = kv.split_once('=').expect("key=value");
        if set_model(&mut options.model, k, v) {
            continue;
        }
        match k {
            "stat" => {
                options.statistic = match v {
                    "auc" => PermutationStatistic::Auc,
                    "mcc" => PermutationStatistic::Mcc,
                    _ => panic!("stat is auc or mcc"),
                }
            }
            "floorgate" => options.floor_gate = v.parse().unwrap(),
            "folds" => options.folds = v.parse().unwrap(),
            "shift" => large_shift = v.parse().unwrap(),
            "level" => options.significance_level = v.parse().unwrap(),
            "perms" => options.permutations = v.parse().unwrap(),
            "permrows" => options.max_rows_permutation = v.parse().unwrap(),
            "scenarios" => only = Some(v.split(',').map(str::to_string).collect()),
            _ => panic!("unknown key {k}"),
        }
    }
    println!("large samples: {}", options.model.describe());
    println!("small samples: {}", options.small_sample_model.describe());
    println!(
        "{:>7} {:>9} {:>8} {:>8} {:>10} {:>8} {:>8} {:>8} {:>9}",
        "rows", "scenario", "p<=level", ">0.05", ">0.2", ">0.2+top", "median", "floor", "ms"
    );
    let specs: Vec<FeatureSpec> = (0..5)
        .map(|i| FeatureSpec::numeric(format!("f{i}")))
        .collect();
    for &rows in &sizes {
        let shift = match rows {
            0..=30 => 1.5,
            31..=100 => 1.0,
            _ => large_shift,
        };
        for (scenario, amount, shifted, rho) in [
            ("none", 0.0, vec![], 0.0),
            ("shift", shift, vec![2], 0.0),
            ("seasonal", 1.5, vec![0, 1], 0.9),
        ] {
            let chosen = only
                .as_ref()
                .is_none_or(|o| o.iter().any(|s| s == scenario));
            if !chosen || (rows > 1_000 && scenario == "seasonal") {
                continue;
            }
            let (mut significant, mut over5, mut over20, mut found) = (0, 0, 0, 0);
            let (mut coefs, mut floors, mut times) = (Vec::new(), Vec::new(), Vec::new());
            for seed in 0..seeds {
                let mut rng = SplitMix64::new(seed * 7919 + rows as u64);
                let base = sample(rows, &mut rng, 0.0, &[], rho);
                let target = sample(rows, &mut rng, amount, &shifted, rho);
                let o = ClassifierOptions {
                    seed,
                    ..options.clone()
                };
                let t = Instant::now();
                let out = classifier::score(&base, &target, &specs, &o).expect("score");
                times.push(t.elapsed().as_secs_f64() * 1000.0);
                let top = out
                    .contributions
                    .iter()
                    .enumerate()
                    .max_by(|a, b| a.1.1.total_cmp(&b.1.1))
                    .map(|(i, _)| i)
                    .unwrap_or(0);
                significant += (out.p_value <= o.significance_level) as usize;
                over5 += (out.coefficient > 0.05) as usize;
                over20 += (out.coefficient > 0.2) as usize;
                found += (out.coefficient > 0.2 && shifted.contains(&top)) as usize;
                coefs.push(out.coefficient);
                floors.push(out.summary.noise_floor.max);
            }
            let pct = |c: usize| 100.0 * c as f64 / seeds as f64;
            println!(
                "{:>7} {:>9} {:>7.1}% {:>7.1}% {:>7.1}% {:>9.1}% {:>8.3} {:>8.3} {:>9.2}",
                rows,
                scenario,
                pct(significant),
                pct(over5),
                pct(over20),
                pct(found),
                median(&mut coefs),
                floors.iter().sum::<f64>() / floors.len() as f64,
                median(&mut times)
            );
        }
    }
}

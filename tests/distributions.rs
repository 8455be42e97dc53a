//! Plotting distributions against numpy and scipy: `tests/data/reference/distributions.json` was
//! written by `scripts/reference/distributions.py` (numpy.histogram, scipy.stats.gaussian_kde) on
//! samples this file regenerates bit for bit.

use driftscan::drift::distributions::{self, NumericSide};
use driftscan::drift::result::Distribution;
use driftscan::profile::sketch::ValueSketch;
use serde_json::Value;

const FIXTURE: &str = "tests/data/reference/distributions.json";

/// SplitMix64, as in the reference script.
fn splitmix(seed: u64, count: usize) -> Vec<u64> {
    (1..=count as u64)
        .map(|i| {
            let mut z = seed.wrapping_add(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
            z ^ (z >> 31)
        })
        .collect()
}

/// The values of one side, as `generate` in the reference script computes them.
pub(crate) fn generate(spec: &Value) -> Vec<f64> {
    let kind = spec["kind"].as_str().expect("kind");
    let n = spec["n"].as_u64().expect("n") as usize;
    let seed = spec["seed"].as_u64().expect("seed");
    let scale = spec["scale"].as_f64().expect("scale");
    let shift = spec["shift"].as_f64().expect("shift");
    let count = match kind {
        "normal" | "square" => 12 * n,
        "integer" => 8 * n,
        _ => n,
    };
    let u20: Vec<i64> = splitmix(seed, count)
        .into_iter()
        .map(|z| (z >> 44) as i64)
        .collect();
    let values: Vec<f64> = match kind {
        "normal" | "square" => u20
            .chunks(12)
            .map(|c| {
                let x = c.iter().sum::<i64>() as f64 / 1_048_576.0 - 6.0;
                if kind == "square" { x * x } else { x }
            })
            .collect(),
        "pareto" => u20
            .iter()
            .map(|&u| 1_048_576.0 / (u as f64 + 1.0))
            .collect(),
        "integer" => u20
            .chunks(8)
            .map(|c| c.iter().map(|&u| u >> 17).sum::<i64>() as f64)
            .collect(),
        other => panic!("unknown kind {other}"),
    };
    values.into_iter().map(|x| x * scale + shift).collect()
}

fn floats(v: &Value) -> Vec<f64> {
    v.as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn sketch(values: &[f64]) -> ValueSketch {
    let mut s = ValueSketch::default();
    values.iter().for_each(|&v| s.insert(v));
    s.flush();
    s
}

fn check_fixture(doc: &Value) {
    let cases = doc["cases"].as_array().expect("cases");
    assert!(cases.len() >= 6);
    for case in cases {
        let name = case["name"].as_str().expect("name");
        let a = generate(&case["baseline"]);
        let b = generate(&case["target"]);
        for (values, side) in [(&a, "baseline_result"), (&b, "target_result")] {
            assert_eq!(
                &values[..3],
                &floats(&case[side]["first_values"])[..],
                "{name}: the generators disagree"
            );
        }
        let (sa, sb) = (sketch(&a), sketch(&b));
        let exact = sa.is_exact() && sb.is_exact();
        let d = distributions::numeric(
            NumericSide {
                sketch: &sa,
                std: case["baseline_result"]["std"].as_f64().unwrap(),
            },
            NumericSide {
                sketch: &sb,
                std: case["target_result"]["std"].as_f64().unwrap(),
            },
        )
        .expect("distribution");
        let Distribution::Numeric { histogram, kde } = d else {
            panic!("{name}: expected a numeric distribution")
        };

        let edges = floats(&case["edges"]);
        let width = edges[30] - edges[0];
        // Exact sketches give numpy's quantiles up to rounding; wide buckets move them a little.
        let edge_tolerance = if exact { 1e-12 } else { 1e-3 } * width;
        for (mine, theirs) in histogram.edges.iter().zip(&edges) {
            assert!(
                (mine - theirs).abs() <= edge_tolerance,
                "{name}: edge {mine} vs numpy {theirs}"
            );
        }
        for (mine, theirs) in kde.grid.iter().zip(floats(&case["grid"])) {
            assert!((mine - theirs).abs() <= edge_tolerance, "{name}: grid");
        }

        for (counts, outside, density, bw, side, n) in [
            (
                &histogram.baseline,
                histogram.outside.baseline,
                &kde.baseline,
                kde.bandwidth.baseline,
                "baseline_result",
                a.len(),
            ),
            (
                &histogram.target,
                histogram.outside.target,
                &kde.target,
                kde.bandwidth.target,
                "target_result",
                b.len(),
            ),
        ] {
            let want = floats(&case[side]["counts"]);
            let want_outside = floats(&case[side]["outside"]);
            if exact {
                assert_eq!(counts, &want, "{name} {side}: histogram counts");
                assert_eq!(
                    (outside.0 as f64, outside.1 as f64),
                    (want_outside[0], want_outside[1]),
                    "{name} {side}: outside"
                );
            } else {
                // Wide buckets straddling an edge, and edges from the sketch's quantiles: a few
                // values may sit in a neighbouring bin (measured: at most 15 of 200,000).
                for (i, (m, w)) in counts.iter().zip(&want).enumerate() {
                    assert!(
                        (m - w).abs() <= 2e-4 * n as f64,
                        "{name} {side}: bin {i}: {m} vs numpy {w}"
                    );
                }
            }
            let want_bw = case[side]["bandwidth"].as_f64().unwrap();
            assert!(
                (bw - want_bw).abs() <= 1e-9 * want_bw,
                "{name} {side}: bandwidth {bw} vs scipy {want_bw}"
            );
            let want_density = floats(&case[side]["density"]);
            let peak = want_density.iter().copied().fold(0.0, f64::max);
            let worst = density
                .iter()
                .zip(&want_density)
                .map(|(m, w)| (m - w).abs())
                .fold(0.0, f64::max);
            // Measured: 3e-5 of the peak on exact sketches, 1.3e-4 on the inexact one.
            assert!(
                worst <= 0.001 * peak,
                "{name} {side}: KDE off by {worst} with peak {peak}"
            );
        }
    }
}

#[test]
fn histogram_and_kde_match_numpy_and_scipy_on_the_committed_fixture() {
    let text = std::fs::read_to_string(FIXTURE).expect("read the reference fixture");
    let doc: Value = serde_json::from_str(&text).expect("fixture is JSON");
    check_fixture(&doc);
}

/// Regenerates the fixture with the reference script, so a change in the script or in numpy/scipy
/// cannot leave the committed values stale.
#[test]
fn reference_script_still_produces_the_fixture() {
    let Some(fresh) = crate::harness::run_reference_script("scripts/reference/distributions.py")
    else {
        return;
    };
    check_fixture(&fresh);
    let committed: Value =
        serde_json::from_str(&std::fs::read_to_string(FIXTURE).expect("fixture")).unwrap();
    for (f, c) in fresh["cases"]
        .as_array()
        .unwrap()
        .iter()
        .zip(committed["cases"].as_array().unwrap())
    {
        assert_eq!(f["edges"], c["edges"], "{}: edges changed", c["name"]);
        for side in ["baseline_result", "target_result"] {
            assert_eq!(
                f[side]["counts"], c[side]["counts"],
                "{}: counts changed",
                c["name"]
            );
        }
    }
}

//! Distributions for plotting: each feature's baseline and target on shared axes, computed from
//! the profiles alone (sketches and category counts), so a cached baseline profile is enough.
//!
//! # Numeric features
//!
//! * **Histogram.** [`HISTOGRAM_BINS`] equal-width bins from the smaller of the two sides' 0.5 %
//!   quantiles to the larger of their 99.5 % quantiles, so one extreme value does not squash the
//!   plot. When that range is empty the bins span the smallest to the largest value, and when all
//!   values are equal, that value ± 0.5 (as `numpy.histogram` does). Counts are what
//!   `numpy.histogram(values, bins=edges)` gives: bin `i` holds `edges[i] <= x < edges[i+1]`,
//!   the last bin also holds its right edge; values outside the edges are counted per side. From
//!   a sketch, an exact bucket is a point; a wide bucket's count is split over the bins in
//!   proportion to overlap, so counts are exact when the sketch is exact and otherwise off by at
//!   most the counts of the buckets that straddle an edge.
//! * **KDE.** A Gaussian kernel density on [`KDE_POINTS`] points spanning the histogram range,
//!   one bandwidth per side by Scott's rule, `std(ddof=1) * n^(-1/5)`, which is what
//!   `scipy.stats.gaussian_kde(values)` uses. The sketch's mass is linearly binned onto a fine
//!   grid (at least [`KDE_FINE_GRID`] points, spacing at most a quarter bandwidth, padded by
//!   [`KDE_PAD_BANDWIDTHS`] bandwidths) and the kernels are summed from there. Linear binning with
//!   that spacing moves the density by at most 3e-5 of its peak on the reference fixtures
//!   (1.3e-4 where the sketch itself is inexact, on 200,000 values); the tests hold it to 0.1 %. A side with fewer than 2 values or no spread has no density (zeros, bandwidth 0).
//!
//! # Categorical features
//!
//! Shares of each side's rows (missing rows included, so each side sums to 1) for the
//! [`TOP_CATEGORIES`] categories with the largest combined share (baseline share + target share,
//! ties by label), then [`OTHER_LABEL`] for the rest, then [`MISSING_LABEL`] when either side has
//! missing values.

use std::collections::HashMap;

use crate::drift::result::{Distribution, Histogram, Kde, SideBySide};
use crate::profile::sketch::ValueSketch;

/// Bins of the numeric histogram.
pub const HISTOGRAM_BINS: usize = 30;
/// Points of the KDE grid.
pub const KDE_POINTS: usize = 128;
/// Fewest points of the fine grid the KDE is binned onto.
pub const KDE_FINE_GRID: usize = 2048;
/// Most points of the fine grid (bounds memory and time when the bandwidth is tiny against the range).
pub const KDE_MAX_FINE_GRID: usize = 1 << 18;
/// Kernels are cut this many bandwidths from their centre (the Gaussian is 4e-6 of its peak there).
pub const KDE_PAD_BANDWIDTHS: f64 = 5.0;
/// Categories shown by name; the rest are summed into [`OTHER_LABEL`].
pub const TOP_CATEGORIES: usize = 20;
/// Label of the categories beyond the top ones.
pub const OTHER_LABEL: &str = "(other)";
/// Label of missing values.
pub const MISSING_LABEL: &str = "(missing)";

/// Why a distribution could not be computed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum DistributionError {
    /// A standard deviation given for the KDE is negative or not a number.
    #[error("distributions: {side} standard deviation must be a finite number >= 0, got {value}")]
    InvalidStd {
        /// `baseline` or `target`.
        side: &'static str,
        /// The value given.
        value: f64,
    },
}

/// One side of a numeric feature: its sketch and its sample standard deviation (ddof = 1), which
/// the sketch cannot give exactly and the profile keeps.
#[derive(Debug, Clone, Copy)]
pub struct NumericSide<'a> {
    /// Sketch of the finite values (flushed).
    pub sketch: &'a ValueSketch,
    /// `std(values, ddof=1)`; NaN or anything when fewer than 2 values.
    pub std: f64,
}

/// Sample standard deviation (ddof = 1) from the population one (ddof = 0) of `n` values.
pub fn sample_std(population_std: f64, n: u64) -> f64 {
    if n < 2 {
        return f64::NAN;
    }
    population_std * (n as f64 / (n - 1) as f64).sqrt()
}

/// Histogram and KDE of a numeric feature on shared axes; [`Distribution::Empty`] when neither
/// side has a finite value.
pub fn numeric(
    baseline: NumericSide<'_>,
    target: NumericSide<'_>,
) -> Result<Distribution, DistributionError> {
    let sides = [("baseline", &baseline), ("target", &target)];
    for (name, side) in sides {
        if side.sketch.count() >= 2 && !(side.std.is_finite() && side.std >= 0.0) {
            return Err(DistributionError::InvalidStd {
                side: name,
                value: side.std,
            });
        }
    }
    let Some(edges) = shared_edges(baseline.sketch, target.sketch) else {
        return Ok(Distribution::Empty);
    };
    let (b_counts, b_out) = histogram_counts(baseline.sketch, &edges);
    let (t_counts, t_out) = histogram_counts(target.sketch, &edges);
    let (lo, hi) = (edges[0], edges[HISTOGRAM_BINS]);
    let grid = linspace(lo, hi, KDE_POINTS);
    let (b_density, b_bw) = kde(baseline.sketch, baseline.std, &grid);
    let (t_density, t_bw) = kde(target.sketch, target.std, &grid);
    Ok(Distribution::Numeric {
        histogram: Histogram {
            edges,
            baseline: b_counts,
            target: t_counts,
            outside: SideBySide {
                baseline: b_out,
                target: t_out,
            },
        },
        kde: Kde {
            grid,
            baseline: b_density,
            target: t_density,
            bandwidth: SideBySide {
                baseline: b_bw,
                target: t_bw,
            },
        },
    })
}

/// `numpy.linspace(lo, hi, n)`, bit for bit: `i * step + lo`, the last point set to `hi`.
fn linspace(lo: f64, hi: f64, n: usize) -> Vec<f64> {
    let step = (hi - lo) / (n - 1) as f64;
    let mut v: Vec<f64> = (0..n).map(|i| i as f64 * step + lo).collect();
    if let Some(last) = v.last_mut() {
        *last = hi;
    }
    v
}

/// The shared bin edges (see the module docs); `None` when both sides are empty.
fn shared_edges(a: &ValueSketch, b: &ValueSketch) -> Option<Vec<f64>> {
    let present: Vec<&ValueSketch> = [a, b].into_iter().filter(|s| s.count() > 0).collect();
    if present.is_empty() {
        return None;
    }
    let fold = |f: &dyn Fn(&ValueSketch) -> f64, pick: fn(f64, f64) -> f64| {
        present
            .iter()
            .map(|s| f(s))
            .reduce(pick)
            .unwrap_or(f64::NAN)
    };
    let mut lo = fold(&|s| s.quantile(0.005), f64::min);
    let mut hi = fold(&|s| s.quantile(0.995), f64::max);
    if !(hi > lo) {
        lo = fold(&|s| s.min(), f64::min);
        hi = fold(&|s| s.max(), f64::max);
    }
    if !(hi > lo) {
        // All values equal: numpy.histogram's default range for that case.
        lo -= 0.5;
        hi += 0.5;
    }
    Some(linspace(lo, hi, HISTOGRAM_BINS + 1))
}

/// Counts per bin (numpy's rule) and the counts below and above the edges.
fn histogram_counts(sketch: &ValueSketch, edges: &[f64]) -> (Vec<f64>, (u64, u64)) {
    let bins = edges.len() - 1;
    let (first, last) = (edges[0], edges[bins]);
    let mut counts = vec![0.0; bins];
    let (mut below, mut above) = (0.0f64, 0.0f64);
    if sketch.count() == 0 {
        return (counts, (0, 0));
    }
    // Bin of a point: the last edge <= x, the right edge belonging to the last bin.
    let bin_of = |x: f64| -> usize {
        let i = edges.partition_point(|&e| e <= x);
        i.saturating_sub(1).min(bins - 1)
    };
    for bucket in sketch.buckets() {
        let c = bucket.count as f64;
        if bucket.lo == bucket.hi {
            let x = bucket.lo;
            if x < first {
                below += c;
            } else if x > last {
                above += c;
            } else {
                counts[bin_of(x)] += c;
            }
            continue;
        }
        // Mass spread evenly on [lo, hi]: share it by overlap.
        let width = bucket.hi - bucket.lo;
        let share = |a: f64, b: f64| c * ((b.min(bucket.hi) - a.max(bucket.lo)).max(0.0) / width);
        below += share(f64::NEG_INFINITY, first);
        above += share(last, f64::INFINITY);
        let (i0, i1) = (bin_of(bucket.lo.max(first)), bin_of(bucket.hi.min(last)));
        for i in i0..=i1 {
            counts[i] += share(edges[i], edges[i + 1]);
        }
    }
    (counts, (below.round() as u64, above.round() as u64))
}

/// Density of one side on `grid` and its bandwidth; zeros and 0 when undefined.
fn kde(sketch: &ValueSketch, std: f64, grid: &[f64]) -> (Vec<f64>, f64) {
    let n = sketch.count();
    let zeros = vec![0.0; grid.len()];
    if n < 2 || !(std.is_finite() && std > 0.0) {
        return (zeros, 0.0);
    }
    let bw = std * (n as f64).powf(-0.2);
    if !(bw > 0.0 && bw.is_finite()) {
        return (zeros, 0.0);
    }
    let (g_lo, g_hi) = (grid[0], grid[grid.len() - 1]);
    let pad = KDE_PAD_BANDWIDTHS * bw;
    let (f_lo, f_hi) = (g_lo - pad, g_hi + pad);
    let span = f_hi - f_lo;
    let points = ((span / (bw / 4.0)).ceil() as usize + 1).clamp(KDE_FINE_GRID, KDE_MAX_FINE_GRID);
    let delta = span / (points - 1) as f64;

    // Linear binning: each unit of mass at x goes to its two neighbouring fine-grid points.
    let mut mass = vec![0.0f64; points];
    let mut deposit = |x: f64, m: f64| {
        let pos = (x - f_lo) / delta;
        if !(pos >= 0.0 && pos <= (points - 1) as f64) {
            return; // More than `pad` from every grid point: its kernel is cut there anyway.
        }
        let i = (pos.floor() as usize).min(points - 2);
        let frac = pos - i as f64;
        mass[i] += m * (1.0 - frac);
        mass[i + 1] += m * frac;
    };
    for bucket in sketch.buckets() {
        let c = bucket.count as f64;
        let width = bucket.hi - bucket.lo;
        if width <= delta {
            deposit((bucket.lo + bucket.hi) / 2.0, c);
            continue;
        }
        // A wide bucket: its even spread as points half a fine step apart, clipped to the grid.
        let (lo, hi) = (bucket.lo.max(f_lo), bucket.hi.min(f_hi));
        if hi <= lo {
            continue;
        }
        let inside = c * (hi - lo) / width;
        let parts = (((hi - lo) / delta * 2.0).ceil() as usize).max(1);
        let step = (hi - lo) / parts as f64;
        for k in 0..parts {
            deposit(lo + (k as f64 + 0.5) * step, inside / parts as f64);
        }
    }

    // Sum the kernels of the fine grid within `pad` of each output point.
    let reach = (pad / delta).ceil() as isize;
    let norm = 1.0 / (n as f64 * bw * (2.0 * std::f64::consts::PI).sqrt());
    let density = grid
        .iter()
        .map(|&x| {
            let centre = ((x - f_lo) / delta).round() as isize;
            let from = (centre - reach).max(0) as usize;
            let to = ((centre + reach) as usize).min(points - 1);
            let mut sum = 0.0;
            for (j, &m) in mass.iter().enumerate().take(to + 1).skip(from) {
                if m != 0.0 {
                    let z = (x - (f_lo + j as f64 * delta)) / bw;
                    sum += m * (-0.5 * z * z).exp();
                }
            }
            sum * norm
        })
        .collect();
    (density, bw)
}

/// Category frequencies of both sides (see the module docs). `baseline` and `target` are
/// `(label, count)` pairs (a label listed twice is summed); `*_missing` are the missing rows.
/// [`Distribution::Empty`] when both sides have no rows.
pub fn categorical<S: AsRef<str>>(
    baseline: &[(S, u64)],
    baseline_missing: u64,
    target: &[(S, u64)],
    target_missing: u64,
) -> Distribution {
    let b_total = baseline.iter().map(|c| c.1).sum::<u64>() + baseline_missing;
    let t_total = target.iter().map(|c| c.1).sum::<u64>() + target_missing;
    if b_total == 0 && t_total == 0 {
        return Distribution::Empty;
    }
    let share = |count: u64, total: u64| {
        if total == 0 {
            0.0
        } else {
            count as f64 / total as f64
        }
    };
    // label -> (baseline count, target count)
    let mut counts: HashMap<&str, (u64, u64)> = HashMap::new();
    for (label, c) in baseline {
        counts.entry(label.as_ref()).or_default().0 += c;
    }
    for (label, c) in target {
        counts.entry(label.as_ref()).or_default().1 += c;
    }
    let mut rows: Vec<(&str, f64, f64)> = counts
        .into_iter()
        .filter(|(_, (b, t))| b + t > 0)
        .map(|(label, (b, t))| (label, share(b, b_total), share(t, t_total)))
        .collect();
    rows.sort_by(|x, y| {
        (y.1 + y.2)
            .total_cmp(&(x.1 + x.2))
            .then_with(|| x.0.cmp(y.0))
    });
    let rest = rows.split_off(rows.len().min(TOP_CATEGORIES));
    let mut categories: Vec<String> = rows.iter().map(|r| r.0.to_string()).collect();
    let mut b_shares: Vec<f64> = rows.iter().map(|r| r.1).collect();
    let mut t_shares: Vec<f64> = rows.iter().map(|r| r.2).collect();
    if !rest.is_empty() {
        categories.push(OTHER_LABEL.to_string());
        b_shares.push(rest.iter().map(|r| r.1).sum());
        t_shares.push(rest.iter().map(|r| r.2).sum());
    }
    if baseline_missing + target_missing > 0 {
        categories.push(MISSING_LABEL.to_string());
        b_shares.push(share(baseline_missing, b_total));
        t_shares.push(share(target_missing, t_total));
    }
    Distribution::Categorical {
        categories,
        baseline: b_shares,
        target: t_shares,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sketch(values: &[f64]) -> ValueSketch {
        let mut s = ValueSketch::default();
        values.iter().for_each(|&v| s.insert(v));
        s.flush();
        s
    }

    fn hist(d: &Distribution) -> &Histogram {
        match d {
            Distribution::Numeric { histogram, .. } => histogram,
            other => panic!("expected numeric, got {other:?}"),
        }
    }

    #[test]
    fn linspace_matches_numpy_bit_for_bit() {
        // numpy.linspace(-1.3, 2.7, 31)[[1, 7, 29, 30]]
        let v = linspace(-1.3, 2.7, 31);
        assert_eq!(v[1], -1.1666666666666667);
        assert_eq!(v[7], -0.3666666666666667);
        assert_eq!(v[29], 2.5666666666666664);
        assert_eq!(v[30], 2.7);
    }

    #[test]
    fn constant_column_gets_numpy_unit_range_and_no_density() {
        let s = sketch(&[3.0; 10]);
        let d = numeric(
            NumericSide {
                sketch: &s,
                std: 0.0,
            },
            NumericSide {
                sketch: &s,
                std: 0.0,
            },
        )
        .unwrap();
        let h = hist(&d);
        // numpy.histogram([3.0]*10, bins=30) -> edges 2.5 .. 3.5, all 10 in bin 15.
        assert_eq!(h.edges[0], 2.5);
        assert_eq!(h.edges[30], 3.5);
        assert_eq!(h.baseline[15], 10.0);
        assert_eq!(h.baseline.iter().sum::<f64>(), 10.0);
        let Distribution::Numeric { kde, .. } = &d else {
            unreachable!()
        };
        assert_eq!(kde.bandwidth.baseline, 0.0);
        assert!(kde.baseline.iter().all(|&v| v == 0.0));
    }

    #[test]
    fn empty_sides_give_empty_distribution_and_one_sided_plots() {
        let empty = ValueSketch::default();
        let d = numeric(
            NumericSide {
                sketch: &empty,
                std: f64::NAN,
            },
            NumericSide {
                sketch: &empty,
                std: f64::NAN,
            },
        )
        .unwrap();
        assert_eq!(d, Distribution::Empty);
        let s = sketch(&[1.0, 2.0, 3.0, 4.0]);
        let d = numeric(
            NumericSide {
                sketch: &empty,
                std: f64::NAN,
            },
            NumericSide {
                sketch: &s,
                std: 1.2909944487358056,
            },
        )
        .unwrap();
        let h = hist(&d);
        assert_eq!(h.baseline.iter().sum::<f64>(), 0.0);
        // numpy.histogram([1,2,3,4], bins=edges) with edges from the 0.5 % and 99.5 % quantiles
        // (1.015, 3.985): 2 and 3 are inside, 1 and 4 outside.
        assert_eq!(h.target.iter().sum::<f64>(), 2.0);
        assert_eq!(h.outside.target, (1, 1));
    }

    #[test]
    fn invalid_std_is_an_error() {
        let s = sketch(&[1.0, 2.0]);
        let err = numeric(
            NumericSide {
                sketch: &s,
                std: -1.0,
            },
            NumericSide {
                sketch: &s,
                std: 0.7,
            },
        )
        .unwrap_err();
        assert_eq!(
            err.to_string(),
            "distributions: baseline standard deviation must be a finite number >= 0, got -1"
        );
    }

    #[test]
    fn wide_buckets_split_by_overlap_and_conserve_mass() {
        let values: Vec<f64> = (0..20_000)
            .map(|i| (i as f64 * 0.618).sin() * 5.0)
            .collect();
        let mut coarse = ValueSketch::new(2048);
        values.iter().for_each(|&v| coarse.insert(v));
        coarse.flush();
        let exact = sketch(&values);
        let side = |s| NumericSide {
            sketch: s,
            std: 3.5,
        };
        let c = numeric(side(&coarse), side(&coarse)).unwrap();
        let e = numeric(side(&exact), side(&exact)).unwrap();
        let (hc, he) = (hist(&c), hist(&e));
        let total = |h: &Histogram| {
            h.baseline.iter().sum::<f64>() + (h.outside.baseline.0 + h.outside.baseline.1) as f64
        };
        assert!((total(hc) - 20_000.0).abs() < 1.0, "{}", total(hc));
        assert_eq!(total(he), 20_000.0);
        assert!(!coarse.is_exact());
        for (a, b) in hc.baseline.iter().zip(&he.baseline) {
            // Measured: at most 12 of 20,000 values move between bins.
            assert!((a - b).abs() < 0.002 * 20_000.0, "{a} vs {b}");
        }
    }

    #[test]
    fn categorical_top_other_missing() {
        let baseline: Vec<(String, u64)> = (0..25).map(|i| (format!("c{i:02}"), 100 - i)).collect();
        let target = vec![("c00".to_string(), 50), ("new".to_string(), 500)];
        let d = categorical(&baseline, 10, &target, 0);
        let Distribution::Categorical {
            categories,
            baseline: b,
            target: t,
        } = d
        else {
            panic!("categorical expected")
        };
        assert_eq!(categories.len(), TOP_CATEGORIES + 2);
        assert_eq!(categories[0], "new"); // 500/550 of the target
        assert_eq!(categories[1], "c00");
        assert_eq!(categories[TOP_CATEGORIES], OTHER_LABEL);
        assert_eq!(categories[TOP_CATEGORIES + 1], MISSING_LABEL);
        let sum_b: f64 = b.iter().sum();
        let sum_t: f64 = t.iter().sum();
        assert!((sum_b - 1.0).abs() < 1e-12 && (sum_t - 1.0).abs() < 1e-12);
        assert_eq!(t[TOP_CATEGORIES + 1], 0.0);
        let total_b = (0..25).map(|i| 100 - i).sum::<u64>() + 10;
        assert_eq!(b[TOP_CATEGORIES + 1], 10.0 / total_b as f64);
        assert_eq!(categorical::<&str>(&[], 0, &[], 0), Distribution::Empty);
    }
}

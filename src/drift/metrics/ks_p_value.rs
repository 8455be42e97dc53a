//! `ks_p_value`: the two-sample Kolmogorov–Smirnov test's p-value, as scipy computes it.
//!
//! scipy 1.14's `method="auto"`:
//!
//! * when both sides have at most 10,000 values, the exact distribution: for equal sizes the
//!   reflection formula (`_compute_prob_outside_square`), else the lattice-path count of the
//!   "inside method" with the recursion for `1 - p` (Hodges 1958; Viehmann 2021,
//!   `_compute_outer_prob_inside_method`); the statistic is first rounded to a multiple of
//!   `1 / lcm(n, m)`, as scipy does;
//! * otherwise the one-sample distribution `kstwo.sf(D, round(n m / (n + m)))`, computed as
//!   scipy's `_kolmogn` does (Simard and L'Ecuyer 2011): Ruben–Gambino at the ends, the
//!   Durbin matrix (Marsaglia, Tsang and Wang 2003) for small `n D²`, Pelz–Good for moderate,
//!   and twice the exact one-sided Smirnov probability (Birnbaum–Tingey sum) for large.
//!
//! The committed fixtures (`tests/data/reference/significance.json`) hold both regimes; the
//! p-values agree to 1e-9 relative. Above `n m / (n + m)` of 1,000,000, scipy's one-sided
//! Smirnov switches to an approximation this file does not copy (the exact sum is kept).

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The p-value of the two-sample Kolmogorov–Smirnov test (two-sided) of a numeric
    /// feature's finite values: the probability, were both sides drawn from one distribution, of
    /// a statistic (`two_sample_ks_statistic`) at least as large as the one observed.
    ///
    /// **Why.** The distances say how far a feature moved; the p-value says whether that could be
    /// chance at these sample sizes. At 30 rows per side a KS statistic of 0.3 is noise, at 10,000
    /// it is not. It feeds the feature's `drifted` flag.
    ///
    /// **Binning.** None. The statistic comes from the profiles' sketches (exact while a column
    /// has at most 32,768 distinct values).
    ///
    /// **Reference.** `scipy.stats.ks_2samp(baseline, target, method="auto").pvalue`: exact up
    /// to 10,000 values per side, `scipy.stats.kstwo` beyond.
    pub static KS_P_VALUE {
        name: names::KS_P_VALUE, label: "KS p", threshold: None,
        kind: Kind::Numeric, direction: Direction::Lower, unit: Unit::Unitless,
        compute: Compute::Numeric(|p| ks_p_value(p.distances.ks, p.baseline.count, p.target.count)),
    }
}

/// Largest side for which scipy's `method="auto"` computes the exact distribution.
pub const MAX_EXACT_N: u64 = 10_000;

/// Two-sided p-value of a KS statistic `d` between samples of `n1` and `n2` values, as
/// `scipy.stats.ks_2samp(method="auto")`; NaN when a side is empty or `d` is not a number.
pub fn ks_p_value(d: f64, n1: u64, n2: u64) -> f64 {
    if n1 == 0 || n2 == 0 || !d.is_finite() {
        return f64::NAN;
    }
    let d = d.clamp(0.0, 1.0);
    let mut d = d;
    if n1.max(n2) <= MAX_EXACT_N {
        let (p, rounded) = exact(d, n1, n2);
        if let Some(p) = p {
            return p.clamp(0.0, 1.0);
        }
        // scipy keeps the rounded statistic when it falls back.
        d = rounded;
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round();
    kolmogorov_sf(en as u64, d).clamp(0.0, 1.0)
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

/// scipy's `_attempt_exact_2kssamp` (two-sided): the p-value, `None` when scipy would fall
/// back to the asymptotic distribution, and the statistic rounded to a multiple of `1 / lcm`.
fn exact(d: f64, n1: u64, n2: u64) -> (Option<f64>, f64) {
    let g = gcd(n1, n2);
    let lcm = (n1 / g) as f64 * n2 as f64;
    let h = (d * lcm).round();
    let rounded = h / lcm;
    if h == 0.0 {
        return (Some(1.0), rounded);
    }
    let p = if n1 == n2 {
        prob_outside_square(n1, h as u64)
    } else {
        outer_prob_inside(n1, n2, g, h as u64)
    };
    (
        (p.is_finite() && (0.0..=1.0).contains(&p)).then_some(p),
        rounded,
    )
}

/// P(D_{n,n} >= h/n) = 2 (C(2n, n-h) - C(2n, n-2h) + ...) / C(2n, n), in scipy's Horner form.
fn prob_outside_square(n: u64, h: u64) -> f64 {
    let mut p = 0.0;
    let mut k = (n / h) as i64;
    while k >= 0 {
        let mut p1 = 1.0;
        let kh = k as f64 * h as f64;
        for j in 0..h {
            let j = j as f64;
            p1 = (n as f64 - kh - j) * p1 / (n as f64 + kh + j + 1.0);
        }
        p = p1 * (1.0 - p);
        k -= 1;
    }
    2.0 * p
}

/// The share of lattice paths from (0, 0) to (m, n) that leave the band |x/m - y/n| < h/lcm,
/// by scipy's `_compute_outer_prob_inside_method` (which carries `1 - p` through the recursion).
fn outer_prob_inside(m: u64, n: u64, g: u64, h: u64) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (m, n, h) = (m as i64, n as i64, h as i64);
    let ceil_div = |a: i64, b: i64| -> i64 { (a as f64 / b as f64).ceil() as i64 };
    let floor_div = |a: i64, b: i64| -> i64 { (a as f64 / b as f64).floor() as i64 };
    let mut minj: i64 = 0;
    let mut maxj: i64 = ceil_div(h, mg).min(n + 1);
    let mut curlen = maxj - minj;
    let len_a = (2 * maxj + 2).min(n + 1) as usize;
    let mut a = vec![1.0f64; len_a];
    for v in a.iter_mut().take(maxj as usize).skip(minj as usize) {
        *v = 0.0;
    }
    for i in 1..=m {
        let (lastminj, lastlen) = (minj, curlen);
        minj = (floor_div(ng * i - h, mg) + 1).max(0).min(n);
        maxj = ceil_div(ng * i + h, mg).min(n + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = (jj + minj) as f64;
            let fi = i as f64;
            val = (a[(jj + minj - lastminj) as usize] * fi + val * j) / (fi + j);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            let from = (maxj - minj) as usize;
            let to = (from + (lastlen - curlen) as usize).min(a.len());
            a[from..to].iter_mut().for_each(|v| *v = 1.0);
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// `scipy.stats.kstwo.sf(x, n)`: the survival function of the one-sample two-sided KS
/// statistic, by the branches of scipy's `_kolmogn`.
pub fn kolmogorov_sf(n: u64, x: f64) -> f64 {
    if n == 0 {
        return f64::NAN;
    }
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let t = nf * x;
    if t <= 1.0 {
        // Ruben–Gambino: 1/2n <= x <= 1/n.
        if t <= 0.5 {
            return 1.0;
        }
        let cdf = if n <= 140 {
            (1..=n).fold(1.0, |p, i| p * (i as f64 / nf) * (2.0 * t - 1.0))
        } else {
            (log_factorial_over_power(nf) + nf * (2.0 * t - 1.0).ln()).exp()
        };
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    if t >= nf - 1.0 {
        return (2.0 * (1.0 - x).powf(nf)).clamp(0.0, 1.0);
    }
    if x >= 0.5 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let nxx = t * x;
    if n <= 140 {
        // scipy uses the Durbin matrix up to n x² = 0.754693 and Pomeranz's recursion up to 4;
        // both compute the exact CDF, so the Durbin matrix serves for both here.
        if nxx <= 4.0 {
            return (1.0 - durbin_cdf(n, x)).clamp(0.0, 1.0);
        }
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    if nxx >= 370.0 {
        return 0.0;
    }
    if nxx >= 2.2 {
        return (2.0 * smirnov_sf(n, x)).clamp(0.0, 1.0);
    }
    let cdf = if n <= 100_000 && nf * x.powf(1.5) <= 1.4 {
        durbin_cdf(n, x)
    } else {
        pelz_good_cdf(n, x)
    };
    (1.0 - cdf).clamp(0.0, 1.0)
}

/// log(n! / n^n) by Stirling's series, as scipy's `_log_nfactorial_div_n_pow_n`.
fn log_factorial_over_power(n: f64) -> f64 {
    // scipy's literals, digit for digit.
    #[allow(clippy::excessive_precision)]
    const COEFFS: [f64; 8] = [
        -2.955065359477124183e-2,
        6.4102564102564102564e-3,
        -1.9175269175269175269e-3,
        8.4175084175084175084e-4,
        -5.952380952380952381e-4,
        7.9365079365079365079e-4,
        -2.7777777777777777778e-3,
        8.3333333333333333333e-2,
    ];
    let rn = 1.0 / n;
    let z = rn / n;
    let poly = COEFFS.iter().fold(0.0, |acc, c| acc * z + c);
    n.ln() / 2.0 - n + (2.0 * std::f64::consts::PI).ln() / 2.0 + rn * poly
}

/// P(D_n <= d) by the Durbin matrix, as computed by Marsaglia, Tsang and Wang (scipy's
/// `_kolmogn_DMTW`): the k-th diagonal entry of H^n times n!/n^n, with H the (2k-1)-square
/// matrix of the method, powers scaled by 2^128 to stay in range.
fn durbin_cdf(n: u64, d: f64) -> f64 {
    const SCALE_EXP: i32 = 128;
    let scale = 2f64.powi(SCALE_EXP);
    if d >= 1.0 {
        return 1.0;
    }
    let nd = n as f64 * d;
    if nd <= 0.5 {
        return 0.0;
    }
    let k = nd.ceil() as usize;
    let h = k as f64 - nd;
    let m = 2 * k - 1;
    let mut v: Vec<f64> = (1..=m).map(|j| 1.0 - h.powi(j as i32)).collect();
    let mut w = vec![0.0; m];
    let mut fac = 1.0;
    for j in 1..=m {
        w[j - 1] = fac;
        fac /= j as f64;
        v[j - 1] *= fac;
    }
    let tt = (2.0 * h - 1.0).max(0.0).powi(m as i32) - 2.0 * h.powi(m as i32);
    v[m - 1] = (1.0 + tt) * fac;
    let mut hm = vec![0.0; m * m];
    for i in 1..m {
        for r in (i - 1)..m {
            hm[r * m + i] = w[r - (i - 1)];
        }
    }
    for r in 0..m {
        hm[r * m] = v[r];
    }
    for c in 0..m {
        hm[(m - 1) * m + c] = v[m - 1 - c];
    }
    let matmul = |a: &[f64], b: &[f64]| -> Vec<f64> {
        let mut out = vec![0.0; m * m];
        for i in 0..m {
            for l in 0..m {
                let x = a[i * m + l];
                if x == 0.0 {
                    continue;
                }
                for j in 0..m {
                    out[i * m + j] += x * b[l * m + j];
                }
            }
        }
        out
    };
    let mut power: Vec<f64> = (0..m * m)
        .map(|i| if i / m == i % m { 1.0 } else { 0.0 })
        .collect();
    let mut nn = n;
    let (mut expnt, mut h_expnt) = (0i64, 0i64);
    while nn > 0 {
        if nn % 2 == 1 {
            power = matmul(&power, &hm);
            expnt += h_expnt;
        }
        hm = matmul(&hm, &hm);
        h_expnt *= 2;
        if hm[(k - 1) * m + (k - 1)].abs() > scale {
            hm.iter_mut().for_each(|x| *x /= scale);
            h_expnt += SCALE_EXP as i64;
        }
        nn /= 2;
    }
    let mut p = power[(k - 1) * m + (k - 1)];
    let nf = n as f64;
    for i in 1..=n {
        p = i as f64 * p / nf;
        if p.abs() < 1.0 / scale {
            p *= scale;
            expnt -= SCALE_EXP as i64;
        }
    }
    (p * 2f64.powi(expnt as i32)).clamp(0.0, 1.0)
}

/// Pelz–Good asymptotic series for P(D_n <= x), term by term as scipy's `_kolmogn_PelzGood`.
fn pelz_good_cdf(n: u64, x: f64) -> f64 {
    use std::f64::consts::PI;
    if x <= 0.0 {
        return 0.0;
    }
    if x >= 1.0 {
        return 1.0;
    }
    let (pi2, pi4, pi6) = (PI * PI, PI.powi(4), PI.powi(6));
    let sqrt2pi = (2.0 * PI).sqrt();
    let nf = n as f64;
    let z = nf.sqrt() * x;
    let (z2, z3, z4, z6) = (z * z, z.powi(3), z.powi(4), z.powi(6));
    let qlog = -pi2 / 8.0 / z2;
    if qlog < -708.0 {
        return 0.0;
    }
    let q = qlog.exp();
    let (k1a, k1b) = (-z2, pi2 / 4.0);
    let k2a = 6.0 * z6 + 2.0 * z4;
    let k2b = (2.0 * z4 - 5.0 * z2) * pi2 / 4.0;
    let k2c = pi4 * (1.0 - 2.0 * z2) / 16.0;
    let k3d = pi6 * (5.0 - 30.0 * z2) / 64.0;
    let k3c = pi4 * (-60.0 * z2 + 212.0 * z4) / 16.0;
    let k3b = pi2 * (135.0 * z4 - 96.0 * z6) / 4.0;
    let k3a = -30.0 * z6 - 90.0 * z.powi(8);
    let mut k = [0.0f64; 4];
    let maxk = (16.0 * z / PI).ceil() as i64;
    for kk in (1..=maxk).rev() {
        let mm = (2 * kk - 1) as f64;
        let (m2, m4, m6) = (mm * mm, mm.powi(4), mm.powi(6));
        let qpower = q.powf(8.0 * kk as f64);
        let coeffs = [
            1.0,
            k1a + k1b * m2,
            k2a + k2b * m2 + k2c * m4,
            k3a + k3b * m2 + k3c * m4 + k3d * m6,
        ];
        for (kv, c) in k.iter_mut().zip(coeffs) {
            *kv = *kv * qpower + c;
        }
    }
    let div = [z, 6.0 * z4, 72.0 * z.powi(7), 6480.0 * z.powi(10)];
    for (kv, dv) in k.iter_mut().zip(div) {
        *kv = *kv * q * sqrt2pi / dv;
    }
    let q2 = (-pi2 / 2.0 / z2).exp();
    let sqrt3z = 3f64.sqrt() * z;
    let (mut k2extra, mut k3extra) = (0.0, 0.0);
    for kk in (1..=maxk).rev() {
        let ks = kk as f64;
        let ksq = ks * ks;
        let qp = q2.powf(ksq);
        k2extra += ksq * qp;
        let kspi = PI * ks;
        k3extra += (sqrt3z + kspi) * (sqrt3z - kspi) * ksq * qp;
    }
    k[2] += k2extra * pi2 * sqrt2pi / (-36.0 * z3);
    k[3] += k3extra * pi2 * sqrt2pi / (216.0 * z6);
    for (i, kv) in k.iter_mut().enumerate() {
        *kv /= nf.powf(i as f64 / 2.0);
    }
    k.iter().sum()
}

/// P(D+_n >= x), the one-sided Smirnov statistic, by the exact Birnbaum–Tingey sum
/// `x Σ_j C(n, j) (1 - x - j/n)^(n-j) (x + j/n)^(j-1)`, term by term in logarithms (all terms are
/// positive, so the sum is stable); stops once the terms have peaked and fallen below 1e-40 of
/// the sum.
fn smirnov_sf(n: u64, x: f64) -> f64 {
    if x >= 1.0 {
        return 0.0;
    }
    if x <= 0.0 {
        return 1.0;
    }
    let nf = n as f64;
    let last = (nf * (1.0 - x)).floor() as u64;
    let mut ln_choose = 0.0; // ln C(n, 0)
    let mut sum = 0.0;
    let mut previous = f64::NEG_INFINITY;
    for j in 0..=last.min(n) {
        if j > 0 {
            ln_choose += ((n - j + 1) as f64).ln() - (j as f64).ln();
        }
        let c = x + j as f64 / nf;
        if c >= 1.0 {
            break;
        }
        let ln_term =
            ln_choose + (n - j) as f64 * (-c).ln_1p() + (j as f64 - 1.0) * c.ln() + x.ln();
        let term = ln_term.exp();
        sum += term;
        if ln_term < previous && term < 1e-40 * sum {
            break;
        }
        previous = ln_term;
    }
    sum
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tiny_cases_match_scipy() {
        // scipy.stats.ks_2samp([1,2,3],[4,5,6]).pvalue == 0.1
        assert!((ks_p_value(1.0, 3, 3) - 0.1).abs() < 1e-15);
        // A statistic of 0 is p = 1.
        assert_eq!(ks_p_value(0.0, 5, 7), 1.0);
        assert!(ks_p_value(0.5, 0, 7).is_nan());
    }
}

//! Numbers as people read them in a report: a few significant digits, `n/a` for undefined values,
//! and axis ticks at round values.

/// A value with four significant digits; scientific notation for very large or very small
/// magnitudes; `n/a` for NaN and infinities (a metric that is undefined, written `null` in JSON).
pub fn num(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    if v == 0.0 {
        return "0".to_string();
    }
    let a = v.abs();
    if !(1e-3..1e6).contains(&a) {
        // `1.50e-5` -> `1.5e-5`, `3.00e-5` -> `3e-5`.
        let s = format!("{v:.2e}");
        return match s.split_once('e') {
            Some((m, e)) => format!("{}e{e}", trim_zeros(m.to_string())),
            None => s,
        };
    }
    let digits = (4 - 1 - a.log10().floor() as i32).clamp(0, 6) as usize;
    trim_zeros(format!("{v:.digits$}"))
}

/// A share in [0, 1] as a percentage with one decimal; `n/a` when undefined.
pub fn pct(v: f64) -> String {
    if !v.is_finite() {
        return "n/a".to_string();
    }
    let p = v * 100.0;
    if p != 0.0 && p.abs() < 0.1 {
        return if p > 0.0 { "<0.1%" } else { ">-0.1%" }.to_string();
    }
    format!("{}%", trim_zeros(format!("{p:.1}")))
}

/// A coefficient or threshold: always two decimals, so a verdict line lines up ("0.43 > 0.20").
pub fn coef(v: f64) -> String {
    if v.is_finite() {
        format!("{v:.2}")
    } else {
        "n/a".to_string()
    }
}

/// A count with thin thousands separators (`1 234 567`).
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i).is_multiple_of(3) {
            out.push('\u{202F}');
        }
        out.push(c);
    }
    out
}

/// A coordinate in an SVG: one decimal is below a pixel at any sensible zoom and keeps pages small.
pub fn px(v: f64) -> String {
    if !v.is_finite() {
        return "0".to_string();
    }
    let r = (v * 10.0).round() / 10.0;
    if r == r.trunc() {
        format!("{}", r as i64)
    } else {
        format!("{r:.1}")
    }
}

fn trim_zeros(s: String) -> String {
    if s.contains('.') && !s.contains('e') {
        let t = s.trim_end_matches('0').trim_end_matches('.');
        if t == "-0" {
            "0".to_string()
        } else {
            t.to_string()
        }
    } else {
        s
    }
}

/// About `target` round tick values (1, 2 or 5 times a power of ten) covering `[lo, hi]`.
/// Returns the ticks; the first is <= `lo` and the last >= `hi`, so they double as axis bounds.
pub fn nice_ticks(lo: f64, hi: f64, target: usize) -> Vec<f64> {
    let (mut lo, mut hi) = if lo.is_finite() && hi.is_finite() {
        (lo.min(hi), lo.max(hi))
    } else {
        (0.0, 1.0)
    };
    if hi - lo < 1e-12 * lo.abs().max(1.0) {
        let pad = if lo == 0.0 { 1.0 } else { lo.abs() * 0.1 };
        lo -= pad;
        hi += pad;
    }
    let raw = (hi - lo) / target.max(1) as f64;
    let mag = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 2.5, 5.0, 10.0]
        .iter()
        .map(|m| m * mag)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * mag);
    let start = (lo / step).floor();
    let end = (hi / step).ceil();
    let n = ((end - start) as usize).min(100);
    (0..=n)
        .map(|i| {
            let v = (start + i as f64) * step;
            // Snap away floating noise such as 0.30000000000000004.
            (v / step).round() * step
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_naturally() {
        let cases = [
            (0.0, "0"),
            (0.4312, "0.4312"),
            (0.43, "0.43"),
            (4.858_123, "4.858"),
            (1234.567, "1235"),
            (-2.5, "-2.5"),
            (0.000_012_3, "1.23e-5"),
            (12_345_678.0, "1.23e7"),
            (0.000_03, "3e-5"),
            (0.000_015, "1.5e-5"),
            (f64::NAN, "n/a"),
            (f64::INFINITY, "n/a"),
        ];
        for (v, expected) in cases {
            assert_eq!(num(v), expected, "value {v}");
        }
    }

    #[test]
    fn percentages_and_counts() {
        assert_eq!(pct(0.25), "25%");
        assert_eq!(pct(0.1234), "12.3%");
        assert_eq!(pct(0.0001), "<0.1%");
        assert_eq!(pct(f64::NAN), "n/a");
        assert_eq!(count(1_234_567), "1\u{202F}234\u{202F}567");
        assert_eq!(count(12), "12");
        assert_eq!(coef(0.2), "0.20");
    }

    #[test]
    fn ticks_cover_the_range_at_round_values() {
        let t = nice_ticks(0.0, 0.43, 5);
        assert_eq!(t.first().copied(), Some(0.0));
        assert!(*t.last().unwrap() >= 0.43);
        assert!(
            t.iter()
                .all(|v| (v * 10.0 - (v * 10.0).round()).abs() < 1e-9)
        );
        let t = nice_ticks(-3.2, 17.9, 6);
        assert!(t[0] <= -3.2 && *t.last().unwrap() >= 17.9);
        // A constant column still gets an axis.
        let t = nice_ticks(5.0, 5.0, 5);
        assert!(t.len() >= 2 && t[0] < 5.0 && *t.last().unwrap() > 5.0);
        // Garbage in, an axis out.
        assert!(nice_ticks(f64::NAN, 1.0, 5).len() >= 2);
    }

    #[test]
    fn coordinates_are_short() {
        assert_eq!(px(12.0), "12");
        assert_eq!(px(12.345), "12.3");
        assert_eq!(px(f64::NAN), "0");
    }
}

//! Hand-written SVG charts.
//!
//! Every chart is drawn by hand rather than with plotters: the charts are few and simple, hand
//! output is several times smaller (one `<path>` per series instead of one element per bar, which
//! is what keeps a 200-feature page small), every label goes through [`escape`] without a second
//! escaping layer to audit, and styling stays consistent across charts.
//!
//! Each chart is a `<svg viewBox=...>` that the page stretches to its container's width, so it
//! reads at 1280 px and scales down to fit a phone; the contribution bars, whose names must stay
//! legible, are laid out fluidly instead (see [`contribution_bars`]). Colours are the Okabe–Ito
//! palette, which stays distinguishable under the common colour-vision deficiencies; baseline and
//! target also differ by line style (solid vs dashed), so the charts read in greyscale too.

use std::fmt::Write;

use chrono::{Datelike, NaiveDate};

use super::escape::{escape, truncate};
use super::format::{nice_ticks, num, pct, px};
use crate::drift::result::{Histogram, Kde};

/// Okabe–Ito blue: the baseline side.
pub const BASELINE: &str = "#0072B2";
/// Okabe–Ito orange: the target side.
pub const TARGET: &str = "#E69F00";
/// Okabe–Ito vermillion: the threshold and anything over it.
pub const THRESHOLD: &str = "#D55E00";
/// Colours of services in time charts (Okabe–Ito without yellow, which is unreadable on white,
/// and without vermillion, which is reserved for the threshold).
pub const SERIES: [&str; 6] = [
    "#0072B2", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000",
];
const AXIS: &str = "#555";
const INK: &str = "#222";
const GRID: &str = "#e3e3e3";
const NOISE: &str = "#999";

/// Linear map from a data interval onto a pixel interval.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Scale {
    d0: f64,
    d1: f64,
    r0: f64,
    r1: f64,
}

impl Scale {
    pub(crate) fn new(d0: f64, d1: f64, r0: f64, r1: f64) -> Self {
        let d1 = if (d1 - d0).abs() < f64::EPSILON {
            d0 + 1.0
        } else {
            d1
        };
        Scale { d0, d1, r0, r1 }
    }

    pub(crate) fn at(&self, v: f64) -> f64 {
        let t = (v - self.d0) / (self.d1 - self.d0);
        self.r0 + t.clamp(-0.05, 1.05) * (self.r1 - self.r0)
    }
}

pub(crate) fn open_svg(out: &mut String, w: f64, h: f64, label: &str) {
    let _ = write!(
        out,
        r#"<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="13"><title>{}</title>"#,
        px(w),
        px(h),
        escape(label),
        escape(label)
    );
}

/// Horizontal grid lines and value labels on the left, plus the y axis title (rotated).
pub(crate) fn y_axis(
    out: &mut String,
    y: &Scale,
    ticks: &[f64],
    x0: f64,
    x1: f64,
    title: &str,
    fmt: fn(f64) -> String,
) {
    for t in ticks {
        let yy = px(y.at(*t));
        let _ = write!(
            out,
            r#"<line x1="{}" x2="{}" y1="{yy}" y2="{yy}" stroke="{GRID}"/><text x="{}" y="{yy}" dy="4" text-anchor="end" fill="{AXIS}">{}</text>"#,
            px(x0),
            px(x1),
            px(x0 - 6.0),
            escape(&fmt(*t))
        );
    }
    let mid = (y.r0 + y.r1) / 2.0;
    let _ = write!(
        out,
        r#"<text transform="translate(14 {}) rotate(-90)" text-anchor="middle" fill="{AXIS}">{}</text>"#,
        px(mid),
        escape(title)
    );
}

/// Vertical tick marks and labels under the plot, plus the x axis title.
pub(crate) fn x_axis(out: &mut String, x: &Scale, ticks: &[(f64, String)], y0: f64, title: &str) {
    let _ = write!(
        out,
        r#"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{AXIS}"/>"#,
        px(x.r0),
        px(x.r1),
        px(y0),
        px(y0)
    );
    for (v, label) in ticks {
        let at = x.at(*v);
        let xx = px(at);
        // A label centred on the last tick may run past the chart's edge: end it at the edge.
        let half = 3.8 * label.chars().count() as f64;
        let (anchor, tx) = if at + half > x.r1 + 10.0 {
            ("end", x.r1 + 10.0)
        } else {
            ("middle", at)
        };
        let _ = write!(
            out,
            r#"<line x1="{xx}" x2="{xx}" y1="{}" y2="{}" stroke="{AXIS}"/><text x="{}" y="{}" text-anchor="{anchor}" fill="{AXIS}">{}</text>"#,
            px(y0),
            px(y0 + 4.0),
            px(tx),
            px(y0 + 17.0),
            escape(label)
        );
    }
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" text-anchor="middle" fill="{AXIS}">{}</text>"#,
        px((x.r0 + x.r1) / 2.0),
        px(y0 + 34.0),
        escape(title)
    );
}

/// One legend entry: a swatch (filled box, line or dashed line) and its label; returns the width used.
pub(crate) fn legend_item(
    out: &mut String,
    x: f64,
    y: f64,
    swatch: Swatch,
    colour: &str,
    label: &str,
) -> f64 {
    match swatch {
        Swatch::Box => {
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="12" height="12" fill="{colour}" fill-opacity="0.5" stroke="{colour}"/>"#,
                px(x),
                px(y - 10.0)
            );
        }
        Swatch::Cross => {
            let _ = write!(
                out,
                r#"<path d="M{} {}l8 8m0 -8l-8 8" stroke="{colour}" stroke-width="1.5"/>"#,
                px(x + 4.0),
                px(y - 9.0)
            );
        }
        Swatch::Line | Swatch::Dashed => {
            let dash = if swatch == Swatch::Dashed {
                r#" stroke-dasharray="5 3""#
            } else {
                ""
            };
            let _ = write!(
                out,
                r#"<line x1="{}" x2="{}" y1="{}" y2="{}" stroke="{colour}" stroke-width="2"{dash}/>"#,
                px(x),
                px(x + 16.0),
                px(y - 4.0),
                px(y - 4.0)
            );
        }
    }
    let shown = truncate(label, LEGEND_CHARS);
    let _ = write!(
        out,
        r#"<text x="{}" y="{}" fill="{INK}">{}</text>"#,
        px(x + 20.0),
        px(y),
        escape(&shown)
    );
    legend_width(label)
}

const LEGEND_CHARS: usize = 28;

/// Width a legend entry takes: swatch, gap and an estimate of the label's text width.
pub(crate) fn legend_width(label: &str) -> f64 {
    30.0 + 7.4 * label.chars().count().min(LEGEND_CHARS) as f64
}

/// A chart's legend: swatch, colour and label of each entry.
pub(crate) type Legend<'a> = [(Swatch, &'a str, String)];

/// Where each legend entry goes between `left` and `right`, wrapping into rows 18 px apart from
/// y = 18: one rule for measuring the legend and for drawing it.
fn legend_layout(legend: &Legend<'_>, left: f64, right: f64) -> Vec<(f64, f64)> {
    let (mut lx, mut ly) = (left, 18.0);
    let mut at = Vec::with_capacity(legend.len());
    for (_, _, label) in legend {
        if lx > left && lx + legend_width(label) > right {
            lx = left;
            ly += 18.0;
        }
        at.push((lx, ly));
        lx += legend_width(label);
    }
    at
}

/// Rows the legend takes.
pub(crate) fn legend_rows(legend: &Legend<'_>, left: f64, right: f64) -> f64 {
    legend_layout(legend, left, right)
        .last()
        .map_or(1.0, |&(_, y)| y / 18.0)
}

/// Draws the legend across the top of a chart.
pub(crate) fn draw_legend(out: &mut String, legend: &Legend<'_>, left: f64, right: f64) {
    for ((swatch, colour, label), (x, y)) in legend.iter().zip(legend_layout(legend, left, right)) {
        legend_item(out, x, y, *swatch, colour, label);
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Swatch {
    Box,
    Cross,
    Line,
    Dashed,
}

/// One service's coefficients over time.
#[derive(Debug, Clone)]
pub struct TimeSeries {
    /// Service name (shown in the legend and tooltips).
    pub name: String,
    /// Scoring dates and coefficients, in date order.
    pub points: Vec<(NaiveDate, f64)>,
}

/// The drift coefficient over time, one line per service, with the threshold as a dashed
/// vermillion line, the no-drift noise floor as a grey band from 0 to its per-date maximum, points
/// above the threshold ringed in vermillion, and dates whose runs failed or found no data marked
/// under the axis.
pub fn coefficient_over_time(
    series: &[TimeSeries],
    threshold: f64,
    noise_floor: &[(NaiveDate, f64)],
    not_scored: &[(NaiveDate, String)],
) -> String {
    let (w, right, left, bottom) = (820.0, 16.0, 58.0, 62.0);
    let mut legend: Vec<(Swatch, &str, String)> = series
        .iter()
        .enumerate()
        .map(|(i, s)| (Swatch::Line, SERIES[i % SERIES.len()], s.name.clone()))
        .collect();
    legend.push((
        Swatch::Dashed,
        THRESHOLD,
        format!("threshold {}", num(threshold)),
    ));
    if !noise_floor.is_empty() {
        legend.push((Swatch::Box, NOISE, "noise floor".to_string()));
    }
    if !not_scored.is_empty() {
        legend.push((Swatch::Cross, THRESHOLD, "not scored".to_string()));
    }
    let rows = legend_rows(&legend, left, w - right);
    let top = 16.0 + 18.0 * rows;
    let h = 314.0 + 18.0 * rows;
    let dates = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.0))
        .chain(noise_floor.iter().map(|p| p.0))
        .chain(not_scored.iter().map(|p| p.0));
    let (first, last) = match dates.fold(None, |acc: Option<(NaiveDate, NaiveDate)>, d| match acc {
        None => Some((d, d)),
        Some((a, b)) => Some((a.min(d), b.max(d))),
    }) {
        Some(r) => r,
        None => return String::new(),
    };
    let (first, last) = if first == last {
        (
            first.pred_opt().unwrap_or(first),
            last.succ_opt().unwrap_or(last),
        )
    } else {
        (first, last)
    };
    let day = |d: NaiveDate| (d - first).num_days() as f64;
    let x = Scale::new(0.0, day(last), left, w - right);
    let ymax = series
        .iter()
        .flat_map(|s| s.points.iter().map(|p| p.1))
        .chain(noise_floor.iter().map(|p| p.1))
        .chain(std::iter::once(threshold))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let ymax = (ymax * 1.15).clamp(0.1, 1.0);
    let ticks = nice_ticks(0.0, ymax, 5);
    let ytop = ticks.last().copied().unwrap_or(1.0);
    let y = Scale::new(0.0, ytop, h - bottom, top);

    let mut out =
        String::with_capacity(4096 + 120 * series.iter().map(|s| s.points.len()).sum::<usize>());
    open_svg(
        &mut out,
        w,
        h,
        "Drift coefficient over time, per service, with threshold and noise floor",
    );
    y_axis(
        &mut out,
        &y,
        &ticks,
        left,
        w - right,
        "drift coefficient (0–1)",
        num,
    );

    // Noise floor band: 0 up to the largest no-drift coefficient seen at that date.
    if !noise_floor.is_empty() {
        let mut nf: Vec<(NaiveDate, f64)> = noise_floor
            .iter()
            .filter(|p| p.1.is_finite())
            .copied()
            .collect();
        nf.sort_by_key(|p| p.0);
        if !nf.is_empty() {
            let mut d = String::new();
            let _ = write!(d, "M{} {}", px(x.at(day(nf[0].0))), px(y.at(0.0)));
            for (date, v) in &nf {
                let _ = write!(d, "L{} {}", px(x.at(day(*date))), px(y.at(*v)));
            }
            if nf.len() == 1 {
                // A single run: widen the band so it is visible.
                let _ = write!(d, "H{}", px(x.r1));
                let _ = write!(d, "V{}", px(y.at(0.0)));
            } else {
                let _ = write!(
                    d,
                    "L{} {}",
                    px(x.at(day(nf[nf.len() - 1].0))),
                    px(y.at(0.0))
                );
            }
            let _ = write!(
                out,
                r#"<path d="{d}Z" fill="{NOISE}" fill-opacity="0.22"><title>noise floor: 99th percentile of the coefficient with no drift at this sample size</title></path>"#
            );
        }
    }

    // Threshold.
    if threshold.is_finite() {
        let ty = px(y.at(threshold));
        let _ = write!(
            out,
            r#"<line x1="{}" x2="{}" y1="{ty}" y2="{ty}" stroke="{THRESHOLD}" stroke-width="1.5" stroke-dasharray="6 4"><title>threshold {}</title></line>"#,
            px(x.r0),
            px(x.r1),
            escape(&num(threshold))
        );
    }

    // Lines and points per service.
    let dense = series.iter().map(|s| s.points.len()).max().unwrap_or(0) > 62;
    for (i, s) in series.iter().enumerate() {
        let colour = SERIES[i % SERIES.len()];
        let pts: Vec<(NaiveDate, f64)> = s
            .points
            .iter()
            .filter(|p| p.1.is_finite())
            .copied()
            .collect();
        if pts.is_empty() {
            continue;
        }
        let mut d = String::with_capacity(pts.len() * 14);
        for (j, (date, v)) in pts.iter().enumerate() {
            let _ = write!(
                d,
                "{}{} {}",
                if j == 0 { 'M' } else { 'L' },
                px(x.at(day(*date))),
                px(y.at(*v))
            );
        }
        let _ = write!(
            out,
            r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="2" stroke-linejoin="round"/>"#
        );
        let _ = write!(out, r#"<g fill="{colour}">"#);
        for (date, v) in &pts {
            let over = *v > threshold;
            if dense && !over {
                continue;
            }
            let (cx, cy) = (px(x.at(day(*date))), px(y.at(*v)));
            // Dense series (a year of days): rings would merge into a band, so points over the
            // threshold become small vermillion dots on the line instead.
            let extra = if over && dense {
                format!(r#" r="2.2" fill="{THRESHOLD}""#)
            } else if over {
                format!(r#" r="4.5" stroke="{THRESHOLD}" stroke-width="2""#)
            } else {
                r#" r="3""#.to_string()
            };
            let _ = write!(
                out,
                r#"<circle cx="{cx}" cy="{cy}"{extra}><title>{} · {}: {}{}</title></circle>"#,
                escape(&s.name),
                date,
                num(*v),
                if over { " (drift)" } else { "" }
            );
        }
        out.push_str("</g>");
    }

    // Dates without a score: a small cross under the axis.
    let base = h - bottom;
    if !not_scored.is_empty() {
        let _ = write!(out, r#"<g stroke="{THRESHOLD}" stroke-width="1.5">"#);
        for (date, why) in not_scored {
            let cx = x.at(day(*date));
            let _ = write!(
                out,
                r#"<path d="M{} {}l6 6m0 -6l-6 6"><title>{}: {}</title></path>"#,
                px(cx - 3.0),
                px(base - 9.0),
                date,
                escape(why)
            );
        }
        out.push_str("</g>");
    }

    let xt = date_ticks(first, last)
        .into_iter()
        .map(|(d, l)| (day(d), l))
        .collect::<Vec<_>>();
    x_axis(&mut out, &x, &xt, base, "scoring date (UTC)");

    // Legend across the top, wrapped into as many rows as it needs.
    draw_legend(&mut out, &legend, left, w - right);
    out.push_str("</svg>");
    out
}

/// Round dates between `first` and `last` for the x axis: days, Mondays or month starts,
/// whichever gives at most about eight labels.
fn date_ticks(first: NaiveDate, last: NaiveDate) -> Vec<(NaiveDate, String)> {
    let span = (last - first).num_days().max(1);
    let mut out = Vec::new();
    if span <= 16 {
        let step = (span / 8 + 1) as u64;
        let mut d = first;
        while d <= last {
            out.push((d, d.format("%b %-d").to_string()));
            let Some(next) = d.checked_add_days(chrono::Days::new(step)) else {
                break;
            };
            d = next;
        }
    } else if span <= 120 {
        let step = ((span / 7) / 8 + 1) as u64 * 7;
        let to_monday = ((7 - first.weekday().num_days_from_monday()) % 7) as u64;
        let mut d = first
            .checked_add_days(chrono::Days::new(to_monday))
            .unwrap_or(first);
        while d <= last {
            out.push((d, d.format("%b %-d").to_string()));
            let Some(next) = d.checked_add_days(chrono::Days::new(step)) else {
                break;
            };
            d = next;
        }
    } else {
        let months = (span / 30) as u32;
        let step = months / 8 + 1;
        let mut d = NaiveDate::from_ymd_opt(first.year(), first.month(), 1).unwrap_or(first);
        if d < first {
            d = d
                .checked_add_months(chrono::Months::new(1))
                .unwrap_or(first);
        }
        while d <= last {
            out.push((d, d.format("%b %Y").to_string()));
            let Some(next) = d.checked_add_months(chrono::Months::new(step)) else {
                break;
            };
            d = next;
        }
    }
    out
}

/// Sorted horizontal bars (largest first) for per-feature contributions; `total` is the number
/// of features before truncation, so the caption can say how many are not drawn.
///
/// Unlike the other charts this one is fluid rather than scaled: it has no `viewBox`, every
/// horizontal position is a percentage of its width and every vertical one is in CSS pixels, so
/// its text keeps the page's size while the bars stretch or shrink with the screen. Each name
/// sits on its own line above its bar and gets the full width, which is what lets the chart fit
/// a 390 px phone screen without scrolling and without shrinking the names into illegibility.
pub fn contribution_bars(items: &[(String, f64)], total: usize) -> String {
    // Name line, bar, gap.
    let row = 36.0;
    let (top, bottom) = (4.0, 44.0);
    // The largest tick ends at this share of the width; the rest holds the value labels.
    let plot = 84.0;
    let h = top + bottom + row * items.len().max(1) as f64;
    let vmax = items
        .iter()
        .map(|i| i.1)
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let ticks = nice_ticks(0.0, vmax.max(1e-9), 4);
    let x = Scale::new(0.0, ticks.last().copied().unwrap_or(1.0), 0.0, plot);
    let at = |v: f64| format!("{}%", px(x.at(v)));
    let mut out = String::with_capacity(768 + items.len() * 300);
    let label = if total > items.len() {
        format!(
            "Contribution to drift of the {} largest of {total} features",
            items.len()
        )
    } else {
        "Contribution to drift per feature".to_string()
    };
    let _ = write!(
        out,
        r#"<svg class="fluid" width="100%" height="{}" style="height:{}px" role="img" aria-label="{}" xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="13"><title>{}</title>"#,
        px(h),
        px(h),
        escape(&label),
        escape(&label)
    );
    let base = h - bottom;
    for &t in &ticks {
        let xx = at(t);
        let _ = write!(
            out,
            r#"<line x1="{xx}" x2="{xx}" y1="{}" y2="{}" stroke="{GRID}"/>"#,
            px(top),
            px(base)
        );
    }
    for (i, (name, v)) in items.iter().enumerate() {
        let yy = top + row * i as f64;
        let v = if v.is_finite() { *v } else { 0.0 };
        let _ = write!(
            out,
            r#"<g><title>{}: {}</title><text x="0" y="{}" fill="{INK}">{}</text><rect x="0" y="{}" width="{}%" height="12" fill="{THRESHOLD}" fill-opacity="0.8"/><text x="{}%" y="{}" fill="{INK}">{}</text></g>"#,
            escape(name),
            pct(v),
            px(yy + 13.0),
            escape(&truncate(name, 36)),
            px(yy + 18.0),
            // At least a hairline, so a tiny share still shows as a bar.
            px(x.at(v).max(0.2)),
            px(x.at(v) + 1.0),
            px(yy + 28.5),
            pct(v)
        );
    }
    let _ = write!(
        out,
        r#"<line x1="0" x2="{}" y1="{}" y2="{}" stroke="{AXIS}"/>"#,
        at(ticks.last().copied().unwrap_or(1.0)),
        px(base),
        px(base)
    );
    for (i, &t) in ticks.iter().enumerate() {
        let xx = at(t);
        // The first label starts at the left edge so that it is not cut off there.
        let anchor = if i == 0 { "start" } else { "middle" };
        let _ = write!(
            out,
            r#"<line x1="{xx}" x2="{xx}" y1="{}" y2="{}" stroke="{AXIS}"/><text x="{xx}" y="{}" text-anchor="{anchor}" fill="{AXIS}">{}</text>"#,
            px(base),
            px(base + 4.0),
            px(base + 17.0),
            pct(t)
        );
    }
    let _ = write!(
        out,
        r#"<text x="0" y="{}" font-size="12" fill="{AXIS}">share of the classifier's importance (sums to 100%)</text>"#,
        px(base + 36.0)
    );
    out.push_str("</svg>");
    out
}

/// Baseline and target of one numeric feature: density histograms on the shared bin edges,
/// overlaid, with each side's KDE as a line (solid baseline, dashed target). Returns `None` when
/// the data cannot be drawn (no bins, mismatched lengths, no finite edges), so the caller can say
/// so instead of showing an empty frame.
pub fn numeric_distribution(
    name: &str,
    hist: &Histogram,
    kde: &Kde,
    sides: (&str, &str),
) -> Option<String> {
    let nb = hist.edges.len().checked_sub(1)?;
    if nb == 0
        || hist.baseline.len() != nb
        || hist.target.len() != nb
        || hist.edges.iter().any(|e| !e.is_finite())
        || hist.edges.windows(2).any(|w| w[1] < w[0])
    {
        return None;
    }
    let (w, h) = (520.0, 270.0);
    let (left, right, top, bottom) = (56.0, 12.0, 30.0, 52.0);
    let density = |counts: &[f64]| -> Vec<f64> {
        let total: f64 = counts.iter().filter(|c| c.is_finite() && **c > 0.0).sum();
        counts
            .iter()
            .zip(hist.edges.windows(2))
            .map(|(c, e)| {
                let width = e[1] - e[0];
                if total > 0.0 && width > 0.0 && c.is_finite() {
                    c.max(0.0) / (total * width)
                } else {
                    0.0
                }
            })
            .collect()
    };
    let (db, dt) = (density(&hist.baseline), density(&hist.target));
    let n = kde.grid.len().min(kde.baseline.len()).min(kde.target.len());
    let stride = n.div_ceil(200).max(1);
    let kde_pts: Vec<(f64, f64, f64)> = (0..n)
        .step_by(stride)
        .chain(if n > 0 && !(n - 1).is_multiple_of(stride) {
            Some(n - 1)
        } else {
            None
        })
        .map(|i| (kde.grid[i], kde.baseline[i], kde.target[i]))
        .filter(|p| p.0.is_finite())
        .collect();
    let mut xlo = hist.edges[0];
    let mut xhi = hist.edges[nb];
    for p in &kde_pts {
        xlo = xlo.min(p.0);
        xhi = xhi.max(p.0);
    }
    let ymax = db
        .iter()
        .chain(dt.iter())
        .copied()
        .chain(kde_pts.iter().flat_map(|p| [p.1, p.2]))
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    if ymax <= 0.0 {
        return None;
    }
    let xticks = nice_ticks(xlo, xhi, 6);
    let x = Scale::new(xlo, xhi, left, w - right);
    let yticks = nice_ticks(0.0, ymax * 1.05, 4);
    let y = Scale::new(0.0, yticks.last().copied().unwrap_or(ymax), h - bottom, top);
    let mut out = String::with_capacity(2048 + nb * 64 + kde_pts.len() * 28);
    open_svg(
        &mut out,
        w,
        h,
        &format!(
            "Distribution of {name}: {} vs {}, histogram and density",
            sides.0, sides.1
        ),
    );
    y_axis(&mut out, &y, &yticks, left, w - right, "density", num);
    for (dens, colour) in [(&db, BASELINE), (&dt, TARGET)] {
        let mut d = String::with_capacity(nb * 28);
        for (i, v) in dens.iter().enumerate() {
            if *v <= 0.0 {
                continue;
            }
            let (x0, x1) = (x.at(hist.edges[i]), x.at(hist.edges[i + 1]));
            let (y0, y1) = (y.at(0.0), y.at(*v));
            let _ = write!(
                d,
                "M{} {}V{}H{}V{}Z",
                px(x0),
                px(y0),
                px(y1),
                px(x1.max(x0 + 0.6)),
                px(y0)
            );
        }
        let _ = write!(
            out,
            r#"<path d="{d}" fill="{colour}" fill-opacity="0.38" stroke="{colour}" stroke-opacity="0.6" stroke-width="0.5"/>"#
        );
    }
    for (side, colour, dash) in [
        (1usize, BASELINE, ""),
        (2, TARGET, r#" stroke-dasharray="6 3""#),
    ] {
        if kde_pts.is_empty() {
            break;
        }
        let mut d = String::with_capacity(kde_pts.len() * 14);
        for (i, p) in kde_pts.iter().enumerate() {
            let v = if side == 1 { p.1 } else { p.2 };
            let v = if v.is_finite() { v } else { 0.0 };
            let _ = write!(
                d,
                "{}{} {}",
                if i == 0 { 'M' } else { 'L' },
                px(x.at(p.0)),
                px(y.at(v))
            );
        }
        let _ = write!(
            out,
            r#"<path d="{d}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>"#
        );
    }
    let xt: Vec<(f64, String)> = xticks
        .iter()
        .filter(|t| {
            **t >= xlo - 1e-9 * xlo.abs().max(1.0) && **t <= xhi + 1e-9 * xhi.abs().max(1.0)
        })
        .map(|t| (*t, num(*t)))
        .collect();
    x_axis(&mut out, &x, &xt, h - bottom, &truncate(name, 60));
    let lx = left + 4.0;
    let used = legend_item(&mut out, lx, 16.0, Swatch::Box, BASELINE, sides.0);
    let used2 = legend_item(&mut out, lx + used, 16.0, Swatch::Box, TARGET, sides.1);
    let used3 = legend_item(
        &mut out,
        lx + used + used2,
        16.0,
        Swatch::Line,
        BASELINE,
        &format!("{} KDE", sides.0),
    );
    legend_item(
        &mut out,
        lx + used + used2 + used3,
        16.0,
        Swatch::Dashed,
        TARGET,
        &format!("{} KDE", sides.1),
    );
    out.push_str("</svg>");
    Some(out)
}

/// Baseline and target shares of each category of one feature, side by side (blue above orange
/// in each row), at most `max_rows` categories in the given display order. `None` when there is
/// nothing to draw.
pub fn categorical_distribution(
    name: &str,
    categories: &[String],
    baseline: &[f64],
    target: &[f64],
    sides: (&str, &str),
    max_rows: usize,
) -> Option<String> {
    let n = categories
        .len()
        .min(baseline.len())
        .min(target.len())
        .min(max_rows);
    if n == 0 {
        return None;
    }
    let row = 30.0;
    let (left, right, top, bottom) = (170.0, 60.0, 30.0, 46.0);
    let w = 520.0;
    let h = top + bottom + row * n as f64;
    let clean = |v: f64| if v.is_finite() { v.max(0.0) } else { 0.0 };
    let vmax = (0..n)
        .flat_map(|i| [clean(baseline[i]), clean(target[i])])
        .fold(0.0f64, f64::max);
    let ticks = nice_ticks(0.0, vmax.max(0.01), 4);
    let x = Scale::new(0.0, ticks.last().copied().unwrap_or(1.0), left, w - right);
    let mut out = String::with_capacity(1024 + n * 420);
    open_svg(
        &mut out,
        w,
        h,
        &format!(
            "Categories of {name}: share of rows, {} vs {}",
            sides.0, sides.1
        ),
    );
    let base = h - bottom;
    vertical_grid(&mut out, &ticks, |t| x.at(t), top, base);
    for i in 0..n {
        let yy = top + row * i as f64;
        let (b, t) = (clean(baseline[i]), clean(target[i]));
        let _ = write!(
            out,
            r#"<g><title>{}: {} {}, {} {}</title><text x="{}" y="{}" text-anchor="end" fill="{INK}">{}</text>"#,
            escape(&categories[i]),
            escape(sides.0),
            pct(b),
            escape(sides.1),
            pct(t),
            px(left - 8.0),
            px(yy + 18.0),
            escape(&truncate(&categories[i], 24))
        );
        for (k, (v, colour)) in [(b, BASELINE), (t, TARGET)].into_iter().enumerate() {
            let by = yy + 4.0 + 11.0 * k as f64;
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="10" fill="{colour}"{}/><text x="{}" y="{}" font-size="10" fill="{INK}">{}</text>"#,
                px(left),
                px(by),
                px((x.at(v) - left).max(0.5)),
                if k == 1 {
                    r#" fill-opacity="0.85""#
                } else {
                    ""
                },
                px(x.at(v) + 4.0),
                px(by + 9.0),
                pct(v)
            );
        }
        out.push_str("</g>");
    }
    let xt: Vec<(f64, String)> = ticks.iter().map(|t| (*t, pct(*t))).collect();
    x_axis(&mut out, &x, &xt, base, "share of rows");
    let used = legend_item(&mut out, left, 16.0, Swatch::Box, BASELINE, sides.0);
    legend_item(&mut out, left + used, 16.0, Swatch::Box, TARGET, sides.1);
    out.push_str("</svg>");
    Some(out)
}

/// Contribution of the leading features over time as a heat map: one row per feature, one
/// column per scoring date, darker = larger share. `values[f][d]` is NaN where there is no run.
pub fn contribution_heatmap(
    features: &[String],
    dates: &[NaiveDate],
    values: &[Vec<f64>],
) -> Option<String> {
    if features.is_empty() || dates.is_empty() {
        return None;
    }
    let row = 20.0;
    let (left, right, top, bottom) = (200.0, 16.0, 28.0, 52.0);
    let w = 820.0;
    let h = top + bottom + row * features.len() as f64;
    // Columns are calendar days, so a date without a run leaves a gap rather than shifting the rest.
    let first = dates.iter().copied().min().unwrap_or(dates[0]);
    let last = dates.iter().copied().max().unwrap_or(dates[0]);
    let span = (last - first).num_days().max(0) as f64 + 1.0;
    let cell = (w - left - right) / span;
    let vmax = values
        .iter()
        .flatten()
        .copied()
        .filter(|v| v.is_finite())
        .fold(0.0f64, f64::max);
    let mut out = String::with_capacity(1024 + features.len() * dates.len() * 40);
    open_svg(
        &mut out,
        w,
        h,
        "Contribution of the leading features over time",
    );
    for (f, name) in features.iter().enumerate() {
        let yy = top + row * f as f64;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}" text-anchor="end" fill="{INK}"><title>{}</title>{}</text>"#,
            px(left - 8.0),
            px(yy + 14.0),
            escape(name),
            escape(&truncate(name, 28))
        );
        // Runs of equal shade share one path, so a year of dates stays a handful of elements.
        let mut by_shade: Vec<String> = vec![String::new(); 9];
        for (d, date) in dates.iter().enumerate() {
            let v = values
                .get(f)
                .and_then(|r| r.get(d))
                .copied()
                .unwrap_or(f64::NAN);
            if !v.is_finite() {
                continue;
            }
            let shade = if vmax > 0.0 {
                ((v / vmax) * 8.0).round().clamp(0.0, 8.0) as usize
            } else {
                0
            };
            let _ = write!(
                by_shade[shade],
                "M{} {}h{}v{}h-{}Z",
                px(left + cell * (*date - first).num_days() as f64),
                px(yy + 2.0),
                px(cell.max(0.4)),
                px(row - 4.0),
                px(cell.max(0.4))
            );
        }
        for (shade, d) in by_shade.iter().enumerate() {
            if d.is_empty() {
                continue;
            }
            let _ = write!(
                out,
                r#"<path d="{d}" fill="{THRESHOLD}" fill-opacity="{}"/>"#,
                px(0.08 + 0.9 * shade as f64 / 8.0)
            );
        }
    }
    let base = h - bottom;
    let x = Scale::new(0.0, span, left, w - right);
    let ticks: Vec<(f64, String)> = date_ticks(first, last)
        .into_iter()
        .map(|(td, l)| ((td - first).num_days() as f64 + 0.5, l))
        .collect();
    x_axis(
        &mut out,
        &x,
        &ticks,
        base,
        "scoring date (UTC); darker = larger share of the drift",
    );
    let _ = write!(
        out,
        r#"<text x="{}" y="16" fill="{AXIS}">lightest 0%, darkest {}</text>"#,
        px(left),
        pct(vmax)
    );
    out.push_str("</svg>");
    Some(out)
}

/// Vertical grid lines at the x ticks, from `top` down to the axis at `base`.
fn vertical_grid(out: &mut String, ticks: &[f64], x_at: impl Fn(f64) -> f64, top: f64, base: f64) {
    for &t in ticks {
        let xx = px(x_at(t));
        let _ = write!(
            out,
            r#"<line x1="{xx}" x2="{xx}" y1="{}" y2="{}" stroke="{GRID}"/>"#,
            px(top),
            px(base)
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        crate::base::text::parse_day(s).unwrap()
    }

    #[test]
    fn malformed_histograms_are_refused_not_drawn() {
        let kde = Kde::default();
        let bad_len = Histogram {
            edges: vec![0.0, 1.0, 2.0],
            baseline: vec![1.0],
            target: vec![1.0, 2.0],
            ..Default::default()
        };
        assert!(numeric_distribution("x", &bad_len, &kde, ("a", "b")).is_none());
        let nan_edge = Histogram {
            edges: vec![0.0, f64::NAN],
            baseline: vec![1.0],
            target: vec![1.0],
            ..Default::default()
        };
        assert!(numeric_distribution("x", &nan_edge, &kde, ("a", "b")).is_none());
        let empty = Histogram::default();
        assert!(numeric_distribution("x", &empty, &kde, ("a", "b")).is_none());
        let zeros = Histogram {
            edges: vec![0.0, 1.0],
            baseline: vec![0.0],
            target: vec![0.0],
            ..Default::default()
        };
        assert!(numeric_distribution("x", &zeros, &kde, ("a", "b")).is_none());
    }

    #[test]
    fn histogram_draws_one_path_per_side_plus_kde_lines() {
        let hist = Histogram {
            edges: vec![0.0, 1.0, 2.0, 3.0],
            baseline: vec![1.0, 2.0, 1.0],
            target: vec![0.0, 1.0, 3.0],
            ..Default::default()
        };
        let kde = Kde {
            grid: vec![0.0, 1.5, 3.0],
            baseline: vec![0.1, 0.5, 0.1],
            target: vec![0.0, 0.3, 0.6],
            ..Default::default()
        };
        let svg = numeric_distribution("<b>x</b>", &hist, &kde, ("baseline", "target")).unwrap();
        assert_eq!(svg.matches("<path").count(), 4);
        assert!(svg.contains("&lt;b&gt;x&lt;/b&gt;") && !svg.contains("<b>"));
        // The target side has an empty first bin: only two bars in its path.
        let target_path = svg.split("<path").nth(2).unwrap();
        assert_eq!(target_path.matches('Z').count(), 2);
    }

    #[test]
    fn time_chart_rings_points_over_threshold_and_marks_missing_dates() {
        let series = vec![TimeSeries {
            name: "svc<1>".into(),
            points: vec![
                (d("2026-11-01"), 0.1),
                (d("2026-11-02"), 0.43),
                (d("2026-11-04"), 0.05),
            ],
        }];
        let svg = coefficient_over_time(
            &series,
            0.2,
            &[(d("2026-11-01"), 0.05)],
            &[(d("2026-11-03"), "failed: <boom>".into())],
        );
        assert_eq!(svg.matches(r#"r="4.5""#).count(), 1);
        assert!(svg.contains("svc&lt;1&gt; · 2026-11-02: 0.43 (drift)"));
        assert!(svg.contains("2026-11-03: failed: &lt;boom&gt;"));
        assert!(!svg.contains("<boom>") && !svg.contains("svc<1>"));
        // Many services: the legend wraps instead of running off the chart.
        let many: Vec<TimeSeries> = (0..12)
            .map(|i| TimeSeries {
                name: format!("service-number-{i}"),
                points: vec![(d("2026-11-01"), 0.1)],
            })
            .collect();
        let svg = coefficient_over_time(&many, 0.2, &[], &[]);
        // Legend labels are the dark text; each must end inside the 820-wide chart.
        let ends: Vec<f64> = svg
            .split("<text x=\"")
            .skip(1)
            .filter(|t| t.contains(&format!("fill=\"{INK}\">service")))
            .filter_map(|t| {
                let x: f64 = t.split('"').next()?.parse().ok()?;
                let label = t.split('>').nth(1)?.split('<').next()?;
                Some(x + 7.4 * label.chars().count() as f64)
            })
            .collect();
        assert_eq!(ends.len(), 12);
        assert!(
            ends.iter().all(|e| *e <= 820.0),
            "legend runs off the chart: {ends:?}"
        );
        assert!(
            svg.contains("viewBox=\"0 0 820 368\""),
            "three legend rows make the chart taller"
        );
    }

    #[test]
    fn date_ticks_scale_with_span() {
        assert_eq!(date_ticks(d("2026-11-01"), d("2026-11-07")).len(), 7);
        let month = date_ticks(d("2026-10-01"), d("2026-11-30"));
        assert!(month.len() <= 9 && month.len() >= 4, "{month:?}");
        let year = date_ticks(d("2025-11-25"), d("2026-11-24"));
        assert!(year.len() <= 9 && year.len() >= 5, "{year:?}");
        assert_eq!(year[0].1, "Dec 2025");
        // The end of the calendar ends the axis, not the program.
        assert!(!date_ticks(NaiveDate::MAX - chrono::Days::new(3), NaiveDate::MAX).is_empty());
        assert!(!date_ticks(NaiveDate::MIN, NaiveDate::MAX).is_empty());
    }
}

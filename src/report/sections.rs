//! Page sections for one comparison (a run, or a diff of two datasets): contributions, the metrics
//! table, per-feature distributions and data quality. The run page, the history page (for its
//! selected run) and the diff page all assemble these, so the three read alike.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write;

use super::ReportOptions;
use super::escape::escape;
use super::format::{count, num, pct};
use super::svg;
use crate::drift::metrics::{
    self, Kind, METRICS, MetricDef, Unit, datadrift_contribution, jensen_shannon, names,
    normalized_wasserstein, unseen_category,
};
use crate::drift::result::{Distribution, FeatureKind, FeatureReport, Metric, SchemaChanges};

/// The parts of a result the sections read, so runs and diffs share them.
pub(crate) struct Comparison<'a> {
    pub column_metrics: &'a [BTreeMap<String, Vec<Metric>>],
    pub features: &'a [FeatureReport],
    pub schema: &'a SchemaChanges,
    pub warnings: &'a [String],
    /// Names of the two sides: ("baseline", "target") or ("old", "new").
    pub sides: (&'a str, &'a str),
}

/// Metrics left out of the table because two other columns already show them.
const DERIVED: [&str; 1] = [names::MISSING_RATE_CHANGE];

/// The per-feature metrics of the table, in registry order.
fn table_metrics() -> impl Iterator<Item = &'static MetricDef> {
    METRICS
        .iter()
        .copied()
        .filter(|m| m.kind != Kind::Dataset && !DERIVED.contains(&m.name))
}

impl<'a> Comparison<'a> {
    fn lookup(&self) -> HashMap<&'a str, &'a [Metric]> {
        self.column_metrics
            .iter()
            .flat_map(|m| m.iter())
            .map(|(k, v)| (k.as_str(), v.as_slice()))
            .collect()
    }

    /// Every feature name, most drifted first: by contribution, then by the order of
    /// `column_metrics` (the engine writes the most drifted first), then features that only
    /// appear in `features`.
    pub fn order(&self) -> Vec<String> {
        let lookup = self.lookup();
        let mut names: Vec<String> = Vec::new();
        for m in self.column_metrics {
            for k in m.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
        for f in self.features {
            if !names.contains(&f.name) {
                names.push(f.name.clone());
            }
        }
        let contribution = |n: &str| {
            metric_in(&lookup, n, names::DATADRIFT_CONTRIBUTION).filter(|v| v.is_finite())
        };
        let pos: HashMap<String, usize> = names
            .iter()
            .cloned()
            .enumerate()
            .map(|(i, n)| (n, i))
            .collect();
        names.sort_by(|a, b| {
            match (contribution(a), contribution(b)) {
                (Some(x), Some(y)) => y.total_cmp(&x),
                (Some(_), None) => std::cmp::Ordering::Less,
                (None, Some(_)) => std::cmp::Ordering::Greater,
                (None, None) => std::cmp::Ordering::Equal,
            }
            .then_with(|| pos[a].cmp(&pos[b]))
        });
        names
    }

    fn feature(&self, name: &str) -> Option<&'a FeatureReport> {
        self.features.iter().find(|f| f.name == name)
    }
}

fn metric_in(lookup: &HashMap<&str, &[Metric]>, feature: &str, name: &str) -> Option<f64> {
    lookup
        .get(feature)
        .and_then(|ms| ms.iter().find(|m| m.name == name))
        .map(|m| m.value)
}

/// A numeric table cell carrying its raw value for sorting.
fn num_cell(out: &mut String, v: Option<f64>, rate: bool, class: &str) {
    match v.filter(|v| v.is_finite()) {
        Some(v) => {
            let shown = if rate { pct(v) } else { num(v) };
            let cls = if class.is_empty() {
                String::new()
            } else {
                format!(" class=\"{class}\"")
            };
            let _ = write!(out, "<td data-v=\"{v}\"{cls}>{}</td>", escape(&shown));
        }
        None => out.push_str("<td>\u{2013}</td>"),
    }
}

/// A count cell, sortable by its value.
fn count_cell(out: &mut String, n: u64, class: &str) {
    let cls = if class.is_empty() {
        String::new()
    } else {
        format!(" class=\"{class}\"")
    };
    let _ = write!(out, "<td data-v=\"{n}\"{cls}>{}</td>", count(n));
}

/// Contribution bars of the largest contributors, or a note when the classifier gave none.
pub(crate) fn contributions(c: &Comparison, opts: &ReportOptions) -> String {
    let lookup = c.lookup();
    let mut items: Vec<(String, f64)> = c
        .order()
        .into_iter()
        .filter_map(|n| {
            metric_in(&lookup, &n, names::DATADRIFT_CONTRIBUTION)
                .filter(|v| v.is_finite())
                .map(|v| (n, v))
        })
        .collect();
    let mut out = String::from("<h2 id=\"contributions\">Which features drifted</h2>\n");
    if items.is_empty() {
        out.push_str("<p class=\"note\">No per-feature contributions: the domain classifier did not run.</p>\n");
        return out;
    }
    if items.iter().all(|(_, v)| *v <= 0.0) {
        out.push_str("<p class=\"note\">No feature contributed: the domain classifier could not tell target rows from baseline rows, so it used none of them. The distances in the table below still show how far each feature moved.</p>\n");
        return out;
    }
    let total = items.len();
    items.truncate(opts.contribution_bars.max(1));
    out.push_str("<p class=\"note\">Each feature's share of the domain classifier's importance: how much it helped tell target rows from baseline rows. Larger means it moved more, or moved in a way the classifier could use.");
    if total > items.len() {
        let _ = write!(
            out,
            " The {} largest of {total} are drawn; all are in the table below.",
            items.len()
        );
    }
    out.push_str("</p>\n<div class=\"chart wide\">");
    out.push_str(&svg::contribution_bars(&items, total));
    out.push_str("</div>\n");
    out
}

/// The sortable table of every feature's metrics.
pub(crate) fn metrics_table(c: &Comparison) -> String {
    let lookup = c.lookup();
    let order = c.order();
    let present: Vec<&str> = {
        let mut seen: Vec<&str> = Vec::new();
        for ms in lookup.values() {
            for m in ms.iter() {
                if !seen.contains(&m.name.as_str()) {
                    seen.push(m.name.as_str());
                }
            }
        }
        seen
    };
    let mut cols: Vec<(&str, String, String, bool)> = table_metrics()
        .filter(|m| present.contains(&m.name))
        .map(|m| {
            (
                m.name,
                m.label.to_string(),
                m.summary(),
                m.unit == Unit::Share,
            )
        })
        .collect();
    // Metrics the registry does not know (a result written by another version) keep their name.
    let mut extra: Vec<&str> = present
        .iter()
        .copied()
        .filter(|p| metrics::get(p).is_none())
        .collect();
    extra.sort();
    for e in extra {
        cols.push((e, e.to_string(), e.to_string(), false));
    }
    let mut out = String::with_capacity(256 + order.len() * (60 + cols.len() * 40));
    out.push_str("<h2 id=\"metrics\">Metrics per feature</h2>\n<p class=\"note\">Most drifted first. Click a column header to sort; click a name to see its distributions.</p>\n");
    out.push_str("<div class=\"tw\"><table class=\"sortable\"><thead><tr><th>feature</th><th class=\"t\">kind</th>");
    for (_, head, title, _) in &cols {
        let _ = write!(
            out,
            "<th data-num title=\"{}\">{}</th>",
            escape(title),
            escape(head)
        );
    }
    out.push_str("</tr></thead><tbody>\n");
    for (i, name) in order.iter().enumerate() {
        let kind = c
            .feature(name)
            .map(|f| kind_name(f.kind))
            .unwrap_or("\u{2013}");
        let _ = write!(
            out,
            "<tr><td><a href=\"#f{i}\">{}</a></td><td class=\"t\">{kind}</td>",
            escape(name)
        );
        for (metric, _, _, rate) in &cols {
            num_cell(&mut out, metric_in(&lookup, name, metric), *rate, "");
        }
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

fn kind_name(k: FeatureKind) -> &'static str {
    match k {
        FeatureKind::Numeric => "numeric",
        FeatureKind::Categorical => "categorical",
    }
}

/// Baseline vs target of every feature in a `<details>` section, most drifted first, the first
/// `opts.open_features` open. Returns the HTML and the number of charts drawn.
pub(crate) fn feature_details(c: &Comparison, opts: &ReportOptions) -> (String, usize) {
    let lookup = c.lookup();
    let order = c.order();
    let mut charts = 0;
    let mut out = String::with_capacity(order.len() * 9000);
    let _ = write!(
        out,
        "<h2 id=\"features\">Distributions: {} vs {}</h2>\n<p class=\"note\">Most drifted first; the first {} are open. Numeric features: density histograms on shared bins with a kernel density estimate (solid {}, dashed {}). Categorical features: share of rows per category.</p>\n",
        escape(c.sides.0),
        escape(c.sides.1),
        opts.open_features,
        escape(c.sides.0),
        escape(c.sides.1)
    );
    for (i, name) in order.iter().enumerate() {
        let f = c.feature(name);
        let open = if i < opts.open_features { " open" } else { "" };
        let _ = write!(
            out,
            "<details id=\"f{i}\"{open}><summary><span class=\"fname\">{}</span> ",
            escape(name)
        );
        if let Some(f) = f {
            let _ = write!(out, "<span class=\"tag\">{}</span>", kind_name(f.kind));
        }
        let mut sub = Vec::new();
        for m in [
            &datadrift_contribution::DATADRIFT_CONTRIBUTION,
            &normalized_wasserstein::NORMALIZED_WASSERSTEIN_DISTANCE,
            &jensen_shannon::JENSEN_SHANNON_DISTANCE,
            &unseen_category::UNSEEN_CATEGORY_RATE,
        ] {
            if let Some(v) = metric_in(&lookup, name, m.name).filter(|v| v.is_finite()) {
                let shown = if m.unit == Unit::Share {
                    pct(v)
                } else {
                    num(v)
                };
                sub.push(format!("{} {shown}", m.label));
            }
        }
        if let Some(f) = f {
            let q = &f.quality;
            if q.rows.baseline > 0 && q.rows.target > 0 {
                let mb = q.missing.baseline as f64 / q.rows.baseline as f64;
                let mt = q.missing.target as f64 / q.rows.target as f64;
                if (mt - mb).abs() > 0.01 {
                    sub.push(format!("missing {} \u{2192} {}", pct(mb), pct(mt)));
                }
            }
        }
        if !sub.is_empty() {
            let _ = write!(
                out,
                "<span class=\"sub\">{}</span>",
                escape(&sub.join(" · "))
            );
        }
        out.push_str("</summary>\n<div class=\"fd\">");
        let Some(f) = f else {
            out.push_str("<p class=\"note\">No distribution was recorded for this feature.</p></div></details>\n");
            continue;
        };
        let chart = match &f.distribution {
            Distribution::Numeric { histogram, kde } => {
                svg::numeric_distribution(name, histogram, kde, c.sides)
            }
            Distribution::Categorical {
                categories,
                baseline,
                target,
            } => svg::categorical_distribution(
                name,
                categories,
                baseline,
                target,
                c.sides,
                opts.max_categories,
            ),
            Distribution::Empty => None,
        };
        match chart {
            Some(svg) => {
                charts += 1;
                out.push_str("<div class=\"chart\">");
                out.push_str(&svg);
                out.push_str("</div>");
            }
            None => out.push_str("<p class=\"note\">No values to plot on either side.</p>"),
        }
        out.push_str(&feature_facts(f, c.sides));
        out.push_str("</div></details>\n");
    }
    (out, charts)
}

/// The numbers beside a feature's chart: summary statistics and quality on each side.
fn feature_facts(f: &FeatureReport, sides: (&str, &str)) -> String {
    let mut out = String::with_capacity(1200);
    let _ = write!(
        out,
        "<table><thead><tr><th></th><th>{}</th><th>{}</th></tr></thead><tbody>",
        escape(sides.0),
        escape(sides.1)
    );
    let q = &f.quality;
    let row = |out: &mut String, label: &str, b: String, t: String| {
        let _ = write!(
            out,
            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
            escape(label),
            escape(&b),
            escape(&t)
        );
    };
    row(
        &mut out,
        "rows",
        count(q.rows.baseline),
        count(q.rows.target),
    );
    row(
        &mut out,
        "missing",
        rate_of(q.missing.baseline, q.rows.baseline),
        rate_of(q.missing.target, q.rows.target),
    );
    if q.invalid.baseline + q.invalid.target > 0 {
        row(
            &mut out,
            "invalid",
            count(q.invalid.baseline),
            count(q.invalid.target),
        );
    }
    if q.non_finite.baseline + q.non_finite.target > 0 {
        row(
            &mut out,
            "NaN / ±inf",
            count(q.non_finite.baseline),
            count(q.non_finite.target),
        );
    }
    if let Some(s) = &f.stats {
        let (b, t) = (&s.baseline, &s.target);
        row(&mut out, "mean", num(b.mean), num(t.mean));
        row(&mut out, "std", num(b.std), num(t.std));
        row(&mut out, "min", num(b.min), num(t.min));
        let tq: HashMap<String, f64> = t
            .quantiles
            .iter()
            .map(|(q, v)| (quantile_label(*q), *v))
            .collect();
        for (q, v) in &b.quantiles {
            let label = quantile_label(*q);
            let other = tq.get(&label).copied().unwrap_or(f64::NAN);
            row(&mut out, &label, num(*v), num(other));
        }
        row(&mut out, "max", num(b.max), num(t.max));
    }
    if let Some(u) = q.unseen_category_rate {
        row(&mut out, "unseen categories", "\u{2013}".into(), pct(u));
    }
    if let Distribution::Numeric { histogram, .. } = &f.distribution {
        let o = &histogram.outside;
        let (b, t) = (o.baseline.0 + o.baseline.1, o.target.0 + o.target.1);
        if b + t > 0 {
            row(&mut out, "outside the plotted range", count(b), count(t));
        }
    }
    if let Distribution::Categorical { categories, .. } = &f.distribution {
        row(
            &mut out,
            "categories shown",
            count(categories.len() as u64),
            String::new(),
        );
    }
    out.push_str("</tbody></table>");
    out
}

/// `p5` for 0.05 or 5 (either convention), `median` for the 50th percentile.
fn quantile_label(q: f64) -> String {
    let p = if q <= 1.0 { q * 100.0 } else { q };
    if (p - 50.0).abs() < 1e-9 {
        "median".to_string()
    } else {
        format!("p{}", num(p))
    }
}

fn rate_of(part: u64, whole: u64) -> String {
    if whole == 0 {
        "\u{2013}".to_string()
    } else {
        format!("{} ({})", pct(part as f64 / whole as f64), count(part))
    }
}

/// Rows, missing, invalid and unseen values per feature; schema changes; warnings.
pub(crate) fn quality(c: &Comparison) -> String {
    let order = c.order();
    let mut out = String::with_capacity(512 + order.len() * 400);
    out.push_str("<h2 id=\"quality\">Data quality</h2>\n");
    // Schema changes first: a column that vanished matters more than a shifted one.
    let s = c.schema;
    if s.missing_in_target.is_empty()
        && s.added_in_target.is_empty()
        && s.retyped.is_empty()
        && s.excluded.is_empty()
    {
        out.push_str(
            "<p class=\"note\">Schema: the same columns, with the same types, on both sides.</p>\n",
        );
    } else {
        out.push_str("<h3>Schema changes</h3><ul class=\"plain\">");
        for n in &s.missing_in_target {
            let _ = write!(
                out,
                "<li><span class=\"warn\">missing in {}</span>: <code>{}</code></li>",
                escape(c.sides.1),
                escape(n)
            );
        }
        for n in &s.added_in_target {
            let _ = write!(
                out,
                "<li>added in {}: <code>{}</code></li>",
                escape(c.sides.1),
                escape(n)
            );
        }
        for (n, a, b) in &s.retyped {
            let _ = write!(
                out,
                "<li><span class=\"warn\">type changed</span>: <code>{}</code> {} in {}, {} in {}</li>",
                escape(n),
                escape(a),
                escape(c.sides.0),
                escape(b),
                escape(c.sides.1)
            );
        }
        for (n, why) in &s.excluded {
            let _ = write!(
                out,
                "<li>not compared: <code>{}</code> ({})</li>",
                escape(n),
                escape(why)
            );
        }
        out.push_str("</ul>\n");
    }
    if !c.warnings.is_empty() {
        out.push_str("<h3>Warnings</h3><ul class=\"plain\">");
        for w in c.warnings {
            let _ = write!(out, "<li>{}</li>", escape(w));
        }
        out.push_str("</ul>\n");
    }
    if c.features.is_empty() {
        return out;
    }
    let (b, t) = (escape(c.sides.0), escape(c.sides.1));
    let _ = writeln!(
        out,
        "<h3>Per feature</h3><p class=\"note\">Highlighted: missing rate up by more than 5 points, invalid values in the {t}, or more than 1% unseen categories.</p><div class=\"tw\"><table class=\"sortable\"><thead><tr><th>feature</th><th data-num>rows ({b})</th><th data-num>rows ({t})</th><th data-num>missing ({b})</th><th data-num>missing ({t})</th><th data-num>invalid ({b})</th><th data-num>invalid ({t})</th><th data-num>NaN/inf ({b})</th><th data-num>NaN/inf ({t})</th><th data-num>unseen</th></tr></thead><tbody>"
    );
    for name in &order {
        let Some(f) = c.feature(name) else { continue };
        let q = &f.quality;
        let rate = |p: u64, w: u64| {
            if w == 0 {
                None
            } else {
                Some(p as f64 / w as f64)
            }
        };
        let (mb, mt) = (
            rate(q.missing.baseline, q.rows.baseline),
            rate(q.missing.target, q.rows.target),
        );
        let missing_up = matches!((mb, mt), (Some(b), Some(t)) if t - b > 0.05);
        let _ = write!(out, "<tr><td>{}</td>", escape(name));
        count_cell(&mut out, q.rows.baseline, "");
        count_cell(&mut out, q.rows.target, "");
        num_cell(&mut out, mb, true, "");
        num_cell(&mut out, mt, true, if missing_up { "warn" } else { "" });
        count_cell(&mut out, q.invalid.baseline, "");
        count_cell(
            &mut out,
            q.invalid.target,
            if q.invalid.target > 0 { "warn" } else { "" },
        );
        count_cell(&mut out, q.non_finite.baseline, "");
        count_cell(&mut out, q.non_finite.target, "");
        let unseen = q.unseen_category_rate;
        num_cell(
            &mut out,
            unseen,
            true,
            if unseen.is_some_and(|u| u > 0.01) {
                "warn"
            } else {
                ""
            },
        );
        out.push_str("</tr>\n");
    }
    out.push_str("</tbody></table></div>\n");
    out
}

//! The diff page: two datasets (say two training sets) side by side, in the run page's style.
//!
//! [`DiffView`] is the page's own input: two dataset summaries, the per-column metrics and
//! distributions, and the schema changes. It holds exactly what `driftscan diff` computes, so the
//! engine's diff type maps onto it field by field.

use std::collections::BTreeMap;
use std::fmt::Write;

use super::escape::escape;
use super::format::{coef, count, num, pct};
use super::sections::{self, Comparison};
use super::verdict::{Level, Verdict};
use super::{ReportOptions, banner, dataset_line, facts, footer, page};
use crate::drift::metrics::jensen_shannon::JENSEN_SHANNON_DISTANCE;
use crate::drift::metrics::normalized_wasserstein::NORMALIZED_WASSERSTEIN_DISTANCE;
use crate::drift::metrics::{MetricDef, names};
use crate::drift::result::{DatasetSummary, FeatureKind, FeatureReport, Metric, SchemaChanges};

/// A column "moved" when its normalized Wasserstein distance (numeric) or Jensen–Shannon distance
/// (categorical) is above this: the registry's default threshold of both (Azure ML model
/// monitoring's default).
pub const MOVED_THRESHOLD: f64 = match (
    NORMALIZED_WASSERSTEIN_DISTANCE.threshold,
    JENSEN_SHANNON_DISTANCE.threshold,
) {
    (Some(w), Some(js)) if w == js => w,
    _ => panic!("the diff page needs one threshold for W/σ and JS"),
};

/// What the diff page shows.
#[derive(Debug, Clone, Default)]
pub struct DiffView {
    /// The first dataset ("old").
    pub old: DatasetSummary,
    /// The second dataset ("new").
    pub new: DatasetSummary,
    /// Per-column metrics, one single-key map per column, as in `RunResult::column_metrics`.
    pub column_metrics: Vec<BTreeMap<String, Vec<Metric>>>,
    /// Per-column distributions and quality; `baseline` is old, `target` is new.
    pub features: Vec<FeatureReport>,
    /// Columns added, removed, retyped or excluded.
    pub schema: SchemaChanges,
    /// Things worth knowing that did not stop the comparison.
    pub warnings: Vec<String>,
    /// Domain-classifier coefficient between the two, when it was computed.
    pub coefficient: Option<f64>,
}

/// The metric that decides whether a column of this kind moved.
fn moved_by(kind: FeatureKind) -> &'static MetricDef {
    match kind {
        FeatureKind::Numeric => &NORMALIZED_WASSERSTEIN_DISTANCE,
        FeatureKind::Categorical => &JENSEN_SHANNON_DISTANCE,
    }
}

/// The distance that decides whether a column moved, with its label.
fn distance(v: &DiffView, f: &FeatureReport) -> Option<(&'static str, f64)> {
    let metric = moved_by(f.kind);
    v.column_metrics
        .iter()
        .find_map(|m| m.get(&f.name))
        .and_then(|ms| ms.iter().find(|m| m.name == metric.name))
        .map(|m| (metric.label, m.value))
        .filter(|(_, x)| x.is_finite())
}

/// The one-line answer for a diff.
pub fn diff_verdict(v: &DiffView) -> Verdict {
    let moved: Vec<(&str, f64)> = v
        .features
        .iter()
        .filter_map(|f| {
            distance(v, f)
                .filter(|(_, d)| *d > MOVED_THRESHOLD)
                .map(|(_, d)| (f.name.as_str(), d))
        })
        .collect();
    let s = &v.schema;
    let mut schema = Vec::new();
    if !s.missing_in_target.is_empty() {
        schema.push(format!("{} missing in new", s.missing_in_target.len()));
    }
    if !s.added_in_target.is_empty() {
        schema.push(format!("{} added", s.added_in_target.len()));
    }
    if !s.retyped.is_empty() {
        schema.push(format!("{} retyped", s.retyped.len()));
    }
    let n = v.features.len();
    let mut headline = if moved.is_empty() {
        format!("No column moved ({n} compared)")
    } else {
        format!("{} of {n} columns moved", moved.len())
    };
    if schema.is_empty() {
        headline.push_str("; same schema");
    } else {
        let _ = write!(headline, "; schema: {}", schema.join(", "));
    }
    let mut sorted = moved.clone();
    sorted.sort_by(|a, b| b.1.total_cmp(&a.1));
    let mut detail = format!(
        "A column moved when its {} (normalized Wasserstein distance, numeric) or {} (Jensen–Shannon distance, categorical) is above {}.",
        moved_by(FeatureKind::Numeric).label,
        moved_by(FeatureKind::Categorical).label,
        num(MOVED_THRESHOLD)
    );
    if !sorted.is_empty() {
        let top: Vec<String> = sorted
            .iter()
            .take(3)
            .map(|(n, d)| format!("{n} ({})", num(*d)))
            .collect();
        let _ = write!(detail, " Most moved: {}.", top.join(", "));
    }
    if let Some(c) = v.coefficient.filter(|c| c.is_finite()) {
        let _ = write!(detail, " Domain-classifier coefficient: {}.", coef(c));
    }
    Verdict {
        level: if moved.is_empty() && schema.is_empty() {
            Level::NoDrift
        } else {
            Level::Drift
        },
        headline,
        detail,
    }
}

/// Two datasets compared, as a complete page.
pub fn render_diff(v: &DiffView, opts: &ReportOptions) -> String {
    let title = format!("Dataset comparison: {} vs {}", v.old.source, v.new.source);
    let mut body = String::with_capacity(64 * 1024);
    let _ = writeln!(body, "<h1>{}</h1>", escape(&title));
    body.push_str(&banner(&diff_verdict(v)));
    body.push_str(&facts(&[
        ("Old", dataset_line(&v.old)),
        ("New", dataset_line(&v.new)),
        ("Columns compared", count(v.features.len() as u64)),
    ]));

    // Old and new statistics per column, most moved first.
    let mut order: Vec<&FeatureReport> = v.features.iter().collect();
    order.sort_by(|a, b| {
        let da = distance(v, a).map(|x| x.1).unwrap_or(f64::NEG_INFINITY);
        let db = distance(v, b).map(|x| x.1).unwrap_or(f64::NEG_INFINITY);
        db.total_cmp(&da)
    });
    body.push_str("<h2 id=\"columns\">Columns, old and new</h2>\n<p class=\"note\">Most moved first. Click a header to sort.</p>\n<div class=\"tw\"><table class=\"sortable\"><thead><tr><th>column</th><th class=\"t\">kind</th><th data-num>distance</th><th data-num>mean (old)</th><th data-num>mean (new)</th><th data-num>std (old)</th><th data-num>std (new)</th><th data-num>missing (old)</th><th data-num>missing (new)</th><th data-num>rows (old)</th><th data-num>rows (new)</th></tr></thead><tbody>\n");
    for f in order {
        let d = distance(v, f);
        let moved = d.is_some_and(|(_, x)| x > MOVED_THRESHOLD);
        let _ = write!(
            body,
            "<tr{}><td>{}</td><td class=\"t\">{}</td>",
            if moved { " class=\"drift\"" } else { "" },
            escape(&f.name),
            match f.kind {
                FeatureKind::Numeric => "numeric",
                FeatureKind::Categorical => "categorical",
            }
        );
        match d {
            Some((label, x)) => {
                let _ = write!(
                    body,
                    "<td data-v=\"{x}\"{}>{} {}</td>",
                    if moved { " class=\"warn\"" } else { "" },
                    label,
                    num(x)
                );
            }
            None => body.push_str("<td>\u{2013}</td>"),
        }
        let stat = |body: &mut String, x: Option<f64>| match x.filter(|x| x.is_finite()) {
            Some(x) => {
                let _ = write!(body, "<td data-v=\"{x}\">{}</td>", num(x));
            }
            None => body.push_str("<td>\u{2013}</td>"),
        };
        let s = f.stats.as_ref();
        stat(&mut body, s.map(|s| s.baseline.mean));
        stat(&mut body, s.map(|s| s.target.mean));
        stat(&mut body, s.map(|s| s.baseline.std));
        stat(&mut body, s.map(|s| s.target.std));
        let q = &f.quality;
        for (m, r) in [
            (q.missing.baseline, q.rows.baseline),
            (q.missing.target, q.rows.target),
        ] {
            if r == 0 {
                body.push_str("<td>\u{2013}</td>");
            } else {
                let x = m as f64 / r as f64;
                let _ = write!(body, "<td data-v=\"{x}\">{}</td>", pct(x));
            }
        }
        for r in [q.rows.baseline, q.rows.target] {
            let _ = write!(body, "<td data-v=\"{r}\">{}</td>", count(r));
        }
        body.push_str("</tr>\n");
    }
    body.push_str("</tbody></table></div>\n");

    let c = Comparison {
        column_metrics: &v.column_metrics,
        features: &v.features,
        schema: &v.schema,
        warnings: &v.warnings,
        sides: ("old", "new"),
    };
    if v.column_metrics
        .iter()
        .flat_map(|m| m.values())
        .flatten()
        .any(|m| m.name == names::DATADRIFT_CONTRIBUTION)
    {
        body.push_str(&sections::contributions(&c, opts));
    }
    body.push_str(&sections::metrics_table(&c));
    body.push_str(&sections::feature_details(&c, opts).0);
    body.push_str(&sections::quality(&c));
    page::wrap(&title, &body, &footer(opts))
}

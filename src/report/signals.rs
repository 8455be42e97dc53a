//! The signals beside data drift on the run and history pages: a section per signal with its
//! features, metrics, thresholds and verdicts, and a timeline per signal over the history.
//!
//! Both are empty for results that carry no signals (a detector watching only data drift), so
//! those pages are unchanged.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;

use super::escape::escape;
use super::format::{count, num, px};
use super::svg::{SERIES, THRESHOLD};
use crate::detector::signals::DATA_DRIFT;
use crate::drift::result::{DatasetSummary, FeatureKind, RunResult, RunStatus};
use crate::drift::signals::{SignalMetric, SignalResult};

/// Signals shown in their own section: every one but data drift, which the rest of the page is.
fn shown(r: &RunResult) -> impl Iterator<Item = &SignalResult> {
    r.signals.iter().filter(|s| s.name != DATA_DRIFT)
}

/// How a signal's name reads in a heading: `data_quality` -> `Data quality`.
pub(crate) fn title(name: &str) -> String {
    let spaced = name.replace('_', " ");
    let mut chars = spaced.chars();
    match chars.next() {
        Some(c) => c.to_uppercase().chain(chars).collect(),
        None => spaced,
    }
}

/// One sentence naming the signals that failed, for the page's verdict; `None` when all passed.
pub(crate) fn failing_sentence(r: &RunResult) -> Option<String> {
    let failing: Vec<String> = shown(r)
        .filter(|s| !s.passed)
        .map(|s| {
            let n = s.failing_features().count();
            format!(
                "{} ({n} {})",
                title(&s.name).to_lowercase(),
                if n == 1 { "column" } else { "columns" }
            )
        })
        .collect();
    (!failing.is_empty()).then(|| format!("Signals failing: {}.", failing.join(", ")))
}

/// The run page's signals section: a summary table, then each signal's features.
pub(crate) fn run_section(r: &RunResult) -> String {
    if shown(r).next().is_none() {
        return String::new();
    }
    let mut out = String::from(
        "<h2 id=\"signals\">Signals</h2>\n<div class=\"tw\"><table><thead><tr><th class=\"t\">signal</th><th class=\"t\">verdict</th><th class=\"t\">reference</th><th class=\"t\">production</th><th class=\"t\">failing</th></tr></thead><tbody>\n",
    );
    for s in &r.signals {
        let failing: Vec<&str> = s.failing_features().map(|f| f.name.as_str()).collect();
        let _ = writeln!(
            out,
            "<tr{}><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t wrap\">{}</td><td class=\"t wrap\">{}</td><td class=\"t wrap\">{}</td></tr>",
            if s.passed { "" } else { " class=\"drift\"" },
            escape(&title(&s.name)),
            verdict_tag(s.passed),
            escape(&side(&s.reference)),
            escape(&side(&s.production)),
            escape(&failing.join(", "))
        );
    }
    out.push_str("</tbody></table></div>\n");
    for s in shown(r) {
        out.push_str(&signal_table(s));
    }
    out
}

fn verdict_tag(passed: bool) -> &'static str {
    if passed {
        "<span class=\"tag\">passed</span>"
    } else {
        "<span class=\"tag drift\">failed</span>"
    }
}

fn side(d: &DatasetSummary) -> String {
    if d.source.is_empty() {
        return "\u{2013}".to_string();
    }
    format!("{} ({} rows)", d.source, count(d.rows))
}

/// One signal's features: a row per feature and metric, failing features first.
fn signal_table(s: &SignalResult) -> String {
    let mut out = format!(
        "<h3 id=\"signal-{0}\">{1} {2}</h3>\n",
        escape(&s.name),
        escape(&title(&s.name)),
        verdict_tag(s.passed)
    );
    for w in &s.warnings {
        let _ = writeln!(out, "<p class=\"note warn\">{}</p>", escape(w));
    }
    if !s.metrics.is_empty() {
        out.push_str("<p class=\"note\">");
        let parts: Vec<String> = s.metrics.iter().map(metric_text).collect();
        out.push_str(&escape(&parts.join(" · ")));
        out.push_str("</p>\n");
    }
    if s.features.is_empty() {
        return out;
    }
    out.push_str("<div class=\"tw\"><table class=\"sortable\"><thead><tr><th class=\"t\">column</th><th class=\"t\">kind</th><th class=\"t\">metric</th><th data-num>value</th><th data-num>rows counted</th><th data-num>threshold</th><th class=\"t\">verdict</th></tr></thead><tbody>\n");
    for f in &s.features {
        for m in &f.metrics {
            let _ = writeln!(
                out,
                "<tr{}><td class=\"t\">{}</td><td class=\"t\">{}</td><td class=\"t\">{}</td><td data-v=\"{}\">{}</td><td>{}</td><td>{}</td><td class=\"t\">{}</td></tr>",
                if m.failed() { " class=\"drift\"" } else { "" },
                escape(&f.name),
                match f.kind {
                    FeatureKind::Numeric => "numeric",
                    FeatureKind::Categorical => "categorical",
                },
                escape(&m.name),
                if m.value.is_finite() { m.value } else { -1.0 },
                num(m.value),
                match (m.count, m.rows) {
                    (Some(c), Some(n)) => format!("{} of {}", count(c), count(n)),
                    _ => "\u{2013}".to_string(),
                },
                m.threshold.map_or("\u{2013}".to_string(), num),
                match m.passed {
                    Some(p) => verdict_tag(p),
                    None => "",
                }
            );
        }
    }
    out.push_str("</tbody></table></div>\n");
    out
}

fn metric_text(m: &SignalMetric) -> String {
    match m.threshold {
        Some(t) => format!("{} {} (threshold {})", m.name, num(m.value), num(t)),
        None => format!("{} {}", m.name, num(m.value)),
    }
}

/// One signal's verdicts: service -> date -> (passed, failure lines).
type Strip<'a> = BTreeMap<&'a str, BTreeMap<NaiveDate, (bool, Vec<String>)>>;

/// The history page's timelines: one strip per signal, a row per service, a cell per scored
/// date, vermillion where the signal failed, with the failures in the cell's tooltip.
pub(crate) fn timelines(rs: &[&RunResult], services: &[String]) -> String {
    let mut by_signal: BTreeMap<&str, Strip> = BTreeMap::new();
    for r in rs.iter().filter(|r| r.run.status == RunStatus::Succeeded) {
        for s in &r.signals {
            by_signal
                .entry(s.name.as_str())
                .or_default()
                .entry(r.service_name.as_str())
                .or_default()
                .insert(r.datetime, (s.passed, s.failure_lines()));
        }
    }
    if by_signal.keys().all(|name| *name == DATA_DRIFT) {
        return String::new();
    }
    let dates: Vec<NaiveDate> = {
        let mut d: Vec<NaiveDate> = rs.iter().map(|r| r.datetime).collect();
        d.sort();
        d.dedup();
        d
    };
    let mut out = String::from(
        "<h2 id=\"signals-over-time\">Signals over time</h2>\n<p class=\"note\">One strip per signal, one row per service, one cell per scored date: vermillion where the signal failed (hover a cell for why), blue where it passed, empty where it was not computed.</p>\n",
    );
    // Data drift first, as in every result, then the others by name.
    let mut names: Vec<&str> = by_signal.keys().copied().collect();
    names.sort_by_key(|n| (*n != DATA_DRIFT, *n));
    for name in names {
        let rows = &by_signal[name];
        out.push_str(&strip(name, rows, services, &dates));
    }
    out
}

fn strip(name: &str, rows: &Strip<'_>, services: &[String], dates: &[NaiveDate]) -> String {
    let (w, left, row_h, top) = (820.0, 150.0, 18.0, 22.0);
    let listed: Vec<&str> = services
        .iter()
        .map(String::as_str)
        .filter(|s| rows.contains_key(s))
        .collect();
    let h = top + row_h * listed.len() as f64 + 20.0;
    let cell = ((w - left - 8.0) / dates.len().max(1) as f64).min(24.0);
    let mut out = String::with_capacity(256 + 160 * dates.len() * listed.len());
    super::svg::open_svg(&mut out, w, h, &format!("{} over time", title(name)));
    let _ = write!(
        out,
        r#"<text x="0" y="14" font-weight="600">{}</text>"#,
        escape(&title(name))
    );
    let failed_total: usize = rows
        .values()
        .flat_map(|d| d.values())
        .filter(|(p, _)| !p)
        .count();
    let _ = write!(
        out,
        r#"<text x="{}" y="14" fill="{THRESHOLD}">{failed_total} failed run{}</text>"#,
        px(left),
        if failed_total == 1 { "" } else { "s" }
    );
    for (i, service) in listed.iter().enumerate() {
        let y = top + row_h * i as f64;
        let _ = write!(
            out,
            r#"<text x="0" y="{}">{}</text>"#,
            px(y + 13.0),
            escape(&super::escape::truncate(service, 20))
        );
        for (j, date) in dates.iter().enumerate() {
            let Some((passed, failures)) = rows[service].get(date) else {
                continue;
            };
            let colour = if *passed { SERIES[0] } else { THRESHOLD };
            let mut tip = format!(
                "{date} · {service}: {}",
                if *passed { "passed" } else { "failed" }
            );
            for line in failures.iter().take(5) {
                tip.push('\n');
                tip.push_str(line);
            }
            if failures.len() > 5 {
                let _ = write!(tip, "\nand {} more", failures.len() - 5);
            }
            let _ = write!(
                out,
                r#"<rect x="{}" y="{}" width="{}" height="{}" fill="{colour}" fill-opacity="{}"><title>{}</title></rect>"#,
                px(left + cell * j as f64),
                px(y + 2.0),
                px((cell - 1.0).max(1.0)),
                px(row_h - 4.0),
                if *passed { "0.35" } else { "0.9" },
                escape(&tip)
            );
        }
    }
    if let (Some(first), Some(last)) = (dates.first(), dates.last()) {
        let y = h - 4.0;
        let _ = write!(
            out,
            r#"<text x="{}" y="{}">{first}</text><text x="{}" y="{}" text-anchor="end">{last}</text>"#,
            px(left),
            px(y),
            px(left + cell * dates.len() as f64),
            px(y)
        );
    }
    out.push_str("</svg>\n");
    out
}

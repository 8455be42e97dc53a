//! The history page: a detector's runs over a period, built section by section.

use std::collections::BTreeMap;
use std::fmt::Write;

use chrono::NaiveDate;

use super::escape::escape;
use super::format::{coef, count, pct};
use super::{
    NAV, Period, ReportOptions, banner, facts, footer, page, run_body, status_name, svg, verdict,
};
use crate::detector::{Detector, Frequency};
use crate::drift::metrics::names::DATADRIFT_CONTRIBUTION;
use crate::drift::result::{RunResult, RunStatus};

/// A detector's results over a period as one page. Results outside `period` are left out; with
/// no period, the page spans the results given. `detector` adds the definition to the header
/// (results alone still render, e.g. for a detector that was deleted).
pub fn render_history(
    detector: Option<&Detector>,
    results: &[RunResult],
    period: Option<Period>,
    opts: &ReportOptions,
) -> String {
    let mut rs: Vec<&RunResult> = results
        .iter()
        .filter(|r| period.is_none_or(|p| p.contains(r.datetime)))
        .collect();
    rs.sort_by(|a, b| {
        a.datetime
            .cmp(&b.datetime)
            .then_with(|| a.service_name.cmp(&b.service_name))
    });
    let name = detector
        .map(|d| d.name.clone())
        .or_else(|| rs.first().map(|r| r.detector.clone()))
        .unwrap_or_else(|| "detector".to_string());
    let title = format!("Drift history: {name}");
    let threshold = detector
        .map(|d| d.drift_threshold)
        .or_else(|| rs.last().map(|r| r.drift_threshold))
        .unwrap_or(crate::detector::DEFAULT_DRIFT_THRESHOLD);
    let mut services: Vec<String> = detector.map(|d| d.services.clone()).unwrap_or_default();
    for r in &rs {
        if !services.contains(&r.service_name) {
            services.push(r.service_name.clone());
        }
    }
    let (detail, selection_note) = detail_run(&rs, opts);

    let mut body = String::with_capacity(256 * 1024);
    let _ = writeln!(body, "<h1>{}</h1>", escape(&title));
    body.push_str(&banner(&verdict::for_history(
        &rs,
        detector.map(|d| d.frequency),
    )));
    body.push_str(&header(detector, &rs, &name, &services, period, threshold));
    body.push_str(&coefficient_trend(&rs, &services, threshold));
    body.push_str(&super::signals::timelines(&rs, &services));
    body.push_str(&super::performance::history(&rs, &services));
    if let Some(d) = detail {
        body.push_str(&contribution_trend(&rs, d, opts));
    }
    body.push_str(&runs_table(&rs));
    body.push_str(&not_scored(&rs));
    if let Some(d) = detail {
        body.push_str(&detail_section(d, &name, selection_note, opts));
    }
    page::wrap(&title, &body, &footer(opts))
}

/// The facts under the title: detector, model, services, baseline, period, threshold, run counts.
fn header(
    detector: Option<&Detector>,
    rs: &[&RunResult],
    name: &str,
    services: &[String],
    period: Option<Period>,
    threshold: f64,
) -> String {
    let shown_period = period.or_else(|| match (rs.first(), rs.last()) {
        (Some(a), Some(b)) => Some(Period {
            start: a.datetime,
            end: b.datetime,
        }),
        _ => None,
    });
    let counted = |status: RunStatus| rs.iter().filter(|r| r.run.status == status).count();
    let mut rows: Vec<(&str, String)> = vec![("Detector", name.to_string())];
    let model = detector
        .map(|d| (d.model_name.clone(), d.model_version))
        .or_else(|| rs.last().map(|r| (r.model_name.clone(), r.model_version)));
    if let Some((m, ver)) = model {
        rows.push(("Model", format!("{m}, version {ver}")));
    }
    rows.push((
        "Services",
        if services.is_empty() {
            "\u{2013}".into()
        } else {
            services.join(", ")
        },
    ));
    if let Some(b) = detector
        .map(|d| d.baseline.clone())
        .or_else(|| rs.last().map(|r| r.baseline.source.clone()))
    {
        rows.push(("Baseline", b));
    }
    rows.push((
        "Period",
        shown_period
            .map(|p| format!("{} to {}", p.start, p.end))
            .unwrap_or_else(|| "\u{2013}".into()),
    ));
    let mut th = format!("drift when the coefficient is above {}", coef(threshold));
    if let Some(f) = detector.map(|d| d.frequency) {
        let _ = write!(
            th,
            "; scored every {}",
            match f {
                Frequency::Day => "day",
                Frequency::Week => "week",
                Frequency::Month => "month",
            }
        );
    }
    if detector.is_some_and(|d| !d.enabled) {
        th.push_str("; detector disabled");
    }
    rows.push(("Threshold", th));
    rows.push((
        "Runs",
        format!(
            "{} scored, {} failed, {} with no data",
            counted(RunStatus::Succeeded),
            counted(RunStatus::Failed),
            counted(RunStatus::NoData)
        ),
    ));
    facts(&rows)
}

/// The coefficient of every service over time, with the threshold, the noise floor and the runs
/// that did not score.
fn coefficient_trend(rs: &[&RunResult], services: &[String], threshold: f64) -> String {
    let mut series: BTreeMap<&str, Vec<(NaiveDate, f64)>> = BTreeMap::new();
    let mut noise: BTreeMap<NaiveDate, f64> = BTreeMap::new();
    let mut not_scored = Vec::new();
    for r in rs {
        match r.run.status {
            RunStatus::Succeeded => {
                if let Some(c) = r.coefficient().filter(|c| c.is_finite()) {
                    series
                        .entry(r.service_name.as_str())
                        .or_default()
                        .push((r.datetime, c));
                }
                if let Some(n) = r
                    .classifier
                    .as_ref()
                    .map(|k| k.noise_floor.max)
                    .filter(|v| v.is_finite())
                {
                    let e = noise.entry(r.datetime).or_insert(n);
                    *e = e.max(n);
                }
            }
            s => not_scored.push((
                r.datetime,
                format!(
                    "{}: {}{}",
                    r.service_name,
                    status_name(s),
                    r.run
                        .error
                        .as_deref()
                        .map(|e| format!(" — {e}"))
                        .unwrap_or_default()
                ),
            )),
        }
    }
    // Order services as the detector lists them, so colours stay put between pages.
    let ts: Vec<svg::TimeSeries> = services
        .iter()
        .filter_map(|s| {
            series.get(s.as_str()).map(|p| svg::TimeSeries {
                name: s.clone(),
                points: p.clone(),
            })
        })
        .collect();
    let noise: Vec<(NaiveDate, f64)> = noise.into_iter().collect();
    let mut out = String::from("<h2 id=\"trend\">Drift coefficient over time</h2>\n");
    if ts.is_empty() && not_scored.is_empty() {
        out.push_str("<p class=\"note\">No runs in this period.</p>\n");
    } else {
        out.push_str("<p class=\"note\">One line per service. Dashed vermillion: the threshold; points above it are marked in vermillion. Grey band: the noise floor, the largest coefficient the same classifier gives on two halves of the baseline at the run's sample size; a coefficient inside it is indistinguishable from no drift. Crosses under the axis: runs that failed or found no data.</p>\n<div class=\"chart wide\">");
        out.push_str(&svg::coefficient_over_time(
            &ts,
            threshold,
            &noise,
            &not_scored,
        ));
        out.push_str("</div>\n");
    }
    out
}

/// The run shown feature by feature: the one asked for, else the latest scored run (on its date,
/// the service with the highest coefficient), with a note when the one asked for is not there.
fn detail_run<'a>(
    rs: &[&'a RunResult],
    opts: &ReportOptions,
) -> (Option<&'a RunResult>, Option<String>) {
    let latest = rs
        .iter()
        .filter(|r| r.run.status == RunStatus::Succeeded)
        .max_by(|a, b| {
            a.datetime.cmp(&b.datetime).then_with(|| {
                a.coefficient()
                    .unwrap_or(f64::NAN)
                    .total_cmp(&b.coefficient().unwrap_or(f64::NAN))
            })
        })
        .copied();
    match &opts.detail_run {
        Some((svc, date)) => match rs
            .iter()
            .find(|r| &r.service_name == svc && r.datetime == *date)
        {
            Some(r) => (Some(*r), None),
            None => (
                latest,
                Some(format!(
                    "There is no run of {svc} on {date} in this period; showing the latest scored run instead."
                )),
            ),
        },
        None => (latest, None),
    }
}

/// The contribution of the leading features over time, for the detail run's service.
fn contribution_trend(rs: &[&RunResult], d: &RunResult, opts: &ReportOptions) -> String {
    let runs: Vec<&RunResult> = rs
        .iter()
        .filter(|r| r.service_name == d.service_name && r.run.status == RunStatus::Succeeded)
        .copied()
        .collect();
    if runs.len() < 2 {
        return String::new();
    }
    let mut totals: BTreeMap<&str, f64> = BTreeMap::new();
    for r in &runs {
        for (f, v) in r.top_contributors(usize::MAX) {
            if let Some((k, _)) = r
                .column_metrics
                .iter()
                .flat_map(|m| m.iter())
                .find(|(k, _)| **k == f)
            {
                *totals.entry(k.as_str()).or_default() += v;
            }
        }
    }
    let mut lead: Vec<(&str, f64)> = totals.into_iter().collect();
    lead.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| a.0.cmp(b.0)));
    lead.truncate(opts.trend_features);
    let features: Vec<String> = lead.iter().map(|(f, _)| f.to_string()).collect();
    let dates: Vec<NaiveDate> = runs.iter().map(|r| r.datetime).collect();
    let values: Vec<Vec<f64>> = features
        .iter()
        .map(|f| {
            runs.iter()
                .map(|r| {
                    r.column_metric(f, DATADRIFT_CONTRIBUTION)
                        .unwrap_or(f64::NAN)
                })
                .collect()
        })
        .collect();
    match svg::contribution_heatmap(&features, &dates, &values) {
        Some(svg) => format!(
            "<h2 id=\"trend-features\">Which features drove it, over time</h2>\n<p class=\"note\">Service {}: contribution of the {} features with the largest total contribution over the period, one column per scoring date.</p>\n<div class=\"chart wide\">{svg}</div>\n",
            escape(&d.service_name),
            features.len()
        ),
        None => String::new(),
    }
}

/// Every run, newest first, in a sortable table.
fn runs_table(rs: &[&RunResult]) -> String {
    if rs.is_empty() {
        return String::new();
    }
    let mut body = String::from(
        "<h2 id=\"runs\">Runs</h2>\n<p class=\"note\">Newest first. Click a header to sort.</p>\n<div class=\"tw\"><table class=\"sortable\"><thead><tr><th>date</th><th class=\"t\">service</th><th class=\"t\">status</th><th data-num>coefficient</th><th data-num>noise floor</th><th data-num>target rows</th><th class=\"t\">largest contribution</th><th class=\"t\">note</th></tr></thead><tbody>\n",
    );
    for r in rs.iter().rev() {
        let status = if r.run.status == RunStatus::Succeeded && r.has_drift {
            "<span class=\"tag drift\">drift</span>".to_string()
        } else {
            format!(
                "<span class=\"tag {0}\">{0}</span>",
                status_name(r.run.status)
            )
        };
        let c = r.coefficient().filter(|c| c.is_finite());
        let n = r
            .classifier
            .as_ref()
            .map(|k| k.noise_floor.max)
            .filter(|v| v.is_finite());
        let top = r
            .top_contributors(1)
            .first()
            .filter(|(_, v)| *v > 0.0)
            .map(|(f, v)| format!("{f} ({})", pct(*v)))
            .unwrap_or_default();
        let note = r.run.error.clone().unwrap_or_else(|| {
            if r.warnings.is_empty() {
                String::new()
            } else {
                r.warnings.join(" ")
            }
        });
        let _ = write!(
            body,
            "<tr{}><td>{}</td><td class=\"t\">{}</td><td class=\"t\">{status}</td>",
            if r.has_drift { " class=\"drift\"" } else { "" },
            r.datetime,
            escape(&r.service_name)
        );
        for v in [c, n] {
            match v {
                Some(v) => {
                    let _ = write!(body, "<td data-v=\"{v}\">{}</td>", coef(v));
                }
                None => body.push_str("<td>\u{2013}</td>"),
            }
        }
        if r.run.status == RunStatus::Succeeded {
            let _ = write!(
                body,
                "<td data-v=\"{}\">{}</td>",
                r.target.rows,
                count(r.target.rows)
            );
        } else {
            body.push_str("<td>\u{2013}</td>");
        }
        let _ = writeln!(
            body,
            "<td class=\"t\">{}</td><td class=\"t wrap\">{}</td></tr>",
            escape(&top),
            escape(&note)
        );
    }
    body.push_str("</tbody></table></div>\n");
    body
}

/// The runs that failed or found no data, with their reasons.
fn not_scored(rs: &[&RunResult]) -> String {
    let unscored: Vec<&&RunResult> = rs
        .iter()
        .filter(|r| r.run.status != RunStatus::Succeeded)
        .collect();
    if unscored.is_empty() {
        return String::new();
    }
    let mut body =
        String::from("<h2 id=\"not-scored\">Runs that did not score</h2>\n<ul class=\"plain\">");
    for r in unscored.iter().rev() {
        let _ = write!(
            body,
            "<li><span class=\"tag {0}\">{0}</span> {1} · {2}: {3}</li>",
            status_name(r.run.status),
            r.datetime,
            escape(&r.service_name),
            escape(r.run.error.as_deref().unwrap_or("no reason was recorded"))
        );
    }
    body.push_str("</ul>\n");
    body
}

/// One run feature by feature, as on its own run page.
fn detail_section(
    d: &RunResult,
    name: &str,
    selection_note: Option<String>,
    opts: &ReportOptions,
) -> String {
    let mut body = String::new();
    let _ = writeln!(
        body,
        "<h2 id=\"detail\">Run in detail: {} on {}</h2>",
        escape(&d.service_name),
        d.datetime
    );
    if let Some(n) = selection_note {
        let _ = writeln!(body, "<p class=\"note warn\">{}</p>", escape(&n));
    }
    let _ = writeln!(
        body,
        "<p class=\"note\">Per-feature detail is shown for one run. Another run: <code>driftscan report --store DIR --detector {} --run YYYY-MM-DD --service NAME</code>.</p>",
        escape(name)
    );
    body.push_str(&banner(&verdict::for_run(d)));
    body.push_str(NAV);
    body.push_str(&run_body(d, opts).0);
    body
}

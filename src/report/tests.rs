//! Page-level unit tests: verdict sentences, escaping across whole pages, chart counts,
//! history selection and the size bound of a year of runs.

use super::testdata::{self, day};
use super::*;
use crate::detector::{AlertConfig, Detector, DetectorConfig, Frequency};

fn detector() -> Detector {
    Detector::try_from(DetectorConfig {
        name: "churn-model".into(),
        model_name: "churn".into(),
        model_version: 3,
        services: vec!["svc-a".into(), "svc-b".into()],
        baseline: "baselines/train.parquet".into(),
        snapshots: None,
        frequency: Frequency::Day,
        latency: 0,
        feature_list: None,
        drift_threshold: 0.2,
        alert: AlertConfig::default(),
        alert_on: Default::default(),
        min_effect: crate::detector::DEFAULT_MIN_EFFECT,
        feature_thresholds: Default::default(),
        feature_types: Default::default(),
        on_missing_feature: Default::default(),
        signals: Default::default(),
        reference_window: None,
        production_window: None,
        enabled: true,
    })
    .expect("valid detector")
}

#[test]
fn verdict_of_a_drifting_run_names_coefficient_threshold_and_top_features() {
    let r = testdata::run(day("2026-11-20"), "svc-a", 6, 0.43);
    let v = verdict::for_run(&r);
    assert_eq!(v.level, Level::Drift);
    assert_eq!(
        v.headline,
        "Drift detected: coefficient 0.43 > threshold 0.20"
    );
    assert!(
        v.detail
            .starts_with("Most drifted features: feature_000_with_a_realistic_length (40.8%)"),
        "{}",
        v.detail
    );
}

#[test]
fn verdict_of_a_quiet_run_says_when_it_is_noise() {
    let r = testdata::run(day("2026-11-20"), "svc-a", 3, 0.03);
    let v = verdict::for_run(&r);
    assert_eq!(v.level, Level::NoDrift);
    assert_eq!(
        v.headline,
        "No drift: coefficient 0.03 \u{2264} threshold 0.20"
    );
    assert!(
        v.detail
            .starts_with("The coefficient is within the noise floor (0.04)"),
        "{}",
        v.detail
    );
    // A classifier that found nothing says so, and credits no feature.
    let mut r = testdata::run(day("2026-11-20"), "svc-a", 3, 0.0);
    r.column_metrics
        .iter_mut()
        .flat_map(|m| m.values_mut())
        .flatten()
        .for_each(|m| {
            if m.name == crate::drift::metrics::names::DATADRIFT_CONTRIBUTION {
                m.value = 0.0;
            }
        });
    let v = verdict::for_run(&r);
    assert_eq!(
        v.detail,
        "The classifier could not tell target rows from baseline rows."
    );
    let html = render_run(&r, &ReportOptions::default());
    assert!(html.contains("No feature contributed"));
    assert_eq!(html.matches("<svg").count(), 3, "feature charts only");
    // Exactly at the threshold is not drift (strict comparison, as in Azure ML).
    let r = testdata::run(day("2026-11-20"), "svc-a", 3, 0.2);
    assert_eq!(
        verdict::for_run(&r).headline,
        "No drift: coefficient 0.20 \u{2264} threshold 0.20"
    );
}

#[test]
fn verdict_of_unscored_runs() {
    let r = testdata::unscored(
        day("2026-11-20"),
        "svc-a",
        RunStatus::Failed,
        "reading `x.csv`: bad",
    );
    let v = verdict::for_run(&r);
    assert_eq!(
        (v.level, v.headline.as_str()),
        (Level::Failed, "Run failed for svc-a on 2026-11-20")
    );
    assert_eq!(v.detail, "reading `x.csv`: bad");
    let r = testdata::unscored(day("2026-11-20"), "svc-a", RunStatus::NoData, "no snapshot");
    assert_eq!(verdict::for_run(&r).level, Level::Nothing);
}

#[test]
fn verdict_of_a_history_counts_drifting_days_and_names_the_worst_run() {
    let rs = vec![
        testdata::run(day("2026-11-18"), "svc-a", 3, 0.10),
        testdata::run(day("2026-11-18"), "svc-b", 3, 0.25),
        testdata::run(day("2026-11-19"), "svc-a", 3, 0.12),
        testdata::run(day("2026-11-20"), "svc-a", 3, 0.43),
        testdata::run(day("2026-11-20"), "svc-b", 3, 0.31),
        testdata::unscored(day("2026-11-21"), "svc-a", RunStatus::Failed, "boom"),
        testdata::run(day("2026-11-22"), "svc-a", 3, 0.08),
    ];
    let v = verdict::for_history(&rs, Some(Frequency::Day));
    assert_eq!(v.level, Level::Drift);
    assert_eq!(
        v.headline,
        "Drift detected in 2 of 4 days \u{2014} svc-a on 2026-11-20: 0.43 > 0.20"
    );
    assert_eq!(
        v.detail,
        "Latest: svc-a on 2026-11-22: 0.08 \u{2264} 0.20 (no drift). 1 run failed."
    );

    let quiet: Vec<RunResult> = rs.iter().filter(|r| !r.has_drift).cloned().collect();
    let v = verdict::for_history(&quiet, Some(Frequency::Week));
    assert_eq!(v.level, Level::NoDrift);
    assert_eq!(
        v.headline,
        "No drift in 3 weeks \u{2014} highest: svc-a on 2026-11-19: 0.12 \u{2264} 0.20"
    );

    let v = verdict::for_history::<RunResult>(&[], None);
    assert_eq!(
        (v.level, v.headline.as_str()),
        (Level::Nothing, "No runs in this period")
    );
    let failed = vec![testdata::unscored(
        day("2026-11-21"),
        "svc-a",
        RunStatus::Failed,
        "boom",
    )];
    let v = verdict::for_history(&failed, None);
    assert_eq!(
        (v.level, v.headline.as_str(), v.detail.as_str()),
        (
            Level::Failed,
            "Nothing was scored in this period",
            "1 run failed."
        )
    );
}

#[test]
fn run_page_escapes_every_name_taken_from_data() {
    let mut r = testdata::run(day("2026-11-20"), "svc<'\">", 6, 0.43);
    r.features[0].name = "<script>alert(1)</script>".into();
    let metrics = r.column_metrics[0]
        .remove("feature_000_with_a_realistic_length")
        .unwrap();
    r.column_metrics[0].insert("<script>alert(1)</script>".into(), metrics);
    if let crate::drift::result::Distribution::Categorical { categories, .. } =
        &mut r.features[4].distribution
    {
        categories[0] = "<img src=x onerror=alert(1)>".into();
    } else {
        panic!("feature 4 is categorical in the test data");
    }
    r.warnings.push("column `<marquee>` had </td> in it".into());
    r.schema
        .added_in_target
        .push("<svg onload=alert(2)>".into());
    let html = render_run(&r, &ReportOptions::default());
    for raw in [
        "<script>alert",
        "<img src",
        "<svg onload",
        "svc<'",
        "<marquee>",
        "</td> in",
    ] {
        assert!(!html.contains(raw), "unescaped {raw:?} in page");
    }
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&lt;img src=x onerror=alert(1)&gt;"));
    assert_eq!(html.matches("<script").count(), 1);
}

#[test]
fn run_page_has_one_chart_per_feature_plus_contributions() {
    let r = testdata::run(day("2026-11-20"), "svc-a", 12, 0.43);
    let html = render_run(&r, &ReportOptions::default());
    assert_eq!(html.matches("<svg").count(), 13);
    assert_eq!(html.matches("<details").count(), 12);
    assert_eq!(html.matches("<details id=\"f").filter(|_| true).count(), 12);
    assert_eq!(html.matches(" open>").count(), 5);
    // Most drifted first: the first details section is the largest contributor.
    let first = html.find("<details id=\"f0\"").unwrap();
    assert!(
        html[first..]
            .starts_with("<details id=\"f0\" open><summary><span class=\"fname\">feature_000")
    );
}

#[test]
fn failed_run_page_says_why_and_draws_nothing() {
    let r = testdata::unscored(
        day("2026-11-21"),
        "svc-a",
        RunStatus::Failed,
        "reading `snap.csv`: line 4: bad float `4.x4`",
    );
    let html = render_run(&r, &ReportOptions::default());
    assert!(html.contains("v-failed"));
    assert!(html.contains("reading `snap.csv`: line 4: bad float `4.x4`"));
    assert_eq!(html.matches("<svg").count(), 0);
}

#[test]
fn history_page_shows_trend_runs_and_one_detailed_run() {
    let mut rs = Vec::new();
    for d in 0..10u64 {
        let date = day("2026-11-10") + chrono::Days::new(d);
        rs.push(testdata::run(date, "svc-a", 8, 0.05 + 0.04 * d as f64));
        rs.push(testdata::run(date, "svc-b", 8, 0.1));
    }
    rs.push(testdata::unscored(
        day("2026-11-20"),
        "svc-b",
        RunStatus::NoData,
        "no snapshot under `svc-b/2026/11/20`",
    ));
    let det = detector();
    let html = render_history(Some(&det), &rs, None, &ReportOptions::default());
    // Trend + heat map + contributions + 8 feature charts of the latest run.
    assert_eq!(html.matches("<svg").count(), 1 + 1 + 1 + 8);
    assert!(
        html.contains(
            "Drift detected in 6 of 10 days \u{2014} svc-a on 2026-11-19: 0.41 &gt; 0.20"
        )
    );
    assert!(html.contains("Run in detail: svc-a on 2026-11-19"));
    assert!(html.contains("no snapshot under `svc-b/2026/11/20`"));
    // 21 run rows, newest first.
    let runs = &html[html.find("id=\"runs\"").unwrap()..];
    let runs = &runs[..runs.find("</table>").unwrap()];
    assert_eq!(runs.matches("<tr").count(), 22);

    // A period cuts the history; a selected run is shown in detail.
    let opts = ReportOptions {
        detail_run: Some(("svc-b".into(), day("2026-11-12"))),
        ..Default::default()
    };
    let period = Period {
        start: day("2026-11-11"),
        end: day("2026-11-13"),
    };
    let html = render_history(Some(&det), &rs, Some(period), &opts);
    assert!(html.contains("2026-11-11 to 2026-11-13"));
    assert!(html.contains("Run in detail: svc-b on 2026-11-12"));
    assert!(html.contains("No drift in 3 days"));
    // A selection outside the period falls back to the latest run, and says so.
    let opts = ReportOptions {
        detail_run: Some(("svc-b".into(), day("2026-11-19"))),
        ..Default::default()
    };
    let html = render_history(Some(&det), &rs, Some(period), &opts);
    assert!(html.contains("There is no run of svc-b on 2026-11-19 in this period"));
}

#[test]
fn history_without_runs_or_detector_still_renders() {
    let html = render_history(None, &[], None, &ReportOptions::default());
    assert!(html.contains("No runs in this period"));
    assert_eq!(html.matches("<svg").count(), 0);
}

/// A year of daily runs of two services with 200 features must stay under 5 MB: the history page
/// carries per-feature detail for one run only (evidently#15: reports too large to open).
#[test]
fn history_of_a_year_with_200_features_stays_under_5_mb() {
    let start = day("2025-11-25");
    let mut rs = Vec::new();
    for d in 0..365u64 {
        let date = start + chrono::Days::new(d);
        for svc in ["svc-a", "svc-b"] {
            let c = 0.05 + 0.3 * ((d as f64) / 40.0).sin().abs();
            rs.push(testdata::run(date, svc, 200, c));
        }
    }
    let html = render_history(Some(&detector()), &rs, None, &ReportOptions::default());
    if let Some(dir) = std::env::var_os("DRIFTSCAN_REPORT_SAMPLES") {
        let _ = std::fs::write(std::path::Path::new(&dir).join("report-year.html"), &html);
    }
    let mb = html.len() as f64 / 1e6;
    eprintln!("history page, 365 days x 2 services x 200 features: {mb:.2} MB");
    assert!(html.len() < 5_000_000, "{mb:.2} MB");
    // Detail for one run: contribution chart + 200 feature charts + trend + heat map.
    assert_eq!(html.matches("<svg").count(), 203);
    // The single-run page of the same run is smaller still.
    let run = render_run(&rs[rs.len() - 1], &ReportOptions::default());
    eprintln!("run page, 200 features: {:.2} MB", run.len() as f64 / 1e6);
    assert!(run.len() < html.len());
}

#[test]
fn diff_page_counts_moved_columns_and_schema_changes() {
    let r = testdata::run(day("2026-11-20"), "svc-a", 10, 0.43);
    let mut view = DiffView {
        old: DatasetSummary {
            source: "train-2025.parquet".into(),
            files: 1,
            rows: 50_000,
            content_hash: None,
        },
        new: DatasetSummary {
            source: "train-<2026>.parquet".into(),
            files: 1,
            rows: 60_000,
            content_hash: None,
        },
        column_metrics: r.column_metrics.clone(),
        features: r.features.clone(),
        schema: SchemaChanges {
            added_in_target: vec!["region".into()],
            ..Default::default()
        },
        warnings: vec![],
        coefficient: None,
    };
    let v = diff::diff_verdict(&view);
    // The test data shifts feature i by 0.86 / (1 + i): W/σ > 0.1 for i <= 7, and 7 of those
    // are numeric (4 is categorical, with JS = 0.1 * shift, below 0.1).
    assert_eq!(v.headline, "7 of 10 columns moved; schema: 1 added");
    let html = render_diff(&view, &ReportOptions::default());
    assert!(html.contains("train-&lt;2026&gt;.parquet"));
    assert!(html.contains("Distributions: old vs new"));
    assert_eq!(html.matches("<svg").count(), 11);
    view.schema = SchemaChanges::default();
    view.column_metrics
        .iter_mut()
        .flat_map(|m| m.values_mut())
        .flatten()
        .for_each(|m| m.value = 0.01);
    assert_eq!(
        diff::diff_verdict(&view).headline,
        "No column moved (10 compared); same schema"
    );
}

use crate::drift::result::{DatasetSummary, RunResult, RunStatus, SchemaChanges};

/// A run with a failing data-quality signal beside quiet data drift.
fn with_quality(date: &str, null_rows: u64) -> RunResult {
    use crate::drift::result::{DatasetSummary, FeatureKind};
    use crate::drift::signals::{SignalFeature, SignalMetric, SignalResult};
    let mut r = testdata::run(day(date), "svc-a", 3, 0.03);
    let feature = SignalFeature::judged(
        "age<script>",
        FeatureKind::Numeric,
        vec![SignalMetric::rate("null_value_rate", null_rows, 100).with_threshold(0.0)],
    );
    r.signals = vec![
        crate::drift::signals::data_drift(&r, Default::default()),
        SignalResult::judged(
            "data_quality",
            DatasetSummary::default(),
            DatasetSummary::default(),
            Vec::new(),
            vec![feature],
            vec!["a warning".into()],
        ),
    ];
    r
}

#[test]
fn a_failing_signal_is_named_in_the_verdict_its_section_and_its_timeline() {
    let failing = with_quality("2026-11-20", 25);
    let v = verdict::for_run(&failing);
    assert_eq!(
        v.level,
        Level::Drift,
        "never all clear when a signal failed"
    );
    assert!(
        v.headline.ends_with("other signals failed"),
        "{}",
        v.headline
    );
    assert!(
        v.detail
            .starts_with("Signals failing: data quality (1 column)."),
        "{}",
        v.detail
    );
    let page = render_run(&failing, &ReportOptions::default());
    assert!(page.contains("<h2 id=\"signals\">Signals</h2>"));
    assert!(page.contains("25 of 100"), "exact counts beside the rate");
    assert!(page.contains("age&lt;script&gt;") && !page.contains("age<script>"));
    let quiet = testdata::run(day("2026-11-20"), "svc-a", 3, 0.03);
    let plain = render_run(&quiet, &ReportOptions::default());
    assert!(
        !plain.contains("id=\"signals\""),
        "no section without signals"
    );
    assert_eq!(verdict::for_run(&quiet).level, Level::NoDrift);

    let history = vec![with_quality("2026-11-19", 0), failing];
    let page = render_history(Some(&detector()), &history, None, &ReportOptions::default());
    assert!(page.contains("Signals over time"));
    let v = verdict::for_history(&history, Some(Frequency::Day));
    assert_eq!(v.level, Level::Drift, "{}", v.headline);
    assert!(
        v.detail.starts_with("Data quality failed in 1 of 2 days."),
        "{}",
        v.detail
    );
    assert!(page.contains("Data quality over time"));
    assert!(page.contains("1 failed run<"), "one of the two days failed");
    assert!(
        page.contains("age&lt;script&gt;: null_value_rate 0.25 &gt; 0"),
        "failures in the tooltip"
    );
    let quiet_history = vec![quiet];
    let page = render_history(
        Some(&detector()),
        &quiet_history,
        None,
        &ReportOptions::default(),
    );
    assert!(!page.contains("Signals over time"));
}

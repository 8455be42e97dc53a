//! `driftscan demo`: the whole flow on generated data, with nothing to set up.
//!
//! Writes a training set and a week of daily snapshots (legacy Azure ML collector layout) into a
//! folder, caches the baseline profile, scans the last day against it, prints the result and
//! writes the HTML report. Then it uses the same folder as a local store, as `driftscan serve`
//! would: creates a detector, backfills the week, and writes the detector's history report.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;

use super::ExitStatus;
use super::demo_data;
use crate::drift::result::RunType;
use crate::drift::scan::{RunContext, ScanOptions};
use crate::pipeline::ProfileOptions;
use crate::pipeline::local::{self, profile_dataset, save_profile};

/// Arguments of `driftscan demo`.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Folder for the generated data, profile, results and reports.
    #[arg(long, default_value = "driftscan-demo", value_name = "DIR")]
    pub dir: PathBuf,
    /// Rows in the training set.
    #[arg(long, default_value_t = 50_000)]
    pub baseline_rows: usize,
    /// Rows in each daily snapshot.
    #[arg(long, default_value_t = 5_000)]
    pub snapshot_rows: usize,
    /// Seed of the generated data.
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

/// First day of the demo week.
pub fn demo_start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 17).expect("valid date")
}

/// Path of day `day`'s snapshot below the demo folder, in the legacy collector layout.
pub fn snapshot_path(dir: &std::path::Path, day: usize) -> PathBuf {
    let date = demo_start() + chrono::Days::new(day as u64);
    dir.join(format!(
        "modeldata/demo-sub/demo-rg/demo-ws/credit-svc/credit-risk/3/inputs/{}/data.csv",
        date.format("%Y/%m/%d")
    ))
}

/// Runs `driftscan demo`.
pub fn run(args: DemoArgs) -> anyhow::Result<ExitStatus> {
    let dir = &args.dir;
    std::fs::create_dir_all(dir).with_context(|| format!("creating `{}`", dir.display()))?;
    let baseline_csv = dir.join("training/credit_train.csv");
    demo_data::write_baseline(&baseline_csv, args.baseline_rows, args.seed)
        .with_context(|| format!("writing `{}`", baseline_csv.display()))?;
    for day in 0..7 {
        let path = snapshot_path(dir, day);
        demo_data::write_snapshot(&path, day, args.snapshot_rows, args.seed)
            .with_context(|| format!("writing `{}`", path.display()))?;
    }
    eprintln!(
        "Wrote a {}-row training set and 7 daily snapshots of {} rows under {}/",
        args.baseline_rows,
        args.snapshot_rows,
        dir.display()
    );

    // Cache the baseline profile once, as a detector does, and score the last day against it.
    let profile_path = dir.join("credit_train.profile");
    let baseline = profile_dataset(
        "baseline",
        &baseline_csv.to_string_lossy(),
        &ProfileOptions::default(),
    )?;
    save_profile(&baseline, &profile_path)?;

    let last_day = 6;
    let target_path = snapshot_path(dir, last_day);
    let context = RunContext {
        detector: "credit-risk-drift".to_string(),
        service_name: "credit-svc".to_string(),
        model_name: "credit-risk".to_string(),
        model_version: 3,
        date: demo_start() + chrono::Days::new(last_day as u64),
        run_type: RunType::Adhoc,
    };
    let scan_options = ScanOptions::default();
    let result = local::scan(
        &profile_path.to_string_lossy(),
        &target_path.to_string_lossy(),
        &[],
        &scan_options,
        &context,
    )?;
    let result_path = dir.join("result.json");
    std::fs::write(&result_path, serde_json::to_string_pretty(&result)?)?;
    let report_path = dir.join("report.html");
    std::fs::write(
        &report_path,
        crate::report::render_run(&result, &Default::default()),
    )?;

    println!(
        "driftscan scan --baseline {} --target {}\n",
        profile_path.display(),
        target_path.display()
    );
    print!(
        "{}",
        crate::base::text::for_terminal_lines(&super::scan::render_summary(&result))
    );
    println!("\nResult JSON: {}", result_path.display());
    println!("Report:      {}", report_path.display());

    let history_path = dir.join("history.html");
    run_detector_week(dir, &history_path)?;
    println!("History:     {}", history_path.display());
    Ok(ExitStatus::Success)
}

/// The detector flow on the demo folder used as a local store: create, backfill, report.
fn run_detector_week(dir: &std::path::Path, history_path: &std::path::Path) -> anyhow::Result<()> {
    use crate::store;

    let detector: crate::detector::Detector = serde_json::from_value(serde_json::json!({
        "name": "credit-risk-drift",
        "model_name": "credit-risk",
        "model_version": 3,
        "services": ["credit-svc"],
        "baseline": "training/credit_train.csv",
        "snapshots": "legacy",
        "frequency": "Day",
        "drift_threshold": crate::detector::DEFAULT_DRIFT_THRESHOLD,
        "alert": {"emails": ["ml-team@example.com"]},
    }))?;
    let (start, end) = (demo_start(), demo_start() + chrono::Days::new(6));
    println!(
        "\ndriftscan detectors backfill credit-risk-drift --store {} --start {start} --end {end}\n",
        dir.display()
    );
    let results = super::with_store(&dir.to_string_lossy(), |store| async move {
        let detectors = crate::pipeline::Detectors::new(store.clone());
        detectors
            .put(
                &detector.name,
                &serde_json::to_vec(&detector)?,
                crate::pipeline::detectors::PutMode::CreateOrReplace,
            )
            .await?;
        let request = crate::pipeline::detectors::BackfillRequest {
            start_date: start.to_string(),
            end_date: end.to_string(),
        };
        detectors
            .backfill(&detector.name, request, |_, _, outcomes| {
                outcomes
                    .iter()
                    .for_each(|o| println!("{}", crate::base::text::for_terminal(&o.to_string())))
            })
            .await?;
        anyhow::Ok((
            store::service_history(&*store, &detector.name, "credit-svc", start, end).await?,
            detector,
        ))
    })?;
    let (results, detector) = results;
    let options = crate::report::ReportOptions {
        generated_at: Some(chrono::Utc::now()),
        ..Default::default()
    };
    let period = crate::report::Period { start, end };
    let html =
        crate::report::render_history(Some(&detector), &results.results, Some(period), &options);
    std::fs::write(history_path, html)
        .with_context(|| format!("writing `{}`", history_path.display()))?;
    Ok(())
}

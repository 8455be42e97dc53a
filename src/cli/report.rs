//! `driftscan report`: a detector's stored history as one HTML page.
//!
//! Reads the detector and its results through the store API (a folder or `az://container`) and
//! writes the page of [`crate::report::render_history`].

use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Args;

use super::ExitStatus;
use crate::base::output::write_output;
use crate::detector::validate_name;
use crate::drift::result::RunStatus;
use crate::pipeline::history::report_runs;
use crate::report::{Period, ReportOptions, render_history};
use crate::store;

/// Arguments of `driftscan report`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example: driftscan report --store ./store --detector churn --start 2026-11-01 --out churn.html"
)]
pub struct ReportArgs {
    /// Store holding `detectors/` and `runs/`: a folder or `az://container[/prefix]`.
    #[arg(long, value_name = "STORE", env = "DRIFTSCAN_STORE")]
    pub store: String,
    /// Detector whose history is shown.
    #[arg(long, value_name = "NAME")]
    pub detector: String,
    /// First scoring date shown (YYYY-MM-DD); default: the earliest stored run.
    #[arg(long, value_name = "DATE")]
    pub start: Option<NaiveDate>,
    /// Last scoring date shown (YYYY-MM-DD); default: the latest stored run.
    #[arg(long, value_name = "DATE")]
    pub end: Option<NaiveDate>,
    /// Only these services (repeat the option for several); default: all.
    #[arg(long = "service", value_name = "NAME")]
    pub services: Vec<String>,
    /// Scoring date whose run is shown feature by feature; default: the latest scored date.
    #[arg(long, value_name = "DATE")]
    pub run: Option<NaiveDate>,
    /// Per-feature sections open when the page loads.
    #[arg(long, value_name = "N", default_value_t = 5)]
    pub open: usize,
    /// Where to write the page; `-` for standard output.
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Runs `driftscan report`.
pub fn run(args: ReportArgs) -> anyhow::Result<ExitStatus> {
    if let (Some(s), Some(e)) = (args.start, args.end)
        && s > e
    {
        bail!("`--start` {s} is after `--end` {e}");
    }
    validate_name(&args.detector)?;
    let name = args.detector.clone();
    let location = args.store.clone();
    let wanted = args.services.clone();
    let (detector, results) = super::with_existing_store(&args.store, |store| async move {
        let detector = store::get_detector(&*store, &name).await?.map(|(d, _)| d);
        let stored = store::services_with_history(&*store, &name).await?;
        if detector.is_none() && stored.is_empty() {
            bail!(
                "no detector `{name}` in `{location}`: neither `detectors/{name}.json` nor `runs/{name}/` exists"
            );
        }
        let services: Vec<String> = if !wanted.is_empty() { wanted } else { stored };
        let (mut first, mut last) = (None::<NaiveDate>, None::<NaiveDate>);
        for service in &services {
            if let Some((a, b)) = store::history_bounds(&*store, &name, service).await? {
                first = Some(first.map_or(a, |f| f.min(a)));
                last = Some(last.map_or(b, |l| l.max(b)));
            }
        }
        let results = match (args.start.or(first), args.end.or(last)) {
            (Some(start), Some(end)) => {
                report_runs(&*store, &name, &services, start, end, args.run).await?
            }
            _ => Vec::new(),
        };
        Ok((detector, results))
    })?;
    let period = match (args.start, args.end) {
        (None, None) => None,
        (start, end) => {
            let first = results.iter().map(|r| r.datetime).min();
            let last = results.iter().map(|r| r.datetime).max();
            match (start.or(first), end.or(last)) {
                (Some(start), Some(end)) => Some(Period { start, end }),
                // Only one bound given and no runs: show the one bound as a one-day period.
                _ => start.or(end).map(|d| Period { start: d, end: d }),
            }
        }
    };
    let detail_run = args.run.map(|date| {
        let service = args
            .services
            .first()
            .cloned()
            .or_else(|| {
                results
                    .iter()
                    .filter(|r| r.datetime == date && r.run.status == RunStatus::Succeeded)
                    .max_by(|a, b| {
                        a.coefficient()
                            .unwrap_or(f64::NAN)
                            .total_cmp(&b.coefficient().unwrap_or(f64::NAN))
                    })
                    .map(|r| r.service_name.clone())
            })
            .or_else(|| {
                results
                    .iter()
                    .find(|r| r.datetime == date)
                    .map(|r| r.service_name.clone())
            })
            .unwrap_or_else(|| "any service".to_string());
        (service, date)
    });
    let opts = ReportOptions {
        open_features: args.open,
        detail_run,
        generated_at: Some(chrono::Utc::now()),
        ..Default::default()
    };
    let html = render_history(detector.as_ref(), &results, period, &opts);
    write_page(&args.out, &html)?;
    if args.out.as_os_str() != "-" {
        eprintln!(
            "wrote {} ({:.1} kB, {} runs)",
            args.out.display(),
            html.len() as f64 / 1000.0,
            results.len()
        );
    }
    Ok(ExitStatus::Success)
}

fn write_page(out: &Path, html: &str) -> anyhow::Result<()> {
    if out.as_os_str() == "-" {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(html.as_bytes())
            .context("writing the report to standard output")?;
        return stdout
            .flush()
            .context("writing the report to standard output");
    }
    write_output(out, html.as_bytes())
        .with_context(|| format!("writing the report to `{}`", out.display()))
}

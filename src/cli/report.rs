//! `driftscan report`: a detector's stored history as one HTML page.
//!
//! Reads `detectors/{name}.json` and `runs/{name}/{service}/{yyyy}/{mm}/{dd}.json` from a local
//! store folder and writes the page of [`crate::report::render_history`].

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use chrono::NaiveDate;
use clap::Args;

use super::ExitStatus;
use crate::detector::Detector;
use crate::drift::result::{RunResult, RunStatus};
use crate::report::{Period, ReportOptions, render_history};

/// Arguments of `driftscan report`.
#[derive(Debug, Args)]
#[command(
    after_help = "Example: driftscan report --store ./store --detector churn --start 2026-11-01 --out churn.html"
)]
pub struct ReportArgs {
    /// Store folder holding `detectors/` and `runs/`.
    #[arg(long, value_name = "DIR")]
    pub store: PathBuf,
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
    let name_ok =
        regex::Regex::new(r"^[a-zA-Z0-9][\w\-]{0,35}$").is_ok_and(|re| re.is_match(&args.detector));
    if !name_ok {
        bail!(
            "detector name `{}` is not valid: 1 to 36 letters, digits, `_` or `-`, starting with a letter or digit",
            args.detector
        );
    }
    if !args.store.is_dir() {
        bail!("store folder `{}` does not exist", args.store.display());
    }
    let detector = read_detector(&args.store, &args.detector)?;
    let runs_dir = args.store.join("runs").join(&args.detector);
    if detector.is_none() && !runs_dir.is_dir() {
        bail!(
            "no detector `{}` in `{}`: neither `detectors/{}.json` nor `runs/{}/` exists",
            args.detector,
            args.store.display(),
            args.detector,
            args.detector
        );
    }
    let results = read_runs(&runs_dir, args.start, args.end, &args.services)?;
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

fn read_detector(store: &Path, name: &str) -> anyhow::Result<Option<Detector>> {
    let path = store.join("detectors").join(format!("{name}.json"));
    let bytes = match fs::read(&path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e).with_context(|| format!("reading detector `{}`", path.display())),
    };
    let d = serde_json::from_slice(&bytes)
        .with_context(|| format!("parsing detector `{}`", path.display()))?;
    Ok(Some(d))
}

/// Lists `runs/{name}/{service}/{yyyy}/{mm}/{dd}.json` by folder, keeps dates in range, and
/// parses what is kept. Names that are not a date (temporary files of an atomic write, notes)
/// are passed over; a result file that does not parse is an error naming it.
fn read_runs(
    dir: &Path,
    start: Option<NaiveDate>,
    end: Option<NaiveDate>,
    services: &[String],
) -> anyhow::Result<Vec<RunResult>> {
    let mut out = Vec::new();
    if !dir.is_dir() {
        return Ok(out);
    }
    for service in sorted_entries(dir)? {
        let Some(svc) = service
            .file_name()
            .and_then(|n| n.to_str())
            .map(str::to_string)
        else {
            continue;
        };
        if !service.is_dir() || (!services.is_empty() && !services.contains(&svc)) {
            continue;
        }
        for year in sorted_entries(&service)? {
            for month in sorted_entries(&year)? {
                for day in sorted_entries(&month)? {
                    let Some(date) = date_of(&year, &month, &day) else {
                        continue;
                    };
                    if start.is_some_and(|s| date < s) || end.is_some_and(|e| date > e) {
                        continue;
                    }
                    let bytes = fs::read(&day)
                        .with_context(|| format!("reading run result `{}`", day.display()))?;
                    let r: RunResult = serde_json::from_slice(&bytes)
                        .with_context(|| format!("parsing run result `{}`", day.display()))?;
                    out.push(r);
                }
            }
        }
    }
    Ok(out)
}

fn sorted_entries(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    if !dir.is_dir() {
        return Ok(Vec::new());
    }
    let mut v: Vec<PathBuf> = fs::read_dir(dir)
        .with_context(|| format!("listing `{}`", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .collect();
    v.sort();
    Ok(v)
}

/// The scoring date a result's path names: `{yyyy}/{mm}/{dd}.json`.
fn date_of(year: &Path, month: &Path, day: &Path) -> Option<NaiveDate> {
    let y: i32 = year.file_name()?.to_str()?.parse().ok()?;
    let m: u32 = month.file_name()?.to_str()?.parse().ok()?;
    let name = day.file_name()?.to_str()?;
    let d: u32 = name.strip_suffix(".json")?.parse().ok()?;
    NaiveDate::from_ymd_opt(y, m, d)
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
    fs::write(out, html).with_context(|| format!("writing the report to `{}`", out.display()))
}

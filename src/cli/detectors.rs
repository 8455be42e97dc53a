//! `driftscan detectors ...`: manage detectors and run them against a local or Blob store, the
//! same operations the REST API offers.

use std::io::Read;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use super::ExitStatus;
use crate::detector::{Detector, parse_date};
use crate::drift::result::{RunStatus, RunType};
use crate::drift::verdict::Status;
use crate::pipeline::{self, ServiceOutcome};
use crate::store::{self, PutCondition, Store, StoreError};

/// Create, inspect, change, run and backfill detectors.
#[derive(Debug, Args)]
pub struct DetectorsArgs {
    /// Store location: a folder, or az://container[/prefix].
    #[arg(
        long,
        env = "DRIFTSCAN_STORE",
        default_value = "./driftscan-store",
        global = true
    )]
    pub store: String,
    /// What to do.
    #[command(subcommand)]
    pub action: DetectorAction,
}

/// Detector operations.
#[derive(Debug, Subcommand)]
pub enum DetectorAction {
    /// Create a detector from a JSON definition (file, or `-` for stdin).
    Create {
        /// JSON file.
        file: PathBuf,
    },
    /// Print a detector's definition.
    Get {
        /// Detector name.
        name: String,
    },
    /// List detectors.
    List,
    /// Replace a detector's definition with a JSON file (or `-`).
    Update {
        /// Detector name.
        name: String,
        /// JSON file.
        file: PathBuf,
    },
    /// Delete a detector (its run history is kept).
    Delete {
        /// Detector name.
        name: String,
    },
    /// Switch a detector's timer on.
    Enable {
        /// Detector name.
        name: String,
    },
    /// Switch a detector's timer off.
    Disable {
        /// Detector name.
        name: String,
    },
    /// Score the window containing a date now.
    Run {
        /// Detector name.
        name: String,
        /// Target date, YYYY-MM-DD.
        #[arg(long)]
        date: String,
    },
    /// Print results and metrics between two dates (Azure ML `get_output` shape) as JSON.
    Output {
        /// Detector name.
        name: String,
        /// First date, YYYY-MM-DD.
        #[arg(long)]
        start: String,
        /// Last date, YYYY-MM-DD.
        #[arg(long)]
        end: String,
    },
    /// Score every window from start to end (at most 30 cycles), with progress.
    Backfill {
        /// Detector name.
        name: String,
        /// First date, YYYY-MM-DD.
        #[arg(long)]
        start: String,
        /// Last date, YYYY-MM-DD.
        #[arg(long)]
        end: String,
    },
}

fn read_definition(file: &PathBuf) -> anyhow::Result<Vec<u8>> {
    let mut bytes = Vec::new();
    if file.as_os_str() == "-" {
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading the definition from stdin")?;
    } else {
        bytes = std::fs::read(file).with_context(|| format!("reading `{}`", file.display()))?;
    }
    Ok(bytes)
}

fn print_json<T: serde::Serialize>(value: &T) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

async fn load(store: &dyn Store, name: &str) -> anyhow::Result<Detector> {
    crate::detector::validate_name(name)?;
    match store::get_detector(store, name).await? {
        Some((d, _)) => Ok(d),
        None => bail!("detector `{name}` does not exist in `{}`", store.describe()),
    }
}

fn print_outcome(o: &ServiceOutcome) {
    match o.status {
        RunStatus::Succeeded => println!(
            "{}  {}  coefficient {:.4}  {}",
            o.date,
            o.service,
            o.datadrift_coefficient.unwrap_or(f64::NAN),
            Status::of(o.has_drift, o.drifted_features.len()).with_features(&o.drifted_features)
        ),
        s => println!(
            "{}  {}  {:?}: {}",
            o.date,
            o.service,
            s,
            o.error.as_deref().unwrap_or("")
        ),
    }
}

/// Runs one detector command.
pub fn run(args: DetectorsArgs) -> anyhow::Result<ExitStatus> {
    super::with_store(&args.store, |store| dispatch(store, args.action))
}

async fn dispatch(store: Arc<dyn Store>, action: DetectorAction) -> anyhow::Result<ExitStatus> {
    match action {
        DetectorAction::Create { file } => {
            let d = Detector::from_json(&read_definition(&file)?)?;
            pipeline::check_locations(&d)?;
            match store::put_detector(&*store, &d, PutCondition::Create).await {
                Err(StoreError::Conflict { .. }) => {
                    bail!("detector `{}` already exists; use `update`", d.name)
                }
                r => {
                    r?;
                }
            }
            print_json(&d)?;
        }
        DetectorAction::Get { name } => print_json(&load(&*store, &name).await?)?,
        DetectorAction::List => {
            for d in store::list_detectors(&*store).await? {
                println!(
                    "{}\t{} v{}\t{:?}\t{}\t{}",
                    d.name,
                    d.model_name,
                    d.model_version,
                    d.frequency,
                    d.services.join(","),
                    if d.enabled { "enabled" } else { "disabled" }
                );
            }
        }
        DetectorAction::Update { name, file } => {
            let d = Detector::from_json(&read_definition(&file)?)?;
            pipeline::check_locations(&d)?;
            if d.name != name {
                bail!(
                    "field `name`: `{}` differs from the detector named on the command line, `{name}`",
                    d.name
                );
            }
            let Some((_, version)) = store::get_detector(&*store, &name).await? else {
                bail!("detector `{name}` does not exist; use `create`");
            };
            store::put_detector(&*store, &d, PutCondition::Match(version))
                .await
                .with_context(|| format!("updating detector `{name}`"))?;
            print_json(&d)?;
        }
        DetectorAction::Delete { name } => {
            crate::detector::validate_name(&name)?;
            if !store.delete(&store::keys::detector(&name)?).await? {
                bail!("detector `{name}` does not exist");
            }
            println!("deleted detector `{name}` (run history kept)");
        }
        DetectorAction::Enable { name } => set_enabled(&*store, &name, true).await?,
        DetectorAction::Disable { name } => set_enabled(&*store, &name, false).await?,
        DetectorAction::Run { name, date } => {
            let d = load(&*store, &name).await?;
            let date = parse_date("--date", &date)?;
            let window = d.frequency.window_containing(date);
            for o in pipeline::run_window(&store, &d, window, RunType::Adhoc).await? {
                print_outcome(&o);
            }
        }
        DetectorAction::Output { name, start, end } => {
            let d = load(&*store, &name).await?;
            let (start, end) = (parse_date("--start", &start)?, parse_date("--end", &end)?);
            if end < start {
                return Err(crate::detector::ConfigError::DateOrder { start, end }.into());
            }
            print_json(&pipeline::history::output_document(&*store, &d, start, end).await?)?;
        }
        DetectorAction::Backfill { name, start, end } => {
            let d = load(&*store, &name).await?;
            let windows = d
                .frequency
                .backfill_windows(parse_date("--start", &start)?, parse_date("--end", &end)?)?;
            let bar = ProgressBar::new(windows.len() as u64);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} cycles  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            for w in windows {
                bar.set_message(format!("{} .. {}", w.start, w.end));
                let outcomes = pipeline::run_window(&store, &d, w, RunType::BackFill).await?;
                bar.suspend(|| outcomes.iter().for_each(print_outcome));
                bar.inc(1);
            }
            bar.finish_with_message("done");
        }
    }
    Ok(ExitStatus::Success)
}

async fn set_enabled(store: &dyn Store, name: &str, enabled: bool) -> anyhow::Result<()> {
    crate::detector::validate_name(name)?;
    match store::update_detector(store, name, |d| d.with_enabled(enabled)).await? {
        Some(_) => {
            println!(
                "detector `{name}` {}",
                if enabled { "enabled" } else { "disabled" }
            );
            Ok(())
        }
        None => bail!("detector `{name}` does not exist"),
    }
}

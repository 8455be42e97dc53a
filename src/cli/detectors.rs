//! `driftscan detectors ...`: manage detectors and run them against a local or Blob store, the
//! same operations the REST API offers.

use std::io::Read;
use std::path::PathBuf;

use anyhow::Context;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

use super::ExitStatus;
use crate::base::text::for_terminal;
use crate::pipeline::detectors::{
    BackfillRequest, HISTORY_KEPT, PutMode, RangeRequest, RunRequest,
};
use crate::pipeline::{Detectors, ErrorCode, OpError};

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
        /// Target date, YYYY-MM-DD, not in the future (messages call it `target_date`, as the
        /// REST API does).
        #[arg(long)]
        date: String,
    },
    /// Print results and metrics between two dates (Azure ML `get_output` shape) as JSON, at
    /// most 92 days and 16 MB of results at a time: stderr names the date the next page starts at.
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
        /// First date, YYYY-MM-DD (`start_date` in messages).
        #[arg(long)]
        start: String,
        /// Last date, YYYY-MM-DD, not in the future (`end_date` in messages).
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

/// Runs one detector command.
pub fn run(args: DetectorsArgs) -> anyhow::Result<ExitStatus> {
    let location = args.store.clone();
    super::with_store(&args.store, |store| async move {
        dispatch(Detectors::new(store), args.action)
            .await
            .map_err(|e| match e.downcast::<OpError>() {
                // On the command line the store is the user's own: say which one was looked in.
                Ok(op) if op.code() == ErrorCode::NotFound => {
                    OpError::new(op.code(), format!("{op} in `{location}`")).into()
                }
                Ok(op) => op.into(),
                Err(other) => other,
            })
    })
}

async fn dispatch(detectors: Detectors, action: DetectorAction) -> anyhow::Result<ExitStatus> {
    match action {
        DetectorAction::Create { file } => {
            print_json(&detectors.create(&read_definition(&file)?).await?)?
        }
        DetectorAction::Get { name } => print_json(&detectors.get(&name).await?)?,
        DetectorAction::List => {
            for d in detectors.list().await? {
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
            let definition = read_definition(&file)?;
            let (detector, _) = detectors.put(&name, &definition, PutMode::Replace).await?;
            print_json(&detector)?;
        }
        DetectorAction::Delete { name } => {
            detectors.delete(&name).await?;
            println!("deleted detector `{name}` ({HISTORY_KEPT})");
        }
        DetectorAction::Enable { name } => {
            detectors.set_enabled(&name, true).await?;
            println!("detector `{name}` enabled");
        }
        DetectorAction::Disable { name } => {
            detectors.set_enabled(&name, false).await?;
            println!("detector `{name}` disabled");
        }
        DetectorAction::Run { name, date } => {
            let request = RunRequest {
                target_date: date,
                ..RunRequest::default()
            };
            for outcome in detectors.run(&name, request).await?.runs {
                println!("{}", for_terminal(&outcome.to_string()));
            }
        }
        DetectorAction::Output { name, start, end } => {
            let request = RangeRequest {
                start: Some(start),
                end: Some(end),
            };
            let document = detectors.output(&name, request).await?;
            print_json(&document)?;
            if let Some(next) = document.next_start {
                let why = if document.cut_by_size {
                    " (the page is full)"
                } else {
                    ""
                };
                eprintln!(
                    "results up to {} shown{why}; the next page starts at {next}: rerun with --start {next}",
                    document.page_end.unwrap_or(document.end)
                );
            }
        }
        DetectorAction::Backfill { name, start, end } => {
            let bar = ProgressBar::new(0);
            bar.set_style(
                ProgressStyle::with_template(
                    "{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} cycles  {msg}",
                )
                .unwrap_or_else(|_| ProgressStyle::default_bar()),
            );
            let request = BackfillRequest {
                start_date: start,
                end_date: end,
            };
            detectors
                .backfill(&name, request, |cycles, window, outcomes| {
                    bar.set_length(cycles as u64);
                    bar.suspend(|| {
                        outcomes
                            .iter()
                            .for_each(|o| println!("{}", for_terminal(&o.to_string())))
                    });
                    bar.set_message(format!("scored {} .. {}", window.start, window.end));
                    bar.inc(1);
                })
                .await?;
            bar.finish_with_message("done");
        }
    }
    Ok(ExitStatus::Success)
}

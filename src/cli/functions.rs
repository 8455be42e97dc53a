//! `driftscan functions ...`: write and package the Azure Functions app.

use std::path::PathBuf;

use clap::{Args, Subcommand};

use super::ExitStatus;
use crate::functions::layout;

/// Generate the Functions app folder and package it for deployment.
#[derive(Debug, Args)]
pub struct FunctionsArgs {
    /// What to do.
    #[command(subcommand)]
    pub action: FunctionsAction,
}

/// Functions app operations.
#[derive(Debug, Subcommand)]
pub enum FunctionsAction {
    /// Write host.json, the HTTP functions and one timer function (`drift-<detector>`) per
    /// enabled detector; timers of deleted or disabled detectors are removed.
    Generate {
        /// Store holding the detectors: a folder, or az://container[/prefix].
        #[arg(long, env = "DRIFTSCAN_STORE")]
        store: String,
        /// App folder to write.
        #[arg(long)]
        out: PathBuf,
    },
    /// Zip an app folder and the handler binary for zip deployment.
    Package {
        /// App folder written by `generate`.
        #[arg(long, default_value = ".")]
        app_dir: PathBuf,
        /// Handler binary (built for the Functions host: Linux x64).
        #[arg(long, default_value = "target/release/driftscan")]
        binary: PathBuf,
        /// Zip file to write.
        #[arg(long, default_value = "app.zip")]
        out: PathBuf,
    },
}

/// Runs one functions command.
pub fn run(args: FunctionsArgs) -> anyhow::Result<ExitStatus> {
    match args.action {
        FunctionsAction::Generate { store, out } => {
            let detectors = super::with_existing_store(&store, |s| async move {
                Ok(crate::store::list_detectors(&*s).await?)
            })?;
            let g = layout::generate(&out, &detectors)?;
            for t in &g.timers {
                println!("timer  {t}");
            }
            for r in &g.removed {
                println!("removed  {r}");
            }
            println!(
                "wrote {} ({} timer functions)",
                out.display(),
                g.timers.len()
            );
        }
        FunctionsAction::Package {
            app_dir,
            binary,
            out,
        } => {
            let entries = layout::package(&app_dir, &binary, &out)?;
            println!("wrote {} ({} entries)", out.display(), entries.len());
        }
    }
    Ok(ExitStatus::Success)
}

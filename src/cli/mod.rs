//! The command line: one file per subcommand; `main.rs` only calls [`main`].
//!
//! Exit codes are defined once, in [`ExitStatus`]: 0 success (drift or not), 1 drift found when
//! `--fail-on-drift` was given, 2 error (with a one-line reason on stderr).

use clap::{Parser, Subcommand};

pub mod detectors;
pub mod functions;
pub mod serve;

/// How the process ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ExitStatus {
    /// The command did what was asked, whether or not drift was found.
    Success,
    /// Drift was found and `--fail-on-drift` was given.
    Drift,
    /// The command failed.
    Error,
}

impl ExitStatus {
    /// The process exit code.
    pub fn code(self) -> i32 {
        match self {
            ExitStatus::Success => 0,
            ExitStatus::Drift => 1,
            ExitStatus::Error => 2,
        }
    }
}

/// driftscan: data-drift monitor for deployed machine-learning models.
#[derive(Debug, Parser)]
#[command(
    name = "driftscan",
    version,
    about,
    after_help = "Exit codes: 0 success (with or without drift), 1 drift found with --fail-on-drift, 2 error."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the REST API and Azure Functions custom handler.
    Serve(serve::ServeArgs),
    /// Create, inspect, change, run and backfill detectors.
    Detectors(detectors::DetectorsArgs),
    /// Generate and package the Azure Functions app.
    Functions(functions::FunctionsArgs),
}

/// Entry point of the binary; returns the process exit code.
pub fn main() -> i32 {
    let cli = Cli::parse();
    match run(cli) {
        Ok(status) => status.code(),
        Err(err) => {
            report_error(&err);
            ExitStatus::Error.code()
        }
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    match cli.command {
        Command::Serve(args) => serve::run(args),
        Command::Detectors(args) => detectors::run(args),
        Command::Functions(args) => functions::run(args),
    }
}

/// Prints an error and its causes on one line; a broken pipe is not an error worth reporting.
fn report_error(err: &anyhow::Error) {
    let broken_pipe = err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if !broken_pipe {
        eprintln!("error: {err:#}");
    }
}

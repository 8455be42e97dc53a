//! The command line: one file per subcommand; `main.rs` only calls [`main`].
//!
//! Exit codes are defined once, in [`ExitStatus`]: 0 success (drift or not), 1 drift found when
//! `--fail-on-drift` was given, 2 error (with a one-line reason on stderr).

use clap::{Parser, Subcommand};

pub mod infra;

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
    /// Deployment helpers: generate infra/ parameters from stored detectors.
    Infra(infra::InfraArgs),
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
        Command::Infra(args) => infra::run(args),
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

//! The command line: one file per subcommand; `main.rs` only calls [`main`].
//!
//! Exit codes are defined once, in [`ExitStatus`]: 0 success (drift or not), 1 drift found when
//! `--fail-on-drift` was given, 2 or more an error (with a one-line reason on stderr). A refused
//! detector operation exits with its code's row of [`crate::pipeline::codes::ERROR_CODES`] and
//! prints that code: `error[invalid_location]: ...`.

use clap::{Parser, Subcommand};

pub mod demo;
pub mod demo_data;
pub mod diff;
pub mod infra;
pub mod performance;
pub mod profile;
pub mod report;
pub mod scan;
pub mod table;
// Service: detectors, the Functions app and the custom handler.
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
    after_help = "Exit codes: 0 success (with or without drift), 1 drift found with --fail-on-drift, 2 the request or its data is wrong, 3 no such detector, 4 the detector exists or changed meanwhile, 5 the store or the key failed, 70 internal error."
)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Compare a target dataset with a baseline dataset or cached baseline profile.
    Scan(scan::ScanArgs),
    /// Profile a dataset once and save the profile (e.g. the baseline); merge saved profiles.
    Profile(profile::ProfileArgs),
    /// What changed between two datasets (e.g. two training sets).
    Diff(diff::DiffArgs),
    /// The whole flow on generated data: training set, a week of snapshots, scan, report.
    Demo(demo::DemoArgs),
    /// A model's performance against its labelled reference: realized from labels, estimated
    /// without them.
    Performance(performance::PerformanceArgs),
    /// Write a detector's stored history as one self-contained HTML page.
    Report(report::ReportArgs),
    /// Run the REST API and Azure Functions custom handler.
    Serve(serve::ServeArgs),
    /// Create, inspect, change, run and backfill detectors.
    Detectors(detectors::DetectorsArgs),
    /// Generate and package the Azure Functions app.
    Functions(functions::FunctionsArgs),
    /// Deployment helpers: generate infra/ parameters from stored detectors.
    Infra(infra::InfraArgs),
}

/// Entry point of the binary; returns the process exit code.
pub fn main() -> i32 {
    main_from(std::env::args_os())
}

/// [`main`] on a given argument list (the first item is the program name): the entry point of
/// the `driftscan` command that the Python wheel installs, which hands over `sys.argv`. Help,
/// version and usage errors are printed here and give their exit code instead of ending the
/// process, so the caller decides how to exit.
pub fn main_from<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return if e.use_stderr() {
                ExitStatus::Error.code()
            } else {
                ExitStatus::Success.code()
            };
        }
    };
    match run(cli) {
        Ok(status) => status.code(),
        Err(err) => report_error(&err),
    }
}

/// Runs one parsed command.
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    init_logging();
    match cli.command {
        Command::Scan(args) => scan::run(args),
        Command::Performance(args) => performance::run(args),
        Command::Profile(args) => profile::run(args),
        Command::Diff(args) => diff::run(args),
        Command::Demo(args) => demo::run(args),
        Command::Report(args) => report::run(args),
        Command::Serve(args) => serve::run(args),
        Command::Detectors(args) => detectors::run(args),
        Command::Functions(args) => functions::run(args),
        Command::Infra(args) => infra::run(args),
    }
}

/// Opens the store at `location` (a folder or `az://container[/prefix]`) and runs `work` on an
/// async runtime: how every command that reads or writes a store gets to it, so each works on a
/// folder and on Blob Storage alike. A folder that does not exist is created (a new store).
pub(crate) fn with_store<T, F, Fut>(location: &str, work: F) -> anyhow::Result<T>
where
    F: FnOnce(std::sync::Arc<dyn crate::store::Store>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    use anyhow::Context;
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let store =
        crate::store::open(location).with_context(|| format!("opening store `{location}`"))?;
    rt.block_on(async {
        let outcome = work(store).await;
        // Alerts of the runs above are delivered in the background: let them finish.
        crate::pipeline::publish::finish_pending().await;
        outcome
    })
}

/// [`with_store`] for commands that only read: a folder that does not exist is an error, not a
/// new empty store.
pub(crate) fn with_existing_store<T, F, Fut>(location: &str, work: F) -> anyhow::Result<T>
where
    F: FnOnce(std::sync::Arc<dyn crate::store::Store>) -> Fut,
    Fut: std::future::Future<Output = anyhow::Result<T>>,
{
    if !location.contains("://") && !std::path::Path::new(location).is_dir() {
        anyhow::bail!("store folder `{location}` does not exist");
    }
    with_store(location, work)
}

/// Logs go to stderr, filtered by `RUST_LOG` (default: warnings and errors).
fn init_logging() {
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .try_init();
}

/// Prints an error and its causes on one line (a broken pipe is not an error worth reporting)
/// and answers the exit code: a refused operation's from its code, otherwise 2.
fn report_error(err: &anyhow::Error) -> i32 {
    let broken_pipe = err.chain().any(|c| {
        c.downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    });
    if !broken_pipe {
        match err.downcast_ref::<crate::pipeline::OpError>() {
            Some(e) => eprintln!(
                "error[{}]: {}",
                e.code(),
                crate::base::text::for_terminal_lines(&format!("{err:#}"))
            ),
            None => eprintln!(
                "error: {}",
                crate::base::text::for_terminal_lines(&format!("{err:#}"))
            ),
        }
    }
    exit_code(err)
}

/// The exit code of a failed command: a refused operation's from its code's row of
/// [`crate::pipeline::codes::ERROR_CODES`], any other error 2.
pub fn exit_code(err: &anyhow::Error) -> i32 {
    err.downcast_ref::<crate::pipeline::OpError>()
        .map_or(ExitStatus::Error.code(), |e| e.code().info().exit_code)
}

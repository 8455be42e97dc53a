//! `driftscan profile`: profile a dataset once and cache the profile, so later scans read the
//! profile instead of the baseline data.

use std::path::PathBuf;

use super::ExitStatus;
use crate::pipeline::ProfileOptions;
use crate::pipeline::local::{profile_dataset, save_profile};

/// Arguments of `driftscan profile`.
#[derive(Debug, clap::Args)]
pub struct ProfileArgs {
    /// Dataset to profile: a file, a folder or a glob (CSV, Parquet, JSON lines).
    #[arg(long, value_name = "PATH")]
    pub input: String,
    /// Where to write the profile (conventionally `*.profile`).
    #[arg(long, value_name = "FILE")]
    pub out: PathBuf,
}

/// Runs `driftscan profile`.
pub fn run(args: ProfileArgs) -> anyhow::Result<ExitStatus> {
    let profile = profile_dataset("dataset", &args.input, &ProfileOptions::default())?;
    let written = save_profile(&profile, &args.out)?;
    eprintln!(
        "Profiled {} rows into {} ({} bytes).",
        profile.rows,
        args.out.display(),
        written
    );
    Ok(ExitStatus::Success)
}

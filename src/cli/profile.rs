//! `driftscan profile`: profile a dataset once and cache the profile, so later scans read the
//! profile instead of the baseline data.

use std::path::PathBuf;

use anyhow::Context;

use super::ExitStatus;
use crate::profile::ProfileOptions;

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
    let profile = super::scan::build_profile(&args.input, &ProfileOptions::default())
        .with_context(|| format!("profiling `{}`", args.input))?;
    let bytes = profile.to_bytes();
    // Write beside the destination, then rename: a reader never sees half a profile.
    let dir = args
        .out
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(std::path::Path::new("."));
    let mut tmp = tempfile::NamedTempFile::new_in(dir)
        .with_context(|| format!("writing into `{}`", dir.display()))?;
    std::io::Write::write_all(&mut tmp, &bytes)?;
    tmp.persist(&args.out)
        .with_context(|| format!("writing profile `{}`", args.out.display()))?;
    eprintln!(
        "Profiled {} rows into {} ({} bytes).",
        profile.rows,
        args.out.display(),
        bytes.len()
    );
    Ok(ExitStatus::Success)
}

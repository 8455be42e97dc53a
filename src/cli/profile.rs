//! `driftscan profile`: profile a dataset once and save the profile, so later scans read the
//! profile instead of the data; `driftscan profile merge`: combine profiles of parts of a dataset
//! (files, days, Spark partitions) into the profile of the whole.

use super::ExitStatus;
use crate::pipeline::ProfileOptions;
use crate::pipeline::local::{
    merge_profile_files, parse_type_flags, profile_dataset, save_profile_to,
};

/// Arguments of `driftscan profile`.
#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct ProfileArgs {
    /// Another profile action.
    #[command(subcommand)]
    pub action: Option<ProfileAction>,
    /// Dataset to profile: a file, a folder, a glob or `az://container/prefix` (CSV, Parquet,
    /// JSON lines).
    #[arg(long, value_name = "PATH", required = true)]
    pub input: Option<String>,
    /// Where to write the profile (conventionally `*.profile`): a path or
    /// `az://container/key`.
    #[arg(long, value_name = "FILE", required = true)]
    pub out: Option<String>,
    /// Read a column as declared, whatever the file format: NAME=numeric or NAME=categorical
    /// (comma-separated or repeated), e.g. integer-coded categories.
    #[arg(long = "type", value_name = "NAME=TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
}

/// What else `driftscan profile` does.
#[derive(Debug, clap::Subcommand)]
pub enum ProfileAction {
    /// Merge profiles of parts of one dataset into the profile of the whole: the same bytes as
    /// profiling all parts at once, in whatever order they are given.
    Merge {
        /// Profiles to merge (at least one).
        #[arg(value_name = "PROFILE", required = true)]
        profiles: Vec<String>,
        /// Where to write the merged profile: a path or `az://container/key`.
        #[arg(long, value_name = "FILE")]
        out: String,
    },
}

/// Runs `driftscan profile`.
pub fn run(args: ProfileArgs) -> anyhow::Result<ExitStatus> {
    let (profile, out, verb) = match args.action {
        Some(ProfileAction::Merge { profiles, out }) => {
            (merge_profile_files(&profiles)?, out, "Merged")
        }
        None => {
            let (Some(input), Some(out)) = (args.input, args.out) else {
                anyhow::bail!("`driftscan profile` needs --input and --out");
            };
            let options = ProfileOptions {
                pinned_kinds: parse_type_flags(&args.types)?,
                ..ProfileOptions::default()
            };
            let profile = profile_dataset("dataset", &input, &options)?;
            (profile, out, "Profiled")
        }
    };
    let written = save_profile_to(&profile, &out)?;
    eprintln!("{verb} {} rows into {out} ({written} bytes).", profile.rows);
    Ok(ExitStatus::Success)
}

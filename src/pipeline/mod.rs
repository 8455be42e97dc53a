//! The one place that wires the stages together, for every way in: the command line, the
//! Functions handler and the Python package all call this module and nothing below it.
//!
//! * [`local`]: datasets a user names (files, folders, globs, `.profile` files, `az://` prefixes)
//!   profiled side by side, the target typed like the baseline;
//! * [`locate`]: which files of a store belong to a baseline or to a service's snapshot, and
//!   [`source`]: reading them by ranges with read-ahead, never whole;
//! * [`baseline`]: a detector's baseline profile, cached by content hash and shared by
//!   concurrent runs;
//! * [`run`]: one detector window: profile, score, record, [`publish`];
//! * [`detectors`]: every detector operation (create, replace, delete, enable, run, backfill,
//!   output, report, timer) with its validation, failing with one [`OpError`] whose code
//!   [`codes`] maps to an HTTP status, an exit code and a Python exception class;
//! * [`history`]: reading back what was stored (`get_output`, report pages).
//!
//! Reading ([`crate::data`]), profiling ([`crate::profile`]), scoring ([`crate::drift`]),
//! storing ([`crate::store`]), publishing ([`crate::sinks`]) and rendering ([`crate::report`]) each
//! stay unaware of the others; only this module knows the order they run in.

pub mod baseline;
pub mod codes;
pub mod detectors;
pub mod files;
pub mod history;
pub mod local;
pub mod locate;
pub mod performance;
pub mod publish;
pub mod reference;
pub mod run;
pub mod signals;
pub mod source;

pub use crate::profile::{Profile, ProfileOptions};
pub use codes::{ErrorCode, OpError};
pub use detectors::Detectors;
pub use run::{ServiceOutcome, run_window, unsuccessful};

use crate::drift::scan::ScanError;
use crate::profile::ProfileError;
use crate::store::{DataRoots, StoreError};

/// Why a scan or a run could not be done. For a detector run it becomes the reason of a failed
/// result; on the command line, the error message.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PipelineError {
    /// Reading or writing the store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The detector's snapshot template does not parse (stored before a rule changed).
    #[error(transparent)]
    Config(#[from] crate::detector::ConfigError),
    /// The baseline location holds no data file.
    #[error("baseline `{0}` has no data files (.csv, .parquet, .jsonl, ... or .profile)")]
    NoBaseline(String),
    /// A location that holds nothing to read.
    #[error("`{0}`: no such file, or no data file below it")]
    NotFound(String),
    /// A local file (a saved profile) could not be read.
    #[error("reading `{path}`")]
    ReadFile {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A local output file (a saved profile) could not be written.
    #[error("writing `{path}`")]
    WriteFile {
        /// The path.
        path: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A dataset could not be profiled, or a saved profile not read.
    #[error("reading {side} `{source_name}`")]
    Profile {
        /// `baseline`, `target` or `snapshot`.
        side: &'static str,
        /// Where it came from.
        source_name: String,
        /// The cause.
        #[source]
        source: ProfileError,
    },
    /// A cached or saved profile could not be read.
    #[error("reading the saved profile `{key}`")]
    CachedProfile {
        /// The key.
        key: String,
        /// The cause.
        #[source]
        source: ProfileError,
    },
    /// A reference window that cannot be assembled: no day with data, or days that cannot be
    /// merged (the message names the column and the days).
    #[error("{0}")]
    ReferenceWindow(String),
    /// The profiles could not be compared.
    #[error("comparing baseline and target")]
    Scan(#[source] ScanError),
    /// A declared column type that a saved baseline profile cannot honour, or that does not parse.
    #[error("{0}")]
    DeclaredType(String),
    /// Performance could not be measured: a column missing, classes that do not fit the
    /// problem, a reference without labels.
    #[error("{0}")]
    Performance(String),
    /// The engine panicked; the message is kept so the failure is explainable.
    #[error("internal error while {0}")]
    Panicked(String),
}

/// The data roots of this process (`DRIFTSCAN_DATA_ROOTS`), read once.
pub fn data_roots() -> Result<&'static DataRoots, StoreError> {
    static ROOTS: std::sync::OnceLock<Result<DataRoots, String>> = std::sync::OnceLock::new();
    ROOTS
        .get_or_init(|| DataRoots::from_env().map_err(|e| e.to_string()))
        .as_ref()
        .map_err(|reason| StoreError::Config {
            location: crate::store::roots::DATA_ROOTS_VAR.to_string(),
            reason: reason.clone(),
        })
}

/// Refuses a detector whose baseline or snapshot location is outside the store and the data
/// roots, before it is stored (the runs refuse such locations too).
pub fn check_locations(detector: &crate::detector::Detector) -> Result<(), StoreError> {
    let roots = data_roots()?;
    roots.check(&detector.baseline)?;
    if let Some(template) = &detector.snapshots {
        roots.check(template)?;
    }
    Ok(())
}

pub use crate::base::text::error_chain;

/// Runs CPU-heavy engine work off the async threads; a panic becomes [`PipelineError::Panicked`].
pub(crate) async fn blocking<T: Send + 'static>(
    what: &str,
    f: impl FnOnce() -> Result<T, PipelineError> + Send + 'static,
) -> Result<T, PipelineError> {
    match tokio::task::spawn_blocking(f).await {
        Ok(r) => r,
        Err(join) => {
            let msg = match join.try_into_panic() {
                Ok(payload) => crate::base::text::panic_message(&*payload),
                Err(_) => "task cancelled".into(),
            };
            Err(PipelineError::Panicked(format!("{what}: {msg}")))
        }
    }
}

impl From<crate::drift::performance::PerformanceError> for PipelineError {
    fn from(e: crate::drift::performance::PerformanceError) -> Self {
        PipelineError::Performance(e.to_string())
    }
}

//! Bytes in, typed Arrow batches out: CSV, Parquet and JSON lines, including both Azure ML
//! model-data-collector layouts.

use std::path::PathBuf;

use bytes::Bytes;

/// One file of a dataset: on disk, or already in memory (for example downloaded from Blob Storage).
#[derive(Debug, Clone)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Bytes with the name they came from (a blob key); the name's extension selects the format.
    Memory {
        /// Blob key or other origin, used for the format and in error messages.
        name: String,
        /// The file's content.
        bytes: Bytes,
    },
}

impl Input {
    /// Name used in messages: the path or the blob key.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Memory { name, .. } => name.clone(),
        }
    }
}

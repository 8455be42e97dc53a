//! `RowSample`: a bounded, seeded sample of whole rows, kept in the profile so that the domain
//! classifier can run from a cached baseline profile without the baseline data.

use serde::{Deserialize, Serialize};

/// Code of a missing value in [`SampleColumn::Categorical`].
pub const MISSING_CODE: u32 = u32::MAX;

/// A bottom-k sample of rows: each row gets a pseudo-random priority from the seed and its
/// position, and the `capacity` rows with the smallest priorities are kept. Merging two samples
/// keeps the smallest priorities of both, so a merged sample is a uniform sample of the union.
#[derive(Debug, Clone, PartialEq, Default, Serialize, Deserialize)]
pub struct RowSample {
    /// Most rows kept.
    pub capacity: usize,
    /// Priority of each kept row, ascending; rows of every column are in this order.
    pub priorities: Vec<u64>,
    /// Column names, in the order of `columns`.
    pub names: Vec<String>,
    /// The sampled values, one entry per column.
    pub columns: Vec<SampleColumn>,
}

/// Sampled values of one column.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub enum SampleColumn {
    /// Numbers; NaN stands for missing, invalid and non-finite values.
    Numeric(Vec<f64>),
    /// Categories as codes into `dictionary`; [`MISSING_CODE`] for missing.
    Categorical {
        /// One code per sampled row.
        codes: Vec<u32>,
        /// Category labels.
        dictionary: Vec<String>,
    },
}

impl RowSample {
    /// Number of sampled rows.
    pub fn len(&self) -> usize {
        self.priorities.len()
    }

    /// True when no row was sampled.
    pub fn is_empty(&self) -> bool {
        self.priorities.is_empty()
    }

    /// The sampled values of a column, by name.
    pub fn column(&self, name: &str) -> Option<&SampleColumn> {
        self.names
            .iter()
            .position(|n| n == name)
            .map(|i| &self.columns[i])
    }
}

//! Why a dataset could not be read: one error type for every format, each message naming the file
//! and, where there is one, the line.

/// Why a dataset could not be read. Messages name the file and, where there is one, the line.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReadError {
    /// The path does not exist.
    #[error("`{spec}`: no such file or folder")]
    NotFound {
        /// What the user gave.
        spec: String,
    },
    /// A folder or glob that holds no data file.
    #[error(
        "`{spec}` matches no data file (.csv, .parquet, .pq, .jsonl, .ndjson, .json, or gzipped .csv.gz, .jsonl.gz, ...)"
    )]
    NoMatch {
        /// What the user gave.
        spec: String,
    },
    /// A malformed glob pattern.
    #[error("`{spec}` is not a valid glob pattern: {reason}")]
    BadGlob {
        /// What the user gave.
        spec: String,
        /// What is wrong with it.
        reason: String,
    },
    /// An extension driftscan does not read.
    #[error(
        "`{file}`: unsupported file type (expected .csv, .parquet, .pq, .jsonl, .ndjson or .json; .csv, .jsonl, .ndjson and .json may be gzipped as .gz)"
    )]
    UnknownFormat {
        /// File name.
        file: String,
    },
    /// An operating-system error while reading.
    #[error("cannot read `{file}`: {source}")]
    Io {
        /// File name.
        file: String,
        /// The cause.
        #[source]
        source: std::io::Error,
    },
    /// A file of 0 bytes.
    #[error("`{file}` is empty (0 bytes)")]
    Empty {
        /// File name.
        file: String,
    },
    /// A dataset whose files hold no data row (for example a CSV file with only a header).
    #[error("`{file}` has no rows (only a header or nothing but blank lines)")]
    NoRows {
        /// File name (the first file of the dataset).
        file: String,
    },
    /// A header with nothing in it.
    #[error("`{file}`: the header has no columns")]
    NoColumns {
        /// File name.
        file: String,
    },
    /// A file with more columns than driftscan reads (see [`super::MAX_COLUMNS`]).
    #[error(
        "`{file}` has {count} columns, more than the {limit} driftscan reads (each column keeps statistics and a row sample in memory); keep the columns to compare and profile those"
    )]
    TooManyColumns {
        /// File name.
        file: String,
        /// Columns in the file.
        count: usize,
        /// [`super::MAX_COLUMNS`].
        limit: usize,
    },
    /// Two columns with the same name.
    #[error("`{file}`: column `{name}` appears twice in the header")]
    DuplicateColumn {
        /// File name.
        file: String,
        /// The repeated name.
        name: String,
    },
    /// A CSV row whose number of fields differs from the header's.
    #[error("`{file}` line {line}: expected {expected} fields as in the header, found {found}")]
    Ragged {
        /// File name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// Fields in the header.
        expected: usize,
        /// Fields in the row.
        found: usize,
    },
    /// Bytes that are not UTF-8 text.
    #[error("`{file}` line {line}{}: invalid UTF-8 bytes (save the file as UTF-8)", column.as_ref().map(|c| format!(", column `{c}`")).unwrap_or_default())]
    NotUtf8 {
        /// File name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// Column, when known.
        column: Option<String>,
    },
    /// Malformed CSV.
    #[error("`{file}` line {line}: malformed CSV: {reason}")]
    Csv {
        /// File name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What the CSV parser said.
        reason: String,
    },
    /// A quoted CSV field that is still open at the end of the file.
    #[error(
        "`{file}` line {line}: a quoted field opens here and is never closed (a `\"` at the start of a field opens quotes; inside quotes, write `\"\"` for a quote)"
    )]
    UnclosedQuote {
        /// File name.
        file: String,
        /// 1-based line of the opening quote.
        line: u64,
    },
    /// A record (a CSV row, a JSON line) longer than the maximum record size.
    #[error(
        "`{file}` line {line}: a record longer than {limit_mb} MB{}; the limit is `ReadOptions::max_record_bytes` or the environment variable {MAX_RECORD_ENV} (in MB)",
        quote_line.map(|q| format!(" (a quoted field opened on line {q} is still open: a quote that is never closed?)")).unwrap_or_default()
    )]
    RecordTooLong {
        /// File name.
        file: String,
        /// 1-based line where the record starts.
        line: u64,
        /// The limit, in MB.
        limit_mb: u64,
        /// The line of a quote still open at the limit, if any.
        quote_line: Option<u64>,
    },
    /// A line that is not a JSON object.
    #[error("`{file}` line {line}: {reason}")]
    Json {
        /// File name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What is wrong with it.
        reason: String,
    },
    /// A Parquet file that cannot be decoded.
    #[error("`{file}`: cannot read Parquet: {reason}")]
    Parquet {
        /// File name.
        file: String,
        /// What the Parquet reader said.
        reason: String,
    },
    /// Arrow record batches handed in by a caller that cannot be read.
    #[error("`{name}`: cannot read Arrow batches: {reason}")]
    Arrow {
        /// The dataset's name.
        name: String,
        /// What went wrong.
        reason: String,
    },
}

/// Environment variable that sets the default maximum record size, in MB.
pub const MAX_RECORD_ENV: &str = "DRIFTSCAN_MAX_RECORD_MB";

//! Bytes in, typed Arrow batches out: CSV, Parquet and JSON lines, including both Azure ML
//! model-data-collector layouts.
//!
//! # Model
//!
//! A dataset is one or more [`Input`]s (see [`resolve`] for files, folders and globs). [`scan`]
//! reads them in order, cuts each into chunks of a few MB (CSV and JSON lines at a record
//! boundary, Parquet by record batch), decodes the chunks in parallel into [`Chunk`]s of Arrow
//! arrays, hands each chunk to a caller's function on the thread pool and the results back to the
//! caller **in chunk order**, so what the caller builds does not depend on thread timing.
//! At most a few chunks per thread are in flight: memory does not grow with the number of rows.
//!
//! # Typing
//!
//! Every file of a dataset is read with one pinned [`DatasetSchema`], taken from the first chunk
//! of the first file: a column is [`ColumnKind::Numeric`] when every non-empty value there reads as
//! a number (JSON: is a JSON number; Parquet: has an integer, float or decimal type), otherwise
//! [`ColumnKind::Text`]. Numbers are always `Float64`, never `Int64`, so a later `1.5` in a column
//! that started with integers is still a number. A value that does not fit the pinned kind (`abc`
//! in a numeric column) is counted as invalid and treated as missing; it never fails the read.
//! Columns named `$aml_*` (bookkeeping of Azure ML's legacy data collector) are dropped, as are
//! Parquet columns of other types (dates, timestamps, nested) and nested JSON values; each with
//! its reason in [`DatasetSchema::excluded`].
//!
//! # Example
//!
//! ```
//! use driftscan::data::{self, ChunkColumn};
//! let inputs = data::resolve("tests/data/basic.csv").unwrap();
//! let mut rows = 0;
//! let info = data::scan(&inputs, |chunk| chunk.rows, |n| rows += n).unwrap();
//! assert_eq!(info.schema.columns[0].name, "age");
//! assert!(rows > 0);
//! ```

mod csv;
mod json;
mod parquet;
pub mod value;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Float64Array, Float64Builder, StringArray};
use arrow::datatypes::DataType;
use bytes::Bytes;
use rayon::prelude::*;
use sha2::{Digest, Sha256};

use crate::base::hash::{ContentHasher, hash_bytes, mix64};

use value::{Parsed, parse_number};

/// One file of a dataset: on disk, in memory, or anywhere a [`ByteSource`] can read from (Blob
/// Storage).
#[derive(Debug, Clone)]
pub enum Input {
    /// A file on disk.
    File(PathBuf),
    /// Bytes with the name they came from; the name's extension selects the format.
    Memory {
        /// Blob key or other origin, used for the format and in error messages.
        name: String,
        /// The file's content.
        bytes: Bytes,
    },
    /// A file read by ranges wherever it is stored, without holding it whole.
    Source(Arc<dyn ByteSource>),
}

/// Random access to the bytes of one file wherever it is stored (disk, memory, Blob Storage), so
/// the readers never know where bytes come from and never need a whole file in memory.
pub trait ByteSource: Send + Sync + std::fmt::Debug + 'static {
    /// Path or blob key: used in messages and, by its extension, for the format.
    fn name(&self) -> &str;
    /// Size in bytes.
    fn len(&self) -> u64;
    /// Whether the file has no bytes.
    fn is_empty(&self) -> bool {
        self.len() == 0
    }
    /// The bytes of `range` (fewer only at the end of the file). Blocking; called from worker
    /// threads, never from an async task.
    fn read_range(&self, range: std::ops::Range<u64>) -> std::io::Result<Bytes>;
    /// A sequential reader from offset 0. The default reads consecutive ranges of
    /// [`SEQUENTIAL_READ_SIZE`] bytes; a remote source overrides it to keep a few ranges in flight.
    fn reader(self: Arc<Self>) -> Box<dyn Read + Send> {
        Box::new(RangeReader {
            source: self,
            pos: 0,
            buffer: Bytes::new(),
        })
    }
}

/// Bytes asked of a [`ByteSource`] at a time by its default sequential reader.
pub const SEQUENTIAL_READ_SIZE: u64 = 8 << 20;

/// The default sequential reader of a [`ByteSource`]: one range after the other.
struct RangeReader<S: ?Sized> {
    source: Arc<S>,
    pos: u64,
    buffer: Bytes,
}

impl<S: ByteSource + ?Sized> Read for RangeReader<S> {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.buffer.is_empty() {
            let len = self.source.len();
            if self.pos >= len {
                return Ok(0);
            }
            let end = (self.pos + SEQUENTIAL_READ_SIZE).min(len);
            self.buffer = self.source.read_range(self.pos..end)?;
            if self.buffer.is_empty() {
                return Ok(0);
            }
            self.pos += self.buffer.len() as u64;
        }
        let n = out.len().min(self.buffer.len());
        out[..n].copy_from_slice(&self.buffer.split_to(n));
        Ok(n)
    }
}

impl Input {
    /// Name used in messages: the path or the blob key.
    pub fn name(&self) -> String {
        match self {
            Input::File(p) => p.display().to_string(),
            Input::Memory { name, .. } => name.clone(),
            Input::Source(source) => source.name().to_string(),
        }
    }

    /// Last path segment of the name: what the content hash covers, so that the same file read
    /// from another folder or through another relative path hashes the same.
    pub fn file_name(&self) -> String {
        let name = self.name();
        name.rsplit(['/', '\\']).next().unwrap_or(&name).to_string()
    }

    /// The file format, from the name's extension.
    pub fn format(&self) -> Result<Format, ReadError> {
        Format::from_name(&self.name())
            .ok_or_else(|| ReadError::UnknownFormat { file: self.name() })
    }
}

/// File formats driftscan reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// `.csv`: header row, comma-separated, `"` quotes, empty field = missing.
    Csv,
    /// `.parquet`, `.pq`.
    Parquet,
    /// `.jsonl`, `.ndjson`, `.json`: one JSON object per line (plain rows or collector records).
    JsonLines,
}

impl Format {
    /// The format of a file name, by extension (case-insensitive).
    /// `.gz` after a CSV or JSON-lines extension is read through gzip.
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = name.to_ascii_lowercase();
        let (stem, gz) = match lower.strip_suffix(".gz") {
            Some(stem) => (stem, true),
            None => (lower.as_str(), false),
        };
        let ext = stem.rsplit_once('.').map(|(_, e)| e)?;
        match ext {
            "csv" => Some(Format::Csv),
            "parquet" | "pq" if !gz => Some(Format::Parquet),
            "jsonl" | "ndjson" | "json" => Some(Format::JsonLines),
            _ => None,
        }
    }
}

/// True for names ending in `.gz` (read through a gzip decoder).
fn is_gzip(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".gz")
}

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
    /// Malformed CSV (for example a quote that is never closed).
    #[error("`{file}` line {line}: malformed CSV: {reason}")]
    Csv {
        /// File name.
        file: String,
        /// 1-based line number.
        line: u64,
        /// What the CSV parser said.
        reason: String,
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
}

/// Expands what a user gives as a dataset into its files: a file, a folder (every data file below
/// it, recursively, sorted by path) or a glob pattern (matches sorted by path).
///
/// A single file is taken as given, whatever its extension (an unknown one fails later with a
/// clear error); folders and globs keep only files with a known extension.
pub fn resolve(spec: &str) -> Result<Vec<Input>, ReadError> {
    let path = Path::new(spec);
    if path.is_file() {
        return Ok(vec![Input::File(path.to_path_buf())]);
    }
    if path.is_dir() {
        let mut files = Vec::new();
        walk(path, &mut files).map_err(|source| ReadError::Io {
            file: spec.to_string(),
            source,
        })?;
        files.sort();
        if files.is_empty() {
            return Err(ReadError::NoMatch {
                spec: spec.to_string(),
            });
        }
        return Ok(files.into_iter().map(Input::File).collect());
    }
    if spec.contains(['*', '?', '[']) {
        let paths = glob::glob(spec).map_err(|e| ReadError::BadGlob {
            spec: spec.to_string(),
            reason: e.msg.to_string(),
        })?;
        let mut files: Vec<PathBuf> = paths
            .filter_map(Result::ok)
            .filter(|p| p.is_file() && is_data_file(p))
            .collect();
        files.sort();
        if files.is_empty() {
            return Err(ReadError::NoMatch {
                spec: spec.to_string(),
            });
        }
        return Ok(files.into_iter().map(Input::File).collect());
    }
    Err(ReadError::NotFound {
        spec: spec.to_string(),
    })
}

/// Whether a file name is read as data: one of the formats' extensions, gzipped ones included.
/// This is the one rule for data-file names; everything that lists files asks it.
pub fn is_data_file_name(name: &str) -> bool {
    Format::from_name(name).is_some()
}

fn is_data_file(p: &Path) -> bool {
    p.file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| !n.starts_with('.') && is_data_file_name(n))
}

fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    for entry in std::fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            walk(&path, out)?;
        } else if is_data_file(&path) {
            out.push(path);
        }
    }
    Ok(())
}

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Numbers, as `Float64`.
    Numeric,
    /// Text, as `Utf8` (booleans included).
    Text,
}

impl ColumnKind {
    /// `numeric` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Text => "text",
        }
    }
}

/// One column of the pinned schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaColumn {
    /// Name, as in the data.
    pub name: String,
    /// How it is read in every file of the dataset.
    pub kind: ColumnKind,
}

/// The column types every file of one dataset is read with (see the module docs, "Typing").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetSchema {
    /// Read columns, in the order of the first file.
    pub columns: Vec<SchemaColumn>,
    /// Columns not read, with the reason.
    pub excluded: Vec<(String, String)>,
}

impl DatasetSchema {
    fn position(&self, name: &str) -> Option<usize> {
        self.columns.iter().position(|c| c.name == name)
    }

    fn is_excluded(&self, name: &str) -> bool {
        self.excluded.iter().any(|(n, _)| n == name)
    }
}

/// True for the bookkeeping columns Azure ML's legacy data collector appends (`$aml_dc_*`, ...).
pub fn is_aml_bookkeeping(name: &str) -> bool {
    name.starts_with("$aml_")
}

/// Reason given for dropped `$aml_*` columns.
pub const AML_REASON: &str = "Azure ML data-collector bookkeeping column";

/// One decoded chunk of rows, its columns aligned with [`DatasetSchema::columns`].
#[derive(Debug, Clone)]
pub struct Chunk {
    /// Index of the input (file) in the dataset.
    pub file: usize,
    /// Stable 64-bit key of the file: a hash of its name (last path segment), size and position
    /// in the dataset. Row samples seed their priorities with it, so two files do not share
    /// priorities, also when each is profiled on its own and the profiles are merged later.
    pub file_key: u64,
    /// Index of the chunk within its file; with `file`, a stable position of the rows that does
    /// not depend on threads.
    pub index: usize,
    /// Number of rows.
    pub rows: usize,
    /// One column per schema column.
    pub columns: Vec<ChunkColumn>,
}

/// The values of one column in one chunk.
#[derive(Debug, Clone)]
pub enum ChunkColumn {
    /// Numbers. Null = missing or invalid; NaN and +-inf are kept as values.
    Numeric {
        /// The values.
        values: Float64Array,
        /// How many of the nulls were invalid values rather than empty ones.
        invalid: u64,
    },
    /// Text; null = missing.
    Text(StringArray),
}

impl ChunkColumn {
    fn nulls(kind: ColumnKind, rows: usize) -> ChunkColumn {
        match kind {
            ColumnKind::Numeric => ChunkColumn::Numeric {
                values: Float64Array::new_null(rows),
                invalid: 0,
            },
            ColumnKind::Text => ChunkColumn::Text(StringArray::new_null(rows)),
        }
    }
}

/// Converts any Arrow array to the column's pinned kind, counting values that do not fit.
pub(crate) fn coerce(array: &ArrayRef, kind: ColumnKind) -> Result<ChunkColumn, String> {
    match kind {
        ColumnKind::Numeric => {
            let dt = array.data_type();
            if dt.is_numeric() {
                let cast =
                    arrow::compute::cast(array, &DataType::Float64).map_err(|e| e.to_string())?;
                let values = cast
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .ok_or("cast to Float64 failed")?
                    .clone();
                return Ok(ChunkColumn::Numeric { values, invalid: 0 });
            }
            if dt == &DataType::Null {
                return Ok(ChunkColumn::nulls(kind, array.len()));
            }
            // Text (or anything else) in a numeric column: read each value leniently.
            let text = to_utf8(array)?;
            let mut b = Float64Builder::with_capacity(text.len());
            let mut invalid = 0u64;
            for v in text.iter() {
                match v.map(parse_number) {
                    None | Some(Parsed::Missing) => b.append_null(),
                    Some(Parsed::Number(x)) => b.append_value(x),
                    Some(Parsed::Invalid) => {
                        invalid += 1;
                        b.append_null()
                    }
                }
            }
            Ok(ChunkColumn::Numeric {
                values: b.finish(),
                invalid,
            })
        }
        ColumnKind::Text => Ok(ChunkColumn::Text(to_utf8(array)?)),
    }
}

fn to_utf8(array: &ArrayRef) -> Result<StringArray, String> {
    let cast = if array.data_type() == &DataType::Utf8 {
        array.clone()
    } else {
        arrow::compute::cast(array, &DataType::Utf8).map_err(|e| e.to_string())?
    };
    cast.as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| "cast to Utf8 failed".to_string())
}

/// What [`scan`] learnt about a dataset besides the chunks.
#[derive(Debug, Clone, Default)]
pub struct DatasetInfo {
    /// The pinned schema.
    pub schema: DatasetSchema,
    /// Per file: name, size in bytes and rows read.
    pub files: Vec<FileInfo>,
    /// The dataset's content hash ([`ContentHasher`] defines it).
    pub content_hash: String,
    /// Things that did not stop the read (one sentence each).
    pub warnings: Vec<String>,
}

/// One file of a read dataset.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileInfo {
    /// The name used in messages.
    pub name: String,
    /// Size in bytes.
    pub bytes: u64,
    /// Data rows read.
    pub rows: u64,
}

/// Bytes of CSV or JSON lines decoded per chunk: big enough that per-chunk overhead vanishes,
/// small enough that a few chunks per thread stay well under the memory budget.
pub(crate) const BLOCK_SIZE: usize = 4 << 20;

/// Reads every input in order, decodes chunks in parallel and runs `process` on each chunk on
/// the thread pool; `merge` receives the results on the calling thread in chunk order
/// (file by file, chunk by chunk).
pub fn scan<T, P, M>(inputs: &[Input], process: P, merge: M) -> Result<DatasetInfo, ReadError>
where
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    scan_pinned(inputs, &[], process, merge)
}

/// [`scan`] with some column kinds fixed in advance, typically the baseline's kinds when reading
/// a target, so that a column that is numeric in the baseline is read as numbers in the target
/// too (its text values then count as invalid) instead of being typed from the target's data.
/// Names absent from the data are ignored.
pub fn scan_pinned<T, P, M>(
    inputs: &[Input],
    pinned: &[(String, ColumnKind)],
    process: P,
    mut merge: M,
) -> Result<DatasetInfo, ReadError>
where
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    let mut schema: Option<DatasetSchema> = None;
    let mut info = DatasetInfo::default();
    let mut hasher = ContentHasher::new();
    for (index, input) in inputs.iter().enumerate() {
        let format = input.format()?;
        let mut source = Source::open(input)?;
        if source.len == 0 {
            return Err(ReadError::Empty {
                file: source.name.clone(),
            });
        }
        let mut ctx = FileContext {
            index,
            key: file_key(&input.file_name(), source.len) ^ mix64(index as u64),
            pinned,
            name: source.name.clone(),
            schema: &mut schema,
            warnings: &mut info.warnings,
            rows: 0,
        };
        let mut sink = |t| merge(t);
        let file_hash = match format {
            Format::Csv => csv::scan_file(&mut source, &mut ctx, &process, &mut sink)?,
            Format::JsonLines => json::scan_file(&mut source, &mut ctx, &process, &mut sink)?,
            Format::Parquet => parquet::scan_file(input, &mut ctx, &process, &mut sink)?,
        };
        let rows = ctx.rows;
        hasher.add_file(&input.file_name(), source.len, &file_hash);
        if rows == 0 && inputs.len() > 1 {
            info.warnings
                .push(format!("`{}` has no rows and was skipped.", source.name));
        }
        info.files.push(FileInfo {
            name: source.name,
            bytes: source.len,
            rows,
        });
    }
    if info.files.iter().all(|f| f.rows == 0) {
        return Err(ReadError::NoRows {
            file: inputs.first().map(Input::name).unwrap_or_default(),
        });
    }
    info.schema = schema.unwrap_or_default();
    info.content_hash = hasher.finish();
    Ok(info)
}

/// State of the file being read, shared with the format readers.
pub(crate) struct FileContext<'a> {
    pub index: usize,
    pub key: u64,
    pub name: String,
    /// The dataset's pinned schema; `None` until the first file's first chunk set it.
    pub schema: &'a mut Option<DatasetSchema>,
    pub warnings: &'a mut Vec<String>,
    pub rows: u64,
    pub pinned: &'a [(String, ColumnKind)],
}

impl FileContext<'_> {
    /// Pins the dataset's schema, with the caller's fixed kinds applied.
    pub fn set_schema(&mut self, mut schema: DatasetSchema) {
        for c in &mut schema.columns {
            if let Some((_, kind)) = self.pinned.iter().find(|(n, _)| n == &c.name) {
                c.kind = *kind;
            }
        }
        *self.schema = Some(schema);
    }

    pub fn io_error(&self, source: std::io::Error) -> ReadError {
        ReadError::Io {
            file: self.name.clone(),
            source,
        }
    }

    /// Maps the file's own column names to the pinned schema: for each pinned column, the
    /// position in this file (None when absent). Warns once per file about extra columns.
    pub fn map_columns(&mut self, file_names: &[String]) -> Vec<Option<usize>> {
        let Some(schema) = self.schema.as_ref() else {
            return Vec::new();
        };
        let mapping: Vec<Option<usize>> = schema
            .columns
            .iter()
            .map(|c| file_names.iter().position(|n| n == &c.name))
            .collect();
        let absent: Vec<&str> = schema
            .columns
            .iter()
            .zip(&mapping)
            .filter(|(_, m)| m.is_none())
            .map(|(c, _)| c.name.as_str())
            .collect();
        if !absent.is_empty() {
            self.warnings.push(format!(
                "`{}` lacks column(s) {}; their values count as missing.",
                self.name,
                quote_list(&absent)
            ));
        }
        let extra: Vec<&str> = file_names
            .iter()
            .filter(|n| {
                schema.position(n).is_none() && !schema.is_excluded(n) && !is_aml_bookkeeping(n)
            })
            .map(String::as_str)
            .collect();
        if !extra.is_empty() {
            self.warnings.push(format!(
                "`{}` has column(s) {} that the dataset's first file lacks; they were ignored.",
                self.name,
                quote_list(&extra)
            ));
        }
        mapping
    }
}

/// A hash of the file name and size.
fn file_key(name: &str, len: u64) -> u64 {
    let mut bytes = name.as_bytes().to_vec();
    bytes.extend_from_slice(&len.to_le_bytes());
    hash_bytes(&bytes)
}

fn quote_list(names: &[&str]) -> String {
    names
        .iter()
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Decodes a window of tasks in parallel and runs `process` on each chunk.
pub(crate) fn process_window<W, T, D, P>(
    tasks: Vec<W>,
    decode: &D,
    process: &P,
) -> Vec<Result<Option<(usize, T)>, ReadError>>
where
    W: Send,
    T: Send,
    D: Fn(W) -> Result<Option<Chunk>, ReadError> + Sync,
    P: Fn(&Chunk) -> T + Sync,
{
    tasks
        .into_par_iter()
        .map(|task| {
            let chunk = decode(task)?;
            Ok(chunk.map(|c| (c.rows, process(&c))))
        })
        .collect()
}

/// Hands the results of a window to `merge` in order. The first error in task order wins, so
/// the message does not depend on thread timing.
pub(crate) fn merge_window<T, M: FnMut(T)>(
    results: Vec<Result<Option<(usize, T)>, ReadError>>,
    merge: &mut M,
) -> Result<u64, ReadError> {
    let mut rows = 0u64;
    for r in results {
        if let Some((n, t)) = r? {
            rows += n as u64;
            merge(t);
        }
    }
    Ok(rows)
}

/// Tasks decoded at once: a few per thread, so that both cores stay busy across the uneven
/// chunk times while memory stays bounded.
pub(crate) fn window_len() -> usize {
    (rayon::current_num_threads() * 2).max(4)
}

/// Sequential byte access to an input, in blocks.
pub(crate) struct Source {
    pub name: String,
    pub len: u64,
    reader: SourceReader,
}

enum SourceReader {
    File(std::fs::File),
    Memory(Bytes, usize),
    /// A gzipped file or blob (every member of a multi-member gzip stream).
    Gzip(Box<flate2::read::MultiGzDecoder<Box<dyn Read + Send>>>),
    /// The sequential reader of a [`ByteSource`].
    Stream(Box<dyn Read + Send>),
}

impl Source {
    fn open(input: &Input) -> Result<Source, ReadError> {
        match input {
            Input::File(path) => {
                let name = input.name();
                let file = std::fs::File::open(path).map_err(|source| {
                    if source.kind() == std::io::ErrorKind::NotFound {
                        ReadError::NotFound { spec: name.clone() }
                    } else {
                        ReadError::Io {
                            file: name.clone(),
                            source,
                        }
                    }
                })?;
                let len = file
                    .metadata()
                    .map_err(|source| ReadError::Io {
                        file: name.clone(),
                        source,
                    })?
                    .len();
                let reader = if is_gzip(&name) {
                    gzip(Box::new(std::io::BufReader::new(file)))
                } else {
                    SourceReader::File(file)
                };
                Ok(Source { name, len, reader })
            }
            Input::Memory { name, bytes } => Ok(Source {
                name: name.clone(),
                len: bytes.len() as u64,
                reader: if is_gzip(name) {
                    gzip(Box::new(std::io::Cursor::new(bytes.clone())))
                } else {
                    SourceReader::Memory(bytes.clone(), 0)
                },
            }),
            Input::Source(source) => {
                let name = source.name().to_string();
                let stream = Arc::clone(source).reader();
                Ok(Source {
                    len: source.len(),
                    reader: if is_gzip(&name) {
                        gzip(stream)
                    } else {
                        SourceReader::Stream(stream)
                    },
                    name,
                })
            }
        }
    }

    /// Appends up to `want` bytes to `buf`; returns how many were added (0 at the end).
    pub fn read_into(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
        match &mut self.reader {
            SourceReader::File(f) => read_full(f, buf, want),
            SourceReader::Gzip(g) => read_full(g, buf, want),
            SourceReader::Stream(r) => read_full(r, buf, want),
            SourceReader::Memory(bytes, pos) => {
                let n = want.min(bytes.len() - *pos);
                buf.extend_from_slice(&bytes[*pos..*pos + n]);
                *pos += n;
                Ok(n)
            }
        }
    }
}

fn gzip(inner: Box<dyn Read + Send>) -> SourceReader {
    SourceReader::Gzip(Box::new(flate2::read::MultiGzDecoder::new(inner)))
}

/// Appends up to `want` bytes from `r` to `buf`, fewer only at the end of the input.
fn read_full(r: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + want, 0);
    let mut filled = 0;
    while filled < want {
        match r.read(&mut buf[start + filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => {
                buf.truncate(start);
                return Err(e);
            }
        }
    }
    buf.truncate(start + filled);
    Ok(filled)
}

/// Cuts a stream of text records into blocks that end at a record boundary, for CSV (where a
/// newline inside quotes is not a boundary) and JSON lines.
pub(crate) struct BlockReader {
    carry: Vec<u8>,
    done: bool,
    quotes: bool,
    /// 1-based line number of the first line of the next block.
    pub next_line: u64,
    /// Bytes handed out so far, and the running hash of them.
    pub hasher: Sha256,
}

/// One block of whole records.
pub(crate) struct Block {
    pub bytes: Bytes,
    /// 1-based line number of the block's first line in the file.
    pub first_line: u64,
    /// Number of `\n` in the block (an upper bound of its records).
    pub newlines: usize,
}

impl BlockReader {
    pub fn new(quotes: bool) -> Self {
        BlockReader {
            carry: Vec::new(),
            done: false,
            quotes,
            next_line: 1,
            hasher: Sha256::new(),
        }
    }

    /// The next block of whole records, or None at the end of the input.
    pub fn next_block(&mut self, source: &mut Source) -> std::io::Result<Option<Block>> {
        loop {
            if !self.done {
                let want = BLOCK_SIZE.saturating_sub(self.carry.len()).max(1 << 16);
                let n = source.read_into(&mut self.carry, want)?;
                if n == 0 {
                    self.done = true;
                } else {
                    let start = self.carry.len() - n;
                    self.hasher.update(&self.carry[start..]);
                }
            }
            if self.carry.is_empty() {
                return Ok(None);
            }
            let cut = if self.done {
                Some(self.carry.len())
            } else {
                last_record_end(&self.carry, self.quotes).or_else(|| {
                    // A stray `"` inside an unquoted field (`5" screen`) fools the quote
                    // parity; rather than buffering the rest of the file, cut at a newline once
                    // no record boundary shows up in several blocks' worth of bytes.
                    (self.carry.len() > 4 * BLOCK_SIZE)
                        .then(|| memchr::memrchr(b'\n', &self.carry).map(|i| i + 1))
                        .flatten()
                })
            };
            if let Some(cut) = cut {
                let rest = self.carry.split_off(cut);
                let block = std::mem::replace(&mut self.carry, rest);
                let newlines = memchr::memchr_iter(b'\n', &block).count();
                let first_line = self.next_line;
                self.next_line += newlines as u64;
                return Ok(Some(Block {
                    bytes: Bytes::from(block),
                    first_line,
                    newlines,
                }));
            }
            // No record boundary yet (a record longer than a block): read more.
        }
    }
}

/// Position just after the last `\n` that is not inside quotes, if any.
fn last_record_end(buf: &[u8], quotes: bool) -> Option<usize> {
    if !quotes || memchr::memchr(b'"', buf).is_none() {
        return memchr::memrchr(b'\n', buf).map(|i| i + 1);
    }
    // A block always starts outside quotes; `""` inside quotes toggles twice, so parity works.
    let mut inside = false;
    let mut last = None;
    for i in memchr::memchr2_iter(b'"', b'\n', buf) {
        if buf[i] == b'"' {
            inside = !inside;
        } else if !inside {
            last = Some(i + 1);
        }
    }
    last
}

/// Builds the pinned schema from the first chunk's values as text, following the module docs.
pub(crate) fn infer_kinds(names: &[String], texts: &[Option<StringArray>]) -> DatasetSchema {
    let mut schema = DatasetSchema::default();
    for (name, text) in names.iter().zip(texts) {
        if is_aml_bookkeeping(name) {
            schema.excluded.push((name.clone(), AML_REASON.to_string()));
            continue;
        }
        let Some(text) = text else { continue };
        let numeric = text
            .iter()
            .flatten()
            .all(|v| !matches!(parse_number(v), Parsed::Invalid));
        schema.columns.push(SchemaColumn {
            name: name.clone(),
            kind: if numeric {
                ColumnKind::Numeric
            } else {
                ColumnKind::Text
            },
        });
    }
    schema
}

/// Rejects duplicate and fixes empty column names (named `Unnamed: {i}` as pandas does).
pub(crate) fn clean_names(file: &str, names: Vec<String>) -> Result<Vec<String>, ReadError> {
    if names.is_empty() || (names.len() == 1 && names[0].trim().is_empty()) {
        return Err(ReadError::NoColumns {
            file: file.to_string(),
        });
    }
    let names: Vec<String> = names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            if n.is_empty() {
                format!("Unnamed: {i}")
            } else {
                n
            }
        })
        .collect();
    let mut seen = std::collections::HashSet::new();
    for n in &names {
        if !seen.insert(n.as_str()) {
            return Err(ReadError::DuplicateColumn {
                file: file.to_string(),
                name: n.clone(),
            });
        }
    }
    Ok(names)
}

/// Arranges per-file arrays into the pinned schema's order, filling absent columns with nulls.
pub(crate) fn arrange(
    schema: &DatasetSchema,
    mapping: &[Option<usize>],
    rows: usize,
    mut take: impl FnMut(usize, ColumnKind) -> Result<ChunkColumn, String>,
) -> Result<Vec<ChunkColumn>, String> {
    schema
        .columns
        .iter()
        .zip(mapping)
        .map(|(c, m)| match m {
            Some(i) => take(*i, c.kind),
            None => Ok(ChunkColumn::nulls(c.kind, rows)),
        })
        .collect()
}

/// Shared, cheap handle on the pinned schema for parallel decoders.
pub(crate) type SharedSchema = Arc<DatasetSchema>;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_end_ignores_newlines_inside_quotes() {
        assert_eq!(last_record_end(b"a,b\n1,2\n3", true), Some(8));
        assert_eq!(last_record_end(b"a,\"x\ny\"\n1,\"2\n", true), Some(8));
        assert_eq!(last_record_end(b"\"a\nb", true), None);
        assert_eq!(last_record_end(b"\"a\"\"\nb\"\nc", true), Some(8));
    }

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::from_name("a/B.CSV"), Some(Format::Csv));
        assert_eq!(Format::from_name("x.pq"), Some(Format::Parquet));
        assert_eq!(Format::from_name("x.ndjson"), Some(Format::JsonLines));
        assert_eq!(Format::from_name("x.txt"), None);
        assert_eq!(Format::from_name("noext"), None);
    }

    #[test]
    fn empty_names_are_named_and_duplicates_rejected() {
        let n = clean_names("f", vec!["".into(), "a".into()]).unwrap();
        assert_eq!(n, vec!["Unnamed: 0", "a"]);
        let e = clean_names("f", vec!["a".into(), "a".into()]).unwrap_err();
        assert_eq!(e.to_string(), "`f`: column `a` appears twice in the header");
    }
}

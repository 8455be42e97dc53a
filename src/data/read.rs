//! The scan driver: reads the inputs of a dataset in order, hands their chunks to the format
//! readers' decoders on the thread pool, and the caller's results back in chunk order.
//!
//! Each format reader (`csv`, `json`, `parquet`, `arrow_stream`) cuts its input into tasks
//! (blocks of bytes, record batches), and calls [`process_window`] / [`merge_window`] on a
//! window of a few tasks per thread while it reads the next window on the calling thread. So at
//! most two windows are in memory, whatever the size of the dataset.

use std::sync::Arc;

use arrow::array::{Float64Array, StringArray};

use crate::base::hash::{ContentHasher, FileHasher, hash_bytes, mix64};

use super::blocks::DEFAULT_MAX_RECORD_BYTES;
use super::error::MAX_RECORD_ENV;
use super::input::Format;
use super::schema::{ColumnKind, DatasetSchema, map_names};
use super::{Input, ReadError, csv, json, parquet};

/// How a dataset is read. [`ReadOptions::default`] is what [`scan`] uses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReadOptions {
    /// Column kinds fixed in advance (see [`scan_pinned`]); names absent from the data are
    /// ignored. Default: none.
    pub pinned: Vec<(String, ColumnKind)>,
    /// The longest record (CSV row, JSON line) read, in bytes; a longer one fails the read with
    /// [`ReadError::RecordTooLong`] instead of holding memory without bound. Default: the
    /// environment variable `DRIFTSCAN_MAX_RECORD_MB` (in MB) when set, else 64 MB.
    pub max_record_bytes: usize,
    /// Parquet files up to this size are fetched whole with one range (every byte fetched once,
    /// hashed and decoded from memory); larger ones are read by range (see `data::parquet`).
    /// Default: 16 MB.
    pub parquet_whole_file_bytes: u64,
}

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            pinned: Vec::new(),
            max_record_bytes: default_max_record_bytes(),
            parquet_whole_file_bytes: super::parquet::WHOLE_FILE,
        }
    }
}

/// `DRIFTSCAN_MAX_RECORD_MB` in bytes, or [`DEFAULT_MAX_RECORD_BYTES`] when it is unset or not
/// a positive whole number (then with a warning, once).
fn default_max_record_bytes() -> usize {
    static FROM_ENV: std::sync::OnceLock<usize> = std::sync::OnceLock::new();
    *FROM_ENV.get_or_init(|| match std::env::var(MAX_RECORD_ENV) {
        Err(_) => DEFAULT_MAX_RECORD_BYTES,
        Ok(v) => match v.trim().parse::<usize>() {
            Ok(mb) if mb > 0 => mb.saturating_mul(1 << 20),
            _ => {
                tracing::warn!(
                    message = "Ignoring an invalid maximum record size; using the default.",
                    variable = MAX_RECORD_ENV,
                    value = %v,
                    default_mb = DEFAULT_MAX_RECORD_BYTES >> 20
                );
                DEFAULT_MAX_RECORD_BYTES
            }
        },
    })
}

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
    /// A column of `rows` missing values.
    pub(crate) fn nulls(kind: ColumnKind, rows: usize) -> ChunkColumn {
        match kind {
            ColumnKind::Numeric => ChunkColumn::Numeric {
                values: Float64Array::new_null(rows),
                invalid: 0,
            },
            ColumnKind::Text => ChunkColumn::Text(StringArray::new_null(rows)),
        }
    }
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

/// Reads every input in order, decodes chunks in parallel and runs `process` on each chunk on
/// the thread pool; `merge` receives the results on the calling thread in chunk order
/// (file by file, chunk by chunk).
pub fn scan<T, P, M>(inputs: &[Input], process: P, merge: M) -> Result<DatasetInfo, ReadError>
where
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    scan_with(inputs, &ReadOptions::default(), process, merge)
}

/// [`scan`] with some column kinds fixed in advance, typically the baseline's kinds when reading
/// a target, so that a column that is numeric in the baseline is read as numbers in the target
/// too (its text values then count as invalid) instead of being typed from the target's data.
/// Names absent from the data are ignored.
pub fn scan_pinned<T, P, M>(
    inputs: &[Input],
    pinned: &[(String, ColumnKind)],
    process: P,
    merge: M,
) -> Result<DatasetInfo, ReadError>
where
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    let options = ReadOptions {
        pinned: pinned.to_vec(),
        ..ReadOptions::default()
    };
    scan_with(inputs, &options, process, merge)
}

/// [`scan`] with every option of [`ReadOptions`].
pub fn scan_with<T, P, M>(
    inputs: &[Input],
    options: &ReadOptions,
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
        let source = input.open()?;
        let name = input.name();
        let len = source.len();
        if len == 0 {
            return Err(ReadError::Empty { file: name });
        }
        let mut ctx = FileContext {
            index,
            key: file_key(&input.file_name(), len) ^ mix64(index as u64),
            pinned: &options.pinned,
            max_record: options.max_record_bytes,
            parquet_whole_file: options.parquet_whole_file_bytes,
            name: name.clone(),
            schema: &mut schema,
            warnings: &mut info.warnings,
            rows: 0,
        };
        let mut sink = |t| merge(t);
        let file_hash = match format {
            Format::Csv => csv::scan_file(&source, &mut ctx, &process, &mut sink)?,
            Format::JsonLines => json::scan_file(&source, &mut ctx, &process, &mut sink)?,
            Format::Parquet => parquet::scan_file(&source, &mut ctx, &process, &mut sink)?,
        };
        let rows = ctx.rows;
        hasher.add(file_hash);
        if rows == 0 && inputs.len() > 1 {
            info.warnings
                .push(format!("`{name}` has no rows and was skipped."));
        }
        info.files.push(FileInfo {
            name,
            bytes: len,
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
    /// The longest record read, in bytes.
    pub max_record: usize,
    /// Parquet files up to this size are fetched whole.
    pub parquet_whole_file: u64,
}

impl FileContext<'_> {
    /// Pins the dataset's schema, with the caller's fixed kinds applied.
    pub fn set_schema(&mut self, mut schema: DatasetSchema) {
        if !self.pinned.is_empty() {
            let pinned: std::collections::HashMap<&str, ColumnKind> =
                self.pinned.iter().map(|(n, k)| (n.as_str(), *k)).collect();
            for c in &mut schema.columns {
                if let Some(kind) = pinned.get(c.name.as_str()) {
                    c.kind = *kind;
                }
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
    /// position in this file (None when absent). Warns once per file about absent and extra
    /// columns.
    pub fn map_columns(&mut self, file_names: &[String]) -> Vec<Option<usize>> {
        let Some(schema) = self.schema.as_ref() else {
            return Vec::new();
        };
        let (mapping, extra) = map_names(schema, file_names);
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
        let extra: Vec<&str> = extra.iter().map(|&i| file_names[i].as_str()).collect();
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

/// `a`, `b`, ... for messages; long lists are cut after 20 names.
fn quote_list(names: &[&str]) -> String {
    const SHOWN: usize = 20;
    let mut list = names
        .iter()
        .take(SHOWN)
        .map(|n| format!("`{n}`"))
        .collect::<Vec<_>>()
        .join(", ");
    if names.len() > SHOWN {
        list.push_str(&format!(" and {} more", names.len() - SHOWN));
    }
    list
}

/// The file's hash when it was read by another path than a [`super::input::ByteStream`].
pub(crate) fn file_hash(name: &str, bytes: &[u8]) -> FileHasher {
    let mut h = FileHasher::new(name);
    h.update(bytes);
    h
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
    use rayon::prelude::*;
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

/// Runs a third-party decoder, turning a panic into an error: corrupt input must never take the
/// process down. The panic's message is kept for the error, and the default panic hook's report
/// on stderr is silenced for these panics only (see [`quiet_panics`]).
pub(crate) fn guarded<R>(f: impl FnOnce() -> R) -> Result<R, String> {
    quiet_panics();
    QUIET.with(|q| q.set(q.get() + 1));
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(f));
    QUIET.with(|q| q.set(q.get() - 1));
    result.map_err(|payload| {
        let message = payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown cause".to_string());
        let place = LAST_PANIC_PLACE.with(|p| p.take());
        match place {
            Some(place) => format!("the decoder failed ({message}, at {place})"),
            None => format!("the decoder failed ({message})"),
        }
    })
}

thread_local! {
    /// Depth of [`guarded`] calls on this thread: panics inside are reported as errors.
    static QUIET: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
    /// Where the last quiet panic on this thread happened.
    static LAST_PANIC_PLACE: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// Installs, once, a panic hook that stays silent for panics inside [`guarded`] (they become
/// errors with their own one-line message) and hands every other panic to the hook that was
/// there before.
fn quiet_panics() {
    static INSTALL: std::sync::Once = std::sync::Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if QUIET.with(|q| q.get()) > 0 {
                let place = info
                    .location()
                    .map(|l| format!("{}:{}", l.file(), l.line()));
                LAST_PANIC_PLACE.with(|p| *p.borrow_mut() = place);
            } else {
                previous(info);
            }
        }));
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_in_a_decoder_becomes_an_error_and_other_panics_are_untouched() {
        let e = guarded(|| -> u32 { panic!("bad page") }).unwrap_err();
        assert!(e.starts_with("the decoder failed (bad page, at "), "{e}");
        assert!(e.contains("read.rs"), "{e}");
        assert_eq!(guarded(|| 7).unwrap(), 7);
        let outside = std::panic::catch_unwind(|| panic!("outside"));
        assert!(outside.is_err());
    }

    #[test]
    fn long_column_lists_are_cut_in_messages() {
        let names: Vec<String> = (0..25).map(|i| format!("c{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let list = quote_list(&refs);
        assert!(list.ends_with("`c19` and 5 more"), "{list}");
    }
}

//! The scan driver: opens the inputs of a dataset in order, feeds each to its format's
//! [`Decoder`], runs the one read loop ([`run`]) that decodes units on the thread pool, and hands
//! the caller's results back in chunk order.
//!
//! Everything that touches bytes at rest is here: opening, the sequential stream cut into blocks
//! of whole records ([`Blocks`], for CSV and JSON lines), the ranged reads of Parquet
//! ([`super::ranges`]), the content hash, and the file name on I/O errors. The decoders (`csv`,
//! `json`, `parquet`, `arrow_stream`) only turn what they are fed into chunks. The loop decodes
//! a window of a few units per thread while it cuts the next window, so at most two windows are
//! in memory, whatever the size of the dataset.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{Float64Array, StringArray};

use crate::base::hash::{ContentHasher, FileHasher, hash_bytes, mix64};

use super::blocks::{Block, BlockReader, DEFAULT_MAX_RECORD_BYTES, Dialect};
use super::csv::CsvDecoder;
use super::error::MAX_RECORD_ENV;
use super::input::{ByteSource, ByteStream, Format, read_exact_range};
use super::json::JsonDecoder;
use super::parquet::ParquetDecoder;
use super::ranges::Ranges;
use super::schema::{ColumnKind, DatasetSchema, map_names};
use super::{Input, ReadError};

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
    /// hashed and decoded from memory); larger ones are read by range (see `data::ranges`).
    /// Default: 16 MB.
    pub parquet_whole_file_bytes: u64,
    /// The dataset's schema decided beforehand ([`read_schema`] of the whole dataset's files),
    /// for a part of a dataset read on its own (a Spark task's files): every file is mapped to it
    /// as to the first file's, so the parts' profiles merge into the whole's. Default: none, the
    /// first file's first rows pin it.
    pub schema: Option<DatasetSchema>,
    /// Only these row groups of each Parquet file are read (a Spark task's share of a large
    /// file); the file's content hash is then not computed. Default: all.
    pub parquet_row_groups: Option<Vec<usize>>,
}

/// Parquet files up to this size are fetched whole by default (see
/// [`ReadOptions::parquet_whole_file_bytes`]).
const WHOLE_PARQUET_FILE: u64 = 16 << 20;

impl Default for ReadOptions {
    fn default() -> Self {
        ReadOptions {
            pinned: Vec::new(),
            max_record_bytes: default_max_record_bytes(),
            parquet_whole_file_bytes: WHOLE_PARQUET_FILE,
            schema: None,
            parquet_row_groups: None,
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
    /// The schema's column names, aligned with `columns` (shared by every chunk of a file), so
    /// that a consumer can apply per-column settings by name.
    pub names: Arc<[String]>,
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
    let mut schema: Option<DatasetSchema> = options.schema.clone();
    let mut info = DatasetInfo::default();
    let mut hasher = ContentHasher::new();
    let unreadable = UnreadableValues::default();
    // Input index -> position in `info.files` (a file removed before it was read has none).
    let mut read_files: HashMap<usize, usize> = HashMap::new();
    let process = |chunk: &Chunk| {
        unreadable.count(chunk);
        process(chunk)
    };
    for (index, input) in inputs.iter().enumerate() {
        let format = input.format()?;
        let name = input.name();
        let Some(source) = input.open()? else {
            info.warnings.push(format!(
                "`{name}` was removed before it was read and was skipped."
            ));
            continue;
        };
        let len = source.len();
        if len == 0 {
            return Err(ReadError::Empty { file: name });
        }
        let key = file_key(&input.file_name(), len) ^ mix64(index as u64);
        let mut ctx = FileContext {
            index,
            key,
            name: name.clone(),
            schema: &mut schema,
            warnings: &mut info.warnings,
            rows: 0,
            pinned: &options.pinned,
        };
        let file_hash = read_file(format, &source, options, &mut ctx, &process, &mut merge)?;
        let rows = ctx.rows;
        hasher.add(file_hash);
        if rows == 0 && inputs.len() > 1 {
            info.warnings
                .push(format!("`{name}` has no rows and was skipped."));
        }
        read_files.insert(index, info.files.len());
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
    let warnings = unreadable.warnings(&info, &read_files);
    info.warnings.extend(warnings);
    Ok(info)
}

/// The schema [`scan_with`] would pin for `inputs`, read from the head of the first file that
/// pins one (a CSV file of a header alone, or a JSON-lines file without rows, pins none): the
/// header and first rows of a text file, the footer of a Parquet file. With
/// [`ReadOptions::schema`] set to it, any part of the dataset is read as the whole would be.
pub fn read_schema(inputs: &[Input], options: &ReadOptions) -> Result<DatasetSchema, ReadError> {
    let mut schema: Option<DatasetSchema> = options.schema.clone();
    let mut warnings = Vec::new();
    for (index, input) in inputs.iter().enumerate() {
        if schema.is_some() {
            break;
        }
        let format = input.format()?;
        let Some(source) = input.open()? else {
            continue;
        };
        let name = input.name();
        if source.is_empty() {
            return Err(ReadError::Empty { file: name });
        }
        let mut ctx = FileContext {
            index,
            key: 0,
            name: name.clone(),
            schema: &mut schema,
            warnings: &mut warnings,
            rows: 0,
            pinned: &options.pinned,
        };
        match format {
            Format::Csv => {
                let mut blocks = Blocks::open(&source, Dialect::Csv, options, &name);
                CsvDecoder.start(&mut blocks, &mut ctx)?;
            }
            Format::JsonLines => {
                let mut blocks = Blocks::open(&source, Dialect::JsonLines, options, &name);
                JsonDecoder.start(&mut blocks, &mut ctx)?;
            }
            Format::Parquet => {
                let mut ranges = Ranges::new(Arc::clone(&source)).map_err(|e| ctx.io_error(e))?;
                ParquetDecoder::<Ranges>::default().start(&mut ranges, &mut ctx)?;
            }
        }
    }
    schema.ok_or_else(|| ReadError::NoRows {
        file: inputs.first().map(Input::name).unwrap_or_default(),
    })
}

/// The row groups of a Parquet file, as (rows, compressed bytes), from its footer alone.
pub fn parquet_row_groups(input: &Input) -> Result<Vec<(u64, u64)>, ReadError> {
    let name = input.name();
    let Some(source) = input.open()? else {
        return Err(ReadError::NotFound { spec: name });
    };
    let ranges = Ranges::new(source).map_err(|source| ReadError::Io {
        file: name.clone(),
        source,
    })?;
    super::parquet::row_groups(ranges, &name)
}

/// Files whose numeric columns hold values that are not numbers: a dataset's column kinds are
/// pinned by its first rows (or by a declaration, or the baseline's kinds for a target), so a
/// later file where a numeric column arrives as text is a type change, each of whose values is
/// counted invalid (and missing). This names the files, once per column.
#[derive(Default)]
struct UnreadableValues {
    /// Invalid values by (file index, column index).
    counts: Mutex<BTreeMap<(usize, usize), u64>>,
}

/// Files named in one column's warning; the rest are counted.
const FILES_NAMED: usize = 5;

impl UnreadableValues {
    fn count(&self, chunk: &Chunk) {
        for (column, values) in chunk.columns.iter().enumerate() {
            if let ChunkColumn::Numeric { invalid, .. } = values
                && *invalid > 0
                && let Ok(mut counts) = self.counts.lock()
            {
                *counts.entry((chunk.file, column)).or_default() += invalid;
            }
        }
    }

    fn warnings(self, info: &DatasetInfo, read_files: &HashMap<usize, usize>) -> Vec<String> {
        // One file's unreadable values are the file's quality, reported with the profile's
        // counts; between files they are a type change.
        if info.files.len() < 2 {
            return Vec::new();
        }
        let counts = self.counts.into_inner().unwrap_or_default();
        let mut by_column: BTreeMap<usize, Vec<(usize, u64)>> = BTreeMap::new();
        for ((file, column), invalid) in counts {
            by_column.entry(column).or_default().push((file, invalid));
        }
        by_column
            .into_iter()
            .filter_map(|(column, files)| {
                let name = &info.schema.columns.get(column)?.name;
                let listed: Vec<String> = files
                    .iter()
                    .take(FILES_NAMED)
                    .map(|(file, invalid)| match read_files.get(file).map(|&i| &info.files[i]) {
                        Some(f) => format!("`{}` ({invalid} of {} rows)", f.name, f.rows),
                        None => format!("file {file} ({invalid} values)"),
                    })
                    .collect();
                let more = files.len().saturating_sub(FILES_NAMED);
                let more = if more > 0 {
                    format!(" and {more} more")
                } else {
                    String::new()
                };
                Some(format!(
                    "`{name}` is read as numbers, but {} of the dataset's {} files hold values in it that are not: {}{more}; they count as missing.",
                    files.len(),
                    info.files.len(),
                    listed.join(", ")
                ))
            })
            .collect()
    }
}

/// Reads one file with its format's decoder and feed, and returns the file's hash: the one
/// place that picks a decoder by format.
fn read_file<T, P, M>(
    format: Format,
    source: &Arc<dyn ByteSource>,
    options: &ReadOptions,
    ctx: &mut FileContext,
    process: &P,
    merge: &mut M,
) -> Result<FileHasher, ReadError>
where
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    match format {
        Format::Csv => {
            let mut blocks = Blocks::open(source, Dialect::Csv, options, &ctx.name);
            run(Join, CsvDecoder, &mut blocks, ctx, process, merge)?;
            blocks.finish()
        }
        Format::JsonLines => {
            let mut blocks = Blocks::open(source, Dialect::JsonLines, options, &ctx.name);
            run(Join, JsonDecoder, &mut blocks, ctx, process, merge)?;
            blocks.finish()
        }
        // A small Parquet file is fetched with one range: every byte is fetched once, hashed and
        // decoded from memory.
        Format::Parquet if source.len() <= options.parquet_whole_file_bytes => {
            let (mut bytes, hash) = fetch_whole(source, ctx)?;
            run(
                Join,
                ParquetDecoder::new(options.parquet_row_groups.clone()),
                &mut bytes,
                ctx,
                process,
                merge,
            )?;
            Ok(hash)
        }
        Format::Parquet => {
            let mut ranges = Ranges::new(Arc::clone(source)).map_err(|e| ctx.io_error(e))?;
            let decoder = ParquetDecoder::new(options.parquet_row_groups.clone());
            if options.parquet_row_groups.is_some() {
                // A share of the file: hashing all of it would read the whole file per share.
                run(Join, decoder, &mut ranges, ctx, process, merge)?;
                return Ok(FileHasher::new(source.name()));
            }
            let file = ctx.name.clone();
            hashed_beside(source, file, || {
                run(Join, decoder, &mut ranges, ctx, process, merge)
            })
        }
    }
}

/// The whole file with one range, and its hash.
fn fetch_whole(
    source: &Arc<dyn ByteSource>,
    ctx: &FileContext,
) -> Result<(bytes::Bytes, FileHasher), ReadError> {
    let len = source.len();
    let bytes = read_exact_range(source.as_ref(), 0..len).map_err(|e| ctx.io_error(e))?;
    if bytes.len() as u64 != len {
        return Err(ctx.io_error(std::io::Error::new(
            std::io::ErrorKind::UnexpectedEof,
            format!("expected {len} bytes, read {}", bytes.len()),
        )));
    }
    let mut hash = FileHasher::new(source.name());
    hash.update(&bytes);
    Ok((bytes, hash))
}

/// Runs `read` (a decoder fed by range) and returns the file's hash from a sequential pass of
/// its own on a thread beside it.
///
/// A decoder fed by range fetches only the columns it reads, in an order that is not the file's
/// (all columns of a Parquet row group advance together), so those bytes cannot be hashed in
/// order without holding a whole row group. The pass reads through [`ByteSource::reader`], with
/// the source's own read-ahead: for a local file that is a second read from the page cache; for
/// a blob it fetches the file once more beside the projected column chunks.
fn hashed_beside(
    source: &Arc<dyn ByteSource>,
    file: String,
    read: impl FnOnce() -> Result<(), ReadError>,
) -> Result<FileHasher, ReadError> {
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        let hashing = scope.spawn(|| hash_sequentially(source, &stop));
        let read = read();
        // A failed read needs no hash: stop the pass early.
        if read.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let hash = hashing
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the hashing thread failed")));
        read?;
        hash.map_err(|source| ReadError::Io { file, source })
    })
}

/// The file's hash from one sequential pass over its bytes.
fn hash_sequentially(
    source: &Arc<dyn ByteSource>,
    stop: &AtomicBool,
) -> std::io::Result<FileHasher> {
    use std::io::Read;
    let mut hasher = FileHasher::new(source.name());
    let mut reader = Arc::clone(source).reader();
    let mut buf = vec![0u8; 1 << 20];
    while !stop.load(Ordering::Relaxed) {
        let n = match reader.read(&mut buf) {
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher)
}

/// The feed of the text formats: the file read once from start to end (through gzip when its
/// name ends in `.gz`), cut into blocks of whole records (see `data::blocks`), its stored bytes
/// hashed as they stream past.
pub(crate) struct Blocks {
    stream: ByteStream,
    cutter: BlockReader,
    file: String,
    max_record: usize,
}

impl Blocks {
    fn open(
        source: &Arc<dyn ByteSource>,
        dialect: Dialect,
        options: &ReadOptions,
        file: &str,
    ) -> Blocks {
        Blocks {
            stream: ByteStream::open(source),
            cutter: BlockReader::new(dialect, options.max_record_bytes),
            file: file.to_string(),
            max_record: options.max_record_bytes,
        }
    }

    /// The next block, None at the end of the file.
    pub fn next_block(&mut self) -> Result<Option<Block>, ReadError> {
        self.cutter
            .next_block(&mut self.stream)
            .map_err(|e| e.into_read_error(&self.file, self.max_record))
    }

    /// The next blocks, as many as the read loop decodes at once ([`window_len`]); fewer only at
    /// the end of the file.
    pub fn next_window(&mut self) -> Result<Vec<Block>, ReadError> {
        let window = window_len();
        let mut out = Vec::with_capacity(window);
        while out.len() < window {
            match self.next_block()? {
                Some(b) => out.push(b),
                None => break,
            }
        }
        Ok(out)
    }

    /// Reads what is left of the stored bytes and returns the file's hash.
    fn finish(self) -> Result<FileHasher, ReadError> {
        self.stream.finish().map_err(|source| ReadError::Io {
            file: self.file,
            source,
        })
    }
}

/// A format's decoder: turns what the driver feeds it into [`Chunk`]s and does no I/O of its
/// own. [`run`] drives every decoder the same way; [`read_file`] picks the decoder and its feed
/// by format, and [`super::scan_batches`] feeds Arrow record batches.
///
/// # Why this shape
///
/// * **The feed is an associated type**, because the formats cannot share one honestly. CSV and
///   JSON lines are read once from front to back (through gzip when the name says so), and
///   their records can only be found in that order: their feed is [`Blocks`], whole records
///   cut from the byte stream. A Parquet file keeps its schema and the places of its pages in a
///   footer at the end, and only the columns read should be fetched: its feed is random access
///   by range ([`super::ranges::RandomAccess`]), the whole file in memory when it is small,
///   fetched by windows when it is not. One byte stream for all would make Parquet hold whole
///   files; random access for all would ask gzipped text to seek. Arrow streams arrive as
///   record batches.
/// * **A sequential half and a parallel half.** Where a record ends or what the next rows of a
///   Parquet column are is known only in file order, while turning text into numbers, most of
///   the work, can run anywhere. So the decoder cuts units in order, one window at a time
///   ([`Decoder::start`], [`Decoder::next_unit`], with `&mut self`), and its plan
///   ([`DecodePlan`]), shared read-only by the pool's threads, decodes them. The driver numbers
///   the units in order, so chunk numbers do not depend on threads.
/// * **A head before the units.** The first file's first rows pin the dataset's schema, and each
///   file maps its columns to it before a unit is decoded. Some formats must read units to do
///   so (the CSV header, the first JSON rows); they hand back those still to be decoded.
pub(crate) trait Decoder {
    /// What the driver feeds this decoder.
    type Feed;
    /// One piece of work for the thread pool: a block of whole records, a record batch.
    type Unit: Send;
    /// What decoding a unit needs (the file, the column mapping and kinds).
    type Plan: DecodePlan<Self::Unit>;

    /// Reads the head of the file from `feed`, pins the dataset's schema when `ctx` holds none
    /// yet, and maps the file's columns to it. None when the file holds nothing to decode (a
    /// header alone).
    fn start(&mut self, feed: &mut Self::Feed, ctx: &mut FileContext) -> Started<Self>;

    /// The next unit in file order; None at the end.
    fn next_unit(&mut self, feed: &mut Self::Feed) -> Result<Option<Self::Unit>, ReadError>;
}

/// The parallel half of a [`Decoder`]: decodes units of type `U` on the thread pool, with
/// nothing but itself, read-only.
pub(crate) trait DecodePlan<U>: Sync {
    /// Decodes unit number `index` of the file; None when it holds no rows.
    fn decode(&self, index: usize, unit: &U) -> Result<Option<Chunk>, ReadError>;

    /// The error for a unit whose decoding panicked, in the format's terms; `reason` says why
    /// and where (see [`guarded`]).
    fn failed(&self, unit: &U, reason: String) -> ReadError;
}

/// What [`Decoder::start`] returns.
pub(crate) type Started<D> = Result<Option<Head<D>>, ReadError>;

/// What [`Decoder::start`] read: the plan, and the units it took from the feed that are still to
/// be decoded, in order.
pub(crate) struct Head<D: Decoder + ?Sized> {
    pub plan: D::Plan,
    pub units: Vec<D::Unit>,
}

/// The one read loop: the decoder's head, then windows of a few units per thread, decoded and
/// processed on the pool while the next window is cut (how the two overlap is `overlap`'s
/// choice, see [`Overlap`]); results are merged in unit order, and the first error in unit order
/// wins.
pub(crate) fn run<O, D, T, P, M>(
    overlap: O,
    mut decoder: D,
    feed: &mut D::Feed,
    ctx: &mut FileContext,
    process: &P,
    merge: &mut M,
) -> Result<(), ReadError>
where
    O: Overlap<D>,
    D: Decoder,
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    let Some(Head { plan, units }) = decoder.start(feed, ctx)? else {
        return Ok(());
    };
    let mut units = Units {
        decoder,
        feed,
        head: units.into_iter(),
        next_index: 0,
    };
    let decode = |(index, unit): (usize, D::Unit)| {
        guarded(|| plan.decode(index, &unit))
            .unwrap_or_else(|reason| Err(plan.failed(&unit, reason)))
    };
    let mut pending = units.next_window()?;
    while !pending.is_empty() {
        let tasks = std::mem::take(&mut pending);
        let (results, next) = overlap.both(|| process_window(tasks, &decode, process), &mut units);
        ctx.rows += merge_window(results, merge)?;
        pending = next?;
    }
    Ok(())
}

/// The sequential half of [`run`]: the decoder and its feed, cutting numbered units.
pub(crate) struct Units<'a, D: Decoder> {
    decoder: D,
    feed: &'a mut D::Feed,
    /// Units the decoder's head took from the feed, handed out first.
    head: std::vec::IntoIter<D::Unit>,
    next_index: usize,
}

/// A window of numbered units.
type Window<U> = Result<Vec<(usize, U)>, ReadError>;

impl<D: Decoder> Units<'_, D> {
    /// The next units, as many as are decoded at once ([`window_len`]); fewer only at the end.
    fn next_window(&mut self) -> Window<D::Unit> {
        let window = window_len();
        let mut out = Vec::with_capacity(window);
        while out.len() < window {
            let unit = match self.head.next() {
                Some(unit) => unit,
                None => match self.decoder.next_unit(self.feed)? {
                    Some(unit) => unit,
                    None => break,
                },
            };
            out.push((self.next_index, unit));
            self.next_index += 1;
        }
        Ok(out)
    }
}

/// How [`run`] decodes a window on the pool while it cuts the next one.
pub(crate) trait Overlap<D: Decoder> {
    /// Runs `process` (the window being decoded) and cuts the next window from `units`.
    fn both<R: Send + Default>(
        &self,
        process: impl FnOnce() -> R + Send,
        units: &mut Units<D>,
    ) -> (R, Window<D::Unit>);
}

/// `rayon::join`, for feeds that may move between threads (files): the calling pool thread
/// decodes and an idle one cuts the next window; on a busy pool one thread does both in turn, so
/// only one window of units is held.
pub(crate) struct Join;

impl<D> Overlap<D> for Join
where
    D: Decoder + Send,
    D::Feed: Send,
{
    fn both<R: Send + Default>(
        &self,
        process: impl FnOnce() -> R + Send,
        units: &mut Units<D>,
    ) -> (R, Window<D::Unit>) {
        rayon::join(process, || units.next_window())
    }
}

/// The next window is cut on the calling thread while the pool decodes, for a feed that must
/// stay on its thread (an Arrow C stream from Python).
pub(crate) struct InPlace;

impl<D: Decoder> Overlap<D> for InPlace {
    fn both<R: Send + Default>(
        &self,
        process: impl FnOnce() -> R + Send,
        units: &mut Units<D>,
    ) -> (R, Window<D::Unit>) {
        let mut processed = R::default();
        let mut next = Ok(Vec::new());
        rayon::in_place_scope(|scope| {
            let out = &mut processed;
            scope.spawn(move |_| *out = process());
            next = units.next_window();
        });
        (processed, next)
    }
}

/// State of the file being read, shared with its decoder.
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

    /// Where the file's chunks come from, for its decoder's plan.
    pub fn origin(&self) -> Origin {
        Origin {
            name: self.name.clone(),
            index: self.index,
            key: self.key,
            columns: self
                .schema
                .as_ref()
                .map(|s| s.columns.iter().map(|c| c.name.clone()).collect())
                .unwrap_or_else(|| Arc::from(Vec::new())),
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

/// The file a decoder's chunks come from: its name for messages, its index and key for
/// [`Chunk::file`] and [`Chunk::file_key`].
#[derive(Debug, Clone)]
pub(crate) struct Origin {
    pub name: String,
    pub index: usize,
    pub key: u64,
    /// The pinned schema's column names, for [`Chunk::names`].
    pub columns: Arc<[String]>,
}

impl Origin {
    /// Chunk number `index` of this file.
    pub fn chunk(&self, index: usize, rows: usize, columns: Vec<ChunkColumn>) -> Chunk {
        Chunk {
            file: self.index,
            file_key: self.key,
            index,
            rows,
            columns,
            names: self.columns.clone(),
        }
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

/// Decodes a window of units in parallel and runs `process` on each chunk.
fn process_window<W, T, D, P>(
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

/// Hands the results of a window to `merge` in order. The first error in unit order wins, so
/// the message does not depend on thread timing.
fn merge_window<T, M: FnMut(T)>(
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

/// Units decoded at once: a few per thread, so that both cores stay busy across the uneven
/// chunk times while memory stays bounded.
fn window_len() -> usize {
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

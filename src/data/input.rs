//! Where a dataset's bytes come from: [`Input`]s (a file, bytes in memory, or any [`ByteSource`]
//! such as a blob), the one rule for data-file names ([`Format::from_name`],
//! [`is_data_file_name`]) and [`resolve`] for files, folders and globs.
//!
//! Every input is read through the same [`ByteSource`] interface: sequentially (CSV, JSON lines,
//! gzip) or by range (Parquet). A file on disk is a source read with `pread`, so a file and a
//! blob take the same code path and differ only in where the bytes come from.

use std::io::Read;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use bytes::Bytes;

use crate::base::hash::FileHasher;

use super::ReadError;

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
    /// A file opened only when the readers come to it (a file of a store).
    Deferred(Arc<dyn OpenOnRead>),
}

/// A file of a dataset opened when it is read, not when the dataset is listed: the readers read
/// one file at a time, so a snapshot of 100,000 files holds one of them open (two while a large
/// Parquet file is hashed beside its decoder), never all of them.
pub trait OpenOnRead: Send + Sync + std::fmt::Debug + 'static {
    /// Path or key: used in messages and, by its extension, for the format.
    fn name(&self) -> &str;
    /// Opens the file; `None` when it vanished since it was listed (it is then passed over).
    /// Blocking; called by the reader's thread, never from an async task.
    fn open(&self) -> std::io::Result<Option<Arc<dyn ByteSource>>>;
}

/// Random access to the bytes of one file wherever it is stored (disk, memory, Blob Storage), so
/// the readers never know where bytes come from and never need a whole file in memory.
///
/// CSV and JSON lines (gzipped or not) are read once from start to end through
/// [`ByteSource::reader`]; Parquet is read through [`ByteSource::read_range`]: the footer, then
/// the pages of the columns read, a window of a few hundred KB to a few MB at a time (see
/// `data::ranges`).
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
    fn read_range(&self, range: Range<u64>) -> std::io::Result<Bytes>;
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
            Input::Deferred(file) => file.name().to_string(),
        }
    }

    /// Last path segment of the name: what the content hash covers, so that the same file read
    /// from another folder or through another relative path hashes the same.
    pub fn file_name(&self) -> String {
        crate::base::hash::last_segment(&self.name()).to_string()
    }

    /// The file format, from the name's extension.
    pub fn format(&self) -> Result<Format, ReadError> {
        Format::from_name(&self.name())
            .ok_or_else(|| ReadError::UnknownFormat { file: self.name() })
    }

    /// The input as a [`ByteSource`]: files are opened (and read with `pread`), memory is sliced.
    /// `None` for a deferred file that vanished since it was listed.
    pub(crate) fn open(&self) -> Result<Option<Arc<dyn ByteSource>>, ReadError> {
        let failed = |source: std::io::Error| {
            let name = self.name();
            if source.kind() == std::io::ErrorKind::NotFound {
                ReadError::NotFound { spec: name }
            } else {
                ReadError::Io { file: name, source }
            }
        };
        match self {
            Input::File(path) => {
                let file = FileBytes::open(path, self.name()).map_err(failed)?;
                Ok(Some(Arc::new(file)))
            }
            Input::Memory { name, bytes } => Ok(Some(Arc::new(MemoryBytes {
                name: name.clone(),
                bytes: bytes.clone(),
            }))),
            Input::Source(source) => Ok(Some(Arc::clone(source))),
            Input::Deferred(file) => file.open().map_err(|source| ReadError::Io {
                file: self.name(),
                source,
            }),
        }
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
    /// The format of a file name, by extension (case-insensitive): the one rule for data-file
    /// names. `.gz` after a CSV or JSON-lines extension is read through gzip; a gzipped Parquet
    /// file is not a data file (Parquet compresses inside).
    pub fn from_name(name: &str) -> Option<Format> {
        let lower = crate::base::hash::last_segment(name).to_ascii_lowercase();
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

/// Whether a file name is read as data: one of the formats' extensions, gzipped ones included.
/// This is the one rule for data-file names; everything that lists files asks it.
pub fn is_data_file_name(name: &str) -> bool {
    Format::from_name(name).is_some()
}

/// True for names ending in `.gz` (read through a gzip decoder).
pub(crate) fn is_gzip(name: &str) -> bool {
    name.to_ascii_lowercase().ends_with(".gz")
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

/// A file on disk as a [`ByteSource`]: ranges with `pread`, sequential reads straight from the
/// file. The name it goes by (in messages, and by its extension for the format) may differ from
/// the path, for a file of a folder store named by its key.
#[derive(Debug)]
pub struct FileBytes {
    name: String,
    file: std::fs::File,
    len: u64,
}

impl FileBytes {
    /// Opens a regular file; devices, FIFOs and the like are refused (their size says nothing
    /// about how much they yield: `/dev/zero` never ends).
    pub fn open(path: &Path, name: String) -> std::io::Result<Self> {
        Self::from_file(std::fs::File::open(path)?, name)
    }

    /// A file already opened (by a folder store, which opens its files without following
    /// symbolic links); refused unless it is a regular file.
    pub fn from_file(file: std::fs::File, name: String) -> std::io::Result<Self> {
        let meta = file.metadata()?;
        if !meta.is_file() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                "not a regular file",
            ));
        }
        Ok(FileBytes {
            name,
            file,
            len: meta.len(),
        })
    }
}

impl ByteSource for FileBytes {
    fn name(&self) -> &str {
        &self.name
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn read_range(&self, range: Range<u64>) -> std::io::Result<Bytes> {
        use std::os::unix::fs::FileExt;
        let end = range.end.min(self.len);
        let want = usize::try_from(end.saturating_sub(range.start)).unwrap_or(0);
        let mut buf = vec![0u8; want];
        let mut filled = 0;
        while filled < want {
            match self
                .file
                .read_at(&mut buf[filled..], range.start + filled as u64)
            {
                Ok(0) => break,
                Ok(n) => filled += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(e),
            }
        }
        buf.truncate(filled);
        Ok(Bytes::from(buf))
    }

    fn reader(self: Arc<Self>) -> Box<dyn Read + Send> {
        // A clone shares the file offset; ranges are read with `pread`, which does not move it.
        // Bytes appended while reading are not part of the file as listed.
        match self.file.try_clone() {
            Ok(file) => Box::new(file.take(self.len)),
            Err(e) => Box::new(FailedReader(Some(e))),
        }
    }
}

/// Bytes in memory as a [`ByteSource`]: ranges are slices, nothing is copied.
#[derive(Debug)]
struct MemoryBytes {
    name: String,
    bytes: Bytes,
}

impl ByteSource for MemoryBytes {
    fn name(&self) -> &str {
        &self.name
    }

    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_range(&self, range: Range<u64>) -> std::io::Result<Bytes> {
        let len = self.bytes.len();
        let start = usize::try_from(range.start).unwrap_or(len).min(len);
        let end = usize::try_from(range.end).unwrap_or(len).min(len);
        Ok(self.bytes.slice(start..end.max(start)))
    }

    fn reader(self: Arc<Self>) -> Box<dyn Read + Send> {
        Box::new(std::io::Cursor::new(self.bytes.clone()))
    }
}

/// A reader whose first read fails with the error that kept it from opening.
struct FailedReader(Option<std::io::Error>);

impl Read for FailedReader {
    fn read(&mut self, _: &mut [u8]) -> std::io::Result<usize> {
        Err(self
            .0
            .take()
            .unwrap_or_else(|| std::io::Error::other("read after failure")))
    }
}

/// A reader that feeds every byte it passes on to the file's content hash.
struct Hashing {
    inner: Box<dyn Read + Send>,
    hasher: FileHasher,
}

impl Read for Hashing {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(out)?;
        self.hasher.update(&out[..n]);
        Ok(n)
    }
}

/// One file read once from start to end, decompressed when its name ends in `.gz`, with its
/// stored bytes (compressed ones for `.gz`) hashed as they stream past.
pub(crate) struct ByteStream {
    reader: StreamReader,
}

enum StreamReader {
    Plain(Hashing),
    /// Every member of a multi-member gzip stream.
    Gzip(Box<flate2::read::MultiGzDecoder<Hashing>>),
}

impl ByteStream {
    /// Starts reading `source` from its first byte.
    pub fn open(source: &Arc<dyn ByteSource>) -> ByteStream {
        let name = source.name().to_string();
        let hashing = Hashing {
            inner: Arc::clone(source).reader(),
            hasher: FileHasher::new(&name),
        };
        ByteStream {
            reader: if is_gzip(&name) {
                StreamReader::Gzip(Box::new(flate2::read::MultiGzDecoder::new(hashing)))
            } else {
                StreamReader::Plain(hashing)
            },
        }
    }

    /// Appends up to `want` bytes to `buf`; returns how many were added (0 at the end).
    pub fn read_into(&mut self, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
        match &mut self.reader {
            StreamReader::Plain(r) => read_full(r, buf, want),
            StreamReader::Gzip(g) => read_full(g.as_mut(), buf, want),
        }
    }

    /// Reads whatever is left of the stored bytes (trailing bytes after the last gzip member, or
    /// the rest of a file whose reading stopped early) and returns the file's hash.
    pub fn finish(self) -> std::io::Result<FileHasher> {
        let mut hashing = match self.reader {
            StreamReader::Plain(h) => h,
            StreamReader::Gzip(g) => g.into_inner(),
        };
        std::io::copy(&mut hashing, &mut std::io::sink())?;
        Ok(hashing.hasher)
    }
}

/// Appends up to `want` bytes from `r` to `buf`, fewer only at the end of the input. The buffer
/// grows as bytes arrive (`read_to_end` never zeroes the room it reads into), so a file of a few
/// bytes costs a few bytes, not the block size asked for: zeroing 4 MB per tiny file was most of
/// the time of a folder of many small files. On an error `buf` is as it was.
fn read_full(r: &mut impl Read, buf: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
    let start = buf.len();
    r.take(want as u64).read_to_end(buf).inspect_err(|_| {
        buf.truncate(start);
    })
}

/// Reads `range` whole from `source` (a source may return fewer bytes than asked before its end).
pub(crate) fn read_exact_range(
    source: &dyn ByteSource,
    range: Range<u64>,
) -> std::io::Result<Bytes> {
    let first = source.read_range(range.clone())?;
    let want = range.end.saturating_sub(range.start);
    if first.len() as u64 >= want || first.is_empty() {
        return Ok(first.slice(..first.len().min(want as usize)));
    }
    let mut buf = Vec::with_capacity(want as usize);
    buf.extend_from_slice(&first);
    while (buf.len() as u64) < want {
        let next = source.read_range(range.start + buf.len() as u64..range.end)?;
        if next.is_empty() {
            break;
        }
        buf.extend_from_slice(&next);
    }
    Ok(Bytes::from(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_by_extension() {
        assert_eq!(Format::from_name("a/B.CSV"), Some(Format::Csv));
        assert_eq!(Format::from_name("x.pq"), Some(Format::Parquet));
        assert_eq!(Format::from_name("x.ndjson"), Some(Format::JsonLines));
        assert_eq!(Format::from_name("day.csv.gz"), Some(Format::Csv));
        assert_eq!(Format::from_name("day.JSONL.GZ"), Some(Format::JsonLines));
        assert_eq!(Format::from_name("x.parquet.gz"), None);
        assert_eq!(Format::from_name("x.txt"), None);
        assert_eq!(Format::from_name("noext"), None);
        assert_eq!(Format::from_name("folder.csv/noext"), None);
        assert!(is_data_file_name("data.csv.gz"));
        assert!(!is_data_file_name("data.gz"));
    }

    #[test]
    fn stream_hashes_the_stored_bytes_of_a_gzipped_file() {
        use std::io::Write;
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        e.write_all(b"a,b\n1,2\n").unwrap();
        let gz = Bytes::from(e.finish().unwrap());
        let source: Arc<dyn ByteSource> = Arc::new(MemoryBytes {
            name: "x/d.csv.gz".into(),
            bytes: gz.clone(),
        });
        let mut stream = ByteStream::open(&source);
        let mut buf = Vec::new();
        while stream.read_into(&mut buf, 3).unwrap() > 0 {}
        assert_eq!(buf, b"a,b\n1,2\n");
        let (digest, size, name) = stream.finish().unwrap().finish();
        assert_eq!(
            (digest, size, name.as_str()),
            (crate::base::hash::sha256(&gz), gz.len() as u64, "d.csv.gz")
        );
    }
}

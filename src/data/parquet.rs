//! Parquet through `parquet::arrow`: integer, float and decimal columns (dictionary-encoded ones
//! too) become `Float64`; string, dictionary-of-string and boolean columns become text; other
//! types (dates, timestamps, binary, nested) are excluded with the reason.
//!
//! # Reading by range
//!
//! A file is read through [`ByteSource::read_range`], never whole unless it is small:
//!
//! * a file of at most [`WHOLE_FILE`] bytes is fetched with one range, hashed, and decoded from
//!   memory: every byte is fetched once;
//! * a larger file is decoded through [`Ranges`], a `ChunkReader` that fetches the footer once
//!   and then, for each column read, a window of the column chunk at a time (the columns of a row
//!   group are read side by side, page by page). Windows are sized so that those of one row group
//!   stay within [`WINDOW_BUDGET`]; a window read to its end is dropped at once (a page larger
//!   than a window is fetched exactly and lives only while it is decoded), and all of them when
//!   the next row group starts. Small adjacent column chunks share one window, so a
//!   file of thousands of narrow columns is not fetched in thousands of pieces. Memory is bounded
//!   by the windows and the record batches in flight, not by the size of a row group.
//!
//! # Content hash
//!
//! The content hash is a SHA-256 of the file's bytes in order. The decoder fetches only the
//! columns it reads, in an order that is not the file's (all columns of a row group advance
//! together), so the bytes it fetches cannot be hashed in order without holding a whole row
//! group. A large file is therefore hashed by a sequential pass of its own
//! ([`ByteSource::reader`], with the source's own read-ahead), on a thread beside the decoder:
//! for a local file that is a second read from the page cache; for a blob it fetches the file
//! once more beside the projected column chunks. Files up to [`WHOLE_FILE`] avoid that cost.
//!
//! # Corrupt files
//!
//! Every call into the Parquet decoder runs under `read::guarded`: a decoder error or a panic
//! (found by fuzzing: negative offsets in the footer, bad bit widths) becomes
//! [`ReadError::Parquet`], never a crash. Column chunk ranges from the footer are checked
//! against the file's size before anything is fetched or allocated.

use std::collections::HashMap;
use std::io::Read;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::RecordBatch;
use bytes::Bytes;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::errors::ParquetError;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{ChunkReader, Length};

use crate::base::hash::FileHasher;

use super::ReadError;
use super::input::{ByteSource, read_exact_range};
use super::read::{
    Chunk, ChunkColumn, FileContext, arrange, file_hash, guarded, merge_window, process_window,
    window_len,
};
use super::schema::{kind_of_arrow, schema_from_arrow};

/// Rows per record batch: large enough to amortise per-batch work, small enough for memory.
const BATCH_ROWS: usize = 16 * 1024;

/// Files up to this size are fetched whole with one range, by default (see the module docs and
/// `ReadOptions::parquet_whole_file_bytes`).
pub(crate) const WHOLE_FILE: u64 = 16 << 20;

/// Bytes of column-chunk windows one file being read may hold at once.
const WINDOW_BUDGET: u64 = 8 << 20;

/// Bounds of one window: at least a typical page with its header, at most a few pages.
const MIN_WINDOW: u64 = 256 << 10;
const MAX_WINDOW: u64 = 4 << 20;

/// Bytes fetched at the end of the file for the footer (most footers fit in one such range).
const TAIL: u64 = 64 << 10;

pub(super) fn scan_file<T, P, M>(
    source: &Arc<dyn ByteSource>,
    ctx: &mut FileContext,
    process: &P,
    merge: &mut M,
) -> Result<FileHasher, ReadError>
where
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    let len = source.len();
    if len <= ctx.parquet_whole_file {
        let bytes = read_exact_range(source.as_ref(), 0..len).map_err(|e| ctx.io_error(e))?;
        if bytes.len() as u64 != len {
            return Err(ctx.io_error(std::io::Error::new(
                std::io::ErrorKind::UnexpectedEof,
                format!("expected {len} bytes, read {}", bytes.len()),
            )));
        }
        let hash = file_hash(source.name(), &bytes);
        read_parquet(bytes, ctx, process, merge, |_| {})?;
        return Ok(hash);
    }
    let ranges = Ranges::new(Arc::clone(source)).map_err(|e| ctx.io_error(e))?;
    let stop = AtomicBool::new(false);
    let name = ctx.name.clone();
    std::thread::scope(|scope| {
        let hashing = scope.spawn(|| hash_sequentially(source, &stop));
        let read = read_parquet(ranges.clone(), ctx, process, merge, |chunks| {
            ranges.set_chunks(chunks)
        });
        // A failed read needs no hash: stop the pass early.
        if read.is_err() {
            stop.store(true, Ordering::Relaxed);
        }
        let hash = hashing
            .join()
            .unwrap_or_else(|_| Err(std::io::Error::other("the hashing thread failed")));
        read?;
        hash.map_err(|source| ReadError::Io { file: name, source })
    })
}

/// The file's hash from one sequential pass over its bytes.
fn hash_sequentially(
    source: &Arc<dyn ByteSource>,
    stop: &AtomicBool,
) -> std::io::Result<FileHasher> {
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

/// A projected column chunk: its byte range and row group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnChunk {
    start: u64,
    end: u64,
    row_group: usize,
}

/// The byte ranges of the column chunks of `leaves` in every row group, sorted by start; ranges
/// that do not fit the file (a corrupt footer) are left out.
fn column_chunks(metadata: &ParquetMetaData, leaves: &[usize], file_len: u64) -> Vec<ColumnChunk> {
    let mut out = Vec::new();
    for (row_group, rg) in metadata.row_groups().iter().enumerate() {
        for &leaf in leaves {
            let Some(c) = rg.columns().get(leaf) else {
                continue;
            };
            let start = c.dictionary_page_offset().unwrap_or(c.data_page_offset());
            let (Ok(start), Ok(size)) = (u64::try_from(start), u64::try_from(c.compressed_size()))
            else {
                continue;
            };
            let Some(end) = start.checked_add(size) else {
                continue;
            };
            if size > 0 && end <= file_len {
                out.push(ColumnChunk {
                    start,
                    end,
                    row_group,
                });
            }
        }
    }
    out.sort_by_key(|c| c.start);
    // Overlapping ranges (only in a corrupt file) would confuse the lookup: keep the first.
    out.dedup_by(|b, a| b.start < a.end);
    out
}

fn read_parquet<R, T, P, M>(
    reader: R,
    ctx: &mut FileContext,
    process: &P,
    merge: &mut M,
    on_projection: impl FnOnce(Vec<ColumnChunk>),
) -> Result<(), ReadError>
where
    R: ChunkReader + 'static,
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    let file = ctx.name.clone();
    let err = |e: &dyn std::fmt::Display| ReadError::Parquet {
        file: file.clone(),
        reason: e.to_string(),
    };
    let file_len = reader.len();
    let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new(reader))
        .map_err(|reason| err(&reason))?
        .map_err(|e| err(&e))?;
    let arrow_schema = builder.schema().clone();
    let names: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let names = super::schema::clean_names(&ctx.name, names)?;
    if ctx.schema.is_none() {
        let types: Vec<_> = arrow_schema
            .fields()
            .iter()
            .map(|f| f.data_type())
            .collect();
        ctx.set_schema(schema_from_arrow(&names, &types, "Parquet"));
    }
    let Some(schema) = ctx.schema.clone() else {
        return Ok(());
    };
    let mapping = ctx.map_columns(&names);
    // Read only the mapped columns, and only those whose type can be converted.
    let mut roots: Vec<usize> = mapping
        .iter()
        .flatten()
        .copied()
        .filter(|&i| kind_of_arrow(arrow_schema.field(i).data_type()).is_some())
        .collect();
    roots.sort_unstable();
    roots.dedup();
    // Where each file column lands in the record batches: projected roots keep file order.
    let mut batch_position: Vec<Option<usize>> = vec![None; names.len()];
    for (p, &i) in roots.iter().enumerate() {
        batch_position[i] = Some(p);
    }
    let parquet_schema = builder.parquet_schema();
    let leaves: Vec<usize> = guarded(|| {
        (0..parquet_schema.num_columns())
            .filter(|&leaf| {
                roots
                    .binary_search(&parquet_schema.get_column_root_idx(leaf))
                    .is_ok()
            })
            .collect()
    })
    .map_err(|reason| err(&reason))?;
    on_projection(column_chunks(builder.metadata(), &leaves, file_len));
    let mask = ProjectionMask::roots(parquet_schema, roots.iter().copied());
    let mut batches = guarded(|| {
        builder
            .with_projection(mask)
            .with_batch_size(BATCH_ROWS)
            .build()
    })
    .map_err(|reason| err(&reason))?
    .map_err(|e| err(&e))?;
    let schema = Arc::new(schema);
    let (file_index, file_key) = (ctx.index, ctx.key);
    let decode = |(index, batch): (usize, RecordBatch)| -> Result<Option<Chunk>, ReadError> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(None);
        }
        let columns = guarded(|| {
            arrange(&schema, &mapping, rows, |i, kind| {
                match batch_position[i].filter(|&p| p < batch.num_columns()) {
                    Some(p) => super::schema::coerce(batch.column(p), kind),
                    None => Ok(ChunkColumn::nulls(kind, rows)),
                }
            })
        })
        .map_err(|reason| err(&reason))?
        .map_err(|reason| err(&reason))?;
        Ok(Some(Chunk {
            file: file_index,
            file_key,
            index,
            rows,
            columns,
        }))
    };
    let window = window_len();
    let mut read_window = |index: &mut usize| -> Result<Vec<(usize, RecordBatch)>, ReadError> {
        let mut out = Vec::with_capacity(window);
        while out.len() < window {
            match guarded(|| batches.next()).map_err(|reason| err(&reason))? {
                Some(b) => {
                    out.push((*index, b.map_err(|e| err(&e))?));
                    *index += 1;
                }
                None => break,
            }
        }
        Ok(out)
    };
    let mut index = 0usize;
    let mut pending = read_window(&mut index)?;
    let mut rows = 0u64;
    // Decode the next window on one thread while the pool profiles this one.
    while !pending.is_empty() {
        let (results, next) = rayon::join(
            || process_window(std::mem::take(&mut pending), &decode, process),
            || read_window(&mut index),
        );
        rows += merge_window(results, merge)?;
        pending = next?;
    }
    ctx.rows += rows;
    Ok(())
}

/// A `ChunkReader` over a [`ByteSource`] that fetches by window (see the module docs).
#[derive(Clone)]
pub(crate) struct Ranges(Arc<RangesInner>);

struct RangesInner {
    source: Arc<dyn ByteSource>,
    len: u64,
    /// The last bytes of the file, where the footer is.
    tail_start: u64,
    tail: Bytes,
    windows: Mutex<Windows>,
}

#[derive(Default)]
struct Windows {
    chunks: Vec<ColumnChunk>,
    /// Bytes fetched at a time for one column.
    size: u64,
    /// The row group being read; windows of earlier ones are dropped.
    row_group: usize,
    /// Per column chunk (index into `chunks`): the window it reads from, as (start, bytes).
    current: HashMap<usize, (u64, Bytes)>,
}

impl Ranges {
    pub fn new(source: Arc<dyn ByteSource>) -> std::io::Result<Self> {
        let len = source.len();
        let tail_start = len.saturating_sub(TAIL);
        let tail = read_exact_range(source.as_ref(), tail_start..len)?;
        Ok(Ranges(Arc::new(RangesInner {
            source,
            len,
            tail_start: len - tail.len() as u64,
            tail,
            windows: Mutex::new(Windows {
                size: MAX_WINDOW,
                ..Windows::default()
            }),
        })))
    }

    /// The column chunks the decoder will read, known once the footer is: from then on, reads
    /// inside them go through windows.
    pub fn set_chunks(&self, chunks: Vec<ColumnChunk>) {
        if let Ok(mut w) = self.0.windows.lock() {
            let per_group = chunks
                .iter()
                .fold(HashMap::<usize, usize>::new(), |mut m, c| {
                    *m.entry(c.row_group).or_default() += 1;
                    m
                })
                .into_values()
                .max()
                .unwrap_or(1) as u64;
            w.size = (WINDOW_BUDGET / per_group.max(1)).clamp(MIN_WINDOW, MAX_WINDOW);
            w.chunks = chunks;
            w.current.clear();
        }
    }

    /// Bytes from `start`: at least `min_len` of them (fewer only at the end of the file), and
    /// possibly more, up to the end of the window they come from.
    fn fetch(&self, start: u64, min_len: u64) -> parquet::errors::Result<Bytes> {
        let inner = &self.0;
        let end = start
            .checked_add(min_len)
            .filter(|&e| e <= inner.len)
            .ok_or_else(|| {
                ParquetError::EOF(format!(
                    "{min_len} bytes at offset {start} are past the end of the file ({} bytes)",
                    inner.len
                ))
            })?;
        if start >= inner.tail_start {
            return Ok(inner.tail.slice((start - inner.tail_start) as usize..));
        }
        let io = |e: std::io::Error| ParquetError::External(Box::new(e));
        let mut w = inner
            .windows
            .lock()
            .map_err(|_| ParquetError::General("window lock poisoned".into()))?;
        let at = w.chunks.partition_point(|c| c.start <= start);
        let chunk = at.checked_sub(1).filter(|&c| start < w.chunks[c].end);
        let Some(c) = chunk else {
            // Outside the projected column chunks (page indexes, a footer larger than the tail):
            // read what is asked, with a little room for a page header read through `get_read`.
            let to = end.max(start + 16 * 1024).min(inner.len);
            drop(w);
            return read_exact_range(inner.source.as_ref(), start..to).map_err(io);
        };
        let row_group = w.chunks[c].row_group;
        if row_group != w.row_group {
            w.current.clear();
            w.row_group = row_group;
        }
        let mut prefix = None;
        if let Some((ws, bytes)) = w.current.get(&c) {
            let (ws, we) = (*ws, ws + bytes.len() as u64);
            if start >= ws && end <= we {
                let served = bytes.slice((start - ws) as usize..);
                // A window read to its end has nothing more for this column: let it go.
                if end == we {
                    w.current.remove(&c);
                }
                return Ok(served);
            }
            if start >= ws && start < we {
                prefix = Some((we, bytes.slice((start - ws) as usize..)));
            }
        }
        // Fetch from where the current window ends (or from `start`), a window's worth, over
        // this column chunk and the adjacent ones of the same row group.
        let from = prefix.as_ref().map_or(start, |(we, _)| *we);
        let limit = from.saturating_add(w.size);
        let mut last = c;
        let mut span_end = w.chunks[c].end;
        // Only chunks not read yet: one already read has a window of its own further on.
        while span_end < limit
            && last + 1 < w.chunks.len()
            && w.chunks[last + 1].start == span_end
            && w.chunks[last + 1].row_group == row_group
            && !w.current.contains_key(&(last + 1))
        {
            last += 1;
            span_end = w.chunks[last].end;
        }
        let to = limit.min(span_end).max(end).min(inner.len);
        let fetched = read_exact_range(inner.source.as_ref(), from..to).map_err(io)?;
        if (fetched.len() as u64) < to - from {
            return Err(ParquetError::EOF(format!(
                "expected {} bytes at offset {from}, read {}",
                to - from,
                fetched.len()
            )));
        }
        // Keep the window for the bytes after the request; one read to its end is not kept (a
        // page larger than a window is fetched exactly and lives only while it is decoded).
        w.current.remove(&c);
        if to > end {
            for k in c..=last {
                if w.chunks[k].start < to {
                    w.current.insert(k, (from, fetched.clone()));
                }
            }
        }
        Ok(match prefix {
            None => fetched.slice((start - from) as usize..),
            Some((_, head)) => {
                // Only what was asked for: the rest stays in the new window, not in a copy.
                let tail = &fetched[..(end - from) as usize];
                let mut joined = Vec::with_capacity(head.len() + tail.len());
                joined.extend_from_slice(&head);
                joined.extend_from_slice(tail);
                Bytes::from(joined)
            }
        })
    }
}

impl Length for Ranges {
    fn len(&self) -> u64 {
        self.0.len
    }
}

impl ChunkReader for Ranges {
    type T = RangesRead;

    fn get_read(&self, start: u64) -> parquet::errors::Result<RangesRead> {
        Ok(RangesRead {
            ranges: self.clone(),
            pos: start,
            current: Bytes::new(),
        })
    }

    fn get_bytes(&self, start: u64, length: usize) -> parquet::errors::Result<Bytes> {
        let bytes = self.fetch(start, length as u64)?;
        Ok(bytes.slice(..length.min(bytes.len())))
    }
}

/// A sequential reader from an offset, served from the windows (page headers are read so).
pub(crate) struct RangesRead {
    ranges: Ranges,
    pos: u64,
    current: Bytes,
}

impl Read for RangesRead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        if self.current.is_empty() {
            if self.pos >= self.ranges.0.len || out.is_empty() {
                return Ok(0);
            }
            self.current = self
                .ranges
                .fetch(self.pos, 1)
                .map_err(std::io::Error::other)?;
            if self.current.is_empty() {
                return Ok(0);
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        self.pos += n as u64;
        Ok(n)
    }
}

/// Parquet bytes of a small in-memory table, for tests and fixtures.
#[cfg(test)]
pub(crate) fn write_parquet(batch: &arrow::array::RecordBatch) -> bytes::Bytes {
    let mut buf = Vec::new();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
    bytes::Bytes::from(buf)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{ChunkColumn, ColumnKind, Input, scan};
    use arrow::array::{
        Array, ArrayRef, BooleanArray, Date32Array, Int64Array, RecordBatch, StringArray,
    };
    use bytes::Bytes;

    #[test]
    fn types_are_mapped_and_unsupported_excluded() {
        let batch = RecordBatch::try_from_iter(vec![
            (
                "n",
                Arc::new(Int64Array::from(vec![Some(1), None, Some(3)])) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from(vec!["a", "b", "a"])) as ArrayRef,
            ),
            (
                "b",
                Arc::new(BooleanArray::from(vec![true, false, true])) as ArrayRef,
            ),
            ("d", Arc::new(Date32Array::from(vec![1, 2, 3])) as ArrayRef),
        ])
        .unwrap();
        let input = Input::Memory {
            name: "t.parquet".into(),
            bytes: write_parquet(&batch),
        };
        let mut chunks = Vec::new();
        let info = scan(&[input], |c| c.clone(), |c| chunks.push(c)).unwrap();
        let kinds: Vec<_> = info
            .schema
            .columns
            .iter()
            .map(|c| (c.name.as_str(), c.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("n", ColumnKind::Numeric),
                ("s", ColumnKind::Text),
                ("b", ColumnKind::Text)
            ]
        );
        assert_eq!(info.schema.excluded.len(), 1);
        assert_eq!(info.schema.excluded[0].0, "d");
        match &chunks[0].columns[0] {
            ChunkColumn::Numeric { values, .. } => {
                assert_eq!(values.null_count(), 1);
                assert_eq!(values.value(2), 3.0);
            }
            _ => panic!(),
        }
        match &chunks[0].columns[2] {
            ChunkColumn::Text(t) => assert_eq!(t.value(0), "true"),
            _ => panic!(),
        }
    }

    #[test]
    fn garbage_is_a_clear_error() {
        let input = Input::Memory {
            name: "bad.parquet".into(),
            bytes: Bytes::from_static(b"this is not parquet at all"),
        };
        let e = scan(&[input], |c| c.rows, |_| {}).unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`bad.parquet`: cannot read Parquet:"),
            "{e}"
        );
    }
}

//! Random access by range for the Parquet decoder: parquet's `ChunkReader` over a
//! [`ByteSource`], which the scan driver supplies (see `read::Decoder` for why Parquet is fed by
//! range while the text formats are fed a stream).
//!
//! * A file of at most `ReadOptions::parquet_whole_file_bytes` is fetched with one range by the
//!   driver and fed as [`Bytes`]: every byte is fetched once.
//! * A larger file is fed as [`Ranges`], which fetches the footer once and then, for each column
//!   read, a window of the column chunk at a time (the columns of a row group are read side by
//!   side, page by page). Windows are sized so that those of one row group stay within
//!   [`WINDOW_BUDGET`]; a window read to its end is dropped at once (a page larger than a window
//!   is fetched exactly and lives only while it is decoded), and all of them when the next row
//!   group starts. Small adjacent column chunks share one window, so a file of thousands of
//!   narrow columns is not fetched in thousands of pieces. Memory is bounded by the windows and
//!   the record batches in flight, not by the size of a row group.
//!
//! Column chunk ranges from the footer are checked against the file's size before anything is
//! fetched or allocated (see `parquet::column_chunks`).

use std::collections::HashMap;
use std::io::Read;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use parquet::errors::ParquetError;
use parquet::file::reader::{ChunkReader, Length};

use super::input::{ByteSource, read_exact_range};

/// Bytes of column-chunk windows one file being read may hold at once.
const WINDOW_BUDGET: u64 = 8 << 20;

/// Bounds of one window: at least a typical page with its header, at most a few pages.
const MIN_WINDOW: u64 = 256 << 10;
const MAX_WINDOW: u64 = 4 << 20;

/// Bytes fetched at the end of the file for the footer (most footers fit in one such range).
const TAIL: u64 = 64 << 10;

/// What the Parquet decoder is fed: ranges of the file, and a word from the decoder, once it
/// has read the footer, about which ranges it is going to read.
pub(crate) trait RandomAccess: ChunkReader + Clone + 'static {
    /// The column chunks the decoder will read, sorted by start.
    fn will_read(&self, chunks: Vec<ColumnChunk>) {
        let _ = chunks;
    }
}

/// The whole file in memory: nothing to plan.
impl RandomAccess for Bytes {}

impl RandomAccess for Ranges {
    fn will_read(&self, chunks: Vec<ColumnChunk>) {
        self.set_chunks(chunks)
    }
}

/// A projected column chunk: its byte range and row group.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ColumnChunk {
    pub start: u64,
    pub end: u64,
    pub row_group: usize,
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
    fn set_chunks(&self, chunks: Vec<ColumnChunk>) {
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

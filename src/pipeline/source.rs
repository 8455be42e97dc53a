//! Files in a store as [`ByteSource`]s: the readers pull bytes by range, and a sequential reader
//! keeps a few ranges in flight, so a blob is never held whole and its download overlaps with the
//! decoding and profiling of the bytes already there.

use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use bytes::Bytes;
use futures::StreamExt;

use crate::data::{ByteSource, FileBytes, Input};
use crate::store::{Key, Store, StoreError};

/// Bytes asked for by one ranged GET of a sequential read: big enough that per-request latency
/// vanishes, small enough that the ranges in flight stay a few MB.
pub const READ_AHEAD_RANGE: u64 = 4 << 20;

/// Ranged GETs in flight per file being read sequentially. With [`READ_AHEAD_RANGE`] this bounds
/// the memory of one file's download to about 32 MB (ranges fetched plus ranges waiting).
pub const READ_AHEAD_REQUESTS: usize = 4;

/// One object of a store, read by range from worker threads.
#[derive(Debug)]
pub struct StoreSource {
    store: Arc<dyn Store>,
    key: Key,
    name: String,
    len: u64,
    runtime: tokio::runtime::Handle,
}

impl StoreSource {
    /// A source for `key` of `len` bytes (known from a listing or HEAD). Must be created inside
    /// the async runtime whose I/O it will use.
    pub fn new(store: Arc<dyn Store>, key: Key, len: u64) -> Self {
        StoreSource {
            name: key.to_string(),
            store,
            key,
            len,
            runtime: tokio::runtime::Handle::current(),
        }
    }
}

impl ByteSource for StoreSource {
    fn name(&self) -> &str {
        &self.name
    }

    fn len(&self) -> u64 {
        self.len
    }

    fn read_range(&self, range: Range<u64>) -> std::io::Result<Bytes> {
        let range = range.start.min(self.len)..range.end.min(self.len);
        if range.is_empty() {
            return Ok(Bytes::new());
        }
        self.runtime
            .block_on(self.store.get_range(&self.key, range))
            .map_err(std::io::Error::other)
    }

    fn reader(self: Arc<Self>) -> Box<dyn Read + Send> {
        Box::new(ReadAhead::start(self))
    }
}

/// A sequential reader fed by a task that keeps [`READ_AHEAD_REQUESTS`] ranged GETs in flight and
/// hands their bytes over in order through a bounded channel. Dropping the reader stops the task.
struct ReadAhead {
    chunks: tokio::sync::mpsc::Receiver<Result<Bytes, StoreError>>,
    current: Bytes,
}

impl ReadAhead {
    fn start(source: Arc<StoreSource>) -> Self {
        let (tx, rx) = tokio::sync::mpsc::channel(READ_AHEAD_REQUESTS);
        let runtime = source.runtime.clone();
        runtime.spawn(fetch_in_order(source, tx));
        ReadAhead {
            chunks: rx,
            current: Bytes::new(),
        }
    }
}

async fn fetch_in_order(
    source: Arc<StoreSource>,
    tx: tokio::sync::mpsc::Sender<Result<Bytes, StoreError>>,
) {
    let len = source.len;
    let ranges = (0..len.div_ceil(READ_AHEAD_RANGE))
        .map(move |i| i * READ_AHEAD_RANGE..((i + 1) * READ_AHEAD_RANGE).min(len));
    let mut fetched = futures::stream::iter(ranges)
        .map(|range| {
            let source = Arc::clone(&source);
            async move { source.store.get_range(&source.key, range).await }
        })
        .buffered(READ_AHEAD_REQUESTS);
    while let Some(chunk) = fetched.next().await {
        let failed = chunk.is_err();
        // A closed channel means the reader was dropped: stop fetching.
        if tx.send(chunk).await.is_err() || failed {
            return;
        }
    }
}

impl Read for ReadAhead {
    fn read(&mut self, out: &mut [u8]) -> std::io::Result<usize> {
        while self.current.is_empty() {
            match self.chunks.blocking_recv() {
                Some(Ok(chunk)) => self.current = chunk,
                Some(Err(e)) => return Err(std::io::Error::other(e)),
                // The task finished: every range was handed over.
                None => return Ok(0),
            }
        }
        let n = out.len().min(self.current.len());
        out[..n].copy_from_slice(&self.current.split_to(n));
        Ok(n)
    }
}

/// The readers' input for `key` of `store`: the file on disk when the store is a folder, a
/// [`StoreSource`] reading by ranges otherwise. `None` when the object does not exist.
pub async fn input_for(store: &Arc<dyn Store>, key: &Key) -> Result<Option<Input>, StoreError> {
    let Some(meta) = store.head(key).await? else {
        return Ok(None);
    };
    if let Some(opened) = store.open_local_file(key) {
        let Some(file) = opened? else {
            return Ok(None);
        };
        // Named by its key, so messages and results show the key, never the store's folder.
        let source =
            FileBytes::from_file(file, key.to_string()).map_err(|source| StoreError::Io {
                op: "opening",
                key: key.to_string(),
                source,
            })?;
        return Ok(Some(Input::Source(Arc::new(source))));
    }
    Ok(Some(Input::Source(Arc::new(StoreSource::new(
        Arc::clone(store),
        key.clone(),
        meta.size,
    )))))
}

//! A dataset handed in as Arrow record batches (the Python package and Spark pass data through
//! the Arrow C stream interface): typed by the Arrow schema as Parquet is, cut into chunks of at
//! most 16,384 rows, and processed like the files of [`super::scan`], with the same
//! `process`/`merge` contract.
//!
//! The content hash treats the stream as one file named after the dataset: its bytes are the
//! Arrow IPC stream encoding of the schema and of each batch as handed in (so the same batches
//! give the same hash; the same rows batched differently give another).

use std::marker::PhantomData;

use arrow::array::{RecordBatch, RecordBatchReader};
use arrow::datatypes::DataType;
use arrow::ipc::writer::StreamWriter;

use crate::base::hash::{ContentHasher, FileHasher, hash_bytes};

use super::ReadError;
use super::read::{
    Chunk, ChunkColumn, DatasetInfo, DecodePlan, Decoder, FileContext, FileInfo, Head, InPlace,
    Origin, ReadOptions, Started, arrange, run,
};
use super::schema::{DatasetSchema, clean_names, coerce, schema_from_arrow};

/// Rows per chunk: batches larger than this are sliced (without copying).
const CHUNK_ROWS: usize = 16 * 1024;

/// Reads `batches` as one dataset named `name` (used in messages and for the content hash):
/// `process` runs on each chunk on the thread pool, `merge` receives the results on the calling
/// thread in order, as for [`super::scan`]. The batches are pulled on the calling thread only, so
/// the reader need not be `Send` (an Arrow C stream from Python is not).
pub fn scan_batches<R, T, P, M>(
    name: &str,
    batches: R,
    options: &ReadOptions,
    process: P,
    mut merge: M,
) -> Result<DatasetInfo, ReadError>
where
    R: RecordBatchReader,
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    let arrow_schema = batches.schema();
    let names: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let names = clean_names(name, names)?;
    let types: Vec<DataType> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.data_type().clone())
        .collect();
    let mut hashed = HashWriter(FileHasher::new(name));
    let ipc = StreamWriter::try_new(&mut hashed, &arrow_schema)
        .map_err(|e| arrow_error(name.to_string(), e.to_string()))?;
    let mut feed = Stream {
        batches,
        types,
        ipc,
        name: name.to_string(),
    };
    let mut schema = None;
    let mut info = DatasetInfo::default();
    let mut ctx = FileContext {
        index: 0,
        key: stream_key(name),
        name: name.to_string(),
        schema: &mut schema,
        warnings: &mut info.warnings,
        rows: 0,
        pinned: &options.pinned,
    };
    let decoder = ArrowDecoder {
        names,
        rest: None,
        feed: PhantomData,
    };
    run(InPlace, decoder, &mut feed, &mut ctx, &process, &mut merge)?;
    let rows = ctx.rows;
    feed.ipc
        .finish()
        .map_err(|e| arrow_error(name.to_string(), e.to_string()))?;
    drop(feed);
    if rows == 0 {
        return Err(ReadError::NoRows {
            file: name.to_string(),
        });
    }
    let (digest, size, file) = hashed.0.finish();
    let mut dataset = ContentHasher::new();
    dataset.add_file(&file, size, &digest);
    info.schema = schema.unwrap_or_default();
    info.files.push(FileInfo {
        name: name.to_string(),
        bytes: size,
        rows,
    });
    info.content_hash = dataset.finish();
    Ok(info)
}

fn arrow_error(name: String, reason: String) -> ReadError {
    ReadError::Arrow { name, reason }
}

/// The feed of an Arrow stream: its batches as handed in, each checked against the stream's
/// schema and written to the content hash in the Arrow IPC stream encoding.
struct Stream<'a, R> {
    batches: R,
    types: Vec<DataType>,
    ipc: StreamWriter<&'a mut HashWriter>,
    name: String,
}

impl<R: RecordBatchReader> Stream<'_, R> {
    /// The next batch as handed in; None at the end.
    fn next_batch(&mut self) -> Result<Option<RecordBatch>, ReadError> {
        let error = |reason: String| arrow_error(self.name.clone(), reason);
        let Some(b) = self.batches.next() else {
            return Ok(None);
        };
        let b = b.map_err(|e| error(e.to_string()))?;
        let same = b.num_columns() == self.types.len()
            && b.columns()
                .iter()
                .zip(&self.types)
                .all(|(a, t)| a.data_type() == t);
        if !same {
            return Err(error(format!(
                "a batch's schema differs from the stream's: {:?}",
                b.schema().fields()
            )));
        }
        self.ipc.write(&b).map_err(|e| error(e.to_string()))?;
        Ok(Some(b))
    }
}

/// The decoder of an Arrow stream fed by a `Stream<R>`: types the columns by the stream's
/// schema, as Parquet's are, and cuts the batches into units of at most [`CHUNK_ROWS`] rows.
struct ArrowDecoder<R> {
    /// The stream's column names.
    names: Vec<String>,
    /// The slices of a batch not handed out yet.
    rest: Option<RecordBatch>,
    feed: PhantomData<fn(R)>,
}

impl<'a, R: RecordBatchReader> Decoder for ArrowDecoder<Stream<'a, R>> {
    type Feed = Stream<'a, R>;
    type Unit = RecordBatch;
    type Plan = BatchPlan;

    fn start(&mut self, feed: &mut Self::Feed, ctx: &mut FileContext) -> Started<Self> {
        let types: Vec<&DataType> = feed.types.iter().collect();
        ctx.set_schema(schema_from_arrow(&self.names, &types, "Arrow"));
        let mapping = ctx.map_columns(&self.names);
        let schema = ctx.schema.clone().unwrap_or_default();
        // Batch columns are the stream's columns.
        let positions = (0..self.names.len()).map(Some).collect();
        Ok(Some(Head {
            plan: BatchPlan::new(ctx, schema, mapping, positions, arrow_error),
            units: Vec::new(),
        }))
    }

    fn next_unit(&mut self, feed: &mut Self::Feed) -> Result<Option<RecordBatch>, ReadError> {
        loop {
            let batch = match self.rest.take() {
                Some(b) => b,
                None => match feed.next_batch()? {
                    Some(b) => b,
                    None => return Ok(None),
                },
            };
            let rows = batch.num_rows();
            if rows > CHUNK_ROWS {
                self.rest = Some(batch.slice(CHUNK_ROWS, rows - CHUNK_ROWS));
                return Ok(Some(batch.slice(0, CHUNK_ROWS)));
            }
            if rows > 0 {
                return Ok(Some(batch));
            }
        }
    }
}

/// How record batches become chunks: the columns of an Arrow stream and of a Parquet file are
/// converted alike.
pub(crate) struct BatchPlan {
    origin: Origin,
    schema: DatasetSchema,
    /// For each pinned column, its position in the file.
    mapping: Vec<Option<usize>>,
    /// Per file column: its position in the record batches, None when it is not read.
    positions: Vec<Option<usize>>,
    /// The format's error, from the file's name and the reason.
    error: fn(String, String) -> ReadError,
}

impl BatchPlan {
    pub fn new(
        ctx: &FileContext,
        schema: DatasetSchema,
        mapping: Vec<Option<usize>>,
        positions: Vec<Option<usize>>,
        error: fn(String, String) -> ReadError,
    ) -> Self {
        let mut origin = ctx.origin();
        origin.columns = schema.columns.iter().map(|c| c.name.clone()).collect();
        BatchPlan {
            origin,
            schema,
            mapping,
            positions,
            error,
        }
    }

    /// The format's error about this file.
    pub fn error(&self, reason: String) -> ReadError {
        (self.error)(self.origin.name.clone(), reason)
    }
}

impl DecodePlan<RecordBatch> for BatchPlan {
    fn decode(&self, index: usize, batch: &RecordBatch) -> Result<Option<Chunk>, ReadError> {
        let rows = batch.num_rows();
        if rows == 0 {
            return Ok(None);
        }
        let columns = arrange(&self.schema, &self.mapping, rows, |i, kind| {
            match self.positions[i].filter(|&p| p < batch.num_columns()) {
                Some(p) => coerce(batch.column(p), kind),
                None => Ok(ChunkColumn::nulls(kind, rows)),
            }
        })
        .map_err(|reason| self.error(reason))?;
        Ok(Some(self.origin.chunk(index, rows, columns)))
    }

    fn failed(&self, _: &RecordBatch, reason: String) -> ReadError {
        self.error(reason)
    }
}

/// The chunks' file key (see [`Chunk::file_key`]): a stream's size is not known up front, so only
/// its name counts.
fn stream_key(name: &str) -> u64 {
    hash_bytes(crate::base::hash::last_segment(name).as_bytes())
}

/// Feeds what the IPC writer writes to the content hash, keeping nothing.
struct HashWriter(FileHasher);

impl std::io::Write for HashWriter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::data::{ColumnKind, Input, scan};
    use arrow::array::{ArrayRef, Float64Array, Int32Array, RecordBatchIterator, StringArray};

    fn batch(from: i32, n: i32) -> RecordBatch {
        RecordBatch::try_from_iter(vec![
            (
                "x",
                Arc::new(Int32Array::from_iter_values(from..from + n)) as ArrayRef,
            ),
            (
                "y",
                Arc::new(Float64Array::from_iter_values(
                    (from..from + n).map(|i| i as f64 / 2.0),
                )) as ArrayRef,
            ),
            (
                "s",
                Arc::new(StringArray::from_iter_values(
                    (from..from + n).map(|i| format!("c{}", i % 3)),
                )) as ArrayRef,
            ),
        ])
        .unwrap()
    }

    #[test]
    fn batches_are_typed_chunked_and_read_like_a_parquet_file() {
        let parts = vec![batch(0, 40_000), batch(40_000, 10)];
        let schema = parts[0].schema();
        let reader = RecordBatchIterator::new(parts.clone().into_iter().map(Ok), schema);
        let mut chunks = Vec::new();
        let info = scan_batches(
            "frame",
            reader,
            &ReadOptions::default(),
            |c| (c.index, c.rows),
            |c| chunks.push(c),
        )
        .unwrap();
        assert_eq!(
            chunks,
            vec![(0, 16_384), (1, 16_384), (2, 40_000 - 2 * 16_384), (3, 10)]
        );
        assert_eq!(info.files[0].rows, 40_010);
        let kinds: Vec<ColumnKind> = info.schema.columns.iter().map(|c| c.kind).collect();
        assert_eq!(
            kinds,
            vec![ColumnKind::Numeric, ColumnKind::Numeric, ColumnKind::Text]
        );
        // The same rows from a Parquet file give the same values.
        let whole = arrow::compute::concat_batches(&parts[0].schema(), &parts).unwrap();
        let parquet = Input::Memory {
            name: "frame.parquet".into(),
            bytes: crate::data::parquet::write_parquet(&whole),
        };
        let sum = |c: &Chunk| match &c.columns[1] {
            ChunkColumn::Numeric { values, .. } => values.iter().flatten().sum::<f64>(),
            _ => f64::NAN,
        };
        let mut from_file = 0.0;
        scan(&[parquet], sum, |s| from_file += s).unwrap();
        let reader = RecordBatchIterator::new(parts.into_iter().map(Ok), batch(0, 1).schema());
        let mut from_batches = 0.0;
        let again = scan_batches("frame", reader, &ReadOptions::default(), sum, |s| {
            from_batches += s
        })
        .unwrap();
        assert_eq!(from_file, from_batches);
        assert_eq!(again.content_hash, info.content_hash);
        assert_eq!(info.content_hash.len(), 64);
    }

    #[test]
    fn an_empty_stream_has_no_rows_and_a_failing_one_names_the_dataset() {
        let schema = batch(0, 1).schema();
        let empty = RecordBatchIterator::new(Vec::<RecordBatch>::new().into_iter().map(Ok), schema);
        let e = scan_batches("df", empty, &ReadOptions::default(), |c| c.rows, |_| {}).unwrap_err();
        assert!(matches!(e, ReadError::NoRows { .. }), "{e}");
        let schema = batch(0, 1).schema();
        let failing = RecordBatchIterator::new(
            vec![
                Ok(batch(0, 5)),
                Err(arrow::error::ArrowError::ComputeError("boom".into())),
            ],
            schema,
        );
        let e =
            scan_batches("df", failing, &ReadOptions::default(), |c| c.rows, |_| {}).unwrap_err();
        assert_eq!(
            e.to_string(),
            "`df`: cannot read Arrow batches: Compute error: boom"
        );
    }
}

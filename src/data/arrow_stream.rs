//! A dataset handed in as Arrow record batches (the Python package and Spark pass data through
//! the Arrow C stream interface): typed by the Arrow schema as Parquet is, cut into chunks of at
//! most 16,384 rows, and processed like the files of [`super::scan`], with the same
//! `process`/`merge` contract.
//!
//! The content hash treats the stream as one file named after the dataset: its bytes are the
//! Arrow IPC stream encoding of the schema and of each batch as handed in (so the same batches
//! give the same hash; the same rows batched differently give another).

use std::sync::Arc;

use arrow::array::{RecordBatch, RecordBatchReader};

use crate::base::hash::{ContentHasher, FileHasher, hash_bytes};

use super::ReadError;
use super::read::{
    Chunk, ChunkColumn, DatasetInfo, FileContext, FileInfo, ReadOptions, arrange, guarded,
    merge_window, process_window, window_len,
};
use super::schema::{clean_names, coerce, schema_from_arrow};

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
    let arrow_error = |reason: String| ReadError::Arrow {
        name: name.to_string(),
        reason,
    };
    let arrow_schema = batches.schema();
    let names: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let names = clean_names(name, names)?;
    let types: Vec<_> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.data_type())
        .collect();
    let mut schema = None;
    let mut info = DatasetInfo::default();
    let key = stream_key(name);
    let mut ctx = FileContext {
        index: 0,
        key,
        name: name.to_string(),
        schema: &mut schema,
        warnings: &mut info.warnings,
        rows: 0,
        pinned: &options.pinned,
        max_record: options.max_record_bytes,
        parquet_whole_file: options.parquet_whole_file_bytes,
    };
    ctx.set_schema(schema_from_arrow(&names, &types, "Arrow"));
    let mapping = ctx.map_columns(&names);
    let pinned = Arc::new(ctx.schema.clone().unwrap_or_default());

    let mut hashed = HashWriter(FileHasher::new(name));
    let mut ipc = arrow::ipc::writer::StreamWriter::try_new(&mut hashed, &arrow_schema)
        .map_err(|e| arrow_error(e.to_string()))?;
    let window = window_len();
    let mut batches = batches.into_iter();
    let mut index = 0usize;
    // The slices of a batch not handed out yet.
    let mut rest: Option<RecordBatch> = None;
    let mut pull = |index: &mut usize| -> Result<Vec<(usize, RecordBatch)>, ReadError> {
        let mut out = Vec::with_capacity(window);
        while out.len() < window {
            let batch = match rest.take() {
                Some(b) => b,
                None => match batches.next() {
                    None => break,
                    Some(b) => {
                        let b = b.map_err(|e| arrow_error(e.to_string()))?;
                        let same = b.num_columns() == types.len()
                            && b.columns()
                                .iter()
                                .zip(&types)
                                .all(|(a, t)| a.data_type() == *t);
                        if !same {
                            return Err(arrow_error(format!(
                                "a batch's schema differs from the stream's: {:?}",
                                b.schema().fields()
                            )));
                        }
                        ipc.write(&b).map_err(|e| arrow_error(e.to_string()))?;
                        b
                    }
                },
            };
            if batch.num_rows() > CHUNK_ROWS {
                rest = Some(batch.slice(CHUNK_ROWS, batch.num_rows() - CHUNK_ROWS));
                out.push((*index, batch.slice(0, CHUNK_ROWS)));
            } else if batch.num_rows() > 0 {
                out.push((*index, batch));
            } else {
                continue;
            }
            *index += 1;
        }
        Ok(out)
    };
    let decode = |(index, batch): (usize, RecordBatch)| -> Result<Option<Chunk>, ReadError> {
        let rows = batch.num_rows();
        let columns = guarded(|| {
            arrange(&pinned, &mapping, rows, |i, kind| {
                match batch.columns().get(i) {
                    Some(a) => coerce(a, kind),
                    None => Ok(ChunkColumn::nulls(kind, rows)),
                }
            })
        })
        .map_err(arrow_error)?
        .map_err(arrow_error)?;
        Ok(Some(Chunk {
            file: 0,
            file_key: key,
            index,
            rows,
            columns,
        }))
    };
    let mut pending = pull(&mut index)?;
    let mut rows = 0u64;
    while !pending.is_empty() {
        let mut results = Vec::new();
        let mut next = Ok(Vec::new());
        // Profile this window on the pool while this thread pulls the next batches.
        rayon::in_place_scope(|scope| {
            let tasks = std::mem::take(&mut pending);
            let (decode, process, results) = (&decode, &process, &mut results);
            scope.spawn(move |_| *results = process_window(tasks, decode, process));
            next = pull(&mut index);
        });
        rows += merge_window(results, &mut merge)?;
        pending = next?;
    }
    ipc.finish().map_err(|e| arrow_error(e.to_string()))?;
    drop(ipc);
    ctx.rows = rows;
    drop(ctx);
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

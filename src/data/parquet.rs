//! Parquet through `parquet::arrow`: integer, float and decimal columns become `Float64`;
//! string, dictionary-of-string and boolean columns become text; other types (dates,
//! timestamps, binary, nested) are excluded with the reason. Record batches are profiled in
//! parallel while the file's bytes are hashed on the other thread.

use std::io::Read;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::datatypes::DataType;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::reader::ChunkReader;
use sha2::{Digest, Sha256};

use super::{
    Chunk, ColumnKind, DatasetSchema, FileContext, Input, ReadError, SchemaColumn, arrange, coerce,
    is_aml_bookkeeping, merge_window, process_window, window_len,
};

/// Rows per record batch: large enough to amortise per-batch work, small enough for memory.
const BATCH_ROWS: usize = 16 * 1024;

/// How a Parquet column type is read, or why it is not.
fn kind_of(dt: &DataType) -> Result<ColumnKind, String> {
    match dt {
        d if d.is_numeric() => Ok(ColumnKind::Numeric),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean => {
            Ok(ColumnKind::Text)
        }
        DataType::Dictionary(_, v)
            if matches!(
                v.as_ref(),
                DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View
            ) =>
        {
            Ok(ColumnKind::Text)
        }
        DataType::Null => Ok(ColumnKind::Numeric),
        other => Err(format!(
            "Parquet type {other} is not compared (only numbers, strings and booleans are)"
        )),
    }
}

pub(super) fn scan_file<T, P, M>(
    input: &Input,
    ctx: &mut FileContext,
    process: &P,
    merge: &mut M,
) -> Result<[u8; 32], ReadError>
where
    T: Send,
    P: Fn(&Chunk) -> T + Sync,
    M: FnMut(T),
{
    match input {
        Input::File(path) => {
            let open = || {
                std::fs::File::open(path).map_err(|source| ReadError::Io {
                    file: ctx.name.clone(),
                    source,
                })
            };
            let file = open()?;
            let mut hash_file = open()?;
            let name = ctx.name.clone();
            // Hash on a thread of its own while the pool decodes and profiles.
            let (hash, read) = std::thread::scope(|scope| {
                let hasher = scope.spawn(move || -> Result<[u8; 32], ReadError> {
                    let mut hasher = Sha256::new();
                    let mut buf = vec![0u8; 1 << 20];
                    loop {
                        let n = hash_file.read(&mut buf).map_err(|source| ReadError::Io {
                            file: name.clone(),
                            source,
                        })?;
                        if n == 0 {
                            break;
                        }
                        hasher.update(&buf[..n]);
                    }
                    Ok(hasher.finalize().into())
                });
                let read = read_parquet(file, ctx, process, merge);
                let hash = hasher.join().unwrap_or_else(|_| {
                    Err(ReadError::Parquet {
                        file: ctx.name.clone(),
                        reason: "hashing thread failed".into(),
                    })
                });
                (hash, read)
            });
            read?;
            hash
        }
        Input::Memory { bytes, .. } => {
            let hash: [u8; 32] = Sha256::digest(bytes).into();
            read_parquet(bytes.clone(), ctx, process, merge)?;
            Ok(hash)
        }
        Input::Source(source) => {
            // Parquet needs random access: read the file by ranges.
            let bytes = source
                .read_range(0..source.len())
                .map_err(|e| ctx.io_error(e))?;
            let hash: [u8; 32] = Sha256::digest(&bytes).into();
            read_parquet(bytes, ctx, process, merge)?;
            Ok(hash)
        }
    }
}

fn read_parquet<R, T, P, M>(
    reader: R,
    ctx: &mut FileContext,
    process: &P,
    merge: &mut M,
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
    let builder = ParquetRecordBatchReaderBuilder::try_new(reader).map_err(|e| err(&e))?;
    let arrow_schema = builder.schema().clone();
    let names: Vec<String> = arrow_schema
        .fields()
        .iter()
        .map(|f| f.name().clone())
        .collect();
    let names = super::clean_names(&ctx.name, names)?;
    if ctx.schema.is_none() {
        let mut schema = DatasetSchema::default();
        for (name, field) in names.iter().zip(arrow_schema.fields()) {
            if is_aml_bookkeeping(name) {
                schema
                    .excluded
                    .push((name.clone(), super::AML_REASON.to_string()));
                continue;
            }
            match kind_of(field.data_type()) {
                Ok(kind) => schema.columns.push(SchemaColumn {
                    name: name.clone(),
                    kind,
                }),
                Err(reason) => schema.excluded.push((name.clone(), reason)),
            }
        }
        ctx.set_schema(schema);
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
        .filter(|&i| kind_of(arrow_schema.field(i).data_type()).is_ok())
        .collect();
    roots.sort_unstable();
    let mask = ProjectionMask::roots(builder.parquet_schema(), roots.iter().copied());
    let batches = builder
        .with_projection(mask)
        .with_batch_size(BATCH_ROWS)
        .build()
        .map_err(|e| err(&e))?;
    let schema = Arc::new(schema);
    let (file_index, file_key) = (ctx.index, ctx.key);
    let window = window_len();
    let mut index = 0usize;
    let mut pending: Vec<(usize, RecordBatch)> = Vec::with_capacity(window);
    let decode =
        |(index, batch): (usize, arrow::array::RecordBatch)| -> Result<Option<Chunk>, ReadError> {
            let rows = batch.num_rows();
            if rows == 0 {
                return Ok(None);
            }
            let columns = arrange(&schema, &mapping, rows, |i, kind| {
                let name = &names[i];
                match batch.column_by_name(name) {
                    Some(a) => coerce(a, kind),
                    None => Ok(super::ChunkColumn::nulls(kind, rows)),
                }
            })
            .map_err(|reason| err(&reason))?;
            Ok(Some(Chunk {
                file: file_index,
                file_key,
                index,
                rows,
                columns,
            }))
        };
    let mut rows = 0u64;
    let mut batches = batches;
    let mut read_window = |index: &mut usize| -> Result<Vec<(usize, RecordBatch)>, ReadError> {
        let mut out = Vec::with_capacity(window);
        while out.len() < window {
            match batches.next() {
                Some(b) => {
                    out.push((*index, b.map_err(|e| err(&e))?));
                    *index += 1;
                }
                None => break,
            }
        }
        Ok(out)
    };
    pending.extend(read_window(&mut index)?);
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
    use crate::data::{ChunkColumn, scan};
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

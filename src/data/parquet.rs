//! Parquet through `parquet::arrow`: integer, float and decimal columns (dictionary-encoded ones
//! too) become `Float64`; string, dictionary-of-string and boolean columns become text; other
//! types (dates, timestamps, binary, nested) are excluded with the reason.
//!
//! The decoder is fed random access by range ([`RandomAccess`], see `data::ranges`): it reads the
//! footer, tells the feed which column chunks it will read, and yields record batches of the
//! projected columns, which become chunks as an Arrow stream's batches do (`data::arrow_stream`).
//!
//! # Corrupt files
//!
//! Every call into the Parquet decoder runs under `read::guarded`: a decoder error or a panic
//! (found by fuzzing: negative offsets in the footer, bad bit widths) becomes
//! [`ReadError::Parquet`], never a crash. Column chunk ranges from the footer that do not fit the
//! file are left out of what the feed is told to fetch.

use std::marker::PhantomData;

use arrow::array::RecordBatch;
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::{ParquetRecordBatchReader, ParquetRecordBatchReaderBuilder};
use parquet::file::metadata::ParquetMetaData;

use super::ReadError;
use super::arrow_stream::BatchPlan;
use super::ranges::{ColumnChunk, RandomAccess};
use super::read::{Decoder, FileContext, Head, Started, guarded};
use super::schema::{clean_names, kind_of_arrow, schema_from_arrow};

/// Rows per record batch: large enough to amortise per-batch work, small enough for memory.
const BATCH_ROWS: usize = 16 * 1024;

/// The Parquet decoder, fed random access of type `R`: the footer first, then the pages of the
/// columns read, as parquet's record batch reader asks for them.
pub(crate) struct ParquetDecoder<R> {
    /// Set by `start`, with the file's name for errors.
    batches: Option<(ParquetRecordBatchReader, String)>,
    /// Only these row groups are read (a share of the file); all when None.
    row_groups: Option<Vec<usize>>,
    feed: PhantomData<fn(R)>,
}

impl<R> Default for ParquetDecoder<R> {
    fn default() -> Self {
        Self::new(None)
    }
}

impl<R> ParquetDecoder<R> {
    /// A decoder of the given row groups only (all when None).
    pub fn new(row_groups: Option<Vec<usize>>) -> Self {
        ParquetDecoder {
            batches: None,
            row_groups,
            feed: PhantomData,
        }
    }
}

/// The row groups of the Parquet file `feed`, as (rows, compressed bytes), from its footer.
pub(crate) fn row_groups<R: RandomAccess>(
    feed: R,
    file: &str,
) -> Result<Vec<(u64, u64)>, ReadError> {
    let err = |e: &dyn std::fmt::Display| parquet_error(file.to_string(), e.to_string());
    let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new(feed))
        .map_err(|reason| err(&reason))?
        .map_err(|e| err(&e))?;
    Ok(builder
        .metadata()
        .row_groups()
        .iter()
        .map(|rg| {
            (
                u64::try_from(rg.num_rows()).unwrap_or(0),
                u64::try_from(rg.compressed_size()).unwrap_or(0),
            )
        })
        .collect())
}

fn parquet_error(file: String, reason: String) -> ReadError {
    ReadError::Parquet { file, reason }
}

impl<R: RandomAccess> Decoder for ParquetDecoder<R> {
    type Feed = R;
    type Unit = RecordBatch;
    type Plan = BatchPlan;

    fn start(&mut self, feed: &mut R, ctx: &mut FileContext) -> Started<Self> {
        let file = ctx.name.clone();
        let err = |e: &dyn std::fmt::Display| parquet_error(file.clone(), e.to_string());
        let file_len = feed.len();
        let builder = guarded(|| ParquetRecordBatchReaderBuilder::try_new(feed.clone()))
            .map_err(|reason| err(&reason))?
            .map_err(|e| err(&e))?;
        let arrow_schema = builder.schema().clone();
        let names: Vec<String> = arrow_schema
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect();
        let names = clean_names(&ctx.name, names)?;
        if ctx.schema.is_none() {
            let types: Vec<_> = arrow_schema
                .fields()
                .iter()
                .map(|f| f.data_type())
                .collect();
            ctx.set_schema(schema_from_arrow(&names, &types, "Parquet"));
        }
        let Some(schema) = ctx.schema.clone() else {
            return Ok(None);
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
        let mut positions: Vec<Option<usize>> = vec![None; names.len()];
        for (p, &i) in roots.iter().enumerate() {
            positions[i] = Some(p);
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
        let groups = builder.metadata().num_row_groups();
        if let Some(wanted) = &self.row_groups
            && let Some(bad) = wanted.iter().find(|&&g| g >= groups)
        {
            return Err(err(&format!(
                "row group {bad} asked for, but the file has {groups}"
            )));
        }
        let mut chunks = column_chunks(builder.metadata(), &leaves, file_len);
        if let Some(wanted) = &self.row_groups {
            chunks.retain(|c| wanted.contains(&c.row_group));
        }
        feed.will_read(chunks);
        let mask = ProjectionMask::roots(parquet_schema, roots.iter().copied());
        let row_groups = self.row_groups.clone();
        let batches = guarded(|| {
            let builder = builder.with_projection(mask).with_batch_size(BATCH_ROWS);
            match row_groups {
                Some(groups) => builder.with_row_groups(groups),
                None => builder,
            }
            .build()
        })
        .map_err(|reason| err(&reason))?
        .map_err(|e| err(&e))?;
        self.batches = Some((batches, file.clone()));
        Ok(Some(Head {
            plan: BatchPlan::new(ctx, schema, mapping, positions, parquet_error),
            units: Vec::new(),
        }))
    }

    fn next_unit(&mut self, _: &mut R) -> Result<Option<RecordBatch>, ReadError> {
        let Some((batches, file)) = self.batches.as_mut() else {
            return Ok(None);
        };
        let err = |e: &dyn std::fmt::Display| parquet_error(file.clone(), e.to_string());
        match guarded(|| batches.next()).map_err(|reason| err(&reason))? {
            Some(b) => Ok(Some(b.map_err(|e| err(&e))?)),
            None => Ok(None),
        }
    }
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
    use std::sync::Arc;

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

//! CSV: header row, comma, `"` quotes, empty field = missing.
//!
//! The decoder is fed blocks of a few MB cut at record ends (see `data::blocks`); each is decoded
//! by arrow-csv with the pinned schema, in parallel. arrow-csv stops at the first value it cannot parse; such a
//! block (a typo, `abc` in a numeric column, a ragged row, bad UTF-8) is decoded again by a
//! careful reader that counts invalid values instead of failing and reports real errors with the
//! line. Line numbers count physical lines (`\n`, `\r\n` or a lone `\r`), also inside quoted
//! fields that span lines.

use std::sync::Arc;

use arrow::array::{Float64Builder, RecordBatch, StringBuilder};
use arrow::csv::ReaderBuilder;
use arrow::datatypes::{DataType, Field, Schema, SchemaRef};
use bytes::Bytes;

use super::ReadError;
use super::blocks::{Block, LineCounter, count_lines};
use super::read::{
    Blocks, Chunk, ChunkColumn, DecodePlan, Decoder, FileContext, Head, Origin, SharedSchema,
    Started, arrange,
};
use super::schema::{ColumnKind, check_width, clean_names, coerce, infer_kinds};
use super::value::{Parsed, parse_number, text_label};

/// The CSV decoder: fed [`Blocks`] of whole records; the first holds the header.
pub(crate) struct CsvDecoder;

/// How to decode the blocks of one file.
pub(crate) struct Plan {
    origin: Origin,
    names: Vec<String>,
    schema: SharedSchema,
    /// For each pinned column, its position in the file.
    mapping: Vec<Option<usize>>,
    /// Per file column: the kind it is read as, or None when not read.
    kinds: Vec<Option<ColumnKind>>,
    arrow_schema: SchemaRef,
    projection: Vec<usize>,
}

impl Decoder for CsvDecoder {
    type Feed = Blocks;
    type Unit = Block;
    type Plan = Plan;

    fn start(&mut self, blocks: &mut Blocks, ctx: &mut FileContext) -> Started<Self> {
        let Some(first) = blocks.next_block()? else {
            return Err(ReadError::Empty {
                file: ctx.name.clone(),
            });
        };
        let (names, mut data) = split_header(&ctx.name, first)?;
        let names = clean_names(&ctx.name, names)?;
        if let [only] = names.as_slice()
            && let Some(sep) = [';', '\t', '|'].into_iter().find(|c| only.contains(*c))
        {
            ctx.warnings.push(format!(
                "`{}` has a single column named `{only}`: it looks separated by `{}`, but driftscan reads comma-separated files only.",
                ctx.name,
                sep.escape_default()
            ));
        }
        // The first records may lie in later blocks (a first record longer than a block, blank
        // lines): the blocks before hold only line ends.
        while !has_record(&data.bytes) {
            match blocks.next_block()? {
                Some(next) => data = next,
                None => break,
            }
        }

        if ctx.schema.is_none() && has_record(&data.bytes) {
            let kinds: Vec<Option<ColumnKind>> =
                names.iter().map(|_| Some(ColumnKind::Text)).collect();
            let (_, cols) = decode_careful(&ctx.name, &names, &kinds, &data)?;
            let texts = cols
                .into_iter()
                .map(|c| match c {
                    Some(ChunkColumn::Text(t)) => Some(t),
                    _ => None,
                })
                .collect::<Vec<_>>();
            ctx.set_schema(infer_kinds(&names, &texts));
        }
        let Some(schema) = ctx.schema.clone() else {
            // A first file with a header and no rows: the next file pins the schema.
            return Ok(None);
        };
        let mapping = ctx.map_columns(&names);
        let mut kinds: Vec<Option<ColumnKind>> = vec![None; names.len()];
        for (c, m) in schema.columns.iter().zip(&mapping) {
            if let Some(i) = m {
                kinds[*i] = Some(c.kind);
            }
        }
        let fields: Vec<Field> = names
            .iter()
            .zip(&kinds)
            .map(|(n, k)| {
                let dt = match k {
                    Some(ColumnKind::Numeric) => DataType::Float64,
                    _ => DataType::Utf8,
                };
                Field::new(n, dt, true)
            })
            .collect();
        let plan = Plan {
            origin: ctx.origin(),
            projection: mapping.iter().flatten().copied().collect(),
            names,
            schema: Arc::new(schema),
            mapping,
            kinds,
            arrow_schema: Arc::new(Schema::new(fields)),
        };
        Ok(Some(Head {
            plan,
            units: vec![data],
        }))
    }

    fn next_unit(&mut self, blocks: &mut Blocks) -> Result<Option<Block>, ReadError> {
        blocks.next_block()
    }
}

impl DecodePlan<Block> for Plan {
    fn decode(&self, index: usize, block: &Block) -> Result<Option<Chunk>, ReadError> {
        decode_block(self, index, block)
    }

    fn failed(&self, block: &Block, reason: String) -> ReadError {
        ReadError::Csv {
            file: self.origin.name.clone(),
            line: block.first_line,
            reason,
        }
    }
}

/// True when the bytes hold anything but line breaks.
fn has_record(bytes: &[u8]) -> bool {
    bytes.iter().any(|&b| b != b'\n' && b != b'\r')
}

/// Splits the header record off the first block.
fn split_header(file: &str, first: Block) -> Result<(Vec<String>, Block), ReadError> {
    let mut bytes = first.bytes;
    if bytes.starts_with(b"\xEF\xBB\xBF") {
        bytes = bytes.slice(3..);
    }
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&bytes[..]);
    let mut record = ::csv::ByteRecord::new();
    let found = rdr
        .read_byte_record(&mut record)
        .map_err(|e| csv_error(file, &mut LineCounter::new(&bytes, first.first_line), &e))?;
    if !found {
        return Err(ReadError::Empty {
            file: file.to_string(),
        });
    }
    // Before the names become strings: a header may hold millions of them.
    check_width(file, record.len())?;
    let names = record
        .iter()
        .map(|f| {
            std::str::from_utf8(f)
                .map(str::to_string)
                .map_err(|_| ReadError::NotUtf8 {
                    file: file.to_string(),
                    line: 1,
                    column: None,
                })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let end = (rdr.position().byte() as usize).min(bytes.len());
    let header_lines = count_lines(&bytes[..end]);
    let rest = bytes.slice(end..);
    Ok((
        names,
        Block {
            bytes: rest,
            first_line: first.first_line + header_lines as u64,
            lines: first.lines.saturating_sub(header_lines),
        },
    ))
}

/// A CSV parser error, with the line found from the error's byte position in the block.
fn csv_error(file: &str, lines: &mut LineCounter, e: &::csv::Error) -> ReadError {
    let line = lines.line_at(e.position().map_or(0, |p| p.byte() as usize));
    match e.kind() {
        ::csv::ErrorKind::Utf8 { .. } => ReadError::NotUtf8 {
            file: file.to_string(),
            line,
            column: None,
        },
        ::csv::ErrorKind::Io(io) => ReadError::Csv {
            file: file.to_string(),
            line,
            reason: io.to_string(),
        },
        _ => ReadError::Csv {
            file: file.to_string(),
            line,
            reason: e.to_string(),
        },
    }
}

fn decode_block(plan: &Plan, index: usize, block: &Block) -> Result<Option<Chunk>, ReadError> {
    if !has_record(&block.bytes) {
        return Ok(None);
    }
    let at_block = |reason| plan.failed(block, reason);
    let columns = match decode_fast(plan, &block.bytes, block.lines + 1) {
        Ok(batch) => {
            let rows = batch.num_rows();
            let mut by_file: Vec<Option<arrow::array::ArrayRef>> = vec![None; plan.names.len()];
            for (array, &i) in batch.columns().iter().zip(&plan.projection) {
                by_file[i] = Some(array.clone());
            }
            let cols = arrange(&plan.schema, &plan.mapping, rows, |i, kind| {
                match by_file[i].as_ref() {
                    Some(a) => coerce(a, kind),
                    None => Err("column not decoded".into()),
                }
            })
            .map_err(at_block)?;
            (rows, cols)
        }
        Err(_) => {
            let (rows, mut cols) =
                decode_careful(&plan.origin.name, &plan.names, &plan.kinds, block)?;
            let cols = arrange(&plan.schema, &plan.mapping, rows, |i, _| {
                cols[i]
                    .take()
                    .ok_or_else(|| "column not decoded".to_string())
            })
            .map_err(at_block)?;
            (rows, cols)
        }
    };
    let (rows, columns) = columns;
    if rows == 0 {
        return Ok(None);
    }
    Ok(Some(plan.origin.chunk(index, rows, columns)))
}

/// The fast path: arrow-csv on the pinned types.
fn decode_fast(
    plan: &Plan,
    bytes: &Bytes,
    rows_hint: usize,
) -> Result<RecordBatch, arrow::error::ArrowError> {
    let mut decoder = ReaderBuilder::new(plan.arrow_schema.clone())
        .with_header(false)
        .with_batch_size(rows_hint.max(1))
        .with_projection(plan.projection.clone())
        .build_decoder();
    let mut batches = Vec::with_capacity(1);
    let mut pos = 0;
    loop {
        let n = decoder.decode(&bytes[pos..])?;
        pos += n;
        if decoder.capacity() == 0 {
            if let Some(b) = decoder.flush()? {
                batches.push(b);
            }
            continue;
        }
        if n == 0 || pos >= bytes.len() {
            decoder.decode(&[])?;
            break;
        }
    }
    if let Some(b) = decoder.flush()? {
        batches.push(b);
    }
    match batches.len() {
        0 => Ok(RecordBatch::new_empty(Arc::new(
            plan.arrow_schema.project(&plan.projection)?,
        ))),
        1 => Ok(batches.pop().expect("one batch")),
        _ => arrow::compute::concat_batches(&batches[0].schema(), &batches),
    }
}

/// The careful path: every field checked, invalid numbers counted, errors with line numbers.
/// Returns the rows and, per file column, the decoded column (None when not read).
fn decode_careful(
    file: &str,
    names: &[String],
    kinds: &[Option<ColumnKind>],
    block: &Block,
) -> Result<(usize, Vec<Option<ChunkColumn>>), ReadError> {
    enum Builder {
        Num(Float64Builder, u64),
        Text(StringBuilder),
    }
    let mut builders: Vec<Option<Builder>> = kinds
        .iter()
        .map(|k| {
            k.map(|k| match k {
                ColumnKind::Numeric => Builder::Num(Float64Builder::new(), 0),
                ColumnKind::Text => Builder::Text(StringBuilder::new()),
            })
        })
        .collect();
    let mut rdr = ::csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(&block.bytes[..]);
    let mut record = ::csv::ByteRecord::new();
    let mut rows = 0usize;
    let mut lines = LineCounter::new(&block.bytes, block.first_line);
    loop {
        let more = rdr
            .read_byte_record(&mut record)
            .map_err(|e| csv_error(file, &mut lines, &e))?;
        if !more {
            break;
        }
        let line = lines.line_at(record.position().map_or(0, |p| p.byte() as usize));
        if record.len() != names.len() {
            if record.len() == 1 && record[0].is_empty() {
                continue;
            }
            return Err(ReadError::Ragged {
                file: file.to_string(),
                line,
                expected: names.len(),
                found: record.len(),
            });
        }
        for (i, b) in builders.iter_mut().enumerate() {
            let Some(b) = b else { continue };
            let field = std::str::from_utf8(&record[i]).map_err(|_| ReadError::NotUtf8 {
                file: file.to_string(),
                line,
                column: Some(names[i].clone()),
            })?;
            match b {
                Builder::Num(nb, invalid) => match parse_number(field) {
                    Parsed::Missing => nb.append_null(),
                    Parsed::Number(v) => nb.append_value(v),
                    Parsed::Invalid => {
                        *invalid += 1;
                        nb.append_null();
                    }
                },
                Builder::Text(sb) => {
                    if field.is_empty() {
                        sb.append_null()
                    } else {
                        sb.append_value(text_label(field))
                    }
                }
            }
        }
        rows += 1;
    }
    let cols = builders
        .into_iter()
        .map(|b| {
            b.map(|b| match b {
                Builder::Num(mut nb, invalid) => ChunkColumn::Numeric {
                    values: nb.finish(),
                    invalid,
                },
                Builder::Text(mut sb) => ChunkColumn::Text(sb.finish()),
            })
        })
        .collect();
    Ok((rows, cols))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Input, scan};
    use arrow::array::Array;

    fn read(text: &[u8]) -> Result<(Vec<Chunk>, crate::data::DatasetInfo), ReadError> {
        let input = Input::Memory {
            name: "t.csv".into(),
            bytes: Bytes::copy_from_slice(text),
        };
        let mut chunks = Vec::new();
        let info = scan(&[input], |c| c.clone(), |c| chunks.push(c))?;
        Ok((chunks, info))
    }

    fn numbers(c: &ChunkColumn) -> (Vec<Option<f64>>, u64) {
        match c {
            ChunkColumn::Numeric { values, invalid } => (values.iter().collect(), *invalid),
            _ => panic!("not numeric"),
        }
    }

    #[test]
    fn integers_then_decimals_stay_numeric_and_empty_is_missing() {
        let (chunks, info) = read(b"a,b\n1,x\n2,\n,y\n1.5,z").unwrap();
        assert_eq!(info.schema.columns[0].kind, ColumnKind::Numeric);
        assert_eq!(info.schema.columns[1].kind, ColumnKind::Text);
        let v: Vec<Option<f64>> = chunks
            .iter()
            .flat_map(|c| numbers(&c.columns[0]).0)
            .collect();
        assert_eq!(v, vec![Some(1.0), Some(2.0), None, Some(1.5)]);
        assert_eq!(info.files[0].rows, 4);
        match &chunks[0].columns[1] {
            ChunkColumn::Text(t) => assert_eq!(t.null_count(), 1),
            _ => panic!(),
        }
    }

    #[test]
    fn invalid_number_in_later_block_is_counted_not_fatal() {
        let mut text = b"a,b\n".to_vec();
        for i in 0..10 {
            text.extend_from_slice(format!("{i},{}\n", i * 2).as_bytes());
        }
        text.extend_from_slice(b"abc,3\nnan,inf\n");
        let (chunks, _) = read(&text).unwrap();
        // The first block pins the types, and this tiny file is one block: the typing sees `abc`.
        assert!(!chunks.is_empty());
    }

    #[test]
    fn quoted_fields_with_commas_and_newlines() {
        let (chunks, info) = read(b"id,note\n1,\"a, b\"\n2,\"line\nbreak\"\n").unwrap();
        assert_eq!(info.files[0].rows, 2);
        match &chunks[0].columns[1] {
            ChunkColumn::Text(t) => {
                assert_eq!(t.value(0), "a, b");
                assert_eq!(t.value(1), "line\nbreak");
            }
            _ => panic!(),
        }
    }

    #[test]
    fn ragged_row_names_its_line() {
        let e = read(b"a,b\n1,2\n3\n4,5\n").unwrap_err();
        assert_eq!(
            e.to_string(),
            "`t.csv` line 3: expected 2 fields as in the header, found 1"
        );
    }

    #[test]
    fn semicolon_separated_file_gets_a_warning() {
        let (_, info) = read(b"a;b\n1;2\n").unwrap();
        assert_eq!(info.schema.columns.len(), 1);
        assert_eq!(
            info.warnings,
            vec![
                "`t.csv` has a single column named `a;b`: it looks separated by `;`, but driftscan reads comma-separated files only."
            ]
        );
    }

    #[test]
    fn crlf_and_bom_are_handled() {
        let (chunks, info) = read(b"\xEF\xBB\xBFa,b\r\n1,2\r\n3,4\r\n").unwrap();
        assert_eq!(info.schema.columns[0].name, "a");
        let (v, _) = numbers(&chunks[0].columns[1]);
        assert_eq!(v, vec![Some(2.0), Some(4.0)]);
    }
}

//! JSON lines: one object per line, in either of two shapes.
//!
//! * A plain row: `{"age": 54, "sex": "F"}`.
//! * An Azure ML model-data-collector record (`azureml-ai-monitoring`), whose `data` field holds
//!   an array of row objects: each object in `data` is a row; the envelope fields (`specversion`,
//!   `id`, `time`, `correlationid`, ...) are not. A line may also be a bare array of row objects.
//!
//! Columns are ordered as their keys first appear. JSON numbers are numeric, strings and booleans
//! text; a key whose first-chunk values include objects or arrays is excluded. A key that first
//! appears after the first chunk is not read (the schema is pinned by then).
//!
//! Numbers are read as Python's `json` module writes and reads them: `NaN`, `Infinity` and
//! `-Infinity` (what `json.dumps` writes for non-finite floats) are numbers, and so is a number
//! too large for a double (`1e400` reads as infinity); a UTF-8 byte-order mark before the first
//! line is skipped. Lines are parsed by serde_json; only a line it rejects is rewritten with
//! these spellings replaced, and parsed again.

use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use arrow::array::{Float64Builder, StringArray, StringBuilder};
use serde::de::{self, Deserialize, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use bytes::Bytes;

use super::ReadError;
use super::blocks::{Block, lines};
use super::read::{
    Blocks, Chunk, ChunkColumn, DecodePlan, Decoder, FileContext, Head, Origin, Started,
};
use super::schema::{
    AML_REASON, ColumnKind, DatasetSchema, SchemaColumn, check_width, is_aml_bookkeeping,
};
use super::value::{Parsed, parse_number, text_label};

/// Strings that stand for the non-finite numbers of a rewritten line (see [`python_numbers`]).
/// They start with a NUL character, which no real text value does.
const NAN_MARK: &str = "\u{0}driftscan:NaN";
const INF_MARK: &str = "\u{0}driftscan:Infinity";
const NEG_INF_MARK: &str = "\u{0}driftscan:-Infinity";

/// A JSON string value: one of the marks of a non-finite number, or text.
fn string_value(s: &str) -> JVal {
    if s.starts_with('\u{0}') {
        match s {
            NAN_MARK => return JVal::Num(f64::NAN, false),
            INF_MARK => return JVal::Num(f64::INFINITY, false),
            NEG_INF_MARK => return JVal::Num(f64::NEG_INFINITY, false),
            _ => {}
        }
    }
    JVal::Str(s.to_string())
}

/// One JSON value as a column sees it.
#[derive(Debug, Clone, PartialEq)]
enum JVal {
    Null,
    Num(f64, bool),
    Str(String),
    Bool(bool),
    Nested,
}

struct JValVisitor;

impl<'de> Visitor<'de> for JValVisitor {
    type Value = JVal;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_bool<E>(self, v: bool) -> Result<JVal, E> {
        Ok(JVal::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<JVal, E> {
        Ok(JVal::Num(v as f64, true))
    }
    fn visit_u64<E>(self, v: u64) -> Result<JVal, E> {
        Ok(JVal::Num(v as f64, true))
    }
    fn visit_f64<E>(self, v: f64) -> Result<JVal, E> {
        Ok(JVal::Num(v, false))
    }
    fn visit_str<E>(self, v: &str) -> Result<JVal, E> {
        Ok(string_value(v))
    }
    fn visit_string<E>(self, v: String) -> Result<JVal, E> {
        Ok(match string_value(&v) {
            JVal::Str(_) => JVal::Str(v),
            other => other,
        })
    }
    fn visit_unit<E>(self) -> Result<JVal, E> {
        Ok(JVal::Null)
    }
    fn visit_none<E>(self) -> Result<JVal, E> {
        Ok(JVal::Null)
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<JVal, D::Error> {
        d.deserialize_any(JValVisitor)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JVal, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(JVal::Nested)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JVal, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(JVal::Nested)
    }
}

impl<'de> Deserialize<'de> for JVal {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<JVal, D::Error> {
        d.deserialize_any(JValVisitor)
    }
}

/// A row: keys in file order.
type Row = Vec<(String, JVal)>;

fn read_row<'de, A: MapAccess<'de>>(mut map: A) -> Result<Row, A::Error> {
    let mut row = Vec::new();
    while let Some(key) = map.next_key::<String>()? {
        let v = map.next_value::<JVal>()?;
        row.push((key, v));
    }
    Ok(row)
}

/// The `data` field of a collector record: rows, or something else (then it is a plain column).
enum DataField {
    Rows(Vec<Row>),
    Other(JVal),
}

/// An element of an array: a row object or not.
enum Element {
    Row(Row),
    Other,
}

struct ElementVisitor;

impl<'de> Visitor<'de> for ElementVisitor {
    type Value = Element;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Element, A::Error> {
        read_row(map).map(Element::Row)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Element, A::Error> {
        while seq.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Element::Other)
    }
    fn visit_bool<E>(self, _: bool) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_i64<E>(self, _: i64) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_u64<E>(self, _: u64) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_f64<E>(self, _: f64) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_str<E>(self, _: &str) -> Result<Element, E> {
        Ok(Element::Other)
    }
    fn visit_unit<E>(self) -> Result<Element, E> {
        Ok(Element::Other)
    }
}

impl<'de> Deserialize<'de> for Element {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Element, D::Error> {
        d.deserialize_any(ElementVisitor)
    }
}

fn read_rows<'de, A: SeqAccess<'de>>(mut seq: A) -> Result<Option<Vec<Row>>, A::Error> {
    let mut rows = Vec::new();
    let mut all_rows = true;
    while let Some(e) = seq.next_element::<Element>()? {
        match e {
            Element::Row(r) => rows.push(r),
            Element::Other => all_rows = false,
        }
    }
    Ok(all_rows.then_some(rows))
}

struct DataVisitor;

impl<'de> Visitor<'de> for DataVisitor {
    type Value = DataField;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<DataField, A::Error> {
        Ok(match read_rows(seq)? {
            Some(rows) => DataField::Rows(rows),
            None => DataField::Other(JVal::Nested),
        })
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<DataField, A::Error> {
        while map.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(DataField::Other(JVal::Nested))
    }
    fn visit_bool<E>(self, v: bool) -> Result<DataField, E> {
        Ok(DataField::Other(JVal::Bool(v)))
    }
    fn visit_i64<E>(self, v: i64) -> Result<DataField, E> {
        Ok(DataField::Other(JVal::Num(v as f64, true)))
    }
    fn visit_u64<E>(self, v: u64) -> Result<DataField, E> {
        Ok(DataField::Other(JVal::Num(v as f64, true)))
    }
    fn visit_f64<E>(self, v: f64) -> Result<DataField, E> {
        Ok(DataField::Other(JVal::Num(v, false)))
    }
    fn visit_str<E>(self, v: &str) -> Result<DataField, E> {
        Ok(DataField::Other(string_value(v)))
    }
    fn visit_unit<E>(self) -> Result<DataField, E> {
        Ok(DataField::Other(JVal::Null))
    }
}

impl<'de> Deserialize<'de> for DataField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<DataField, D::Error> {
        d.deserialize_any(DataVisitor)
    }
}

/// The rows one line holds.
struct Line(Vec<Row>);

struct LineVisitor;

impl<'de> Visitor<'de> for LineVisitor {
    type Value = Line;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object (a row, or a collector record with a `data` array)")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Line, A::Error> {
        let mut row = Vec::new();
        let mut data_rows = None;
        while let Some(key) = map.next_key::<String>()? {
            if key == "data" {
                match map.next_value::<DataField>()? {
                    DataField::Rows(rows) => data_rows = Some(rows),
                    DataField::Other(v) => row.push((key, v)),
                }
            } else {
                row.push((key, map.next_value::<JVal>()?));
            }
        }
        Ok(Line(match data_rows {
            Some(rows) => rows,
            None => vec![row],
        }))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Line, A::Error> {
        match read_rows(seq)? {
            Some(rows) => Ok(Line(rows)),
            None => Err(de::Error::custom(
                "expected an array of row objects, found other values in it",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for Line {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Line, D::Error> {
        d.deserialize_any(LineVisitor)
    }
}

/// Parses the lines of a block into rows.
fn parse_block(file: &str, block: &Block) -> Result<Vec<Row>, ReadError> {
    let mut rows = Vec::new();
    for (this, line) in lines(&block.bytes, block.first_line) {
        let line = if this == 1 {
            line.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(line)
        } else {
            line
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let text = std::str::from_utf8(line).map_err(|_| ReadError::NotUtf8 {
            file: file.to_string(),
            line: this,
            column: None,
        })?;
        let parsed: Line = match serde_json::from_str(text) {
            Ok(parsed) => parsed,
            Err(e) => python_numbers(text)
                .and_then(|rewritten| serde_json::from_str(&rewritten).ok())
                .ok_or_else(|| ReadError::Json {
                    file: file.to_string(),
                    line: this,
                    reason: format!("not valid JSON lines: {e}"),
                })?,
        };
        rows.extend(parsed.0);
    }
    Ok(rows)
}

/// The line with Python's spellings of non-finite numbers outside strings (`NaN`, `Infinity`,
/// `-Infinity`, and numbers beyond the range of a double such as `1e400`) replaced by the marks
/// [`string_value`] reads back as numbers; None when the line has none of them.
fn python_numbers(text: &str) -> Option<String> {
    let b = text.as_bytes();
    let mut out = String::with_capacity(text.len() + 32);
    let mut copied = 0;
    let mut changed = false;
    let mut i = 0;
    let replace = |out: &mut String, from: usize, to: usize, mark: &str, copied: &mut usize| {
        out.push_str(&text[*copied..from]);
        out.push('"');
        out.push_str(&mark.replace('\u{0}', "\\u0000"));
        out.push('"');
        *copied = to;
    };
    while i < b.len() {
        match b[i] {
            b'"' => {
                // Skip the string, escapes included.
                i += 1;
                while i < b.len() && b[i] != b'"' {
                    i += if b[i] == b'\\' { 2 } else { 1 };
                }
                i += 1;
            }
            b'N' if b[i..].starts_with(b"NaN") => {
                replace(&mut out, i, i + 3, NAN_MARK, &mut copied);
                changed = true;
                i += 3;
            }
            b'I' if b[i..].starts_with(b"Infinity") => {
                replace(&mut out, i, i + 8, INF_MARK, &mut copied);
                changed = true;
                i += 8;
            }
            b'-' if b[i..].starts_with(b"-Infinity") => {
                replace(&mut out, i, i + 9, NEG_INF_MARK, &mut copied);
                changed = true;
                i += 9;
            }
            b'-' | b'0'..=b'9' => {
                let end = i + b[i..]
                    .iter()
                    .position(|c| !matches!(c, b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9'))
                    .unwrap_or(b.len() - i);
                match text[i..end].parse::<f64>() {
                    Ok(v) if v.is_infinite() => {
                        let mark = if v > 0.0 { INF_MARK } else { NEG_INF_MARK };
                        replace(&mut out, i, end, mark, &mut copied);
                        changed = true;
                    }
                    _ => {}
                }
                i = end.max(i + 1);
            }
            _ => i += 1,
        }
    }
    if !changed {
        return None;
    }
    out.push_str(&text[copied.min(text.len())..]);
    Some(out)
}

/// The schema of the first rows. A field holding nested values is excluded, unless its kind is
/// pinned (a target read with its baseline's kinds): then its nested values count as invalid
/// (a type error), never as a silently dropped column.
fn infer(rows: &[Row], pinned: &[(String, ColumnKind)]) -> DatasetSchema {
    let mut order: Vec<String> = Vec::new();
    let mut stats: HashMap<String, (bool, bool)> = HashMap::new(); // (all numbers, any nested)
    for row in rows {
        for (k, v) in row {
            let e = stats.entry(k.clone()).or_insert_with(|| {
                order.push(k.clone());
                (true, false)
            });
            match v {
                JVal::Null | JVal::Num(..) => {}
                JVal::Nested => e.1 = true,
                _ => e.0 = false,
            }
        }
    }
    let mut schema = DatasetSchema::default();
    for name in order {
        let (numeric, nested) = stats[&name];
        if is_aml_bookkeeping(&name) {
            schema.excluded.push((name, AML_REASON.to_string()));
        } else if nested && !pinned.iter().any(|(n, _)| *n == name) {
            schema
                .excluded
                .push((name, "nested JSON values (objects or arrays)".to_string()));
        } else {
            schema.columns.push(SchemaColumn {
                name,
                kind: if numeric {
                    ColumnKind::Numeric
                } else {
                    ColumnKind::Text
                },
            });
        }
    }
    schema
}

/// How to decode the blocks of one file.
pub(crate) struct Plan {
    origin: Origin,
    schema: Arc<DatasetSchema>,
    positions: HashMap<String, usize>,
}

fn build_chunk(plan: &Plan, index: usize, rows: &[Row]) -> Option<Chunk> {
    if rows.is_empty() {
        return None;
    }
    enum B {
        Num(Float64Builder, u64),
        Text(StringBuilder),
    }
    let n = rows.len();
    let mut builders: Vec<B> = plan
        .schema
        .columns
        .iter()
        .map(|c| match c.kind {
            ColumnKind::Numeric => B::Num(Float64Builder::with_capacity(n), 0),
            ColumnKind::Text => B::Text(StringBuilder::with_capacity(n, n * 8)),
        })
        .collect();
    let mut set = vec![false; builders.len()];
    for row in rows {
        set.iter_mut().for_each(|s| *s = false);
        for (k, v) in row {
            let Some(&i) = plan.positions.get(k) else {
                continue;
            };
            if set[i] {
                continue;
            }
            set[i] = true;
            match &mut builders[i] {
                B::Num(b, invalid) => match v {
                    JVal::Null => b.append_null(),
                    JVal::Num(x, _) => b.append_value(*x),
                    JVal::Str(s) => match parse_number(s) {
                        Parsed::Missing => b.append_null(),
                        Parsed::Number(x) => b.append_value(x),
                        Parsed::Invalid => {
                            *invalid += 1;
                            b.append_null()
                        }
                    },
                    JVal::Bool(_) | JVal::Nested => {
                        *invalid += 1;
                        b.append_null()
                    }
                },
                B::Text(b) => match v {
                    JVal::Null | JVal::Nested => b.append_null(),
                    JVal::Str(s) if s.is_empty() => b.append_null(),
                    JVal::Str(s) => b.append_value(text_label(s)),
                    JVal::Bool(x) => b.append_value(if *x { "true" } else { "false" }),
                    JVal::Num(x, true) if x.abs() < 9.0e15 => {
                        b.append_value(format!("{}", *x as i64))
                    }
                    JVal::Num(x, _) => b.append_value(format!("{x}")),
                },
            }
        }
        for (i, s) in set.iter().enumerate() {
            if !s {
                match &mut builders[i] {
                    B::Num(b, _) => b.append_null(),
                    B::Text(b) => b.append_null(),
                }
            }
        }
    }
    let columns = builders
        .into_iter()
        .map(|b| match b {
            B::Num(mut b, invalid) => ChunkColumn::Numeric {
                values: b.finish(),
                invalid,
            },
            B::Text(mut b) => {
                let a: StringArray = b.finish();
                ChunkColumn::Text(a)
            }
        })
        .collect();
    Some(plan.origin.chunk(index, n, columns))
}

/// The JSON-lines decoder: fed [`Blocks`] of whole lines.
pub(crate) struct JsonDecoder;

impl Decoder for JsonDecoder {
    type Feed = Blocks;
    type Unit = Block;
    type Plan = Plan;

    fn start(&mut self, blocks: &mut Blocks, ctx: &mut FileContext) -> Started<Self> {
        // Pin the schema from the first block that holds rows, however far into the file it is,
        // looking a window at a time. The blocks looked at are decoded again with the rest; those
        // of earlier windows hold no rows and stay only as empty blocks, so that chunk numbers do
        // not depend on where the rows start.
        let mut units = Vec::new();
        while ctx.schema.is_none() {
            let window = blocks.next_window()?;
            if window.is_empty() {
                return Ok(None);
            }
            let mut found = None;
            for block in &window {
                let rows = parse_block(&ctx.name, block)?;
                if !rows.is_empty() {
                    let schema = infer(&rows, ctx.pinned);
                    check_width(&ctx.name, schema.columns.len())?;
                    found = Some(schema);
                    break;
                }
            }
            match found {
                Some(schema) => {
                    ctx.set_schema(schema);
                    units.extend(window);
                }
                None => units.extend(window.into_iter().map(|b| Block {
                    bytes: Bytes::new(),
                    lines: 0,
                    ..b
                })),
            }
        }
        let Some(schema) = ctx.schema.clone() else {
            return Ok(None);
        };
        let positions = schema
            .columns
            .iter()
            .enumerate()
            .map(|(i, c)| (c.name.clone(), i))
            .collect();
        let plan = Plan {
            origin: ctx.origin(),
            schema: Arc::new(schema),
            positions,
        };
        Ok(Some(Head { plan, units }))
    }

    fn next_unit(&mut self, blocks: &mut Blocks) -> Result<Option<Block>, ReadError> {
        blocks.next_block()
    }
}

impl DecodePlan<Block> for Plan {
    fn decode(&self, index: usize, block: &Block) -> Result<Option<Chunk>, ReadError> {
        let rows = parse_block(&self.origin.name, block)?;
        Ok(build_chunk(self, index, &rows))
    }

    fn failed(&self, block: &Block, reason: String) -> ReadError {
        ReadError::Json {
            file: self.origin.name.clone(),
            line: block.first_line,
            reason,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::{Input, scan};
    use arrow::array::Array;

    fn read(text: &str) -> Result<(Vec<Chunk>, crate::data::DatasetInfo), ReadError> {
        let input = Input::Memory {
            name: "t.jsonl".into(),
            bytes: Bytes::copy_from_slice(text.as_bytes()),
        };
        let mut chunks = Vec::new();
        let info = scan(&[input], |c| c.clone(), |c| chunks.push(c))?;
        Ok((chunks, info))
    }

    #[test]
    fn collector_records_are_flattened_and_envelope_ignored() {
        let text = r#"{"specversion":"1.0","id":"x","data":[{"LIMIT_BAL":502970,"AGE":54,"SEX":"2"},{"LIMIT_BAL":293458,"AGE":35,"SEX":"1"}],"correlationid":"c"}
{"specversion":"1.0","id":"y","data":[{"LIMIT_BAL":1,"AGE":null,"SEX":"1"}]}
"#;
        let (chunks, info) = read(text).unwrap();
        let names: Vec<&str> = info
            .schema
            .columns
            .iter()
            .map(|c| c.name.as_str())
            .collect();
        assert_eq!(names, vec!["LIMIT_BAL", "AGE", "SEX"]);
        assert_eq!(info.files[0].rows, 3);
        assert_eq!(info.schema.columns[2].kind, ColumnKind::Text);
        match &chunks[0].columns[1] {
            ChunkColumn::Numeric { values, .. } => assert_eq!(values.null_count(), 1),
            _ => panic!(),
        }
    }

    #[test]
    fn plain_rows_keep_key_order_and_bad_line_is_named() {
        let (_, info) = read("{\"z\":1,\"a\":\"x\"}\n{\"z\":2,\"a\":\"y\"}\n").unwrap();
        assert_eq!(info.schema.columns[0].name, "z");
        let e = read("{\"z\":1}\n{\"z\":\n").unwrap_err();
        assert!(
            e.to_string()
                .starts_with("`t.jsonl` line 2: not valid JSON lines"),
            "{e}"
        );
    }
}

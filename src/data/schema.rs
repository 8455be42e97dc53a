//! How columns are typed and converted: [`ColumnKind`], the pinned [`DatasetSchema`], typing
//! from text (CSV, JSON strings) and from Arrow types (Parquet, record batches), and the
//! conversion of any Arrow array to its pinned kind.

use std::collections::{HashMap, HashSet};

use arrow::array::{Array, ArrayRef, Float64Array, Float64Builder, StringArray};
use arrow::datatypes::DataType;

use super::ReadError;
use super::read::ChunkColumn;
use super::value::{Parsed, parse_number};

/// How a column is read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ColumnKind {
    /// Numbers, as `Float64`.
    Numeric,
    /// Text, as `Utf8` (booleans included).
    Text,
}

impl ColumnKind {
    /// `numeric` or `text`.
    pub fn as_str(self) -> &'static str {
        match self {
            ColumnKind::Numeric => "numeric",
            ColumnKind::Text => "text",
        }
    }

    /// A type a user declares for a column: `numeric`, or `categorical` (Azure ML v2's word in
    /// `feature_data_type_override`) or `text`, which are the same kind here.
    pub fn parse_declared(text: &str) -> Option<ColumnKind> {
        match text.trim().to_ascii_lowercase().as_str() {
            "numeric" | "numerical" => Some(ColumnKind::Numeric),
            "categorical" | "text" => Some(ColumnKind::Text),
            _ => None,
        }
    }
}

/// One column of the pinned schema.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemaColumn {
    /// Name, as in the data.
    pub name: String,
    /// How it is read in every file of the dataset.
    pub kind: ColumnKind,
}

/// The column types every file of one dataset is read with (see the module docs, "Typing").
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DatasetSchema {
    /// Read columns, in the order of the first file.
    pub columns: Vec<SchemaColumn>,
    /// Columns not read, with the reason.
    pub excluded: Vec<(String, String)>,
}

/// True for the bookkeeping columns Azure ML's legacy data collector appends (`$aml_dc_*`, ...).
pub fn is_aml_bookkeeping(name: &str) -> bool {
    name.starts_with("$aml_")
}

/// Reason given for dropped `$aml_*` columns.
pub const AML_REASON: &str = "Azure ML data-collector bookkeeping column";

/// For each pinned column, its position among a file's columns (None when the file lacks it),
/// and the file's columns that the schema neither reads nor excludes. Hash lookups, so that a
/// file of 100,000 columns maps in milliseconds.
pub(crate) fn map_names(
    schema: &DatasetSchema,
    file_names: &[String],
) -> (Vec<Option<usize>>, Vec<usize>) {
    let position: HashMap<&str, usize> = file_names
        .iter()
        .enumerate()
        .rev()
        .map(|(i, n)| (n.as_str(), i))
        .collect();
    let mapping = schema
        .columns
        .iter()
        .map(|c| position.get(c.name.as_str()).copied())
        .collect();
    let known: HashSet<&str> = schema
        .columns
        .iter()
        .map(|c| c.name.as_str())
        .chain(schema.excluded.iter().map(|(n, _)| n.as_str()))
        .collect();
    let extra = file_names
        .iter()
        .enumerate()
        .filter(|(_, n)| !known.contains(n.as_str()) && !is_aml_bookkeeping(n))
        .map(|(i, _)| i)
        .collect();
    (mapping, extra)
}

/// Builds the pinned schema from the first chunk's values as text, following the module docs.
pub(crate) fn infer_kinds(names: &[String], texts: &[Option<StringArray>]) -> DatasetSchema {
    let mut schema = DatasetSchema::default();
    for (name, text) in names.iter().zip(texts) {
        if is_aml_bookkeeping(name) {
            schema.excluded.push((name.clone(), AML_REASON.to_string()));
            continue;
        }
        let Some(text) = text else { continue };
        let numeric = text
            .iter()
            .flatten()
            .all(|v| !matches!(parse_number(v), Parsed::Invalid));
        schema.columns.push(SchemaColumn {
            name: name.clone(),
            kind: if numeric {
                ColumnKind::Numeric
            } else {
                ColumnKind::Text
            },
        });
    }
    schema
}

/// How an Arrow column type (from a Parquet file or a caller's record batches) is read, or None
/// when it is not: integers, floats and decimals (dictionary-encoded ones too) are numeric;
/// strings, dictionaries of strings and booleans are text.
pub(crate) fn kind_of_arrow(dt: &DataType) -> Option<ColumnKind> {
    match dt {
        d if d.is_numeric() => Some(ColumnKind::Numeric),
        DataType::Null => Some(ColumnKind::Numeric),
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View | DataType::Boolean => {
            Some(ColumnKind::Text)
        }
        DataType::Dictionary(_, values) if values.as_ref() != &DataType::Null => {
            kind_of_arrow(values)
        }
        _ => None,
    }
}

/// The pinned schema of data typed by Arrow types; `origin` (`Parquet`, `Arrow`) names them in
/// the reason a column is excluded.
pub(crate) fn schema_from_arrow(
    names: &[String],
    types: &[&DataType],
    origin: &str,
) -> DatasetSchema {
    let mut schema = DatasetSchema::default();
    for (name, dt) in names.iter().zip(types) {
        if is_aml_bookkeeping(name) {
            schema.excluded.push((name.clone(), AML_REASON.to_string()));
            continue;
        }
        match kind_of_arrow(dt) {
            Some(kind) => schema.columns.push(SchemaColumn {
                name: name.clone(),
                kind,
            }),
            None => schema.excluded.push((
                name.clone(),
                format!(
                    "{origin} type {dt} is not compared (only numbers, strings and booleans are)"
                ),
            )),
        }
    }
    schema
}

/// The most columns a file may have: 100,000.
///
/// Every column read keeps state of its own while a dataset is profiled (its statistics, a sketch
/// per worker thread, an Arrow builder per chunk, its share of the row sample): some 6 KB before
/// many values are read. A one-row CSV of a million columns (10 MB) took 5.5 GB and 7 million
/// aborted; 100,000 columns of 20 rows take 585 MB (docs/performance.md), within the 1 GB a
/// profile may reasonably take, and far beyond real feature tables (a detector compares at most
/// 200 features). A wider file is refused as soon as its column names are read, before the
/// memory is spent.
pub const MAX_COLUMNS: usize = 100_000;

/// Refuses a file of more than [`MAX_COLUMNS`] columns.
pub(crate) fn check_width(file: &str, count: usize) -> Result<(), ReadError> {
    if count > MAX_COLUMNS {
        return Err(ReadError::TooManyColumns {
            file: file.to_string(),
            count,
            limit: MAX_COLUMNS,
        });
    }
    Ok(())
}

/// Rejects files of too many columns ([`check_width`]) and duplicate names, and fixes empty
/// names (named `Unnamed: {i}` as pandas does).
pub(crate) fn clean_names(file: &str, names: Vec<String>) -> Result<Vec<String>, ReadError> {
    check_width(file, names.len())?;
    if names.is_empty() || (names.len() == 1 && names[0].trim().is_empty()) {
        return Err(ReadError::NoColumns {
            file: file.to_string(),
        });
    }
    let names: Vec<String> = names
        .into_iter()
        .enumerate()
        .map(|(i, n)| {
            if n.is_empty() {
                format!("Unnamed: {i}")
            } else {
                n
            }
        })
        .collect();
    let mut seen = HashSet::with_capacity(names.len());
    for n in &names {
        if !seen.insert(n.as_str()) {
            return Err(ReadError::DuplicateColumn {
                file: file.to_string(),
                name: n.clone(),
            });
        }
    }
    Ok(names)
}

/// Converts any Arrow array to the column's pinned kind, counting values that do not fit.
pub(crate) fn coerce(array: &ArrayRef, kind: ColumnKind) -> Result<ChunkColumn, String> {
    match kind {
        ColumnKind::Numeric => {
            let dt = array.data_type();
            let numeric = match dt {
                DataType::Dictionary(_, values) => values.is_numeric(),
                d => d.is_numeric(),
            };
            if numeric {
                let cast =
                    arrow::compute::cast(array, &DataType::Float64).map_err(|e| e.to_string())?;
                let values = cast
                    .as_any()
                    .downcast_ref::<Float64Array>()
                    .ok_or("cast to Float64 failed")?
                    .clone();
                return Ok(ChunkColumn::Numeric { values, invalid: 0 });
            }
            if dt == &DataType::Null {
                return Ok(ChunkColumn::nulls(kind, array.len()));
            }
            // Text (or anything else) in a numeric column: read each value leniently.
            let text = to_utf8(array)?;
            let mut b = Float64Builder::with_capacity(text.len());
            let mut invalid = 0u64;
            for v in text.iter() {
                match v.map(parse_number) {
                    None | Some(Parsed::Missing) => b.append_null(),
                    Some(Parsed::Number(x)) => b.append_value(x),
                    Some(Parsed::Invalid) => {
                        invalid += 1;
                        b.append_null()
                    }
                }
            }
            Ok(ChunkColumn::Numeric {
                values: b.finish(),
                invalid,
            })
        }
        ColumnKind::Text => Ok(ChunkColumn::Text(to_utf8(array)?)),
    }
}

fn to_utf8(array: &ArrayRef) -> Result<StringArray, String> {
    let cast = if array.data_type() == &DataType::Utf8 {
        array.clone()
    } else {
        arrow::compute::cast(array, &DataType::Utf8).map_err(|e| e.to_string())?
    };
    let text = cast
        .as_any()
        .downcast_ref::<StringArray>()
        .cloned()
        .ok_or_else(|| "cast to Utf8 failed".to_string())?;
    // Booleans written as text (`True` from pandas) take the one spelling of a boolean category;
    // the array is rebuilt only when some value needs it.
    if text.iter().flatten().any(super::value::is_unusual_boolean) {
        return Ok(text
            .iter()
            .map(|v| v.map(super::value::text_label))
            .collect());
    }
    Ok(text)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn empty_names_are_named_and_duplicates_rejected() {
        let n = clean_names("f", vec!["".into(), "a".into()]).unwrap();
        assert_eq!(n, vec!["Unnamed: 0", "a"]);
        let e = clean_names("f", vec!["a".into(), "a".into()]).unwrap_err();
        assert_eq!(e.to_string(), "`f`: column `a` appears twice in the header");
    }

    #[test]
    fn dictionary_encoded_numbers_are_numeric_and_read_as_numbers() {
        use arrow::array::{DictionaryArray, Int8Array, Int64Array};
        let dt = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Int64));
        assert_eq!(kind_of_arrow(&dt), Some(ColumnKind::Numeric));
        let text = DataType::Dictionary(Box::new(DataType::Int32), Box::new(DataType::Utf8));
        assert_eq!(kind_of_arrow(&text), Some(ColumnKind::Text));
        assert_eq!(kind_of_arrow(&DataType::Date32), None);
        let dict = DictionaryArray::new(
            Int8Array::from(vec![Some(1), None, Some(0)]),
            Arc::new(Int64Array::from(vec![10, 20])),
        );
        let array: ArrayRef = Arc::new(dict);
        match coerce(&array, ColumnKind::Numeric).unwrap() {
            ChunkColumn::Numeric { values, invalid } => {
                assert_eq!(
                    values.iter().collect::<Vec<_>>(),
                    vec![Some(20.0), None, Some(10.0)]
                );
                assert_eq!(invalid, 0);
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn names_map_by_hash_and_extra_columns_are_listed() {
        let schema = DatasetSchema {
            columns: vec![
                SchemaColumn {
                    name: "a".into(),
                    kind: ColumnKind::Numeric,
                },
                SchemaColumn {
                    name: "b".into(),
                    kind: ColumnKind::Text,
                },
            ],
            excluded: vec![("d".into(), "date".into())],
        };
        let names: Vec<String> = ["b", "c", "d", "$aml_x"].map(String::from).to_vec();
        let (mapping, extra) = map_names(&schema, &names);
        assert_eq!(mapping, vec![None, Some(0)]);
        assert_eq!(extra, vec![1]);
    }
}

//! Bytes in, typed Arrow batches out: CSV, Parquet and JSON lines, including both Azure ML
//! model-data-collector layouts.
//!
//! # Model
//!
//! A dataset is one or more [`Input`]s (see [`resolve`] for files, folders and globs), each read
//! through a [`ByteSource`] (a file, bytes in memory, a blob), or a stream of Arrow record
//! batches ([`scan_batches`]). [`scan`] reads the inputs in order, cuts each into chunks of a
//! few MB (CSV and JSON lines at a record end, Parquet by record batch), decodes the chunks in
//! parallel into [`Chunk`]s of Arrow arrays, hands each chunk to a caller's function on the
//! thread pool and the results back to the caller **in chunk order**, so what the caller builds
//! does not depend on thread timing. At most a few chunks per thread are in flight: memory does
//! not grow with the number of rows, and a record longer than [`ReadOptions::max_record_bytes`]
//! is an error, not a reason to hold a whole file.
//!
//! # Where things are
//!
//! * `input`: [`Input`], [`ByteSource`], [`Format`] and the one rule for data-file names
//!   ([`is_data_file_name`]), [`resolve`].
//! * `schema`: [`ColumnKind`], [`DatasetSchema`], typing and the conversion to a pinned kind.
//! * `blocks`: cutting a byte stream into blocks of whole records, in linear time.
//! * `ranges`: random access by range for Parquet, fetched by windows.
//! * `read`: the scan driver ([`scan`], [`scan_with`], [`ReadOptions`], [`Chunk`]): opening,
//!   feeding, the one read loop, and the `Decoder` contract every format implements.
//! * `csv`, `json`, `parquet`, `arrow_stream`: the format decoders, which do no I/O; `value`:
//!   numbers in text.
//! * `error`: [`ReadError`].
//!
//! # Content hash
//!
//! [`DatasetInfo::content_hash`] is the one definition of [`crate::base::hash::ContentHasher`]
//! over the files' stored bytes (compressed ones for `.gz`), computed while the bytes stream past
//! the reader; Parquet files larger than 16 MB are hashed by a sequential pass of their own
//! beside the decoder, which reads by range (see `data::ranges`).
//!
//! # Typing
//!
//! Every file of a dataset is read with one pinned [`DatasetSchema`], taken from the first chunk
//! of the first file: a column is [`ColumnKind::Numeric`] when every non-empty value there reads as
//! a number (JSON: is a JSON number; Parquet: has an integer, float or decimal type), otherwise
//! [`ColumnKind::Text`]. Numbers are always `Float64`, never `Int64`, so a later `1.5` in a column
//! that started with integers is still a number. A value that does not fit the pinned kind (`abc`
//! in a numeric column) is counted as invalid and treated as missing; it never fails the read.
//! Columns named `$aml_*` (bookkeeping of Azure ML's legacy data collector) are dropped, as are
//! Parquet columns of other types (dates, timestamps, nested) and nested JSON values; each with
//! its reason in [`DatasetSchema::excluded`].
//!
//! # Example
//!
//! ```
//! use driftscan::data::{self, ChunkColumn};
//! let inputs = data::resolve("tests/data/basic.csv").unwrap();
//! let mut rows = 0;
//! let info = data::scan(&inputs, |chunk| chunk.rows, |n| rows += n).unwrap();
//! assert_eq!(info.schema.columns[0].name, "age");
//! assert!(rows > 0);
//! ```

mod arrow_stream;
mod blocks;
mod csv;
mod error;
mod input;
mod json;
mod parquet;
mod ranges;
mod read;
mod schema;
pub mod value;

pub use arrow_stream::scan_batches;
pub use blocks::DEFAULT_MAX_RECORD_BYTES;
pub use error::{MAX_RECORD_ENV, ReadError};
pub use input::{
    ByteSource, FileBytes, Format, Input, OpenOnRead, SEQUENTIAL_READ_SIZE, is_data_file_name,
    resolve,
};
pub use read::{
    Chunk, ChunkColumn, DatasetInfo, FileInfo, ReadOptions, parquet_row_groups, read_schema, scan,
    scan_pinned, scan_with,
};
pub use schema::{
    AML_REASON, ColumnKind, DatasetSchema, MAX_COLUMNS, SchemaColumn, is_aml_bookkeeping,
};

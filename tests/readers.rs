//! The readers on hostile and unusual input, one regression test per reader case of issue 12
//! ("Hostile input, hostile callers, bounded resources", cases 8 to 13; see
//! docs/engine.md "Bad values and bad files"), and the readers over a [`ByteSource`] (how the
//! service reads every snapshot) against the same files read from disk.
//!
//! Speed is measured by `scripts/bench_readers.py`, not here; these tests pin what is read and
//! what error a user sees.

use std::io::Write;
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use arrow::array::{
    ArrayRef, DictionaryArray, Float64Array, Int8Array, Int32Array, Int64Array, RecordBatch,
};
use bytes::Bytes;
use driftscan::base::hash::{ContentHasher, sha256};
use driftscan::data::{self, ByteSource, ChunkColumn, Input, ReadError, ReadOptions};
use driftscan::profile::{self, Profile, ProfileOptions};

fn data_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

fn mem(name: &str, bytes: impl Into<Bytes>) -> Input {
    Input::Memory {
        name: name.into(),
        bytes: bytes.into(),
    }
}

/// Rows and chunks read from `inputs`, with the options given.
fn scan_with(inputs: &[Input], options: &ReadOptions) -> Result<(u64, usize), ReadError> {
    let mut chunks = 0;
    let info = data::scan_with(inputs, options, |c| c.rows, |_| chunks += 1)?;
    Ok((info.files.iter().map(|f| f.rows).sum(), chunks))
}

fn limit(mb: usize) -> ReadOptions {
    ReadOptions {
        max_record_bytes: mb << 20,
        ..ReadOptions::default()
    }
}

fn profile_of(inputs: &[Input]) -> Profile {
    profile::build(inputs, &ProfileOptions::default()).expect("profile")
}

/// `rows` ordinary CSV rows `i,i%97.5,item(i%7)` with the given line end.
fn rows_csv(text: &mut Vec<u8>, rows: usize, eol: &[u8]) {
    for i in 0..rows {
        text.extend_from_slice(format!("{i},{}.5,item{}", i % 97, i % 7).as_bytes());
        text.extend_from_slice(eol);
    }
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

// ---------------------------------------------------------------------------------------------
// Case 8: a first data record that does not fit in the first block

/// Issue 12, case 8: `5" screen` in the first data record of a file larger than a block was
/// dropped whole as "has no rows". A quote inside an unquoted field is a plain character.
#[test]
fn issue12_case8_stray_quote_in_the_first_record_keeps_every_row() {
    let mut text = b"size,price,label\n5,10.5,5\" screen\n".to_vec();
    rows_csv(&mut text, 300_000, b"\n");
    assert!(text.len() > 5 << 20);
    let mut labels = Vec::new();
    let info = data::scan(
        &[mem("q.csv", text)],
        |c| match &c.columns[2] {
            ChunkColumn::Text(t) if c.index == 0 => Some(t.value(0).to_string()),
            _ => None,
        },
        |l| labels.extend(l),
    )
    .expect("scan");
    assert_eq!(info.files[0].rows, 300_001);
    assert_eq!(labels, vec!["5\" screen"]);
}

/// Issue 12, case 8: an unclosed quote in the first record was "has no rows"; it is an error
/// naming the line where the quote opens (and, past the maximum record size, saying so).
#[test]
fn issue12_case8_unclosed_quote_is_an_error_naming_its_line() {
    let mut text = b"size,price,label\n5,10.5,\"never closed\n".to_vec();
    rows_csv(&mut text, 300_000, b"\n");
    let e = scan_with(&[mem("u.csv", text.clone())], &ReadOptions::default()).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`u.csv` line 2: a quoted field opens here and is never closed (a `\"` at the start of a field opens quotes; inside quotes, write `\"\"` for a quote)"
    );
    let e = scan_with(&[mem("u.csv", text)], &limit(1)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`u.csv` line 2: a record longer than 1 MB (a quoted field opened on line 2 is still open: a quote that is never closed?); the limit is `ReadOptions::max_record_bytes` or the environment variable DRIFTSCAN_MAX_RECORD_MB (in MB)"
    );
}

/// Issue 12, case 8: a first record of 6 MB (longer than a block) was "has no rows"; in a
/// folder the file was skipped with only a warning.
#[test]
fn issue12_case8_first_record_longer_than_a_block_is_read() {
    let mut text = b"size,price,label\n1,2.5,".to_vec();
    text.extend(std::iter::repeat_n(b'x', 6 << 20));
    text.push(b'\n');
    rows_csv(&mut text, 100_000, b"\n");
    let mut longest = 0;
    let info = data::scan(
        &[mem("long.csv", text.clone())],
        |c| match &c.columns[2] {
            ChunkColumn::Text(t) => t.iter().flatten().map(str::len).max().unwrap_or(0),
            _ => 0,
        },
        |n| longest = longest.max(n),
    )
    .expect("scan");
    assert_eq!(info.files[0].rows, 100_001);
    assert_eq!(longest, 6 << 20);

    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join("a.csv"), &text).expect("write");
    let mut other = b"size,price,label\n".to_vec();
    rows_csv(&mut other, 10, b"\n");
    std::fs::write(dir.path().join("b.csv"), &other).expect("write");
    let inputs = data::resolve(dir.path().to_str().expect("path")).expect("resolve");
    let info = data::scan(&inputs, |c| c.rows, |_| {}).expect("folder");
    assert_eq!(
        info.files.iter().map(|f| f.rows).collect::<Vec<_>>(),
        vec![100_001, 10]
    );
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);
}

// ---------------------------------------------------------------------------------------------
// Case 9: CR-only line endings

/// Issue 12, case 9: old Mac "CSV (Macintosh)" files end lines with `\r` alone; a 43 MB one took
/// 4.9 GB as one block. They read as the same rows as the LF file, in blocks, with line numbers.
#[test]
fn issue12_case9_cr_only_line_endings_read_like_lf_in_blocks() {
    let mut cr = b"size,price,label\r".to_vec();
    rows_csv(&mut cr, 400_000, b"\r");
    let mut lf = b"size,price,label\n".to_vec();
    rows_csv(&mut lf, 400_000, b"\n");
    assert!(cr.len() > 5 << 20);
    let (rows, chunks) =
        scan_with(&[mem("mac.csv", cr.clone())], &ReadOptions::default()).expect("cr-only");
    assert_eq!(rows, 400_000);
    assert!(chunks > 1, "{} bytes read as one chunk", cr.len());
    let p_cr = profile_of(&[mem("x.csv", cr)]);
    let p_lf = profile_of(&[mem("x.csv", lf)]);
    // Blocks end at other bytes (a `\r` last in a read waits for the next byte); profiles do not
    // depend on where chunks end, so the two are the same.
    assert_eq!(p_cr.rows, p_lf.rows);
    assert_eq!(p_cr.statistics_bytes(), p_lf.statistics_bytes());
    let e = scan_with(
        &[mem("mac.csv", &b"a,b\r1,2\r3,4\r5\r6,7\r"[..])],
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert_eq!(
        e.to_string(),
        "`mac.csv` line 4: expected 2 fields as in the header, found 1"
    );
}

// ---------------------------------------------------------------------------------------------
// Case 10: long lines, linear and bounded

/// Issue 12, case 10: the block reader was quadratic past 4 MB (a 200 MB line took 64 s). A
/// long record is read whole up to the maximum record size and refused beyond it, with the
/// line it starts on.
#[test]
fn issue12_case10_long_line_is_read_within_the_maximum_and_refused_beyond() {
    let mut text = b"size,price,label\n1,2.5,ok\n2,3.5,".to_vec();
    text.extend(std::iter::repeat_n(b'y', 12 << 20));
    text.extend_from_slice(b"\n3,4.5,z\n");
    let (rows, _) = scan_with(&[mem("l.csv", text.clone())], &limit(16)).expect("within");
    assert_eq!(rows, 3);
    let e = scan_with(&[mem("l.csv", text)], &limit(8)).unwrap_err();
    assert_eq!(
        e.to_string(),
        "`l.csv` line 3: a record longer than 8 MB; the limit is `ReadOptions::max_record_bytes` or the environment variable DRIFTSCAN_MAX_RECORD_MB (in MB)"
    );
}

/// Issue 12, case 10: a small `.csv.gz` that expands to one huge line would have taken hours;
/// it is refused once the line passes the maximum record size, having read little more.
#[test]
fn issue12_case10_small_gzip_of_one_huge_line_is_refused() {
    let mut line = b"size,label\n1,".to_vec();
    line.extend(std::iter::repeat_n(b'z', 96 << 20));
    line.push(b'\n');
    let gz = gzip(&line);
    drop(line);
    assert!(gz.len() < 1 << 20, "{} bytes of gzip", gz.len());
    let e = scan_with(&[mem("bomb.csv.gz", gz)], &limit(8)).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("`bomb.csv.gz` line 2: a record longer than 8 MB"),
        "{e}"
    );
}

/// Issue 12, case 10: a 100 MB JSON line took 16 s. A long line is read within the maximum
/// record size (a collector record carrying many rows) and refused beyond it.
#[test]
fn issue12_case10_long_json_line_is_read_within_the_maximum_and_refused_beyond() {
    let mut text = b"{\"data\":[".to_vec();
    let row = b"{\"a\":1.5,\"b\":\"some text\"},";
    let n = (10 << 20) / row.len();
    for _ in 0..n {
        text.extend_from_slice(row);
    }
    text.extend_from_slice(b"{\"a\":2,\"b\":\"x\"}]}\n{\"a\":3,\"b\":\"y\"}\n");
    let (rows, _) = scan_with(&[mem("j.jsonl", text.clone())], &limit(16)).expect("within");
    assert_eq!(rows, n as u64 + 2);
    let e = scan_with(&[mem("j.jsonl", text)], &limit(4)).unwrap_err();
    assert!(
        e.to_string()
            .starts_with("`j.jsonl` line 1: a record longer than 4 MB"),
        "{e}"
    );
}

// ---------------------------------------------------------------------------------------------
// Case 12: corrupt Parquet

/// The outcome of scanning `input`: Ok, or a refusal the readers give for corrupt files; any
/// other error fails the test (a panic fails it too).
fn refused(input: Input, options: &ReadOptions) -> bool {
    let name = input.name();
    match data::scan_with(&[input], options, |c| c.rows, |_| {}) {
        Ok(_) => false,
        Err(ReadError::Parquet { reason, .. }) => {
            assert!(!reason.contains('\n'), "{name}: {reason}");
            true
        }
        Err(
            ReadError::NoRows { .. }
            | ReadError::NoColumns { .. }
            | ReadError::Empty { .. }
            | ReadError::DuplicateColumn { .. },
        ) => true,
        Err(e) => panic!("{name}: unexpected error {e}"),
    }
}

/// Issue 12, case 12: byte-flipped Parquet files panicked inside parquet/arrow (exit 101). The
/// fuzz regression files of Apache Arrow and bit-flipped copies of a Parquet file of several row
/// groups, read in-process from disk, from memory and from a byte source by range, give a result
/// or a Parquet error; a panic would fail this test. (`tests/fuzz.rs` runs files through the
/// binary under a memory limit.)
#[test]
fn issue12_case12_corrupt_parquet_is_an_error_never_a_panic() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(data_path("fuzz/parquet"))
        .expect("corpus")
        .map(|e| e.expect("entry").path())
        .collect();
    files.sort();
    let by_range = ReadOptions {
        parquet_whole_file_bytes: 0,
        ..ReadOptions::default()
    };
    let mut count = 0;
    for file in &files {
        let whole = refused(Input::File(file.clone()), &ReadOptions::default());
        let bytes = std::fs::read(file).expect("read");
        let source = Counting::new(&file.display().to_string(), bytes);
        assert_eq!(
            refused(Input::Source(source), &by_range),
            whole,
            "{}",
            file.display()
        );
        count += whole as usize;
    }
    assert!(
        count > files.len() / 2,
        "{count} of {} refused",
        files.len()
    );
    let seed = several_row_groups();
    assert!(seed.len() > 128 << 10, "{} bytes", seed.len());
    assert!(!refused(mem("seed.parquet", seed.clone()), &by_range));
    let mut rng = driftscan::base::rng::SplitMix64::new(12);
    for k in 0..200 {
        let mut copy = seed.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(copy.len());
            copy[at] ^= 1 << rng.below(8);
        }
        if k % 10 == 9 {
            copy.truncate(rng.below(copy.len()));
        }
        refused(Input::Source(Counting::new("m.parquet", copy)), &by_range);
    }
    // These four made the binary panic (exit 101) inside parquet-rs 60.1 (delta byte-array and
    // byte-stream-split decoders, `decoding.rs:773`): now an error with the decoder's message.
    for name in [
        "clusterfuzz-testcase-minimized-parquet-arrow-fuzz-4738122420715520",
        "clusterfuzz-testcase-minimized-parquet-arrow-fuzz-5670235492581376",
        "clusterfuzz-testcase-minimized-parquet-arrow-fuzz-6696667471020032",
        "crash-61d6204d481340860da54e30f1937b67234ad0f7",
    ] {
        let file = data_path(&format!("fuzz/parquet/{name}.parquet"));
        let e = data::scan(&[Input::File(file.clone())], |c| c.rows, |_| {}).unwrap_err();
        let prefix = format!("`{}`: cannot read Parquet: ", file.display());
        assert!(e.to_string().starts_with(&prefix), "{e}");
        assert!(!e.to_string().contains('\n'), "{e}");
    }
}

// ---------------------------------------------------------------------------------------------
// Case 13: Python's JSON, dictionary-encoded Parquet numbers, very wide CSV

/// Issue 12, case 13: JSON lines with `1e400`, a bare `NaN` (Python's `json.dumps` default) or a
/// byte-order mark failed the whole file. They read as Python reads them.
#[test]
fn issue12_case13_json_lines_read_as_python_writes_them() {
    let text = "\u{feff}{\"x\": 1.5, \"s\": \"NaN\", \"t\": \"a\"}\n\
                {\"x\": NaN, \"s\": \"text with Infinity\", \"t\": \"b\"}\n\
                {\"x\": Infinity, \"s\": \"x\", \"t\": \"a\"}\n\
                {\"x\":-Infinity,\"s\":\"y\",\"t\":\"b\"}\n\
                {\"x\": 1e400, \"s\": \"z\", \"t\": \"a\"}\n\
                {\"x\": -1e400, \"s\": \"NaN\", \"t\": \"b\"}\n\
                {\"x\": 2, \"s\": \"w\", \"t\": \"a\"}\n";
    let p = profile_of(&[mem("py.jsonl", text.as_bytes().to_vec())]);
    let x = p.numeric("x").expect("x is numeric");
    assert_eq!((x.rows, x.count, x.non_finite, x.missing), (7, 2, 5, 0));
    assert_eq!(x.mean(), 1.75);
    // Strings that spell these words stay text.
    assert!(p.text("s").is_some());
    // A line that is not JSON at all is still an error naming its line.
    let e = scan_with(
        &[mem("py.jsonl", &b"{\"x\": NaN}\n{\"x\": nan}\n"[..])],
        &ReadOptions::default(),
    )
    .unwrap_err();
    assert!(
        e.to_string()
            .starts_with("`py.jsonl` line 2: not valid JSON lines"),
        "{e}"
    );
}

fn write_parquet(batch: &RecordBatch) -> Vec<u8> {
    let mut buf = Vec::new();
    let mut w =
        parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), None).expect("writer");
    w.write(batch).expect("write");
    w.close().expect("close");
    buf
}

/// 20,000 rows in row groups of 4,500 and pages of 500 rows: plain, dictionary-encoded and
/// nullable columns, snappy-compressed; larger than the footer range fetched first (64 KB).
fn several_row_groups() -> Vec<u8> {
    let n = 20_000;
    let keys = Int8Array::from_iter_values((0..n).map(|i| (i % 6) as i8));
    let labels = DictionaryArray::new(
        keys,
        Arc::new(arrow::array::StringArray::from(vec![
            "a", "b", "c", "d", "e", "f",
        ])),
    );
    let batch = RecordBatch::try_from_iter(vec![
        (
            "i",
            Arc::new(Int64Array::from_iter_values(
                (0..n).map(|i| i * 7919 % 1_000_003),
            )) as ArrayRef,
        ),
        (
            "f",
            Arc::new(Float64Array::from_iter(
                (0..n).map(|i| (i % 11 != 0).then_some(i as f64 * 0.5)),
            )) as ArrayRef,
        ),
        ("label", Arc::new(labels) as ArrayRef),
    ])
    .expect("batch");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(4500))
        .set_data_page_row_count_limit(500)
        .set_write_batch_size(500)
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))
        .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    buf
}

/// Issue 12, case 13: dictionary-encoded integer Parquet columns (a pandas categorical of
/// integers) were left out as unsupported. They are numeric.
#[test]
fn issue12_case13_dictionary_encoded_numeric_parquet_columns_are_read() {
    let n = 1000;
    let keys = Int8Array::from_iter_values((0..n).map(|i| (i % 4) as i8));
    let codes = DictionaryArray::new(keys.clone(), Arc::new(Int64Array::from(vec![1, 2, 3, 4])));
    let keys32 = Int32Array::from_iter_values((0..n).map(|i| i % 2));
    let rates = DictionaryArray::new(keys32, Arc::new(Float64Array::from(vec![0.5, 1.5])));
    let batch = RecordBatch::try_from_iter(vec![
        ("code", Arc::new(codes) as ArrayRef),
        ("rate", Arc::new(rates) as ArrayRef),
    ])
    .expect("batch");
    let p = profile_of(&[mem("d.parquet", write_parquet(&batch))]);
    assert!(p.excluded.is_empty(), "{:?}", p.excluded);
    assert_eq!(p.numeric("code").expect("code numeric").mean(), 2.5);
    assert_eq!(p.numeric("rate").expect("rate numeric").mean(), 1.0);
}

/// Issue 12, case 13: a CSV of 100,000 columns and 20 rows took 34 s to profile (the column
/// mapping compared every name with every other). It reads with every column.
#[test]
fn issue12_case13_csv_of_100000_columns_is_read() {
    let cols = 100_000;
    let mut text = (0..cols)
        .map(|i| format!("c{i}"))
        .collect::<Vec<_>>()
        .join(",");
    text.push('\n');
    for r in 0..20 {
        let row: Vec<String> = (0..cols).map(|i| ((r * 7 + i) % 13).to_string()).collect();
        text.push_str(&row.join(","));
        text.push('\n');
    }
    let info = data::scan(
        &[mem("wide.csv", text.clone())],
        |c| c.columns.len(),
        |n| assert_eq!(n, cols),
    )
    .expect("scan");
    assert_eq!(info.schema.columns.len(), cols);
    assert_eq!(info.files[0].rows, 20);
    // A second file of the same columns in another order maps by name.
    let mut names: Vec<String> = (0..cols).map(|i| format!("c{i}")).collect();
    names.reverse();
    let mut reversed = names.join(",");
    reversed.push('\n');
    reversed.push_str(&(0..cols).map(|_| "1").collect::<Vec<_>>().join(","));
    reversed.push('\n');
    let info = data::scan(
        &[mem("wide.csv", text), mem("reversed.csv", reversed)],
        |c| c.rows,
        |_| {},
    )
    .expect("two files");
    assert_eq!(info.files[1].rows, 1);
    assert!(info.warnings.is_empty(), "{:?}", info.warnings);
}

// ---------------------------------------------------------------------------------------------
// Readers over a byte source (the service's path)

/// A file in memory as a [`ByteSource`] that counts what is fetched, as a blob would be.
#[derive(Debug)]
struct Counting {
    name: String,
    bytes: Bytes,
    fetched: AtomicU64,
    largest: AtomicU64,
    calls: AtomicU64,
}

impl Counting {
    fn new(name: &str, bytes: impl Into<Bytes>) -> Arc<Counting> {
        Arc::new(Counting {
            name: name.to_string(),
            bytes: bytes.into(),
            fetched: AtomicU64::new(0),
            largest: AtomicU64::new(0),
            calls: AtomicU64::new(0),
        })
    }
}

impl ByteSource for Counting {
    fn name(&self) -> &str {
        &self.name
    }

    fn len(&self) -> u64 {
        self.bytes.len() as u64
    }

    fn read_range(&self, range: Range<u64>) -> std::io::Result<Bytes> {
        let end = (range.end as usize).min(self.bytes.len());
        let start = (range.start as usize).min(end);
        let n = (end - start) as u64;
        self.fetched.fetch_add(n, Ordering::Relaxed);
        self.largest.fetch_max(n, Ordering::Relaxed);
        self.calls.fetch_add(1, Ordering::Relaxed);
        Ok(self.bytes.slice(start..end))
    }
}

/// Every fixture format read through a byte source gives the very profile read from disk
/// (values, file names, sizes and content hash).
#[test]
fn a_byte_source_reads_like_the_file_for_every_format() {
    let dir = tempfile::tempdir().expect("tempdir");
    let gz = dir.path().join("basic.csv.gz");
    std::fs::write(
        &gz,
        gzip(&std::fs::read(data_path("basic.csv")).expect("fixture")),
    )
    .expect("write");
    let parquet = dir.path().join("d.parquet");
    let batch = RecordBatch::try_from_iter(vec![(
        "x",
        Arc::new(Float64Array::from_iter_values((0..5000).map(|i| i as f64))) as ArrayRef,
    )])
    .expect("batch");
    std::fs::write(&parquet, write_parquet(&batch)).expect("write");
    for path in [
        data_path("basic.csv"),
        data_path("azureml/collector.jsonl"),
        data_path("azureml/legacy_inputs.csv"),
        gz,
        parquet,
    ] {
        let name = path.display().to_string();
        let from_file = profile_of(&[Input::File(path.clone())]);
        let source = Counting::new(&name, std::fs::read(&path).expect("read"));
        let from_source = profile_of(&[Input::Source(source.clone())]);
        assert_eq!(from_source.to_bytes(), from_file.to_bytes(), "{name}");
        // Every byte fetched once (the file is small: Parquet is fetched whole, once).
        assert_eq!(
            source.fetched.load(Ordering::Relaxed),
            source.len(),
            "{name}"
        );
    }
}

/// The content hash is the one definition of `ContentHasher` over the stored bytes, also for a
/// gzipped file (compressed bytes), so a baseline hashed by streaming and one profiled agree.
#[test]
fn content_hash_covers_the_stored_bytes() {
    let csv = std::fs::read(data_path("basic.csv")).expect("fixture");
    let gz = gzip(&csv);
    let info = data::scan(
        &[
            mem("a/basic.csv", csv.clone()),
            mem("b/day.csv.gz", gz.clone()),
        ],
        |c| c.rows,
        |_| {},
    )
    .expect("scan");
    let mut want = ContentHasher::new();
    want.add_file("basic.csv", csv.len() as u64, &sha256(&csv));
    want.add_file("day.csv.gz", gz.len() as u64, &sha256(&gz));
    assert_eq!(info.content_hash, want.finish());
}

/// A Parquet blob larger than the whole-file threshold is read by range: no read is larger than
/// the sequential reader's ranges, the decoder's windows are a few MB, and the bytes fetched stay
/// within the file once for the hash plus the columns read.
#[test]
fn a_large_parquet_source_is_read_by_range_never_whole() {
    let n = 1_200_000usize;
    let col = |k: usize| {
        Arc::new(Float64Array::from_iter_values(
            (0..n).map(move |i| ((i * (k + 3)) % 1009) as f64 + 0.25),
        )) as ArrayRef
    };
    let batch = RecordBatch::try_from_iter(vec![("a", col(0)), ("b", col(1)), ("c", col(2))])
        .expect("batch");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_dictionary_enabled(false)
        .set_compression(parquet::basic::Compression::UNCOMPRESSED)
        .build();
    let mut bytes = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut bytes, batch.schema(), Some(props))
        .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    let len = bytes.len() as u64;
    assert!(len > 24 << 20, "{len} bytes");
    let source = Counting::new("big.parquet", bytes.clone());
    let from_source = profile_of(&[Input::Source(source.clone())]);
    let from_memory = profile_of(&[mem("big.parquet", bytes)]);
    assert_eq!(from_source.to_bytes(), from_memory.to_bytes());
    let largest = source.largest.load(Ordering::Relaxed);
    assert!(
        largest <= data::SEQUENTIAL_READ_SIZE,
        "a read of {largest} bytes"
    );
    let fetched = source.fetched.load(Ordering::Relaxed);
    assert!(
        fetched <= 2 * len + (64 << 10),
        "{fetched} bytes fetched for {len}"
    );
    assert_eq!(from_source.rows, n as u64);

    // A file of several row groups read by range, however small, gives the same values and
    // content hash as read whole.
    let small = several_row_groups();
    let sum = |c: &data::Chunk| match &c.columns[0] {
        ChunkColumn::Numeric { values, .. } => values.iter().flatten().sum::<f64>(),
        _ => f64::NAN,
    };
    let read = |options: &ReadOptions| {
        let mut total = 0.0;
        let source = Counting::new("s.parquet", small.clone());
        let info =
            data::scan_with(&[Input::Source(source)], options, sum, |s| total += s).expect("scan");
        (total, info.content_hash, info.files[0].rows)
    };
    let by_range = ReadOptions {
        parquet_whole_file_bytes: 0,
        ..ReadOptions::default()
    };
    assert_eq!(read(&by_range), read(&ReadOptions::default()));
}

/// A column that is numeric in the dataset's first file and text in a later one is a type
/// change between files: each later value counts as missing, and a warning names the files.
#[test]
fn a_column_whose_type_changes_between_files_is_named_with_its_files() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().join("day");
    std::fs::create_dir(&folder).unwrap();
    std::fs::write(folder.join("a.csv"), "x,g\n1.5,u\n2.5,v\n3.5,u\n").unwrap();
    std::fs::write(folder.join("b.csv"), "x,g\n4.5,u\nfour,v\n").unwrap();
    std::fs::write(folder.join("c.csv"), "x,g\nten,u\neleven,v\ntwelve,u\n").unwrap();
    let inputs = data::resolve(folder.to_str().unwrap()).unwrap();
    let info = data::scan(&inputs, |c| c.rows, |_| {}).unwrap();
    let prefix = format!("{}/", folder.display());
    let warnings: Vec<String> = info
        .warnings
        .iter()
        .filter(|w| w.contains("`x`"))
        .map(|w| w.replace(&prefix, ""))
        .collect();
    assert_eq!(
        warnings,
        [
            "`x` is read as numbers, but 2 of the dataset's 3 files hold values in it that are not: `b.csv` (1 of 2 rows), `c.csv` (3 of 3 rows); they count as missing."
        ],
        "{:?}",
        info.warnings
    );
    // One file's unreadable values are its quality, not a type change: no such warning.
    let one = data::resolve(folder.join("b.csv").to_str().unwrap()).unwrap();
    let info = data::scan(&one, |c| c.rows, |_| {}).unwrap();
    assert!(
        info.warnings
            .iter()
            .all(|w| !w.contains("is read as numbers")),
        "{:?}",
        info.warnings
    );
}

/// A boolean feature has the same categories whatever the format: Parquet's and JSON's booleans
/// and pandas' `True`/`False` in CSV are the categories `true` and `false` alike, so a baseline
/// in Parquet and a snapshot in CSV do not disagree on every row.
#[test]
fn a_boolean_column_has_the_same_categories_in_every_format() {
    let flags = arrow::array::BooleanArray::from(vec![true, false, true, true]);
    let batch = RecordBatch::try_from_iter([("flag", Arc::new(flags) as ArrayRef)]).unwrap();
    let inputs = [
        mem("flags.parquet", write_parquet(&batch)),
        mem("flags.csv", "flag\nTrue\nFalse\nTRUE\ntrue\n"),
        mem(
            "flags.jsonl",
            "{\"flag\": true}\n{\"flag\": \"False\"}\n{\"flag\": \"True\"}\n{\"flag\": true}\n",
        ),
    ];
    for input in inputs {
        let name = input.name();
        let p = profile::build(&[input], &ProfileOptions::default()).unwrap();
        let mut categories = p.columns[0].text().expect("a text column").categories();
        categories.sort();
        assert_eq!(categories, vec![("false", 1), ("true", 3)], "{name}");
    }
}

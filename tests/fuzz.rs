//! Hostile files through the whole scan path, one `driftscan` process per file under a memory
//! limit and a timeout: every file must end in success (exit 0) or a one-line error (exit 2),
//! never a panic, an abort or a hang.
//!
//! The corpus: the fuzz regression files of Apache Arrow's test data (`tests/data/fuzz/`, see
//! `tests/data/README.md`), plus byte-flipped and truncated copies of driftscan's own fixtures
//! (CSV with LF and CR-only line ends, JSON lines as Python writes them, gzip, and a Parquet file
//! written here with dictionary and plain pages), generated at test time from a fixed seed. Data
//! files go through `driftscan profile`; saved profiles (valid ones, and truncated, bit-flipped
//! and inflated copies: a payload damaged and recompressed, a header declaring more than the
//! payload, streams that inflate far past what the header declares) through
//! `driftscan profile merge`, which reads them.

use std::ffi::OsStr;
use std::io::Read;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use driftscan::base::rng::SplitMix64;

/// Address space one run may use: far above what a 1 MB file needs, far below the machine's.
const MEMORY_LIMIT: u64 = 2 << 30;
/// Wall time one run may take (the debug binary, on a busy machine).
const TIMEOUT: Duration = Duration::from_secs(60);
/// Mutated copies made of each seed file.
const FLIPPED: usize = 40;
const TRUNCATED: usize = 10;

fn data_path(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(rel)
}

/// What one run ended with.
pub(crate) struct Outcome {
    /// What ran, for messages.
    pub label: String,
    pub code: Option<i32>,
    pub stderr: String,
    pub elapsed: Duration,
}

/// Limits a child process runs under.
#[derive(Clone, Copy)]
pub(crate) struct Limits {
    /// `RLIMIT_AS`, in bytes.
    pub address_space: u64,
    /// `RLIMIT_NOFILE`, when set.
    pub open_files: Option<u64>,
    /// Wall time before the process is killed.
    pub timeout: Duration,
}

/// The limits of the fuzz runs.
pub(crate) const FUZZ_LIMITS: Limits = Limits {
    address_space: MEMORY_LIMIT,
    open_files: None,
    timeout: TIMEOUT,
};

/// Runs `driftscan` with `args` under `limits` (set between fork and exec), killing it at the
/// timeout (then `code` is `Some(-1)`).
pub(crate) fn run_limited<S: AsRef<OsStr>>(args: &[S], limits: Limits) -> Outcome {
    let start = Instant::now();
    let label = args
        .iter()
        .map(|a| a.as_ref().to_string_lossy().into_owned())
        .collect::<Vec<_>>()
        .join(" ");
    let mut command = Command::new(env!("CARGO_BIN_EXE_driftscan"));
    command
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped());
    // SAFETY: setrlimit is async-signal-safe; nothing else runs between fork and exec.
    unsafe {
        command.pre_exec(move || {
            let set = |resource, value: u64| {
                let limit = libc::rlimit {
                    rlim_cur: value,
                    rlim_max: value,
                };
                if libc::setrlimit(resource, &limit) != 0 {
                    return Err(std::io::Error::last_os_error());
                }
                Ok(())
            };
            set(libc::RLIMIT_AS, limits.address_space)?;
            if let Some(n) = limits.open_files {
                set(libc::RLIMIT_NOFILE, n)?;
            }
            Ok(())
        });
    }
    let mut child = command.spawn().expect("driftscan starts");
    let mut stderr = child.stderr.take().expect("stderr");
    let reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    let code = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status.code();
        }
        if start.elapsed() > limits.timeout {
            let _ = child.kill();
            let _ = child.wait();
            break Some(-1);
        }
        std::thread::sleep(Duration::from_millis(5));
    };
    Outcome {
        label,
        code,
        stderr: reader.join().unwrap_or_default(),
        elapsed: start.elapsed(),
    }
}

/// Reads `file` with the command that reads its kind: `driftscan profile` for data,
/// `driftscan profile merge` for a saved profile.
fn read_one(file: &Path, out: &Path) -> Outcome {
    let (file, out) = (file.as_os_str(), out.as_os_str());
    let args: Vec<&OsStr> = if file.to_string_lossy().ends_with(".profile") {
        vec![
            "profile".as_ref(),
            "merge".as_ref(),
            file,
            "--out".as_ref(),
            out,
        ]
    } else {
        vec![
            "profile".as_ref(),
            "--input".as_ref(),
            file,
            "--out".as_ref(),
            out,
        ]
    };
    run_limited(&args, FUZZ_LIMITS)
}

/// Why an outcome is not acceptable (a signal, a timeout, a panic, an exit other than 0 or 2 with
/// one `error:` line), if it is not.
pub(crate) fn defect(o: &Outcome) -> Option<String> {
    let lines: Vec<&str> = o.stderr.lines().filter(|l| !l.trim().is_empty()).collect();
    let errors: Vec<&&str> = lines.iter().filter(|l| l.starts_with("error: ")).collect();
    let why = match o.code {
        Some(-1) => format!("still running after {TIMEOUT:?}"),
        None => "killed by a signal (crash or out of memory)".to_string(),
        Some(0) if errors.is_empty() => return None,
        Some(2) if errors.len() == 1 && !o.stderr.contains("panicked") => return None,
        Some(code) => format!("exit {code}"),
    };
    Some(format!(
        "{}: {why} after {:.1} s; stderr: {}",
        o.label,
        o.elapsed.as_secs_f64(),
        o.stderr.trim()
    ))
}

/// A Parquet file of a few hundred rows: integers, floats with nulls, dictionary-encoded
/// strings and integers, booleans, in several row groups and pages.
fn parquet_seed() -> Vec<u8> {
    use arrow::array::{
        ArrayRef, BooleanArray, DictionaryArray, Float64Array, Int8Array, Int64Array, RecordBatch,
        StringArray,
    };
    let n = 600;
    let ints = Int64Array::from_iter_values((0..n).map(|i| i * 7 % 101));
    let floats = Float64Array::from_iter((0..n).map(|i| (i % 9 != 0).then_some(i as f64 / 3.0)));
    let keys = Int8Array::from_iter_values((0..n).map(|i| (i % 5) as i8));
    let labels = DictionaryArray::new(
        keys.clone(),
        Arc::new(StringArray::from(vec!["a", "b", "c", "d", "e"])),
    );
    let codes = DictionaryArray::new(keys, Arc::new(Int64Array::from(vec![10, 20, 30, 40, 50])));
    let flags = BooleanArray::from_iter((0..n).map(|i| Some(i % 3 == 0)));
    let batch = RecordBatch::try_from_iter(vec![
        ("i", Arc::new(ints) as ArrayRef),
        ("f", Arc::new(floats) as ArrayRef),
        ("label", Arc::new(labels) as ArrayRef),
        ("code", Arc::new(codes) as ArrayRef),
        ("flag", Arc::new(flags) as ArrayRef),
    ])
    .expect("batch");
    let props = parquet::file::properties::WriterProperties::builder()
        .set_max_row_group_row_count(Some(250))
        .set_data_page_row_count_limit(64)
        .set_write_batch_size(64)
        .set_compression(parquet::basic::Compression::SNAPPY)
        .build();
    let mut buf = Vec::new();
    let mut w = parquet::arrow::ArrowWriter::try_new(&mut buf, batch.schema(), Some(props))
        .expect("writer");
    w.write(&batch).expect("write");
    w.close().expect("close");
    buf
}

fn gzip(bytes: &[u8]) -> Vec<u8> {
    use std::io::Write;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    e.write_all(bytes).expect("gzip");
    e.finish().expect("gzip")
}

/// A saved profile of a fixture, as `driftscan profile` writes it.
pub(crate) fn profile_of(rel: &str) -> Vec<u8> {
    let inputs = driftscan::data::resolve(data_path(rel).to_str().expect("path")).expect("fixture");
    driftscan::profile::build(&inputs, &Default::default())
        .expect("profile")
        .to_bytes()
}

/// Bytes before a profile's compressed payload: magic, version, decoded length.
const PROFILE_HEADER: usize = 20;

/// The decoded payload of a valid profile.
fn profile_payload(valid: &[u8]) -> Vec<u8> {
    zstd::stream::decode_all(&valid[PROFILE_HEADER..]).expect("a valid profile")
}

/// A profile with `valid`'s header (magic, version, declared length) before a zstd stream of
/// `payload` followed by `zeros` zero bytes. Compressed as it is written, so a stream that
/// inflates to gigabytes takes no memory to build (and some 30 KB per GB on disk).
pub(crate) fn restreamed_profile(valid: &[u8], payload: &[u8], zeros: u64) -> Vec<u8> {
    use std::io::Write;
    let mut e =
        zstd::stream::write::Encoder::new(valid[..PROFILE_HEADER].to_vec(), 1).expect("encoder");
    e.write_all(payload).expect("compress");
    let block = vec![0u8; 1 << 20];
    let mut left = zeros;
    while left > 0 {
        let n = left.min(block.len() as u64) as usize;
        e.write_all(&block[..n]).expect("compress");
        left -= n as u64;
    }
    e.finish().expect("compress")
}

/// A profile bomb: `valid`'s header, declaring its own payload's length, before a stream that
/// inflates to that payload and `zeros` zero bytes more.
pub(crate) fn profile_bomb(valid: &[u8], zeros: u64) -> Vec<u8> {
    restreamed_profile(valid, &profile_payload(valid), zeros)
}

/// The same profile in format version 3, which has no decoded length in its header.
pub(crate) fn as_version_3(profile: &[u8]) -> Vec<u8> {
    let mut out = profile[..8].to_vec();
    out.extend_from_slice(&3u32.to_le_bytes());
    out.extend_from_slice(&profile[PROFILE_HEADER..]);
    out
}

/// Inflated copies of a valid profile: its payload bit-flipped and recompressed (the header
/// declaring its length, so the damage reaches the field readers), a header declaring more
/// than the payload, streams inflating 64 MB and 3 GB past the declared length, and a version 3
/// copy of the 3 GB one (refused by its version).
fn inflated_copies(valid: &[u8], rng: &mut SplitMix64) -> Vec<Vec<u8>> {
    let payload = profile_payload(valid);
    let mut copies = Vec::new();
    for _ in 0..20 {
        let mut p = payload.clone();
        for _ in 0..=rng.below(4) {
            let at = rng.below(p.len());
            p[at] ^= 1 << rng.below(8);
        }
        copies.push(restreamed_profile(valid, &p, 0));
    }
    let mut longer = valid.to_vec();
    longer[12..PROFILE_HEADER].copy_from_slice(&(payload.len() as u64 * 1000).to_le_bytes());
    copies.push(longer);
    copies.push(restreamed_profile(valid, &payload, 64 << 20));
    let bomb = restreamed_profile(valid, &payload, 3 << 30);
    copies.push(as_version_3(&bomb));
    copies.push(bomb);
    copies
}

/// The seed files as they are, then byte-flipped and truncated copies of them (and inflated
/// copies of the profiles), written into `dir`.
fn seeds_and_mutations(dir: &Path) -> (Vec<PathBuf>, Vec<PathBuf>) {
    let read = |rel: &str| std::fs::read(data_path(rel)).expect("fixture");
    let seeds: Vec<(&str, Vec<u8>)> = vec![
        ("basic.csv", read("basic.csv")),
        ("legacy.csv", read("azureml/legacy_inputs.csv")),
        ("collector.jsonl", read("azureml/collector.jsonl")),
        ("basic.csv.gz", gzip(&read("basic_target.csv"))),
        ("seed.parquet", parquet_seed()),
        ("mac.csv", read("basic.csv").iter().map(|&b| if b == b'\n' { b'\r' } else { b }).collect()),
        (
            "python.jsonl",
            "\u{feff}{\"x\": NaN, \"s\": \"a\"}\n{\"x\": Infinity, \"s\": \"b\"}\n{\"x\": -1e400, \"s\": \"\\\"q\\\"\"}\n{\"x\": 2.5, \"s\": null}\n"
                .as_bytes()
                .to_vec(),
        ),
        ("basic.profile", profile_of("basic.csv")),
        ("collector.profile", profile_of("azureml/collector.jsonl")),
    ];
    let mut rng = SplitMix64::new(0x00f0_22ed_5eed);
    let mut originals = Vec::new();
    let mut files = Vec::new();
    for (name, bytes) in &seeds {
        let path = dir.join(name);
        std::fs::write(&path, bytes).expect("write seed");
        originals.push(path);
        for k in 0..FLIPPED + TRUNCATED {
            let mut copy = bytes.clone();
            if k < FLIPPED {
                // 1 to 8 random bits flipped.
                for _ in 0..=rng.below(8) {
                    let at = rng.below(copy.len());
                    copy[at] ^= 1 << rng.below(8);
                }
            } else {
                copy.truncate(rng.below(copy.len()));
            }
            let path = dir.join(format!("m{k:02}-{name}"));
            std::fs::write(&path, &copy).expect("write mutation");
            files.push(path);
        }
        if name.ends_with(".profile") {
            for (k, copy) in inflated_copies(bytes, &mut rng).iter().enumerate() {
                let path = dir.join(format!("i{k:02}-{name}"));
                std::fs::write(&path, copy).expect("write inflated copy");
                files.push(path);
            }
        }
    }
    (originals, files)
}

#[test]
fn fuzz_corpus_and_mutated_fixtures_never_crash_the_scan() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut files = Vec::new();
    for sub in ["fuzz/parquet", "fuzz/csv"] {
        let mut listed: Vec<PathBuf> = std::fs::read_dir(data_path(sub))
            .expect("fuzz corpus")
            .map(|e| e.expect("entry").path())
            .collect();
        listed.sort();
        assert!(!listed.is_empty(), "{sub} is empty");
        files.extend(listed);
    }
    let (seeds, mutations) = seeds_and_mutations(dir.path());
    files.extend(seeds.iter().cloned());
    files.extend(mutations);
    let next = AtomicUsize::new(0);
    let outcomes: Vec<Outcome> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..2)
            .map(|w| {
                let (files, next, dir) = (&files, &next, dir.path());
                scope.spawn(move || {
                    let out = dir.join(format!("out-{w}.profile"));
                    let mut done = Vec::new();
                    loop {
                        let i = next.fetch_add(1, Ordering::Relaxed);
                        let Some(file) = files.get(i) else { break };
                        done.push(read_one(file, &out));
                    }
                    done
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().expect("worker"))
            .collect()
    });
    assert_eq!(outcomes.len(), files.len());
    if std::env::var_os("DRIFTSCAN_FUZZ_VERBOSE").is_some() {
        for o in &outcomes {
            eprintln!("{:?} {} {}", o.code, o.label, o.stderr.trim());
        }
    }
    let defects: Vec<String> = outcomes.iter().filter_map(defect).collect();
    let succeeded = outcomes.iter().filter(|o| o.code == Some(0)).count();
    let slowest = outcomes
        .iter()
        .max_by_key(|o| o.elapsed)
        .map(|o| format!("{} ({:.2} s)", o.label, o.elapsed.as_secs_f64()))
        .unwrap_or_default();
    eprintln!(
        "fuzz: {} files, {succeeded} read, {} refused with an error; slowest {slowest}",
        outcomes.len(),
        outcomes.len() - succeeded
    );
    assert!(defects.is_empty(), "{}", defects.join("\n"));
    // The harness reads files at all: the unmutated seeds are read.
    for seed in &seeds {
        let o = outcomes
            .iter()
            .find(|o| o.label.contains(&*seed.to_string_lossy()))
            .expect("seed run");
        assert_eq!(o.code, Some(0), "{}: {}", seed.display(), o.stderr);
    }
}

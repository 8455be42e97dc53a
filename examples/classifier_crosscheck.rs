//! Runs driftscan's domain classifier on two CSV files and prints the outcome as JSON; the
//! driftscan side of `scripts/crosscheck_classifier.py`.
//!
//! ```text
//! cargo run --release --example classifier_crosscheck -- baseline.csv target.csv [seed]
//! ```
//!
//! A column is numeric when every non-empty value parses as a number, else categorical; an empty
//! field is missing. The CSV reader is deliberately tiny (comma-separated, no quoting): the
//! script writes plain files. `total_ms` is the wall time of one `score` call (cross-fitting and
//! calibration), `total_cpu_ms` its CPU time (all threads).

use std::time::Instant;

use anyhow::{Context, bail};
use driftscan::drift::classifier::{self, ClassifierOptions, FeatureSpec};
use driftscan::profile::sample::{MISSING_CODE, RowSample, SampleColumn};

/// Header and rows of a plain CSV file.
fn read_csv(path: &str) -> anyhow::Result<(Vec<String>, Vec<Vec<String>>)> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading `{path}`"))?;
    let mut lines = text.lines();
    let header: Vec<String> = lines
        .next()
        .with_context(|| format!("`{path}` is empty"))?
        .split(',')
        .map(str::to_string)
        .collect();
    let mut rows = Vec::new();
    for (i, line) in lines.enumerate() {
        let fields: Vec<String> = line.split(',').map(str::to_string).collect();
        if fields.len() != header.len() {
            bail!(
                "`{path}` line {}: {} fields, the header has {}",
                i + 2,
                fields.len(),
                header.len()
            );
        }
        rows.push(fields);
    }
    Ok((header, rows))
}

fn is_numeric(rows: &[Vec<String>], col: usize) -> bool {
    rows.iter()
        .all(|r| r[col].is_empty() || r[col].parse::<f64>().is_ok())
}

/// A row sample of all rows, in file order (the script writes them shuffled).
fn to_sample(header: &[String], rows: &[Vec<String>], numeric: &[bool]) -> RowSample {
    let columns = (0..header.len())
        .map(|c| {
            if numeric[c] {
                SampleColumn::Numeric(
                    rows.iter()
                        .map(|r| r[c].parse::<f64>().unwrap_or(f64::NAN))
                        .collect(),
                )
            } else {
                let mut dictionary: Vec<String> = Vec::new();
                let codes = rows
                    .iter()
                    .map(|r| {
                        if r[c].is_empty() {
                            return MISSING_CODE;
                        }
                        match dictionary.iter().position(|d| d == &r[c]) {
                            Some(i) => i as u32,
                            None => {
                                dictionary.push(r[c].clone());
                                (dictionary.len() - 1) as u32
                            }
                        }
                    })
                    .collect();
                SampleColumn::Categorical { codes, dictionary }
            }
        })
        .collect();
    RowSample {
        capacity: rows.len(),
        priorities: (0..rows.len() as u64).collect(),
        names: header.to_vec(),
        columns,
    }
}

/// CPU time of this process (all threads) in milliseconds, from `/proc/self/stat` (Linux); the
/// wall time on a shared machine depends on what else runs, the CPU time much less.
fn cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the command name, which is in parentheses and may contain spaces.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split(' ').collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    // Clock ticks are 100 per second on Linux unless the kernel was built otherwise.
    Some((utime + stime) * 10.0)
}

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 2 {
        bail!("usage: classifier_crosscheck <baseline.csv> <target.csv> [seed]");
    }
    let seed: u64 = match args.get(2) {
        Some(s) => s.parse().with_context(|| format!("seed `{s}`"))?,
        None => 42,
    };
    let (header, base_rows) = read_csv(&args[0])?;
    let (target_header, target_rows) = read_csv(&args[1])?;
    if header != target_header {
        bail!("the two files have different headers");
    }
    let numeric: Vec<bool> = (0..header.len())
        .map(|c| is_numeric(&base_rows, c) && is_numeric(&target_rows, c))
        .collect();
    let features: Vec<FeatureSpec> = header
        .iter()
        .zip(&numeric)
        .map(|(name, &num)| {
            if num {
                FeatureSpec::numeric(name.clone())
            } else {
                FeatureSpec::categorical(name.clone())
            }
        })
        .collect();
    let baseline = to_sample(&header, &base_rows, &numeric);
    let target = to_sample(&header, &target_rows, &numeric);

    let options = ClassifierOptions {
        seed,
        ..ClassifierOptions::default()
    };
    let (started, cpu_before) = (Instant::now(), cpu_ms());
    let outcome = classifier::score(&baseline, &target, &features, &options)?;
    let total_ms = started.elapsed().as_secs_f64() * 1e3;
    let total_cpu_ms = cpu_ms()
        .zip(cpu_before)
        .map(|(after, before)| after - before);

    let s = &outcome.summary;
    let doc = serde_json::json!({
        "coefficient": outcome.coefficient,
        "mcc_raw": s.mcc_raw,
        "roc_auc": s.roc_auc,
        "rows_per_side": s.baseline_sample_rows,
        "contributions": outcome.contributions,
        "p_value": s.p_value,
        "folds": s.folds,
        "noise_floor": s.noise_floor.max,
        "total_ms": total_ms,
        "total_cpu_ms": total_cpu_ms,
        "model": s.model,
    });
    println!("{doc}");
    Ok(())
}

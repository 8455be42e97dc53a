//! `driftscan scan`: compare a target dataset with a baseline dataset or cached baseline profile.

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;

use super::ExitStatus;
use super::table::{Table, metric_cell, num};
use crate::base::output::write_output;
use crate::base::text::for_terminal_lines;
use crate::detector::signals::{DATA_QUALITY, PREDICTION_DRIFT};
use crate::drift::metrics::{
    MetricDef, baseline_missing_rate, chi_squared_p_value, datadrift_contribution,
    drift_effect_size, drift_p_value_adjusted, drifted, energy, jensen_shannon, ks,
    normalized_wasserstein, psi, target_missing_rate, wasserstein,
};
use crate::drift::result::{FeatureKind, RunResult, RunStatus};
use crate::drift::scan::ScanRequest;
use crate::drift::verdict;
use crate::pipeline::local;

/// Arguments of `driftscan scan`.
#[derive(Debug, clap::Args)]
pub struct ScanArgs {
    /// Baseline: a data file, a folder, a glob, `az://container/prefix`, or a profile written by
    /// `driftscan profile`.
    #[arg(long, value_name = "PATH")]
    pub baseline: String,
    /// Target: a data file, a folder, a glob or `az://container/prefix` (CSV, Parquet, JSON
    /// lines), or a profile (for example one built on Spark).
    #[arg(long, value_name = "PATH")]
    pub target: String,
    /// Features to compare, comma-separated (default: every comparable column of both sides).
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub features: Option<Vec<String>>,
    /// Drift is declared when the coefficient is strictly above this value.
    #[arg(long, default_value_t = crate::detector::DEFAULT_DRIFT_THRESHOLD)]
    pub threshold: f64,
    /// Smallest effect size (normalised Wasserstein for numbers, Jensen-Shannon distance for
    /// categories, Cohen's h for the missing rate) a feature must show,
    /// beside a significant p-value, to be flagged as drifted.
    #[arg(long, default_value_t = crate::drift::significance::DEFAULT_MIN_EFFECT)]
    pub min_effect: f64,
    /// The model's output columns (a probability, a predicted class), comma-separated: compared
    /// by prediction drift, never as input features.
    #[arg(long, value_delimiter = ',', value_name = "A,B")]
    pub predictions: Vec<String>,
    /// Read a column as declared on both sides, whatever the file format: NAME=numeric or
    /// NAME=categorical (comma-separated or repeated), e.g. integer-coded categories.
    #[arg(long = "type", value_name = "NAME=TYPE", value_delimiter = ',')]
    pub types: Vec<String>,
    /// Print the result document (JSON) on stdout and nothing else.
    #[arg(long)]
    pub json: bool,
    /// Exit with status 1 when drift is found.
    #[arg(long)]
    pub fail_on_drift: bool,
    /// Also write the HTML report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Seed of the classifier's sampling, split and booster.
    #[arg(long, default_value_t = local::DEFAULT_SCAN_SEED)]
    pub seed: u64,
    /// Scoring date written into the result (default: today, UTC).
    #[arg(long, value_name = "YYYY-MM-DD")]
    pub date: Option<NaiveDate>,
    /// Model name written into the result.
    #[arg(long, default_value = local::ADHOC_MODEL)]
    pub model: String,
    /// Model version written into the result.
    #[arg(long, default_value_t = 1)]
    pub model_version: u32,
}

/// Runs `driftscan scan`.
pub fn run(args: ScanArgs) -> anyhow::Result<ExitStatus> {
    let scan_options = ScanRequest {
        features: args.features.clone(),
        threshold: args.threshold,
        min_effect: args.min_effect,
        seed: args.seed,
        outputs: args.predictions.clone(),
    }
    .validate()?;
    let context = local::adhoc_context(&args.model, args.model_version, args.date);
    let declared = local::parse_type_flags(&args.types)?;
    let result = local::scan(
        &args.baseline,
        &args.target,
        &declared,
        &scan_options,
        &context,
    )?;

    if let Some(path) = &args.report {
        let html = crate::report::render_run(&result, &Default::default());
        write_output(path, html.as_bytes())
            .with_context(|| format!("writing report `{}`", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&result)?);
    } else {
        print!("{}", for_terminal_lines(&render_summary(&result)));
        if let Some(path) = &args.report {
            println!("\nReport: {}", path.display());
        }
    }
    Ok(if args.fail_on_drift && result.has_drift {
        ExitStatus::Drift
    } else {
        ExitStatus::Success
    })
}

/// The metrics of the summary table, in its column order (the result document has them all).
const TABLE_METRICS: [&MetricDef; 13] = [
    &datadrift_contribution::DATADRIFT_CONTRIBUTION,
    &wasserstein::WASSERSTEIN_DISTANCE,
    &energy::ENERGY_DISTANCE,
    &normalized_wasserstein::NORMALIZED_WASSERSTEIN_DISTANCE,
    &ks::TWO_SAMPLE_KS_STATISTIC,
    &psi::POPULATION_STABILITY_INDEX,
    &jensen_shannon::JENSEN_SHANNON_DISTANCE,
    &chi_squared_p_value::CHI_SQUARED_P_VALUE,
    &baseline_missing_rate::BASELINE_MISSING_RATE,
    &target_missing_rate::TARGET_MISSING_RATE,
    &drift_effect_size::DRIFT_EFFECT_SIZE,
    &drift_p_value_adjusted::DRIFT_P_VALUE_ADJUSTED,
    &drifted::DRIFTED,
];

/// The terminal rendering of a result: a verdict line, then one row per feature, most drifted first.
pub fn render_summary(result: &RunResult) -> String {
    let mut out = String::new();
    match result.run.status {
        RunStatus::Succeeded => {}
        RunStatus::NoData | RunStatus::Failed => {
            out.push_str(&format!(
                "Run {:?}: {}\n",
                result.run.status,
                result.run.error.as_deref().unwrap_or("no reason recorded")
            ));
            return out;
        }
    }
    // The verdict sentence every adapter uses, then the classifier's figures behind it.
    let status = verdict::status(result);
    out.push_str(&format!(
        "{}: {}\n",
        status.label(),
        verdict::sentence(result)
    ));
    out.push_str(&format!(
        "datadrift_coefficient {}",
        num(result.coefficient())
    ));
    if let Some(c) = &result.classifier {
        out.push_str(&format!(
            " (p-value {}, noise floor {} at {} rows per side, ROC AUC {})",
            verdict::format_p_value(c.p_value),
            num(Some(c.noise_floor.max)),
            c.noise_floor.rows_per_side,
            num(Some(c.roc_auc)),
        ));
    }
    out.push('\n');
    out.push_str(&format!(
        "baseline: {} rows ({})   target: {} rows ({})\n\n",
        result.baseline.rows, result.baseline.source, result.target.rows, result.target.source
    ));

    let header: Vec<&str> = ["feature", "kind"]
        .into_iter()
        .chain(TABLE_METRICS.map(|m| m.label))
        .collect();
    let mut table = Table::new(&header);
    for f in &result.features {
        let kind = match f.kind {
            FeatureKind::Numeric => "numeric",
            FeatureKind::Categorical => "categorical",
        };
        let mut row = vec![f.name.clone(), kind.to_string()];
        row.extend(TABLE_METRICS.map(|m| metric_cell(m, result.column_metric(&f.name, m.name))));
        table.push(row);
    }
    out.push_str(&table.render());
    let schema = &result.schema;
    for (label, cols) in [
        ("missing in target", &schema.missing_in_target),
        ("added in target", &schema.added_in_target),
    ] {
        if !cols.is_empty() {
            out.push_str(&format!("\nColumns {label}: {}\n", cols.join(", ")));
        }
    }
    for (name, reason) in &schema.excluded {
        out.push_str(&format!("Not compared: {name}: {reason}\n"));
    }
    for w in &result.warnings {
        out.push_str(&format!("warning: {w}\n"));
    }
    out.push_str(&prediction_drift_lines(result));
    out.push_str(&data_quality_lines(result));
    out
}

/// The prediction-drift signal: one line saying how many output columns drifted, one per failing
/// column (`proba: normalized_wasserstein_distance 0.31 > 0.1 (p 1.2e-08)`), and its warnings;
/// nothing when it was not computed.
fn prediction_drift_lines(result: &RunResult) -> String {
    let Some(signal) = result.signals.iter().find(|s| s.name == PREDICTION_DRIFT) else {
        return String::new();
    };
    let failing: Vec<_> = signal.failing_features().collect();
    let mut out = format!(
        "\nPrediction drift: {} of {} output columns drifted\n",
        failing.len(),
        signal.features.len()
    );
    for f in failing {
        let p = f
            .metrics
            .iter()
            .find(|m| m.name == crate::drift::metrics::names::DRIFT_P_VALUE_ADJUSTED)
            .map_or(String::new(), |m| {
                format!(" (p {})", verdict::format_p_value(m.value))
            });
        // A column missing from a side fails without a threshold.
        let metrics: Vec<String> = f
            .failures()
            .map(|m| match m.threshold {
                Some(t) => format!("{} {} > {t}", m.name, rate(m.value)),
                None => "missing".to_string(),
            })
            .collect();
        let metrics = metrics.join("; ");
        out.push_str(&format!("{}: {metrics}{p}\n", f.name));
    }
    for w in &signal.warnings {
        out.push_str(&format!("warning: prediction drift: {w}\n"));
    }
    out
}

/// The data-quality signal's failures, one line per failing feature
/// (`age: null_value_rate 0.25 (25 of 100 rows) > 0`), and its warnings; nothing when it passed
/// without warnings or was not computed.
fn data_quality_lines(result: &RunResult) -> String {
    let Some(signal) = result.signals.iter().find(|s| s.name == DATA_QUALITY) else {
        return String::new();
    };
    let mut out = String::new();
    let failing: Vec<_> = signal.failing_features().collect();
    if !failing.is_empty() {
        out.push_str(&format!(
            "\nData quality: {} of {} features failed\n",
            failing.len(),
            signal.features.len()
        ));
    }
    for f in failing {
        let metrics: Vec<String> = f
            .failures()
            .map(|m| {
                let counts = match (m.count, m.rows) {
                    (Some(c), Some(r)) => format!(" ({c} of {r} rows)"),
                    _ => String::new(),
                };
                let threshold = m.threshold.map_or(String::new(), |t| format!(" > {t}"));
                format!("{} {}{counts}{threshold}", m.name, rate(m.value))
            })
            .collect();
        out.push_str(&format!("{}: {}\n", f.name, metrics.join("; ")));
    }
    for w in &signal.warnings {
        out.push_str(&format!("warning: data quality: {w}\n"));
    }
    out
}

/// A rate in one line: at most four decimals without trailing zeros (`0.25`), or two significant
/// digits in scientific notation below 0.0001, so a single row of millions does not read as 0.
fn rate(v: f64) -> String {
    if !v.is_finite() {
        return "-".to_string();
    }
    if v != 0.0 && v.abs() < 1e-4 {
        return format!("{v:.1e}");
    }
    let s = format!("{v:.4}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

//! `driftscan performance`: a model's performance on a target against its labelled reference,
//! realized where the target has labels and estimated where it does not.

use std::path::PathBuf;

use anyhow::Context;

use super::ExitStatus;
use super::table::Table;
use crate::base::output::write_output;
use crate::base::text::for_terminal_lines;
use crate::drift::performance::{Metric, MetricPerformance, PerformanceResult, Problem};
use crate::pipeline::local::Dataset;
use crate::pipeline::performance::{PerformanceRequest, performance};
use crate::report::drop_sentence;

/// Arguments of `driftscan performance`.
#[derive(Debug, clap::Args)]
pub struct PerformanceArgs {
    /// The labelled reference (validation data, or a first production period with its labels):
    /// a data file, a folder, a glob or `az://container/prefix`.
    #[arg(long, value_name = "PATH")]
    pub reference: String,
    /// The production rows to measure, with or without labels.
    #[arg(long, value_name = "PATH")]
    pub target: String,
    /// `binary`, `multiclass` or `regression` (default: guessed from the reference's truth).
    #[arg(long, value_parser = parse_problem)]
    pub problem: Option<Problem>,
    /// The ground-truth column.
    #[arg(long, value_name = "COL")]
    pub y_true: String,
    /// The model's prediction column (a class, or a number).
    #[arg(long, value_name = "COL")]
    pub y_pred: String,
    /// The predicted probabilities: the positive class's column for a binary model; one per
    /// class for a multiclass one, in class order or as CLASS=COLUMN. Needed for ROC AUC and
    /// for estimates without labels.
    #[arg(long, value_delimiter = ',', value_name = "COL[,COL]")]
    pub y_pred_proba: Vec<String>,
    /// The positive class of a binary model (default: the second class, numbers before text).
    #[arg(long, value_name = "CLASS")]
    pub positive_class: Option<String>,
    /// Model inputs for regression estimates (default: every other column).
    #[arg(long, value_delimiter = ',', value_name = "A,B,C")]
    pub features: Option<Vec<String>>,
    /// Labels that arrive apart from the target: a location holding the id and truth columns.
    #[arg(long, value_name = "PATH", requires = "id")]
    pub labels: Option<String>,
    /// The id joining `--labels` to the target's rows (e.g. `correlationid`).
    #[arg(long, value_name = "COL")]
    pub id: Option<String>,
    /// Cut the target into windows of this many rows (default: one window).
    #[arg(long, value_name = "N")]
    pub window_rows: Option<usize>,
    /// A metric's threshold, METRIC=VALUE (repeat or comma-separate): the drop of a rate
    /// (default 0.05), or the relative rise of a loss (default 0.10 = 10 %).
    #[arg(long = "threshold", value_delimiter = ',', value_name = "METRIC=VALUE", value_parser = parse_threshold)]
    pub thresholds: Vec<(Metric, f64)>,
    /// Print the result document (JSON) on stdout and nothing else.
    #[arg(long)]
    pub json: bool,
    /// Also write the HTML report to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
    /// Exit with status 1 when a window's performance dropped.
    #[arg(long)]
    pub fail_on_drop: bool,
    /// Seed of the loss models (regression estimates).
    #[arg(long, default_value_t = 7)]
    pub seed: u64,
}

fn parse_problem(s: &str) -> Result<Problem, String> {
    Problem::parse(s).ok_or_else(|| format!("`{s}`: expected binary, multiclass or regression"))
}

fn parse_threshold(s: &str) -> Result<(Metric, f64), String> {
    let (name, value) = s
        .split_once('=')
        .ok_or_else(|| format!("`{s}`: expected METRIC=VALUE, e.g. accuracy=0.05"))?;
    let metric = Metric::parse(name.trim()).ok_or_else(|| {
        let names: Vec<&str> = Metric::ALL.iter().map(|m| m.as_str()).collect();
        format!("`{name}`: not a performance metric ({})", names.join(", "))
    })?;
    let value: f64 = value
        .trim()
        .parse()
        .ok()
        .filter(|v: &f64| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| format!("`{value}`: a threshold is a number at least 0"))?;
    Ok((metric, value))
}

/// Runs `driftscan performance`.
pub fn run(args: PerformanceArgs) -> anyhow::Result<ExitStatus> {
    let request = PerformanceRequest {
        problem: args.problem,
        y_true: args.y_true,
        y_pred: args.y_pred,
        y_pred_proba: args.y_pred_proba,
        positive_class: args.positive_class,
        features: args.features,
        id: args.id,
        window_rows: args.window_rows,
        thresholds: args.thresholds,
        seed: args.seed,
    };
    let result = performance(
        &request,
        Dataset::Location(args.reference),
        Dataset::Location(args.target),
        args.labels.map(Dataset::Location),
    )?;
    if let Some(path) = &args.report {
        let html = crate::report::render_performance(&result);
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
    Ok(if args.fail_on_drop && !result.passed {
        ExitStatus::Drift
    } else {
        ExitStatus::Success
    })
}

/// A metric's cell: the realized value, then `~estimate±half band`; `✗` when it failed.
fn cell(m: &MetricPerformance) -> String {
    let mut parts = Vec::new();
    if let Some(r) = m.realized.filter(|r| r.value.is_finite()) {
        parts.push(format!("{:.3}", r.value));
    }
    if let Some(e) = m.estimated.filter(|e| e.value.is_finite()) {
        parts.push(format!("~{:.3}±{:.3}", e.value, (e.upper - e.lower) / 2.0));
    }
    if parts.is_empty() {
        parts.push("-".into());
    }
    if m.passed == Some(false) {
        parts.push("✗".into());
    }
    parts.join(" ")
}

/// The terminal rendering: what was measured, the reference's values, one row per window, and
/// a sentence per failing window.
pub fn render_summary(result: &PerformanceResult) -> String {
    let mut out = String::new();
    let classes = if result.classes.is_empty() {
        String::new()
    } else {
        format!(", classes {}", result.classes.join(", "))
    };
    let positive = match result.problem {
        Problem::Binary => format!("; positive class {}", result.classes[1]),
        _ => String::new(),
    };
    out.push_str(&format!(
        "Performance of a {} model{classes}{positive}\n",
        result.problem.as_str()
    ));
    let reference: Vec<String> = result
        .reference
        .metrics
        .iter()
        .map(|m| format!("{} {:.3}", m.name, m.reference))
        .collect();
    out.push_str(&format!(
        "Reference: {} labelled rows: {}\n\n",
        result.reference.labelled_rows,
        reference.join(", ")
    ));
    let names: Vec<&str> = result
        .reference
        .metrics
        .iter()
        .map(|m| m.name.as_str())
        .collect();
    let mut header = vec!["window", "rows", "labelled"];
    header.extend(&names);
    let mut table = Table::new(&header);
    for w in &result.windows {
        let mut row = vec![
            w.label.clone(),
            w.rows.to_string(),
            w.labelled_rows.to_string(),
        ];
        row.extend(w.metrics.iter().map(cell));
        table.push(row);
    }
    out.push_str(&table.render());
    out.push_str("(value: realized from labels; ~value±h: estimated without labels, 95 % band ± h; ✗: worse than the reference beyond threshold and chance)\n\n");
    let failing: Vec<_> = result.windows.iter().filter(|w| !w.passed).collect();
    if failing.is_empty() {
        out.push_str(&format!(
            "No window's performance dropped ({} windows).\n",
            result.windows.len()
        ));
    } else {
        out.push_str(&format!(
            "{} of {} windows dropped:\n",
            failing.len(),
            result.windows.len()
        ));
        for w in failing.iter().take(10) {
            for m in w.metrics.iter().filter(|m| m.passed == Some(false)) {
                out.push_str(&format!("- {}: {}\n", w.label, drop_sentence(m)));
            }
        }
        if failing.len() > 10 {
            out.push_str(&format!("- and {} more windows\n", failing.len() - 10));
        }
    }
    for warning in result.warnings.iter().chain(
        result
            .windows
            .iter()
            .flat_map(|w| w.warnings.iter())
            .take(5),
    ) {
        out.push_str(&format!("Warning: {warning}\n"));
    }
    out
}

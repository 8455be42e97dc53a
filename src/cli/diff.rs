//! `driftscan diff`: what changed between two datasets, typically two training sets.

use std::path::PathBuf;

use anyhow::Context;

use super::ExitStatus;
use super::table::{Table, num, pct};
use crate::base::output::write_output;
use crate::base::text::for_terminal_lines;
use crate::drift::diff::{Change, DatasetDiff};
use crate::drift::result::RunType;
use crate::drift::scan::{RunContext, ScanOptions};
use crate::pipeline::local::load;
use crate::pipeline::{Profile, ProfileOptions};
use crate::report::DiffView;

/// Arguments of `driftscan diff`.
#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// The first dataset (file, folder, glob or cached profile).
    #[arg(value_name = "OLD")]
    pub old: String,
    /// The second dataset.
    #[arg(value_name = "NEW")]
    pub new: String,
    /// Print the diff as JSON on stdout and nothing else.
    #[arg(long)]
    pub json: bool,
    /// Also write the diff as an HTML page to this file.
    #[arg(long, value_name = "FILE")]
    pub report: Option<PathBuf>,
}

/// Runs `driftscan diff`.
pub fn run(args: DiffArgs) -> anyhow::Result<ExitStatus> {
    let options = ProfileOptions::default();
    let (old, new) = rayon::join(
        || load("first dataset", &args.old, &options),
        || load("second dataset", &args.new, &options),
    );
    let (old, new) = (old?, new?);
    let diff = crate::drift::diff::diff(&old, &new);
    if let Some(path) = &args.report {
        let html = crate::report::render_diff(&diff_view(&old, &new)?, &Default::default());
        write_output(path, html.as_bytes())
            .with_context(|| format!("writing report `{}`", path.display()))?;
    }
    if args.json {
        println!("{}", serde_json::to_string_pretty(&diff)?);
    } else {
        print!("{}", for_terminal_lines(&render(&diff)));
    }
    Ok(ExitStatus::Success)
}

/// The diff page shows the same per-column metrics and distributions as a scan (old as baseline,
/// new as target) and the domain classifier's verdict on the two sets.
fn diff_view(old: &Profile, new: &Profile) -> anyhow::Result<DiffView> {
    let options = ScanOptions::default();
    let context = RunContext {
        detector: "diff".to_string(),
        service_name: "local".to_string(),
        model_name: "model".to_string(),
        model_version: 1,
        date: chrono::Utc::now().date_naive(),
        run_type: RunType::Adhoc,
    };
    let r = crate::drift::scan::compare(old, new, &options, &context)?;
    Ok(DiffView {
        coefficient: r.coefficient(),
        old: r.baseline,
        new: r.target,
        column_metrics: r.column_metrics,
        features: r.features,
        schema: r.schema,
        warnings: r.warnings,
    })
}

fn arrow(c: &Change, fmt: fn(Option<f64>) -> String) -> String {
    format!("{} -> {}", fmt(Some(c.old)), fmt(Some(c.new)))
}

fn opt(c: &Option<Change>) -> String {
    c.as_ref().map(|c| arrow(c, num)).unwrap_or_default()
}

/// The terminal rendering of a diff.
pub fn render(diff: &DatasetDiff) -> String {
    let mut out = format!(
        "{} -> {}\nrows: {} -> {}\n",
        diff.old_source, diff.new_source, diff.rows.old, diff.rows.new
    );
    let schema = &diff.schema;
    if !schema.added.is_empty() {
        out.push_str(&format!("added columns: {}\n", schema.added.join(", ")));
    }
    if !schema.removed.is_empty() {
        out.push_str(&format!("removed columns: {}\n", schema.removed.join(", ")));
    }
    for r in &schema.retyped {
        out.push_str(&format!("retyped: {} ({} -> {})\n", r.name, r.old, r.new));
    }
    out.push('\n');
    let mut table = Table::new(&[
        "column", "kind", "missing", "mean", "std", "min", "max", "median", "distinct",
    ]);
    for c in &diff.columns {
        let median = c
            .quantiles
            .iter()
            .find(|q| q.q == 0.5)
            .map(|q| arrow(&q.value, num))
            .unwrap_or_default();
        table.push(vec![
            c.name.clone(),
            c.kind.clone(),
            arrow(&c.missing_rate, pct),
            opt(&c.mean),
            opt(&c.std),
            opt(&c.min),
            opt(&c.max),
            median,
            format!("{} -> {}", c.distinct.old, c.distinct.new),
        ]);
    }
    out.push_str(&table.render());
    for c in &diff.columns {
        if let Some(top) = &c.top_categories {
            let show = |v: &[(String, f64)]| {
                v.iter()
                    .take(5)
                    .map(|(k, s)| format!("{k} {:.1}%", s * 100.0))
                    .collect::<Vec<_>>()
                    .join(", ")
            };
            out.push_str(&format!(
                "\n{}: top categories\n  old: {}\n  new: {}\n",
                c.name,
                show(&top.old),
                show(&top.new)
            ));
        }
    }
    out
}

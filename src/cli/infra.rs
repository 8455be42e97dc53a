//! `driftscan infra params`: the detector part of the deployment parameters, generated from the
//! stored detector definitions so that each detector's alert rule uses the detector's threshold
//! and mails the detector's recipients.
//!
//! Reads `{store}/detectors/*.json` (a local store folder) and prints a Terraform `.tfvars` or a
//! Bicep `.bicepparam` file for `infra/terraform` or `infra/bicep`.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use serde::Deserialize;

use super::ExitStatus;

/// Deployment helpers.
#[derive(Debug, Args)]
pub struct InfraArgs {
    /// What to generate.
    #[command(subcommand)]
    pub command: InfraCommand,
}

/// The `infra` subcommands.
#[derive(Debug, Subcommand)]
pub enum InfraCommand {
    /// Write the `detectors` (and optionally `alert_emails`, app name) parameters of infra/ from
    /// the detectors stored in a local store folder.
    Params(ParamsArgs),
}

/// Options of `driftscan infra params`.
#[derive(Debug, Args)]
pub struct ParamsArgs {
    /// Local store folder whose `detectors/*.json` are read.
    #[arg(long)]
    pub store: PathBuf,
    /// `tfvars` for infra/terraform, `bicepparam` for infra/bicep.
    #[arg(long, value_enum)]
    pub format: ParamsFormat,
    /// Write here instead of standard output.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Also set the Function App name.
    #[arg(long)]
    pub app_name: Option<String>,
    /// Also set the addresses mailed for every detector (repeatable).
    #[arg(long = "alert-email", value_name = "ADDRESS")]
    pub alert_emails: Vec<String>,
}

/// Output format of `infra params`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ParamsFormat {
    /// Terraform variables file (`terraform.tfvars`).
    Tfvars,
    /// Bicep parameters file (`main.bicepparam`, beside `main.bicep`).
    Bicepparam,
}

/// Runs `driftscan infra ...`.
pub fn run(args: InfraArgs) -> anyhow::Result<ExitStatus> {
    match args.command {
        InfraCommand::Params(p) => params(p),
    }
}

/// The fields of a stored detector that deployment needs. Lenient on purpose: other fields of the
/// definition (and its state) are none of this command's business.
#[derive(Debug, Clone, PartialEq, Deserialize)]
struct StoredDetector {
    name: String,
    #[serde(default = "default_threshold")]
    drift_threshold: f64,
    #[serde(default)]
    alert: StoredAlert,
    #[serde(default = "default_enabled")]
    enabled: bool,
}

#[derive(Debug, Clone, PartialEq, Default, Deserialize)]
struct StoredAlert {
    #[serde(default)]
    emails: Vec<String>,
}

fn default_threshold() -> f64 {
    crate::detector::DEFAULT_DRIFT_THRESHOLD
}

fn default_enabled() -> bool {
    true
}

fn params(args: ParamsArgs) -> anyhow::Result<ExitStatus> {
    let detectors = read_detectors(&args.store)?;
    for e in &args.alert_emails {
        check_email(e).with_context(|| format!("--alert-email `{e}`"))?;
    }
    if let Some(name) = &args.app_name {
        check_app_name(name)?;
    }
    let text = match args.format {
        ParamsFormat::Tfvars => tfvars(&detectors, &args),
        ParamsFormat::Bicepparam => bicepparam(&detectors, &args),
    };
    match &args.out {
        Some(path) => {
            std::fs::write(path, text).with_context(|| format!("writing `{}`", path.display()))?
        }
        None => print!("{text}"),
    }
    eprintln!(
        "{} detector(s) from `{}`",
        detectors.len(),
        args.store.join("detectors").display()
    );
    Ok(ExitStatus::Success)
}

fn read_detectors(store: &Path) -> anyhow::Result<Vec<StoredDetector>> {
    let dir = store.join("detectors");
    let entries = std::fs::read_dir(&dir).with_context(|| {
        format!(
            "reading `{}` (is `{}` a driftscan store folder?)",
            dir.display(),
            store.display()
        )
    })?;
    let mut files: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && p.is_file())
        .collect();
    files.sort();
    let mut detectors = Vec::with_capacity(files.len());
    for path in files {
        let bytes =
            std::fs::read(&path).with_context(|| format!("reading `{}`", path.display()))?;
        let d: StoredDetector = serde_json::from_slice(&bytes)
            .with_context(|| format!("`{}` is not a detector definition", path.display()))?;
        check_detector(&d).with_context(|| format!("detector in `{}`", path.display()))?;
        detectors.push(d);
    }
    Ok(detectors)
}

/// Names become parts of Azure resource names and a KQL string literal, so they are held to the
/// detector name rule in its ASCII form; thresholds must be usable as alert thresholds.
fn check_detector(d: &StoredDetector) -> anyhow::Result<()> {
    let re = regex::Regex::new(r"^[a-zA-Z0-9][a-zA-Z0-9_\-]{0,35}$")?;
    if !re.is_match(&d.name) {
        bail!(
            "name `{}` does not match `^[a-zA-Z0-9][a-zA-Z0-9_-]{{0,35}}$`",
            d.name
        );
    }
    if !(d.drift_threshold.is_finite() && (0.0..=1.0).contains(&d.drift_threshold)) {
        bail!(
            "detector `{}`: drift_threshold `{}` is not between 0 and 1",
            d.name,
            d.drift_threshold
        );
    }
    for e in &d.alert.emails {
        check_email(e).with_context(|| format!("detector `{}`: alert email `{e}`", d.name))?;
    }
    Ok(())
}

fn check_email(e: &str) -> anyhow::Result<()> {
    let ok = e.len() <= 254
        && e.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.')
        })
        && !e
            .chars()
            .any(|c| c.is_whitespace() || matches!(c, '"' | '\'' | '\\' | '$' | '<' | '>' | ','));
    if !ok {
        bail!("not a plain mail address (name@domain)");
    }
    Ok(())
}

fn check_app_name(name: &str) -> anyhow::Result<()> {
    let re = regex::Regex::new(r"^[a-zA-Z0-9][a-zA-Z0-9\-]{0,38}[a-zA-Z0-9]$")?;
    if !re.is_match(name) {
        bail!(
            "--app-name `{name}`: 2 to 40 letters, digits and hyphens, not starting or ending with a hyphen"
        );
    }
    Ok(())
}

fn header(comment: &str, detectors: &[StoredDetector], args: &ParamsArgs) -> String {
    let disabled: Vec<&str> = detectors
        .iter()
        .filter(|d| !d.enabled)
        .map(|d| d.name.as_str())
        .collect();
    let mut s = format!(
        "{comment} Generated by `driftscan infra params` from {} detector(s) in `{}`.\n\
         {comment} Regenerate after adding detectors or changing thresholds or alert emails.\n",
        detectors.len(),
        args.store.join("detectors").display()
    );
    if !disabled.is_empty() {
        let _ = writeln!(
            s,
            "{comment} Disabled detectors keep their alert rule (no metrics arrive while disabled): {}.",
            disabled.join(", ")
        );
    }
    s
}

fn tfvars(detectors: &[StoredDetector], args: &ParamsArgs) -> String {
    let mut s = header("#", detectors, args);
    let list = |items: &[String]| {
        items
            .iter()
            .map(|e| format!("\"{e}\""))
            .collect::<Vec<_>>()
            .join(", ")
    };
    if let Some(name) = &args.app_name {
        let _ = writeln!(s, "app_name = \"{name}\"\n");
    }
    if !args.alert_emails.is_empty() {
        let _ = writeln!(s, "alert_emails = [{}]\n", list(&args.alert_emails));
    }
    if detectors.is_empty() {
        s.push_str("detectors = {}\n");
        return s;
    }
    s.push_str("detectors = {\n");
    for d in detectors {
        let _ = write!(
            s,
            "  \"{}\" = {{\n    threshold = {}\n    emails    = [{}]\n  }}\n",
            d.name,
            d.drift_threshold,
            list(&d.alert.emails)
        );
    }
    s.push_str("}\n");
    s
}

fn bicepparam(detectors: &[StoredDetector], args: &ParamsArgs) -> String {
    let mut s = header("//", detectors, args);
    s.push_str("using 'main.bicep'\n\n");
    if let Some(name) = &args.app_name {
        let _ = writeln!(s, "param appName = '{name}'\n");
    }
    if !args.alert_emails.is_empty() {
        s.push_str("param alertEmails = [\n");
        for e in &args.alert_emails {
            let _ = writeln!(s, "  '{e}'");
        }
        s.push_str("]\n\n");
    }
    if detectors.is_empty() {
        s.push_str("param detectors = []\n");
        return s;
    }
    s.push_str("param detectors = [\n");
    for d in detectors {
        let _ = write!(
            s,
            "  {{\n    name: '{}'\n    threshold: '{}'\n",
            d.name, d.drift_threshold
        );
        if d.alert.emails.is_empty() {
            s.push_str("    emails: []\n");
        } else {
            s.push_str("    emails: [\n");
            for e in &d.alert.emails {
                let _ = writeln!(s, "      '{e}'");
            }
            s.push_str("    ]\n");
        }
        s.push_str("  }\n");
    }
    s.push_str("]\n");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    fn det(name: &str, threshold: f64, emails: &[&str]) -> StoredDetector {
        StoredDetector {
            name: name.into(),
            drift_threshold: threshold,
            alert: StoredAlert {
                emails: emails.iter().map(|e| e.to_string()).collect(),
            },
            enabled: true,
        }
    }

    #[test]
    fn names_thresholds_and_emails_are_checked() {
        let rows: [(StoredDetector, Option<&str>); 6] = [
            (det("credit-v2_a", 0.2, &["a@b.io"]), None),
            (det("../x", 0.2, &[]), Some("name `../x`")),
            (det("crédit", 0.2, &[]), Some("name `crédit`")),
            (det("c", 1.5, &[]), Some("drift_threshold `1.5`")),
            (det("c", f64::NAN, &[]), Some("drift_threshold `NaN`")),
            (det("c", 0.2, &["x'@y.z"]), Some("alert email `x'@y.z`")),
        ];
        for (d, expected) in rows {
            match (check_detector(&d), expected) {
                (Ok(()), None) => {}
                (Err(e), Some(msg)) => {
                    let text = format!("{e:#}");
                    assert!(text.contains(msg), "{}: `{text}`", d.name);
                }
                (r, e) => panic!("{}: got {r:?}, expected {e:?}", d.name),
            }
        }
    }
}

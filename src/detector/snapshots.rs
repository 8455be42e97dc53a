//! Where a service's snapshots are: locations (`az://`, absolute folders, store keys) and the
//! snapshot path templates of both Azure ML collectors.

use chrono::{Datelike, NaiveDate};
use regex::Regex;

use super::rules::{ConfigError, regex};
use crate::base::text::split_az;

/// Snapshot template of the legacy `azureml-monitoring` ModelDataCollector (AKS), relative to the
/// root of the storage holding the `modeldata` container's content. The three `*` segments are the
/// subscription, resource group and workspace, which a detector does not know: they are listed.
pub const LEGACY_SNAPSHOTS: &str =
    "modeldata/*/*/*/{service}/{model}/{version}/inputs/{yyyy}/{MM}/{dd}/";

/// Snapshot template of the `azureml-ai-monitoring` collector (managed online endpoints): the
/// service is the endpoint, `*` is any deployment, and every hour folder of the day is read.
pub const COLLECTOR_SNAPSHOTS: &str =
    "modelDataCollector/{service}/*/model_inputs/{yyyy}/{MM}/{dd}/{HH}/";

/// One `/`-separated piece of a rendered snapshot template.
#[derive(Debug, Clone)]
pub enum Segment {
    /// A fixed folder name; several when a date part may be written padded or not (`05` and `5`).
    Exact(Vec<String>),
    /// Any folder name matching the pattern (`*`, or `{HH}`: every hour of the day).
    Any(Regex),
}

/// Where a location's keys live.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DataRoot {
    /// In the detector store itself (same folder, or same container and prefix).
    Store,
    /// `az://<container>/...`: another container of the store's storage account.
    Container(String),
    /// `/...`: an absolute folder on the machine running driftscan.
    Folder,
}

/// Splits a baseline or snapshot location into its root and the `/`-separated key below it.
pub fn split_location(location: &str) -> (DataRoot, String) {
    if let Some((container, key)) = split_az(location) {
        (DataRoot::Container(container.to_string()), key.to_string())
    } else if let Some(rest) = location.strip_prefix('/') {
        (DataRoot::Folder, rest.to_string())
    } else {
        (DataRoot::Store, location.to_string())
    }
}

/// A parsed snapshot location template.
///
/// Placeholders: `{service}`, `{model}`, `{version}`, `{yyyy}`, `{MM}`, `{dd}`, `{HH}`; a segment
/// that is exactly `*` matches any folder name. `{MM}` and `{dd}` render as both the zero-padded
/// and the unpadded number (the legacy collector has been seen writing `/3/` for March), `{HH}` as
/// every hour folder. Snapshot files are whatever lies below the rendered prefix: file names vary,
/// so they are found by listing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SnapshotTemplate {
    /// The template, with `legacy` / `collector` shorthands expanded.
    pub template: String,
    /// Where the rendered keys live.
    pub root: DataRoot,
    /// The `/`-separated parts below the root.
    pub parts: Vec<String>,
}

const PLACEHOLDERS: [&str; 7] = ["service", "model", "version", "yyyy", "MM", "dd", "HH"];

impl SnapshotTemplate {
    /// Parses and checks a template: known placeholders only, a date in it, no climbing.
    pub fn parse(template: &str) -> Result<SnapshotTemplate, ConfigError> {
        let bad = |reason: &str| ConfigError::Template {
            template: template.to_string(),
            reason: reason.to_string(),
        };
        let shorthand = match template {
            "legacy" => LEGACY_SNAPSHOTS,
            "collector" => COLLECTOR_SNAPSHOTS,
            other => other,
        };
        let mut rest = shorthand;
        let mut seen = Vec::new();
        while let Some(open) = rest.find('{') {
            let after = &rest[open + 1..];
            let close = after
                .find('}')
                .ok_or_else(|| bad("has a `{` without a closing `}`"))?;
            let name = &after[..close];
            if !PLACEHOLDERS.contains(&name) {
                return Err(bad(&format!(
                    "uses unknown placeholder `{{{name}}}` (known: {{service}}, {{model}}, {{version}}, {{yyyy}}, {{MM}}, {{dd}}, {{HH}})"
                )));
            }
            seen.push(name);
            rest = &after[close + 1..];
        }
        if rest.contains('}') {
            return Err(bad("has a `}` without an opening `{`"));
        }
        for needed in ["yyyy", "MM", "dd"] {
            if !seen.contains(&needed) {
                return Err(bad(&format!(
                    "has no `{{{needed}}}`: every scoring date would read the same files"
                )));
            }
        }
        let (root, key) = split_location(shorthand);
        if key.split('/').any(|s| s == ".." || s == ".") || key.contains('\\') {
            return Err(bad("may not contain `.` or `..` segments or backslashes"));
        }
        if let DataRoot::Container(c) = &root
            && (c.is_empty() || c.contains('{'))
        {
            return Err(bad("names no container after `az://`"));
        }
        Ok(SnapshotTemplate {
            template: shorthand.to_string(),
            root,
            parts: key
                .split('/')
                .filter(|s| !s.is_empty())
                .map(str::to_string)
                .collect(),
        })
    }

    /// The folder pattern of one service's snapshot for one day, below [`SnapshotTemplate::root`].
    pub fn render(&self, service: &str, model: &str, version: u32, day: NaiveDate) -> Vec<Segment> {
        let yyyy = day.format("%Y").to_string();
        let mm = format!("{:02}", day.month());
        let dd = format!("{:02}", day.day());
        let mut out = Vec::new();
        for part in &self.parts {
            if part == "*" {
                out.push(Segment::Any(regex(r"^.+$")));
                continue;
            }
            if part.contains("{HH}") {
                let escaped = regex::escape(part);
                let pattern = escaped
                    .replace(r"\{HH\}", r"(?:[01]?[0-9]|2[0-3])")
                    .replace(r"\{service\}", &regex::escape(service))
                    .replace(r"\{model\}", &regex::escape(model))
                    .replace(r"\{version\}", &version.to_string())
                    .replace(r"\{yyyy\}", &yyyy)
                    .replace(r"\{MM\}", &format!("0?{}", day.month()))
                    .replace(r"\{dd\}", &format!("0?{}", day.day()));
                out.push(Segment::Any(regex(&format!("^{pattern}$"))));
                continue;
            }
            let fixed = part
                .replace("{service}", service)
                .replace("{model}", model)
                .replace("{version}", &version.to_string())
                .replace("{yyyy}", &yyyy);
            let mut variants = vec![fixed.replace("{MM}", &mm).replace("{dd}", &dd)];
            let unpadded = fixed
                .replace("{MM}", &day.month().to_string())
                .replace("{dd}", &day.day().to_string());
            if !variants.contains(&unpadded) {
                variants.push(unpadded);
            }
            out.push(Segment::Exact(variants));
        }
        out
    }
}

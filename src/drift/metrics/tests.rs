//! The registry is complete and consistent, and the docs' metric list is the registry's.

use std::collections::BTreeSet;
use std::path::Path;

use super::*;

fn source(file: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("reading {}: {e}", path.display()))
}

/// The `pub const NAME: &str = "value";` values of names.rs.
fn contract_names() -> Vec<String> {
    source("src/drift/metrics/names.rs")
        .lines()
        .filter_map(|l| l.strip_prefix("pub const "))
        .filter_map(|l| l.split('"').nth(1))
        .map(str::to_string)
        .collect()
}

#[test]
fn every_contract_name_has_exactly_one_entry() {
    let registered: Vec<&str> = METRICS.iter().map(|m| m.name).collect();
    let unique: BTreeSet<&str> = registered.iter().copied().collect();
    assert_eq!(unique.len(), registered.len(), "a name is registered twice");
    let contract = contract_names();
    assert!(
        contract.len() >= 20,
        "names.rs was not parsed: {contract:?}"
    );
    for name in &contract {
        assert!(
            unique.contains(name.as_str()),
            "`{name}` has no registry entry"
        );
    }
}

#[test]
fn labels_are_unique_and_short() {
    let mut seen = BTreeSet::new();
    for m in METRICS {
        assert!(seen.insert(m.label), "label `{}` is used twice", m.label);
        assert!(m.label.chars().count() <= 16, "label `{}` is long", m.label);
    }
}

/// Every metric a file under src/drift/metrics declares (`pub static X {` inside `metric!`) is
/// in [`METRICS`], from a module mod.rs declares.
#[test]
fn every_declared_metric_is_registered() {
    let registry = source("src/drift/metrics/mod.rs");
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("src/drift/metrics");
    let mut declared = 0;
    for entry in std::fs::read_dir(&dir).expect("metrics folder") {
        let path = entry.expect("entry").path();
        let module = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        let text = std::fs::read_to_string(&path).expect("metric file");
        for line in text.lines() {
            let Some(rest) = line.trim().strip_prefix("pub static ") else {
                continue;
            };
            let Some(id) = rest.strip_suffix(" {") else {
                continue;
            };
            declared += 1;
            assert!(
                registry.contains(&format!("pub mod {module};")),
                "`{module}` is not a module of mod.rs"
            );
            assert!(
                registry.contains(&format!("\n    &{module}::{id},\n")),
                "`{module}::{id}` is declared but not in METRICS"
            );
        }
    }
    assert_eq!(declared, METRICS.len(), "METRICS lists a metric twice");
}

#[test]
fn kind_agrees_with_how_the_value_is_computed() {
    for m in METRICS {
        let ok = match m.compute {
            Compute::Numeric(_) => m.kind == Kind::Numeric,
            Compute::Categorical(_) => m.kind == Kind::Categorical,
            Compute::Either(_) | Compute::Signal(_) => m.kind == Kind::Both,
            Compute::Classifier | Compute::Significance | Compute::Quality => true,
        };
        assert!(
            ok,
            "`{}`: kind {:?} but computed {:?}",
            m.name, m.kind, m.compute
        );
    }
}

#[test]
fn every_doc_says_what_why_binning_and_reference() {
    for m in METRICS {
        let doc = m.doc();
        for heading in ["**What.**", "**Why.**", "**Binning.**", "**Reference.**"] {
            assert!(doc.contains(heading), "`{}` lacks {heading}", m.name);
        }
        assert!(
            !doc.contains("[`"),
            "`{}`: doc links do not render outside rustdoc",
            m.name
        );
    }
}

#[test]
fn p_values_fall_and_distances_rise_with_drift() {
    for m in METRICS {
        if m.name.ends_with("p_value") || m.name.ends_with("p_value_adjusted") {
            assert_eq!(m.direction, Direction::Lower, "`{}`", m.name);
        }
        if m.name.ends_with("_distance") {
            assert_eq!(m.direction, Direction::Higher, "`{}`", m.name);
        }
    }
}

const DOC: &str = "docs/metrics.md";
const BEGIN: &str = "<!-- metric list: generated from src/drift/metrics (METRICS) -->\n";
const END: &str = "<!-- end of metric list -->\n";

/// The metric list in docs/metrics.md is [`markdown_table`]. Run with
/// `DRIFTSCAN_UPDATE_DOCS=1` to rewrite it after changing a metric.
#[test]
fn the_docs_list_the_registry() {
    let doc = source(DOC);
    let start = doc.find(BEGIN).expect("the metric list's opening marker") + BEGIN.len();
    let end = start
        + doc[start..]
            .find(END)
            .expect("the metric list's closing marker");
    let want = markdown_table();
    if doc[start..end] != want && std::env::var_os("DRIFTSCAN_UPDATE_DOCS").is_some() {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(DOC);
        std::fs::write(path, format!("{}{want}{}", &doc[..start], &doc[end..])).expect("docs");
        return;
    }
    assert!(
        doc[start..end] == want,
        "{DOC} does not list the registry's metrics; run with DRIFTSCAN_UPDATE_DOCS=1 to rewrite it. Expected:\n{want}"
    );
}

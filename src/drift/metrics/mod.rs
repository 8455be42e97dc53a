//! Drift metrics, each declared once, in its own file, with everything every surface needs: its
//! contract name, display label, kind, direction, unit, default threshold, documentation (What /
//! Why / Binning / Reference) and how it is computed. [`METRICS`] lists them; the scan, the
//! terminal table, the report, the alert, the Python frame and the metric list in
//! `docs/metrics.md` all read that list, so adding a metric is one new file and one line there.
//!
//! The scan calls [`numeric`] or [`categorical`] once per feature; they evaluate, in registry
//! order, every metric computed from the two column profiles:
//!
//! | feature | metrics, in order |
//! |---|---|
//! | numeric | `wasserstein_distance`, `energy_distance`, `normalized_wasserstein_distance`, `two_sample_ks_statistic`, `ks_p_value`, `population_stability_index`, `jensen_shannon_distance`, missing rates and their test |
//! | categorical | `jensen_shannon_distance`, `chi_squared`, `chi_squared_p_value`, `unseen_category_rate`, missing rates and their test |
//!
//! What several metrics need is prepared once per feature in a [`Pair`]: above all the one pass
//! over the two sketches that yields W1, energy distance and the KS statistic together
//! ([`crate::profile::sketch::compare`]), and the baseline-decile bins. The metrics computed by
//! the domain classifier and by the significance step are declared here too, so the registry
//! names every metric, but their values come from [`crate::drift::classifier`] and
//! [`crate::drift::significance`].
//!
//! [`crate::drift::significance`] reads each feature's tests and effect sizes from this list
//! (`FeatureTests::from_metrics`) to decide whether it drifted. A metric that is undefined (no
//! values on one side) is NaN, written as `null` in JSON.

/// Declares a metric as a `static` [`MetricDef`]. Its doc comment becomes both the item's rustdoc
/// and [`MetricDef::doc`], so the documentation users read is written once (ruff's habit).
macro_rules! metric {
    ($(#[doc = $doc:literal])* $vis:vis static $id:ident { $($field:ident: $value:expr),+ $(,)? }) => {
        $(#[doc = $doc])*
        $vis static $id: $crate::drift::metrics::MetricDef = $crate::drift::metrics::MetricDef {
            doc: concat!($($doc, "\n"),*),
            $($field: $value),+
        };
    };
}

pub mod baseline_missing_rate;
pub mod binning;
pub mod chebyshev;
pub mod chi_squared;
pub mod chi_squared_p_value;
pub mod classifier_roc_auc;
pub mod data_type_error_rate;
pub mod datadrift_coefficient;
pub mod datadrift_contribution;
pub mod datadrift_noise_floor;
pub mod datadrift_p_value;
pub mod drift_effect_size;
pub mod drift_min_effect;
pub mod drift_p_value;
pub mod drift_p_value_adjusted;
pub mod drifted;
pub mod drifted_features;
pub mod energy;
pub mod jensen_shannon;
pub mod ks;
pub mod ks_p_value;
pub mod missing_rate;
pub mod missing_rate_change;
pub mod missing_rate_cohens_h;
pub mod missing_rate_p_value;
pub mod names;
pub mod normalized_wasserstein;
pub mod null_value_rate;
pub mod out_of_bounds_rate;
pub mod psi;
pub mod target_missing_rate;
pub mod unseen_category;
pub mod wasserstein;

use std::collections::BTreeSet;

use crate::drift::result::Metric;
use crate::profile::sketch::{CdfDistances, compare};
use crate::profile::{NumericProfile, TextProfile};

/// Every metric, one line each. The order is the order of the result document: dataset metrics,
/// then each feature's (the contribution, the profile metrics, the significance step's).
pub static METRICS: &[&MetricDef] = &[
    &datadrift_coefficient::DATADRIFT_COEFFICIENT,
    &classifier_roc_auc::CLASSIFIER_ROC_AUC,
    &datadrift_noise_floor::DATADRIFT_NOISE_FLOOR,
    &datadrift_p_value::DATADRIFT_P_VALUE,
    &drifted_features::DRIFTED_FEATURES,
    &datadrift_contribution::DATADRIFT_CONTRIBUTION,
    &wasserstein::WASSERSTEIN_DISTANCE,
    &energy::ENERGY_DISTANCE,
    &normalized_wasserstein::NORMALIZED_WASSERSTEIN_DISTANCE,
    &ks::TWO_SAMPLE_KS_STATISTIC,
    &ks_p_value::KS_P_VALUE,
    &psi::POPULATION_STABILITY_INDEX,
    &jensen_shannon::JENSEN_SHANNON_DISTANCE,
    &chi_squared::CHI_SQUARED,
    &chi_squared_p_value::CHI_SQUARED_P_VALUE,
    &chebyshev::CHEBYSHEV_DISTANCE,
    &unseen_category::UNSEEN_CATEGORY_RATE,
    &baseline_missing_rate::BASELINE_MISSING_RATE,
    &target_missing_rate::TARGET_MISSING_RATE,
    &missing_rate_change::MISSING_RATE_CHANGE,
    &missing_rate_p_value::MISSING_RATE_P_VALUE,
    &missing_rate_cohens_h::MISSING_RATE_COHENS_H,
    &drift_p_value::DRIFT_P_VALUE,
    &drift_p_value_adjusted::DRIFT_P_VALUE_ADJUSTED,
    &drift_effect_size::DRIFT_EFFECT_SIZE,
    &drift_min_effect::DRIFT_MIN_EFFECT,
    &drifted::DRIFTED,
    &null_value_rate::NULL_VALUE_RATE,
    &data_type_error_rate::DATA_TYPE_ERROR_RATE,
    &out_of_bounds_rate::OUT_OF_BOUNDS_RATE,
];

/// One metric: what every surface needs to compute, show, explain and judge it.
#[derive(Debug)]
pub struct MetricDef {
    /// Contract name, one of [`names`]: the key in the result document, Application Insights
    /// and the Python frame. Never changes once released.
    pub name: &'static str,
    /// Short label for tables and text (terminal, report, alert, Python), the same everywhere.
    pub label: &'static str,
    /// What it is computed for.
    pub kind: Kind,
    /// Which way means more drift.
    pub direction: Direction,
    /// What its values are measured in.
    pub unit: Unit,
    /// The usual cut-off beyond which the value alone reads as drift, where one is customary.
    pub threshold: Option<f64>,
    /// The doc comment as written (see [`MetricDef::doc`] for the text).
    pub doc: &'static str,
    /// Where its value comes from.
    pub compute: Compute,
}

/// What a metric is computed for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// The whole run (`dataset_metrics`).
    Dataset,
    /// Numeric features only.
    Numeric,
    /// Categorical features only.
    Categorical,
    /// Every feature.
    Both,
}

/// Which way a metric means more drift.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// Higher is more drift (distances, statistics, rates of the unexpected).
    Higher,
    /// Lower is more drift (p-values).
    Lower,
    /// Farther from zero, either way, is more drift (signed changes).
    EitherWay,
    /// Not a drift score: a description of one side, or a setting echoed into the result.
    Neither,
}

/// What a metric's values are measured in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Unit {
    /// A pure number.
    Unitless,
    /// The feature's own units.
    Feature,
    /// Standard deviations of the baseline.
    BaselineStd,
    /// A share of rows or of importance, 0 to 1 (shown as a percentage).
    Share,
    /// A number of features.
    Count,
    /// 1 or 0 (yes or no).
    Flag,
}

/// Where a metric's value comes from.
#[derive(Debug, Clone, Copy)]
pub enum Compute {
    /// From a numeric feature's two profiles, by [`numeric`].
    Numeric(fn(&NumericPair) -> f64),
    /// From a categorical feature's two profiles, by [`categorical`].
    Categorical(fn(&CategoricalPair) -> f64),
    /// From either kind of feature, through what both kinds have (bins and missing values).
    Either(fn(&Pair) -> f64),
    /// By the domain classifier, over both sides' row samples ([`crate::drift::classifier`]).
    Classifier,
    /// By the significance step, from the features' tests across the run
    /// ([`crate::drift::significance`]).
    Significance,
    /// From either kind of column's two profiles, like `Either`, but only for a signal beside
    /// input drift (the output columns of [`crate::drift::prediction`]): never part of an input
    /// feature's metrics, so the v1 result document keeps its metric list. See [`signal`].
    Signal(fn(&Pair) -> f64),
    /// By the data-quality signal, from the production profile's counts against the reference
    /// ([`crate::drift::quality`]): never part of an input feature's drift metrics.
    Quality,
}

impl Kind {
    /// The kind as a word for other languages: `dataset`, `numeric`, `categorical`, `both`.
    pub fn as_str(self) -> &'static str {
        match self {
            Kind::Dataset => "dataset",
            Kind::Numeric => "numeric",
            Kind::Categorical => "categorical",
            Kind::Both => "both",
        }
    }
}

impl Direction {
    /// The direction as a word: `higher`, `lower`, `either_way`, `neither`.
    pub fn as_str(self) -> &'static str {
        match self {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::EitherWay => "either_way",
            Direction::Neither => "neither",
        }
    }
}

impl Unit {
    /// The unit as a word: `unitless`, `feature`, `baseline_std`, `share`, `count`, `flag`.
    pub fn as_str(self) -> &'static str {
        match self {
            Unit::Unitless => "unitless",
            Unit::Feature => "feature",
            Unit::BaselineStd => "baseline_std",
            Unit::Share => "share",
            Unit::Count => "count",
            Unit::Flag => "flag",
        }
    }
}

impl MetricDef {
    /// The documentation as text: the doc comment without its leading spaces, paragraphs
    /// separated by a blank line.
    pub fn doc(&self) -> String {
        let lines: Vec<&str> = self
            .doc
            .lines()
            .map(|l| l.strip_prefix(' ').unwrap_or(l).trim_end())
            .collect();
        lines.join("\n").trim().to_string()
    }

    /// The first paragraph of [`MetricDef::doc`] (What), on one line, without its heading.
    pub fn summary(&self) -> String {
        let doc = self.doc();
        let first = doc.split("\n\n").next().unwrap_or_default();
        let text = first.split_whitespace().collect::<Vec<_>>().join(" ");
        text.strip_prefix("**What.** ").unwrap_or(&text).to_string()
    }
}

/// The metric named `name`, if any.
pub fn get(name: &str) -> Option<&'static MetricDef> {
    METRICS.iter().copied().find(|m| m.name == name)
}

/// A numeric feature's two profiles, with what its metrics share.
#[derive(Debug)]
pub struct NumericPair<'a> {
    /// The baseline's profile of the feature.
    pub baseline: &'a NumericProfile,
    /// The target's profile of the feature.
    pub target: &'a NumericProfile,
    /// W1, energy distance and the KS statistic from one pass over the two sketches.
    pub distances: CdfDistances,
    /// Each side's shares in the baseline-decile bins ([`binning`]); empty when a side has no
    /// value.
    pub shares: (Vec<f64>, Vec<f64>),
}

impl<'a> NumericPair<'a> {
    /// Prepares the shared inputs: the pass over the sketches and the bins.
    pub fn new(baseline: &'a NumericProfile, target: &'a NumericProfile) -> Self {
        let edges = binning::baseline_edges(baseline);
        let shares = if baseline.count > 0 && target.count > 0 {
            (
                binning::proportions(baseline, &edges),
                binning::proportions(target, &edges),
            )
        } else {
            (Vec::new(), Vec::new())
        };
        NumericPair {
            baseline,
            target,
            distances: compare(&baseline.sketch, &target.sketch),
            shares,
        }
    }
}

/// A categorical feature's two profiles, with their table of counts.
#[derive(Debug)]
pub struct CategoricalPair<'a> {
    /// The baseline's profile of the feature.
    pub baseline: &'a TextProfile,
    /// The target's profile of the feature.
    pub target: &'a TextProfile,
    /// Each side's rows per category, over [`category_table`]'s categories.
    pub counts: (Vec<f64>, Vec<f64>),
}

impl<'a> CategoricalPair<'a> {
    /// Prepares the table of counts.
    pub fn new(baseline: &'a TextProfile, target: &'a TextProfile) -> Self {
        let (_, b, t) = category_table(baseline, target);
        CategoricalPair {
            baseline,
            target,
            counts: (b, t),
        }
    }
}

/// A feature's two profiles, of either kind.
#[derive(Debug)]
pub enum Pair<'a> {
    /// A numeric feature.
    Numeric(NumericPair<'a>),
    /// A categorical feature.
    Categorical(CategoricalPair<'a>),
}

impl Pair<'_> {
    /// Each side's frequencies per bin: shares in the baseline-decile bins (numeric), rows per
    /// category (categorical).
    pub fn frequencies(&self) -> (&[f64], &[f64]) {
        match self {
            Pair::Numeric(p) => (&p.shares.0, &p.shares.1),
            Pair::Categorical(p) => (&p.counts.0, &p.counts.1),
        }
    }

    /// Each side's (missing values, rows). A numeric value that does not parse counts as missing
    /// (`NumericProfile::invalid`): the model cannot read it either.
    pub fn missing(&self) -> [(u64, u64); 2] {
        match self {
            Pair::Numeric(p) => [
                (p.baseline.missing + p.baseline.invalid, p.baseline.rows),
                (p.target.missing + p.target.invalid, p.target.rows),
            ],
            Pair::Categorical(p) => [
                (p.baseline.missing, p.baseline.rows),
                (p.target.missing, p.target.rows),
            ],
        }
    }
}

/// Metrics of a numeric feature (see the module table).
pub fn numeric(baseline: &NumericProfile, target: &NumericProfile) -> Vec<Metric> {
    evaluate(&Pair::Numeric(NumericPair::new(baseline, target)))
}

/// Metrics of a categorical feature (see the module table).
pub fn categorical(baseline: &TextProfile, target: &TextProfile) -> Vec<Metric> {
    evaluate(&Pair::Categorical(CategoricalPair::new(baseline, target)))
}

/// The metrics computed only for signals beside input drift ([`Compute::Signal`]), in registry
/// order, from a numeric or categorical pair.
pub fn signal(pair: &Pair) -> Vec<Metric> {
    METRICS
        .iter()
        .filter_map(|m| match m.compute {
            Compute::Signal(f) => Some(Metric::new(m.name, f(pair))),
            _ => None,
        })
        .collect()
}

/// Every registry metric computed from this pair's profiles, in registry order.
fn evaluate(pair: &Pair) -> Vec<Metric> {
    METRICS
        .iter()
        .filter_map(|m| {
            let value = match (m.compute, pair) {
                (Compute::Numeric(f), Pair::Numeric(p)) => f(p),
                (Compute::Categorical(f), Pair::Categorical(p)) => f(p),
                (Compute::Either(f), _) => f(pair),
                _ => return None,
            };
            Some(Metric::new(m.name, value))
        })
        .collect()
}

/// Label of the missing-value category in [`category_table`].
pub const MISSING_LABEL: &str = "(missing)";
/// Label of the rows past the category cap in [`category_table`].
pub const OTHER_LABEL: &str = "(other)";

/// Counts of both sides over the union of their categories, sorted by label, then missing
/// values, then (when either side passed its category cap) the rows of dropped categories.
pub fn category_table(
    baseline: &TextProfile,
    target: &TextProfile,
) -> (Vec<String>, Vec<f64>, Vec<f64>) {
    let labels: BTreeSet<&String> = baseline.counts.keys().chain(target.counts.keys()).collect();
    let mut names: Vec<String> = Vec::with_capacity(labels.len() + 2);
    let (mut b, mut t) = (Vec::new(), Vec::new());
    for l in labels {
        names.push(l.clone());
        b.push(baseline.counts.get(l).copied().unwrap_or(0) as f64);
        t.push(target.counts.get(l).copied().unwrap_or(0) as f64);
    }
    if baseline.missing + target.missing > 0 {
        names.push(MISSING_LABEL.to_string());
        b.push(baseline.missing as f64);
        t.push(target.missing as f64);
    }
    if baseline.other + target.other > 0 {
        names.push(OTHER_LABEL.to_string());
        b.push(baseline.other as f64);
        t.push(target.other as f64);
    }
    (names, b, t)
}

/// The metric list of `docs/metrics.md`: one row per registry metric, in registry order.
pub fn markdown_table() -> String {
    let mut out = String::from(
        "| metric | label | for | more drift is | unit | default threshold | what it measures |\n|---|---|---|---|---|---|---|\n",
    );
    for m in METRICS {
        let kind = match m.kind {
            Kind::Dataset => "the run",
            Kind::Numeric => "numeric features",
            Kind::Categorical => "categorical features",
            Kind::Both => "every feature",
        };
        let direction = match m.direction {
            Direction::Higher => "higher",
            Direction::Lower => "lower",
            Direction::EitherWay => "farther from 0",
            Direction::Neither => "–",
        };
        let unit = match m.unit {
            Unit::Unitless => "–",
            Unit::Feature => "the feature's units",
            Unit::BaselineStd => "baseline standard deviations",
            Unit::Share => "share, 0–1",
            Unit::Count => "features",
            Unit::Flag => "1 or 0",
        };
        let threshold = m.threshold.map_or("–".to_string(), |t| t.to_string());
        out.push_str(&format!(
            "| `{}` | {} | {kind} | {direction} | {unit} | {threshold} | {} |\n",
            m.name,
            m.label,
            m.summary().replace('|', "\\|")
        ));
    }
    out
}

#[cfg(test)]
mod tests;

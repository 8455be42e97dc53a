//! Per-feature drift metrics, each defined once, in its own file (What / Why / Binning /
//! Reference), computed from two column profiles.
//!
//! The scan calls [`numeric`] or [`categorical`] once per feature:
//!
//! | feature | metrics, in order |
//! |---|---|
//! | numeric | `wasserstein_distance`, `energy_distance`, `normalized_wasserstein_distance`, `two_sample_ks_statistic`, `ks_p_value`, `population_stability_index`, `jensen_shannon_distance`, missing rates and their test |
//! | categorical | `jensen_shannon_distance`, `chi_squared`, `chi_squared_p_value`, `unseen_category_rate`, missing rates and their test |
//!
//! [`crate::drift::significance`] reads each feature's tests and effect sizes from this list
//! (`FeatureTests::from_metrics`) to decide whether it drifted. A metric that is undefined (no values on one side) is NaN, written as
//! `null` in JSON.

pub mod binning;
pub mod chi_squared;
pub mod energy;
pub mod jensen_shannon;
pub mod ks;
pub mod ks_p_value;
pub mod missing_rate;
pub mod missing_rate_p_value;
pub mod names;
pub mod normalized_wasserstein;
pub mod psi;
pub mod unseen_category;
pub mod wasserstein;

use std::collections::BTreeSet;

use crate::drift::result::Metric;
use crate::profile::{NumericProfile, TextProfile};

/// Metrics of a numeric feature (see the module table).
pub fn numeric(baseline: &NumericProfile, target: &NumericProfile) -> Vec<Metric> {
    let d = wasserstein::distances(&baseline.sketch, &target.sketch);
    let edges = binning::baseline_edges(baseline);
    let (pb, pt) = if baseline.count > 0 && target.count > 0 {
        (
            binning::proportions(baseline, &edges),
            binning::proportions(target, &edges),
        )
    } else {
        (Vec::new(), Vec::new())
    };
    let normalized = normalized_wasserstein::normalized_wasserstein_distance(
        d.wasserstein,
        baseline.std_population(),
    );
    let ks_p = ks_p_value::ks_p_value(d.ks, baseline.count, target.count);
    let mut out = vec![
        Metric::new(names::WASSERSTEIN_DISTANCE, d.wasserstein),
        Metric::new(names::ENERGY_DISTANCE, d.energy),
        Metric::new(names::NORMALIZED_WASSERSTEIN_DISTANCE, normalized),
        Metric::new(names::TWO_SAMPLE_KS_STATISTIC, d.ks),
        Metric::new(names::KS_P_VALUE, ks_p),
        Metric::new(
            names::POPULATION_STABILITY_INDEX,
            psi::population_stability_index(&pb, &pt),
        ),
        Metric::new(
            names::JENSEN_SHANNON_DISTANCE,
            jensen_shannon::jensen_shannon_distance(&pb, &pt),
        ),
    ];
    out.extend(missing_rate::missing_rate_metrics(
        baseline.missing_rate(),
        target.missing_rate(),
    ));
    let (missing_p, missing_effect) = missing_rate_p_value::missing_rate_test(
        baseline.missing,
        baseline.rows,
        target.missing,
        target.rows,
    );
    out.push(Metric::new(names::MISSING_RATE_P_VALUE, missing_p));
    out.push(Metric::new(names::MISSING_RATE_COHENS_H, missing_effect));
    out
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

/// Metrics of a categorical feature (see the module table).
pub fn categorical(baseline: &TextProfile, target: &TextProfile) -> Vec<Metric> {
    let (_, b, t) = category_table(baseline, target);
    let (chi2, p) = chi_squared::chi_squared(&b, &t);
    let js = jensen_shannon::jensen_shannon_distance(&b, &t);
    let mut out = vec![
        Metric::new(names::JENSEN_SHANNON_DISTANCE, js),
        Metric::new(names::CHI_SQUARED, chi2),
        Metric::new(names::CHI_SQUARED_P_VALUE, p),
        Metric::new(
            names::UNSEEN_CATEGORY_RATE,
            unseen_category::unseen_category_rate(baseline, target),
        ),
    ];
    out.extend(missing_rate::missing_rate_metrics(
        baseline.missing_rate(),
        target.missing_rate(),
    ));
    let (missing_p, missing_effect) = missing_rate_p_value::missing_rate_test(
        baseline.missing,
        baseline.rows,
        target.missing,
        target.rows,
    );
    out.push(Metric::new(names::MISSING_RATE_P_VALUE, missing_p));
    out.push(Metric::new(names::MISSING_RATE_COHENS_H, missing_effect));
    out
}

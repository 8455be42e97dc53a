//! The verdict of a run in one sentence, and whether it warrants an alert: defined once, so the
//! CLI summary, the report header, the alert and the log all say the same thing.
//!
//! `has_drift` stays Azure ML's rule (`datadrift_coefficient > drift_threshold`), but a sentence
//! never says "no drift" when features drifted significantly:
//!
//! ```text
//! coefficient 0.12, below the threshold 0.20; 3 of 5 features drifted: temp_max, temp_min, weather
//! ```

use crate::detector::AlertOn;
use crate::drift::result::{RunResult, RunStatus};

/// Drifted features named in a sentence; the rest are counted.
pub const NAMED_FEATURES: usize = 5;

/// What a succeeded run found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Status {
    /// The coefficient is above the threshold (`has_drift`).
    Drift,
    /// The coefficient is not, but at least one feature drifted significantly.
    FeaturesDrifted,
    /// Neither.
    NoDrift,
}

impl Status {
    /// The status of a succeeded run from its `has_drift` and its number of drifted features.
    pub fn of(has_drift: bool, drifted_features: usize) -> Status {
        if has_drift {
            Status::Drift
        } else if drifted_features > 0 {
            Status::FeaturesDrifted
        } else {
            Status::NoDrift
        }
    }

    /// The label, after the drifted features when there are any, for one-line outcomes:
    /// `no drift`, `drifted: a, b  FEATURES DRIFTED`.
    pub fn with_features(self, drifted: &[String]) -> String {
        if drifted.is_empty() {
            self.label().to_string()
        } else {
            format!("drifted: {}  {}", drifted.join(", "), self.label())
        }
    }

    /// A short label: `DRIFT`, `FEATURES DRIFTED`, `no drift`.
    pub fn label(self) -> &'static str {
        match self {
            Status::Drift => "DRIFT",
            Status::FeaturesDrifted => "FEATURES DRIFTED",
            Status::NoDrift => "no drift",
        }
    }
}

/// What `result` found (a run that did not succeed found nothing). A monitored feature missing
/// from the target counts as a drifted feature.
pub fn status(result: &RunResult) -> Status {
    if result.run.status != RunStatus::Succeeded {
        Status::NoDrift
    } else {
        Status::of(
            result.has_drift,
            result.drifted_features().len() + result.schema.missing_features.len(),
        )
    }
}

/// The coefficient against the threshold, then the drifted features:
/// `coefficient 0.12, below the threshold 0.20; 3 of 5 features drifted: a, b, c`.
pub fn sentence(result: &RunResult) -> String {
    let coefficient = result.coefficient().unwrap_or(f64::NAN);
    let (c, t) = distinct_pair(coefficient, result.drift_threshold);
    let relation = if result.has_drift {
        "above"
    } else if coefficient == result.drift_threshold {
        "at"
    } else {
        "below"
    };
    let drifted = result.drifted_features();
    let compared = result.column_metrics.len();
    let features = match drifted.len() {
        // A vanished feature counts as drifted in the status: say the compared ones did not.
        0 if !result.schema.missing_features.is_empty() => {
            format!("no compared feature drifted ({compared} compared)")
        }
        0 => format!("no feature drifted ({compared} compared)"),
        n => {
            let mut named = drifted
                .iter()
                .take(NAMED_FEATURES)
                .cloned()
                .collect::<Vec<_>>()
                .join(", ");
            if n > NAMED_FEATURES {
                named.push_str(&format!(" and {} more", n - NAMED_FEATURES));
            }
            let noun = if compared == 1 { "feature" } else { "features" };
            format!("{n} of {compared} {noun} drifted: {named}")
        }
    };
    let mut sentence = format!("coefficient {c}, {relation} the threshold {t}; {features}");
    // Above the threshold with no feature flagged: say where the coefficient comes from, so the
    // numbers and the sentence never seem to contradict each other.
    if result.has_drift
        && drifted.is_empty()
        && let Some((name, share)) = result.top_contributors(1).into_iter().next()
    {
        sentence.push_str(&format!(
            "; the classifier told the two apart mostly by {name} ({:.0} % of the contribution)",
            100.0 * share
        ));
    }
    if !result.schema.missing_features.is_empty() {
        sentence.push_str(&format!(
            "; missing from the target: {}",
            result.schema.missing_features.join(", ")
        ));
    }
    sentence
}

/// Whether `result` warrants an alert under `alert_on`.
pub fn warrants_alert(result: &RunResult, alert_on: AlertOn) -> bool {
    // A monitored input that vanished alerts whatever the policy: the model is blind to it.
    if result.run.status == RunStatus::Succeeded && !result.schema.missing_features.is_empty() {
        return true;
    }
    match status(result) {
        Status::NoDrift => false,
        Status::Drift => alert_on != AlertOn::Features || !result.drifted_features().is_empty(),
        Status::FeaturesDrifted => alert_on != AlertOn::Coefficient,
    }
}

/// A p-value as people read it: three decimals, tiny ones in scientific notation.
pub fn format_p_value(p: f64) -> String {
    if !p.is_finite() {
        "-".to_string()
    } else if p != 0.0 && p < 1e-3 {
        format!("{p:.2e}")
    } else {
        format!("{p:.3}")
    }
}

/// Both numbers with two decimals, or more when two decimals would print them equal
/// (0.2049 above 0.20 must not read "0.20 above 0.20").
pub fn distinct_pair(a: f64, b: f64) -> (String, String) {
    for decimals in 2..=6 {
        let (x, y) = (format!("{a:.decimals$}"), format!("{b:.decimals$}"));
        if x != y {
            return (x, y);
        }
    }
    (format!("{a:.2}"), format!("{b:.2}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::drift::metrics::names;
    use crate::drift::result::Metric;
    use std::collections::BTreeMap;

    fn result(coefficient: f64, drifted: &[&str], others: usize) -> RunResult {
        let mut column_metrics: Vec<BTreeMap<String, Vec<Metric>>> = drifted
            .iter()
            .map(|n| BTreeMap::from([(n.to_string(), vec![Metric::new(names::DRIFTED, 1.0)])]))
            .collect();
        for i in 0..others {
            column_metrics.push(BTreeMap::from([(
                format!("quiet{i}"),
                vec![Metric::new(names::DRIFTED, 0.0)],
            )]));
        }
        RunResult {
            schema_version: "1.0".into(),
            datetime: chrono::NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            detector: "d".into(),
            service_name: "s".into(),
            model_name: "m".into(),
            model_version: 1,
            drift_threshold: 0.2,
            has_drift: coefficient > 0.2,
            dataset_metrics: vec![Metric::new(names::DATADRIFT_COEFFICIENT, coefficient)],
            column_metrics,
            run: Default::default(),
            baseline: Default::default(),
            target: Default::default(),
            classifier: None,
            features: vec![],
            schema: Default::default(),
            warnings: vec![],
            signals: vec![],
        }
    }

    #[test]
    fn the_sentence_names_coefficient_threshold_and_drifted_features() {
        let r = result(0.12, &["temp_max", "temp_min", "weather"], 2);
        assert_eq!(
            sentence(&r),
            "coefficient 0.12, below the threshold 0.20; 3 of 5 features drifted: temp_max, temp_min, weather"
        );
        assert_eq!(status(&r), Status::FeaturesDrifted);
        let r = result(0.43, &[], 4);
        assert_eq!(
            sentence(&r),
            "coefficient 0.43, above the threshold 0.20; no feature drifted (4 compared)"
        );
        let names: Vec<String> = (0..7).map(|i| format!("f{i}")).collect();
        let refs: Vec<&str> = names.iter().map(String::as_str).collect();
        let r = result(0.2049, &refs, 0);
        assert_eq!(
            sentence(&r),
            "coefficient 0.205, above the threshold 0.200; 7 of 7 features drifted: f0, f1, f2, f3, f4 and 2 more"
        );
    }

    #[test]
    fn alerts_follow_the_policy() {
        let features_only = result(0.1, &["a"], 1);
        let coefficient_only = result(0.5, &[], 2);
        let quiet = result(0.0, &[], 2);
        for (r, coefficient, features, either) in [
            (&features_only, false, true, true),
            (&coefficient_only, true, false, true),
            (&quiet, false, false, false),
        ] {
            assert_eq!(warrants_alert(r, AlertOn::Coefficient), coefficient);
            assert_eq!(warrants_alert(r, AlertOn::Features), features);
            assert_eq!(warrants_alert(r, AlertOn::CoefficientOrFeatures), either);
        }
    }
}

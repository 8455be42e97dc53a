//! The data-quality signal: per feature, the production side's `null_value_rate`,
//! `data_type_error_rate` and `out_of_bounds_rate` against the reference, as Azure ML model
//! monitoring (v2) defines them, from the two profiles alone.
//!
//! Every rate is `count / rows` over the **production rows** (the rows of the production side,
//! whatever their values), and carries both exact counts. The counts come from what profiling
//! counts anyway, so they add up across files, days and Spark partitions:
//!
//! | metric | numeric feature | categorical feature |
//! |---|---|---|
//! | `null_value_rate` | missing values | missing values |
//! | `data_type_error_rate` | values that are not numbers (`abc` in a numeric column) | 0: text accepts any value |
//! | `out_of_bounds_rate` | finite values below the reference's min or above its max, plus NaN and infinities | values whose category the reference never had |
//!
//! Missing values are never type errors or out of bounds. Out of bounds is exact when the
//! production side was profiled against the reference (`ProfileOptions::against`, as every scan
//! and detector run does); otherwise it falls back to the production sketch and says, in a
//! warning, by at most how many rows the count may be off (see
//! [`crate::profile::NumericProfile::outside_from_sketch`]). A side that passed its category cap
//! leaves some categories uncounted; a warning bounds that too.

use std::collections::BTreeMap;

use crate::data::value::{Parsed, parse_number};
use crate::detector::signals::{DATA_QUALITY, DEFAULT_QUALITY_THRESHOLD, DataQualityConfig};
use crate::profile::text::label_hash;
use crate::profile::{
    ColumnProfile, ColumnStats, FeatureType, NumericProfile, Profile, TextProfile,
};

use super::metrics::names;
use super::result::{DatasetSummary, FeatureKind};
use super::signals::{SignalFeature, SignalMetric, SignalResult};

/// The data-quality signal of `production` against `reference`.
///
/// Features: `config.features` when given (each with all three metrics); else `features` (the
/// run's compared features, all three metrics) plus every other text column of the reference
/// that drift leaves out as an identifier or free text and that production has too: those get
/// `null_value_rate` and `data_type_error_rate`, not `out_of_bounds_rate` (nearly every value of
/// an identifier is new). A feature absent from the reference is skipped with a warning; one
/// absent from production is null on every production row.
///
/// Thresholds: `config.feature_thresholds[feature][metric]`, else
/// `config.metric_thresholds.{numerical|categorical}[metric]`, else the reference's own rate of
/// that metric ([`reference_rates`]): Azure ML's 0.0 wherever the reference was clean, so any
/// null, type error or out-of-bounds value fails there.
pub fn evaluate(
    reference: &Profile,
    production: &Profile,
    features: &[String],
    config: &DataQualityConfig,
) -> SignalResult {
    let mut warnings = Vec::new();
    let mut checked: Vec<(String, bool)> = Vec::new();
    match &config.features {
        Some(list) => checked.extend(list.iter().map(|f| (f.clone(), true))),
        None => {
            checked.extend(features.iter().map(|f| (f.clone(), true)));
            let production_columns = production.columns_by_name();
            for column in &reference.columns {
                if matches!(column.feature_type(), FeatureType::Excluded(_))
                    && column.kind() == crate::data::ColumnKind::Text
                    && production_columns.contains_key(column.name.as_str())
                    && !features.contains(&column.name)
                {
                    checked.push((column.name.clone(), false));
                }
            }
        }
    }
    let reference_columns = reference.columns_by_name();
    let production_columns = production.columns_by_name();
    let mut seen = std::collections::HashSet::new();
    let mut out = Vec::with_capacity(checked.len());
    for (name, bounded) in checked {
        if !seen.insert(name.clone()) {
            continue;
        }
        let Some(r) = reference_columns.get(name.as_str()) else {
            warnings.push(format!(
                "`{name}` is not a column of the reference; its data quality was not checked"
            ));
            continue;
        };
        let counts = match production_columns.get(name.as_str()) {
            Some(p) => feature_counts(r, p, bounded, &mut warnings),
            None => {
                warnings.push(format!(
                    "`{name}` is missing from the production data: every row counts as null"
                ));
                Counts {
                    rows: production.rows,
                    nulls: production.rows,
                    type_errors: 0,
                    out_of_bounds: bounded.then_some(0),
                }
            }
        };
        let kind = match r.kind() {
            crate::data::ColumnKind::Numeric => FeatureKind::Numeric,
            crate::data::ColumnKind::Text => FeatureKind::Categorical,
        };
        let own = reference_rates(r);
        let judge = |metric: &str, count: u64| {
            let default = match metric {
                names::NULL_VALUE_RATE => own.0,
                names::DATA_TYPE_ERROR_RATE => own.1,
                _ => DEFAULT_QUALITY_THRESHOLD,
            };
            SignalMetric::rate(metric, count, counts.rows)
                .with_threshold(threshold(config, &name, kind, metric).unwrap_or(default))
        };
        let mut metrics = vec![
            judge(names::NULL_VALUE_RATE, counts.nulls),
            judge(names::DATA_TYPE_ERROR_RATE, counts.type_errors),
        ];
        if let Some(outside) = counts.out_of_bounds {
            metrics.push(judge(names::OUT_OF_BOUNDS_RATE, outside));
        }
        out.push(SignalFeature::judged(&name, kind, metrics));
    }
    SignalResult::judged(
        DATA_QUALITY,
        summary(reference),
        summary(production),
        Vec::new(),
        out,
        warnings,
    )
}

/// The threshold of `metric` for `feature` (see [`evaluate`]).
fn threshold(
    config: &DataQualityConfig,
    feature: &str,
    kind: FeatureKind,
    metric: &str,
) -> Option<f64> {
    let by_kind: &BTreeMap<String, f64> = match kind {
        FeatureKind::Numeric => &config.metric_thresholds.numerical,
        FeatureKind::Categorical => &config.metric_thresholds.categorical,
    };
    config
        .feature_thresholds
        .get(feature)
        .and_then(|m| m.get(metric))
        .or_else(|| by_kind.get(metric))
        .copied()
}

/// The reference's own null and type-error rates: the default thresholds of those two metrics.
/// Azure ML's default of 0.0 would fail, on every run, a feature whose training data already had
/// nulls by design (a field left empty when it does not apply); a production rate above the
/// reference's is the change worth an alert. Where the reference was clean the default is 0.0,
/// as in Azure ML; out-of-bounds values cannot occur in the reference, so that default is 0.0.
fn reference_rates(column: &ColumnProfile) -> (f64, f64) {
    let rows = column.rows();
    if rows == 0 {
        return (DEFAULT_QUALITY_THRESHOLD, DEFAULT_QUALITY_THRESHOLD);
    }
    let (missing, invalid) = match &column.stats {
        ColumnStats::Numeric(n) => (n.missing, n.invalid),
        ColumnStats::Text(t) => (t.missing, 0),
    };
    (missing as f64 / rows as f64, invalid as f64 / rows as f64)
}

fn summary(p: &Profile) -> DatasetSummary {
    DatasetSummary {
        source: p.source.clone(),
        files: p.files.len(),
        rows: p.rows,
        content_hash: (!p.content_hash.is_empty()).then(|| p.content_hash.clone()),
    }
}

/// One feature's counts over the production rows.
struct Counts {
    rows: u64,
    nulls: u64,
    type_errors: u64,
    /// `None` when not computed for this feature.
    out_of_bounds: Option<u64>,
}

fn feature_counts(
    reference: &ColumnProfile,
    production: &ColumnProfile,
    bounded: bool,
    warnings: &mut Vec<String>,
) -> Counts {
    let name = &reference.name;
    match (&reference.stats, &production.stats) {
        (ColumnStats::Numeric(r), ColumnStats::Numeric(p)) => Counts {
            rows: p.rows,
            nulls: p.missing,
            type_errors: p.invalid,
            out_of_bounds: bounded.then(|| numeric_outside(name, r, p, warnings)),
        },
        (ColumnStats::Text(r), ColumnStats::Text(p)) => Counts {
            rows: p.rows,
            nulls: p.missing,
            type_errors: 0,
            out_of_bounds: bounded.then(|| unseen_categories(name, r, p, warnings)),
        },
        (ColumnStats::Numeric(r), ColumnStats::Text(p)) => {
            text_against_numeric(name, r, p, bounded, warnings)
        }
        (ColumnStats::Text(_), ColumnStats::Numeric(p)) => {
            // Text in the reference accepts any value; the production's categories were not kept
            // as text, so they cannot be matched with the reference's.
            if bounded {
                warnings.push(format!(
                    "`{name}` is text in the reference but was profiled as numbers in production: its out_of_bounds_rate is not computed (profile the production data against the reference)"
                ));
            }
            Counts {
                rows: p.rows,
                nulls: p.missing,
                type_errors: 0,
                out_of_bounds: None,
            }
        }
    }
}

/// Production values outside the reference's finite range, NaN and infinities included.
fn numeric_outside(
    name: &str,
    reference: &NumericProfile,
    production: &NumericProfile,
    warnings: &mut Vec<String>,
) -> u64 {
    if reference.count == 0 {
        // The reference has no finite value: its range is empty, every production value is
        // outside it.
        return production.count + production.non_finite;
    }
    let (lo, hi) = (reference.min, reference.max);
    if let Some(counted) = production.outside.filter(|o| o.is_against(lo, hi)) {
        return counted.total() + production.non_finite;
    }
    let sketched = production.outside_from_sketch(lo, hi);
    let certain = sketched.below + sketched.above;
    if sketched.is_exact() {
        return certain + production.non_finite;
    }
    let estimate = (certain as f64 + sketched.interpolated).round() as u64;
    let off = (estimate - certain).max(certain + sketched.straddling - estimate);
    warnings.push(format!(
        "`{name}`: out_of_bounds_rate is approximate, off by at most {off} of {} rows: the production profile was not built against the reference's range, and its sketch has {} values in buckets that straddle a bound (profile the production data against the reference for an exact count)",
        production.rows, sketched.straddling
    ));
    estimate + production.non_finite
}

/// Production rows whose category the reference never had.
fn unseen_categories(
    name: &str,
    reference: &TextProfile,
    production: &TextProfile,
    warnings: &mut Vec<String>,
) -> u64 {
    // Past its cap the reference kept the categories with the smallest label hashes: a label
    // with a smaller hash than its largest kept one would have been kept had it occurred.
    let kept_below = reference.overflowed.then(|| {
        reference
            .counts
            .keys()
            .map(|k| label_hash(k))
            .max()
            .unwrap_or(0)
    });
    let (mut certain, mut uncertain) = (0u64, production.other);
    for (label, &count) in &production.counts {
        if reference.counts.contains_key(label) {
            continue;
        }
        match kept_below {
            Some(largest) if label_hash(label) >= largest => uncertain += count,
            _ => certain += count,
        }
    }
    if uncertain > 0 {
        warnings.push(format!(
            "`{name}`: out_of_bounds_rate counts {certain} rows exactly; up to {uncertain} more of the {} rows may be out of bounds, in categories past the {} cap of the category counts",
            production.rows,
            if reference.overflowed { "reference's" } else { "production's" }
        ));
    }
    certain
}

/// A production column profiled as text where the reference is numeric (a profile built
/// without the reference's kinds): each category is parsed as the reference would read it.
fn text_against_numeric(
    name: &str,
    reference: &NumericProfile,
    production: &TextProfile,
    bounded: bool,
    warnings: &mut Vec<String>,
) -> Counts {
    let (mut nulls, mut type_errors, mut outside) = (production.missing, 0u64, 0u64);
    for (label, &count) in &production.counts {
        match parse_number(label) {
            Parsed::Missing => nulls += count,
            Parsed::Invalid => type_errors += count,
            Parsed::Number(v) => {
                let inside = reference.count > 0 && v >= reference.min && v <= reference.max;
                if !inside {
                    outside += count;
                }
            }
        }
    }
    if production.other > 0 {
        warnings.push(format!(
            "`{name}`: {} production rows are in categories past the category cap, so their type and bounds are unknown and they are counted as neither",
            production.other
        ));
    }
    Counts {
        rows: production.rows,
        nulls,
        type_errors,
        out_of_bounds: bounded.then_some(outside),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::data::Input;
    use crate::profile::{ProfileOptions, build};

    fn csv(text: &str) -> Input {
        Input::Memory {
            name: "t.csv".into(),
            bytes: bytes::Bytes::copy_from_slice(text.as_bytes()),
        }
    }

    fn metric<'a>(s: &'a SignalResult, feature: &str, name: &str) -> &'a SignalMetric {
        s.features
            .iter()
            .find(|f| f.name == feature)
            .and_then(|f| f.metrics.iter().find(|m| m.name == name))
            .unwrap_or_else(|| panic!("{feature}.{name} in {s:?}"))
    }

    fn counts(s: &SignalResult, feature: &str) -> [Option<u64>; 3] {
        [
            names::NULL_VALUE_RATE,
            names::DATA_TYPE_ERROR_RATE,
            names::OUT_OF_BOUNDS_RATE,
        ]
        .map(|m| {
            s.features
                .iter()
                .find(|f| f.name == feature)
                .and_then(|f| f.metrics.iter().find(|x| x.name == m))
                .and_then(|x| x.count)
        })
    }

    /// Reference: x in [1, 4], c in {a, b}, id an identifier.
    fn reference() -> Profile {
        let mut text = String::from("x,c,id\n");
        for i in 0..40 {
            text.push_str(&format!("{},{},id{i}\n", 1 + i % 4, ["a", "b"][i % 2]));
        }
        build(&[csv(&text)], &ProfileOptions::default()).unwrap()
    }

    #[test]
    fn rates_count_nulls_type_errors_and_values_out_of_bounds_exactly() {
        let r = reference();
        // 10 rows: x has 1 null, 2 type errors (abc, true), 3 out of bounds (0, 5, inf);
        // c has 2 nulls and 3 unseen (z, z, y); id has 1 null.
        let text =
            "x,c,id\n1,a,q\n,a,r\nabc,,s\ntrue,b,\n0,z,t\n5,z,u\ninf,y,v\n2,,w\n3,b,x\n4,a,y\n";
        let p = build(&[csv(text)], &ProfileOptions::against(&r)).unwrap();
        let s = evaluate(
            &r,
            &p,
            &["x".into(), "c".into()],
            &DataQualityConfig::default(),
        );
        assert_eq!(counts(&s, "x"), [Some(1), Some(2), Some(3)]);
        assert_eq!(counts(&s, "c"), [Some(2), Some(0), Some(3)]);
        // The identifier, left out of drift, gets nulls and type errors only.
        assert_eq!(counts(&s, "id"), [Some(1), Some(0), None]);
        let m = metric(&s, "x", names::OUT_OF_BOUNDS_RATE);
        assert_eq!(
            (m.value, m.rows, m.threshold, m.passed),
            (0.3, Some(10), Some(0.0), Some(false))
        );
        assert!(!s.passed);
        assert!(s.warnings.is_empty(), "{:?}", s.warnings);
        assert_eq!(s.production.rows, 10);
    }

    #[test]
    fn by_default_a_feature_fails_when_production_has_more_nulls_than_the_reference() {
        let mut text = String::from("x,c\n");
        for i in 0..40 {
            let x = if i % 4 == 0 {
                String::new()
            } else {
                i.to_string()
            };
            text.push_str(&format!("{x},a\n"));
        }
        let r = build(&[csv(&text)], &ProfileOptions::default()).unwrap();
        let same = build(&[csv(&text)], &ProfileOptions::against(&r)).unwrap();
        let s = evaluate(
            &r,
            &same,
            &["x".into(), "c".into()],
            &DataQualityConfig::default(),
        );
        let nulls = metric(&s, "x", names::NULL_VALUE_RATE);
        assert_eq!((nulls.value, nulls.threshold), (0.25, Some(0.25)));
        assert!(s.passed, "the reference's own share of nulls is no change");
        let more = build(
            &[csv("x,c\n,a\n,a\n1,a\n2,a\n")],
            &ProfileOptions::against(&r),
        )
        .unwrap();
        let s = evaluate(
            &r,
            &more,
            &["x".into(), "c".into()],
            &DataQualityConfig::default(),
        );
        assert!(
            metric(&s, "x", names::NULL_VALUE_RATE).failed(),
            "0.5 > 0.25"
        );
        let mut strict = DataQualityConfig::default();
        strict
            .metric_thresholds
            .numerical
            .insert(names::NULL_VALUE_RATE.into(), 0.0);
        let s = evaluate(&r, &same, &["x".into()], &strict);
        assert!(!s.passed, "an explicit 0.0 is Azure ML's rule");
    }

    #[test]
    fn thresholds_come_from_the_feature_then_the_kind_then_azure_defaults() {
        let r = reference();
        let text = "x,c,id\n1,a,q\n,a,r\n2,b,s\n3,b,t\n";
        let p = build(&[csv(text)], &ProfileOptions::against(&r)).unwrap();
        let mut config = DataQualityConfig::default();
        config
            .metric_thresholds
            .numerical
            .insert(names::NULL_VALUE_RATE.into(), 0.5);
        config
            .feature_thresholds
            .entry("x".into())
            .or_default()
            .insert(names::NULL_VALUE_RATE.into(), 0.1);
        let s = evaluate(&r, &p, &["x".into(), "c".into()], &config);
        assert_eq!(metric(&s, "x", names::NULL_VALUE_RATE).threshold, Some(0.1));
        assert!(metric(&s, "x", names::NULL_VALUE_RATE).failed());
        assert_eq!(metric(&s, "c", names::NULL_VALUE_RATE).threshold, Some(0.0));
        config.feature_thresholds.clear();
        let s = evaluate(&r, &p, &["x".into(), "c".into()], &config);
        assert!(
            !metric(&s, "x", names::NULL_VALUE_RATE).failed(),
            "0.25 <= 0.5"
        );
        assert!(s.passed);
        // Named features: exactly those, all three metrics; an unknown one is a warning.
        config.features = Some(vec!["id".into(), "nope".into()]);
        let s = evaluate(&r, &p, &[], &config);
        assert_eq!(s.features.len(), 1);
        assert_eq!(counts(&s, "id"), [Some(0), Some(0), Some(4)]);
        assert_eq!(s.warnings.len(), 1);
    }

    #[test]
    fn a_feature_missing_from_production_is_null_on_every_row() {
        let r = reference();
        let p = build(&[csv("x,c\n1,a\n2,b\n")], &ProfileOptions::against(&r)).unwrap();
        let s = evaluate(
            &r,
            &p,
            &["x".into(), "c".into()],
            &DataQualityConfig::default(),
        );
        // `id` is absent: not an identifier check, and not named, so it is not reported...
        assert!(s.features.iter().all(|f| f.name != "id"));
        // ...unless named.
        let named = DataQualityConfig {
            features: Some(vec!["id".into()]),
            ..DataQualityConfig::default()
        };
        let s = evaluate(&r, &p, &[], &named);
        assert_eq!(counts(&s, "id"), [Some(2), Some(0), Some(0)]);
        assert_eq!(metric(&s, "id", names::NULL_VALUE_RATE).value, 1.0);
    }

    #[test]
    fn without_the_reference_range_the_sketch_answers_and_says_how_far_off_it_may_be() {
        // Reference [100, 1000]; production of 100,000 distinct values over [50, 1150] with a
        // sketch of 1,024 buckets (about 4,500 + 13,600 values outside).
        let r_values: Vec<f64> = (100..=1000).map(|i| i as f64).collect();
        let mut r = NumericProfile::new(64);
        r.add(&arrow::array::Float64Array::from(r_values), 0);
        let p_values: Vec<f64> = (0..100_000).map(|i| 50.0 + i as f64 * 0.011).collect();
        let exact = p_values
            .iter()
            .filter(|&&v| !(100.0..=1000.0).contains(&v))
            .count() as u64;
        let mut p = NumericProfile::new(1024);
        p.add(&arrow::array::Float64Array::from(p_values.clone()), 0);
        let mut warnings = Vec::new();
        let got = numeric_outside("x", &r, &p, &mut warnings);
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let off: u64 = warnings[0]
            .split("off by at most ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert!(got.abs_diff(exact) <= off, "{got} vs {exact}, off {off}");
        assert!(off * 20 < exact, "the bound is useful: {off} of {exact}");
        // Counted against the range while profiling: exact, no warning.
        let mut counted = NumericProfile::against(1024, 100.0, 1000.0);
        counted.add(&arrow::array::Float64Array::from(p_values), 0);
        let mut warnings = Vec::new();
        assert_eq!(numeric_outside("x", &r, &counted, &mut warnings), exact);
        assert!(warnings.is_empty());
    }

    #[test]
    fn a_production_profile_typed_as_text_is_parsed_like_the_reference() {
        let r = reference();
        // Profiled on its own, x is text (its first values are not numbers).
        let p = build(
            &[csv("x,c,id\nabc,a,q\nabc,a,q\n9,a,q\n2,b,q\n,b,q\n")],
            &ProfileOptions::default(),
        )
        .unwrap();
        assert!(p.text("x").is_some());
        let s = evaluate(&r, &p, &["x".into()], &DataQualityConfig::default());
        assert_eq!(counts(&s, "x"), [Some(1), Some(2), Some(1)]);
    }

    #[test]
    fn past_the_category_cap_the_unknown_rows_are_bounded_in_a_warning() {
        let labels: Vec<String> = (0..50).map(|i| format!("k{i}")).collect();
        let mut r = TextProfile::new(10);
        r.add(&arrow::array::StringArray::from_iter_values(
            labels.iter().take(30),
        ));
        let mut p = TextProfile::new(1000);
        p.add(&arrow::array::StringArray::from_iter_values(
            labels.iter().skip(20),
        ));
        assert!(r.overflowed);
        let mut warnings = Vec::new();
        let certain = unseen_categories("c", &r, &p, &mut warnings);
        // k30..k49 (20 rows) are unseen; k20..k29 were in the reference. Those whose hash is
        // below the reference's largest kept one are known unseen; the rest are bounded.
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        let more: u64 = warnings[0]
            .split("up to ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .unwrap();
        assert!(certain <= 20 && certain + more >= 20, "{certain} + {more}");
        assert!(more <= 30);
    }
}

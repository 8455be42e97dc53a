//! `driftscan diff a b`: what changed between two datasets (typically two training sets),
//! column by column, from their profiles.
//!
//! Unlike a scan, a diff does not score drift: it lists schema changes (added, removed and
//! retyped columns) and, per column present in both, each summary figure as
//! `{old, new, change}`, where `change` is `new - old` (null when either side is undefined).

use serde::Serialize;

use crate::profile::{ColumnProfile, ColumnStats, Profile};

/// Quantiles reported per numeric column.
pub const DIFF_QUANTILES: [f64; 7] = [0.01, 0.05, 0.25, 0.5, 0.75, 0.95, 0.99];

/// Categories listed per side for text columns.
pub const TOP_CATEGORIES: usize = 10;

/// An old value, a new value and the change between them.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Change {
    /// Value in the first dataset (`null` when undefined).
    #[serde(with = "crate::drift::result::nullable_f64")]
    pub old: f64,
    /// Value in the second dataset.
    #[serde(with = "crate::drift::result::nullable_f64")]
    pub new: f64,
    /// `new - old`.
    #[serde(with = "crate::drift::result::nullable_f64")]
    pub change: f64,
}

impl Change {
    fn of(old: f64, new: f64) -> Change {
        Change {
            old,
            new,
            change: new - old,
        }
    }
}

/// A quantile on both sides.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct QuantileChange {
    /// The quantile, 0 to 1.
    pub q: f64,
    /// Its value on both sides.
    #[serde(flatten)]
    pub value: Change,
}

/// A column whose type differs.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Retyped {
    /// Column name.
    pub name: String,
    /// Type in the first dataset (`numeric` or `text`).
    pub old: String,
    /// Type in the second dataset.
    pub new: String,
}

/// Schema differences.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct SchemaDiff {
    /// Columns only in the second dataset.
    pub added: Vec<String>,
    /// Columns only in the first dataset.
    pub removed: Vec<String>,
    /// Columns whose type changed.
    pub retyped: Vec<Retyped>,
}

/// The figures of one column present in both datasets with the same type.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ColumnDiff {
    /// Column name.
    pub name: String,
    /// `numeric` or `text`.
    pub kind: String,
    /// Rows with a usable value (finite numbers; non-missing text).
    pub count: Change,
    /// Share of rows missing.
    pub missing_rate: Change,
    /// Mean (numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mean: Option<Change>,
    /// Population standard deviation (numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub std: Option<Change>,
    /// Minimum (numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min: Option<Change>,
    /// Maximum (numeric).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub max: Option<Change>,
    /// Quantiles at 1, 5, 25, 50, 75, 95, 99 % (numeric).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub quantiles: Vec<QuantileChange>,
    /// Distinct values (numeric: exact up to the sketch budget, a lower bound beyond; text:
    /// exact up to the category cap, estimated within about 3 % beyond).
    pub distinct: Change,
    /// Most frequent categories on each side with their shares of rows (text).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub top_categories: Option<TopCategories>,
}

/// Most frequent categories per side.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopCategories {
    /// `(category, share of rows)` in the first dataset, most frequent first.
    pub old: Vec<(String, f64)>,
    /// The same in the second dataset.
    pub new: Vec<(String, f64)>,
}

/// Everything `driftscan diff` reports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DatasetDiff {
    /// Source of the first dataset.
    pub old_source: String,
    /// Source of the second dataset.
    pub new_source: String,
    /// Rows.
    pub rows: Change,
    /// Schema differences.
    pub schema: SchemaDiff,
    /// Per-column changes, in the first dataset's column order.
    pub columns: Vec<ColumnDiff>,
}

/// Compares two profiles.
pub fn diff(a: &Profile, b: &Profile) -> DatasetDiff {
    let mut schema = SchemaDiff::default();
    let mut columns = Vec::new();
    for ca in &a.columns {
        match b.column(&ca.name) {
            None => schema.removed.push(ca.name.clone()),
            Some(cb) if cb.kind() != ca.kind() => schema.retyped.push(Retyped {
                name: ca.name.clone(),
                old: ca.kind().as_str().to_string(),
                new: cb.kind().as_str().to_string(),
            }),
            Some(cb) => columns.push(column_diff(ca, cb)),
        }
    }
    for cb in &b.columns {
        if a.column(&cb.name).is_none() {
            schema.added.push(cb.name.clone());
        }
    }
    DatasetDiff {
        old_source: a.source.clone(),
        new_source: b.source.clone(),
        rows: Change::of(a.rows as f64, b.rows as f64),
        schema,
        columns,
    }
}

fn column_diff(a: &ColumnProfile, b: &ColumnProfile) -> ColumnDiff {
    let missing_rate = Change::of(a.missing_rate(), b.missing_rate());
    match (&a.stats, &b.stats) {
        (ColumnStats::Numeric(x), ColumnStats::Numeric(y)) => ColumnDiff {
            name: a.name.clone(),
            kind: "numeric".into(),
            count: Change::of(x.count as f64, y.count as f64),
            missing_rate,
            mean: Some(Change::of(x.mean(), y.mean())),
            std: Some(Change::of(x.std_population(), y.std_population())),
            min: Some(Change::of(x.min(), y.min())),
            max: Some(Change::of(x.max(), y.max())),
            quantiles: DIFF_QUANTILES
                .iter()
                .map(|&q| QuantileChange {
                    q,
                    value: Change::of(x.quantile(q), y.quantile(q)),
                })
                .collect(),
            distinct: Change::of(x.distinct() as f64, y.distinct() as f64),
            top_categories: None,
        },
        (ColumnStats::Text(x), ColumnStats::Text(y)) => {
            let top = |t: &crate::profile::TextProfile| -> Vec<(String, f64)> {
                t.categories()
                    .into_iter()
                    .take(TOP_CATEGORIES)
                    .map(|(k, c)| {
                        let share = if t.rows == 0 {
                            f64::NAN
                        } else {
                            c as f64 / t.rows as f64
                        };
                        (k.to_string(), share)
                    })
                    .collect()
            };
            ColumnDiff {
                name: a.name.clone(),
                kind: "text".into(),
                count: Change::of(x.present() as f64, y.present() as f64),
                missing_rate,
                mean: None,
                std: None,
                min: None,
                max: None,
                quantiles: Vec::new(),
                distinct: Change::of(x.distinct_estimate(), y.distinct_estimate()),
                top_categories: Some(TopCategories {
                    old: top(x),
                    new: top(y),
                }),
            }
        }
        _ => unreachable!("callers pass columns of the same kind"),
    }
}

//! `null_value_rate`: the data-quality signal's share of empty values.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The share of production rows whose value is null or empty, in a column of any
    /// kind: `count / rows`, with both exact counts in the result. A value that is present but
    /// does not parse as the reference's type is a `data_type_error_rate`, not a null. A feature
    /// missing from the production data is null on every row (rate 1).
    ///
    /// **Why.** Azure ML model monitoring's data-quality signal reports it per feature, with a
    /// default threshold of 0: a model fed empty values it never saw in training answers
    /// something, silently. It is the production side's `target_missing_rate`, judged on its own
    /// rather than against the baseline's.
    ///
    /// **Binning.** None: counted exactly by the profile (missing values), so it adds up across
    /// files, days and Spark partitions. Denominator: the production rows.
    ///
    /// **Reference.** `production[feature].isna().sum() / len(production)`, with empty strings
    /// read as missing (pandas' `read_csv` default).
    pub static NULL_VALUE_RATE {
        name: names::NULL_VALUE_RATE, label: "nulls", threshold: Some(0.0),
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Share,
        compute: Compute::Quality,
    }
}

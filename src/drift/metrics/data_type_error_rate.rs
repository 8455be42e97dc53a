//! `data_type_error_rate`: the data-quality signal's share of values of the wrong type.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The share of production rows whose value does not parse as the type the
    /// reference established: text such as `abc` (or a JSON `true`, object or array) in a column
    /// that is numeric in the reference. `count / rows`, both exact. A column that is text in the
    /// reference accepts any value: its rate is 0.
    ///
    /// **Why.** Azure ML model monitoring's data-quality signal reports it per feature, with a
    /// default threshold of 0: a type change upstream (a unit appended, a sentinel string) would
    /// otherwise reach the model as silently missing values.
    ///
    /// **Binning.** None: the production data is read with the reference's column kinds, and each
    /// value that is not a number in a numeric column is counted as invalid by the profile, so
    /// the count adds up across files, days and Spark partitions. Denominator: the production rows.
    ///
    /// **Reference.** `(pandas.to_numeric(s, errors="coerce").isna() & s.notna()).sum() / len(s)`
    /// for a column `s` that is numeric in the reference.
    pub static DATA_TYPE_ERROR_RATE {
        name: names::DATA_TYPE_ERROR_RATE, label: "type errors", threshold: Some(0.0),
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Share,
        compute: Compute::Quality,
    }
}

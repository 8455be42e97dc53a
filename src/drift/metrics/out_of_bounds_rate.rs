//! `out_of_bounds_rate`: the data-quality signal's share of values the reference never held.

use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The share of production rows whose value lies outside what the reference held:
    /// for a numeric feature, a value below the reference's minimum or above its maximum (NaN and
    /// infinities count as outside, since the reference's range is of finite values); for a
    /// categorical feature, a category the reference never had. Missing values are not out of
    /// bounds. `count / rows`, both exact.
    ///
    /// **Why.** Azure ML model monitoring's data-quality signal reports it per feature, with a
    /// default threshold of 0: a model extrapolates past its training range, and has no answer
    /// learnt for a new category.
    ///
    /// **Binning.** None when the production data was profiled against the reference (every
    /// scan and detector run does so): the values below and above the reference's range are
    /// counted exactly while profiling, and add up across files, days and partitions profiled
    /// against the same range. A profile built without the reference (a saved or Spark profile
    /// made without `like=`) falls back to its value sketch: exact while the sketch is exact (up
    /// to 32,768 distinct values), else the buckets wholly outside plus an interpolated share of
    /// the one straddling each bound, with a warning that bounds the error in rows. Categories
    /// are counted exactly unless a side passed its category cap (then a warning bounds the
    /// error). Denominator: the production rows.
    ///
    /// **Reference.** `((s < r.min()) | (s > r.max()) | ~numpy.isfinite(s)).where(s.notna(),
    /// False).sum() / len(s)` for numeric `s` and reference `r`; `(s.notna() & ~s.isin(set(r))).sum()
    /// / len(s)` for categorical.
    pub static OUT_OF_BOUNDS_RATE {
        name: names::OUT_OF_BOUNDS_RATE, label: "out of bounds", threshold: Some(0.0),
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Share,
        compute: Compute::Quality,
    }
}

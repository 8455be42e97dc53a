//! `chi_squared_p_value`: the p-value of Pearson's test of the category frequencies.

use super::chi_squared::chi_squared;
use super::{Compute, Direction, Kind, Unit, names};

metric! {
    /// **What.** The p-value of `chi_squared`, with k - 1 degrees of freedom for k categories.
    ///
    /// **Why.** Says whether the change of frequencies could be chance at these sample sizes; with
    /// many rows tiny differences are significant, so read it with the sample size in mind. It
    /// feeds the feature's `drifted` flag.
    ///
    /// **Binning.** As `chi_squared`.
    ///
    /// **Reference.** `scipy.stats.chi2_contingency(table, correction=False).pvalue`.
    pub static CHI_SQUARED_P_VALUE {
        name: names::CHI_SQUARED_P_VALUE, label: "χ² p", threshold: None,
        kind: Kind::Categorical, direction: Direction::Lower, unit: Unit::Unitless,
        compute: Compute::Categorical(|p| chi_squared(&p.counts.0, &p.counts.1).1),
    }
}

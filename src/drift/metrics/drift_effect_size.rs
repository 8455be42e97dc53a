//! `drift_effect_size` (computed in `drift::significance`).

use super::{Compute, Direction, Kind, Unit, names};
use crate::drift::significance::DEFAULT_MIN_EFFECT;

metric! {
    /// **What.** The larger of the value effect (`normalized_wasserstein_distance` for numeric
    /// features, `jensen_shannon_distance` for categorical ones) and `missing_rate_cohens_h`.
    ///
    /// **Why.** At very large samples everything is significant; a feature is flagged only when
    /// its effect also reaches `drift_min_effect`.
    ///
    /// **Binning.** As the metrics it takes.
    ///
    /// **Reference.** `max(effect, h)`.
    pub static DRIFT_EFFECT_SIZE {
        name: names::DRIFT_EFFECT_SIZE, label: "effect", threshold: Some(DEFAULT_MIN_EFFECT),
        kind: Kind::Both, direction: Direction::Higher, unit: Unit::Unitless,
        compute: Compute::Significance,
    }
}

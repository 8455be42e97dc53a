//! Every signal a run computes beside the v1 document, from the profiles it already built: no
//! signal reads the data again.

use crate::detector::signals::PredictionDriftConfig;
use crate::detector::{AlertOn, DataQualityConfig, SignalsConfig};
use crate::drift::prediction;
use crate::drift::quality;
use crate::drift::result::RunResult;
use crate::drift::signals::{self, SignalResult};
use crate::drift::significance::SignificanceOptions;
use crate::profile::Profile;

/// The signals of a scored run: none when `config` watches only data drift (the v1 document is
/// then unchanged), else `data_drift` first and every enabled signal after it. The model's
/// outputs are read from the input profiles; see [`evaluate_with_outputs`] for outputs profiled
/// apart.
pub fn evaluate(
    config: &SignalsConfig,
    alert_on: AlertOn,
    reference: &Profile,
    production: &Profile,
    result: &RunResult,
) -> Vec<SignalResult> {
    evaluate_with_outputs(
        config,
        alert_on,
        reference,
        production,
        Outputs::default(),
        result,
    )
}

/// The profiles of the model's outputs where they are not the inputs' (a `predictions` folder,
/// a `model_outputs` collection, a validation set's outputs); `None` on a side: the outputs are
/// columns of that side's input profile.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outputs<'a> {
    /// Reference outputs.
    pub reference: Option<&'a Profile>,
    /// Production outputs.
    pub production: Option<&'a Profile>,
}

/// [`evaluate`], with the outputs of either side profiled apart from its inputs.
pub fn evaluate_with_outputs(
    config: &SignalsConfig,
    alert_on: AlertOn,
    reference: &Profile,
    production: &Profile,
    outputs: Outputs<'_>,
    result: &RunResult,
) -> Vec<SignalResult> {
    if config.is_empty() {
        return Vec::new();
    }
    let mut out = vec![signals::data_drift(result, alert_on)];
    if let Some(config) = &config.prediction_drift {
        out.push(prediction::evaluate(
            outputs.reference.unwrap_or(reference),
            outputs.production.unwrap_or(production),
            config,
            &SignificanceOptions::default(),
        ));
    }
    if let Some(config) = &config.data_quality {
        out.push(data_quality(config, reference, production, result));
    }
    out
}

/// What a one-shot scan (`driftscan scan`, Python's `driftscan.scan`) computes beside input
/// drift, having no detector to say: data quality on every compared feature, with the default
/// thresholds (the reference's own rates, 0.0 where it was clean); and prediction drift of the
/// model's output columns `outputs`, when the scan names any (`--predictions`, `predictions=`),
/// with Azure ML's default thresholds.
pub fn one_shot(outputs: &[String]) -> SignalsConfig {
    SignalsConfig {
        data_quality: Some(DataQualityConfig::default()),
        prediction_drift: (!outputs.is_empty()).then(|| PredictionDriftConfig {
            columns: outputs.to_vec(),
            ..PredictionDriftConfig::default()
        }),
        performance: None,
    }
}

/// The data-quality signal of a scored run: the run's compared features (and the monitored ones
/// missing from production) unless the config names others; see [`quality::evaluate`].
fn data_quality(
    config: &DataQualityConfig,
    reference: &Profile,
    production: &Profile,
    result: &RunResult,
) -> SignalResult {
    let features: Vec<String> = result
        .features
        .iter()
        .map(|f| f.name.clone())
        .chain(result.schema.missing_features.iter().cloned())
        .collect();
    let mut signal = quality::evaluate(reference, production, &features, config);
    signal.reference = result.baseline.clone();
    signal.production = result.target.clone();
    signal
}

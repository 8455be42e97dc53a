//! The wire form of a detector: what users write, the API accepts and the store keeps.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::rules::{DEFAULT_DRIFT_THRESHOLD, DEFAULT_MIN_EFFECT};
use super::schedule::Frequency;
use super::signals::{SignalsConfig, WindowConfig};

/// Who hears about drift.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(deny_unknown_fields)]
pub struct AlertConfig {
    /// Addresses mailed when the coefficient crosses the threshold.
    #[serde(default)]
    pub emails: Vec<String>,
    /// Incoming-webhook URL (Teams, Slack or any JSON receiver) posted to on drift.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub webhook: Option<String>,
    /// Azure Event Grid custom topic that receives a CloudEvents 1.0 event per alerting run.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_grid: Option<EventGridConfig>,
}

/// An Event Grid custom topic. The access key is a secret and so never part of a definition: it
/// comes from the app setting `DRIFTSCAN_EVENTGRID_KEY`; without it the managed identity signs in
/// (role EventGrid Data Sender on the topic).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventGridConfig {
    /// The topic endpoint, `https://<topic>.<region>-1.eventgrid.azure.net/api/events`.
    pub topic_endpoint: String,
}

/// A detector definition as written by a user, stored, and accepted by the API, before validation.
///
/// Only [`Detector`](super::Detector) (built by `try_from`, which checks every rule) is used by the
/// rest of the program; this type is the wire form.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DetectorConfig {
    /// Unique name, `^[a-zA-Z0-9][\w\-]{0,35}$`. Also the key in the store.
    pub name: String,
    /// Registered model name.
    pub model_name: String,
    /// Registered model version (positive).
    pub model_version: u32,
    /// Services (deployments) whose inputs are scanned; one result per service and date.
    pub services: Vec<String>,
    /// Baseline: a dataset location (file, folder, glob or blob prefix) or a cached `.profile`.
    /// May be left out when `reference_window` is given: the window is then the reference, and a
    /// baseline given as well only fixes the column types.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub baseline: String,
    /// Where the daily snapshots are: a location template with `{service}`, `{model}`, `{version}`,
    /// `{yyyy}`, `{MM}`, `{dd}` and `{HH}`. Defaults to the legacy model-data-collector layout.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub snapshots: Option<String>,
    /// Day, Week or Month.
    #[serde(default)]
    pub frequency: Frequency,
    /// Hours to wait after the window closes before it is scored (0 to 1000).
    #[serde(default)]
    pub latency: u32,
    /// Features to compare; all common columns when absent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub feature_list: Option<Vec<String>>,
    /// Drift is declared when the coefficient is strictly above this value (0 to 1).
    #[serde(default = "default_drift_threshold")]
    pub drift_threshold: f64,
    /// Who is alerted.
    #[serde(default)]
    pub alert: AlertConfig,
    /// What raises an alert: the coefficient above the threshold (the default), drifted
    /// features, or either (`drift::verdict::warrants_alert`).
    #[serde(default)]
    pub alert_on: AlertOn,
    /// Smallest effect size of a drifted feature (normalised W1, JS distance or Cohen's h).
    #[serde(default = "default_min_effect")]
    pub min_effect: f64,
    /// Per-feature minimum effect, in place of `min_effect` for the features named.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_thresholds: BTreeMap<String, f64>,
    /// Types declared for columns (Azure ML v2's `feature_data_type_override`): the baseline and
    /// every snapshot read such a column as declared, whatever the file format.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub feature_types: BTreeMap<String, DeclaredType>,
    /// What a run does when a monitored feature is missing from the target: reports it as drift
    /// (the default: named in the verdict, the alert and the report) or fails.
    #[serde(default, skip_serializing_if = "OnMissingFeature::is_default")]
    pub on_missing_feature: OnMissingFeature,
    /// Signals watched beside input drift (prediction drift, data quality); none by default.
    #[serde(default, skip_serializing_if = "SignalsConfig::is_empty")]
    pub signals: SignalsConfig,
    /// The reference as a window of production days (rolling or fixed) instead of the baseline
    /// dataset alone; see [`WindowConfig`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reference_window: Option<WindowConfig>,
    /// The production window scored by a run; default one cycle of `frequency`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub production_window: Option<WindowConfig>,
    /// Whether the timer runs it.
    #[serde(default = "default_enabled")]
    pub enabled: bool,
}

/// A column's declared type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DeclaredType {
    /// Compared as numbers.
    Numeric,
    /// Compared as categories (integer codes included).
    Categorical,
}

impl DeclaredType {
    /// `numeric` or `categorical`.
    pub fn as_str(self) -> &'static str {
        match self {
            DeclaredType::Numeric => "numeric",
            DeclaredType::Categorical => "categorical",
        }
    }
}

/// What a scan does when a feature it monitors is missing from the target. A vanished input is
/// drift of the worst kind (the model now sees it as missing on every row), so it is never
/// silent: it is reported, or it fails the run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum OnMissingFeature {
    /// Listed in `schema.missing_features`, named in the verdict, counted as drift for alerts.
    #[default]
    Report,
    /// The scan fails, naming the feature.
    Fail,
}

impl OnMissingFeature {
    fn is_default(&self) -> bool {
        *self == OnMissingFeature::Report
    }
}

fn default_drift_threshold() -> f64 {
    DEFAULT_DRIFT_THRESHOLD
}

fn default_min_effect() -> f64 {
    DEFAULT_MIN_EFFECT
}

/// What raises a detector's alert. `has_drift` stays the coefficient's verdict whatever this is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum AlertOn {
    /// `datadrift_coefficient > drift_threshold` (Azure ML's rule).
    #[default]
    Coefficient,
    /// At least one feature drifted significantly.
    Features,
    /// Either of the two.
    CoefficientOrFeatures,
}

fn default_enabled() -> bool {
    true
}
